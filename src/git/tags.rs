//! Platform tags and the history walks behind release notes and landing.
//!
//! Tags are read with git2 (references plus tag objects, no process per tag), so
//! listing a thousand versions stays fast. The remote's tags are read with
//! `git ls-remote`, and missing tag objects are fetched without creating any ref.

use super::{Repo, Result};
use git2::{ObjectType, Oid};

/// A platform tag in this repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalTag {
    /// `platform/v1.3.10`
    pub name: String,
    /// The tag object (the commit itself for a lightweight tag).
    pub object: Oid,
    /// The commit the tag peels to.
    pub commit: Oid,
    /// The annotated tag's message; `None` for a lightweight tag.
    pub message: Option<String>,
    /// When the tag was made (tagger time), for annotated tags.
    pub tagged_at: Option<i64>,
}

/// A tag on the remote, as `git ls-remote` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteTag {
    /// `platform/v1.3.10`
    pub name: String,
    pub object: Oid,
    /// The peeled commit (`^{}` line), when the tag is annotated.
    pub peeled: Option<Oid>,
}

impl RemoteTag {
    /// The commit the tag points at.
    pub fn commit(&self) -> Oid {
        self.peeled.unwrap_or(self.object)
    }
}

/// One commit of a history walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub oid: Oid,
    pub parents: Vec<Oid>,
    pub message: String,
    pub summary: String,
    pub time: i64,
}

impl Repo {
    /// Every tag under `refs/tags/<prefix>`, with its peeled commit and message.
    pub fn tags_under(&self, prefix: &str) -> Result<Vec<LocalTag>> {
        let repo = self.raw();
        let mut out = Vec::new();
        for r in repo.references_glob(&format!("refs/tags/{prefix}*"))? {
            let r = r?;
            let (Some(name), Some(target)) = (r.name(), r.target()) else {
                continue;
            };
            let short = name.trim_start_matches("refs/tags/").to_string();
            match repo.find_tag(target) {
                Ok(tag) => {
                    let commit = match tag.target_type() {
                        Some(ObjectType::Commit) => tag.target_id(),
                        _ => match tag.as_object().peel_to_commit() {
                            Ok(c) => c.id(),
                            Err(_) => continue,
                        },
                    };
                    out.push(LocalTag {
                        name: short,
                        object: target,
                        commit,
                        message: tag.message().map(str::to_string),
                        tagged_at: tag.tagger().map(|t| t.when().seconds()),
                    });
                }
                Err(_) => {
                    if repo.find_commit(target).is_ok() {
                        out.push(LocalTag {
                            name: short,
                            object: target,
                            commit: target,
                            message: None,
                            tagged_at: None,
                        });
                    }
                }
            }
        }
        Ok(out)
    }

    /// Read one tag object by id (a remote tag whose objects were fetched).
    pub fn tag_by_oid(&self, name: &str, oid: Oid) -> Result<Option<LocalTag>> {
        let repo = self.raw();
        if let Ok(tag) = repo.find_tag(oid) {
            let Ok(commit) = tag.as_object().peel_to_commit() else {
                return Ok(None);
            };
            return Ok(Some(LocalTag {
                name: name.to_string(),
                object: oid,
                commit: commit.id(),
                message: tag.message().map(str::to_string),
                tagged_at: tag.tagger().map(|t| t.when().seconds()),
            }));
        }
        if repo.find_commit(oid).is_ok() {
            return Ok(Some(LocalTag {
                name: name.to_string(),
                object: oid,
                commit: oid,
                message: None,
                tagged_at: None,
            }));
        }
        Ok(None)
    }

    /// Whether an object exists in this repository.
    pub fn has_object(&self, oid: Oid) -> bool {
        self.raw().odb().map(|odb| odb.exists(oid)).unwrap_or(false)
    }

    /// The remote's tags under `refs/tags/<prefix>` (`git ls-remote --tags`).
    pub fn remote_tags(&self, remote: &str, prefix: &str) -> Result<Vec<RemoteTag>> {
        let out = self.git(["ls-remote", "--tags", "--end-of-options", remote])?;
        Ok(parse_ls_remote_tags(&out, prefix))
    }

    /// The tip of a branch on the remote right now (`git ls-remote`).
    pub fn remote_head(&self, remote: &str, branch: &str) -> Result<Option<Oid>> {
        let full = format!("refs/heads/{branch}");
        let out = self.git(["ls-remote", "--heads", "--end-of-options", remote, &full])?;
        Ok(out
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .find(|(_, name)| name.trim() == full)
            .and_then(|(oid, _)| Oid::from_str(oid.trim()).ok()))
    }

    /// Fetch the objects of the named remote tags without creating or moving any
    /// ref (no tracking refs, no FETCH_HEAD), so their messages can be read.
    pub fn fetch_tag_objects(&self, remote: &str, tag_names: &[String]) -> Result<()> {
        if tag_names.is_empty() {
            return Ok(());
        }
        let mut args: Vec<String> = [
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            "--end-of-options",
            remote,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(tag_names.iter().map(|n| format!("refs/tags/{n}")));
        self.git(args).map(drop)
    }

    /// Fetch the objects of one remote ref without creating or moving any ref
    /// (no opportunistic tracking-ref update, no FETCH_HEAD). Fails when the
    /// remote ref no longer points at `expected`'s history.
    pub fn fetch_objects_of(&self, remote: &str, remote_ref: &str, expected: Oid) -> Result<()> {
        self.git([
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            "--refmap=",
            "--end-of-options",
            remote,
            remote_ref,
        ])?;
        if !self.has_object(expected) {
            return Err(crate::git::GitError::RefMoved {
                remote: remote.to_string(),
                name: remote_ref.to_string(),
            });
        }
        Ok(())
    }

    /// Create the annotated tag `name` on `commit` with `message`, signed by
    /// [`Repo::signature`]. Fails when the tag exists.
    pub fn create_annotated_tag(&self, name: &str, commit: Oid, message: &str) -> Result<Oid> {
        let repo = self.raw();
        let target = repo.find_object(commit, Some(ObjectType::Commit))?;
        let sig = self.signature()?;
        Ok(repo.tag(name, &target, &sig, message, false)?)
    }

    /// Delete a local tag (used to undo a tag whose push failed).
    pub fn delete_tag(&self, name: &str) -> Result<()> {
        self.raw().tag_delete(name)?;
        Ok(())
    }

    /// `git push` with extra environment variables for the hook (`KICKOFF_LAND=1`).
    pub fn push_with_env(
        &self,
        remote: &str,
        refspecs: &[&str],
        env: &[(&str, &str)],
    ) -> Result<()> {
        self.push_with(remote, refspecs, false, env)
    }

    /// Commits reachable from `include` but from none of `exclude`, oldest first
    /// (topological order, parents before children).
    pub fn commits_between(&self, include: &[Oid], exclude: &[Oid]) -> Result<Vec<CommitInfo>> {
        let repo = self.raw();
        let mut walk = repo.revwalk()?;
        walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)?;
        for oid in include {
            walk.push(*oid)?;
        }
        for oid in exclude {
            walk.hide(*oid)?;
        }
        let mut out = Vec::new();
        for oid in walk {
            let c = repo.find_commit(oid?)?;
            out.push(CommitInfo {
                oid: c.id(),
                parents: c.parent_ids().collect(),
                message: c.message().unwrap_or("").to_string(),
                summary: c.summary().unwrap_or("").to_string(),
                time: c.committer().when().seconds(),
            });
        }
        Ok(out)
    }

    /// Whether merging `theirs` into `ours` has no conflicts (nothing is written).
    pub fn merge_is_clean(&self, ours: Oid, theirs: Oid) -> Result<bool> {
        let repo = self.raw();
        let index =
            repo.merge_commits(&repo.find_commit(ours)?, &repo.find_commit(theirs)?, None)?;
        Ok(!index.has_conflicts())
    }

    /// Merge `theirs` into `ours` in memory and write the merge commit (on no
    /// ref). `None` when the merge has conflicts.
    pub fn merge_commit_in_memory(
        &self,
        ours: Oid,
        theirs: Oid,
        message: &str,
    ) -> Result<Option<Oid>> {
        let repo = self.raw();
        let ours_c = repo.find_commit(ours)?;
        let theirs_c = repo.find_commit(theirs)?;
        let mut index = repo.merge_commits(&ours_c, &theirs_c, None)?;
        if index.has_conflicts() {
            return Ok(None);
        }
        let tree_id = index.write_tree_to(repo)?;
        let tree = repo.find_tree(tree_id)?;
        let author = self.author_signature()?;
        let committer = self.signature()?;
        let oid = repo.commit(
            None,
            &author,
            &committer,
            message,
            &tree,
            &[&ours_c, &theirs_c],
        )?;
        Ok(Some(oid))
    }

    /// Fast-forward the checked-out branch (and the work tree) to `to`.
    pub fn fast_forward_checked_out(&self, to: Oid) -> Result<()> {
        self.git(["merge", "--quiet", "--ff-only", &to.to_string()])
            .map(drop)
    }
}

/// Parse `git ls-remote --tags` output, keeping tags under `prefix`.
pub fn parse_ls_remote_tags(out: &str, prefix: &str) -> Vec<RemoteTag> {
    let mut tags: Vec<RemoteTag> = Vec::new();
    let mut peeled: Vec<(String, Oid)> = Vec::new();
    for line in out.lines() {
        let Some((oid, name)) = line.split_once('\t') else {
            continue;
        };
        let Ok(oid) = Oid::from_str(oid.trim()) else {
            continue;
        };
        let Some(short) = name.trim().strip_prefix("refs/tags/") else {
            continue;
        };
        if !short.starts_with(prefix) {
            continue;
        }
        match short.strip_suffix("^{}") {
            Some(base) => peeled.push((base.to_string(), oid)),
            None => tags.push(RemoteTag {
                name: short.to_string(),
                object: oid,
                peeled: None,
            }),
        }
    }
    for (name, oid) in peeled {
        if let Some(t) = tags.iter_mut().find(|t| t.name == name) {
            t.peeled = Some(oid);
        }
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ls_remote_pairs_tags_with_peeled_commits() {
        let a = "1".repeat(40);
        let b = "2".repeat(40);
        let c = "3".repeat(40);
        let out = format!(
            "{a}\trefs/tags/platform/v1.0.0\n{b}\trefs/tags/platform/v1.0.0^{{}}\n{c}\trefs/tags/other\n{c}\trefs/tags/platform/v0.9.0\n"
        );
        let tags = parse_ls_remote_tags(&out, "platform/v");
        assert_eq!(tags.len(), 2);
        assert_eq!(tags[0].name, "platform/v1.0.0");
        assert_eq!(tags[0].commit().to_string(), b);
        assert_eq!(tags[1].commit().to_string(), c);
    }
}
