//! QA slots: the pool of shared dev environments, who holds which, the
//! first-come queue and the deployment log.
//!
//! This module is the allocator: pure functions from a [`SlotState`] and an
//! [`Op`] to the next state. It never touches git; the `state` module stores the
//! state as files in the commit chain under `refs/kickoff/state` and re-applies
//! an operation to a fresh state whenever the remote moved underneath it, so
//! every decision here is taken again on the state the remote accepts.
//!
//! Rules: a slot has at most one lease; a kickoff holds at most one slot and
//! waits in the queue at most once; a lease expires at its `until` time and may
//! then be taken over by anyone (the new lease names the one it replaced); the
//! queue is first come, first served, and whenever a slot is free or expired
//! the head of the queue gets it before anyone else.

pub mod board;
pub mod clock;
pub mod compose;
pub mod config;
pub mod dashboard;
pub mod envfile;
pub mod model;
pub mod routes;
pub mod runner;
pub mod validate;

pub use model::{DeployStatus, Deployment, Lease, Person, PriorLease, QueueEntry, SlotState};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum SlotError {
    #[error("no QA slots are configured")]
    NotConfigured,
    #[error("there is no slot named {slot:?}")]
    UnknownSlot { slot: String, known: Vec<String> },
    #[error("invalid lease time {input:?}: {reason}")]
    BadTtl { input: String, reason: String },
    #[error("every slot is taken:\n{}", held.join("\n"))]
    NoFreeSlot { held: Vec<String> },
    #[error("{kickoff} is not waiting in the queue{}", held.as_ref().map(|s| format!(" (it holds {s})")).unwrap_or_default())]
    NotQueued {
        kickoff: String,
        held: Option<String>,
    },
    #[error("{kickoff} was put in the queue by {holder}, not by you")]
    QueuedByOther { kickoff: String, holder: String },
    #[error("{slot} is held by {kickoff} ({holder}) until {until}")]
    SlotHeld {
        slot: String,
        kickoff: String,
        holder: String,
        until: String,
    },
    #[error("{kickoff} already holds {slot}")]
    HoldsOther { kickoff: String, slot: String },
    #[error("{kickoff} is already waiting in the queue (position {position})")]
    AlreadyQueued { kickoff: String, position: usize },
    #[error("{slot} is free; nobody holds it")]
    NotHeld { slot: String },
    #[error("{slot} is held by {holder}, not by you")]
    NotYours { slot: String, holder: String },
    #[error("no deploy command is configured (`slots.deploy`)")]
    DeployNotConfigured,
    #[error("the deploy command `{program}` does not exist")]
    DeployNotFound { program: String },
    #[error("the deploy command `{program}` ({path}) is not executable")]
    DeployNotExecutable { program: String, path: String },
    #[error("the deploy command failed ({status}); recorded as {outcome} in {record}")]
    DeployFailed {
        status: String,
        record: String,
        outcome: String,
    },
    #[error("the shared state kept changing under us; gave up after {attempts} attempts")]
    Busy { attempts: usize },
    #[error("--offline cannot change the shared state")]
    OfflineWrite,
    /// The env file cannot be written (a value it cannot hold, a link in the way).
    #[error(transparent)]
    EnvFile(#[from] envfile::EnvFileError),
    #[error("the shared state has no file {path}")]
    NoSuchFile { path: String },
    #[error("the state commit {commit} holds an unreadable file {path}: {reason}")]
    Corrupt {
        commit: String,
        path: String,
        reason: String,
    },
}

impl SlotError {
    pub fn exit_code(&self) -> i32 {
        match self {
            SlotError::NotConfigured
            | SlotError::UnknownSlot { .. }
            | SlotError::BadTtl { .. }
            | SlotError::DeployNotConfigured
            | SlotError::DeployNotFound { .. }
            | SlotError::DeployNotExecutable { .. }
            | SlotError::OfflineWrite => 2,
            SlotError::EnvFile(e) => e.exit_code(),
            _ => 1,
        }
    }

    pub fn hint(&self) -> Option<String> {
        Some(match self {
            SlotError::NotConfigured => "describe the pool in a [slots] section of .kickoff.toml (see docs/slots.md)".into(),
            SlotError::UnknownSlot { known, .. } => format!("the configured slots are: {}", known.join(", ")),
            SlotError::BadTtl { .. } => "give a positive whole number of minutes, hours, days or weeks: 90m, 12h, 3d, 2w (at most 90d)".into(),
            SlotError::NoFreeSlot { .. } => "wait in line with --queue (you get the first slot that frees), or ask a holder to `kickoff slot release`".into(),
            SlotError::SlotHeld { .. } => "pick another slot, leave out --slot to take any free one, or join the queue with --queue".into(),
            SlotError::HoldsOther { .. } => "release it first (`kickoff slot release`), or deploy to the slot it holds".into(),
            SlotError::AlreadyQueued { .. } => "you get the first slot that frees; `kickoff slot list` shows the queue".into(),
            SlotError::NotHeld { .. } => "`kickoff slot list` shows who holds what".into(),
            SlotError::NotQueued { held: Some(slot), .. } => format!("give the slot back with `kickoff slot release {slot}`"),
            SlotError::NotQueued { .. } => "`kickoff slot list` shows the queue".into(),
            SlotError::QueuedByOther { .. } => "ask them, or pass --force if you are sure (the change is recorded under your name)".into(),
            SlotError::NotYours { .. } => "ask the holder, or pass --force if you are sure (the change is recorded under your name)".into(),
            SlotError::DeployNotConfigured => "set `slots.deploy` in .kickoff.toml to the program and its arguments, e.g. [\"./deploy.sh\", \"{env_file}\"]".into(),
            SlotError::DeployNotExecutable { path, .. } => format!("make it executable (`chmod +x {path}`, and commit the mode with `git update-index --chmod=+x`), or run it through its interpreter in `slots.deploy` ([\"sh\", \"./deploy.sh\", ...])"),
            SlotError::DeployNotFound { .. } => "fix `slots.deploy` in .kickoff.toml: the program must be on PATH or a path relative to the top of the work tree".into(),
            SlotError::DeployFailed { .. } => "read the deploy output above, fix the cause and run `kickoff deploy` again".into(),
            SlotError::Busy { .. } => "run the command again (a claim, release or renewal was not made; a deployment record is kept and published by the next command)".into(),
            SlotError::OfflineWrite => "drop --offline: claims and deployments must be accepted by the remote".into(),
            SlotError::EnvFile(e) => return e.hint(),
            SlotError::NoSuchFile { .. } => "`kickoff slot admin files` lists the files of the shared state".into(),
            SlotError::Corrupt { .. } => return None,
        })
    }
}

/// A lease time: a positive whole number of minutes, hours, days or weeks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ttl {
    amount: u32,
    unit: char,
}

pub const MAX_TTL_DAYS: i64 = 90;

impl Ttl {
    pub fn parse(input: &str) -> Result<Ttl, SlotError> {
        let bad = |reason: &str| SlotError::BadTtl {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let s = input.trim();
        if s.starts_with('-') {
            return Err(bad("a lease time cannot be negative"));
        }
        let unit = s
            .chars()
            .last()
            .filter(|c| "mhdw".contains(*c))
            .ok_or_else(|| bad("it does not end with a unit m, h, d or w"))?;
        let digits = &s[..s.len() - 1];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("it is not a whole number followed by m, h, d or w"));
        }
        let amount: u32 = digits.parse().map_err(|_| bad("the number is too large"))?;
        if amount == 0 {
            return Err(bad("a lease time must be longer than zero"));
        }
        let ttl = Ttl { amount, unit };
        if ttl.duration() > Duration::days(MAX_TTL_DAYS) {
            return Err(bad(&format!("the limit is {MAX_TTL_DAYS}d")));
        }
        Ok(ttl)
    }

    pub fn duration(&self) -> Duration {
        let n = i64::from(self.amount);
        match self.unit {
            'm' => Duration::minutes(n),
            'h' => Duration::hours(n),
            'd' => Duration::days(n),
            _ => Duration::weeks(n),
        }
    }
}

impl fmt::Display for Ttl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.unit)
    }
}

/// One change to the shared state. An operation carries everything it needs
/// (who, when, until when), so applying it again to a newer state decides the
/// same question again with the same inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Op {
    Claim {
        id: String,
        kickoff: String,
        by: Person,
        at: DateTime<Utc>,
        ttl: String,
        slot: Option<String>,
        reason: Option<String>,
        queue: bool,
        via: String,
    },
    Release {
        id: String,
        /// Release this slot...
        slot: Option<String>,
        /// ...or whatever this kickoff holds, and its place in the queue.
        kickoff: Option<String>,
        by: Person,
        at: DateTime<Utc>,
        force: bool,
    },
    Renew {
        id: String,
        slot: String,
        by: Person,
        at: DateTime<Utc>,
        ttl: String,
        force: bool,
    },
    /// Take a kickoff out of the queue (it holds no slot).
    Leave {
        id: String,
        kickoff: String,
        by: Person,
        at: DateTime<Utc>,
        force: bool,
    },
    Record {
        id: String,
        deployment: Deployment,
        /// Release this slot if the deployed kickoff holds it (a failed deploy
        /// gives back the slot it claimed for itself).
        release: Option<String>,
    },
    /// A maintainer's change (`kickoff slot admin`), recorded as such.
    Admin {
        id: String,
        by: Person,
        at: DateTime<Utc>,
        action: AdminAction,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

/// What `kickoff slot admin` does to the state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum AdminAction {
    /// Remove these files of the state tree (a lease, the queue, a record,
    /// or a file skipped as unreadable).
    Remove { paths: Vec<String> },
    /// Free every slot and empty the queue; the deployment log stays.
    Reset,
}

/// What an operation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Outcome {
    Claimed {
        slot: String,
        until: DateTime<Utc>,
        took_over_from: Option<PriorLease>,
    },
    AlreadyHeld {
        slot: String,
        until: DateTime<Utc>,
    },
    Queued {
        position: usize,
    },
    Released {
        slot: Option<String>,
        left_queue: bool,
    },
    Renewed {
        slot: String,
        until: DateTime<Utc>,
    },
    Left {
        kickoff: String,
        /// The place it had in the queue (1 = first).
        position: usize,
    },
    Recorded {
        file: String,
    },
    Removed {
        paths: Vec<String>,
    },
    Reset {
        released: Vec<String>,
        dequeued: usize,
    },
}

/// An operation's outcome plus what happened to others along the way
/// (queue promotions, takeovers of expired leases).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub outcome: Outcome,
    pub notes: Vec<String>,
}

impl Op {
    pub fn id(&self) -> &str {
        match self {
            Op::Claim { id, .. }
            | Op::Release { id, .. }
            | Op::Renew { id, .. }
            | Op::Leave { id, .. }
            | Op::Record { id, .. }
            | Op::Admin { id, .. } => id,
        }
    }

    /// One line for the state commit's subject.
    pub fn summary(&self) -> String {
        match self {
            Op::Claim {
                kickoff, by, slot, ..
            } => format!(
                "claim {}: {kickoff} by {}",
                slot.as_deref().unwrap_or("any slot"),
                by.name
            ),
            Op::Release {
                slot, kickoff, by, ..
            } => format!(
                "release {}: by {}",
                slot.as_deref().or(kickoff.as_deref()).unwrap_or("?"),
                by.name
            ),
            Op::Renew { slot, by, ttl, .. } => format!("renew {slot} for {ttl}: by {}", by.name),
            Op::Leave { kickoff, by, .. } => format!("leave the queue: {kickoff} by {}", by.name),
            Op::Record { deployment: d, .. } => format!(
                "deploy {} to {}: {} by {}",
                d.kickoff,
                d.slot,
                d.status.as_str(),
                d.who.name
            ),
            Op::Admin {
                action: AdminAction::Remove { paths },
                by,
                ..
            } => format!("admin: remove {} by {}", paths.join(", "), by.name),
            Op::Admin {
                action: AdminAction::Reset,
                by,
                ..
            } => format!("admin: reset the pool by {}", by.name),
        }
    }

    /// Apply to `state`, with `names` the configured slots in order.
    pub fn apply(&self, state: &mut SlotState, names: &[String]) -> Result<Applied, SlotError> {
        let mut notes = Vec::new();
        let at = self.at();
        let stored = state.clone();
        normalize(state, names, at, &mut notes);
        let outcome = match self {
            Op::Claim {
                kickoff,
                by,
                at,
                ttl,
                slot,
                reason,
                queue,
                via,
                ..
            } => {
                let ttl = Ttl::parse(ttl)?;
                let until = *at + ttl.duration();
                let claimed = claim(
                    state,
                    names,
                    ClaimRequest {
                        kickoff,
                        by,
                        at: *at,
                        until,
                        ttl,
                        slot: slot.as_deref(),
                        reason: reason.as_deref(),
                        queue: *queue,
                        via,
                    },
                );
                claimed.map_err(|e| refusal_as_stored(e, &stored, state, names))?
            }
            Op::Release {
                slot,
                kickoff,
                by,
                at,
                force,
                ..
            } => release(state, slot.as_deref(), kickoff.as_deref(), by, *at, *force)?,
            Op::Renew {
                slot,
                by,
                at,
                ttl,
                force,
                ..
            } => {
                let until = *at + Ttl::parse(ttl)?.duration();
                let lease = state
                    .leases
                    .get_mut(slot)
                    .ok_or_else(|| SlotError::NotHeld { slot: slot.clone() })?;
                if lease.holder.email != by.email && !*force {
                    return Err(SlotError::NotYours {
                        slot: slot.clone(),
                        holder: lease.holder.to_string(),
                    });
                }
                lease.until = until;
                Outcome::Renewed {
                    slot: slot.clone(),
                    until,
                }
            }
            Op::Leave {
                kickoff, by, force, ..
            } => {
                let Some(i) = state.queue.iter().position(|q| &q.kickoff == kickoff) else {
                    return Err(SlotError::NotQueued {
                        kickoff: kickoff.clone(),
                        held: state.slot_of(kickoff).map(|(s, _)| s.to_string()),
                    });
                };
                let entry = &state.queue[i];
                if entry.holder.email != by.email && !*force {
                    return Err(SlotError::QueuedByOther {
                        kickoff: kickoff.clone(),
                        holder: entry.holder.to_string(),
                    });
                }
                state.queue.remove(i);
                Outcome::Left {
                    kickoff: kickoff.clone(),
                    position: i + 1,
                }
            }
            Op::Record {
                deployment,
                release,
                ..
            } => {
                let file = deployment.file_name();
                state
                    .deployments
                    .entry(file.clone())
                    .or_insert_with(|| deployment.clone());
                if let Some(slot) = release {
                    if state
                        .leases
                        .get(slot)
                        .is_some_and(|l| l.kickoff == deployment.kickoff)
                    {
                        state.leases.remove(slot);
                        notes.push(format!("released {slot} again"));
                    }
                }
                Outcome::Recorded { file }
            }
            Op::Admin { action, .. } => admin(state, action)?,
        };
        normalize(state, names, at, &mut notes);
        Ok(Applied { outcome, notes })
    }

    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Op::Claim { at, .. }
            | Op::Release { at, .. }
            | Op::Renew { at, .. }
            | Op::Leave { at, .. }
            | Op::Admin { at, .. } => *at,
            Op::Record { deployment, .. } => deployment.finished_at,
        }
    }
}

struct ClaimRequest<'a> {
    kickoff: &'a str,
    by: &'a Person,
    at: DateTime<Utc>,
    until: DateTime<Utc>,
    ttl: Ttl,
    slot: Option<&'a str>,
    reason: Option<&'a str>,
    queue: bool,
    via: &'a str,
}

fn claim(state: &mut SlotState, names: &[String], r: ClaimRequest) -> Result<Outcome, SlotError> {
    if let Some(wanted) = r.slot {
        if !names.iter().any(|n| n == wanted) {
            return Err(SlotError::UnknownSlot {
                slot: wanted.to_string(),
                known: names.to_vec(),
            });
        }
    }
    if let Some((held, lease)) = state.slot_of(r.kickoff) {
        if r.slot.is_none_or(|w| w == held) {
            return Ok(Outcome::AlreadyHeld {
                slot: held.to_string(),
                until: lease.until,
            });
        }
        return Err(SlotError::HoldsOther {
            kickoff: r.kickoff.to_string(),
            slot: held.to_string(),
        });
    }
    if let Some(position) = state.queue.iter().position(|q| q.kickoff == r.kickoff) {
        return Err(SlotError::AlreadyQueued {
            kickoff: r.kickoff.to_string(),
            position: position + 1,
        });
    }
    let candidates: Vec<&String> = match r.slot {
        Some(w) => names.iter().filter(|n| *n == w).collect(),
        None => names.iter().collect(),
    };
    let free = candidates
        .iter()
        .find(|n| !state.leases.contains_key(n.as_str()));
    let expired = candidates
        .iter()
        .filter_map(|n| state.leases.get(n.as_str()).map(|l| (*n, l)))
        .filter(|(_, l)| l.until <= r.at)
        .min_by_key(|(_, l)| l.until)
        .map(|(n, _)| n);
    let target = free.copied().or(expired).cloned();
    if let Some(slot) = target {
        let prior = state.leases.get(&slot).map(PriorLease::of);
        state.leases.insert(
            slot.clone(),
            Lease {
                kickoff: r.kickoff.to_string(),
                holder: r.by.clone(),
                since: r.at,
                until: r.until,
                reason: r.reason.map(str::to_string),
                via: if prior.is_some() {
                    "takeover".into()
                } else {
                    r.via.to_string()
                },
                took_over_from: prior.clone(),
            },
        );
        return Ok(Outcome::Claimed {
            slot,
            until: r.until,
            took_over_from: prior,
        });
    }
    if r.queue {
        state.queue.push(QueueEntry {
            kickoff: r.kickoff.to_string(),
            holder: r.by.clone(),
            since: r.at,
            ttl: r.ttl.to_string(),
            reason: r.reason.map(str::to_string),
            slot: r.slot.map(str::to_string),
        });
        return Ok(Outcome::Queued {
            position: state.queue.len(),
        });
    }
    if let Some(w) = r.slot {
        let l = &state.leases[w];
        return Err(SlotError::SlotHeld {
            slot: w.to_string(),
            kickoff: l.kickoff.clone(),
            holder: l.holder.to_string(),
            until: l.until.format("%Y-%m-%d %H:%M UTC").to_string(),
        });
    }
    Err(SlotError::NoFreeSlot {
        held: names
            .iter()
            .filter_map(|n| state.leases.get(n).map(|l| (n, l)))
            .map(|(n, l)| {
                format!(
                    "  {n}: {} ({}) until {}",
                    l.kickoff,
                    l.holder,
                    l.until.format("%Y-%m-%d %H:%M UTC")
                )
            })
            .collect(),
    })
}

fn release(
    state: &mut SlotState,
    slot: Option<&str>,
    kickoff: Option<&str>,
    by: &Person,
    at: DateTime<Utc>,
    force: bool,
) -> Result<Outcome, SlotError> {
    if let Some(slot) = slot {
        let lease = state.leases.get(slot).ok_or_else(|| SlotError::NotHeld {
            slot: slot.to_string(),
        })?;
        if lease.holder.email != by.email && !force && lease.until > at {
            return Err(SlotError::NotYours {
                slot: slot.to_string(),
                holder: lease.holder.to_string(),
            });
        }
        state.leases.remove(slot);
        return Ok(Outcome::Released {
            slot: Some(slot.to_string()),
            left_queue: false,
        });
    }
    let kickoff = kickoff.unwrap_or_default();
    let held = state.slot_of(kickoff).map(|(s, _)| s.to_string());
    if let Some(s) = &held {
        state.leases.remove(s);
    }
    let before = state.queue.len();
    state.queue.retain(|q| q.kickoff != kickoff);
    Ok(Outcome::Released {
        slot: held,
        left_queue: state.queue.len() != before,
    })
}

/// A refused claim, told against the state as stored (what `slot list`
/// shows), not against the promotions of the queue that were worked out on
/// the way and are dropped with the refusal: a slot whose lease expired is
/// shown with its old holder and the queued kickoff it goes to next.
fn refusal_as_stored(
    err: SlotError,
    stored: &SlotState,
    promoted: &SlotState,
    names: &[String],
) -> SlotError {
    let SlotError::NoFreeSlot { .. } = err else {
        return err;
    };
    let held = names
        .iter()
        .filter_map(|n| {
            let next = promoted
                .leases
                .get(n)
                .filter(|p| stored.leases.get(n).is_none_or(|l| l.kickoff != p.kickoff))
                .map(|p| format!("; next in the queue, {} gets it", p.kickoff));
            match stored.leases.get(n) {
                Some(l) => Some(format!(
                    "  {n}: {} ({}) until {}{}{}",
                    l.kickoff,
                    l.holder,
                    l.until.format("%Y-%m-%d %H:%M UTC"),
                    if next.is_some() { " (expired)" } else { "" },
                    next.unwrap_or_default()
                )),
                None => next.map(|next| format!("  {n}: free{next}")),
            }
        })
        .collect();
    SlotError::NoFreeSlot { held }
}

fn admin(state: &mut SlotState, action: &AdminAction) -> Result<Outcome, SlotError> {
    match action {
        AdminAction::Remove { paths } => {
            for path in paths {
                let mut found = state.unreadable.remove(path);
                if let Some(slot) = path
                    .strip_prefix(model::SLOTS_DIR)
                    .and_then(|p| p.strip_suffix(".toml"))
                {
                    found |= state.leases.remove(slot).is_some();
                } else if path == model::QUEUE_FILE {
                    found |= !state.queue.is_empty();
                    state.queue.clear();
                } else if let Some(file) = path.strip_prefix(model::DEPLOYMENTS_DIR) {
                    found |= state.deployments.remove(file).is_some();
                }
                if !found {
                    return Err(SlotError::NoSuchFile { path: path.clone() });
                }
            }
            Ok(Outcome::Removed {
                paths: paths.clone(),
            })
        }
        AdminAction::Reset => {
            let released: Vec<String> = state.leases.keys().cloned().collect();
            let dequeued = state.queue.len();
            state.leases.clear();
            state.queue.clear();
            state
                .unreadable
                .retain(|p| p.starts_with(model::DEPLOYMENTS_DIR));
            Ok(Outcome::Reset { released, dequeued })
        }
    }
}

/// Hand free and expired slots to the queue, first come first served.
fn normalize(state: &mut SlotState, names: &[String], at: DateTime<Utc>, notes: &mut Vec<String>) {
    let mut i = 0;
    while i < state.queue.len() {
        let entry = &state.queue[i];
        let fits = |n: &&String| entry.slot.as_ref().is_none_or(|w| w == *n);
        let free = names
            .iter()
            .filter(fits)
            .find(|n| !state.leases.contains_key(n.as_str()));
        let expired = names
            .iter()
            .filter(fits)
            .filter_map(|n| state.leases.get(n).map(|l| (n, l)))
            .filter(|(_, l)| l.until <= at)
            .min_by_key(|(_, l)| l.until)
            .map(|(n, _)| n);
        let Some(slot) = free.or(expired).cloned() else {
            i += 1;
            continue;
        };
        let entry = state.queue.remove(i);
        let prior = state.leases.get(&slot).map(PriorLease::of);
        let ttl = Ttl::parse(&entry.ttl)
            .map(|t| t.duration())
            .unwrap_or_else(|_| Duration::days(1));
        notes.push(match &prior {
            Some(p) => format!(
                "{} took over {slot} from {} (expired) off the queue",
                entry.kickoff, p.kickoff
            ),
            None => format!("{} got {slot} off the queue", entry.kickoff),
        });
        state.leases.insert(
            slot,
            Lease {
                kickoff: entry.kickoff,
                holder: entry.holder,
                since: at,
                until: at + ttl,
                reason: entry.reason,
                via: "queue".into(),
                took_over_from: prior,
            },
        );
    }
}

/// The pool of a settings text's `[slots]` section, validated: for the tests
/// of the modules that take a pool (the whole file is `config`'s to parse).
#[cfg(test)]
pub(crate) fn pool_from_toml(text: &str) -> config::SlotsConfig {
    #[derive(serde::Deserialize)]
    struct File {
        slots: config::RawSlots,
    }
    let file: File = toml::from_str(text).expect("a [slots] section");
    file.slots
        .validate(text, std::path::Path::new(".kickoff.toml"))
        .expect("a valid pool")
}

/// A fresh operation id: time, process and a counter, so ids from concurrent
/// processes and machines do not collide.
pub fn new_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut h =
        nanos ^ (u64::from(std::process::id()) << 32) ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    // splitmix64 finaliser: spread the bits.
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^= h >> 31;
    format!("{h:016x}")[..12].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["dev1", "dev2"].iter().map(|s| s.to_string()).collect()
    }

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_715_342_400 + min * 60, 0).unwrap()
    }

    fn who(n: &str) -> Person {
        Person {
            name: n.into(),
            email: format!("{n}@example.com"),
        }
    }

    fn claim_op(k: &str, by: &str, at: i64, slot: Option<&str>, queue: bool) -> Op {
        Op::Claim {
            id: new_id(),
            kickoff: k.into(),
            by: who(by),
            at: t(at),
            ttl: "1h".into(),
            slot: slot.map(str::to_string),
            reason: None,
            queue,
            via: "claim".into(),
        }
    }

    #[test]
    fn ttl_parsing() {
        assert_eq!(Ttl::parse("3d").unwrap().duration(), Duration::days(3));
        assert_eq!(Ttl::parse("90m").unwrap().to_string(), "90m");
        for bad in ["-3d", "forever", "0d", "3", "d", "3x", "91d", "1.5d", ""] {
            assert!(Ttl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn claim_any_then_refuse_then_queue_then_promote() {
        let mut s = SlotState::default();
        let n = names();
        let a = claim_op("k-a", "ann", 0, None, false)
            .apply(&mut s, &n)
            .unwrap();
        assert!(matches!(a.outcome, Outcome::Claimed { ref slot, .. } if slot == "dev1"));
        claim_op("k-b", "bob", 1, None, false)
            .apply(&mut s, &n)
            .unwrap();
        let e = claim_op("k-c", "cat", 2, None, false)
            .apply(&mut s, &n)
            .unwrap_err();
        assert!(matches!(e, SlotError::NoFreeSlot { .. }), "{e}");
        let q = claim_op("k-c", "cat", 2, None, true)
            .apply(&mut s, &n)
            .unwrap();
        assert_eq!(q.outcome, Outcome::Queued { position: 1 });
        let r = Op::Release {
            id: new_id(),
            slot: Some("dev2".into()),
            kickoff: None,
            by: who("bob"),
            at: t(3),
            force: false,
        }
        .apply(&mut s, &n)
        .unwrap();
        assert_eq!(r.notes, vec!["k-c got dev2 off the queue".to_string()]);
        assert_eq!(s.leases["dev2"].kickoff, "k-c");
        assert!(s.queue.is_empty());
    }

    #[test]
    fn expired_lease_takeover_is_recorded() {
        let mut s = SlotState::default();
        let n = vec!["dev1".to_string()];
        claim_op("k-a", "ann", 0, None, false)
            .apply(&mut s, &n)
            .unwrap();
        let e = claim_op("k-b", "bob", 30, Some("dev1"), false)
            .apply(&mut s, &n)
            .unwrap_err();
        assert!(matches!(e, SlotError::SlotHeld { .. }));
        let ok = claim_op("k-b", "bob", 61, Some("dev1"), false)
            .apply(&mut s, &n)
            .unwrap();
        match ok.outcome {
            Outcome::Claimed { took_over_from, .. } => {
                assert_eq!(took_over_from.unwrap().kickoff, "k-a")
            }
            o => panic!("{o:?}"),
        }
        assert_eq!(s.leases["dev1"].via, "takeover");
    }

    #[test]
    fn release_and_renew_check_the_holder() {
        let mut s = SlotState::default();
        let n = names();
        claim_op("k-a", "ann", 0, Some("dev2"), false)
            .apply(&mut s, &n)
            .unwrap();
        let rel = |by: &str, force| Op::Release {
            id: new_id(),
            slot: Some("dev2".into()),
            kickoff: None,
            by: who(by),
            at: t(1),
            force,
        };
        assert!(matches!(
            rel("bob", false).apply(&mut s, &n).unwrap_err(),
            SlotError::NotYours { .. }
        ));
        let renew = Op::Renew {
            id: new_id(),
            slot: "dev2".into(),
            by: who("ann"),
            at: t(50),
            ttl: "2h".into(),
            force: false,
        };
        renew.apply(&mut s, &n).unwrap();
        assert_eq!(s.leases["dev2"].until, t(170));
        rel("bob", true).apply(&mut s, &n).unwrap();
        assert!(s.leases.is_empty());
        assert!(matches!(
            rel("ann", false).apply(&mut s, &n).unwrap_err(),
            SlotError::NotHeld { .. }
        ));
    }

    #[test]
    fn one_slot_per_kickoff() {
        let mut s = SlotState::default();
        let n = names();
        claim_op("k-a", "ann", 0, None, false)
            .apply(&mut s, &n)
            .unwrap();
        let again = claim_op("k-a", "ann", 1, None, false)
            .apply(&mut s, &n)
            .unwrap();
        assert!(matches!(again.outcome, Outcome::AlreadyHeld { .. }));
        let e = claim_op("k-a", "ann", 1, Some("dev2"), false)
            .apply(&mut s, &n)
            .unwrap_err();
        assert!(matches!(e, SlotError::HoldsOther { .. }));
    }

    #[test]
    fn ids_differ() {
        let a: std::collections::BTreeSet<String> = (0..1000).map(|_| new_id()).collect();
        assert_eq!(a.len(), 1000);
    }
}
