//! `kickoff feature <TICKET> [slug]`: a ticket branch under a kickoff.

use crate::commands::Global;
use crate::commands::Session;
use crate::config::valid_branch_name;
use crate::error::{Error, Result};
use crate::git::flow::{kickoff_key, merge_base_key};
use crate::git::git2::Oid;
use crate::kickoffs::Kickoff;
use crate::naming::{FeatureName, Slug};
use crate::plan::{NewBranch, Plan};

/// Start a ticket: create feature/<TICKET>[-slug] from a kickoff's tip.
///
/// The kickoff is the one named with --kickoff, else the current branch's (a
/// kickoff or one of its features), else asked on a terminal. The parent is
/// recorded in git config (`branch.<feature>.kickoff` and
/// `branch.<feature>.gh-merge-base`), the branch is pushed with upstream
/// tracking, and checked out when your work tree is clean.
#[derive(Debug, clap::Args)]
pub struct FeatureArgs {
    /// Ticket key, matching `naming.ticket_pattern` (default `[A-Z][A-Z0-9]+-[0-9]+`).
    pub ticket: String,
    /// Optional short description: lowercase letters, digits and single hyphens.
    pub slug: Option<String>,
    /// The kickoff to branch from [default: the current branch's kickoff].
    #[arg(long, short = 'k', value_name = "KICKOFF")]
    pub kickoff: Option<String>,
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

/// What `feature` will do, decided before anything changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeaturePlan {
    pub branch: FeatureName,
    pub kickoff: Kickoff,
    pub base: Oid,
    /// Where the base came from (`kickoff-…` or `origin/kickoff-…`).
    pub base_from: String,
    /// Commits the remote's kickoff has that the local one lacks.
    pub local_behind: usize,
    pub push: Option<String>,
    pub checkout: bool,
    /// `--pr`: the start commit and the step that opens the pull request.
    pub pr: Option<super::github::StartPr>,
}

pub fn run(args: FeatureArgs, g: &Global) -> Result<()> {
    let session = Session::open(g)?;
    let cfg = &session.config;
    let ticket = cfg.ticket_pattern.ticket(&args.ticket)?;
    let slug = args.slug.as_deref().map(Slug::parse).transpose()?;
    let branch = FeatureName::new(&cfg.feature_prefix, ticket, slug);
    if !valid_branch_name(&branch.to_string()) {
        return Err(Error::usage_hint(
            format!("{branch} is not a valid branch name"),
            "check `naming.ticket_pattern` and `naming.feature_prefix` in .kickoff.toml",
        ));
    }
    if session.has_remote() {
        session.repo.fetch_branches(&cfg.remote, &cfg.main_branch)?;
    }
    let kickoff = super::resolve_kickoff(
        &session.repo,
        cfg,
        &g.ui,
        args.kickoff.as_deref(),
        "--kickoff",
    )?;
    let plan = plan(&session, &args, branch, kickoff)?;
    if args.dry_run {
        return super::show_plan(g, &plan.steps(), args.json);
    }
    execute(&session, g, &plan)
}

pub fn plan(
    s: &Session,
    args: &FeatureArgs,
    branch: FeatureName,
    kickoff: Kickoff,
) -> Result<FeaturePlan> {
    let cfg = &s.config;
    let name = branch.to_string();
    if s.repo.branch_oid(&name)?.is_some() {
        return Err(Error::refused_hint(
            format!("a branch named {name} already exists"),
            format!("switch to it with `git switch {name}`, or give another slug"),
        ));
    }
    let remote = s.has_remote().then(|| cfg.remote.clone());
    if let Some(r) = &remote {
        if s.repo.remote_has_branch(r, &name)? {
            return Err(Error::refused_hint(
                format!("{name} already exists on {r}"),
                format!("someone started this ticket: `git switch {name}` to work on it"),
            ));
        }
    }
    let (base, base_from) = match (kickoff.local, kickoff.remote) {
        (Some(l), _) => (l, kickoff.branch()),
        (None, Some(r)) => (r, format!("{}/{}", cfg.remote, kickoff.branch())),
        (None, None) => unreachable!("a kickoff exists locally or remotely"),
    };
    let local_behind = match (kickoff.local, kickoff.remote) {
        (Some(l), Some(r)) => s.repo.ahead_behind(l, r)?.behind,
        _ => 0,
    };
    let want_push = !args.no_push && (args.push || cfg.push);
    let push = remote.filter(|_| want_push);
    let pr = match args.pr {
        true if kickoff.remote.is_none() => {
            return Err(Error::refused_hint(
                format!(
                    "--pr: {} is not on the remote, so GitHub has no base for the pull request",
                    kickoff.name
                ),
                format!("push it first: `git push {} {}`", cfg.remote, kickoff.name),
            ));
        }
        true => Some(super::github::start_pull_request(
            s,
            &name,
            base,
            &kickoff.branch(),
            push.is_some(),
            Some(&branch),
            &kickoff.branch(),
        )?),
        false => None,
    };
    Ok(FeaturePlan {
        pr,
        branch,
        kickoff,
        base,
        base_from,
        local_behind,
        push,
        checkout: s.repo.is_clean()? && !s.repo.merge_in_progress(),
    })
}

impl FeaturePlan {
    /// The steps that carry the decision out.
    pub fn steps(&self) -> Plan {
        let branch = self.branch.to_string();
        let kickoff = self.kickoff.branch();
        let (at, from) = match &self.pr {
            Some(pr) => (
                pr.start,
                format!("an empty start commit on {}", self.base_from),
            ),
            None => (self.base, self.base_from.clone()),
        };
        let plan = NewBranch {
            config: vec![
                (kickoff_key(&branch), kickoff.clone()),
                (merge_base_key(&branch), kickoff),
            ],
            branch,
            at,
            from,
            push: self.push.clone(),
            checkout: self.checkout,
        }
        .plan();
        match &self.pr {
            Some(pr) => pr.into_plan(plan),
            None => plan,
        }
    }
}

fn execute(s: &Session, g: &Global, plan: &FeaturePlan) -> Result<()> {
    let branch = plan.branch.to_string();
    let kickoff = plan.kickoff.branch();
    if plan.local_behind > 0 {
        g.ui.warn(format!(
            "your local {kickoff} is {} commit(s) behind {}/{kickoff}; the feature starts from the local one (`kickoff sync` or `git pull` to catch up)",
            plan.local_behind, s.config.remote
        ));
    }
    super::run_plan(s, g, &plan.steps())?;
    g.ui.info(format!("the kickoff of {branch} is {kickoff}"));
    g.ui.data(&format!("{branch}\n"))
}
