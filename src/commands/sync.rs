//! `kickoff sync [K]`: bring the remote's latest main into a kickoff with a
//! merge commit (never a rebase of a shared branch).
//!
//! When the kickoff is checked out, git merges in the work tree. When it is
//! not, a clean merge is computed with `git merge-tree --write-tree` and the
//! branch is moved with a compare-and-swap, leaving the work tree alone; a
//! conflicting one needs the kickoff checked out, which sync does when the
//! work tree is clean. On a conflict, sync stops in git's normal merge state
//! and records its own operation in `<git dir>/kickoff/sync.json`, so that
//! `--continue` and `--abort` finish or undo exactly that operation and
//! nothing else.

use crate::commands::Global;
use crate::commands::Session;
use crate::commands::new::short;
use crate::error::{Error, Result};
use crate::git::AheadBehind;
use crate::git::flow::TreeMerge;
use crate::git::git2::Oid;
use crate::kickoffs::{self, Kickoff};
use crate::plan::{Plan, Step};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Merge the remote's latest main into a kickoff (a merge commit, never a rebase).
///
/// The kickoff is K, else the current branch's kickoff, else asked on a
/// terminal. On a conflict sync stops with the conflicted files listed and
/// git's usual merge state: resolve them, `git add` them, then
/// `kickoff sync --continue`; or undo everything with `kickoff sync --abort`.
/// The result is pushed unless --no-push.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// The kickoff to sync [default: the current branch's kickoff].
    #[arg(value_name = "KICKOFF", conflicts_with_all = ["cont", "abort"])]
    pub kickoff: Option<String>,
    /// The kickoff, as an option like `release` takes it.
    #[arg(long = "kickoff", value_name = "KICKOFF", conflicts_with_all = ["kickoff", "cont", "abort"])]
    pub kickoff_flag: Option<String>,
    /// Commit the merge once its conflicts are resolved, and push it.
    #[arg(long = "continue", id = "cont", conflicts_with = "abort")]
    pub cont: bool,
    /// Undo the sync in progress: back to the state before it started.
    #[arg(long)]
    pub abort: bool,
    /// Do not push the kickoff after the merge.
    #[arg(long)]
    pub no_push: bool,
    /// Push even when .kickoff.toml sets `core.push = false`.
    #[arg(long, conflicts_with = "no_push")]
    pub push: bool,
    /// Print what would be done (including whether the merge conflicts), change nothing.
    /// With --continue or --abort: the steps that finish or undo the sync.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: print the plan as JSON.
    #[arg(long, requires = "dry_run")]
    pub json: bool,
}

/// Our own operation, recorded while a conflicted sync waits for the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRecord {
    pub version: u32,
    pub kickoff: String,
    /// The branch checked out before the sync (`None`: HEAD was detached at `head_oid`).
    pub head_branch: Option<String>,
    pub head_oid: Option<String>,
    /// The local kickoff before the sync (`None`: sync created it from the remote's).
    pub kickoff_before: Option<String>,
    /// The commit the merge started from.
    pub ours: String,
    /// The main commit being merged, and where it came from (`origin/main`).
    pub theirs: String,
    pub theirs_name: String,
    /// Where to push once the merge is committed.
    pub push: Option<String>,
}

const RECORD_VERSION: u32 = 1;

/// How the local kickoff relates to the remote's before merging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Use the local kickoff as it is (same as the remote's, ahead of it, or no remote).
    Local(Oid),
    /// The local kickoff is behind: fast-forward it from `from` to `to` first.
    FastForward { from: Oid, to: Oid },
    /// Only the remote has the kickoff: create the local branch at `to`.
    Create { to: Oid },
}

impl Start {
    /// The commit the merge starts from.
    pub fn ours(self) -> Oid {
        match self {
            Start::Local(o) | Start::FastForward { to: o, .. } | Start::Create { to: o } => o,
        }
    }

    pub fn before(self) -> Option<Oid> {
        match self {
            Start::Local(o) | Start::FastForward { from: o, .. } => Some(o),
            Start::Create { .. } => None,
        }
    }
}

/// Decide where the merge starts from the local and remote kickoff tips and
/// how they relate (`ab`: local ahead/behind remote).
pub fn decide_start(
    branch: &str,
    remote_name: &str,
    local: Option<Oid>,
    remote: Option<Oid>,
    ab: Option<AheadBehind>,
) -> Result<Start> {
    match (local, remote, ab) {
        (Some(l), Some(r), Some(ab)) => match (ab.ahead, ab.behind) {
            (_, 0) => Ok(Start::Local(l)),
            (0, _) => Ok(Start::FastForward { from: l, to: r }),
            (a, b) => Err(Error::refused_hint(
                format!(
                    "your {branch} and {remote_name}/{branch} have diverged ({a} and {b} commits of their own)"
                ),
                format!(
                    "bring them together first (`git switch {branch} && git pull --no-rebase`), then sync"
                ),
            )),
        },
        (Some(l), _, _) => Ok(Start::Local(l)),
        (None, Some(r), _) => Ok(Start::Create { to: r }),
        (None, None, _) => unreachable!("a kickoff exists locally or remotely"),
    }
}

/// Where the merge happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Main is already in the kickoff.
    UpToDate,
    /// The kickoff is checked out here: merge in the work tree.
    Worktree,
    /// Clean merge of a branch not checked out: no work tree involved.
    Detached { tree: Oid },
    /// Conflicting merge of a branch not checked out: check it out, then merge.
    CheckoutThenMerge { conflicts: Vec<String> },
}

/// Decide the route from what the repository says.
pub fn decide_route(
    branch: &str,
    up_to_date: bool,
    checked_out_here: bool,
    clean: bool,
    preview: Option<&TreeMerge>,
) -> Result<Route> {
    if up_to_date {
        return Ok(Route::UpToDate);
    }
    if checked_out_here {
        if !clean {
            return Err(Error::refused_hint(
                format!("{branch} is checked out and has uncommitted changes"),
                "commit or stash them, then sync again",
            ));
        }
        return Ok(Route::Worktree);
    }
    match preview.expect("a preview when not checked out") {
        TreeMerge::Clean(tree) => Ok(Route::Detached { tree: *tree }),
        TreeMerge::Conflicts(files) if clean => Ok(Route::CheckoutThenMerge {
            conflicts: files.clone(),
        }),
        TreeMerge::Conflicts(files) => Err(Error::refused_hint(
            format!(
                "merging main into {branch} conflicts in:\n  {}\nresolving needs {branch} checked out, and your work tree has uncommitted changes",
                files.join("\n  ")
            ),
            format!(
                "commit or stash your changes, then `kickoff sync {branch}` checks it out and stops at the conflicts"
            ),
        )),
    }
}

/// Everything `sync` decided before changing anything.
#[derive(Debug, Clone)]
pub struct SyncPlan {
    pub kickoff: Kickoff,
    pub start: Start,
    pub theirs: Oid,
    pub theirs_name: String,
    pub route: Route,
    /// Where the merge is expected to conflict (from `git merge-tree`), also
    /// when it happens in the checked-out work tree.
    pub conflicts: Vec<String>,
    pub push: Option<String>,
    /// Whether the push sets the upstream (the branch has none yet).
    pub set_upstream: bool,
    pub message: String,
    pub remote: String,
    pub checked_out_here: bool,
    /// The record `--continue` and `--abort` read, and where it is written.
    pub record: SyncRecord,
    pub record_path: PathBuf,
}

impl SyncPlan {
    /// The steps that carry the decision out. A work-tree merge writes the
    /// record first, so that a conflict (which stops the plan) can be
    /// continued or aborted, and a failure undoes the same steps --abort would.
    pub fn steps(&self) -> Plan {
        let branch = self.kickoff.branch();
        let worktree = matches!(
            self.route,
            Route::Worktree | Route::CheckoutThenMerge { .. }
        );
        let mut plan = Plan::new();
        if worktree {
            plan.push(Step::WriteFile {
                path: self.record_path.clone(),
                what: "the sync record".into(),
                content: record_text(&self.record),
            });
        }
        self.start_steps(&mut plan, &branch);
        match &self.route {
            Route::UpToDate => return plan,
            Route::Detached { tree } => plan.push(Step::CommitMerge {
                branch: branch.clone(),
                tree: *tree,
                ours: self.start.ours(),
                theirs: self.theirs,
                theirs_name: self.theirs_name.clone(),
                message: self.message.clone(),
            }),
            Route::Worktree | Route::CheckoutThenMerge { .. } => {
                if !self.checked_out_here {
                    plan.push(Step::Checkout {
                        branch: branch.clone(),
                    });
                }
                plan.push(Step::MergeInWorktree {
                    branch: branch.clone(),
                    theirs: self.theirs,
                    theirs_name: self.theirs_name.clone(),
                    message: self.message.clone(),
                    conflicts: self.conflicts.clone(),
                    on_conflict: RESOLVE_HINT.into(),
                });
                plan.push(Step::RemoveFile {
                    path: self.record_path.clone(),
                });
            }
        }
        if let Some(remote) = &self.push {
            plan.push(push_step(remote, &branch, self.set_upstream));
        }
        plan
    }

    /// Fast-forward or create the local kickoff before merging (see [`Start`]).
    fn start_steps(&self, plan: &mut Plan, branch: &str) {
        let remote = &self.remote;
        match self.start {
            Start::Local(_) => {}
            Start::FastForward { from, to } if self.checked_out_here => {
                plan.push(Step::FastForwardWorktree {
                    branch: branch.to_string(),
                    from,
                    to,
                    source: format!("{remote}/{branch}"),
                })
            }
            Start::FastForward { from, to } => plan.push(Step::UpdateRef {
                name: format!("refs/heads/{branch}"),
                new: to,
                old: Some(from),
                log: "kickoff sync: fast-forward".into(),
            }),
            Start::Create { to } => {
                plan.push(Step::CreateBranch {
                    branch: branch.to_string(),
                    at: to,
                    from: format!("{remote}/{branch}"),
                });
                plan.push(Step::SetConfig {
                    key: format!("branch.{branch}.remote"),
                    value: remote.clone(),
                });
                plan.push(Step::SetConfig {
                    key: format!("branch.{branch}.merge"),
                    value: format!("refs/heads/{branch}"),
                });
            }
        }
    }
}

const RESOLVE_HINT: &str = "resolve them and `git add` them, then `kickoff sync --continue`; or `kickoff sync --abort` to undo the sync";

pub fn run(args: SyncArgs, g: &Global) -> Result<()> {
    let session = Session::open(g)?;
    super::fresh::require_full_history(&session, "sync")?;
    if args.cont {
        return run_continue(&session, g, &args);
    }
    if args.abort {
        return run_abort(&session, g, &args);
    }
    if let Some(record) = load_record(&session)? {
        return Err(Error::refused_hint(
            format!("a sync of {} is in progress", record.kickoff),
            "finish it with `kickoff sync --continue` or undo it with `kickoff sync --abort`",
        ));
    }
    if session.repo.merge_in_progress() {
        return Err(Error::refused_hint(
            "a merge is in progress that kickoff did not start",
            "finish it (`git commit`) or abort it (`git merge --abort`) first",
        ));
    }
    let plan = plan(&session, g, &args)?;
    if plan.route == Route::UpToDate {
        g.ui.info(format!(
            "nothing to merge: {} already contains {}",
            plan.kickoff.branch(),
            plan.theirs_name
        ));
    }
    if args.dry_run {
        return super::show_plan(g, &plan.steps(), args.json);
    }
    super::run_plan(&session, g, &plan.steps())
}

/// Another work tree has the kickoff checked out: the sync belongs there.
fn refuse_if_checked_out_elsewhere(s: &Session, branch: &str) -> Result<()> {
    match s.repo.checked_out_elsewhere(branch)? {
        Some(path) => Err(Error::refused_hint(
            format!(
                "{branch} is checked out in another work tree, {}",
                path.display()
            ),
            format!("run `kickoff sync` there (cd {})", path.display()),
        )),
        None => Ok(()),
    }
}

/// A kickoff whose commits main already holds (it was landed) has nothing to sync.
fn refuse_if_landed(
    s: &Session,
    kickoff: &Kickoff,
    ours: Oid,
    theirs: Oid,
    theirs_name: &str,
) -> Result<()> {
    if !s.repo.is_ancestor(ours, theirs)? {
        return Ok(());
    }
    let probe = Kickoff {
        local: Some(ours),
        ..kickoff.clone()
    };
    if kickoffs::merged_given(&s.repo, theirs, &[probe], vec![true])?[0] {
        return Err(Error::refused_hint(
            format!(
                "{} is already merged into {theirs_name}; there is nothing to sync",
                kickoff.branch()
            ),
            "start a new kickoff for further work: `kickoff new <summary>`",
        ));
    }
    Ok(())
}

fn plan(s: &Session, g: &Global, args: &SyncArgs) -> Result<SyncPlan> {
    let cfg = &s.config;
    let remote = s.has_remote().then(|| cfg.remote.clone());
    if let Some(r) = &remote {
        s.repo.fetch_branches(r, &cfg.main_branch)?;
    }
    let kickoff = super::resolve_kickoff(
        &s.repo,
        cfg,
        &g.ui,
        args.kickoff.as_deref().or(args.kickoff_flag.as_deref()),
        "the KICKOFF argument",
    )?;
    let branch = kickoff.branch();
    let theirs = kickoffs::require_main_tip(&s.repo, cfg)?;
    let theirs_name = kickoffs::main_name(&s.repo, cfg, remote.as_deref())?;
    let ab = match (kickoff.local, kickoff.remote) {
        (Some(l), Some(r)) => Some(s.repo.ahead_behind(l, r)?),
        _ => None,
    };
    let start = decide_start(&branch, &cfg.remote, kickoff.local, kickoff.remote, ab)?;
    refuse_if_checked_out_elsewhere(s, &branch)?;
    let ours = start.ours();
    refuse_if_landed(s, &kickoff, ours, theirs, &theirs_name)?;
    let up_to_date = s.repo.is_ancestor(theirs, ours)?;
    let checked_out_here = s.repo.current_branch()?.as_deref() == Some(branch.as_str());
    let clean = s.repo.is_clean()?;
    // Previewed also when the merge happens in the work tree, so that the
    // plan names the conflicts the merge will stop on.
    let preview = if up_to_date {
        None
    } else {
        Some(s.repo.merge_trees(ours, theirs)?)
    };
    let route = decide_route(
        &branch,
        up_to_date,
        checked_out_here,
        clean,
        preview.as_ref(),
    )?;
    let want_push = !args.no_push && (args.push || cfg.push);
    let push = remote.filter(|_| want_push);
    let record = SyncRecord {
        version: RECORD_VERSION,
        kickoff: branch.clone(),
        head_branch: s.repo.current_branch()?,
        head_oid: s.repo.head_oid()?.map(|o| o.to_string()),
        kickoff_before: start.before().map(|o| o.to_string()),
        ours: ours.to_string(),
        theirs: theirs.to_string(),
        theirs_name: theirs_name.clone(),
        push: push.clone(),
    };
    let conflicts = match preview {
        Some(TreeMerge::Conflicts(files)) => files,
        _ => Vec::new(),
    };
    Ok(SyncPlan {
        message: format!("Merge {theirs_name} into {branch}"),
        set_upstream: s.repo.upstream(&branch)?.is_none(),
        kickoff,
        start,
        theirs,
        theirs_name,
        route,
        conflicts,
        push,
        remote: cfg.remote.clone(),
        checked_out_here,
        record,
        record_path: record_path(s),
    })
}

/// Push the kickoff after its merge; a failure leaves the merge done locally.
fn push_step(remote: &str, branch: &str, set_upstream: bool) -> Step {
    Step::Push {
        remote: remote.to_string(),
        refspecs: vec![format!("refs/heads/{branch}:refs/heads/{branch}")],
        what: branch.to_string(),
        set_upstream,
        env: Vec::new(),
        hint: Some(format!(
            "the merge is done locally; push it yourself: git push {remote} {branch}"
        )),
    }
}

// ---- --continue and --abort --------------------------------------------------------

fn no_sync_in_progress(s: &Session) -> Error {
    if s.repo.merge_in_progress() {
        Error::refused_hint(
            "the merge in progress was not started by kickoff sync",
            "finish it with `git commit` or undo it with `git merge --abort`",
        )
    } else {
        Error::refused_hint(
            "no kickoff sync is in progress",
            "`kickoff sync [KICKOFF]` starts one; --continue and --abort finish one that stopped on conflicts",
        )
    }
}

/// Whether the merge in progress is the one our record describes.
fn check_ours(s: &Session, record: &SyncRecord) -> Result<Option<Oid>> {
    let current = s.repo.current_branch()?;
    if current.as_deref() != Some(record.kickoff.as_str()) {
        return Err(Error::refused_hint(
            format!(
                "the sync of {} is in progress, but {} is checked out",
                record.kickoff,
                current.as_deref().unwrap_or("a detached HEAD")
            ),
            format!("`git switch {}` first", record.kickoff),
        ));
    }
    let merge_head = s.repo.merge_head()?;
    if let Some(m) = merge_head {
        if m.to_string() != record.theirs {
            return Err(Error::refused_hint(
                "the merge in progress is not the one kickoff sync started",
                "finish or abort it with git first (`git merge --abort`)",
            ));
        }
    }
    Ok(merge_head)
}

fn run_continue(s: &Session, g: &Global, args: &SyncArgs) -> Result<()> {
    let record = load_record(s)?.ok_or_else(|| no_sync_in_progress(s))?;
    let merge_head = check_ours(s, &record)?;
    let branch = record.kickoff.clone();
    let mut plan = Plan::new();
    match merge_head {
        Some(_) => {
            let conflicts = s.repo.conflicted_paths()?;
            if !conflicts.is_empty() {
                return Err(Error::refused_hint(
                    format!("conflicts remain in:\n  {}", conflicts.join("\n  ")),
                    "resolve them and `git add` them, then `kickoff sync --continue` again",
                ));
            }
            plan.push(Step::CommitResolvedMerge {
                branch: branch.clone(),
                theirs_name: record.theirs_name.clone(),
            });
        }
        None => {
            // The user committed the merge with git already: that is fine.
            let head = committed_merge(s, &record)?;
            if !args.dry_run {
                g.ui.done(format!(
                    "merged {} into {branch} ({})",
                    record.theirs_name,
                    short(head)
                ));
            }
        }
    }
    plan.push(Step::RemoveFile {
        path: record_path(s),
    });
    if let Some(remote) = &record.push {
        let set_upstream = s.repo.upstream(&branch)?.is_none();
        plan.push(push_step(remote, &branch, set_upstream));
    }
    if args.dry_run {
        return super::show_plan(g, &plan, args.json);
    }
    super::run_plan(s, g, &plan)?;
    if record.head_branch.as_deref() != Some(branch.as_str()) {
        g.ui.info(format!(
            "you are on {branch}; `git switch -` takes you back to where you were"
        ));
    }
    Ok(())
}

/// The merge the user committed with git, when it is the sync's merge.
fn committed_merge(s: &Session, record: &SyncRecord) -> Result<Oid> {
    let head = s
        .repo
        .head_oid()?
        .ok_or(crate::git::GitError::DetachedHead)?;
    let parents: Vec<String> = s.repo.parents(head)?.iter().map(Oid::to_string).collect();
    if parents != [record.ours.clone(), record.theirs.clone()] {
        return Err(Error::refused_hint(
            "the sync's merge is no longer in progress",
            "`kickoff sync --abort` restores the state from before the sync",
        ));
    }
    Ok(head)
}

fn run_abort(s: &Session, g: &Global, args: &SyncArgs) -> Result<()> {
    let record = load_record(s)?.ok_or_else(|| no_sync_in_progress(s))?;
    let merge_head = check_ours(s, &record)?;
    if merge_head.is_none() {
        let head = s.repo.head_oid()?.map(|o| o.to_string());
        if head.as_deref() != Some(record.ours.as_str()) {
            return Err(Error::refused_hint(
                format!(
                    "{} has moved since the sync stopped (the merge was committed?)",
                    record.kickoff
                ),
                "`kickoff sync --continue` pushes a committed merge; undo commits with git yourself",
            ));
        }
    }
    let plan = abort_plan(s, &record, merge_head.is_some())?;
    if args.dry_run {
        return super::show_plan(g, &plan, args.json);
    }
    super::run_plan(s, g, &plan)?;
    g.ui.done(format!(
        "sync of {} aborted; everything is as it was before",
        record.kickoff
    ));
    Ok(())
}

/// The steps back to the state the record describes: no merge, the kickoff
/// where it was (or gone when sync created it), the previous checkout.
fn abort_plan(s: &Session, record: &SyncRecord, merging: bool) -> Result<Plan> {
    let repo = &s.repo;
    let branch = &record.kickoff;
    let parse = |o: &str| Oid::from_str(o).map_err(crate::git::GitError::from);
    let before = record.kickoff_before.as_deref().map(parse).transpose()?;
    let ours = parse(&record.ours)?;
    let mut plan = Plan::new();
    if merging {
        plan.push(Step::AbortMerge {
            branch: branch.clone(),
        });
    }
    if record.head_branch.as_deref() != Some(branch.as_str()) {
        match (&record.head_branch, &record.head_oid) {
            (Some(b), _) => plan.push(Step::Checkout { branch: b.clone() }),
            (None, Some(o)) => plan.push(Step::CheckoutDetached { at: parse(o)? }),
            (None, None) => {}
        }
        let now = repo.branch_oid(branch)?;
        match (before, now) {
            (Some(old), now) if old != ours => plan.push(Step::UpdateRef {
                name: format!("refs/heads/{branch}"),
                new: old,
                old: now,
                log: "kickoff sync --abort".into(),
            }),
            (None, Some(_)) => plan.push(Step::DeleteBranch {
                branch: branch.clone(),
            }),
            _ => {}
        }
    } else if let Some(old) = before.filter(|o| *o != ours) {
        plan.push(Step::ResetKeep {
            branch: branch.clone(),
            to: old,
        });
    }
    plan.push(Step::RemoveFile {
        path: record_path(s),
    });
    Ok(plan)
}

// ---- the record ----------------------------------------------------------------------

fn record_path(s: &Session) -> PathBuf {
    s.repo.git_dir().join("kickoff").join("sync.json")
}

fn load_record(s: &Session) -> Result<Option<SyncRecord>> {
    let path = record_path(s);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), e)),
    };
    let record: SyncRecord = serde_json::from_str(&text).map_err(|e| {
        Error::refused_because(
            format!("{} is not a sync record kickoff can read", path.display()),
            Some("finish or abort the merge with git, then delete the file".into()),
            e,
        )
    })?;
    if record.version != RECORD_VERSION {
        return Err(Error::refused_hint(
            format!(
                "{} was written by another kickoff version (record version {})",
                path.display(),
                record.version
            ),
            "finish or abort the merge with git, then delete the file",
        ));
    }
    Ok(Some(record))
}

/// The record as it is written to `<git dir>/kickoff/sync.json`.
fn record_text(record: &SyncRecord) -> String {
    serde_json::to_string_pretty(record).expect("serializable") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(n: u8) -> Oid {
        Oid::from_bytes(&[n; 20]).unwrap()
    }

    fn ab(ahead: usize, behind: usize) -> Option<AheadBehind> {
        Some(AheadBehind { ahead, behind })
    }

    #[test]
    fn start_points() {
        let k = "kickoff-240510-x";
        let s = decide_start(k, "origin", Some(oid(1)), Some(oid(1)), ab(0, 0)).unwrap();
        assert_eq!(s, Start::Local(oid(1)));
        let s = decide_start(k, "origin", Some(oid(1)), Some(oid(2)), ab(2, 0)).unwrap();
        assert_eq!(s, Start::Local(oid(1)));
        let s = decide_start(k, "origin", Some(oid(1)), Some(oid(2)), ab(0, 3)).unwrap();
        assert_eq!(
            s,
            Start::FastForward {
                from: oid(1),
                to: oid(2)
            }
        );
        assert_eq!(s.ours(), oid(2));
        assert_eq!(s.before(), Some(oid(1)));
        let s = decide_start(k, "origin", None, Some(oid(2)), None).unwrap();
        assert_eq!(s.before(), None);
        let e = decide_start(k, "origin", Some(oid(1)), Some(oid(2)), ab(1, 1)).unwrap_err();
        assert!(e.to_string().contains("diverged"), "{e}");
        assert_eq!(e.exit_code(), 1);
    }

    #[test]
    fn routes() {
        let k = "kickoff-240510-x";
        assert_eq!(
            decide_route(k, true, false, false, None).unwrap(),
            Route::UpToDate
        );
        assert_eq!(
            decide_route(k, false, true, true, None).unwrap(),
            Route::Worktree
        );
        assert!(decide_route(k, false, true, false, None).is_err());
        let clean = TreeMerge::Clean(oid(3));
        assert_eq!(
            decide_route(k, false, false, false, Some(&clean)).unwrap(),
            Route::Detached { tree: oid(3) }
        );
        let conflict = TreeMerge::Conflicts(vec!["a.txt".into()]);
        assert_eq!(
            decide_route(k, false, false, true, Some(&conflict)).unwrap(),
            Route::CheckoutThenMerge {
                conflicts: vec!["a.txt".into()]
            }
        );
        let e = decide_route(k, false, false, false, Some(&conflict)).unwrap_err();
        assert!(e.to_string().contains("a.txt"), "{e}");
    }
}
