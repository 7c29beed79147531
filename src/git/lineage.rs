//! Which of several tips reach each commit of a part of history: one
//! topological walk that carries the set of tips down to the parents. Used to
//! tell which kickoff a feature branch without a recorded parent was cut from.

use super::{Repo, Result};
use git2::{Oid, Sort};
use std::collections::HashMap;

/// A set of small integers (indices of tips), as a bit set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labels(Vec<u64>);

impl Labels {
    pub fn insert(&mut self, i: usize) {
        let (word, bit) = (i / 64, i % 64);
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << bit;
    }

    pub fn union_with(&mut self, other: &Labels) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    /// The members, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, bits)| {
            (0..64).filter_map(move |b| (bits & (1u64 << b) != 0).then_some(w * 64 + b))
        })
    }
}

impl FromIterator<usize> for Labels {
    fn from_iter<I: IntoIterator<Item = usize>>(iter: I) -> Self {
        let mut l = Labels::default();
        for i in iter {
            l.insert(i);
        }
        l
    }
}

/// A commit reached from some of the tips.
#[derive(Debug, Clone)]
pub struct Reached {
    pub oid: Oid,
    /// Committer time, seconds since the epoch.
    pub time: i64,
    /// The labels of the tips whose history holds this commit.
    pub by: Labels,
}

impl Repo {
    /// Every commit reachable from one of `tips` but not from `hide`, each with
    /// the labels of the tips that reach it, children before parents. One walk
    /// however many tips there are; the part of history `hide` reaches is not
    /// read beyond what git needs to tell it apart.
    pub fn reached_from(&self, tips: &[(Oid, usize)], hide: Oid) -> Result<Vec<Reached>> {
        let mut out = Vec::new();
        if tips.is_empty() {
            return Ok(out);
        }
        let repo = self.raw();
        let mut walk = repo.revwalk()?;
        walk.set_sorting(Sort::TOPOLOGICAL)?;
        let mut pending: HashMap<Oid, Labels> = HashMap::new();
        for (oid, label) in tips {
            walk.push(*oid)?;
            pending.entry(*oid).or_default().insert(*label);
        }
        walk.hide(hide)?;
        for oid in walk {
            let oid = oid?;
            // Topological order: every child in the walk came first and
            // handed its labels down.
            let by = pending.remove(&oid).unwrap_or_default();
            let commit = repo.find_commit(oid)?;
            for parent in commit.parent_ids() {
                pending.entry(parent).or_default().union_with(&by);
            }
            out.push(Reached {
                oid,
                time: commit.time().seconds(),
                by,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_set_operations() {
        let mut a: Labels = [1, 70].into_iter().collect();
        assert_eq!(a.iter().collect::<Vec<_>>(), [1, 70]);
        a.union_with(&[2].into_iter().collect());
        assert_eq!(a.iter().collect::<Vec<_>>(), [1, 2, 70]);
        assert!(Labels::default().is_empty());
        assert!(!a.is_empty());
    }
}
