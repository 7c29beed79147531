//! The conflict radar: would these commits merge cleanly, by git's verdict?
//!
//! ```no_run
//! use kickoff::conflict::{Engine, Options, Tip};
//! # fn demo(repo: &kickoff::git::Repo, mine: Tip, others: Vec<Tip>, main: Tip) -> kickoff::Result<()> {
//! let engine = Engine::new(repo, Options::for_repo(repo)?);
//! // The pre-push hook: one kickoff against the others and main.
//! let mut against = others.clone();
//! against.push(main);
//! for v in engine.check_against(&mine, &against)? {
//!     if v.outcome.is_conflict() { /* refuse, list v.outcome.paths() */ }
//! }
//! // `land`, `conflicts`: any explicit pairs, or every pair of a set of tips.
//! let verdicts = engine.check_pairs(&[(mine.clone(), others[0].clone())])?;
//! let matrix = engine.check_matrix(&others)?;
//! # Ok(()) }
//! ```
//!
//! For each pair the [`Outcome`] is exactly what `git merge-tree --write-tree
//! A B` decides: [`Outcome::Conflict`] when it would exit 1, with the same set
//! of paths `--name-only` lists; [`Outcome::Clean`] when it would exit 0; and
//! [`Outcome::Unknown`] (shown as "could not check") when the pair needs a
//! merge rule the engine does not model exactly (criss-cross histories whose
//! virtual merge base is not trivial, directory renames, renames too close to the
//! similarity threshold, merge drivers in `.gitattributes`...). An uncertain
//! pair is never reported clean.
//!
//! How it is fast: each tip is diffed against the merge base tree by tree
//! (unchanged subtrees are skipped by object id, no content read), and those
//! diffs are shared between pairs. Only paths both sides changed, renames the
//! other side's changes make relevant, and file/directory clashes need work;
//! only files both sides changed are content-merged, in memory. Pairs run on
//! every core. Verdicts are cached per pair of commits in the repository's
//! common git directory (see [`cache`]), and so are the tree diffs (see
//! [`diff_cache`]): a later run diffs only trees it has not seen, and reaches
//! a tip that gained commits from its parent's stored diff.
//!
//! Nothing is written to the repository: no object, no ref, no index, no
//! work-tree file. The cache file is the only thing written.

pub mod attributes;
pub mod bases;
pub mod cache;
pub mod diff_cache;
pub mod git_batch;
pub mod merge;
pub mod similarity;
pub mod xmerge;

use crate::error::Result;
use crate::git::Repo;
use crate::git::merge::TreeChange;
use git2::Oid;
use merge::{Contents, Merger, RenameRules, TreeMerge};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// How a "could not check" reason starts when the clone is shallow.
pub const SHALLOW: &str = "shallow clone";

/// Bumped whenever a change to the engine could change a verdict; part of
/// every cache key.
pub const ENGINE_VERSION: u32 = 2;

/// A commit to compare, with the name git would use for it in `p~name` paths
/// (the branch name or revision the user gave, or the full oid).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tip {
    pub label: String,
    pub oid: Oid,
}

impl Tip {
    pub fn new(label: impl Into<String>, oid: Oid) -> Tip {
        Tip {
            label: label.into(),
            oid,
        }
    }

    /// A tip named by its full oid, as `git merge-tree <oid> <oid>` names it.
    pub fn from_oid(oid: Oid) -> Tip {
        Tip::new(oid.to_string(), oid)
    }
}

/// How a path conflicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ConflictKind {
    /// Both sides changed the same lines (or adjacent lines) of a text file.
    #[serde(rename = "content")]
    Content,
    /// One side changed a file the other deleted.
    #[serde(rename = "modify/delete")]
    ModifyDelete,
    /// Both sides added different files at the same path.
    #[serde(rename = "add/add")]
    AddAdd,
    /// A rename the other side deleted, or renamed elsewhere.
    #[serde(rename = "rename")]
    Rename,
    /// A file where the other side has a directory (the file moves to `p~side`).
    #[serde(rename = "file/directory")]
    FileDirectory,
    /// Both sides changed a binary file.
    #[serde(rename = "binary")]
    Binary,
    /// The sides hold different kinds of entry (file, symlink, submodule).
    #[serde(rename = "distinct-types")]
    DistinctTypes,
}

impl ConflictKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictKind::Content => "content",
            ConflictKind::ModifyDelete => "modify/delete",
            ConflictKind::AddAdd => "add/add",
            ConflictKind::Rename => "rename",
            ConflictKind::FileDirectory => "file/directory",
            ConflictKind::Binary => "binary",
            ConflictKind::DistinctTypes => "distinct-types",
        }
    }

    pub fn parse(s: &str) -> Option<ConflictKind> {
        [
            ConflictKind::Content,
            ConflictKind::ModifyDelete,
            ConflictKind::AddAdd,
            ConflictKind::Rename,
            ConflictKind::FileDirectory,
            ConflictKind::Binary,
            ConflictKind::DistinctTypes,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One conflicted path, as `git merge-tree --name-only` lists it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ConflictPath {
    pub path: String,
    pub kind: ConflictKind,
}

/// The verdict for a pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Clean,
    /// The conflicted paths, sorted.
    Conflict(Vec<ConflictPath>),
    /// The engine cannot decide with certainty; the reason says why.
    Unknown(String),
}

impl Outcome {
    pub fn is_conflict(&self) -> bool {
        matches!(self, Outcome::Conflict(_))
    }

    pub fn is_clean(&self) -> bool {
        matches!(self, Outcome::Clean)
    }

    pub fn paths(&self) -> &[ConflictPath] {
        match self {
            Outcome::Conflict(p) => p,
            _ => &[],
        }
    }

    /// `clean`, `conflict` or `could-not-check`.
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Clean => "clean",
            Outcome::Conflict(_) => "conflict",
            Outcome::Unknown(_) => "could-not-check",
        }
    }
}

/// The verdict for one pair of tips.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairVerdict {
    pub a: Tip,
    pub b: Tip,
    /// Every merge base of the two commits.
    pub merge_bases: Vec<Oid>,
    pub outcome: Outcome,
    /// Whether the verdict came from the cache.
    pub cached: bool,
    /// Whether `git merge-tree` gave the verdict (the engine could not
    /// model the merge exactly).
    pub by_git: bool,
}

/// What changes verdicts, plus how to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub renames: RenameRules,
    /// Merge attributes and text merge settings, as git reads them.
    pub contents: Contents,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Read and write the caches (verdicts and tree diffs).
    pub use_cache: bool,
}

impl Options {
    /// git's defaults, adjusted by the repository's merge settings.
    pub fn for_repo(repo: &Repo) -> Result<Options> {
        let renames_setting = match repo.config_string("merge.renames")? {
            Some(v) => Some(v),
            None => repo.config_string("diff.renames")?,
        };
        let enabled = !matches!(
            renames_setting
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref(),
            Some("false" | "no" | "off" | "0")
        );
        let limit = match repo.config_string("merge.renameLimit")? {
            Some(v) => v.trim().parse().unwrap_or(7000),
            None => repo
                .config_string("diff.renameLimit")?
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(7000),
        };
        Ok(Options {
            renames: RenameRules {
                threshold: 50,
                limit,
                enabled,
            },
            contents: Contents {
                attributes: Arc::new(attributes::Attributes::for_repo(repo)?),
                text: xmerge::TextMerge::from_config(
                    repo.config_string("diff.algorithm")?.as_deref(),
                    repo.config_string("merge.conflictStyle")?.as_deref(),
                ),
                renormalize: repo.config_string("merge.renormalize")?.is_some_and(|v| {
                    matches!(v.to_ascii_lowercase().as_str(), "true" | "yes" | "on" | "1")
                }),
                merged: Arc::default(),
            },
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            use_cache: true,
        })
    }

    /// The part of the cache key the options contribute.
    pub fn fingerprint(&self) -> String {
        let (major, minor, patch) = git2::Version::get().libgit2_version();
        format!(
            "e{ENGINE_VERSION}-l{major}.{minor}.{patch}-r{}:{}:{}-a{}-t{:?}-n{}",
            self.renames.enabled,
            self.renames.threshold,
            self.renames.limit,
            self.contents.attributes.fingerprint(),
            self.contents.text.map(|t| (t.algorithm, t.style)),
            self.contents.renormalize
        )
    }
}

/// Tree diffs of one run. Each tree is diffed once against a reference tree
/// R (the first merge base seen); the changes between any two trees X and Y
/// follow exactly from R->X and R->Y: a path can differ between X and Y only
/// if it differs from R in one of them. So n tips and their bases cost n tree
/// diffs, not one per pair.
struct Diffs<'c> {
    reference: std::sync::OnceLock<Oid>,
    from_reference: Mutex<HashMap<Oid, Arc<Vec<TreeChange>>>>,
    /// Diffs stored by earlier runs (used when against the same reference).
    stored: &'c diff_cache::DiffCache,
}

impl<'c> Diffs<'c> {
    fn new(stored: &'c diff_cache::DiffCache) -> Diffs<'c> {
        Diffs {
            reference: std::sync::OnceLock::new(),
            from_reference: Mutex::new(HashMap::new()),
            stored,
        }
    }

    fn against_reference(
        &self,
        repo: &Repo,
        tree: Oid,
    ) -> crate::git::Result<Arc<Vec<TreeChange>>> {
        let reference = *self.reference.get_or_init(|| tree);
        if let Some(c) = self.from_reference.lock().expect("diff cache").get(&tree) {
            return Ok(c.clone());
        }
        let c = match self.stored.get(reference, tree) {
            Some(c) => c,
            None => Arc::new(repo.tree_changes(reference, tree)?),
        };
        self.keep(tree, c.clone());
        Ok(c)
    }

    /// Like [`Diffs::against_reference`], but when the diff is not known yet
    /// and the stored diffs hold `near` (the tree of the commit's parent),
    /// R->tree is R->near followed by near->tree: after one new commit only
    /// the directories that commit touched are read.
    fn against_reference_near(
        &self,
        repo: &Repo,
        tree: Oid,
        near: Option<Oid>,
    ) -> crate::git::Result<Arc<Vec<TreeChange>>> {
        let reference = *self.reference.get_or_init(|| tree);
        if let Some(c) = self.from_reference.lock().expect("diff cache").get(&tree) {
            return Ok(c.clone());
        }
        if self.stored.get(reference, tree).is_none() {
            if let Some(r_near) = near.and_then(|n| self.stored.get(reference, n).map(|c| (n, c))) {
                let (near, r_near) = r_near;
                let c = Arc::new(compose(&r_near, &repo.tree_changes(near, tree)?));
                self.keep(tree, c.clone());
                return Ok(c);
            }
        }
        self.against_reference(repo, tree)
    }

    fn keep(&self, tree: Oid, c: Arc<Vec<TreeChange>>) {
        self.from_reference
            .lock()
            .expect("diff cache")
            .insert(tree, c);
    }
}

/// Changes old->new from the changes R->old and R->new (both sorted by path).
fn combine(r_old: &[TreeChange], r_new: &[TreeChange]) -> Vec<TreeChange> {
    use std::cmp::Ordering::*;
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    loop {
        let step = match (r_old.get(i), r_new.get(j)) {
            (None, None) => break,
            (Some(_), None) => Less,
            (None, Some(_)) => Greater,
            (Some(o), Some(n)) => o.path.cmp(&n.path),
        };
        let (path, before, after) = match step {
            // Only `old` differs from R here: `new` still has R's entry.
            Less => {
                let o = &r_old[i];
                i += 1;
                (&o.path, o.new, o.old)
            }
            Greater => {
                let n = &r_new[j];
                j += 1;
                (&n.path, n.old, n.new)
            }
            Equal => {
                let (o, n) = (&r_old[i], &r_new[j]);
                i += 1;
                j += 1;
                (&o.path, o.new, n.new)
            }
        };
        if before != after {
            out.push(TreeChange {
                path: path.clone(),
                old: before,
                new: after,
            });
        }
    }
    out
}

/// The merge bases of a pair, or why they could not be read.
type BasesOf = std::result::Result<Vec<Oid>, String>;

/// The conflict engine over one repository.
pub struct Engine<'r> {
    repo: &'r Repo,
    options: Options,
    progress: Option<Box<dyn Fn(u64) + Sync + 'r>>,
}

impl<'r> Engine<'r> {
    pub fn new(repo: &'r Repo, options: Options) -> Engine<'r> {
        Engine {
            repo,
            options,
            progress: None,
        }
    }

    /// Called with the number of pairs just decided (cached ones included).
    pub fn on_progress(mut self, f: impl Fn(u64) + Sync + 'r) -> Engine<'r> {
        self.progress = Some(Box::new(f));
        self
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Every unordered pair of `tips`, in row order (0-1, 0-2, ..., 1-2, ...).
    pub fn check_matrix(&self, tips: &[Tip]) -> Result<Vec<PairVerdict>> {
        let mut pairs = Vec::new();
        for (i, a) in tips.iter().enumerate() {
            for b in &tips[i + 1..] {
                pairs.push((a.clone(), b.clone()));
            }
        }
        self.check_pairs(&pairs)
    }

    /// `tip` against each of `others` (the pre-push hook's question).
    pub fn check_against(&self, tip: &Tip, others: &[Tip]) -> Result<Vec<PairVerdict>> {
        let pairs: Vec<(Tip, Tip)> = others.iter().map(|o| (tip.clone(), o.clone())).collect();
        self.check_pairs(&pairs)
    }

    /// The verdict for each pair, in the order given.
    pub fn check_pairs(&self, pairs: &[(Tip, Tip)]) -> Result<Vec<PairVerdict>> {
        let fingerprint = self.options.fingerprint();
        let mut store = if self.options.use_cache {
            cache::Cache::load(self.repo.common_dir(), &fingerprint)
        } else {
            cache::Cache::disabled()
        };
        let mut results: Vec<Option<PairVerdict>> = vec![None; pairs.len()];
        let mut todo = Vec::new();
        for (i, (a, b)) in pairs.iter().enumerate() {
            match store.get(a, b) {
                Some((bases, outcome)) => {
                    results[i] = Some(PairVerdict {
                        a: a.clone(),
                        b: b.clone(),
                        merge_bases: bases,
                        outcome,
                        cached: true,
                        by_git: false,
                    });
                }
                None => todo.push(i),
            }
        }
        let cached = pairs.len() - todo.len();
        if cached > 0 {
            self.tick(cached as u64);
        }
        let mut computed = self.compute(pairs, &todo)?;
        // What the engine cannot decide exactly, git decides: one process
        // for all such pairs, its objects kept out of the repository.
        let undecided: Vec<usize> = computed
            .iter()
            .enumerate()
            .filter(|(_, (_, v))| {
                matches!(v.outcome, Outcome::Unknown(_)) && !v.merge_bases.is_empty()
            })
            .map(|(k, _)| k)
            .collect();
        let asked: Vec<(&Tip, &Tip)> = undecided
            .iter()
            .map(|&k| (&computed[k].1.a, &computed[k].1.b))
            .collect();
        let answers = git_batch::decide(self.repo, &asked);
        for (k, outcome) in undecided.into_iter().zip(answers) {
            computed[k].1.outcome = outcome;
            computed[k].1.by_git = true;
        }
        for (i, v) in computed {
            if !matches!(v.outcome, Outcome::Unknown(_)) {
                store.put(&v.a, &v.b, &v.merge_bases, &v.outcome);
            }
            results[i] = Some(v);
        }
        store.save();
        Ok(results
            .into_iter()
            .map(|v| v.expect("every pair decided"))
            .collect())
    }

    fn tick(&self, n: u64) {
        if let Some(f) = &self.progress {
            f(n);
        }
    }

    fn compute(&self, pairs: &[(Tip, Tip)], todo: &[usize]) -> Result<Vec<(usize, PairVerdict)>> {
        if todo.is_empty() {
            return Ok(Vec::new());
        }
        crate::git::merge::tune_for_bulk_reads();
        let mut stored = if self.options.use_cache {
            diff_cache::DiffCache::load(self.repo.common_dir(), &self.options.fingerprint())
        } else {
            diff_cache::DiffCache::disabled()
        };
        let diffs = Diffs::new(&stored);
        // 1. The trees each pair needs. The reference tree is the stored one
        //    when this run needs it too (its stored diffs then apply), else
        //    the most common merge base; every needed tree not stored is
        //    diffed once, in parallel.
        let bases = self.merge_bases(pairs, todo)?;
        let needs = self.parallel(todo, |repo, _, &i| {
            trees_needed(repo, &bases[&i], &pairs[i].0, &pairs[i].1)
        })?;
        let mut trees: Vec<Oid> = needs
            .iter()
            .flatten()
            .flat_map(|&(o, a, b)| [o, a, b])
            .collect();
        trees.sort();
        trees.dedup();
        let mut count: HashMap<Oid, usize> = HashMap::new();
        for (base, _, _) in needs.iter().flatten() {
            *count.entry(*base).or_default() += 1;
        }
        let reference = stored
            .reference()
            .filter(|r| trees.binary_search(r).is_ok())
            .or_else(|| {
                count
                    .iter()
                    .max_by_key(|(t, n)| (**n, **t))
                    .map(|(&t, _)| t)
            });
        if let Some(reference) = reference {
            let _ = diffs.reference.set(reference);
        }
        // A tip's tree is best reached from its parent's stored diff.
        let mut near: HashMap<Oid, Oid> = HashMap::new();
        for (&i, need) in todo.iter().zip(&needs) {
            let Some((_, ta, tb)) = need else { continue };
            for (tip, tree) in [(&pairs[i].0, ta), (&pairs[i].1, tb)] {
                if near.contains_key(tree) {
                    continue;
                }
                if let Ok(Some(parent)) = self.repo.first_parent_tree_id(tip.oid) {
                    near.insert(*tree, parent);
                }
            }
        }
        self.parallel(&trees, |repo, _, &t| {
            diffs
                .against_reference_near(repo, t, near.get(&t).copied())
                .map(drop)
        })?;
        // 2. The verdicts.
        let progress = &self.progress;
        let verdicts = self.parallel(todo, |repo, merger, &i| {
            let (a, b) = &pairs[i];
            let (merge_bases, outcome) = decide(repo, merger, &diffs, bases[&i].clone(), a, b);
            if let Some(f) = progress {
                f(1);
            }
            PairVerdict {
                a: a.clone(),
                b: b.clone(),
                merge_bases,
                outcome,
                cached: false,
                by_git: false,
            }
        })?;
        let reference = diffs.reference.get().copied();
        let used = diffs
            .from_reference
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(reference) = reference {
            stored.record(reference, &used);
            stored.save();
        }
        Ok(todo.iter().copied().zip(verdicts).collect())
    }

    /// The merge bases of each pair to compute, keyed by its index: one walk
    /// of the history for all pairs, or libgit2 pair by pair when the
    /// history's dates rule the single walk out.
    fn merge_bases(&self, pairs: &[(Tip, Tip)], todo: &[usize]) -> Result<HashMap<usize, BasesOf>> {
        let mut tips: Vec<Oid> = Vec::new();
        let mut at: HashMap<Oid, usize> = HashMap::new();
        let mut wanted = Vec::new();
        for &i in todo {
            let (a, b) = &pairs[i];
            let mut slot = |o: Oid| {
                *at.entry(o).or_insert_with(|| {
                    tips.push(o);
                    tips.len() - 1
                })
            };
            wanted.push((slot(a.oid), slot(b.oid)));
        }
        let walked = bases::all_pairs(self.repo, &tips, &wanted).ok().flatten();
        Ok(match walked {
            Some(found) => todo
                .iter()
                .copied()
                .zip(found.into_iter().map(Ok))
                .collect(),
            None => {
                let found = self.parallel(todo, |repo, _, &i| {
                    repo.merge_bases_all(pairs[i].0.oid, pairs[i].1.oid)
                        .map_err(|e| e.to_string())
                })?;
                todo.iter().copied().zip(found).collect()
            }
        })
    }

    /// `f` over `items` on every core (each worker with its own repository
    /// handle); results in the order of `items`.
    fn parallel<T: Sync, R: Send>(
        &self,
        items: &[T],
        f: impl Fn(&Repo, &mut Merger<'_>, &T) -> R + Sync,
    ) -> Result<Vec<R>> {
        let next = AtomicUsize::new(0);
        let threads = self.options.threads.clamp(1, items.len().max(1));
        let handle = self.repo.handle();
        let options = &self.options;
        let worker = || -> Result<Vec<(usize, R)>> {
            let repo = handle.open()?;
            let mut merger = Merger::new(&repo, options.renames, &options.contents);
            let mut out = Vec::new();
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(k) else { break };
                out.push((k, f(&repo, &mut merger, item)));
            }
            Ok(out)
        };
        let mut all = if threads == 1 {
            worker()?
        } else {
            std::thread::scope(|s| -> Result<Vec<(usize, R)>> {
                let handles: Vec<_> = (0..threads).map(|_| s.spawn(worker)).collect();
                let mut all = Vec::new();
                for h in handles {
                    all.extend(h.join().expect("conflict worker panicked")?);
                }
                Ok(all)
            })?
        };
        all.sort_by_key(|(k, _)| *k);
        Ok(all.into_iter().map(|(_, r)| r).collect())
    }
}

/// The base, A and B trees of a pair with one merge base tree, when the
/// pair needs a merge at all; `None` otherwise (decided without diffs, or a
/// criss-cross handled later). Errors surface in `decide`.
fn trees_needed(repo: &Repo, bases: &BasesOf, a: &Tip, b: &Tip) -> Option<(Oid, Oid, Oid)> {
    if a.oid == b.oid {
        return None;
    }
    let bases = bases.as_ref().ok()?;
    if bases.is_empty() || bases.contains(&a.oid) || bases.contains(&b.oid) {
        return None;
    }
    let to = repo.commit_tree_id(bases[0]).ok()?;
    for other in &bases[1..] {
        if repo.commit_tree_id(*other).ok()? != to {
            return None;
        }
    }
    Some((
        to,
        repo.commit_tree_id(a.oid).ok()?,
        repo.commit_tree_id(b.oid).ok()?,
    ))
}

/// The verdict for one pair: merge bases, then the trees' changes.
fn decide(
    repo: &Repo,
    merger: &mut Merger<'_>,
    diffs: &Diffs,
    bases: BasesOf,
    a: &Tip,
    b: &Tip,
) -> (Vec<Oid>, Outcome) {
    let unreadable =
        |e: crate::git::GitError| Outcome::Unknown(format!("cannot read the repository: {e}"));
    if a.oid == b.oid {
        return (vec![a.oid], Outcome::Clean);
    }
    let bases = match bases {
        Ok(b) => b,
        Err(e) => {
            return (
                Vec::new(),
                Outcome::Unknown(format!("cannot read the repository: {e}")),
            );
        }
    };
    if bases.is_empty() {
        let reason = if repo.is_shallow() {
            format!(
                "{SHALLOW}: their common history is cut off; `git fetch --unshallow` fetches it"
            )
        } else {
            "no common history (git refuses to merge unrelated histories)".into()
        };
        return (bases, Outcome::Unknown(reason));
    }
    if bases.contains(&a.oid) || bases.contains(&b.oid) {
        // One contains the other: the merge is the newer tip.
        return (bases, Outcome::Clean);
    }
    let trees = (|| -> crate::git::Result<(Vec<Oid>, Oid, Oid)> {
        let mut base_trees = Vec::new();
        for base in &bases {
            base_trees.push(repo.commit_tree_id(*base)?);
        }
        Ok((
            base_trees,
            repo.commit_tree_id(a.oid)?,
            repo.commit_tree_id(b.oid)?,
        ))
    })();
    let (base_trees, ta, tb) = match trees {
        Ok(t) => t,
        Err(e) => return (bases, unreadable(e)),
    };
    let to = base_trees[0];
    let base_view = if base_trees.iter().all(|t| *t == to) {
        if ta == tb || to == ta || to == tb {
            return (bases, Outcome::Clean);
        }
        match diffs.against_reference(repo, to) {
            Ok(v) => v,
            Err(e) => return (bases, unreadable(e)),
        }
    } else {
        match virtual_base(repo, merger, diffs, &bases, &base_trees) {
            Ok(Ok(v)) => Arc::new(v),
            Ok(Err(reason)) => return (bases, Outcome::Unknown(reason)),
            Err(e) => return (bases, unreadable(e)),
        }
    };
    let (ra, rb) = match (
        diffs.against_reference(repo, ta),
        diffs.against_reference(repo, tb),
    ) {
        (Ok(ra), Ok(rb)) => (ra, rb),
        (Err(e), _) | (_, Err(e)) => return (bases, unreadable(e)),
    };
    let (ca, cb) = (combine(&base_view, &ra), combine(&base_view, &rb));
    if ca.is_empty() || cb.is_empty() {
        return (bases, Outcome::Clean);
    }
    let outcome = merger.merge(&TreeMerge {
        base: to,
        a: ta,
        b: tb,
        label_a: &a.label,
        label_b: &b.label,
        changes_a: &ca,
        changes_b: &cb,
    });
    (bases, outcome)
}

/// The virtual merge base of a criss-cross history, as changes from the
/// reference tree. git merges the merge bases into a virtual one; the engine
/// reproduces that only when it is exact and needs no new object: two bases,
/// whose own merge base is unique, merging cleanly with no path changed
/// differently on both. Anything else is `Err(reason)` (could not check).
fn virtual_base(
    repo: &Repo,
    merger: &mut Merger<'_>,
    diffs: &Diffs,
    bases: &[Oid],
    base_trees: &[Oid],
) -> crate::git::Result<std::result::Result<Vec<TreeChange>, String>> {
    let unsupported = |why: &str| {
        Ok(Err(format!(
            "criss-cross history: {} merge bases with different trees ({why})",
            bases.len()
        )))
    };
    if bases.len() != 2 {
        return unsupported("more than two");
    }
    let inner = repo.merge_bases_all(bases[0], bases[1])?;
    let Some(&first) = inner.first() else {
        return unsupported("the bases share no history");
    };
    let inner_tree = repo.commit_tree_id(first)?;
    for other in &inner[1..] {
        if repo.commit_tree_id(*other)? != inner_tree {
            return unsupported("the bases have several merge bases themselves");
        }
    }
    let r_inner = diffs.against_reference(repo, inner_tree)?;
    let r1 = diffs.against_reference(repo, base_trees[0])?;
    let r2 = diffs.against_reference(repo, base_trees[1])?;
    let (c1, c2) = (combine(&r_inner, &r1), combine(&r_inner, &r2));
    let outcome = merger.merge(&TreeMerge {
        base: inner_tree,
        a: base_trees[0],
        b: base_trees[1],
        label_a: "base1",
        label_b: "base2",
        changes_a: &c1,
        changes_b: &c2,
    });
    if outcome != Outcome::Clean {
        return unsupported("merging the bases is not trivial");
    }
    let in_c1: HashMap<&str, &TreeChange> = c1.iter().map(|c| (c.path.as_str(), c)).collect();
    // base1 -> virtual: what base2 changed and base1 did not.
    let mut delta: Vec<TreeChange> = Vec::new();
    for c in &c2 {
        match in_c1.get(c.path.as_str()) {
            Some(c1) if c1.new == c.new => {}
            Some(_) => return unsupported("both bases changed a path differently"),
            None => delta.push(c.clone()),
        }
    }
    Ok(Ok(compose(&r1, &delta)))
}

/// Changes R->Y from R->X and X->Y (both sorted by path).
fn compose(r_x: &[TreeChange], x_y: &[TreeChange]) -> Vec<TreeChange> {
    use std::cmp::Ordering::*;
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    loop {
        let step = match (r_x.get(i), x_y.get(j)) {
            (None, None) => break,
            (Some(_), None) => Less,
            (None, Some(_)) => Greater,
            (Some(a), Some(b)) => a.path.cmp(&b.path),
        };
        let change = match step {
            Less => {
                i += 1;
                r_x[i - 1].clone()
            }
            // Unchanged from R in X: X's entry is R's.
            Greater => {
                j += 1;
                x_y[j - 1].clone()
            }
            Equal => {
                i += 1;
                j += 1;
                TreeChange {
                    path: r_x[i - 1].path.clone(),
                    old: r_x[i - 1].old,
                    new: x_y[j - 1].new,
                }
            }
        };
        if change.old != change.new {
            out.push(change);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::merge::Entry;

    fn e(n: u8) -> Option<Entry> {
        Some(Entry {
            mode: 0o100644,
            oid: Oid::from_bytes(&[n; 20]).unwrap(),
        })
    }

    fn c(path: &str, old: Option<Entry>, new: Option<Entry>) -> TreeChange {
        TreeChange {
            path: path.into(),
            old,
            new,
        }
    }

    #[test]
    fn changes_between_two_trees_follow_from_their_changes_against_a_reference() {
        // R: a=1 b=2 c=3.  X: a=9 b=2 c=3 d=4.  Y: a=1 b=8 (c deleted) d=4.
        let r_x = vec![c("a", e(1), e(9)), c("d", None, e(4))];
        let r_y = vec![c("b", e(2), e(8)), c("c", e(3), None), c("d", None, e(4))];
        assert_eq!(
            combine(&r_x, &r_y),
            vec![c("a", e(9), e(1)), c("b", e(2), e(8)), c("c", e(3), None),]
        );
        assert_eq!(
            combine(&r_y, &r_x),
            vec![c("a", e(1), e(9)), c("b", e(8), e(2)), c("c", None, e(3)),]
        );
        assert!(combine(&r_x, &r_x).is_empty());
    }

    #[test]
    fn compose_chains_changes() {
        // R: a=1 b=2.  X: a=9 b=2 c=3.  Y: a=1 b=2 c=4.
        let r_x = vec![c("a", e(1), e(9)), c("c", None, e(3))];
        let x_y = vec![c("a", e(9), e(1)), c("c", e(3), e(4))];
        assert_eq!(compose(&r_x, &x_y), vec![c("c", None, e(4))]);
        let x_z = vec![c("b", e(2), None)];
        assert_eq!(
            compose(&r_x, &x_z),
            vec![c("a", e(1), e(9)), c("b", e(2), None), c("c", None, e(3))]
        );
    }
}
