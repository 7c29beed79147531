//! The tree-diff cache: `<common git dir>/kickoff/conflicts-diffs.bin`.
//!
//! The engine diffs every tree it needs against one reference tree R (see
//! `Diffs` in the parent module). Such a diff is a pure function of the two
//! tree ids, so it is stored keyed by both: the file holds one reference
//! tree and, per tree id, every path whose entry differs from R's. The next
//! run keeps the stored reference when that tree is among the ones it needs,
//! and then only diffs trees it has never seen (after one kickoff gained a
//! commit: that commit's tree). Any R gives the same verdicts, because the
//! changes between two trees follow exactly from their changes against R.
//!
//! The file is compact binary, written whole to a temporary file renamed
//! into place, and ends with a 64-bit checksum of everything before it. A
//! file with another layout, another engine fingerprint, a bad checksum or
//! any inconsistency is ignored (and replaced on the next write). Trees unused
//! in the last [`KEEP_RUNS`] runs are dropped.

use crate::git::merge::{Entry, TreeChange};
use git2::Oid;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const FILE: &str = "conflicts-diffs.bin";
const MAGIC: &[u8] = b"kickoff-tree-diffs\0v1\0";
/// Trees not used in this many runs are dropped.
pub const KEEP_RUNS: u64 = 50;

/// Changes of a tree against the reference tree, sorted by path.
pub type Changes = Arc<Vec<TreeChange>>;

pub struct DiffCache {
    path: Option<PathBuf>,
    fingerprint: String,
    run: u64,
    reference: Option<Oid>,
    /// Tree -> (last run that used it, its changes against `reference`).
    trees: HashMap<Oid, (u64, Changes)>,
    dirty: bool,
}

/// Where the diff cache of a repository lives.
pub fn path_in(common_dir: &Path) -> PathBuf {
    common_dir.join("kickoff").join(FILE)
}

impl DiffCache {
    /// A cache that stores nothing.
    pub fn disabled() -> DiffCache {
        DiffCache {
            path: None,
            fingerprint: String::new(),
            run: 0,
            reference: None,
            trees: HashMap::new(),
            dirty: false,
        }
    }

    /// Load the cache of the repository whose common git dir is given; a
    /// missing, foreign or damaged file is an empty cache.
    pub fn load(common_dir: &Path, fingerprint: &str) -> DiffCache {
        let path = path_in(common_dir);
        let parsed = std::fs::read(&path)
            .ok()
            .and_then(|data| decode(&data))
            .filter(|f| f.fingerprint == fingerprint);
        let (run, reference, trees) = match parsed {
            Some(f) => (f.run + 1, Some(f.reference), f.trees),
            None => (1, None, HashMap::new()),
        };
        DiffCache {
            path: Some(path),
            fingerprint: fingerprint.to_string(),
            run,
            reference,
            trees,
            dirty: false,
        }
    }

    /// The reference tree the stored diffs are against.
    pub fn reference(&self) -> Option<Oid> {
        self.reference
    }

    /// The stored changes of `tree` against `reference`, if any.
    pub fn get(&self, reference: Oid, tree: Oid) -> Option<Changes> {
        if self.reference != Some(reference) {
            return None;
        }
        self.trees.get(&tree).map(|(_, c)| c.clone())
    }

    /// Record the diffs a run used (looked up or computed), all against
    /// `reference`. A new reference replaces every stored diff.
    pub fn record(&mut self, reference: Oid, used: &HashMap<Oid, Changes>) {
        if self.path.is_none() {
            return;
        }
        if self.reference != Some(reference) {
            self.reference = Some(reference);
            self.trees.clear();
            self.dirty = true;
        }
        for (tree, changes) in used {
            match self.trees.get_mut(tree) {
                Some((run, _)) if *run == self.run => {}
                Some((run, _)) => {
                    *run = self.run;
                    self.dirty = true;
                }
                None => {
                    self.trees.insert(*tree, (self.run, changes.clone()));
                    self.dirty = true;
                }
            }
        }
    }

    /// Write the cache back when it changed. Failing to write only costs
    /// speed next time, so errors are ignored.
    pub fn save(&mut self) {
        let (Some(path), Some(reference)) = (&self.path, self.reference) else {
            return;
        };
        if !self.dirty {
            return;
        }
        let run = self.run;
        self.trees.retain(|_, (used, _)| *used + KEEP_RUNS > run);
        let data = encode(&self.fingerprint, run, reference, &self.trees);
        let Some(dir) = path.parent() else { return };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir) else {
            return;
        };
        if std::io::Write::write_all(tmp.as_file_mut(), &data).is_ok() {
            let _ = tmp.persist(path);
        }
        self.dirty = false;
    }
}

struct Decoded {
    fingerprint: String,
    run: u64,
    reference: Oid,
    trees: HashMap<Oid, (u64, Changes)>,
}

/// A 64-bit check of the file's content: every 8-byte word goes through a
/// chain of bijections, so a change confined to one word always changes the
/// result, and any other damage does with near certainty. Not a defence
/// against deliberate forgery (nothing in the git dir is).
fn checksum(data: &[u8]) -> [u8; 8] {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (data.len() as u64).wrapping_mul(K) ^ 0x6b69_636b_6f66_6621;
    let mut words = data.chunks_exact(8);
    for w in words.by_ref() {
        let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        h = (h ^ w).wrapping_mul(K).rotate_left(29);
    }
    for &b in words.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(K).rotate_left(29);
    }
    h ^= h >> 32;
    h.wrapping_mul(K).to_le_bytes()
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

fn encode(
    fingerprint: &str,
    run: u64,
    reference: Oid,
    trees: &HashMap<Oid, (u64, Changes)>,
) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    put_u32(&mut out, fingerprint.len());
    out.extend_from_slice(fingerprint.as_bytes());
    out.extend_from_slice(&run.to_le_bytes());
    out.extend_from_slice(reference.as_bytes());
    // Paths repeat from tree to tree: stored once, referred to by index.
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut paths: Vec<&str> = Vec::new();
    let mut sorted: Vec<(&Oid, &(u64, Changes))> = trees.iter().collect();
    sorted.sort_by_key(|(oid, _)| **oid);
    for (_, (_, changes)) in &sorted {
        for c in changes.iter() {
            index.entry(c.path.as_str()).or_insert_with(|| {
                paths.push(c.path.as_str());
                paths.len() - 1
            });
        }
    }
    put_u32(&mut out, paths.len());
    for p in &paths {
        put_u32(&mut out, p.len());
        out.extend_from_slice(p.as_bytes());
    }
    put_u32(&mut out, sorted.len());
    for (oid, (used, changes)) in &sorted {
        out.extend_from_slice(oid.as_bytes());
        out.extend_from_slice(&used.to_le_bytes());
        put_u32(&mut out, changes.len());
        for c in changes.iter() {
            put_u32(&mut out, index[c.path.as_str()]);
            out.push(u8::from(c.old.is_some()) | (u8::from(c.new.is_some()) << 1));
            for e in [c.old, c.new].into_iter().flatten() {
                out.extend_from_slice(&e.mode.to_le_bytes());
                out.extend_from_slice(e.oid.as_bytes());
            }
        }
    }
    let sum = checksum(&out);
    out.extend_from_slice(&sum);
    out
}

struct Reader<'d> {
    data: &'d [u8],
    at: usize,
}

impl<'d> Reader<'d> {
    fn take(&mut self, n: usize) -> Option<&'d [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.data.get(self.at..end)?;
        self.at = end;
        Some(s)
    }
    fn u32(&mut self) -> Option<usize> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn oid(&mut self) -> Option<Oid> {
        Oid::from_bytes(self.take(20)?).ok()
    }
}

fn decode(data: &[u8]) -> Option<Decoded> {
    let body_len = data.len().checked_sub(8)?;
    let (body, sum) = data.split_at(body_len);
    if checksum(body) != sum {
        return None;
    }
    let mut r = Reader { data: body, at: 0 };
    if r.take(MAGIC.len())? != MAGIC {
        return None;
    }
    let n = r.u32()?;
    let fingerprint = std::str::from_utf8(r.take(n)?).ok()?.to_string();
    let run = r.u64()?;
    let reference = r.oid()?;
    let npaths = r.u32()?;
    let mut paths = Vec::with_capacity(npaths.min(body.len()));
    for _ in 0..npaths {
        let n = r.u32()?;
        paths.push(std::str::from_utf8(r.take(n)?).ok()?);
    }
    let ntrees = r.u32()?;
    let mut trees = HashMap::with_capacity(ntrees.min(body.len()));
    for _ in 0..ntrees {
        let tree = r.oid()?;
        let used = r.u64()?;
        let n = r.u32()?;
        let mut changes: Vec<TreeChange> = Vec::with_capacity(n.min(body.len()));
        for _ in 0..n {
            let path = *paths.get(r.u32()?)?;
            let flags = r.take(1)?[0];
            if flags & !3 != 0 || flags == 0 {
                return None;
            }
            let mut entry = |present: bool| -> Option<Option<Entry>> {
                if !present {
                    return Some(None);
                }
                let mode = u32::from_le_bytes(r.take(4)?.try_into().ok()?);
                Some(Some(Entry {
                    mode,
                    oid: r.oid()?,
                }))
            };
            let old = entry(flags & 1 != 0)?;
            let new = entry(flags & 2 != 0)?;
            if changes.last().is_some_and(|l| l.path.as_str() >= path) {
                return None; // not sorted by path: not ours
            }
            changes.push(TreeChange {
                path: path.to_string(),
                old,
                new,
            });
        }
        if trees.insert(tree, (used, Arc::new(changes))).is_some() {
            return None;
        }
    }
    if r.at != body.len() {
        return None;
    }
    Some(Decoded {
        fingerprint,
        run,
        reference,
        trees,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(n: u8) -> Oid {
        Oid::from_bytes(&[n; 20]).unwrap()
    }

    fn e(n: u8) -> Option<Entry> {
        Some(Entry {
            mode: 0o100644,
            oid: oid(n),
        })
    }

    fn changes() -> Changes {
        Arc::new(vec![
            TreeChange {
                path: "a/x".into(),
                old: e(1),
                new: e(2),
            },
            TreeChange {
                path: "b".into(),
                old: None,
                new: Some(Entry {
                    mode: 0o120000,
                    oid: oid(3),
                }),
            },
            TreeChange {
                path: "c".into(),
                old: e(4),
                new: None,
            },
        ])
    }

    fn used(tree: Oid, c: &Changes) -> HashMap<Oid, Changes> {
        HashMap::from([(tree, c.clone())])
    }

    #[test]
    fn round_trip_keyed_by_reference_tree_and_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let (r, t) = (oid(10), oid(11));
        let c = changes();
        let mut d = DiffCache::load(dir.path(), "opts1");
        assert_eq!(d.reference(), None);
        d.record(r, &used(t, &c));
        d.record(r, &used(oid(12), &Arc::new(Vec::new())));
        d.save();
        let d = DiffCache::load(dir.path(), "opts1");
        assert_eq!(d.reference(), Some(r));
        assert_eq!(d.get(r, t).as_deref(), Some(&*c));
        assert_eq!(d.get(r, oid(12)).as_deref(), Some(&Vec::new()));
        assert!(d.get(r, oid(13)).is_none(), "another tree misses");
        assert!(d.get(oid(9), t).is_none(), "another reference misses");
        let other = DiffCache::load(dir.path(), "opts2");
        assert_eq!(other.reference(), None, "options are part of the key");
        assert!(other.get(r, t).is_none());
    }

    #[test]
    fn a_new_reference_replaces_every_stored_diff() {
        let dir = tempfile::tempdir().unwrap();
        let c = changes();
        let mut d = DiffCache::load(dir.path(), "o");
        d.record(oid(10), &used(oid(11), &c));
        d.save();
        let mut d = DiffCache::load(dir.path(), "o");
        d.record(oid(20), &used(oid(21), &c));
        d.save();
        let d = DiffCache::load(dir.path(), "o");
        assert!(d.get(oid(10), oid(11)).is_none());
        assert!(d.get(oid(20), oid(11)).is_none());
        assert_eq!(d.get(oid(20), oid(21)).as_deref(), Some(&*c));
    }

    #[test]
    fn damaged_files_are_ignored_and_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_in(dir.path());
        let c = changes();
        let mut d = DiffCache::load(dir.path(), "o");
        d.record(oid(10), &used(oid(11), &c));
        d.save();
        let good = std::fs::read(&path).unwrap();
        // Every single flipped byte and every truncation is caught.
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x40;
            assert!(decode(&bad).is_none(), "flipped byte {i}");
            assert!(decode(&good[..i]).is_none(), "cut at {i}");
        }
        std::fs::write(&path, b"not a cache").unwrap();
        let mut d = DiffCache::load(dir.path(), "o");
        assert!(d.get(oid(10), oid(11)).is_none());
        d.record(oid(10), &used(oid(11), &c));
        d.save();
        let d = DiffCache::load(dir.path(), "o");
        assert_eq!(d.get(oid(10), oid(11)).as_deref(), Some(&*c));
    }

    #[test]
    fn unused_trees_expire() {
        let dir = tempfile::tempdir().unwrap();
        let c = changes();
        let mut d = DiffCache::load(dir.path(), "o");
        d.record(oid(10), &used(oid(11), &c));
        d.save();
        for _ in 0..KEEP_RUNS {
            let mut d = DiffCache::load(dir.path(), "o");
            d.record(oid(10), &used(oid(12), &c));
            d.save();
        }
        let d = DiffCache::load(dir.path(), "o");
        assert!(d.get(oid(10), oid(11)).is_none());
        assert!(d.get(oid(10), oid(12)).is_some());
    }
}
