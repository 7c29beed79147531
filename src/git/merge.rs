//! Read-only git access for the conflict engine: merge bases, tree diffs,
//! blob reads and in-memory three-way content merges.
//!
//! Nothing here writes to the object database or the work tree: trees are
//! compared with `git_diff_tree_to_tree`, contents are merged with
//! `git_merge_file_from_index`, which returns the merged text in memory.
//! Never call `write_tree`, `Index::write` or `merge_trees` + write from here.

use super::{GitError, Repo, Result};
use git2::{ErrorCode, IndexEntry, IndexTime, ObjectType, Oid};
use std::path::Path;

/// One side of a tree entry: its mode and object id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Entry {
    pub mode: u32,
    pub oid: Oid,
}

/// What kind of object a tree entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryType {
    File,
    Symlink,
    Submodule,
}

impl Entry {
    pub fn kind(&self) -> EntryType {
        match self.mode & 0o170000 {
            0o120000 => EntryType::Symlink,
            0o160000 => EntryType::Submodule,
            _ => EntryType::File,
        }
    }
}

/// A path whose entry differs between two trees (no rename detection:
/// a rename shows as a deletion and an addition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeChange {
    pub path: String,
    pub old: Option<Entry>,
    pub new: Option<Entry>,
}

/// One entry of a tree being compared.
struct Item<'t> {
    is_tree: bool,
    raw: git2::TreeEntry<'t>,
    entry: Entry,
}

impl Item<'_> {
    fn name(&self) -> &[u8] {
        self.raw.name_bytes()
    }
}

fn tree_items<'t>(tree: Option<&'t git2::Tree<'_>>) -> Vec<Item<'t>> {
    tree.map_or_else(Vec::new, |t| {
        t.iter()
            .map(|e| {
                let mode = e.filemode() as u32;
                let oid = e.id();
                Item {
                    is_tree: mode & 0o170000 == 0o040000,
                    raw: e,
                    entry: Entry { mode, oid },
                }
            })
            .collect()
    })
}

/// git's order of tree entries: by name, a subtree as if its name ended in `/`.
fn base_name_compare(a: &Item<'_>, b: &Item<'_>) -> std::cmp::Ordering {
    let (an, bn) = (a.name(), b.name());
    let n = an.len().min(bn.len());
    an[..n].cmp(&bn[..n]).then_with(|| {
        let end = |x: &Item<'_>, name: &[u8]| match name.get(n) {
            Some(&c) => c,
            None if x.is_tree => b'/',
            None => 0,
        };
        end(a, an).cmp(&end(b, bn))
    })
}

/// What a path names inside a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    Missing,
    Blob(Entry),
    Tree,
}

/// Whether the first 8000 bytes hold a NUL, git's own binary test.
pub fn looks_binary(data: &[u8]) -> bool {
    data[..data.len().min(8000)].contains(&0)
}

/// Where a repository lives, to open another handle on it (in another thread).
#[derive(Debug, Clone)]
pub struct RepoHandle {
    git_dir: std::path::PathBuf,
    workdir: std::path::PathBuf,
}

impl RepoHandle {
    pub fn open(&self) -> Result<Repo> {
        Ok(Repo {
            inner: git2::Repository::open(&self.git_dir)?,
            workdir: self.workdir.clone(),
        })
    }
}

impl Repo {
    /// Open a second handle on the same repository (git2 handles are not
    /// shared between threads).
    pub fn reopen(&self) -> Result<Repo> {
        self.handle().open()
    }

    /// A thread-safe description of this repository to reopen it elsewhere.
    pub fn handle(&self) -> RepoHandle {
        RepoHandle {
            git_dir: self.git_dir().to_path_buf(),
            workdir: self.workdir.clone(),
        }
    }

    /// Every merge base of two commits (several in criss-cross histories).
    pub fn merge_bases_all(&self, a: Oid, b: Oid) -> Result<Vec<Oid>> {
        match self.inner.merge_bases(a, b) {
            Ok(arr) => Ok(arr.iter().copied().collect()),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    /// The root tree of a commit.
    pub fn commit_tree_id(&self, commit: Oid) -> Result<Oid> {
        Ok(self.inner.find_commit(commit)?.tree_id())
    }

    /// The root tree of a commit's first parent, if it has one.
    pub fn first_parent_tree_id(&self, commit: Oid) -> Result<Option<Oid>> {
        let commit = self.inner.find_commit(commit)?;
        if commit.parent_count() == 0 {
            return Ok(None);
        }
        Ok(Some(commit.parent(0)?.tree_id()))
    }

    /// Every path whose entry differs between two trees, sorted by path.
    /// Type changes (file to symlink) are one change with both sides set; a
    /// file replaced by a directory is a deletion plus additions below it.
    /// Subtrees with the same object id on both sides are skipped unread.
    pub fn tree_changes(&self, old: Oid, new: Oid) -> Result<Vec<TreeChange>> {
        let mut out = Vec::new();
        if old != new {
            self.diff_subtrees(Some(old), Some(new), "", &mut out)?;
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    fn diff_subtrees(
        &self,
        old: Option<Oid>,
        new: Option<Oid>,
        prefix: &str,
        out: &mut Vec<TreeChange>,
    ) -> Result<()> {
        let old_tree = old.map(|o| self.inner.find_tree(o)).transpose()?;
        let new_tree = new.map(|o| self.inner.find_tree(o)).transpose()?;
        let (olds, news) = (tree_items(old_tree.as_ref()), tree_items(new_tree.as_ref()));
        let (mut i, mut j) = (0, 0);
        while i < olds.len() || j < news.len() {
            let order = match (olds.get(i), news.get(j)) {
                (Some(o), Some(n)) => base_name_compare(o, n),
                (Some(_), None) => std::cmp::Ordering::Less,
                _ => std::cmp::Ordering::Greater,
            };
            let (o, n) = match order {
                std::cmp::Ordering::Less => {
                    i += 1;
                    (Some(&olds[i - 1]), None)
                }
                std::cmp::Ordering::Greater => {
                    j += 1;
                    (None, Some(&news[j - 1]))
                }
                std::cmp::Ordering::Equal => {
                    i += 1;
                    j += 1;
                    (Some(&olds[i - 1]), Some(&news[j - 1]))
                }
            };
            if let (Some(o), Some(n)) = (o, n) {
                if o.entry == n.entry {
                    continue;
                }
            }
            let raw = o.or(n).map(|x| x.name()).unwrap_or_default();
            let name = std::str::from_utf8(raw).map_err(|_| {
                GitError::Lib(git2::Error::from_str(&format!(
                    "path is not UTF-8: {prefix}{}",
                    String::from_utf8_lossy(raw)
                )))
            })?;
            let path = format!("{prefix}{name}");
            let tree_of = |x: Option<&Item>| x.filter(|x| x.is_tree).map(|x| x.entry.oid);
            let blob_of = |x: Option<&Item>| x.filter(|x| !x.is_tree).map(|x| x.entry);
            if tree_of(o).is_some() || tree_of(n).is_some() {
                self.diff_subtrees(tree_of(o), tree_of(n), &format!("{path}/"), out)?;
            }
            let (ob, nb) = (blob_of(o), blob_of(n));
            if ob.is_some() || nb.is_some() {
                out.push(TreeChange {
                    path,
                    old: ob,
                    new: nb,
                });
            }
        }
        Ok(())
    }

    /// What `path` names in `tree`.
    pub fn path_kind(&self, tree: Oid, path: &str) -> Result<PathKind> {
        let tree = self.inner.find_tree(tree)?;
        match tree.get_path(Path::new(path)) {
            Ok(e) => Ok(match e.kind() {
                Some(ObjectType::Tree) => PathKind::Tree,
                _ => PathKind::Blob(Entry {
                    mode: e.filemode() as u32,
                    oid: e.id(),
                }),
            }),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(PathKind::Missing),
            Err(e) => Err(e.into()),
        }
    }

    /// The content of a blob.
    pub fn blob_content(&self, oid: Oid) -> Result<Vec<u8>> {
        Ok(self.inner.find_blob(oid)?.content().to_vec())
    }

    /// Whether a blob looks binary to git (a NUL in its first 8000 bytes).
    pub fn blob_is_binary(&self, oid: Oid) -> Result<bool> {
        Ok(looks_binary(self.inner.find_blob(oid)?.content()))
    }

    /// Three-way merge of text blobs in memory; `true` when it merges cleanly.
    /// `patience` selects the patience diff (closer to git's histogram diff
    /// than libgit2's default Myers on typical source files).
    pub fn merge_blobs_clean(
        &self,
        path: &str,
        base: Entry,
        ours: Entry,
        theirs: Entry,
        patience: bool,
    ) -> Result<bool> {
        let entry = |e: Entry| IndexEntry {
            ctime: IndexTime::new(0, 0),
            mtime: IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: e.mode,
            uid: 0,
            gid: 0,
            file_size: 0,
            id: e.oid,
            flags: 0,
            flags_extended: 0,
            path: path.as_bytes().to_vec(),
        };
        let mut opts = git2::MergeFileOptions::new();
        opts.patience(patience);
        let result = self.inner.merge_file_from_index(
            &entry(base),
            &entry(ours),
            &entry(theirs),
            Some(&mut opts),
        )?;
        Ok(result.is_automergeable())
    }

    /// A git config value of this repository, as git would read it.
    pub fn config_string(&self, key: &str) -> Result<Option<String>> {
        self.config_get(key)
    }

    /// The names of the config variables matching `regex` (libgit2's
    /// pattern), in every scope; unreadable config gives none.
    pub fn config_names_matching(&self, regex: &str) -> Vec<String> {
        let mut names = Vec::new();
        if let Ok(cfg) = self.inner.config() {
            if let Ok(mut entries) = cfg.entries(Some(regex)) {
                while let Some(Ok(e)) = entries.next() {
                    names.extend(e.name().map(str::to_string));
                }
            }
        }
        names
    }

    /// The tree a revision names (`attr.tree`), if it names one.
    pub fn tree_of_rev(&self, rev: &str) -> Option<Oid> {
        self.inner
            .revparse_single(rev)
            .ok()
            .and_then(|o| o.peel_to_tree().ok())
            .map(|t| t.id())
    }

    /// The `.gitattributes` files of the index (stage 0 only: a conflicted
    /// entry is not read), by directory (`""` for the top).
    pub fn index_attribute_files(&self) -> std::collections::HashMap<String, Oid> {
        let mut found = std::collections::HashMap::new();
        let Ok(idx) = self.inner.index() else {
            return found;
        };
        for e in idx.iter() {
            let path = String::from_utf8_lossy(&e.path);
            let dir = if path == ".gitattributes" {
                ""
            } else if let Some(d) = path.strip_suffix("/.gitattributes") {
                d
            } else {
                continue;
            };
            if (e.flags >> 12) & 3 == 0 {
                found.insert(dir.to_string(), e.id);
            }
        }
        found
    }
}

/// Settings for reading many trees: objects are not re-hashed on every read
/// (libgit2 verifies by default; git itself does not on reads), and trees of
/// any size stay in libgit2's object cache (by default only trees under 4 KiB
/// do, so large directories were inflated and parsed again for every pair).
/// Process-wide.
pub fn tune_for_bulk_reads() {
    git2::opts::strict_hash_verification(false);
    // SAFETY: only sets a libgit2 global; no git2 object is in use in
    // another thread while the engine calls this (before its workers start).
    let _ = unsafe { git2::opts::set_cache_object_limit(ObjectType::Tree, 1 << 20) };
}
