//! `kickoff land`: merge a released kickoff into main after its deployment.

use crate::commands::Global;
use crate::commands::Session;
use crate::conflict::{Engine, Options, Outcome, Tip};
use crate::error::{Error, Result};
use crate::git::git2::Oid;
use crate::kickoffs::{self, Kickoff};
use crate::plan::{Plan, Step, short};
use crate::release::PlatformVersion;
use crate::release::catalog::Catalog;
use crate::release::land::{self, LAND_ENV, LandFacts, LandMode};

/// Merge a released kickoff into main: fast-forward when main has not moved
/// since the kickoff last took it, otherwise a merge commit.
///
/// Pushes main (with `KICKOFF_LAND=1` set for the pre-push hook) unless
/// --no-push, updates the local main, then lists the other live kickoffs
/// that now lack main's new commits. A kickoff without a platform version, or
/// with commits after its newest version, is refused unless --unreleased.
#[derive(Debug, clap::Args)]
pub struct LandArgs {
    /// The kickoff to land [default: the current branch's kickoff].
    #[arg(value_name = "KICKOFF")]
    pub kickoff: Option<String>,
    /// The kickoff, as an option like `release` takes it.
    #[arg(long = "kickoff", value_name = "KICKOFF", conflicts_with = "kickoff")]
    pub kickoff_flag: Option<String>,
    /// Update the local main only.
    #[arg(long)]
    pub no_push: bool,
    /// Land a kickoff that is not (or not entirely) released.
    #[arg(long)]
    pub unreleased: bool,
    /// Print what would be done, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: print the plan as JSON.
    #[arg(long, requires = "dry_run")]
    pub json: bool,
    /// Merge the kickoff's pull request into main on GitHub instead of
    /// pushing main: a merge commit, refused by GitHub if the kickoff moved
    /// since kickoff looked; then update the local main from the remote. For
    /// a main whose GitHub rules require pull requests (needs [github]).
    #[arg(long, conflicts_with = "no_push")]
    pub via_pr: bool,
}

/// What `land` will do.
#[derive(Debug, Clone)]
pub struct LandPlan {
    pub kickoff: Kickoff,
    pub version: Option<PlatformVersion>,
    pub mode: LandMode,
    /// The main the kickoff lands on (the remote's when there is one).
    pub main_old: Oid,
    pub main_from: String,
    pub local_main: Option<Oid>,
    pub main_checked_out: bool,
    pub push: Option<String>,
    /// The commit main becomes: the kickoff's tip (fast-forward) or the merge
    /// commit, written (unreferenced) while planning.
    pub new_main: Oid,
    pub message: String,
    /// `--via-pr`: the pull request GitHub merges instead of a push.
    pub via_pr: Option<super::github::ViaPr>,
}

pub fn run(args: LandArgs, g: &Global) -> Result<()> {
    let session = Session::open(g)?;
    super::fresh::require_full_history(&session, "land")?;
    let plan = plan(&session, g, &args)?;
    if args.dry_run {
        let steps = plan.steps(&session.config.main_branch);
        return super::show_plan_with(g, &summary(&session, &plan), &steps, "", args.json);
    }
    execute(&session, g, &plan)
}

pub fn plan(s: &Session, g: &Global, args: &LandArgs) -> Result<LandPlan> {
    let (repo, cfg) = (&s.repo, &s.config);
    let remote = s.has_remote().then(|| cfg.remote.clone());
    if let Some(r) = &remote {
        repo.fetch_branches(r, &cfg.main_branch)?;
    }
    let kickoff = super::resolve_kickoff(
        repo,
        cfg,
        &g.ui,
        args.kickoff.as_deref().or(args.kickoff_flag.as_deref()),
        "the KICKOFF argument",
    )?;
    let catalog = Catalog::local(repo)?;
    let newest = catalog
        .of_kickoff(&kickoff.name)
        .into_iter()
        .next()
        .cloned();
    let tip = kickoff.tip();
    let commits_after_release = match newest.as_ref().and_then(|t| t.commit) {
        Some(c) => repo.ahead_behind(tip, c)?.ahead,
        None => 0,
    };
    let main_old = kickoffs::require_main_tip(repo, cfg)?;
    let main_from = kickoffs::main_name(repo, cfg, remote.as_deref())?;
    let local_main = repo.branch_oid(&cfg.main_branch)?;
    let local_main_ahead = match local_main {
        Some(l) => repo.ahead_behind(l, main_old)?.ahead,
        None => 0,
    };
    let main_checked_out = repo.current_branch()?.as_deref() == Some(cfg.main_branch.as_str());
    let remote_mismatch = match (&remote, kickoff.local, kickoff.remote) {
        (Some(r), Some(l), Some(rt)) if l != rt => Some(format!(
            "{} differs from {r}/{}",
            kickoff.name, kickoff.name
        )),
        (Some(r), Some(_), None) if !args.no_push => {
            Some(format!("{} is not on {r}", kickoff.name))
        }
        _ => None,
    };
    let kickoff_in_main = repo.is_ancestor(tip, main_old)?;
    let main_in_kickoff = repo.is_ancestor(main_old, tip)?;
    let merge_clean = kickoff_in_main || main_in_kickoff || repo.merge_is_clean(main_old, tip)?;
    let facts = LandFacts {
        kickoff: kickoff.name.clone(),
        version: newest.as_ref().map(|t| t.version.clone()),
        allow_unreleased: args.unreleased,
        commits_after_release,
        kickoff_in_main,
        main_in_kickoff,
        merge_clean,
        local_main_ahead,
        main_checked_out_dirty: main_checked_out && !repo.is_clean()?,
        remote_mismatch,
        main_branch: cfg.main_branch.clone(),
    };
    let mode = land::decide(&facts).map_err(|r| Error::refused_hint(r.to_string(), r.hint()))?;
    let message = merge_message(&cfg.main_branch, &kickoff, facts.version.as_ref());
    let new_main = new_main(s, mode, main_old, &kickoff, &message)?;
    let push = remote.filter(|_| !args.no_push);
    let (push, via_pr) = super::github::land_route(s, g, args.via_pr, mode, &kickoff, push)?;
    Ok(LandPlan {
        via_pr,
        new_main,
        message,
        kickoff,
        version: facts.version,
        mode,
        main_old,
        main_from,
        local_main,
        main_checked_out,
        push,
    })
}

/// The commit main becomes: the kickoff's tip, or a merge commit written
/// (unreferenced) now so that the plan can name it.
fn new_main(
    s: &Session,
    mode: LandMode,
    main_old: Oid,
    kickoff: &Kickoff,
    message: &str,
) -> Result<Oid> {
    if mode != LandMode::Merge {
        return Ok(kickoff.tip());
    }
    s.repo
        .merge_commit_in_memory(main_old, kickoff.tip(), message)?
        .ok_or_else(|| {
            Error::refused(format!(
                "merging {} into {} has conflicts",
                kickoff.name, s.config.main_branch
            ))
        })
}

impl LandPlan {
    /// The steps: push the new main (with `KICKOFF_LAND=1` for the pre-push
    /// hook), then move the local main to it.
    pub fn steps(&self, main: &str) -> Plan {
        let mut plan = Plan::new();
        if self.mode == LandMode::AlreadyLanded {
            return plan;
        }
        if let Some(pr) = &self.via_pr {
            plan.push(pr.step(&self.kickoff.branch(), main, &self.message));
            return plan;
        }
        if let Some(r) = &self.push {
            plan.push(Step::Push {
                remote: r.clone(),
                refspecs: vec![format!("{}:refs/heads/{main}", self.new_main)],
                what: main.to_string(),
                set_upstream: false,
                env: vec![(LAND_ENV.to_string(), "1".to_string())],
                hint: Some(format!(
                    "if {main} moved on {r} meanwhile, run `kickoff land {}` again",
                    self.kickoff.name
                )),
            });
        }
        let log = format!("kickoff land: {}", self.kickoff.name);
        plan.push(match self.local_main {
            Some(from) if self.main_checked_out => Step::FastForwardWorktree {
                branch: main.to_string(),
                from,
                to: self.new_main,
                source: self.kickoff.name.to_string(),
            },
            Some(old) => Step::UpdateRef {
                name: format!("refs/heads/{main}"),
                new: self.new_main,
                old: Some(old),
                log,
            },
            None => Step::CreateBranch {
                branch: main.to_string(),
                at: self.new_main,
                from: self.kickoff.name.to_string(),
            },
        });
        plan
    }
}

/// What `land` does, in one line, before its steps.
fn summary(s: &Session, p: &LandPlan) -> String {
    let main = &s.config.main_branch;
    let what = match &p.version {
        Some(v) => format!("{} (platform v{v})", p.kickoff.name),
        None => format!("{} (not released)", p.kickoff.name),
    };
    let mut text = match p.mode {
        LandMode::AlreadyLanded => {
            return format!("{what} is already in {}; nothing to do", p.main_from);
        }
        _ if p.via_pr.is_some() => super::github::via_pr_summary(s, p, &what),
        LandMode::FastForward => format!(
            "fast-forward {main} from {} ({}) to {what} at {}",
            p.main_from,
            short(p.main_old),
            short(p.kickoff.tip())
        ),
        LandMode::Merge => format!(
            "merge {what} into {main} at {} ({}) with a merge commit",
            p.main_from,
            short(p.main_old)
        ),
    };
    if p.push.is_some() && s.config.slots.is_configured() {
        text.push_str(&format!(
            "; then give back the QA slot {} holds, if any",
            p.kickoff.name
        ));
    }
    text
}

fn merge_message(main: &str, kickoff: &Kickoff, version: Option<&PlatformVersion>) -> String {
    match version {
        Some(v) => format!(
            "Merge {} (platform v{v}) into {main}\n\nPlatform-Version: {v}\nKickoff: {}\n",
            kickoff.name, kickoff.name
        ),
        None => format!(
            "Merge {} into {main}\n\nKickoff: {}\n",
            kickoff.name, kickoff.name
        ),
    }
}

fn execute(s: &Session, g: &Global, p: &LandPlan) -> Result<()> {
    let main = &s.config.main_branch;
    if p.mode == LandMode::AlreadyLanded {
        g.ui.info(summary(s, p));
        return Ok(());
    }
    super::run_plan(s, g, &p.steps(main))
        .map_err(|e| super::github::explain_protected_main(s, p, e))?;
    let new_main = match &p.via_pr {
        Some(_) => super::github::take_merged_main(s, g, p)?,
        None => p.new_main,
    };
    let how = match p.mode {
        _ if p.via_pr.is_some() => "pull request merged on GitHub",
        LandMode::FastForward => "fast-forward",
        _ => "merge commit",
    };
    g.ui.done(format!(
        "landed {} in {main} ({how}, {})",
        p.kickoff.name,
        short(new_main)
    ));
    release_slot(s, g, p);
    report_others(s, g, p, new_main)
}

/// A landed kickoff no longer needs its QA slot: release it (and drop it from
/// the queue) in the shared state. Landing has already happened, so a failure
/// here is a warning with the command that finishes the job.
fn release_slot(s: &Session, g: &Global, p: &LandPlan) {
    if !s.config.slots.is_configured() {
        return;
    }
    let kickoff = p.kickoff.branch();
    if p.push.is_none() && p.via_pr.is_none() {
        g.ui.info(format!(
            "--no-push: any QA slot {kickoff} holds stays held; `kickoff slot release` frees it"
        ));
        return;
    }
    match super::slot_service::release_for_kickoff(&s.repo, &s.config, &g.ui, &kickoff) {
        Ok(Some(slot)) => g.ui.done(format!("released QA slot {slot}, held by {kickoff}")),
        Ok(None) => {}
        Err(e) => g.ui.warn_because(
            format!(
                "could not release the QA slot of {kickoff}; run `kickoff slot release` once the remote answers"
            ),
            &e,
        ),
    }
}

/// The other live kickoffs that now lack main's new commits, each with a
/// conflict forecast: what bringing the new main into it would do.
fn report_others(s: &Session, g: &Global, p: &LandPlan, new_main: Oid) -> Result<()> {
    let repo = &s.repo;
    let main = &s.config.main_branch;
    let mut behind = Vec::new();
    // A kickoff cut from main without commits of its own is contained in the
    // new main too, yet lacks its new commits: only merged ones are skipped.
    let all = kickoffs::all(repo, &s.config)?;
    let merged = kickoffs::merged_flags(repo, Some(new_main), &all)?;
    for (k, merged) in all.into_iter().zip(merged) {
        if k.name == p.kickoff.name || merged {
            continue;
        }
        let count = repo.ahead_behind(new_main, k.tip())?.ahead;
        if count > 0 {
            behind.push((k, count));
        }
    }
    if behind.is_empty() {
        g.ui.info("no other live kickoff lacks the new main");
        return Ok(());
    }
    let tips: Vec<Tip> = behind
        .iter()
        .map(|(k, _)| Tip::new(k.branch(), k.tip()))
        .collect();
    let engine = Engine::new(repo, Options::for_repo(repo)?);
    let verdicts = engine.check_against(&Tip::new(main.clone(), new_main), &tips)?;
    let rows: Vec<Vec<String>> = behind
        .iter()
        .zip(&verdicts)
        .map(|((k, count), v)| {
            vec![
                k.branch(),
                count.to_string(),
                forecast(&v.outcome),
                format!("kickoff sync {}", k.name),
            ]
        })
        .collect();
    g.ui.warn(format!(
        "{} live kickoff(s) now lack {main}'s new commits; bring {main} into them:",
        rows.len()
    ));
    g.ui.data(&crate::output::table(
        &["KICKOFF", "BEHIND MAIN", "FORECAST", "NEXT"],
        &rows,
    ))
}

/// One cell: `clean`, `conflict: a.txt, b.txt`, or why it could not be checked.
fn forecast(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Clean => "clean".into(),
        Outcome::Conflict(paths) => {
            let names: Vec<&str> = paths.iter().map(|p| p.path.as_str()).collect();
            format!("conflict: {}", names.join(", "))
        }
        Outcome::Unknown(why) => format!("could not check: {why}"),
    }
}
