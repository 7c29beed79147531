//! The shared state store: a commit chain under `refs/kickoff/state` whose
//! trees hold plain text files (see `crate::slots::model` for the layout).
//!
//! Every change is one commit, whose message carries the operation as JSON on
//! its last line. Locally the ref moves only by compare-and-swap; remotely the
//! chain is fetched into the private tracking ref
//! `refs/kickoff/remotes/<remote>/state` and pushed without force, so the
//! remote accepts it only as a fast-forward of what it has. When the push is
//! refused the whole operation starts again from a fresh fetch: the operation
//! is applied again to the new state and may now be refused, so the remote is
//! the one arbiter.
//!
//! Crash safety: the order is objects, then the local ref, then the push. A
//! process killed after writing objects leaves unreachable objects only. One
//! killed after moving the local ref leaves commits the remote lacks; the next
//! command that reads or writes the state finds them ("pending"), applies
//! their operations again on top of the remote's state (dropping, with a
//! warning, any that the fresh state refuses) and pushes the result.
//!
//! Only this clone's own changes are ever applied again: each is written to
//! the clone's journal ([`journal`]) before the local ref moves and removed
//! once the remote holds it. A state commit the local ref has but neither
//! the remote nor the journal knows (the remote was rewound or its ref
//! deleted by an administrator) is left behind, never pushed back.
//!
//! Fault injection for tests only: `KICKOFF_TEST_CRASH_AT=objects|local-ref|before-push|after-push`
//! (optionally `@N` for the N-th change of the process) makes the process exit
//! at once (exit code 86) at that point of a change.

use crate::error::{Error, Result};
use crate::git::git2::Oid;
use crate::git::{GitError, PushOutcome, Repo};
use crate::slots::validate::Problem;
use crate::slots::{Applied, Op, SlotError, SlotState};
use std::collections::BTreeMap;

pub mod journal;
pub mod recorded;
pub use journal::Journal;

pub const STATE_REF: &str = "refs/kickoff/state";
/// Attempts before a change gives up under contention.
pub const MAX_ATTEMPTS: usize = 40;
/// How far back the remote's chain is searched for an operation that a
/// pending local commit carries (already published by another process).
const PUBLISHED_WINDOW: usize = 500;
/// State commits larger than this carry no operation kickoff wrote.
const MAX_COMMIT: u64 = 256 * 1024;
pub const CRASH_ENV: &str = "KICKOFF_TEST_CRASH_AT";
pub const CRASH_EXIT: i32 = 86;

/// The private ref the remote's chain is fetched into.
pub fn tracking_ref(remote: &str) -> String {
    format!("refs/kickoff/remotes/{remote}/state")
}

/// Changes this process has started (for `KICKOFF_TEST_CRASH_AT=<point>@<n>`).
static CHANGES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Test-only fault injection: exit abruptly when `KICKOFF_TEST_CRASH_AT` names
/// this point (`local-ref`), or this point in the n-th change of the process
/// (`before-push@2`: the second change, e.g. the record of a deploy).
pub fn crash_point(point: &str) {
    let Ok(wanted) = std::env::var(CRASH_ENV) else {
        return;
    };
    let n = CHANGES.load(std::sync::atomic::Ordering::SeqCst);
    let hit = match wanted.split_once('@') {
        Some((p, nth)) => p == point && nth.parse() == Ok(n),
        None => wanted == point,
    };
    if hit {
        eprintln!("kickoff: {CRASH_ENV}={point}: exiting abruptly");
        std::process::exit(CRASH_EXIT);
    }
}

/// What the store tells the person running kickoff while it works. The store
/// never prints: it hands each notice to its [`Notices`], and the command
/// decides how to show it (`commands` prints them on stderr).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Something in the shared state is wrong, or was dropped.
    Warning(String),
    /// Progress worth a line (an interrupted change completed).
    Progress(String),
}

/// Where a store's notices go.
pub trait Notices {
    fn notice(&self, notice: Notice);
}

/// Keeps notices as data (for tests, and for callers that show them later).
#[derive(Debug, Default)]
pub struct Collected(pub std::cell::RefCell<Vec<Notice>>);

impl Notices for Collected {
    fn notice(&self, notice: Notice) {
        self.0.borrow_mut().push(notice);
    }
}

impl Collected {
    pub fn take(&self) -> Vec<Notice> {
        std::mem::take(&mut self.0.borrow_mut())
    }
}

/// Statistics of one change, for `--json` output and the tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// How many times the change was built (1 = no conflict).
    pub attempts: usize,
    /// Interrupted changes found and applied again.
    pub replayed: usize,
    /// Interrupted changes the fresh state refused.
    pub dropped: usize,
}

/// The state after a read or a change.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub state: SlotState,
    pub commit: Option<Oid>,
    pub stats: Stats,
}

pub struct Store<'a> {
    repo: &'a Repo,
    /// `None`: no remote; the local ref is the arbiter.
    remote: Option<String>,
    names: Vec<String>,
    notices: &'a dyn Notices,
    journal: Journal,
    /// Problems already reported by this process.
    warned: std::cell::RefCell<std::collections::BTreeSet<String>>,
}

impl<'a> Store<'a> {
    pub fn new(
        repo: &'a Repo,
        remote: Option<String>,
        names: Vec<String>,
        notices: &'a dyn Notices,
    ) -> Self {
        Store {
            repo,
            remote,
            names,
            notices,
            journal: Journal::new(repo.common_dir()),
            warned: Default::default(),
        }
    }

    fn warn(&self, message: String) {
        self.notices.notice(Notice::Warning(message));
    }

    /// This clone's journal of unpublished changes.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    pub fn has_remote(&self) -> bool {
        self.remote.is_some()
    }

    /// The remote the state is shared through (`None`: local only).
    pub fn remote(&self) -> Option<&str> {
        self.remote.as_deref()
    }

    /// The state at a commit (`None`: the empty state). What is bad in it
    /// is reported (once per process) and left out.
    pub fn load(&self, commit: Option<Oid>) -> Result<SlotState> {
        Ok(self.load_tree(commit)?.state)
    }

    /// The state at a commit and the files to carry into the next commit.
    fn load_tree(&self, commit: Option<Oid>) -> Result<Tree> {
        let Some(c) = commit else {
            return Ok(Tree::default());
        };
        let entries = self.repo.state_entries(c)?;
        let loaded = crate::slots::validate::load(entries, |oid| {
            self.repo.blob_content(*oid).map_err(|e| e.to_string())
        });
        self.report(c, &loaded.problems);
        Ok(Tree {
            state: loaded.state,
            files: loaded.keep,
        })
    }

    /// Warn about what a state commit holds that cannot be used.
    fn report(&self, commit: Oid, problems: &[Problem]) {
        let short = &commit.to_string()[..10];
        let mut warned = self.warned.borrow_mut();
        for p in problems {
            if !warned.insert(format!("{}\0{}", p.path, p.reason)) {
                continue;
            }
            if p.dropped {
                self.warn(format!(
                    "state commit {short}: ignoring {:?} ({}); the next state change leaves it out",
                    p.path, p.reason
                ));
            } else {
                self.warn(format!(
                    "state commit {short}: skipping {} ({}); remove it with `kickoff slot admin remove {}`",
                    p.path, p.reason, p.path
                ));
            }
        }
    }

    /// Write the commit that takes `tree` (at `parent`) to `after`.
    fn commit_change(
        &self,
        parent: Option<Oid>,
        tree: &mut Tree,
        after: SlotState,
        message: &str,
    ) -> Result<Oid> {
        for (path, content) in changes(&tree.state, &after) {
            match content {
                Some(bytes) => {
                    let oid = self.repo.write_blob(&bytes)?;
                    tree.files.insert(path, oid);
                }
                None => {
                    tree.files.remove(&path);
                }
            }
        }
        tree.state = after;
        Ok(self.repo.write_state_commit(parent, &tree.files, message)?)
    }

    /// Every entry of a state commit's tree and whether kickoff uses it.
    pub fn files(&self, commit: Oid) -> Result<Vec<FileInfo>> {
        let entries = self.repo.state_entries(commit)?;
        let loaded = crate::slots::validate::load(entries.clone(), |oid| {
            self.repo.blob_content(*oid).map_err(|e| e.to_string())
        });
        Ok(entries
            .iter()
            .map(|e| {
                let path = String::from_utf8_lossy(&e.path).into_owned();
                let problem = loaded.problems.iter().find(|p| p.path == path);
                FileInfo {
                    status: match problem {
                        None => "ok",
                        Some(p) if p.dropped => "dropped",
                        Some(_) => "skipped",
                    },
                    reason: problem.map(|p| p.reason.clone()),
                    size: e.size,
                    path,
                }
            })
            .collect())
    }

    /// The last `limit` changes of the chain ending at `tip`, newest first.
    pub fn history(&self, tip: Oid, limit: usize) -> Result<Vec<HistoryEntry>> {
        let mut out = Vec::new();
        let mut next = Some(tip);
        while let Some(c) = next.filter(|_| out.len() < limit) {
            if self.repo.object_size(c)? > MAX_COMMIT {
                out.push(HistoryEntry {
                    commit: c.to_string(),
                    at: chrono::DateTime::UNIX_EPOCH,
                    by: crate::slots::Person {
                        name: "?".into(),
                        email: "?".into(),
                    },
                    summary: "(a commit too large to read)".into(),
                    op: None,
                });
                next = self.parent(c);
                continue;
            }
            let info = self.repo.commit_info(c)?;
            let clean = |s: &str, max: usize| -> String {
                s.chars()
                    .map(|ch| if ch.is_control() { ' ' } else { ch })
                    .take(max)
                    .collect()
            };
            out.push(HistoryEntry {
                commit: c.to_string(),
                at: chrono::DateTime::from_timestamp(info.time, 0).unwrap_or_default(),
                by: crate::slots::Person {
                    name: clean(&info.name, 200),
                    email: clean(&info.email, 200),
                },
                summary: clean(
                    info.message
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .trim_start_matches("kickoff state: "),
                    200,
                ),
                op: parse_op(&info.message),
            });
            next = info.parent;
        }
        Ok(out)
    }

    /// The operation a state commit carries, if it is one kickoff wrote.
    pub fn op_of(&self, commit: Oid) -> Result<Option<Op>> {
        if self.repo.object_size(commit)? > MAX_COMMIT {
            return Ok(None);
        }
        Ok(parse_op(&self.repo.commit_message(commit)?))
    }

    /// Fetch the remote's chain; return (remote tip, local tip).
    fn refresh(&self) -> Result<(Option<Oid>, Option<Oid>)> {
        let local = self.repo.ref_target(STATE_REF)?;
        let Some(remote) = &self.remote else {
            return Ok((local, local));
        };
        let tracking = tracking_ref(remote);
        self.repo
            .fetch_ref(remote, STATE_REF, &tracking)
            .map_err(|e| fetch_error(remote, e))?;
        Ok((self.repo.ref_target(&tracking)?, local))
    }

    /// Read the state. Unless `offline`, fetch first. The local ref then
    /// mirrors the remote's (a rewound or deleted remote state included);
    /// only this clone's own unpublished changes (its journal) are applied
    /// again and published on the way.
    pub fn read(&self, offline: bool) -> Result<Loaded> {
        if offline || self.remote.is_none() && self.journal.is_empty() {
            let commit = self.repo.ref_target(STATE_REF)?;
            return Ok(Loaded {
                state: self.load(commit)?,
                commit,
                stats: Stats::default(),
            });
        }
        let lock = self.lock()?;
        if self.journal.pending(crate::slots::clock::now()).is_empty() {
            let (base, local) = self.refresh()?;
            self.mirror(base, local)?;
            return Ok(Loaded {
                state: self.load(base)?,
                commit: base,
                stats: Stats::default(),
            });
        }
        drop(lock);
        let (_, loaded) = self.change(None)?;
        Ok(loaded)
    }

    /// Point the local ref where the remote's is (deleting it when the remote
    /// has none). Commits only the local ref had are left behind: what this
    /// clone made and has not published is in its journal.
    fn mirror(&self, base: Option<Oid>, local: Option<Oid>) -> Result<()> {
        if base == local || self.remote.is_none() {
            return Ok(());
        }
        match base {
            Some(b) => {
                self.repo
                    .update_ref_cas(STATE_REF, b, local, "kickoff: the remote's state")?;
            }
            None => {
                if let Some(local) = local {
                    self.repo.delete_ref_if(STATE_REF, local)?;
                }
            }
        }
        Ok(())
    }

    /// Serialize state work among kickoff processes of this clone: they share
    /// the local ref and the journal.
    fn lock(&self) -> Result<StateLock> {
        StateLock::acquire(&self.repo.common_dir().join("kickoff").join("state.lock"))
    }

    /// Apply `op` to the freshest state the remote has and publish it.
    pub fn apply(&self, op: &Op) -> Result<(Applied, Loaded)> {
        let (applied, loaded) = self.change(Some(op))?;
        Ok((applied.expect("an operation was applied"), loaded))
    }

    /// The change loop: fetch, apply this clone's unpublished changes again
    /// on the remote's tip, add `op`, compare-and-swap the local ref, push
    /// fast-forward only; retry from the fetch when anything moved underneath.
    fn change(&self, op: Option<&Op>) -> Result<(Option<Applied>, Loaded)> {
        let _lock = self.lock()?;
        // The commit of ours the local ref holds, and the one before it.
        let mut ours: Option<(Oid, Option<Oid>)> = None;
        let result = self.change_loop(op, &mut ours);
        match &result {
            Ok(_) => {
                if let Some(op) = op {
                    self.journal.remove(op.id());
                }
            }
            Err(_) => self.give_back(op, ours),
        }
        result
    }

    fn change_loop(
        &self,
        op: Option<&Op>,
        ours: &mut Option<(Oid, Option<Oid>)>,
    ) -> Result<(Option<Applied>, Loaded)> {
        if op.is_some() {
            CHANGES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        let mut stats = Stats::default();
        // The last change whose push was reported as rejected.
        let mut rejected: Option<Built> = None;
        for attempt in 1..=MAX_ATTEMPTS {
            stats.attempts = attempt;
            let (base, local) = self.refresh()?;
            if let Some(done) = self.landed_after_all(rejected.as_ref(), base, local, &stats)? {
                return Ok(done);
            }
            let built = self.build(base, op, &mut stats)?;
            match self.publish(built, base, local, ours, &stats)? {
                Attempt::Done(done) => return Ok(done),
                Attempt::Again(pushed) => {
                    if pushed.is_some() {
                        rejected = pushed;
                    }
                    backoff(attempt);
                }
            }
        }
        Err(SlotError::Busy {
            attempts: MAX_ATTEMPTS,
        }
        .into())
    }

    /// A push reported as rejected may still have landed: the remote's tip
    /// now contains it and the local ref still holds it.
    fn landed_after_all(
        &self,
        rejected: Option<&Built>,
        base: Option<Oid>,
        local: Option<Oid>,
        stats: &Stats,
    ) -> Result<Option<(Option<Applied>, Loaded)>> {
        let (Some(b), Some(pushed)) = (rejected, rejected.and_then(|r| r.tip)) else {
            return Ok(None);
        };
        match base {
            Some(base) if self.repo.is_ancestor(pushed, base)? && local == Some(pushed) => {
                Ok(Some(self.done(b.clone(), Some(pushed), stats)))
            }
            _ => Ok(None),
        }
    }

    /// Build the change on the remote's tip `base`: this clone's unpublished
    /// changes applied again, then `op`, one commit each; `op` goes into the
    /// journal before any ref moves.
    fn build(&self, base: Option<Oid>, op: Option<&Op>, stats: &mut Stats) -> Result<Built> {
        let rebuilt = self.rebuild(base, op.map(Op::id))?;
        let (mut tree, mut tip) = (rebuilt.tree, rebuilt.tip);
        let mut state = tree.state.clone();
        stats.replayed = rebuilt.replayed.len();
        stats.dropped = rebuilt.dropped;
        let mut mine = None;
        let applied = match op {
            Some(op) => {
                let applied = op.apply(&mut state, &self.names)?;
                if state != tree.state {
                    let message = message(op, &applied.notes);
                    let new = self.commit_change(tip, &mut tree, state.clone(), &message)?;
                    mine = Some((new, tip));
                    tip = Some(new);
                }
                Some(applied)
            }
            None => None,
        };
        crash_point("objects");
        if let (Some(op), Some(_)) = (op, mine) {
            self.journal.add(op).map_err(|e| {
                Error::io(
                    format!(
                        "cannot write the journal in {}",
                        self.journal.dir().display()
                    ),
                    e,
                )
            })?;
        }
        Ok(Built {
            tip,
            applied,
            state,
            replayed: rebuilt.replayed,
            mine,
        })
    }

    /// Move the local ref to the built tip by compare-and-swap, then push it
    /// fast-forward only. `Again`: something moved underneath (another
    /// process of this clone, or the remote), build once more.
    fn publish(
        &self,
        built: Built,
        base: Option<Oid>,
        local: Option<Oid>,
        ours: &mut Option<(Oid, Option<Oid>)>,
        stats: &Stats,
    ) -> Result<Attempt> {
        let Some(new) = built.tip else {
            // Nothing at all: no state anywhere and nothing to add.
            self.mirror(None, local)?;
            return Ok(Attempt::Done(self.done(built, None, stats)));
        };
        if local != Some(new)
            && self
                .repo
                .update_ref_cas(STATE_REF, new, local, "kickoff: state change")
                .is_err()
        {
            // Another kickoff process in this clone moved it: start over.
            return Ok(Attempt::Again(None));
        }
        *ours = built.mine;
        crash_point("local-ref");
        let Some(remote) = &self.remote else {
            return Ok(Attempt::Done(self.done(built, Some(new), stats)));
        };
        if base == Some(new) {
            return Ok(Attempt::Done(self.done(built, Some(new), stats)));
        }
        crash_point("before-push");
        match self.repo.push_fast_forward(remote, new, STATE_REF) {
            Ok(PushOutcome::Accepted) => {
                self.repo
                    .set_ref(&tracking_ref(remote), new, "kickoff: pushed state")?;
                crash_point("after-push");
                Ok(Attempt::Done(self.done(built, Some(new), stats)))
            }
            Ok(PushOutcome::Rejected(_)) => Ok(Attempt::Again(Some(built))),
            Ok(PushOutcome::Refused(why)) => Err(Error::Refused {
                message: format!("{remote} refused the shared state ({STATE_REF}):\n{why}"),
                hint: Some(
                    "the remote turned the push down for a reason of its own (a hook or a permission); ask whoever runs it to let refs/kickoff/state be pushed".into(),
                ),
            }),
            Err(e) => {
                // The connection may have failed after the remote took it.
                if let Ok((Some(b), _)) = self.refresh() {
                    if self.repo.is_ancestor(new, b).unwrap_or(false) {
                        return Ok(Attempt::Done(self.done(built, Some(new), stats)));
                    }
                }
                Err(Error::Git(e))
            }
        }
    }

    /// The change is where it belongs: the operations it applied again are
    /// published; return what `op` did and the state at `commit`.
    fn done(&self, built: Built, commit: Option<Oid>, stats: &Stats) -> (Option<Applied>, Loaded) {
        self.published(&built.replayed);
        (
            built.applied,
            Loaded {
                state: built.state,
                commit,
                stats: stats.clone(),
            },
        )
    }

    /// The remote holds these operations now: out of the journal.
    fn published(&self, ids: &[String]) {
        for id in ids {
            self.journal.remove(id);
        }
    }

    /// After a change could not be published: take it out of the journal and
    /// the local ref so it is never replayed, unless it is a deployment
    /// record (the deployment happened; its record must reach the remote).
    fn give_back(&self, op: Option<&Op>, ours: Option<(Oid, Option<Oid>)>) {
        let Some(op) = op else { return };
        if matches!(op, Op::Record { .. }) {
            if self.journal.get(op.id()).is_some() {
                self.warn(
                    "the deployment record is kept in this clone's journal; the next kickoff command that reaches the remote publishes it".into(),
                );
            }
            return;
        }
        self.journal.remove(op.id());
        let Some((new, without_op)) = ours else {
            return;
        };
        let result = match without_op {
            Some(prev) => self.repo.update_ref_cas(
                STATE_REF,
                prev,
                Some(new),
                "kickoff: change not published",
            ),
            None => self.repo.delete_ref_if(STATE_REF, new).map(|_| ()),
        };
        if let Err(e) = result {
            self.warn(format!("could not take the unpublished change back: {e}"));
        }
    }

    /// Operation ids of the last [`PUBLISHED_WINDOW`] commits of a chain.
    fn recent_op_ids(&self, tip: Oid) -> Result<std::collections::HashSet<String>> {
        let mut ids = std::collections::HashSet::new();
        let mut next = Some(tip);
        for _ in 0..PUBLISHED_WINDOW {
            let Some(c) = next else { break };
            if let Some(op) = self.op_of(c)? {
                ids.insert(op.id().to_string());
            }
            next = self.parent(c);
        }
        Ok(ids)
    }

    fn parent(&self, commit: Oid) -> Option<Oid> {
        self.repo
            .parents(commit)
            .ok()
            .and_then(|p| p.first().copied())
    }

    /// The state at `base` plus this clone's unpublished changes (its
    /// journal) applied again, one commit each. `skip`: the operation the
    /// caller applies itself.
    fn rebuild(&self, base: Option<Oid>, skip: Option<&str>) -> Result<Rebuilt> {
        let mut tree = self.load_tree(base)?;
        let mut tip = base;
        let (mut replayed, mut dropped) = (Vec::new(), 0);
        let pending: Vec<Op> = self
            .journal
            .pending(crate::slots::clock::now())
            .into_iter()
            .filter(|op| Some(op.id()) != skip)
            .collect();
        let published = match base {
            Some(b) if !pending.is_empty() => self.recent_op_ids(b)?,
            _ => Default::default(),
        };
        for op in pending {
            if published.contains(op.id()) {
                // Already on the remote (the process that made it stopped
                // after its push): nothing left to do.
                self.journal.remove(op.id());
                continue;
            }
            let mut next = tree.state.clone();
            match op.apply(&mut next, &self.names) {
                Ok(_) if next == tree.state => {
                    replayed.push(op.id().to_string());
                }
                Ok(applied) => {
                    tip = Some(self.commit_change(
                        tip,
                        &mut tree,
                        next,
                        &message(&op, &applied.notes),
                    )?);
                    replayed.push(op.id().to_string());
                    self.notices.notice(Notice::Progress(format!(
                        "completing an interrupted change: {}",
                        op.summary()
                    )));
                }
                Err(e) => {
                    dropped += 1;
                    self.journal.remove(op.id());
                    self.warn(format!(
                        "dropping an interrupted change ({}): {e}",
                        op.summary()
                    ));
                }
            }
        }
        Ok(Rebuilt {
            tree,
            tip,
            replayed,
            dropped,
        })
    }
}

/// A file of the state tree, for `kickoff slot admin files`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileInfo {
    pub path: String,
    /// `ok`, `skipped` (bad content: kept until removed) or `dropped` (not
    /// a path kickoff writes: left out of the next commit).
    pub status: &'static str,
    pub size: u64,
    pub reason: Option<String>,
}

/// One change of the state's history.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HistoryEntry {
    pub commit: String,
    pub at: chrono::DateTime<chrono::Utc>,
    /// The committer.
    pub by: crate::slots::Person,
    pub summary: String,
    /// The operation, when the commit carries one kickoff wrote.
    pub op: Option<Op>,
}

/// A state and the files of the tree it was read from (blob ids), which the
/// next commit starts from: unchanged files are not rewritten.
#[derive(Debug, Clone, Default)]
struct Tree {
    state: SlotState,
    files: BTreeMap<String, Oid>,
}

/// A change built on the remote's tip, not yet published.
#[derive(Clone)]
struct Built {
    /// The new tip (`None`: no state anywhere and nothing to add).
    tip: Option<Oid>,
    /// What the operation did.
    applied: Option<Applied>,
    state: SlotState,
    /// Ids of this clone's unpublished changes applied again.
    replayed: Vec<String>,
    /// The operation's own commit and the one before it, when it changed
    /// the state (to take it back should it not be published).
    mine: Option<(Oid, Option<Oid>)>,
}

/// How one attempt at a change ended.
enum Attempt {
    Done((Option<Applied>, Loaded)),
    /// Build again; with the change whose push was rejected, which may have
    /// landed after all.
    Again(Option<Built>),
}

/// The state after this clone's unpublished changes were applied again.
struct Rebuilt {
    tree: Tree,
    tip: Option<Oid>,
    /// Ids of the operations applied again (published with the next push).
    replayed: Vec<String>,
    dropped: usize,
}

/// The clone's state lock: an OS lock (`flock`) on a lock file, held until
/// dropped. The kernel releases it when its process ends however it ends, so
/// a crashed process never leaves a stale lock and there is no takeover with
/// a window for two holders. The file keeps the last holder's process id for
/// the message when it is busy.
struct StateLock {
    _file: std::fs::File,
}

/// How long to wait for another kickoff process of this clone
/// (`KICKOFF_LOCK_WAIT`, in seconds, overrides it).
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

fn lock_wait() -> std::time::Duration {
    std::env::var("KICKOFF_LOCK_WAIT")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(std::time::Duration::from_secs)
        .unwrap_or(LOCK_WAIT)
}

impl StateLock {
    fn acquire(path: &std::path::Path) -> Result<StateLock> {
        use std::io::{Seek, Write};
        use std::os::unix::io::AsRawFd;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
        let started = std::time::Instant::now();
        let mut attempt = 0;
        loop {
            // SAFETY: flock on a file descriptor we own.
            let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if r == 0 {
                let _ = file.set_len(0);
                let _ = file.rewind();
                let _ = writeln!(file, "{}", std::process::id());
                return Ok(StateLock { _file: file });
            }
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EWOULDBLOCK)
                && e.kind() != std::io::ErrorKind::Interrupted
            {
                return Err(Error::io(format!("cannot lock {}", path.display()), e));
            }
            if started.elapsed() > lock_wait() {
                let holder = std::fs::read_to_string(path).unwrap_or_default();
                return Err(Error::refused_hint(
                    format!(
                        "another kickoff process (process {}) has been changing the shared state of this clone for over {}s",
                        holder.trim(),
                        lock_wait().as_secs()
                    ),
                    "wait for it to finish, or stop it; the lock ends with its process",
                ));
            }
            attempt += 1;
            backoff(attempt.min(3));
        }
    }
}

/// The files that differ between two states (`None`: deleted).
fn changes(before: &SlotState, after: &SlotState) -> BTreeMap<String, Option<Vec<u8>>> {
    let (old, new) = (before.to_files(), after.to_files());
    let mut out = BTreeMap::new();
    for (path, content) in &new {
        if old.get(path) != Some(content) {
            out.insert(path.clone(), Some(content.clone()));
        }
    }
    for path in old.keys() {
        if !new.contains_key(path) {
            out.insert(path.clone(), None);
        }
    }
    // A file skipped as unreadable that the change removes (an administrator's).
    for path in before.unreadable.difference(&after.unreadable) {
        if !new.contains_key(path) {
            out.insert(path.clone(), None);
        }
    }
    out
}

/// The commit message of a state change: a subject (the operation, then what
/// it did to others: `k-b got dev2 off the queue`), then the operation as JSON.
pub fn message(op: &Op, notes: &[String]) -> String {
    let mut subject = op.summary();
    for n in notes {
        subject.push_str("; ");
        subject.push_str(n);
    }
    format!(
        "kickoff state: {}\n\n{}\n",
        subject,
        serde_json::to_string(op).expect("an operation serializes")
    )
}

/// The operation in a state commit message (its last JSON line).
pub fn parse_op(message: &str) -> Option<Op> {
    message
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('{'))
        .and_then(|l| serde_json::from_str(l).ok())
}

fn fetch_error(remote: &str, e: GitError) -> Error {
    Error::Refused {
        message: format!("cannot fetch the shared state from {remote}: {e}"),
        hint: Some(
            "check the network and the remote; reading commands take --offline to show the last fetched state".into(),
        ),
    }
}

/// Sleep before the next attempt: exponential with jitter, at most ~0.4 s.
fn backoff(attempt: usize) {
    let jitter = u64::from_str_radix(&crate::slots::new_id()[..4], 16).unwrap_or(0) % 1000;
    let base_ms = 10u64 << attempt.min(5);
    let ms = base_ms / 2 + base_ms * jitter / 1000;
    std::thread::sleep(std::time::Duration::from_millis(ms.min(400)));
}
