//! The verdict cache: `<common git dir>/kickoff/conflicts-cache.json`.
//!
//! A verdict is a pure function of the two commits, the names git gives them
//! in `p~name` paths, and the engine's settings; the key holds all of them
//! (settings as the options' fingerprint, which includes the engine and
//! libgit2 versions), so an entry can never answer for anything else. A
//! commit that moves simply stops matching its old keys. "Could not check"
//! verdicts are not cached. A file that cannot be read or parsed is ignored
//! and rewritten; writes go to a temporary file renamed into place, so a
//! reader never sees half a file. Entries unused for the last
//! [`KEEP_RUNS`] runs are dropped.

use super::{ConflictKind, ConflictPath, Outcome, Tip};
use git2::Oid;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const FILE: &str = "conflicts-cache.json";
const SCHEMA: u32 = 1;
/// Entries not used in this many runs are dropped.
pub const KEEP_RUNS: u64 = 50;

#[derive(Debug, Serialize, Deserialize)]
struct File {
    schema: u32,
    run: u64,
    entries: HashMap<String, Stored>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    bases: Vec<String>,
    conflict: bool,
    #[serde(default)]
    paths: Vec<(String, String)>,
    run: u64,
}

pub struct Cache {
    path: Option<PathBuf>,
    fingerprint: String,
    run: u64,
    entries: HashMap<String, Stored>,
    dirty: bool,
}

/// Where the cache of a repository lives.
pub fn path_in(common_dir: &Path) -> PathBuf {
    common_dir.join("kickoff").join(FILE)
}

impl Cache {
    /// A cache that stores nothing.
    pub fn disabled() -> Cache {
        Cache {
            path: None,
            fingerprint: String::new(),
            run: 0,
            entries: HashMap::new(),
            dirty: false,
        }
    }

    /// Load the cache of the repository whose common git dir is given; a
    /// missing or unreadable file is an empty cache.
    pub fn load(common_dir: &Path, fingerprint: &str) -> Cache {
        let path = path_in(common_dir);
        let file = std::fs::read(&path)
            .ok()
            .and_then(|data| serde_json::from_slice::<File>(&data).ok())
            .filter(|f| f.schema == SCHEMA);
        let (run, entries) = match file {
            Some(f) => (f.run + 1, f.entries),
            None => (1, HashMap::new()),
        };
        Cache {
            path: Some(path),
            fingerprint: fingerprint.to_string(),
            run,
            entries,
            dirty: false,
        }
    }

    fn key(&self, a: &Tip, b: &Tip) -> String {
        format!(
            "{}|{}|{}|{}|{}",
            self.fingerprint, a.oid, b.oid, a.label, b.label
        )
    }

    /// The cached merge bases and verdict of a pair, if any.
    pub fn get(&mut self, a: &Tip, b: &Tip) -> Option<(Vec<Oid>, Outcome)> {
        self.path.as_ref()?;
        let key = self.key(a, b);
        let run = self.run;
        let stored = self.entries.get_mut(&key)?;
        let bases: Option<Vec<Oid>> = stored.bases.iter().map(|s| Oid::from_str(s).ok()).collect();
        let paths: Option<Vec<ConflictPath>> = stored
            .paths
            .iter()
            .map(|(p, k)| {
                ConflictKind::parse(k).map(|kind| ConflictPath {
                    path: p.clone(),
                    kind,
                })
            })
            .collect();
        let (bases, paths) = (bases?, paths?);
        let outcome = match (stored.conflict, paths.is_empty()) {
            (false, true) => Outcome::Clean,
            (true, false) => Outcome::Conflict(paths),
            _ => return None,
        };
        if stored.run != run {
            stored.run = run;
            self.dirty = true;
        }
        Some((bases, outcome))
    }

    pub fn put(&mut self, a: &Tip, b: &Tip, bases: &[Oid], outcome: &Outcome) {
        if self.path.is_none() {
            return;
        }
        let (conflict, paths) = match outcome {
            Outcome::Clean => (false, Vec::new()),
            Outcome::Conflict(p) => (
                true,
                p.iter()
                    .map(|c| (c.path.clone(), c.kind.as_str().to_string()))
                    .collect(),
            ),
            Outcome::Unknown(_) => return,
        };
        let key = self.key(a, b);
        self.entries.insert(
            key,
            Stored {
                bases: bases.iter().map(Oid::to_string).collect(),
                conflict,
                paths,
                run: self.run,
            },
        );
        self.dirty = true;
    }

    /// Write the cache back when it changed. Failing to write only costs
    /// speed next time, so errors are ignored.
    pub fn save(&mut self) {
        let Some(path) = &self.path else { return };
        if !self.dirty {
            return;
        }
        let run = self.run;
        self.entries.retain(|_, e| e.run + KEEP_RUNS > run);
        let file = File {
            schema: SCHEMA,
            run,
            entries: std::mem::take(&mut self.entries),
        };
        let Some(dir) = path.parent() else { return };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir) else {
            return;
        };
        let written = serde_json::to_writer(std::io::BufWriter::new(tmp.as_file_mut()), &file);
        if written.is_ok() {
            let _ = tmp.persist(path);
        }
        self.entries = file.entries;
        self.dirty = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tip(label: &str, n: u8) -> Tip {
        Tip::new(label, Oid::from_bytes(&[n; 20]).unwrap())
    }

    #[test]
    fn round_trip_and_keyed_by_commits_labels_and_options() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (tip("a", 1), tip("b", 2));
        let outcome = Outcome::Conflict(vec![ConflictPath {
            path: "f".into(),
            kind: ConflictKind::Content,
        }]);
        let mut c = Cache::load(dir.path(), "opts1");
        assert!(c.get(&a, &b).is_none());
        c.put(&a, &b, &[a.oid], &outcome);
        c.put(&a, &tip("c", 3), &[a.oid], &Outcome::Clean);
        c.save();
        let mut c = Cache::load(dir.path(), "opts1");
        assert_eq!(c.get(&a, &b), Some((vec![a.oid], outcome)));
        assert_eq!(c.get(&a, &tip("c", 3)).map(|v| v.1), Some(Outcome::Clean));
        assert!(c.get(&b, &a).is_none(), "order is part of the key");
        assert!(c.get(&a, &tip("b", 9)).is_none(), "a moved commit misses");
        assert!(
            c.get(&a, &tip("other", 2)).is_none(),
            "labels are part of the key"
        );
        let mut other = Cache::load(dir.path(), "opts2");
        assert!(other.get(&a, &b).is_none(), "options are part of the key");
    }

    #[test]
    fn corrupt_file_is_ignored_and_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_in(dir.path());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"{not json").unwrap();
        let (a, b) = (tip("a", 1), tip("b", 2));
        let mut c = Cache::load(dir.path(), "o");
        assert!(c.get(&a, &b).is_none());
        c.put(&a, &b, &[], &Outcome::Clean);
        c.save();
        let mut c = Cache::load(dir.path(), "o");
        assert_eq!(c.get(&a, &b).map(|v| v.1), Some(Outcome::Clean));
    }

    #[test]
    fn unknown_verdicts_are_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (tip("a", 1), tip("b", 2));
        let mut c = Cache::load(dir.path(), "o");
        c.put(&a, &b, &[], &Outcome::Unknown("why".into()));
        c.save();
        assert!(Cache::load(dir.path(), "o").get(&a, &b).is_none());
    }
}
