//! The board: every slot with its lease, last deployment, staleness and
//! computed ports and URLs, and the queue. `kickoff slot list --json` prints
//! it; the dashboard renders it.

use super::config::{Endpoint, SlotsConfig};
use super::{Deployment, Person, PriorLease, SlotState};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

pub const SCHEMA: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Board {
    pub schema: u32,
    pub generated_at: DateTime<Utc>,
    /// The state commit this was read from (`null`: no state yet).
    pub state_commit: Option<String>,
    pub slots: Vec<SlotView>,
    pub queue: Vec<QueueView>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SlotStatus {
    Free,
    Held,
    /// Held, but the lease ran out: anyone may take it over.
    Expired,
}

impl SlotStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            SlotStatus::Free => "free",
            SlotStatus::Held => "held",
            SlotStatus::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SlotView {
    pub name: String,
    pub status: SlotStatus,
    pub kickoff: Option<String>,
    pub holder: Option<Person>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    /// How the lease began: claim, deploy, queue or takeover.
    pub via: Option<String>,
    pub took_over_from: Option<PriorLease>,
    pub last_deployment: Option<Deployment>,
    /// Whether the kickoff last deployed here has commits that are not deployed
    /// (`null` when nothing was deployed or the kickoff is unknown here).
    pub stale: Option<bool>,
    /// The current tip of the kickoff last deployed here.
    pub kickoff_tip: Option<String>,
    pub project: String,
    pub apps: Vec<Endpoint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueView {
    pub position: usize,
    pub kickoff: String,
    pub holder: Person,
    pub since: DateTime<Utc>,
    pub ttl: String,
    pub reason: Option<String>,
    pub slot: Option<String>,
}

/// Build the board. `tips` maps kickoff names to their current tip commit.
pub fn board(
    config: &SlotsConfig,
    state: &SlotState,
    commit: Option<String>,
    tips: &BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> Board {
    let slots = config
        .names
        .iter()
        .map(|name| {
            let lease = state.leases.get(name);
            let last = state.last_deployment(name).cloned();
            let kickoff_tip = last.as_ref().and_then(|d| tips.get(&d.kickoff)).cloned();
            let stale = last
                .as_ref()
                .and_then(|d| kickoff_tip.as_ref().map(|t| *t != d.commit));
            SlotView {
                name: name.clone(),
                status: match lease {
                    None => SlotStatus::Free,
                    Some(l) if l.until <= now => SlotStatus::Expired,
                    Some(_) => SlotStatus::Held,
                },
                kickoff: lease.map(|l| l.kickoff.clone()),
                holder: lease.map(|l| l.holder.clone()),
                since: lease.map(|l| l.since),
                until: lease.map(|l| l.until),
                reason: lease.and_then(|l| l.reason.clone()),
                via: lease.map(|l| l.via.clone()),
                took_over_from: lease.and_then(|l| l.took_over_from.clone()),
                last_deployment: last,
                stale,
                kickoff_tip,
                project: config.project(name),
                apps: config.endpoints(name),
            }
        })
        .collect();
    let queue = state
        .queue
        .iter()
        .enumerate()
        .map(|(i, q)| QueueView {
            position: i + 1,
            kickoff: q.kickoff.clone(),
            holder: q.holder.clone(),
            since: q.since,
            ttl: q.ttl.clone(),
            reason: q.reason.clone(),
            slot: q.slot.clone(),
        })
        .collect();
    Board {
        schema: SCHEMA,
        generated_at: now,
        state_commit: commit,
        slots,
        queue,
    }
}

/// A time as people read it on the board: `2024-05-10 12:00 UTC`.
pub fn human(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}
