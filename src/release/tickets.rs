//! Which tickets a range of history ships, and with which commits.
//!
//! A commit belongs to every ticket its own message names (squash merges and
//! plain commits such as `DASH-12: fix login`), and to the tickets named by the
//! merge that brought it in (`Merge branch 'feature/DASH-12-login'`): the merged
//! side's commits count for the merged branch's ticket even when their own
//! messages name none. Pure: the commits are read beforehand.

use crate::git::git2::Oid;
use crate::git::tags::CommitInfo;
use crate::naming::TicketPattern;
use std::collections::{HashMap, HashSet};

/// One commit in the notes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NoteCommit {
    #[serde(serialize_with = "ser_oid")]
    pub oid: Oid,
    pub summary: String,
}

fn ser_oid<S: serde::Serializer>(oid: &Oid, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(oid)
}

/// A ticket and the commits that carry it, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TicketNotes {
    pub ticket: String,
    pub commits: Vec<NoteCommit>,
}

/// The tickets of a range, in order of first appearance, and the commits that
/// name no ticket.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Notes {
    pub tickets: Vec<TicketNotes>,
    pub other_commits: Vec<NoteCommit>,
}

impl Notes {
    pub fn ticket_names(&self) -> Vec<String> {
        self.tickets.iter().map(|t| t.ticket.clone()).collect()
    }

    pub fn find(&self, ticket: &str) -> Option<&TicketNotes> {
        self.tickets.iter().find(|t| t.ticket == ticket)
    }
}

/// Group `commits` (oldest first, as [`crate::git::Repo::commits_between`]
/// returns them) by ticket.
pub fn collect(commits: &[CommitInfo], pattern: &TicketPattern) -> Notes {
    let index: HashMap<Oid, usize> = commits
        .iter()
        .enumerate()
        .map(|(i, c)| (c.oid, i))
        .collect();
    let own: Vec<Vec<String>> = commits
        .iter()
        .map(|c| dedup(pattern.find_all(&c.message).map(|t| t.to_string())))
        .collect();
    let mut inherited: Vec<Vec<String>> = vec![Vec::new(); commits.len()];
    for (i, c) in commits.iter().enumerate() {
        if c.parents.len() < 2 || own[i].is_empty() {
            continue;
        }
        let first_side = reachable(&c.parents[..1], commits, &index);
        let merged = reachable(&c.parents[1..], commits, &index);
        for j in merged.difference(&first_side) {
            for t in &own[i] {
                if !inherited[*j].contains(t) {
                    inherited[*j].push(t.clone());
                }
            }
        }
    }
    let mut notes = Notes::default();
    for (i, c) in commits.iter().enumerate() {
        let mut tickets = own[i].clone();
        for t in &inherited[i] {
            if !tickets.contains(t) {
                tickets.push(t.clone());
            }
        }
        let entry = NoteCommit {
            oid: c.oid,
            summary: c.summary.clone(),
        };
        if tickets.is_empty() {
            notes.other_commits.push(entry);
            continue;
        }
        for t in tickets {
            match notes.tickets.iter_mut().find(|n| n.ticket == t) {
                Some(n) => n.commits.push(entry.clone()),
                None => notes.tickets.push(TicketNotes {
                    ticket: t,
                    commits: vec![entry.clone()],
                }),
            }
        }
    }
    notes
}

fn dedup(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// Indexes of the commits of the range reachable from `starts`.
fn reachable(
    starts: &[Oid],
    commits: &[CommitInfo],
    index: &HashMap<Oid, usize>,
) -> HashSet<usize> {
    let mut seen = HashSet::new();
    let mut stack: Vec<usize> = starts
        .iter()
        .filter_map(|o| index.get(o).copied())
        .collect();
    while let Some(i) = stack.pop() {
        if seen.insert(i) {
            stack.extend(
                commits[i]
                    .parents
                    .iter()
                    .filter_map(|o| index.get(o).copied()),
            );
        }
    }
    seen
}

/// Markdown: one section per ticket with its commits, then the other commits.
pub fn markdown(title: &str, notes: &Notes) -> String {
    markdown_with_intro(title, None, notes)
}

/// [`markdown`] with a sentence under the title (what the notes cover).
pub fn markdown_with_intro(title: &str, intro: Option<&str>, notes: &Notes) -> String {
    let mut s = format!("# {title}\n\n");
    if let Some(intro) = intro {
        s.push_str(&format!("{intro}\n\n"));
    }
    if notes.tickets.is_empty() {
        s.push_str("No tickets.\n");
    }
    for t in &notes.tickets {
        s.push_str(&format!("## {}\n\n", t.ticket));
        for c in &t.commits {
            s.push_str(&format!("- {} {}\n", short(c.oid), c.summary));
        }
        s.push('\n');
    }
    if !notes.other_commits.is_empty() {
        s.push_str("## Other changes\n\n");
        for c in &notes.other_commits {
            s.push_str(&format!("- {} {}\n", short(c.oid), c.summary));
        }
        s.push('\n');
    }
    s.truncate(s.trim_end().len());
    s.push('\n');
    s
}

fn short(oid: Oid) -> String {
    oid.to_string()[..10].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(n: u8) -> Oid {
        Oid::from_bytes(&[n; 20]).unwrap()
    }

    fn c(n: u8, parents: &[u8], message: &str) -> CommitInfo {
        CommitInfo {
            oid: oid(n),
            parents: parents.iter().map(|p| oid(*p)).collect(),
            message: message.to_string(),
            summary: message.lines().next().unwrap().to_string(),
            time: 0,
        }
    }

    #[test]
    fn merges_squashes_and_messages() {
        // 1 base, 2-3 on feature/DASH-1, 4 merges it; 5 is a squash of DASH-2;
        // 6 names DASH-3 in its body; 7 names nothing.
        let commits = vec![
            c(2, &[1], "Add login form"),
            c(3, &[2], "Validate input"),
            c(
                4,
                &[1, 3],
                "Merge branch 'feature/DASH-1-login' into kickoff-240510-x",
            ),
            c(5, &[4], "DASH-2: reports (#12)"),
            c(6, &[5], "Tidy\n\nRefs DASH-3 and DASH-3 again"),
            c(7, &[6], "Bump dependencies"),
        ];
        let notes = collect(&commits, &TicketPattern::default());
        assert_eq!(notes.ticket_names(), ["DASH-1", "DASH-2", "DASH-3"]);
        let d1: Vec<Oid> = notes
            .find("DASH-1")
            .unwrap()
            .commits
            .iter()
            .map(|c| c.oid)
            .collect();
        assert_eq!(d1, [oid(2), oid(3), oid(4)]);
        assert_eq!(notes.find("DASH-3").unwrap().commits.len(), 1);
        assert_eq!(notes.other_commits.len(), 1);
        let md = markdown("v1.0.0", &notes);
        assert!(
            md.starts_with("# v1.0.0\n\n## DASH-1\n\n- 0202020202 Add login form\n"),
            "{md}"
        );
        assert!(
            md.ends_with("## Other changes\n\n- 0707070707 Bump dependencies\n"),
            "{md}"
        );
    }
}
