//! Whether a branch's changes already are in another branch under other
//! commits: a squash merge, a rebase merge, cherry-picks. The commits differ,
//! so ancestry cannot tell; their patch ids (a hash of the diff, blind to
//! line numbers and whitespace) match. This is how git-town and `git cherry`
//! recognise shipped branches.
//!
//! And where a branch started, from its reflog: a branch merged by
//! fast-forward is contained in its target like one just cut from it, and
//! only the commits it gained since it was created tell them apart.

use super::{Repo, Result};
use git2::{Oid, Sort};
use std::collections::HashSet;

impl Repo {
    /// The patch id of the change from the tree of `from` to the tree of
    /// `to`; `None` when the trees are the same (no change to match).
    fn patch_id(&self, from: Oid, to: Oid) -> Result<Option<Oid>> {
        let old = self.inner.find_commit(from)?.tree()?;
        let new = self.inner.find_commit(to)?.tree()?;
        if old.id() == new.id() {
            return Ok(None);
        }
        let diff = self.inner.diff_tree_to_tree(Some(&old), Some(&new), None)?;
        Ok(Some(diff.patchid(None)?))
    }

    /// The patch ids of the single-parent commits in `since..tip`, and
    /// those commits in order (oldest first).
    fn commit_patch_ids(&self, since: Oid, tip: Oid) -> Result<(HashSet<Oid>, Vec<Oid>)> {
        let mut walk = self.inner.revwalk()?;
        walk.push(tip)?;
        walk.hide(since)?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
        let mut ids = HashSet::new();
        let mut commits = Vec::new();
        for oid in walk {
            let oid = oid?;
            let commit = self.inner.find_commit(oid)?;
            if commit.parent_count() != 1 {
                continue;
            }
            commits.push(oid);
            if let Some(id) = self.patch_id(commit.parent_id(0)?, oid)? {
                ids.insert(id);
            }
        }
        Ok((ids, commits))
    }

    /// Whether the changes `branch` made since it forked from `onto` are
    /// already in `onto` by patch id: all of them as one commit (a squash
    /// merge), or each of its commits (a rebase merge, cherry-picks). A
    /// branch without changes of its own is not merged by this test.
    pub fn changes_applied(&self, branch: Oid, onto: Oid) -> Result<bool> {
        let Some(base) = self.merge_base(branch, onto)? else {
            return Ok(false);
        };
        if base == branch {
            return Ok(false);
        }
        let (onto_ids, _) = self.commit_patch_ids(base, onto)?;
        if onto_ids.is_empty() {
            return Ok(false);
        }
        if let Some(whole) = self.patch_id(base, branch)?
            && onto_ids.contains(&whole)
        {
            return Ok(true);
        }
        let (own_ids, own) = self.commit_patch_ids(base, branch)?;
        Ok(!own.is_empty() && !own_ids.is_empty() && own_ids.is_subset(&onto_ids))
    }

    /// The commit a ref was created at: the new value of the oldest entry
    /// of its reflog (`None` without a reflog).
    pub fn reflog_start(&self, full: &str) -> Option<Oid> {
        let log = self.inner.reflog(full).ok()?;
        let oldest = log.get(log.len().checked_sub(1)?)?;
        Some(oldest.id_new())
    }
}
