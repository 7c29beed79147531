//! This clone's journal of its own state changes, in
//! `<common git dir>/kickoff/journal/`: one JSON file per operation, named by
//! the operation's id.
//!
//! An entry is written before the local ref moves and removed once the remote
//! holds the operation (or the fresh state refused it). It is the only source
//! of replays: a state commit the local ref has and the remote lacks is
//! applied again only when its operation is in this journal, so a chain the
//! remote rewound or deleted (an administrator's decision) is never pushed
//! back by a clone that merely saw it.
//!
//! A deployment has an entry from before its command starts ("deploying",
//! with the process id of the kickoff that runs it) until its record is on
//! the remote. An entry whose kickoff process is gone becomes an
//! "interrupted" record; the next kickoff command publishes it.
//!
//! Entries are written to a temporary file, synced and renamed into place, so
//! a crash or a full disk leaves the old entry or the new one, never half of
//! one.

use crate::slots::{DeployStatus, Deployment, Op};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Entries larger than this are not ours (ours are a few KiB): skipped.
const MAX_ENTRY: u64 = 256 * 1024;

/// One journal entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "entry", rename_all = "kebab-case")]
pub enum Entry {
    /// A change made here that the remote does not hold yet.
    Pending {
        /// Order of entries (milliseconds since the epoch when written).
        seq: i64,
        op: Op,
    },
    /// A deploy command is (or was) running: its record so far.
    Deploying {
        seq: i64,
        /// The kickoff process running it.
        pid: u32,
        /// The id the record operation will carry (the entry's file name).
        op_id: String,
        deployment: Deployment,
        /// The slot to give back if it does not succeed (claimed by this deploy).
        release: Option<String>,
        /// The deploy command's process group, once it started.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group: Option<i32>,
    },
}

impl Entry {
    pub fn seq(&self) -> i64 {
        match self {
            Entry::Pending { seq, .. } | Entry::Deploying { seq, .. } => *seq,
        }
    }
}

/// A journal file that could not be read.
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub path: PathBuf,
    pub reason: String,
}

/// The journal directory of a repository.
pub struct Journal {
    dir: PathBuf,
}

/// A well-formed operation id (file names are built from it).
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Journal {
    pub fn new(common_dir: &Path) -> Journal {
        Journal {
            dir: common_dir.join("kickoff").join("journal"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// Write (or replace) the entry for `id`, durably.
    fn write(&self, id: &str, entry: &Entry) -> std::io::Result<()> {
        if !valid_id(id) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{id:?} is not an operation id"),
            ));
        }
        std::fs::create_dir_all(&self.dir)?;
        let text = serde_json::to_vec_pretty(entry).map_err(std::io::Error::other)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        tmp.write_all(&text)?;
        tmp.write_all(b"\n")?;
        tmp.as_file().sync_all()?;
        tmp.persist(self.path(id)).map_err(|e| e.error)?;
        if let Ok(d) = std::fs::File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Record that this clone is about to publish `op`. An existing entry of
    /// the same operation keeps its place in the order.
    pub fn add(&self, op: &Op) -> std::io::Result<()> {
        let seq = match self.get(op.id()) {
            Some(e) => e.seq(),
            None => now_ms(),
        };
        self.write(
            op.id(),
            &Entry::Pending {
                seq,
                op: op.clone(),
            },
        )
    }

    /// Record that a deploy command is about to start.
    pub fn deploying(
        &self,
        op_id: &str,
        deployment: &Deployment,
        release: Option<String>,
    ) -> std::io::Result<()> {
        self.write(
            op_id,
            &Entry::Deploying {
                seq: now_ms(),
                pid: std::process::id(),
                op_id: op_id.to_string(),
                deployment: deployment.clone(),
                release,
                group: None,
            },
        )
    }

    /// Note the process group of a deploy command that started: while it
    /// runs, its entry is not taken for abandoned even if kickoff is gone.
    pub fn started(&self, op_id: &str, group: i32) -> std::io::Result<()> {
        match self.get(op_id) {
            Some(Entry::Deploying {
                seq,
                pid,
                op_id: id,
                deployment,
                release,
                ..
            }) => self.write(
                op_id,
                &Entry::Deploying {
                    seq,
                    pid,
                    op_id: id,
                    deployment,
                    release,
                    group: Some(group),
                },
            ),
            _ => Ok(()),
        }
    }

    /// Forget an entry (published, refused, or taken back).
    pub fn remove(&self, id: &str) {
        if valid_id(id) {
            let _ = std::fs::remove_file(self.path(id));
        }
    }

    pub fn get(&self, id: &str) -> Option<Entry> {
        if !valid_id(id) {
            return None;
        }
        read_entry(&self.path(id)).ok()
    }

    /// Every readable entry (id, entry), oldest first, with the problems of
    /// unreadable ones.
    pub fn entries(&self) -> (Vec<(String, Entry)>, Vec<Unreadable>) {
        let mut out = Vec::new();
        let mut bad = Vec::new();
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return (out, bad);
        };
        for e in dir.flatten() {
            let path = e.path();
            let Some(id) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".json"))
                .filter(|id| valid_id(id))
                .map(str::to_string)
            else {
                continue;
            };
            match read_entry(&path) {
                Ok(entry) => out.push((id, entry)),
                Err(reason) => bad.push(Unreadable { path, reason }),
            }
        }
        out.sort_by(|a, b| a.1.seq().cmp(&b.1.seq()).then_with(|| a.0.cmp(&b.0)));
        (out, bad)
    }

    /// The operations to publish, oldest first. A deployment whose kickoff
    /// process is gone is completed first as "interrupted" (its outcome is
    /// unknown); one whose process still runs is left to that process.
    pub fn pending(&self, now: chrono::DateTime<chrono::Utc>) -> Vec<Op> {
        let (entries, _) = self.entries();
        let mut ops = Vec::new();
        for (id, entry) in entries {
            match entry {
                Entry::Pending { op, .. } => ops.push(op),
                Entry::Deploying {
                    pid,
                    op_id,
                    deployment,
                    release,
                    seq,
                    group,
                } => {
                    if pid == std::process::id()
                        || process_alive(pid)
                        || group.is_some_and(group_alive)
                    {
                        continue;
                    }
                    let op = abandoned_record(op_id, deployment, release, pid, now);
                    if self
                        .write(
                            &id,
                            &Entry::Pending {
                                seq,
                                op: op.clone(),
                            },
                        )
                        .is_ok()
                    {
                        ops.push(op);
                    }
                }
            }
        }
        ops
    }

    /// Whether anything is waiting to be published (or still deploying).
    pub fn is_empty(&self) -> bool {
        self.entries().0.is_empty()
    }
}

/// The record of a deploy whose kickoff process died while it ran.
fn abandoned_record(
    op_id: String,
    mut d: Deployment,
    release: Option<String>,
    pid: u32,
    now: chrono::DateTime<chrono::Utc>,
) -> Op {
    let finished = now.max(d.started_at);
    d.finished_at = finished;
    d.duration_ms = (finished - d.started_at).num_milliseconds().max(0) as u64;
    d.status = DeployStatus::Interrupted;
    d.exit_code = None;
    d.error = Some(format!(
        "kickoff (process {pid}) stopped before the deploy command finished; its outcome is unknown"
    ));
    Op::Record {
        id: op_id,
        deployment: d,
        release,
    }
}

fn read_entry(path: &Path) -> Result<Entry, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_ENTRY {
        return Err(format!("{} bytes is too large", meta.len()));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

/// Whether any process of a process group still runs. On Linux `/proc` is
/// read so that zombies nobody reaps (a container without an init) do not
/// count; elsewhere signal 0 probes the group.
fn group_alive(group: i32) -> bool {
    if group <= 1 {
        return false;
    }
    let Ok(procs) = std::fs::read_dir("/proc") else {
        // SAFETY: signal 0 to a process group only checks for existence.
        return unsafe { libc::kill(-group, 0) } == 0;
    };
    procs.flatten().any(|p| {
        let Ok(stat) = std::fs::read_to_string(p.path().join("stat")) else {
            return false;
        };
        // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            return false;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next().unwrap_or("Z");
        let pgrp = fields.nth(1).and_then(|g| g.parse::<i32>().ok());
        pgrp == Some(group) && state != "Z" && state != "X"
    })
}

/// Whether a process of this id exists (signal 0 probes without sending).
pub fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill with signal 0 sends nothing; it only checks the process.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}
