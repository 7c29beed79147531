//! Git verbs of the pre-push hook: where hooks live, what a pushed tag is,
//! whether an update is a fast-forward, and a merge-tree conflict probe.

use super::{Repo, Result};
use git2::{ErrorCode, ObjectType, Oid};
use std::path::PathBuf;

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
