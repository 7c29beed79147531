//! `kickoff new <summary>`: cut `kickoff-YYMMDD-summary` from the remote's main.

use crate::commands::Global;
use crate::commands::Session;
use crate::error::{Error, Result};
use crate::git::git2::Oid;
use crate::naming::{self, KickoffName, Slug};
use crate::plan::{NewBranch, Plan};
use crate::prompt;
use chrono::NaiveDate;

/// Start a project: create kickoff-YYMMDD-<summary> from the remote's latest main.
///
/// Fetches the remote's main first, so the kickoff starts from what the team
/// has, whatever state your local main is in. Pushes the branch with upstream
/// tracking, and checks it out when your work tree is clean.
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// Project summary: lowercase letters, digits and single hyphens, 2 to 40
    /// characters (`admin-dashboard`).
    pub summary: String,
    /// Kickoff date, YYMMDD or YYYY-MM-DD [default: today].
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// Start from this commit of main's history instead of main's tip.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Do not push the new branch.
    #[arg(long)]
    pub no_push: bool,
    /// Push even when .kickoff.toml sets `core.push = false`.
    #[arg(long, conflicts_with = "no_push")]
    pub push: bool,
    /// Open its draft pull request on GitHub right away (into main for a
    /// kickoff, into the kickoff for a feature). GitHub opens none for a
    /// branch without commits, so the branch then starts with an empty
    /// commit `Start BRANCH`. Needs [github] and the push.
    #[arg(long, conflicts_with = "no_push")]
    pub pr: bool,
    /// Print what would be done, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: print the plan as JSON.
    #[arg(long, requires = "dry_run")]
    pub json: bool,
}

/// What `new` will do, decided before anything changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlan {
    pub name: KickoffName,
    pub base: Oid,
    /// Which main the base came from (`origin/main` or `main`).
    pub base_from: String,
    pub push: Option<String>,
    pub checkout: bool,
    /// `--pr`: the start commit and the step that opens the pull request.
    pub pr: Option<super::github::StartPr>,
    /// Commits on local main that the remote's main lacks (not included).
    pub local_only: usize,
}

pub fn run(args: NewArgs, g: &Global) -> Result<()> {
    let date = match &args.date {
        Some(d) => naming::parse_kickoff_date(d)?,
        None => chrono::Local::now().date_naive(),
    };
    let slug = summary_slug(&args.summary, g)?;
    let session = Session::open(g)?;
    let plan = plan(&session, &args, date, slug)?;
    if args.dry_run {
        return super::show_plan(g, &plan.steps(), args.json);
    }
    execute(&session, g, &plan)
}

/// Validate the summary; free text gets its slug form offered: `--yes`
/// takes it, a terminal asks, elsewhere the error names it.
fn summary_slug(summary: &str, g: &Global) -> Result<Slug> {
    match Slug::parse(summary) {
        Ok(slug) => Ok(slug),
        Err(err) => {
            if let Some(suggestion) = naming::slugify(summary).filter(|s| s != summary) {
                if (g.yes || g.ui.interactive())
                    && prompt::confirm(
                        &g.ui,
                        g.yes,
                        &format!("Use the summary `{suggestion}`?"),
                        false,
                    )?
                {
                    if g.yes {
                        g.ui.info(format!("using the summary `{suggestion}` (--yes)"));
                    }
                    return Ok(Slug::parse(&suggestion)?);
                }
            }
            Err(err.into())
        }
    }
}

/// A kickoff of that name exists already, here or on the remote.
fn refuse_existing(s: &Session, branch: &str, remote: Option<&str>) -> Result<()> {
    if s.repo.branch_oid(branch)?.is_some() {
        return Err(Error::refused_hint(
            format!("a branch named {branch} already exists"),
            "pick another summary or date, or switch to the existing kickoff",
        ));
    }
    if let Some(r) = remote {
        if s.repo.remote_branch_oid(r, branch)?.is_some() {
            return Err(Error::refused_hint(
                format!("{branch} already exists on {r}"),
                format!("pick another summary or date, or fetch it: git switch {branch}"),
            ));
        }
    }
    Ok(())
}

pub fn plan(s: &Session, args: &NewArgs, date: NaiveDate, slug: Slug) -> Result<NewPlan> {
    let cfg = &s.config;
    let name = KickoffName::new(date, slug);
    let branch = name.to_string();
    let remote = s.has_remote().then(|| cfg.remote.clone());
    if let Some(remote) = &remote {
        s.repo.fetch_branches(remote, &cfg.main_branch)?;
    }
    let local_main = s.repo.branch_oid(&cfg.main_branch)?;
    let remote_main = match &remote {
        Some(r) => s.repo.remote_branch_oid(r, &cfg.main_branch)?,
        None => None,
    };
    let (main_tip, base_from) = match (remote_main, local_main) {
        (Some(oid), _) => (oid, format!("{}/{}", cfg.remote, cfg.main_branch)),
        (None, Some(oid)) => (oid, cfg.main_branch.clone()),
        (None, None) => {
            return Err(crate::git::GitError::NoBranch {
                name: cfg.main_branch.clone(),
                hint: Some(format!(
                    "create `{}` first, or set `core.main_branch` in .kickoff.toml",
                    cfg.main_branch
                )),
            }
            .into());
        }
    };
    refuse_existing(s, &branch, remote.as_deref())?;
    let base = match &args.base {
        None => main_tip,
        Some(rev) => {
            let oid = s.repo.resolve_commit(rev)?;
            if !s.repo.is_ancestor(oid, main_tip)? {
                return Err(Error::usage_hint(
                    format!("--base {rev} is not in the history of {base_from}"),
                    format!(
                        "a kickoff starts from main: pick a commit that `git log {base_from}` shows"
                    ),
                ));
            }
            oid
        }
    };
    let local_only = match (local_main, remote_main) {
        (Some(l), Some(r)) => s.repo.ahead_behind(l, r)?.ahead,
        _ => 0,
    };
    let want_push = !args.no_push && (args.push || cfg.push);
    let push = remote.filter(|_| want_push);
    let pr = match args.pr {
        true => Some(super::github::start_pull_request(
            s,
            &branch,
            base,
            &cfg.main_branch,
            push.is_some(),
            None,
            &branch,
        )?),
        false => None,
    };
    Ok(NewPlan {
        pr,
        name,
        base,
        base_from,
        push,
        checkout: s.repo.is_clean()? && !s.repo.merge_in_progress(),
        local_only,
    })
}

impl NewPlan {
    /// The steps that carry the decision out.
    pub fn steps(&self) -> Plan {
        let branch = NewBranch {
            branch: self.name.to_string(),
            at: self.base,
            from: self.base_from.clone(),
            config: Vec::new(),
            push: self.push.clone(),
            checkout: self.checkout,
        };
        match &self.pr {
            Some(pr) => pr.into_plan(
                NewBranch {
                    at: pr.start,
                    from: format!("an empty start commit on {}", self.base_from),
                    ..branch
                }
                .plan(),
            ),
            None => branch.plan(),
        }
    }
}

fn execute(s: &Session, g: &Global, plan: &NewPlan) -> Result<()> {
    let branch = plan.name.to_string();
    if plan.local_only > 0 {
        g.ui.warn(format!(
            "your local {} has {} commit(s) that {} lacks; they are not included",
            s.config.main_branch, plan.local_only, plan.base_from
        ));
    }
    super::run_plan(s, g, &plan.steps())?;
    g.ui.info(format!(
        "next: kickoff feature <TICKET> to start a ticket branch under {branch}"
    ));
    g.ui.data(&format!("{branch}\n"))
}

pub use crate::plan::short;
