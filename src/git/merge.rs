//! Read-only git access for the conflict engine: merge bases, tree diffs,
//! blob reads and in-memory three-way content merges.
//!
//! Nothing here writes to the object database or the work tree: trees are
//! compared with `git_diff_tree_to_tree`, contents are merged with
//! `git_merge_file_from_index`, which returns the merged text in memory.
//! Never call `write_tree`, `Index::write` or `merge_trees` + write from here.

use super::{GitError, Repo, Result};
use git2::{Delta, DiffOptions, ErrorCode, IndexEntry, IndexTime, ObjectType, Oid};
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

    /// Every path whose entry differs between two trees, sorted by path.
    /// Type changes (file to symlink) are one change with both sides set.
    pub fn tree_changes(&self, old: Oid, new: Oid) -> Result<Vec<TreeChange>> {
        if old == new {
            return Ok(Vec::new());
        }
        let old_tree = self.inner.find_tree(old)?;
        let new_tree = self.inner.find_tree(new)?;
        let mut opts = DiffOptions::new();
        opts.include_typechange(true)
            .ignore_submodules(false)
            .skip_binary_check(true);
        let diff =
            self.inner
                .diff_tree_to_tree(Some(&old_tree), Some(&new_tree), Some(&mut opts))?;
        let mut out = Vec::with_capacity(diff.deltas().len());
        for delta in diff.deltas() {
            let file = |f: git2::DiffFile<'_>| Entry {
                mode: u32::from(f.mode()),
                oid: f.id(),
            };
            let (old, new) = match delta.status() {
                Delta::Added => (None, Some(file(delta.new_file()))),
                Delta::Deleted => (Some(file(delta.old_file())), None),
                Delta::Modified | Delta::Typechange => {
                    (Some(file(delta.old_file())), Some(file(delta.new_file())))
                }
                other => {
                    return Err(GitError::Lib(git2::Error::from_str(&format!(
                        "unexpected tree difference {other:?}"
                    ))));
                }
            };
            let bytes = delta
                .new_file()
                .path_bytes()
                .or_else(|| delta.old_file().path_bytes())
                .unwrap_or_default();
            let path = String::from_utf8(bytes.to_vec()).map_err(|_| {
                GitError::Lib(git2::Error::from_str(&format!(
                    "path is not UTF-8: {}",
                    String::from_utf8_lossy(bytes)
                )))
            })?;
            out.push(TreeChange { path, old, new });
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
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
}
