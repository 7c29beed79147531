//! `kickoff land`: merge a released kickoff into main after its deployment.

use crate::cli::Global;
use crate::commands::Session;
use crate::conflict::{Engine, Options, Outcome, Tip};
use crate::error::{Error, Result};
use crate::git::git2::Oid;
use crate::kickoffs::{self, Kickoff};
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
    /// Update the local main only.
    #[arg(long)]
    pub no_push: bool,
    /// Land a kickoff that is not (or not entirely) released.
    #[arg(long)]
    pub unreleased: bool,
    /// Print what would be done, change nothing.
    #[arg(long)]
    pub dry_run: bool,
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
}

pub fn run(args: LandArgs, g: &Global) -> Result<()> {
    let session = Session::open(g)?;
    let plan = plan(&session, g, &args)?;
    if args.dry_run {
        g.ui.data(&describe(&session, &plan))?;
        g.ui.info("dry run: nothing changed");
        return Ok(());
    }
    execute(&session, g, &plan)
}

pub fn plan(s: &Session, g: &Global, args: &LandArgs) -> Result<LandPlan> {
    let (repo, cfg) = (&s.repo, &s.config);
    let remote = s.has_remote().then(|| cfg.remote.clone());
    if let Some(r) = &remote {
        repo.fetch_branches(r, &cfg.main_branch)?;
    }
    let kickoff = kickoffs::resolve(
        repo,
        cfg,
        &g.ui,
        args.kickoff.as_deref(),
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
    let main_from = match &remote {
        Some(r) if repo.remote_branch_oid(r, &cfg.main_branch)?.is_some() => {
            format!("{r}/{}", cfg.main_branch)
        }
        _ => cfg.main_branch.clone(),
    };
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
    Ok(LandPlan {
        kickoff,
        version: facts.version,
        mode,
        main_old,
        main_from,
        local_main,
        main_checked_out,
        push: remote.filter(|_| !args.no_push),
    })
}

fn describe(s: &Session, p: &LandPlan) -> String {
    let main = &s.config.main_branch;
    let what = match &p.version {
        Some(v) => format!("{} (platform v{v})", p.kickoff.name),
        None => format!("{} (not released)", p.kickoff.name),
    };
    let mut text = match p.mode {
        LandMode::AlreadyLanded => {
            return format!("{what} is already in {}; nothing to do\n", p.main_from);
        }
        LandMode::FastForward => format!(
            "fast-forward {main} from {} ({}) to {what} at {}\n",
            p.main_from,
            short(p.main_old),
            short(p.kickoff.tip())
        ),
        LandMode::Merge => format!(
            "merge {what} into {main} at {} ({}) with a merge commit\n",
            p.main_from,
            short(p.main_old)
        ),
    };
    if let Some(r) = &p.push {
        text.push_str(&format!(
            "push {main} to {r} ({LAND_ENV}=1 for the pre-push hook)\n"
        ));
    }
    text.push_str(&format!("update the local {main}\n"));
    if p.push.is_some() && s.config.slots.is_configured() {
        text.push_str(&format!(
            "give back the QA slot {} holds, if any\n",
            p.kickoff.name
        ));
    }
    text
}

fn merge_message(s: &Session, p: &LandPlan) -> String {
    let main = &s.config.main_branch;
    match &p.version {
        Some(v) => format!(
            "Merge {} (platform v{v}) into {main}\n\nPlatform-Version: {v}\nKickoff: {}\n",
            p.kickoff.name, p.kickoff.name
        ),
        None => format!(
            "Merge {} into {main}\n\nKickoff: {}\n",
            p.kickoff.name, p.kickoff.name
        ),
    }
}

fn execute(s: &Session, g: &Global, p: &LandPlan) -> Result<()> {
    let (repo, cfg) = (&s.repo, &s.config);
    let main = &cfg.main_branch;
    if p.mode == LandMode::AlreadyLanded {
        g.ui.info(describe(s, p).trim_end());
        return Ok(());
    }
    let new_main = match p.mode {
        LandMode::FastForward => p.kickoff.tip(),
        _ => repo
            .merge_commit_in_memory(p.main_old, p.kickoff.tip(), &merge_message(s, p))?
            .ok_or_else(|| {
                Error::refused(format!(
                    "merging {} into {main} has conflicts",
                    p.kickoff.name
                ))
            })?,
    };
    if let Some(r) = &p.push {
        let refspec = format!("{new_main}:refs/heads/{main}");
        repo.push_with_env(r, &[&refspec], &[(LAND_ENV, "1")])
            .map_err(|e| {
                Error::failed(
                    format!("could not push {main} to {r}; nothing was changed locally"),
                    Some(format!(
                        "if {main} moved on {r} meanwhile, run `kickoff land {}` again",
                        p.kickoff.name
                    )),
                    e,
                )
            })?;
        g.ui.done(format!("pushed {main} to {r} ({})", short(new_main)));
    }
    if p.main_checked_out {
        repo.fast_forward_checked_out(new_main)?;
    } else if let Some(old) = p.local_main {
        repo.update_ref_cas(
            &format!("refs/heads/{main}"),
            new_main,
            Some(old),
            &format!("kickoff land: {}", p.kickoff.name),
        )?;
    } else {
        repo.create_branch(main, new_main, &format!("kickoff land: {}", p.kickoff.name))?;
    }
    let how = match p.mode {
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
    if p.push.is_none() {
        g.ui.info(format!(
            "--no-push: any QA slot {kickoff} holds stays held; `kickoff slot release` frees it"
        ));
        return;
    }
    match crate::slots::service::release_for_kickoff(&s.repo, &s.config, &g.ui, &kickoff) {
        Ok(Some(slot)) => g.ui.done(format!("released QA slot {slot}, held by {kickoff}")),
        Ok(None) => {}
        Err(e) => g.ui.warn(format!(
            "could not release the QA slot of {kickoff}: {e}; run `kickoff slot release` once the remote answers"
        )),
    }
}

/// The other live kickoffs that now lack main's new commits, each with a
/// conflict forecast: what bringing the new main into it would do.
fn report_others(s: &Session, g: &Global, p: &LandPlan, new_main: Oid) -> Result<()> {
    let repo = &s.repo;
    let main = &s.config.main_branch;
    let mut behind = Vec::new();
    for k in kickoffs::all(repo, &s.config)? {
        if k.name == p.kickoff.name || repo.is_ancestor(k.tip(), new_main)? {
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

fn short(oid: Oid) -> String {
    oid.to_string()[..10].to_string()
}
