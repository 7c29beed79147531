//! `kickoff pr`: open or update the pull request for a branch, along the
//! kickoff tree: a feature branch into its kickoff, a kickoff into main.

use crate::commands::Global;
use crate::commands::Session;
use crate::commands::github::connect;
use crate::conflict::{Engine, Options, Tip};
use crate::error::{Error, Result};
use crate::git::git2::Oid;
use crate::github::api::{NewPullRequest, PullRequest};
use crate::github::mirror::{self, BodyFacts, Forecast};
use crate::kickoffs;
use crate::naming::{FeatureName, KickoffName};
use crate::plan::{GitEffects, GitHubCall, Plan, Step};
use crate::release::catalog::Catalog;
use crate::release::tickets;
use std::path::PathBuf;

/// Open the pull request for a branch, or update the one that is open.
///
/// A feature branch goes into its kickoff (the parent recorded by `kickoff
/// feature`), a kickoff into main. The branch is pushed first when the remote
/// lacks its tip. The description lists the tickets (linked with
/// `github.ticket_url`), the kickoff and its platform version, and the conflict
/// forecast against the other live kickoffs. An open pull request for the
/// branch is updated, never duplicated: its base, and its description when
/// kickoff wrote it (a description someone edited is left alone).
///
/// Requests: GET /repos/O/N/pulls?state=open&head=O:BRANCH, then POST
/// /repos/O/N/pulls or PATCH /repos/O/N/pulls/NUMBER, then POST
/// .../pulls/NUMBER/requested_reviewers and .../issues/NUMBER/labels when asked.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct PrArgs {
    /// The branch [default: the current branch].
    pub branch: Option<String>,
    /// Open it as a draft.
    #[arg(long)]
    pub draft: bool,
    /// The title [default: the ticket and slug, or the kickoff and its version].
    #[arg(long, value_name = "TITLE")]
    pub title: Option<String>,
    /// Take the description from FILE instead of writing it.
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
    /// Ask USER for a review (repeatable).
    #[arg(long = "reviewer", value_name = "USER")]
    pub reviewers: Vec<String>,
    /// Add LABEL (repeatable).
    #[arg(long = "label", value_name = "LABEL")]
    pub labels: Vec<String>,
    /// Print what would be done (GitHub is asked, nothing is changed).
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON (`"schema": 1`, see docs/github.md).
    #[arg(long)]
    pub json: bool,
}

/// What `pr` will do, decided before anything changes.
#[derive(Debug, Clone)]
pub struct PrPlan {
    pub branch: String,
    pub base: String,
    pub tip: Oid,
    /// Push the branch to this remote first.
    pub push: Option<String>,
    pub title: String,
    pub body: String,
    pub body_given: bool,
    pub draft: bool,
    /// The branch has no commits its base lacks: GitHub opens no pull request.
    pub empty: bool,
}

#[derive(serde::Serialize)]
struct PrJson<'a> {
    schema: u32,
    action: &'a str,
    number: Option<u64>,
    url: Option<&'a str>,
    head: &'a str,
    base: &'a str,
    draft: bool,
    pushed: bool,
}

pub fn run(args: PrArgs, g: &Global) -> Result<()> {
    let s = Session::open(g)?;
    let branch = match &args.branch {
        Some(b) => b.clone(),
        None => s.repo.current_branch()?.ok_or_else(|| {
            Error::usage_hint(
                "HEAD is detached, so no branch is implied",
                "name the branch: `kickoff pr BRANCH`",
            )
        })?,
    };
    let plan = plan(&s, &args, &branch)?;
    if plan.empty {
        return Err(Error::refused_hint(
            format!(
                "{} has no commits that {} lacks, so GitHub opens no pull request for it",
                plan.branch, plan.base
            ),
            "commit on the branch first, then run `kickoff pr` again",
        ));
    }
    let hub = connect(&s, g)?;
    let existing = hub.open_pull_request(&branch)?;
    let steps = steps(&plan, existing.as_ref(), &args);
    if let Some(pr) = existing.as_ref().filter(|_| !updates(&steps)) {
        g.ui.info(format!("pull request #{} is up to date", pr.number));
    }
    if args.dry_run {
        if args.json {
            return super::show_plan(g, &steps, true);
        }
        g.ui.info("dry run: nothing changed");
        let mut text = steps.text();
        text.push_str("\ndescription:\n");
        for line in plan.body.lines() {
            text.push_str(format!("  {line}").trim_end());
            text.push('\n');
        }
        return g.ui.data(&text);
    }
    let mut effects = GitEffects::new(&s.repo).with_github(Box::new(move || Ok(hub)));
    super::interpreter(g, &mut effects).run(&steps)?;
    let (pr, action) = match effects.github_memory().pull_request.clone() {
        Some(done) => done,
        None => (
            existing.expect("no step opens nor updates it only when it is open"),
            "unchanged",
        ),
    };
    if args.json {
        return g.ui.json(&PrJson {
            schema: 1,
            action,
            number: Some(pr.number),
            url: Some(&pr.html_url),
            head: &plan.branch,
            base: &plan.base,
            draft: pr.draft,
            pushed: plan.push.is_some(),
        });
    }
    g.ui.data(&format!("{}\n", pr.html_url))
}

/// Whether the plan opens or changes the pull request itself.
fn updates(steps: &Plan) -> bool {
    steps.steps.iter().any(|s| {
        matches!(
            s,
            Step::GitHub {
                call: GitHubCall::CreatePullRequest { .. } | GitHubCall::UpdatePullRequest { .. },
                ..
            }
        )
    })
}

/// The steps: push when the remote lacks the tip, create the pull request or
/// update the open one (nothing when it is up to date), then reviewers and
/// labels.
fn steps(plan: &PrPlan, existing: Option<&PullRequest>, args: &PrArgs) -> Plan {
    let mut steps = Plan::new();
    let github = |call| Step::GitHub { call, redo: None };
    if let Some(remote) = &plan.push {
        steps.push(Step::Push {
            remote: remote.clone(),
            refspecs: vec![format!("refs/heads/{0}:refs/heads/{0}", plan.branch)],
            what: plan.branch.clone(),
            set_upstream: false,
            env: Vec::new(),
            hint: None,
        });
    }
    match existing {
        Some(pr) => {
            let update = mirror::pr_update(
                pr,
                &plan.base,
                &plan.body,
                plan.body_given,
                args.title.as_deref(),
            );
            if !update.is_empty() {
                steps.push(github(GitHubCall::UpdatePullRequest {
                    number: pr.number,
                    base_was: pr.base.name.clone(),
                    update,
                }));
            }
        }
        None => steps.push(github(GitHubCall::CreatePullRequest {
            pr: NewPullRequest {
                title: plan.title.clone(),
                head: plan.branch.clone(),
                base: plan.base.clone(),
                body: plan.body.clone(),
                draft: plan.draft,
            },
        })),
    }
    let number = existing.map(|pr| pr.number);
    if !args.reviewers.is_empty() {
        steps.push(github(GitHubCall::RequestReviewers {
            number,
            reviewers: args.reviewers.clone(),
        }));
    }
    if !args.labels.is_empty() {
        steps.push(github(GitHubCall::AddLabels {
            number,
            labels: args.labels.clone(),
        }));
    }
    steps
}

/// Read the branch, its base and what the description says.
pub fn plan(s: &Session, args: &PrArgs, branch: &str) -> Result<PrPlan> {
    let (repo, cfg) = (&s.repo, &s.config);
    if !s.has_remote() {
        return Err(Error::refused_hint(
            format!(
                "there is no remote `{}` to open a pull request on",
                cfg.remote
            ),
            "add the remote, or set `core.remote` in .kickoff.toml",
        ));
    }
    let tip = repo.branch_oid(branch)?.ok_or_else(|| {
        Error::refused_hint(
            format!("there is no local branch {branch}"),
            "`git switch BRANCH` fetches it, or name another branch",
        )
    })?;
    repo.fetch_branches(&cfg.remote, &cfg.main_branch)?;
    let feature = FeatureName::parse(branch, &cfg.feature_prefix, &cfg.ticket_pattern).ok();
    let kickoff_name = kickoffs::kickoff_of_branch(repo, cfg, branch)?;
    let base = base_of(cfg, branch, feature.as_ref(), kickoff_name.as_ref())?;
    let base_tip = repo.remote_branch_oid(&cfg.remote, &base)?.ok_or_else(|| {
        Error::refused_hint(
            format!("{base} is not on {}", cfg.remote),
            format!("push it first: `git push {} {base}`", cfg.remote),
        )
    })?;
    let remote_tip = repo.remote_branch_oid(&cfg.remote, branch)?;
    let commits = repo.commits_between(&[tip], &[base_tip])?;
    let mut ticket_names: Vec<String> = feature.iter().map(|f| f.ticket().to_string()).collect();
    for t in tickets::collect(&commits, &cfg.ticket_pattern).ticket_names() {
        if !ticket_names.contains(&t) {
            ticket_names.push(t);
        }
    }
    let version = match &kickoff_name {
        Some(k) => Catalog::local(repo)?
            .of_kickoff(k)
            .last()
            .map(|t| t.version.to_string()),
        None => None,
    };
    let body_given = args.body_file.is_some();
    let body = match &args.body_file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?,
        None => mirror::pr_body(&BodyFacts {
            kickoff: kickoff_name.as_ref().map(ToString::to_string),
            version: version.clone(),
            tickets: ticket_names,
            ticket_url: cfg.github.as_ref().and_then(|g| g.ticket_url.clone()),
            forecast: Some(forecast(s, branch, tip, kickoff_name.as_ref())?),
        }),
    };
    let title = args
        .title
        .clone()
        .unwrap_or_else(|| default_title(feature.as_ref(), version.as_deref(), branch));
    Ok(PrPlan {
        branch: branch.to_string(),
        base,
        tip,
        push: (remote_tip != Some(tip)).then(|| cfg.remote.clone()),
        title,
        body,
        body_given,
        draft: args.draft,
        empty: commits.is_empty(),
    })
}

/// Where the branch's pull request goes: a kickoff into main, a feature
/// branch into its recorded kickoff.
fn base_of(
    cfg: &crate::config::Config,
    branch: &str,
    feature: Option<&FeatureName>,
    kickoff_name: Option<&KickoffName>,
) -> Result<String> {
    Ok(
        match (KickoffName::parse(branch).is_ok(), feature, kickoff_name) {
            (true, _, _) => cfg.main_branch.clone(),
            (false, Some(_), Some(k)) => k.to_string(),
            (false, Some(_), None) => {
                return Err(Error::refused_hint(
                    format!(
                        "{branch} has no recorded kickoff (git config branch.{branch}.kickoff)"
                    ),
                    format!(
                        "record it with `git config branch.{branch}.kickoff kickoff-YYMMDD-summary`"
                    ),
                ));
            }
            (false, None, _) => {
                return Err(Error::usage_hint(
                    format!("{branch} is neither a kickoff nor a feature branch"),
                    "pull requests go from feature/<TICKET> into its kickoff and from kickoff-YYMMDD-summary into main",
                ));
            }
        },
    )
}

/// The title of a pull request kickoff opens: the ticket and slug of a
/// feature branch, the kickoff and its platform version otherwise.
pub(crate) fn default_title(
    feature: Option<&FeatureName>,
    version: Option<&str>,
    branch: &str,
) -> String {
    match (feature, version) {
        (Some(f), _) => match f.slug() {
            Some(slug) => format!("{} {}", f.ticket(), slug.as_str().replace('-', " ")),
            None => f.ticket().to_string(),
        },
        (None, Some(v)) => format!("{branch} (platform v{v})"),
        (None, None) => branch.to_string(),
    }
}

/// The radar's verdict for the branch against every other live kickoff.
fn forecast(
    s: &Session,
    branch: &str,
    tip: Oid,
    own: Option<&KickoffName>,
) -> Result<Vec<Forecast>> {
    let others: Vec<Tip> = kickoffs::live(&s.repo, &s.config)?
        .into_iter()
        .filter(|k| Some(&k.name) != own)
        .map(|k| Tip::new(k.branch(), k.tip()))
        .collect();
    if others.is_empty() {
        return Ok(Vec::new());
    }
    let engine = Engine::new(&s.repo, Options::for_repo(&s.repo)?);
    let verdicts = engine.check_against(&Tip::new(branch, tip), &others)?;
    Ok(verdicts
        .into_iter()
        .map(|v| {
            let other = if v.a.oid == tip && v.a.label == branch {
                v.b
            } else {
                v.a
            };
            Forecast {
                kickoff: other.label,
                conflicts: if v.outcome.is_conflict() {
                    Some(v.outcome.paths().iter().map(|p| p.path.clone()).collect())
                } else if v.outcome.is_clean() {
                    Some(Vec::new())
                } else {
                    None
                },
            }
        })
        .collect())
}
