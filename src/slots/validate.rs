//! Reading a state tree that anyone with push access could have written.
//!
//! Every path is checked against the layout kickoff writes; every file's size
//! is checked before it is read; every field of every lease, queue entry and
//! record is checked after parsing. What fails is never fatal:
//!
//! - a path kickoff does not write (`../x`, `notes.txt`, `slots/a/b.toml`, a
//!   name that is not UTF-8, a subtree or symlink where a file belongs) is
//!   *dropped*: reported once and left out of the next state commit;
//! - a file at a good path whose content is bad (too large, not UTF-8, not
//!   TOML/JSON, a bad field, a duplicate id) is *skipped*: reported with its
//!   path so that someone can remove it with `kickoff slot admin remove`, and
//!   kept as it is in the next commits until then (removing another
//!   person's data silently is not a reader's call).
//!
//! The functions here are pure: the caller supplies the entries and a way to
//! read a blob, so the property tests feed generated trees without git.

use super::config::valid_name;
use super::model::{
    DEPLOYMENTS_DIR, Deployment, Lease, Person, PriorLease, QUEUE_FILE, QueueEntry, SLOTS_DIR,
    SlotState,
};
use std::collections::{BTreeMap, BTreeSet};

/// Files larger than this are not read (a lease or a record is < 4 KiB).
pub const MAX_FILE: u64 = 64 * 1024;
/// The queue file holds many entries.
pub const MAX_QUEUE_FILE: u64 = 512 * 1024;
/// Entries in a queue beyond this are skipped.
pub const MAX_QUEUE: usize = 1000;
/// Longest free text (a reason, an error message).
const MAX_TEXT: usize = 1024;

pub use crate::git::{EntryKind, RawEntry};

/// Why something in the tree was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The path, lossily decoded for messages.
    pub path: String,
    pub reason: String,
    /// `true`: left out of the next commit; `false`: skipped but kept.
    pub dropped: bool,
}

/// A state read from a tree.
#[derive(Debug, Clone)]
pub struct Loaded<K> {
    pub state: SlotState,
    /// Every path to carry into the next commit (the readable files and the
    /// skipped ones), with the caller's handle.
    pub keep: BTreeMap<String, K>,
    pub problems: Vec<Problem>,
}

/// Where a path belongs in the layout.
enum Place<'a> {
    Lease(&'a str),
    Queue,
    Record(&'a str),
}

fn place(path: &str) -> Option<Place<'_>> {
    if path == QUEUE_FILE {
        return Some(Place::Queue);
    }
    if let Some(slot) = path
        .strip_prefix(SLOTS_DIR)
        .and_then(|n| n.strip_suffix(".toml"))
    {
        return valid_name(slot).then_some(Place::Lease(slot));
    }
    if let Some(file) = path.strip_prefix(DEPLOYMENTS_DIR) {
        let ok = file.len() <= 128
            && file.ends_with(".json")
            && file
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            && !file.starts_with('.');
        return ok.then_some(Place::Record(file));
    }
    None
}

/// Read a state from the entries of its tree. `read` returns a blob's bytes
/// (called only for files of an acceptable size).
pub fn load<K: Clone>(
    entries: impl IntoIterator<Item = RawEntry<K>>,
    mut read: impl FnMut(&K) -> Result<Vec<u8>, String>,
) -> Loaded<K> {
    let mut out = Loaded {
        state: SlotState::default(),
        keep: BTreeMap::new(),
        problems: Vec::new(),
    };
    let mut records: Vec<(String, Deployment)> = Vec::new();
    let mut seen = BTreeSet::new();
    for e in entries {
        let lossy = String::from_utf8_lossy(&e.path).into_owned();
        let drop = |reason: &str| Problem {
            path: lossy.clone(),
            reason: reason.to_string(),
            dropped: true,
        };
        let Ok(path) = std::str::from_utf8(&e.path) else {
            out.problems.push(drop("the name is not UTF-8"));
            continue;
        };
        let Some(where_) = place(path) else {
            out.problems
                .push(drop("not a path kickoff writes in the shared state"));
            continue;
        };
        if out.keep.contains_key(path) || out.state.unreadable.contains(path) {
            out.problems
                .push(drop("a second entry of the same name in one tree"));
            continue;
        }
        if e.kind != EntryKind::File {
            out.problems.push(drop(
                "not a regular file (a directory, symlink or submodule)",
            ));
            continue;
        }
        let limit = match where_ {
            Place::Queue => MAX_QUEUE_FILE,
            _ => MAX_FILE,
        };
        let path = path.to_string();
        out.keep.insert(path.clone(), e.key.clone());
        let mut skip = |reason: String| {
            out.state.unreadable.insert(path.clone());
            out.problems.push(Problem {
                path: path.clone(),
                reason,
                dropped: false,
            });
        };
        if e.size > limit {
            skip(format!("{} bytes is over the limit of {limit}", e.size));
            continue;
        }
        let bytes = match read(&e.key) {
            Ok(b) => b,
            Err(why) => {
                skip(format!("cannot be read: {why}"));
                continue;
            }
        };
        let Ok(text) = std::str::from_utf8(&bytes) else {
            skip("not UTF-8 text".into());
            continue;
        };
        match where_ {
            Place::Lease(slot) => match toml::from_str::<Lease>(text) {
                Ok(l) => match check_lease(&l) {
                    Ok(()) => {
                        out.state.leases.insert(slot.to_string(), l);
                    }
                    Err(why) => skip(why),
                },
                Err(e) => skip(one_line(e.message())),
            },
            Place::Queue => match toml::from_str::<super::model::QueueFile>(text) {
                Ok(q) => {
                    let mut bad = Vec::new();
                    for (i, entry) in q.entry.into_iter().enumerate() {
                        if out.state.queue.len() >= MAX_QUEUE {
                            bad.push(format!("entries after {MAX_QUEUE}"));
                            break;
                        }
                        match check_queue_entry(&entry) {
                            Ok(()) if seen.insert(entry.kickoff.clone()) => {
                                out.state.queue.push(entry)
                            }
                            Ok(()) => bad.push(format!("entry {} waits a second time", i + 1)),
                            Err(why) => bad.push(format!("entry {}: {why}", i + 1)),
                        }
                    }
                    if !bad.is_empty() {
                        skip(format!("some entries are skipped: {}", bad.join("; ")));
                    }
                }
                Err(e) => skip(one_line(e.message())),
            },
            Place::Record(file) => match serde_json::from_str::<Deployment>(text) {
                Ok(d) => match check_record(&d, file) {
                    Ok(()) => records.push((file.to_string(), d)),
                    Err(why) => skip(why),
                },
                Err(e) => skip(one_line(&e.to_string())),
            },
        }
    }
    // One slot per kickoff: a second lease of the same kickoff is skipped.
    let mut holders = BTreeSet::new();
    let leases = std::mem::take(&mut out.state.leases);
    for (slot, lease) in leases {
        if holders.insert(lease.kickoff.clone()) {
            out.state.leases.insert(slot, lease);
        } else {
            let path = format!("{SLOTS_DIR}{slot}.toml");
            out.state.unreadable.insert(path.clone());
            out.problems.push(Problem {
                path,
                reason: format!("{} holds another slot already", lease.kickoff),
                dropped: false,
            });
        }
    }
    // A queue entry of a kickoff that holds a slot is stale: skipped.
    let queue = std::mem::take(&mut out.state.queue);
    out.state.queue = queue
        .into_iter()
        .filter(|q| !holders.contains(&q.kickoff))
        .collect();
    let mut ids = BTreeSet::new();
    for (file, d) in records {
        if ids.insert(d.id.clone()) {
            out.state.deployments.insert(file, d);
        } else {
            let path = format!("{DEPLOYMENTS_DIR}{file}");
            out.state.unreadable.insert(path.clone());
            out.problems.push(Problem {
                path,
                reason: format!("another record has the id {}", d.id),
                dropped: false,
            });
        }
    }
    out
}

fn one_line(s: &str) -> String {
    let line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    line.trim().to_string()
}

fn text(what: &str, s: &str, max: usize) -> Result<(), String> {
    if s.len() > max {
        return Err(format!("{what} is longer than {max} bytes"));
    }
    if s.chars().any(char::is_control) {
        return Err(format!("{what} holds control characters"));
    }
    Ok(())
}

/// A kickoff (or any branch) name as kickoff writes it: printable ASCII,
/// no spaces, at most 200 bytes.
fn branch(what: &str, s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > 200 || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!("{what} is not a branch name"));
    }
    Ok(())
}

fn person(what: &str, p: &Person) -> Result<(), String> {
    text(&format!("{what}'s name"), &p.name, 256)?;
    text(&format!("{what}'s email"), &p.email, 256)?;
    if p.email.contains(['<', '>']) {
        return Err(format!("{what}'s email holds < or >"));
    }
    Ok(())
}

fn check_prior(p: &PriorLease) -> Result<(), String> {
    branch("took_over_from.kickoff", &p.kickoff)?;
    person("took_over_from.holder", &p.holder)
}

pub fn check_lease(l: &Lease) -> Result<(), String> {
    branch("kickoff", &l.kickoff)?;
    person("holder", &l.holder)?;
    if l.since > l.until {
        return Err("since is after until".into());
    }
    if let Some(r) = &l.reason {
        text("reason", r, MAX_TEXT)?;
    }
    if !["claim", "deploy", "queue", "takeover"].contains(&l.via.as_str()) {
        return Err(format!(
            "via is {:?}, not claim, deploy, queue or takeover",
            one_line(&l.via)
        ));
    }
    if let Some(p) = &l.took_over_from {
        check_prior(p)?;
    }
    Ok(())
}

pub fn check_queue_entry(q: &QueueEntry) -> Result<(), String> {
    branch("kickoff", &q.kickoff)?;
    person("holder", &q.holder)?;
    super::Ttl::parse(&q.ttl).map_err(|e| e.to_string())?;
    if let Some(r) = &q.reason {
        text("reason", r, MAX_TEXT)?;
    }
    if let Some(s) = &q.slot {
        if !valid_name(s) {
            return Err("slot is not a slot name".into());
        }
    }
    Ok(())
}

pub fn check_record(d: &Deployment, file: &str) -> Result<(), String> {
    if d.id.is_empty() || d.id.len() > 64 || !d.id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err("id is not a record id".into());
    }
    if !valid_name(&d.slot) {
        return Err("slot is not a slot name".into());
    }
    branch("kickoff", &d.kickoff)?;
    if !matches!(d.commit.len(), 40 | 64) || !d.commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("commit is not a commit id".into());
    }
    if let Some(v) = &d.platform_version {
        if v.len() > 64 || semver::Version::parse(v).is_err() {
            return Err("platform_version is not a version".into());
        }
    }
    if d.tickets.len() > 1000 {
        return Err("more than 1000 tickets".into());
    }
    for t in &d.tickets {
        if t.is_empty() || t.len() > 64 || !t.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("a ticket is not a ticket key".into());
        }
    }
    person("who", &d.who)?;
    if d.started_at > d.finished_at {
        return Err("started_at is after finished_at".into());
    }
    if let Some(e) = &d.error {
        text("error", e, MAX_TEXT)?;
    }
    text("image_tag", &d.image_tag, 256)?;
    text("project", &d.project, 256)?;
    if d.file_name() != file {
        return Err(format!(
            "the file name does not match the record (expected {})",
            d.file_name()
        ));
    }
    Ok(())
}

impl SlotState {
    /// Read the state from the files of a state commit (path -> content),
    /// skipping what is bad (see [`load`]).
    pub fn from_files(files: BTreeMap<String, Vec<u8>>) -> SlotState {
        let entries = files.iter().map(|(p, b)| RawEntry {
            path: p.as_bytes().to_vec(),
            kind: EntryKind::File,
            size: b.len() as u64,
            key: p.clone(),
        });
        load(entries, |k| Ok(files[k].clone())).state
    }
}
