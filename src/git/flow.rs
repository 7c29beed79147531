//! Git verbs of the core workflow: feature parents in git config, merges with
//! and without a work tree, and the merge state git leaves on a conflict.
//!
//! Merges in the work tree run the `git` program (`git merge --no-ff`), so the
//! user's hooks, merge drivers and rerere apply and `git status` shows the
//! usual merge state. Merges of a branch that is not checked out are computed
//! with `git merge-tree --write-tree` and committed through git2; they never
//! touch the work tree.

use super::{GitError, Repo, Result};
use git2::{ErrorCode, Oid};
use std::collections::HashMap;

/// The result of merging two commits without a work tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeMerge {
    /// The merge is clean; this is the merged tree.
    Clean(Oid),
    /// The merge conflicts in these paths.
    Conflicts(Vec<String>),
}

/// How a work-tree merge ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorktreeMerge {
    /// The merge commit was made; HEAD is now this commit.
    Committed(Oid),
    /// Git stopped with conflicts in these paths (the merge is in progress).
    Conflicts(Vec<String>),
}

/// The git config key recording a feature branch's kickoff.
pub fn kickoff_key(branch: &str) -> String {
    format!("branch.{branch}.kickoff")
}

/// The git config key other tools read to open pull requests against the kickoff.
pub fn merge_base_key(branch: &str) -> String {
    format!("branch.{branch}.gh-merge-base")
}

impl Repo {
    /// Whether the remote has a branch of this name (`git ls-remote`).
    pub fn remote_has_branch(&self, remote: &str, branch: &str) -> Result<bool> {
        let full = format!("refs/heads/{branch}");
        let out = self.git([
            "ls-remote",
            "--heads",
            "--end-of-options",
            remote,
            full.as_str(),
        ])?;
        Ok(out
            .lines()
            .any(|l| l.split_whitespace().nth(1) == Some(full.as_str())))
    }

    /// Record a feature branch's kickoff (`branch.<f>.kickoff` and
    /// `branch.<f>.gh-merge-base`).
    pub fn set_feature_parent(&self, feature: &str, kickoff: &str) -> Result<()> {
        self.config_set(&kickoff_key(feature), kickoff)?;
        self.config_set(&merge_base_key(feature), kickoff)
    }

    /// Every recorded feature parent (`branch.<name>.kickoff`), read in one pass.
    pub fn feature_parents(&self) -> Result<HashMap<String, String>> {
        Ok(self.branch_config_entries("kickoff")?.into_iter().collect())
    }

    /// The commit HEAD points at; `None` on an unborn branch.
    pub fn head_oid(&self) -> Result<Option<Oid>> {
        match self.raw().head() {
            Ok(h) => Ok(h.target()),
            Err(e) if e.code() == ErrorCode::UnbornBranch || e.code() == ErrorCode::NotFound => {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The commit being merged when a merge is in progress (`MERGE_HEAD`).
    pub fn merge_head(&self) -> Result<Option<Oid>> {
        let path = self.git_dir().join("MERGE_HEAD");
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(text
                .lines()
                .next()
                .and_then(|l| Oid::from_str(l.trim()).ok())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(GitError::Spawn(e)),
        }
    }

    /// Paths with unresolved conflicts in the index, sorted.
    pub fn conflicted_paths(&self) -> Result<Vec<String>> {
        let mut index = self.raw().index()?;
        // Another process (git merge) may have written it since we opened it.
        index.read(true)?;
        let mut paths = Vec::new();
        for conflict in index.conflicts()? {
            let conflict = conflict?;
            let entry = conflict.our.or(conflict.their).or(conflict.ancestor);
            if let Some(e) = entry {
                paths.push(String::from_utf8_lossy(&e.path).into_owned());
            }
        }
        paths.sort();
        paths.dedup();
        Ok(paths)
    }

    /// Merge `theirs` into `ours` without a work tree (`git merge-tree --write-tree`).
    pub fn merge_trees(&self, ours: Oid, theirs: Oid) -> Result<TreeMerge> {
        let (o, t) = (ours.to_string(), theirs.to_string());
        let args = [
            "merge-tree",
            "--write-tree",
            "--name-only",
            "--no-messages",
            o.as_str(),
            t.as_str(),
        ];
        let out = self.git_output(args)?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut lines = stdout.lines();
        let tree = lines.next().and_then(|l| Oid::from_str(l.trim()).ok());
        match (out.status.code(), tree) {
            (Some(0), Some(tree)) => Ok(TreeMerge::Clean(tree)),
            (Some(1), Some(_)) => {
                let mut files: Vec<String> = lines
                    .take_while(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect();
                files.sort();
                files.dedup();
                Ok(TreeMerge::Conflicts(files))
            }
            _ => Err(super::command_error(
                &args.iter().map(Into::into).collect::<Vec<_>>(),
                &out,
            )),
        }
    }

    /// Write a merge commit of `tree` with `parents` (first parent first), with
    /// the committer identity git would use; returns the new commit.
    pub fn write_merge_commit(&self, tree: Oid, parents: &[Oid], message: &str) -> Result<Oid> {
        let repo = self.raw();
        let tree = repo.find_tree(tree)?;
        let parents: Vec<git2::Commit> = parents
            .iter()
            .map(|p| repo.find_commit(*p))
            .collect::<std::result::Result<_, _>>()?;
        let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
        let author = self.author_signature()?;
        let committer = self.signature()?;
        Ok(repo.commit(None, &author, &committer, message, &tree, &parent_refs)?)
    }

    /// `git merge --no-ff --no-edit -m <message> <theirs>` in the work tree.
    /// A conflict leaves git's normal merge state and is reported, not an error.
    pub fn merge_in_worktree(&self, theirs: Oid, message: &str) -> Result<WorktreeMerge> {
        let theirs = theirs.to_string();
        let args = [
            "merge",
            "--no-ff",
            "--no-edit",
            "--quiet",
            "-m",
            message,
            "--end-of-options",
            theirs.as_str(),
        ];
        let out = self.git_output(args)?;
        if out.status.success() {
            let head = self.head_oid()?.ok_or(GitError::DetachedHead)?;
            return Ok(WorktreeMerge::Committed(head));
        }
        if self.merge_head()?.is_some() {
            return Ok(WorktreeMerge::Conflicts(self.conflicted_paths()?));
        }
        Err(super::command_error(
            &args.iter().map(Into::into).collect::<Vec<_>>(),
            &out,
        ))
    }

    /// Fast-forward the checked-out branch to `oid` (`git merge --ff-only`).
    pub fn fast_forward_worktree(&self, oid: Oid) -> Result<()> {
        let oid = oid.to_string();
        self.git([
            "merge",
            "--ff-only",
            "--quiet",
            "--end-of-options",
            oid.as_str(),
        ])
        .map(drop)
    }

    /// Conclude a merge whose conflicts are resolved (`git commit --no-edit`,
    /// with the message git prepared).
    pub fn commit_merge_in_progress(&self) -> Result<Oid> {
        self.git(["commit", "--no-edit", "--quiet"])?;
        self.head_oid()?.ok_or(GitError::DetachedHead)
    }

    /// `git merge --abort`: restore the work tree and index from before the merge.
    pub fn abort_merge(&self) -> Result<()> {
        self.git(["merge", "--abort"]).map(drop)
    }

    /// Move the checked-out branch back to `oid`, keeping local changes
    /// (`git reset --keep`; refuses when a change would be lost).
    pub fn reset_keep(&self, oid: Oid) -> Result<()> {
        let oid = oid.to_string();
        self.git(["reset", "--keep", "--quiet", oid.as_str(), "--"])
            .map(drop)
    }

    /// Set a ref to `oid` unconditionally (used to undo our own update).
    pub fn set_ref(&self, full: &str, oid: Oid, log: &str) -> Result<()> {
        self.raw().reference(full, oid, true, log)?;
        Ok(())
    }

    /// The parents of a commit, first parent first.
    pub fn parents(&self, oid: Oid) -> Result<Vec<Oid>> {
        Ok(self.raw().find_commit(oid)?.parent_ids().collect())
    }

    /// The upstream a local branch tracks (`branch.<name>.remote`/`.merge`), as
    /// (remote, branch on the remote).
    pub fn upstream(&self, branch: &str) -> Result<Option<(String, String)>> {
        let remote = self.config_get(&format!("branch.{branch}.remote"))?;
        let merge = self.config_get(&format!("branch.{branch}.merge"))?;
        Ok(match (remote, merge) {
            (Some(r), Some(m)) => {
                Some((r, m.strip_prefix("refs/heads/").unwrap_or(&m).to_string()))
            }
            _ => None,
        })
    }
}

impl Repo {
    /// Which of `candidates` lie on the first-parent line of `tip` (the commits
    /// a branch itself was on, not the ones merged into it). The walk stops once
    /// every candidate is found, or after a few commits older than the oldest
    /// candidate (git's own allowance for clocks that disagree).
    pub fn on_first_parent_line(
        &self,
        tip: Oid,
        candidates: &[Oid],
    ) -> Result<std::collections::HashSet<Oid>> {
        const SLOP: usize = 5;
        let mut found = std::collections::HashSet::new();
        if candidates.is_empty() {
            return Ok(found);
        }
        let mut oldest = i64::MAX;
        for c in candidates {
            oldest = oldest.min(self.commit_time(*c)?);
        }
        let wanted: std::collections::HashSet<Oid> = candidates.iter().copied().collect();
        let mut older_seen = 0;
        let mut current = Some(self.raw().find_commit(tip)?);
        while let Some(commit) = current {
            if wanted.contains(&commit.id()) {
                found.insert(commit.id());
                if found.len() == wanted.len() {
                    break;
                }
            }
            if commit.time().seconds() < oldest {
                older_seen += 1;
                if older_seen > SLOP {
                    break;
                }
            }
            current = commit.parents().next();
        }
        Ok(found)
    }
}

impl Repo {
    /// Another work tree of this repository that has `branch` checked out.
    pub fn checked_out_elsewhere(&self, branch: &str) -> Result<Option<std::path::PathBuf>> {
        let out = self.git(["worktree", "list", "--porcelain"])?;
        let full = format!("branch refs/heads/{branch}");
        let here = self.workdir().canonicalize().ok();
        let mut path: Option<std::path::PathBuf> = None;
        for line in out.lines() {
            if let Some(p) = line.strip_prefix("worktree ") {
                path = Some(std::path::PathBuf::from(p));
            } else if line == full {
                if let Some(p) = &path {
                    if p.canonicalize().ok() != here {
                        return Ok(Some(p.clone()));
                    }
                }
            }
        }
        Ok(None)
    }

    /// Detach HEAD at `oid` in the work tree (`git checkout --detach`).
    pub fn checkout_detached(&self, oid: Oid) -> Result<()> {
        let oid = oid.to_string();
        self.git(["checkout", "--quiet", "--detach", oid.as_str(), "--"])
            .map(drop)
    }
}

impl Repo {
    /// Read objects without re-hashing each one to verify it (git does not
    /// either); listings read thousands of commits.
    pub fn skip_hash_checks_on_read(&self) {
        git2::opts::strict_hash_verification(false);
    }
}

impl Repo {
    /// Delete a local branch and its whole config section (`git branch -D`);
    /// used to undo a branch kickoff itself created.
    pub fn remove_branch(&self, name: &str) -> Result<()> {
        self.git(["branch", "--quiet", "-D", "--end-of-options", name])
            .map(drop)
    }
}
