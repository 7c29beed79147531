//! `kickoff github status | release | sync`: the GitHub mirror itself, plus
//! the helpers other commands use to mirror as a side effect.

use crate::commands::Global;
use crate::commands::Session;
use crate::commands::land::LandPlan;
use crate::conflict::{PairVerdict, Tip};
use crate::error::{Error, Result};
use crate::git::git2::Oid;
use crate::github::api::OpenPullRequest;
use crate::github::{self, GitHub, GitHubError, Target};
use crate::kickoffs::Kickoff;
use crate::plan::github::DeployState;
use crate::plan::{GitEffects, GitHubCall, Plan, Step};
use crate::release::PlatformVersion;
use crate::release::catalog::{Catalog, PlatformTag};
use crate::release::land::LandMode;
use std::collections::BTreeMap;

/// The GitHub mirror: pull requests, releases and deployments.
///
/// Git holds the truth; GitHub shows it. Configure it with a [github] section
/// in .kickoff.toml (docs/github.md); the token comes from
/// KICKOFF_GITHUB_TOKEN, GH_TOKEN, GITHUB_TOKEN or `gh auth token`.
#[derive(Debug, clap::Args)]
pub struct GithubArgs {
    #[command(subcommand)]
    pub command: GithubCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum GithubCommand {
    Status(StatusArgs),
    Release(ReleaseArgs),
    Sync(super::github_sync::SyncArgs),
}

/// Show where GitHub is and what the token may do.
///
/// Host, API URL, repository, where the token came from (never the token),
/// the scopes or repository permissions GitHub reports, and the rate limit.
/// Requests: GET /rate_limit, GET /repos/OWNER/NAME.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Print JSON (`"schema": 1`, see docs/github.md).
    #[arg(long)]
    pub json: bool,
}

/// Create or update the GitHub Release of a platform tag that exists already.
///
/// For backfilling: versions released before `releases = true`, or while
/// GitHub was down. The tag must be on the remote. Name "platform vX.Y.Z",
/// body = `kickoff notes X.Y.Z`, prerelease for a semver prerelease, and
/// Latest only for the highest version without a prerelease part.
/// Requests: GET /repos/O/N/releases/tags/platform%2FvX.Y.Z, then
/// PATCH /repos/O/N/releases/ID or POST /repos/O/N/releases.
#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    /// The version: X.Y.Z, vX.Y.Z or platform/vX.Y.Z.
    #[arg(value_name = "VERSION")]
    pub platform: String,
    /// Print the release it would write (GitHub is asked, nothing changes).
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON (`"schema": 1`, see docs/github.md).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: GithubArgs, g: &Global) -> Result<()> {
    match args.command {
        GithubCommand::Status(a) => status(a, g),
        GithubCommand::Release(a) => release(a, g),
        GithubCommand::Sync(a) => super::github_sync::run(a, g),
    }
}

pub(crate) fn release_spec(
    s: &Session,
    catalog: &Catalog,
    tag: &PlatformTag,
) -> Result<github::api::ReleaseSpec> {
    let notes = super::notes::version_markdown(s, catalog, tag)?;
    Ok(github::mirror::release_spec(
        &tag.version,
        &notes,
        catalog.versions(),
    ))
}

/// The GitHub Release `kickoff release` will publish for `version` when
/// `releases = true`: decided before the tag exists, from what the tag will
/// say, so that `release --dry-run` shows it.
pub(crate) fn planned_release(
    s: &Session,
    catalog: &Catalog,
    version: &PlatformVersion,
    commit: crate::git::git2::Oid,
    message: &crate::release::TagMessage,
) -> Result<Option<github::api::ReleaseSpec>> {
    if !s.config.github.as_ref().is_some_and(|c| c.releases) {
        return Ok(None);
    }
    let planned = PlatformTag {
        version: version.clone(),
        commit: Some(commit),
        object: commit,
        meta: Some(message.clone()),
        tagged_at: None,
        local: true,
        remote: false,
    };
    let notes = super::notes::version_markdown(s, catalog, &planned)?;
    let all = catalog.versions().chain(std::iter::once(version));
    Ok(Some(github::mirror::release_spec(version, &notes, all)))
}

fn release(args: ReleaseArgs, g: &Global) -> Result<()> {
    let version = PlatformVersion::parse(&args.platform)?;
    let s = Session::open(g)?;
    let catalog = if s.has_remote() {
        Catalog::with_remote(&s.repo, &s.config.remote)?.0
    } else {
        Catalog::local(&s.repo)?
    };
    let tag = catalog.find(&version).ok_or_else(|| {
        Error::refused_hint(
            format!("there is no tag {}", version.tag_name()),
            "`kickoff versions` lists the platform versions; `kickoff release` makes one",
        )
    })?;
    if !tag.remote {
        return Err(Error::refused_hint(
            format!(
                "{} is not on {}, so GitHub cannot see it",
                version.tag_name(),
                s.config.remote
            ),
            format!(
                "push it first: `git push {} {}`",
                s.config.remote,
                version.tag_name()
            ),
        ));
    }
    let hub = connect(&s, g)?;
    let spec = release_spec(&s, &catalog, tag)?;
    let plan = Plan::from_iter([Step::GitHub {
        call: GitHubCall::Release { spec: spec.clone() },
        redo: None,
    }]);
    if args.dry_run {
        let existing = hub.release_by_tag(&spec.tag_name)?;
        let summary = format!(
            "{} the release \"{}\" for {} (prerelease: {}, latest: {})",
            if existing.is_some() {
                "update"
            } else {
                "create"
            },
            spec.name,
            spec.tag_name,
            spec.prerelease,
            spec.make_latest
        );
        let mut body = String::from("\nbody:\n");
        for line in spec.body.lines() {
            body.push_str(format!("  {line}").trim_end());
            body.push('\n');
        }
        return super::show_plan_with(g, &summary, &plan, &body, args.json);
    }
    let mut effects = GitEffects::new(&s.repo).with_github(Box::new(move || Ok(hub)));
    super::interpreter(g, &mut effects).run(&plan)?;
    let (r, action) = effects
        .github_memory()
        .release
        .clone()
        .expect("the release step ran");
    if args.json {
        return g.ui.json(&serde_json::json!({
            "schema": 1,
            "action": action,
            "id": r.id,
            "tag": r.tag_name,
            "url": r.html_url,
            "prerelease": r.prerelease,
        }));
    }
    g.ui.data(&format!("{}\n", r.html_url))
}

/// Where GitHub is for this session: `[github]`, the remote's URL and
/// `KICKOFF_GITHUB_API_URL`. `NotConfigured` without the section.
pub(crate) fn target(s: &Session) -> Result<Target, GitHubError> {
    let config = s.config.github.as_ref().ok_or(GitHubError::NotConfigured)?;
    let remote = &s.config.remote;
    let url = s
        .repo
        .has_remote(remote)
        .then(|| s.repo.git(["remote", "get-url", remote.as_str()]).ok())
        .flatten();
    let env = std::env::var(github::config::API_URL_ENV).ok();
    github::resolve_target(
        config,
        remote,
        url.as_deref().map(str::trim),
        env.as_deref(),
    )
}

/// Connect to GitHub for this session; waits on the rate limit are reported.
pub(crate) fn connect(s: &Session, g: &Global) -> Result<GitHub, GitHubError> {
    let ui = g.ui.clone();
    Ok(GitHub::connect(target(s)?)?.with_notice(Box::new(move |m| ui.info(m))))
}

/// A flag that talks to GitHub needs the [github] section: exit 2 without it.
pub(crate) fn require_section(s: &Session, flag: &str) -> Result<()> {
    if s.config.github.is_some() {
        return Ok(());
    }
    Err(Error::usage_hint(
        format!("{flag} needs GitHub, which is not configured for this repository"),
        GitHubError::NotConfigured.hint().unwrap_or_default(),
    ))
}

/// `kickoff conflicts --github`: the `kickoff/conflicts` status of each live
/// kickoff whose tip on the remote was checked, posted as plan steps (a
/// failure is a warning). Kickoffs GitHub cannot see are named on stderr.
pub(crate) fn post_conflict_statuses(
    s: &Session,
    g: &Global,
    tips: &[Tip],
    verdicts: &[PairVerdict],
    dry_run: bool,
) -> Result<()> {
    let remote = &s.config.remote;
    let mut plan = Plan::new();
    for k in crate::kickoffs::live(&s.repo, &s.config)? {
        let name = k.branch();
        let remote_name = format!("{remote}/{name}");
        let own = |t: &Tip| t.label == name || t.label == remote_name;
        let Some(pushed) = k.remote else {
            g.ui.info(format!(
                "{name} is not on {remote}, so GitHub cannot show a status for it"
            ));
            continue;
        };
        let Some(tip) = tips.iter().find(|t| t.oid == pushed && own(t)) else {
            g.ui.info(format!(
                "{name}: its tip on {remote} ({}) was not checked (the local branch is ahead): push it, then run again",
                crate::plan::short(pushed)
            ));
            continue;
        };
        let others: Vec<(String, Option<bool>)> = verdicts
            .iter()
            .filter_map(|v| {
                let other = if v.a == *tip {
                    &v.b
                } else if v.b == *tip {
                    &v.a
                } else {
                    return None;
                };
                let verdict = if v.outcome.is_conflict() {
                    Some(true)
                } else if v.outcome.is_clean() {
                    Some(false)
                } else {
                    None
                };
                (!own(other)).then(|| (other.label.clone(), verdict))
            })
            .collect();
        let (state, description) = github::mirror::conflict_status(&others);
        plan.push(Step::GitHub {
            call: GitHubCall::CommitStatus {
                sha: pushed.to_string(),
                on: name,
                state: state.into(),
                context: github::mirror::CONFLICTS_CONTEXT.into(),
                description,
            },
            redo: Some("kickoff conflicts --github".into()),
        });
    }
    if dry_run {
        g.ui.info("dry run: no status posted");
        return g.ui.data(&plan.text());
    }
    super::run_plan(s, g, &plan)
}

/// `land --via-pr`: the kickoff's pull request into main, and the commit
/// its head must still be at for GitHub to merge it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViaPr {
    pub number: u64,
    pub sha: Oid,
}

impl ViaPr {
    /// The step: merge it on GitHub with a merge commit titled like a local
    /// land's, guarded by the head sha. Its failure fails `land` (exit 1).
    pub fn step(&self, head: &str, main: &str, message: &str) -> Step {
        Step::GitHub {
            call: GitHubCall::MergePullRequest {
                number: self.number,
                head: head.to_string(),
                base: main.to_string(),
                sha: self.sha.to_string(),
                title: message.lines().next().unwrap_or_default().to_string(),
            },
            redo: None,
        }
    }
}

/// How `land` gets the kickoff into main: a push (`Some(remote)`, `None`
/// for --no-push) or, with `--via-pr`, the kickoff's pull request merged on
/// GitHub. Without --via-pr, when [github] is set and GitHub's rules for main
/// require pull requests, `land` is refused before it pushes.
pub(crate) fn land_route(
    s: &Session,
    g: &Global,
    via_pr: bool,
    mode: LandMode,
    kickoff: &Kickoff,
    push: Option<String>,
) -> Result<(Option<String>, Option<ViaPr>)> {
    let main = &s.config.main_branch;
    if mode == LandMode::AlreadyLanded {
        return Ok((push, None));
    }
    if !via_pr {
        if push.is_some() && s.config.github.is_some() && main_requires_pr(s, g) {
            return Err(Error::refused_hint(
                format!(
                    "GitHub's rules for {main} require a pull request, so pushing {main} would be rejected"
                ),
                format!(
                    "merge it through its pull request: `kickoff land --via-pr {}` (`kickoff pr {}` opens it)",
                    kickoff.name, kickoff.name
                ),
            ));
        }
        return Ok((push, None));
    }
    require_section(s, "--via-pr")?;
    let remote = &s.config.remote;
    let name = kickoff.branch();
    let Some(sha) = kickoff.remote.filter(|_| s.has_remote()) else {
        return Err(Error::refused_hint(
            format!("{name} is not on {remote}, so it has no pull request"),
            format!("push it and open one: `kickoff pr {name}`"),
        ));
    };
    let hub = connect(s, g)?;
    let pr = hub.open_pull_request(&name)?.ok_or_else(|| {
        Error::refused_hint(
            format!("{name} has no open pull request on GitHub"),
            format!("`kickoff pr {name}` opens it"),
        )
    })?;
    if pr.base.name != *main {
        return Err(Error::refused_hint(
            format!(
                "pull request #{} goes into {}, not {main}",
                pr.number, pr.base.name
            ),
            format!("`kickoff pr {name}` points it at {main}"),
        ));
    }
    if pr.head.sha != sha.to_string() {
        return Err(Error::refused_hint(
            format!(
                "pull request #{} is at {}, but {remote}/{name} is at {}",
                pr.number,
                &pr.head.sha[..pr.head.sha.len().min(10)],
                crate::plan::short(sha)
            ),
            format!("`kickoff land --via-pr {name}` again once GitHub has caught up with the push"),
        ));
    }
    Ok((
        None,
        Some(ViaPr {
            number: pr.number,
            sha,
        }),
    ))
}

/// Whether GitHub's rules for main require pull requests
/// (`GET .../rules/branches/MAIN`). When GitHub cannot tell, `land` goes on:
/// a push GitHub rejects is explained by [`explain_protected_main`].
fn main_requires_pr(s: &Session, g: &Global) -> bool {
    let main = &s.config.main_branch;
    match connect(s, g).and_then(|hub| hub.branch_requires_pull_request(main)) {
        Ok(required) => required,
        Err(e) => {
            g.ui.info(format!(
                "could not ask GitHub whether {main} requires pull requests: {e}"
            ));
            false
        }
    }
}

/// `land --via-pr`'s line before its steps.
pub(crate) fn via_pr_summary(s: &Session, p: &LandPlan, what: &str) -> String {
    let main = &s.config.main_branch;
    let number = p.via_pr.as_ref().map_or(0, |v| v.number);
    format!(
        "merge {what} into {main} through pull request #{number} on GitHub (a merge commit), then fetch {main} from {} and bring the local {main} to it",
        s.config.remote
    )
}

/// A push of main the remote rejected because GitHub protects main
/// (`GH006`, "protected branch"): say so and point at `--via-pr`.
pub(crate) fn explain_protected_main(s: &Session, p: &LandPlan, err: Error) -> Error {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        text.push_str(&format!("\n{cause}"));
        source = cause.source();
    }
    let lower = text.to_lowercase();
    if p.via_pr.is_some() || !(text.contains("GH006") || lower.contains("protected branch")) {
        return err;
    }
    let main = &s.config.main_branch;
    let k = &p.kickoff.name;
    Error::failed(
        format!(
            "{main} is protected on GitHub: it takes changes through pull requests only, so the push was rejected; nothing changed"
        ),
        Some(format!(
            "merge it through its pull request: `kickoff land --via-pr {k}` (`kickoff pr {k}` opens it)"
        )),
        err,
    )
}

/// After GitHub merged the pull request: fetch main, check it holds the
/// kickoff, and bring the local main to it. Returns the new main.
pub(crate) fn take_merged_main(s: &Session, g: &Global, p: &LandPlan) -> Result<Oid> {
    let (remote, main) = (&s.config.remote, &s.config.main_branch);
    let after = |e: Error| {
        Error::failed(
            format!("the pull request is merged on GitHub, but {main} could not be brought here"),
            Some(format!(
                "`git fetch {remote} {main}`, then fast-forward the local {main} to {remote}/{main}"
            )),
            e,
        )
    };
    s.repo
        .fetch_branches(remote, main)
        .map_err(|e| after(e.into()))?;
    let new_main = s
        .repo
        .remote_branch_oid(remote, main)
        .map_err(|e| after(e.into()))?
        .filter(|m| s.repo.is_ancestor(p.kickoff.tip(), *m).unwrap_or(false))
        .ok_or_else(|| {
            after(Error::refused(format!(
                "{remote}/{main} does not contain {} after the merge",
                p.kickoff.name
            )))
        })?;
    let local = LandPlan {
        via_pr: None,
        push: None,
        new_main,
        ..p.clone()
    };
    super::run_plan(s, g, &local.steps(main)).map_err(after)?;
    Ok(new_main)
}

/// `--github` of `list` and `status` (`asked`): the open pull requests by
/// branch. Exit 2 without [github]; `None` after a warning when GitHub
/// cannot say.
pub(crate) fn pull_requests_if(
    s: &Session,
    g: &Global,
    asked: bool,
) -> Result<Option<BTreeMap<String, OpenPullRequest>>> {
    if !asked {
        return Ok(None);
    }
    require_section(s, "--github")?;
    Ok(pull_requests_by_branch(s, g))
}

/// Print a report's JSON, with `pull_request` under `paths` when known.
pub(crate) fn json_with_pull_requests<T: serde::Serialize>(
    g: &Global,
    doc: &T,
    paths: &[&str],
    prs: Option<&BTreeMap<String, OpenPullRequest>>,
) -> Result<()> {
    match prs {
        Some(prs) => g.ui.json(&with_pull_requests(
            serde_json::to_value(doc).expect("serializable"),
            paths,
            prs,
        )),
        None => g.ui.json(doc),
    }
}

/// `--github` of `list` and `status`: the open pull requests by branch.
/// `None` after a warning when GitHub cannot say (the git report stands).
fn pull_requests_by_branch(s: &Session, g: &Global) -> Option<BTreeMap<String, OpenPullRequest>> {
    match connect(s, g).and_then(|hub| hub.open_pull_requests()) {
        Ok(prs) => Some(prs.into_iter().map(|p| (p.head.clone(), p)).collect()),
        Err(e) => {
            let mut text = format!("pull requests are not shown: {e}");
            if let Some(h) = e.hint() {
                text.push_str(&format!(" ({h})"));
            }
            g.ui.warn(text);
            None
        }
    }
}

/// One cell: `#7 open, approved`, `#8 draft`, `-` for none.
pub(crate) fn pull_request_cell(pr: Option<&OpenPullRequest>) -> String {
    match pr {
        None => "-".into(),
        Some(p) if p.review == "none" => format!("#{} {}", p.number, p.state),
        Some(p) => format!("#{} {}, {}", p.number, p.state, p.review.replace('_', " ")),
    }
}

/// `status --github`: the pull request of the kickoff and of each feature
/// branch, under the report.
pub(crate) fn pull_request_lines(
    doc: &crate::overview::StatusDoc,
    prs: &BTreeMap<String, OpenPullRequest>,
) -> String {
    let names: Vec<&str> = std::iter::once(doc.kickoff.name.as_str())
        .chain(doc.features.iter().map(|f| f.name.as_str()))
        .collect();
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
    let mut out = String::from("  pull requests\n");
    for name in names {
        let pr = prs.get(name);
        let cell = pull_request_cell(pr);
        let url = pr.map(|p| format!("  {}", p.url)).unwrap_or_default();
        out.push_str(&format!("    {name:<width$}  {cell}{url}\n"));
    }
    out
}

/// Add `"pull_request"` (or null) to each object under `path` (an array of
/// objects with a `name`, or one such object) of a report's JSON.
fn with_pull_requests(
    mut doc: serde_json::Value,
    paths: &[&str],
    prs: &BTreeMap<String, OpenPullRequest>,
) -> serde_json::Value {
    for path in paths {
        let Some(node) = doc.pointer_mut(path) else {
            continue;
        };
        let items: Vec<&mut serde_json::Value> = match node {
            serde_json::Value::Array(items) => items.iter_mut().collect(),
            other => vec![other],
        };
        for item in items {
            let pr = item["name"].as_str().and_then(|n| prs.get(n));
            item["pull_request"] = serde_json::to_value(pr).expect("serializable");
        }
    }
    doc
}

/// `new --pr`, `feature --pr`: where the branch starts and the step that
/// opens its draft pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartPr {
    /// An empty commit on top of the base: GitHub opens no pull request for
    /// a branch without commits, so the branch starts with this one.
    pub start: Oid,
    pub step: Step,
}

impl StartPr {
    /// The branch's plan with the pull request opened after the push and
    /// before the checkout.
    pub fn into_plan(&self, mut plan: Plan) -> Plan {
        let at = plan.steps.len().saturating_sub(1);
        plan.steps.insert(at, self.step.clone());
        plan
    }
}

/// Decide `--pr` for a branch about to be created at `at` and pushed
/// (`pushed`) with `base` as the pull request's base: needs [github] and the
/// push. Writes the empty start commit (unreferenced until the branch is
/// created), as `land` writes its merge commit while planning.
pub(crate) fn start_pull_request(
    s: &Session,
    branch: &str,
    at: Oid,
    base: &str,
    pushed: bool,
    feature: Option<&crate::naming::FeatureName>,
    kickoff: &str,
) -> Result<StartPr> {
    require_section(s, "--pr")?;
    if !pushed {
        return Err(Error::usage_hint(
            "--pr needs the branch on the remote, and it is not pushed",
            "drop --no-push, or add --push when .kickoff.toml sets `core.push = false`",
        ));
    }
    let message = format!(
        "Start {branch}\n\nAn empty commit: GitHub opens no pull request for a branch without\ncommits, and `--pr` opens its draft pull request now.\n"
    );
    let start = s
        .repo
        .write_merge_commit(s.repo.commit_tree_id(at)?, &[at], &message)?;
    let body = github::mirror::pr_body(&github::mirror::BodyFacts {
        kickoff: Some(kickoff.to_string()),
        version: None,
        tickets: feature
            .map(|f| f.ticket().to_string())
            .into_iter()
            .collect(),
        ticket_url: s.config.github.as_ref().and_then(|g| g.ticket_url.clone()),
        forecast: None,
    });
    let step = Step::GitHub {
        call: GitHubCall::OpenPullRequest {
            pr: github::api::NewPullRequest {
                title: super::pr::default_title(feature, None, branch),
                head: branch.to_string(),
                base: base.to_string(),
                body,
                draft: true,
            },
        },
        redo: Some(format!("kickoff pr {branch} --draft")),
    };
    Ok(StartPr { start, step })
}

/// `deploy` with `deployments = true`: the GitHub deployment that mirrors it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployMirror {
    pub deployment: github::api::NewDeployment,
    /// The slot's first app URL.
    pub environment_url: Option<String>,
}

impl DeployMirror {
    /// The deploy's steps with the mirror around the deploy command: create
    /// the deployment and mark it in progress before it runs, mark it
    /// success or failure after its record is published.
    pub fn around(&self, mut plan: Plan) -> Plan {
        let environment = self.deployment.environment.clone();
        let status = |state| Step::GitHub {
            call: GitHubCall::DeploymentStatus {
                id: None,
                environment: environment.clone(),
                state,
                environment_url: self.environment_url.clone(),
            },
            redo: Some("kickoff github sync".into()),
        };
        let run = plan
            .steps
            .iter()
            .position(|s| matches!(s, Step::RunDeploy { .. }))
            .unwrap_or(plan.steps.len());
        let before = [
            Step::GitHub {
                call: GitHubCall::CreateDeployment {
                    deployment: self.deployment.clone(),
                },
                redo: Some("kickoff github sync".into()),
            },
            status(DeployState::InProgress),
        ];
        plan.steps.splice(run..run, before);
        plan.steps.push(status(DeployState::Outcome));
        plan
    }
}

/// The GitHub deployment of a deploy, when `deployments = true`: the full
/// commit, environment = the slot, no auto-merge, no required contexts, and
/// a payload naming the kickoff, its platform version, tickets and record.
pub(crate) fn deploy_mirror(
    s: &Session,
    slot: &str,
    version: Option<&str>,
    tickets: &[String],
    kickoff: &str,
    commit: &str,
    record: &str,
) -> Option<DeployMirror> {
    if !s.config.github.as_ref().is_some_and(|c| c.deployments) {
        return None;
    }
    Some(DeployMirror {
        deployment: github::mirror::deployment(slot, kickoff, commit, version, tickets, record),
        environment_url: s
            .config
            .slots
            .endpoints(slot)
            .first()
            .map(|e| e.url.clone()),
    })
}

/// `slot release` with `deployments = true`: mark the slot's last GitHub
/// deployment inactive (nothing is deployed there for the team any more).
pub(crate) fn inactive_deployment(s: &Session, g: &Global, slot: &str) -> Result<Vec<Step>> {
    if !s.config.github.as_ref().is_some_and(|c| c.deployments) {
        return Ok(Vec::new());
    }
    let store = crate::commands::slot_service::store(&s.repo, &s.config, &g.ui);
    let state = store.read(false)?.state;
    let last = state.deployments.values().rev().find(|d| d.slot == slot);
    Ok(last
        .and_then(|d| d.github_deployment)
        .map(|id| Step::GitHub {
            call: GitHubCall::DeploymentStatus {
                id: Some(id),
                environment: slot.to_string(),
                state: DeployState::Inactive,
                environment_url: None,
            },
            redo: Some("kickoff github sync".into()),
        })
        .into_iter()
        .collect())
}

#[derive(serde::Serialize)]
struct StatusJson<'a> {
    schema: u32,
    #[serde(flatten)]
    target: &'a Target,
    token_source: &'a github::TokenSource,
    #[serde(flatten)]
    access: &'a github::api::AccessReport,
    releases: bool,
    deployments: bool,
}

fn status(args: StatusArgs, g: &Global) -> Result<()> {
    let s = Session::open(g)?;
    let hub = connect(&s, g)?;
    let access = hub.access_report()?;
    let config = s.config.github.clone().unwrap_or_default();
    if args.json {
        return g.ui.json(&StatusJson {
            schema: 1,
            target: &hub.target,
            token_source: &hub.token_source,
            access: &access,
            releases: config.releases,
            deployments: config.deployments,
        });
    }
    let t = &hub.target;
    let on = |b: bool| if b { "on" } else { "off" };
    let rate = &access.rate_limit;
    let reset = chrono::DateTime::from_timestamp(rate.reset, 0).map_or_else(
        || rate.reset.to_string(),
        |d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    );
    let rows = [
        (
            "host",
            format!(
                "{}{}",
                t.host,
                if t.enterprise { " (Enterprise)" } else { "" }
            ),
        ),
        ("api", format!("{} (from {})", t.api_url, t.api_url_from)),
        ("repository", t.repository.to_string()),
        ("token", format!("from {}", hub.token_source)),
        (
            "scopes",
            match &access.scopes {
                Some(s) if s.is_empty() => "none".to_string(),
                Some(s) => s.join(", "),
                None => "not reported (a fine-grained token or an app)".into(),
            },
        ),
        ("permissions", access.permissions.join(", ")),
        (
            "rate limit",
            format!("{} of {} left, resets {reset}", rate.remaining, rate.limit),
        ),
        ("releases", on(config.releases).into()),
        ("deployments", on(config.deployments).into()),
    ];
    let mut text = String::new();
    for (k, v) in rows {
        text.push_str(&format!("{k:<12} {v}\n"));
    }
    g.ui.data(&text)
}
