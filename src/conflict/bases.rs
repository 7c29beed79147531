//! Merge bases of many pairs of commits from one walk of their history.
//!
//! Asking for the merge bases pair by pair walks the shared history once per
//! pair. Here every commit reachable from the tips is visited at most a few
//! times, newest first, and learns which tips reach it (one bit per tip). A
//! commit is a merge base of tips `i` and `j` when both reach it and none of
//! its children is reached by both: exactly git's "best common ancestors"
//! (`git merge-base --all`). The walk stops as soon as every commit still
//! queued is reached by all tips: nothing below can be a merge base.
//!
//! Visiting newest first is only a topological order when no commit is
//! older than its parent. When the walk meets such clock skew, the answer
//! is not trusted and [`all_pairs`] returns `None`; the caller then asks
//! libgit2 pair by pair.

use crate::git::Repo;
use git2::Oid;
use std::collections::{BinaryHeap, HashMap};

#[derive(Clone, PartialEq, Eq)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn has(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
    /// `self |= other`; whether anything changed.
    fn absorb(&mut self, other: &Bits) -> bool {
        let mut changed = false;
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            let n = *a | *b;
            changed |= n != *a;
            *a = n;
        }
        changed
    }
}

struct Node {
    oid: Oid,
    time: i64,
    parents: Option<Vec<usize>>,
    children: Vec<usize>,
    reach: Bits,
}

/// The merge bases of each pair of `tips` (indices into `tips`), sorted;
/// `None` when the history's dates are not trustworthy for a one-walk answer.
pub fn all_pairs(
    repo: &Repo,
    tips: &[Oid],
    pairs: &[(usize, usize)],
) -> crate::git::Result<Option<Vec<Vec<Oid>>>> {
    let n = tips.len();
    let mut full = Bits::new(n);
    for i in 0..n {
        full.set(i);
    }
    let mut nodes: Vec<Node> = Vec::new();
    let mut index: HashMap<Oid, usize> = HashMap::new();
    let node_of = |oid: Oid,
                   nodes: &mut Vec<Node>,
                   index: &mut HashMap<Oid, usize>|
     -> crate::git::Result<usize> {
        if let Some(&k) = index.get(&oid) {
            return Ok(k);
        }
        let time = repo.commit_time(oid)?;
        nodes.push(Node {
            oid,
            time,
            parents: None,
            children: Vec::new(),
            reach: Bits::new(n),
        });
        index.insert(oid, nodes.len() - 1);
        Ok(nodes.len() - 1)
    };
    let mut queue: BinaryHeap<(i64, usize)> = BinaryHeap::new();
    for (i, &t) in tips.iter().enumerate() {
        let k = node_of(t, &mut nodes, &mut index)?;
        nodes[k].reach.set(i);
        queue.push((nodes[k].time, k));
    }
    let mut skew = false;
    while let Some((_, k)) = queue.pop() {
        if nodes[k].reach == full && queue.iter().all(|&(_, q)| nodes[q].reach == full) {
            // Every commit still queued is reached by all tips. Tell the
            // parents already seen about them, so that none of those passes
            // for a merge base for lack of a known child.
            queue.push((nodes[k].time, k));
            for (_, q) in queue.into_vec() {
                if nodes[q].parents.is_some() {
                    continue;
                }
                for p in repo.parents(nodes[q].oid)? {
                    if let Some(&pk) = index.get(&p) {
                        if !nodes[pk].children.contains(&q) {
                            nodes[pk].children.push(q);
                        }
                        nodes[pk].reach.absorb(&full);
                    }
                }
            }
            break;
        }
        if nodes[k].parents.is_none() {
            let parents = repo.parents(nodes[k].oid)?;
            let mut ps = Vec::with_capacity(parents.len());
            for p in parents {
                let pk = node_of(p, &mut nodes, &mut index)?;
                nodes[pk].children.push(k);
                if nodes[pk].time > nodes[k].time {
                    skew = true;
                }
                ps.push(pk);
            }
            nodes[k].parents = Some(ps);
        }
        let reach = nodes[k].reach.clone();
        for pk in nodes[k].parents.clone().expect("parents just read") {
            if nodes[pk].reach.absorb(&reach) {
                queue.push((nodes[pk].time, pk));
            }
        }
    }
    if skew {
        return Ok(None);
    }
    // Commits that are a merge base of some pair: reached by two tips that
    // no child is reached by together.
    let mut out: Vec<Vec<Oid>> = vec![Vec::new(); pairs.len()];
    for node in &nodes {
        if node.children.iter().any(|&c| nodes[c].reach == node.reach) {
            continue;
        }
        for (p, &(i, j)) in pairs.iter().enumerate() {
            if node.reach.has(i)
                && node.reach.has(j)
                && !node
                    .children
                    .iter()
                    .any(|&c| nodes[c].reach.has(i) && nodes[c].reach.has(j))
            {
                out[p].push(node.oid);
            }
        }
    }
    for bases in &mut out {
        bases.sort();
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits() {
        let mut a = Bits::new(70);
        a.set(3);
        a.set(69);
        assert!(a.has(69) && a.has(3) && !a.has(4));
        let mut b = Bits::new(70);
        assert!(b.absorb(&a));
        assert!(!b.absorb(&a));
        assert!(b == a);
    }
}
