//! Git verbs of the pre-push hook: where hooks live, what a pushed tag is,
//! whether an update is a fast-forward, and a merge-tree conflict probe.

use super::{GitError, Repo, Result};
use git2::{ErrorCode, ObjectType, Oid, Repository};
use std::path::{Path, PathBuf};

/// What a pushed object is, as far as platform tags care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagObject {
    /// An annotated tag object (false: a commit or another object pushed as a tag).
    pub annotated: bool,
    /// The tag message (empty for a lightweight tag).
    pub message: String,
    /// The commit the object finally points at, if any.
    pub target: Option<Oid>,
}

impl Repo {
    /// The repository a `pre-receive` hook runs in, bare or not, as git hands
    /// it over: `GIT_DIR`, and the quarantine that holds the objects being
    /// received (`GIT_OBJECT_DIRECTORY`, with the repository's own objects as
    /// an alternate), so the pushed commits and tags can be read before any
    /// ref points at them. Without `GIT_DIR`, the repository at `dir`.
    pub fn open_receiving(dir: &Path) -> Result<Repo> {
        let inner = if std::env::var_os("GIT_DIR").is_some() {
            Repository::open_from_env()?
        } else {
            Repository::discover(dir).map_err(|e| match e.code() {
                ErrorCode::NotFound => GitError::NotARepo {
                    path: dir.to_path_buf(),
                },
                _ => GitError::Lib(e),
            })?
        };
        let workdir = match inner.workdir() {
            Some(w) => w.to_path_buf(),
            // libgit2 ends the git directory with a slash; drop it.
            None => inner.path().components().collect(),
        };
        Ok(Repo { inner, workdir })
    }

    /// Resolve a revision to the object it names, unpeeled (an annotated
    /// tag stays the tag object, as a push sends it).
    pub fn resolve_object(&self, rev: &str) -> Result<Oid> {
        self.inner
            .revparse_single(rev)
            .map(|o| o.id())
            .map_err(|_| GitError::BadRevision {
                rev: rev.to_string(),
            })
    }

    /// The text of a file in HEAD's tree (`.kickoff.toml` on a bare remote);
    /// `None` when HEAD or the file does not exist.
    pub fn head_file(&self, path: &str) -> Result<Option<String>> {
        let Ok(head) = self.inner.head().and_then(|h| h.peel_to_tree()) else {
            return Ok(None);
        };
        let Ok(entry) = head.get_path(Path::new(path)) else {
            return Ok(None);
        };
        let blob = entry.to_object(&self.inner)?.peel_to_blob()?;
        Ok(Some(String::from_utf8_lossy(blob.content()).into_owned()))
    }

    /// The text of a file in the tree of the commit a full ref name points
    /// at (`.kickoff.toml` on `refs/remotes/origin/main`); `None` when the
    /// ref or the file does not exist. A file that is not a blob (a
    /// directory of that name) counts as absent.
    pub fn file_at_ref(&self, full: &str, path: &str) -> Result<Option<String>> {
        let Some(commit) = self.ref_oid(full)? else {
            return Ok(None);
        };
        let tree = self.inner.find_commit(commit)?.tree()?;
        let Ok(entry) = tree.get_path(Path::new(path)) else {
            return Ok(None);
        };
        match entry.to_object(&self.inner)?.into_blob() {
            Ok(blob) => Ok(Some(String::from_utf8_lossy(blob.content()).into_owned())),
            Err(_) => Ok(None),
        }
    }

    /// The directory git runs hooks from (`git rev-parse --git-path hooks`):
    /// honours `core.hooksPath` and linked worktrees.
    pub fn hooks_dir(&self) -> Result<PathBuf> {
        let out = self.git(["rev-parse", "--git-path", "hooks"])?;
        let path = PathBuf::from(out.trim_end_matches(['\n', '\r']));
        Ok(if path.is_absolute() {
            path
        } else {
            self.workdir().join(path)
        })
    }

    /// Read a pushed tag object by its hex id.
    pub fn tag_object(&self, hex: &str) -> Result<TagObject> {
        let repo = self.raw();
        let obj = repo.find_object(Oid::from_str(hex)?, None)?;
        let target = obj.peel(ObjectType::Commit).ok().map(|c| c.id());
        Ok(match obj.as_tag() {
            Some(tag) => TagObject {
                annotated: true,
                message: String::from_utf8_lossy(tag.message_bytes().unwrap_or_default())
                    .into_owned(),
                target,
            },
            None => TagObject {
                annotated: false,
                message: String::new(),
                target,
            },
        })
    }

    /// Whether moving a ref from `old` to `new` is a fast-forward. An `old`
    /// this repository does not have cannot be contained in `new`.
    pub fn is_fast_forward(&self, old: &str, new: &str) -> Result<bool> {
        let (old, new) = (Oid::from_str(old)?, Oid::from_str(new)?);
        let repo = self.raw();
        let commit = |oid| match repo.find_object(oid, None) {
            Ok(o) => o.peel(ObjectType::Commit).map(|c| Some(c.id())),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e),
        };
        match (commit(old)?, commit(new)?) {
            (Some(old), Some(new)) => self.is_ancestor(old, new),
            _ => Ok(false),
        }
    }

    /// Whether this repository has the commit.
    pub fn has_commit(&self, oid: Oid) -> bool {
        self.raw().find_commit(oid).is_ok()
    }

    /// The trailers of a message (`Key: value` lines of its last paragraph).
    pub fn message_trailers(message: &str) -> Vec<(String, String)> {
        match git2::message_trailers_strs(message) {
            Ok(t) => t
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}
