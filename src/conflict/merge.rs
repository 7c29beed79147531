//! The verdict for one pair of commits: git's merge, decided from the two
//! sides' changes against the merge base.
//!
//! Only paths a side changed can conflict, so the engine diffs the base tree
//! against each tip (no content read) and merges just the paths both sides
//! changed, the renames the other side's changes make relevant, and the
//! file/directory clashes between the two change sets. It follows
//! `merge-ort`'s rules (rename detection only for sources the other side
//! touched, directory renames, `p~side` names for a file in the way of a
//! directory, regular files moved aside on type clashes). Every situation it
//! does not model exactly is reported as [`Outcome::Unknown`] with the reason,
//! never as clean.

use super::attributes::{Attributes, Driver};
use super::similarity::{self, Spans};
use super::xmerge::TextMerge;
use super::{ConflictKind, ConflictPath, Outcome};
use crate::git::merge::{Entry, EntryType, PathKind, TreeChange};
use crate::git::{GitError, Repo};
use git2::Oid;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Rename detection settings (git's defaults: 50%, limit 7000).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenameRules {
    /// Minimum similarity, in percent.
    pub threshold: u32,
    /// Most sources x destinations compared for inexact renames.
    pub limit: usize,
    /// Whether renames are detected at all (`merge.renames`).
    pub enabled: bool,
}

/// Pairings closer than this to the threshold (in git's score units, 5%)
/// are too close to call.
const UNCERTAIN_BAND: u64 = 3_000;

/// The inputs of one three-way merge of trees.
pub struct TreeMerge<'a> {
    pub base: Oid,
    pub a: Oid,
    pub b: Oid,
    pub label_a: &'a str,
    pub label_b: &'a str,
    pub changes_a: &'a [TreeChange],
    pub changes_b: &'a [TreeChange],
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    A,
    B,
}

/// A worker's view of the repository, with its per-thread caches.
pub struct Merger<'r> {
    pub repo: &'r Repo,
    pub rules: RenameRules,
    /// How git merges contents: attributes, text merge settings.
    pub contents: &'r Contents,
    spans: HashMap<Oid, Spans>,
}

/// Verdicts of blob triples (base, ours, theirs) merged with a driver.
pub type MergeMemo =
    std::sync::Arc<std::sync::Mutex<HashMap<(Driver, Oid, Oid, Oid), Option<ConflictKind>>>>;

/// Everything besides the blobs that decides a content merge.
#[derive(Debug, Clone)]
pub struct Contents {
    pub attributes: std::sync::Arc<Attributes>,
    /// git's text merge settings; `None` when git's configuration asks for
    /// something the engine does not model (then git decides).
    pub text: Option<TextMerge>,
    /// `merge.renormalize`: git converts contents before merging (git decides).
    pub renormalize: bool,
    /// Verdicts of blob triples already merged in this run.
    pub merged: MergeMemo,
}

struct Unknown(String);

impl From<GitError> for Unknown {
    fn from(e: GitError) -> Self {
        Unknown(format!("cannot read the repository: {e}"))
    }
}

type Step<T> = std::result::Result<T, Unknown>;

fn unknown<T>(reason: impl Into<String>) -> Step<T> {
    Err(Unknown(reason.into()))
}

/// The parent directories of a path, deepest first.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    let mut rest = path;
    std::iter::from_fn(move || {
        let cut = rest.rfind('/')?;
        rest = &rest[..cut];
        Some(rest)
    })
}

struct Rename<'c> {
    source: &'c TreeChange,
    dest: &'c TreeChange,
}

impl<'r> Merger<'r> {
    pub fn new(repo: &'r Repo, rules: RenameRules, contents: &'r Contents) -> Merger<'r> {
        Merger {
            repo,
            rules,
            contents,
            spans: HashMap::new(),
        }
    }

    /// Merge two sides' changes against their base tree.
    pub fn merge(&mut self, m: &TreeMerge<'_>) -> Outcome {
        match self.merge_inner(m) {
            Ok(paths) if paths.is_empty() => Outcome::Clean,
            Ok(paths) => Outcome::Conflict(
                paths
                    .into_iter()
                    .map(|(path, kind)| ConflictPath { path, kind })
                    .collect(),
            ),
            Err(Unknown(reason)) => Outcome::Unknown(reason),
        }
    }

    fn merge_inner(&mut self, m: &TreeMerge<'_>) -> Step<BTreeMap<String, ConflictKind>> {
        let ma: HashMap<&str, &TreeChange> =
            m.changes_a.iter().map(|c| (c.path.as_str(), c)).collect();
        let mb: HashMap<&str, &TreeChange> =
            m.changes_b.iter().map(|c| (c.path.as_str(), c)).collect();
        let mut conflicts: BTreeMap<String, ConflictKind> = BTreeMap::new();
        let mut handled: HashSet<&str> = HashSet::new();
        // Merged result for the paths renames moved: path -> present.
        let mut moved_present: HashMap<&str, bool> = HashMap::new();

        // 1. Renames that matter: a side deleted a path the other side touched.
        let renames_a = self.renames(m, Side::A, m.changes_a, &mb)?;
        let renames_b = self.renames(m, Side::B, m.changes_b, &ma)?;
        let by_source_b: HashMap<&str, &Rename<'_>> = renames_b
            .iter()
            .map(|r| (r.source.path.as_str(), r))
            .collect();
        let by_source_a: HashMap<&str, &Rename<'_>> = renames_a
            .iter()
            .map(|r| (r.source.path.as_str(), r))
            .collect();
        // A rename target the other side also changed is only modelled when
        // the other side renamed the same source onto it.
        for (renames, other_map, other_by_source) in [
            (&renames_a, &mb, &by_source_b),
            (&renames_b, &ma, &by_source_a),
        ] {
            for r in renames {
                let same = other_by_source
                    .get(r.source.path.as_str())
                    .is_some_and(|o| o.dest.path == r.dest.path);
                if other_map.contains_key(r.dest.path.as_str()) && !same {
                    return unknown(format!(
                        "{}: a rename target the other side changed too",
                        r.dest.path
                    ));
                }
            }
        }
        for r in &renames_a {
            let s = r.source.path.as_str();
            let base = r.source.old.expect("a rename source existed");
            let da = r.dest.new.expect("a rename target exists");
            match by_source_b.get(s) {
                Some(rb) => {
                    let db = rb.dest.new.expect("a rename target exists");
                    if r.dest.path == rb.dest.path {
                        if let Some(kind) = self.merge_entries(&r.dest.path, base, da, db)? {
                            conflicts.insert(r.dest.path.clone(), kind);
                        }
                        moved_present.insert(&r.dest.path, true);
                    } else {
                        for p in [s, r.dest.path.as_str(), rb.dest.path.as_str()] {
                            conflicts.insert(p.to_string(), ConflictKind::Rename);
                        }
                        moved_present.insert(&r.dest.path, true);
                        moved_present.insert(&rb.dest.path, true);
                    }
                    handled.extend([s, r.dest.path.as_str(), rb.dest.path.as_str()]);
                }
                None => {
                    self.rename_against_plain(
                        r,
                        mb[s],
                        Side::A,
                        &mut conflicts,
                        &mut moved_present,
                    )?;
                    handled.extend([s, r.dest.path.as_str()]);
                }
            }
            moved_present.insert(s, false);
        }
        for r in &renames_b {
            let s = r.source.path.as_str();
            if by_source_a.contains_key(s) {
                continue;
            }
            self.rename_against_plain(r, ma[s], Side::B, &mut conflicts, &mut moved_present)?;
            handled.extend([s, r.dest.path.as_str()]);
            moved_present.insert(s, false);
        }

        // 2. Paths both sides changed.
        for ca in m.changes_a {
            let p = ca.path.as_str();
            let Some(cb) = mb.get(p) else { continue };
            if handled.contains(p) {
                continue;
            }
            if ca.old != cb.old {
                return unknown(format!("{p}: the two sides disagree on the base"));
            }
            match (ca.new, cb.new) {
                (x, y) if x == y => {}
                (None, Some(_)) | (Some(_), None) => {
                    conflicts.insert(p.to_string(), ConflictKind::ModifyDelete);
                }
                (Some(x), Some(y)) => {
                    if x.kind() != y.kind() {
                        self.distinct_types(m, p, x, y, &mut conflicts)?;
                        continue;
                    }
                    match ca.old {
                        None => {
                            if x.kind() == EntryType::Submodule {
                                return unknown(format!("{p}: submodule added on both sides"));
                            }
                            conflicts.insert(p.to_string(), ConflictKind::AddAdd);
                        }
                        Some(o) => {
                            if let Some(kind) = self.merge_entries(p, o, x, y)? {
                                conflicts.insert(p.to_string(), kind);
                            }
                        }
                    }
                }
                (None, None) => unreachable!("equal sides are handled above"),
            }
        }

        // 3. A file in the way of a directory.
        self.file_directory(m, &ma, &mb, &moved_present, &mut conflicts)?;
        Ok(conflicts)
    }

    /// A rename on `side` whose source the other side modified or deleted
    /// (without renaming it).
    fn rename_against_plain<'c>(
        &mut self,
        r: &Rename<'c>,
        other: &TreeChange,
        side: Side,
        conflicts: &mut BTreeMap<String, ConflictKind>,
        present: &mut HashMap<&'c str, bool>,
    ) -> Step<()> {
        let dest = r.dest.path.as_str();
        let base = r.source.old.expect("a rename source existed");
        let moved = r.dest.new.expect("a rename target exists");
        present.insert(dest, true);
        match other.new {
            None => {
                conflicts.insert(dest.to_string(), ConflictKind::Rename);
            }
            Some(edited) => {
                if edited.kind() != base.kind() {
                    return unknown(format!(
                        "{}: renamed on one side, changed type on the other",
                        r.source.path
                    ));
                }
                let (x, y) = match side {
                    Side::A => (moved, edited),
                    Side::B => (edited, moved),
                };
                if let Some(kind) = self.merge_entries(dest, base, x, y)? {
                    conflicts.insert(dest.to_string(), kind);
                }
            }
        }
        Ok(())
    }

    /// The renames of `side` that the other side's changes make relevant.
    fn renames<'c>(
        &mut self,
        m: &TreeMerge<'_>,
        side: Side,
        changes: &'c [TreeChange],
        other: &HashMap<&str, &TreeChange>,
    ) -> Step<Vec<Rename<'c>>> {
        let dels: Vec<&TreeChange> = changes
            .iter()
            .filter(|c| c.old.is_some() && c.new.is_none())
            .collect();
        let adds: Vec<&TreeChange> = changes
            .iter()
            .filter(|c| c.old.is_none() && c.new.is_some())
            .collect();
        if dels.is_empty() || adds.is_empty() {
            return Ok(Vec::new());
        }
        let relevant: Vec<&TreeChange> = dels
            .iter()
            .copied()
            .filter(|d| other.contains_key(d.path.as_str()))
            .collect();
        // Directory renames: a directory this side removed entirely, where the
        // other side added something.
        let tree = match side {
            Side::A => m.a,
            Side::B => m.b,
        };
        let mut removed: HashSet<&str> = HashSet::new();
        let mut kept: HashSet<&str> = HashSet::new();
        for d in &dels {
            for dir in ancestors(&d.path) {
                if removed.contains(dir) || kept.contains(dir) {
                    break;
                }
                if self.repo.path_kind(tree, dir)? == PathKind::Tree {
                    kept.insert(dir);
                    break;
                }
                removed.insert(dir);
            }
        }
        if !removed.is_empty() {
            for c in other.values() {
                if c.old.is_none()
                    && c.new.is_some()
                    && ancestors(&c.path).any(|dir| removed.contains(dir))
                {
                    return unknown(format!(
                        "{}: added inside a directory the other side removed (directory rename detection)",
                        c.path
                    ));
                }
            }
        }
        if relevant.is_empty() {
            return Ok(Vec::new());
        }
        if !self.rules.enabled {
            return unknown("rename detection is configured off (merge.renames)");
        }
        let mut out: Vec<Rename<'c>> = Vec::new();
        let mut claimed: HashSet<&str> = HashSet::new();
        for s in relevant {
            let so = s.old.expect("deleted paths existed");
            let exact: Vec<&&TreeChange> = adds
                .iter()
                .filter(|a| a.new.expect("added").oid == so.oid)
                .collect();
            let dest = if !exact.is_empty() {
                let twins = dels
                    .iter()
                    .filter(|d| d.old.expect("deleted").oid == so.oid)
                    .count();
                if exact.len() > 1 || twins > 1 {
                    return unknown(format!(
                        "{}: several identical files renamed on one side",
                        s.path
                    ));
                }
                Some(*exact[0])
            } else {
                self.inexact_rename(s, &adds)?
            };
            let Some(dest) = dest else { continue };
            if !claimed.insert(dest.path.as_str()) {
                return unknown(format!("{}: two renames onto one path", dest.path));
            }
            out.push(Rename { source: s, dest });
        }
        Ok(out)
    }

    fn inexact_rename<'c>(
        &mut self,
        source: &TreeChange,
        adds: &[&'c TreeChange],
    ) -> Step<Option<&'c TreeChange>> {
        let so = source.old.expect("deleted paths existed");
        if so.kind() != EntryType::File {
            return Ok(None);
        }
        let candidates: Vec<&&TreeChange> = adds
            .iter()
            .filter(|a| a.new.expect("added").kind() == EntryType::File)
            .collect();
        if candidates.len() > self.rules.limit {
            return unknown(format!(
                "{}: too many rename candidates ({})",
                source.path,
                candidates.len()
            ));
        }
        let minimum = similarity::MAX_SCORE * u64::from(self.rules.threshold) / 100;
        let src = self.spans(so.oid)?;
        let mut found = None;
        for a in candidates {
            let dst = self.spans(a.new.expect("added").oid)?;
            let s = similarity::score(&src, &dst, minimum.saturating_sub(UNCERTAIN_BAND));
            if s + UNCERTAIN_BAND >= minimum && s < minimum + UNCERTAIN_BAND {
                return unknown(format!(
                    "{} -> {}: similarity too close to the rename threshold",
                    source.path, a.path
                ));
            }
            if s >= minimum {
                if found.is_some() {
                    return unknown(format!("{}: several possible rename targets", source.path));
                }
                found = Some(*a);
            }
        }
        Ok(found)
    }

    fn spans(&mut self, oid: Oid) -> Step<Spans> {
        if let Some(s) = self.spans.get(&oid) {
            return Ok(s.clone());
        }
        let data = self.repo.blob_content(oid)?;
        let s = Spans::of(&data, !crate::git::merge::looks_binary(&data));
        self.spans.insert(oid, s.clone());
        Ok(s)
    }

    /// Three-way merge of one path's entries; `Some(kind)` when it conflicts.
    fn merge_entries(
        &mut self,
        path: &str,
        o: Entry,
        x: Entry,
        y: Entry,
    ) -> Step<Option<ConflictKind>> {
        if x == y || x == o {
            return Ok(None);
        }
        if y == o {
            return Ok(None);
        }
        if x.kind() != y.kind() {
            return unknown(format!("{path}: entry types differ"));
        }
        if x.mode != y.mode && x.mode != o.mode && y.mode != o.mode {
            return unknown(format!("{path}: file modes changed differently"));
        }
        if x.oid == y.oid || x.oid == o.oid || y.oid == o.oid {
            return Ok(None);
        }
        match (o.kind(), x.kind()) {
            (EntryType::File, EntryType::File) => {}
            (EntryType::Symlink, EntryType::Symlink) => return Ok(Some(ConflictKind::Content)),
            _ => return unknown(format!("{path}: cannot merge this kind of entry")),
        }
        let driver = self.contents.attributes.driver(self.repo, path);
        let key = (driver.clone(), o.oid, x.oid, y.oid);
        if let Some(v) = self.contents.merged.lock().expect("merge memo").get(&key) {
            return Ok(*v);
        }
        let verdict = self.merge_blobs(path, &driver, o, x, y)?;
        self.contents
            .merged
            .lock()
            .expect("merge memo")
            .insert(key, verdict);
        Ok(verdict)
    }

    /// git's `ll_merge` of three different blobs with the path's driver.
    fn merge_blobs(
        &mut self,
        path: &str,
        driver: &Driver,
        o: Entry,
        x: Entry,
        y: Entry,
    ) -> Step<Option<ConflictKind>> {
        match driver {
            Driver::External(name) => {
                return unknown(format!("{path}: merged by the custom driver `{name}`"));
            }
            Driver::Binary => return Ok(Some(ConflictKind::Binary)),
            Driver::Text | Driver::Union => {}
        }
        if self.contents.renormalize {
            return unknown(format!("{path}: merge.renormalize converts contents first"));
        }
        let Some(text) = self.contents.text else {
            return unknown("diff.algorithm or merge.conflictStyle has a value git would refuse");
        };
        let blobs = [
            self.repo.blob_content(o.oid)?,
            self.repo.blob_content(x.oid)?,
            self.repo.blob_content(y.oid)?,
        ];
        if blobs.iter().any(|b| crate::git::merge::looks_binary(b)) {
            return Ok(Some(ConflictKind::Binary));
        }
        if *driver == Driver::Union {
            return Ok(None);
        }
        match text.conflicts(&blobs[0], &blobs[1], &blobs[2]) {
            Some(0) => Ok(None),
            Some(_) => Ok(Some(ConflictKind::Content)),
            None => unknown(format!("{path}: the text merge failed")),
        }
    }

    /// Both sides hold different kinds of entry at `p` (file, symlink,
    /// submodule): git keeps one at `p` and moves the regular file aside to
    /// `p~<side>` (both aside when neither is a regular file).
    fn distinct_types(
        &mut self,
        m: &TreeMerge<'_>,
        p: &str,
        x: Entry,
        y: Entry,
        conflicts: &mut BTreeMap<String, ConflictKind>,
    ) -> Step<()> {
        let (move_a, move_b) = if x.kind() == EntryType::File {
            (true, false)
        } else if y.kind() == EntryType::File {
            (false, true)
        } else {
            (true, true)
        };
        let mut paths = Vec::new();
        if move_a {
            paths.push(self.aside(m, p, m.label_a)?);
        }
        if move_b {
            paths.push(self.aside(m, p, m.label_b)?);
        }
        if !(move_a && move_b) {
            paths.push(p.to_string());
        }
        for q in paths {
            conflicts.insert(q, ConflictKind::DistinctTypes);
        }
        Ok(())
    }

    /// `p~label`, the name git moves a conflicting entry to, when it is free.
    fn aside(&mut self, m: &TreeMerge<'_>, p: &str, label: &str) -> Step<String> {
        let q = format!("{p}~{label}");
        for tree in [m.base, m.a, m.b] {
            if self.repo.path_kind(tree, &q)? != PathKind::Missing {
                return unknown(format!("{q} already exists"));
            }
        }
        Ok(q)
    }

    /// Paths that end up a file in the merged tree while the other side puts
    /// files below them.
    fn file_directory(
        &mut self,
        m: &TreeMerge<'_>,
        ma: &HashMap<&str, &TreeChange>,
        mb: &HashMap<&str, &TreeChange>,
        moved: &HashMap<&str, bool>,
        conflicts: &mut BTreeMap<String, ConflictKind>,
    ) -> Step<()> {
        // A clash needs a path one side changed below a path the other
        // side changed (within one side's tree a file cannot hold children).
        let crosses = |from: &HashMap<&str, &TreeChange>, other: &HashMap<&str, &TreeChange>| {
            from.keys()
                .any(|q| ancestors(q).any(|d| other.contains_key(d)))
        };
        if moved.is_empty() && !crosses(ma, mb) && !crosses(mb, ma) {
            return Ok(());
        }
        // Which sides hold a file at each changed path in the merged result.
        let mut files: BTreeMap<&str, (bool, bool)> = BTreeMap::new();
        for (p, c) in ma {
            files.entry(p).or_default().0 = c.new.is_some();
        }
        for (p, c) in mb {
            files.entry(p).or_default().1 = c.new.is_some();
        }
        let present = |p: &str, sides: (bool, bool)| -> bool {
            if let Some(&v) = moved.get(p) {
                return v;
            }
            match (ma.get(p), mb.get(p)) {
                (Some(_), Some(_)) => sides.0 || sides.1,
                (Some(_), None) => sides.0,
                (None, Some(_)) => sides.1,
                (None, None) => false,
            }
        };
        let mut clashes: BTreeSet<&str> = BTreeSet::new();
        for (&q, &sides) in &files {
            if !present(q, sides) {
                continue;
            }
            for dir in ancestors(q) {
                if let Some(&dsides) = files.get(dir) {
                    if present(dir, dsides) {
                        clashes.insert(dir);
                    }
                }
            }
        }
        for p in clashes {
            let (in_a, in_b) = files[p];
            let label = match (in_a, in_b) {
                (true, false) => m.label_a,
                (false, true) => m.label_b,
                _ => {
                    return unknown(format!(
                        "{p}: a file on both sides and a directory in the way"
                    ));
                }
            };
            let q = self.aside(m, p, label)?;
            conflicts.remove(p);
            conflicts.insert(q, ConflictKind::FileDirectory);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_go_deepest_first() {
        assert_eq!(ancestors("a/b/c.txt").collect::<Vec<_>>(), ["a/b", "a"]);
        assert_eq!(ancestors("top").count(), 0);
    }
}
