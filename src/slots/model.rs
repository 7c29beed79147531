//! The slot state and how it is laid out as plain text files in the tree of
//! each state commit:
//!
//! ```text
//! slots/<slot>.toml                              the lease of a held slot (absent: free)
//! queue.toml                                     the first-come queue, in order
//! deployments/<YYYYMMDDTHHMMSSZ>-<slot>-<id>.json  one deployment record per file
//! ```
//!
//! Reading is defensive (see `super::validate`, which also has
//! `SlotState::from_files`): paths kickoff does not write are dropped, files
//! with bad content are skipped and kept until an administrator removes them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A person, as git knows them (name and email).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
    pub email: String,
}

impl fmt::Display for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} <{}>", self.name, self.email)
    }
}

/// Who held a slot before an expired lease was taken over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorLease {
    pub kickoff: String,
    pub holder: Person,
    pub until: DateTime<Utc>,
}

impl PriorLease {
    pub fn of(l: &Lease) -> PriorLease {
        PriorLease {
            kickoff: l.kickoff.clone(),
            holder: l.holder.clone(),
            until: l.until,
        }
    }
}

/// A held slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub kickoff: String,
    pub holder: Person,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// How the lease began: `claim`, `deploy`, `queue` or `takeover`.
    pub via: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub took_over_from: Option<PriorLease>,
}

/// A kickoff waiting for a slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEntry {
    pub kickoff: String,
    pub holder: Person,
    pub since: DateTime<Utc>,
    /// The lease time it gets when promoted.
    pub ttl: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Waiting for this slot only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeployStatus {
    Succeeded,
    Failed,
    /// Stopped by a signal (Ctrl-C, `kill`), or kickoff itself stopped while
    /// the command ran.
    Interrupted,
    /// Stopped by kickoff after `--timeout` / `slots.deploy_timeout`.
    TimedOut,
}

impl DeployStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            DeployStatus::Succeeded => "succeeded",
            DeployStatus::Failed => "failed",
            DeployStatus::Interrupted => "interrupted",
            DeployStatus::TimedOut => "timed-out",
        }
    }
}

/// One deployment: what went where, by whom, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    pub id: String,
    pub slot: String,
    pub kickoff: String,
    pub commit: String,
    #[serde(default)]
    pub platform_version: Option<String>,
    #[serde(default)]
    pub tickets: Vec<String>,
    pub who: Person,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub status: DeployStatus,
    /// The deploy command's exit code (`None`: it did not start or was killed).
    #[serde(default)]
    pub exit_code: Option<i32>,
    /// The signal that stopped the deploy command, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub image_tag: String,
    pub project: String,
    /// The GitHub deployment that mirrors this one (`deployments = true`);
    /// `None` when GitHub was not told (yet: `kickoff github sync`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_deployment: Option<u64>,
}

impl Deployment {
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}-{}.json",
            self.started_at.format("%Y%m%dT%H%M%SZ"),
            self.slot,
            self.id
        )
    }
}

/// Everything in the shared state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlotState {
    pub leases: BTreeMap<String, Lease>,
    pub queue: Vec<QueueEntry>,
    /// By file name, so in time order.
    pub deployments: BTreeMap<String, Deployment>,
    /// Files at good paths whose content could not be used: kept in the
    /// tree as they are until removed (`kickoff slot admin remove`).
    pub unreadable: std::collections::BTreeSet<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct QueueFile {
    #[serde(default)]
    pub(super) entry: Vec<QueueEntry>,
}

pub const SLOTS_DIR: &str = "slots/";
pub const QUEUE_FILE: &str = "queue.toml";
pub const DEPLOYMENTS_DIR: &str = "deployments/";

impl SlotState {
    /// The slot a kickoff holds.
    pub fn slot_of(&self, kickoff: &str) -> Option<(&str, &Lease)> {
        self.leases
            .iter()
            .find(|(_, l)| l.kickoff == kickoff)
            .map(|(s, l)| (s.as_str(), l))
    }

    /// The latest deployment to a slot.
    pub fn last_deployment(&self, slot: &str) -> Option<&Deployment> {
        self.deployments.values().rev().find(|d| d.slot == slot)
    }

    /// The files that hold this state.
    pub fn to_files(&self) -> BTreeMap<String, Vec<u8>> {
        let mut files = BTreeMap::new();
        for (slot, lease) in &self.leases {
            files.insert(
                format!("{SLOTS_DIR}{slot}.toml"),
                toml::to_string(lease)
                    .expect("lease serializes")
                    .into_bytes(),
            );
        }
        if !self.queue.is_empty() {
            let q = QueueFile {
                entry: self.queue.clone(),
            };
            files.insert(
                QUEUE_FILE.into(),
                toml::to_string(&q).expect("queue serializes").into_bytes(),
            );
        }
        for (file, d) in &self.deployments {
            let mut text = serde_json::to_string_pretty(d).expect("record serializes");
            text.push('\n');
            files.insert(format!("{DEPLOYMENTS_DIR}{file}"), text.into_bytes());
        }
        files
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_round_trip() {
        let at = DateTime::from_timestamp(1_715_342_400, 0).unwrap();
        let who = Person {
            name: "Ann".into(),
            email: "ann@example.com".into(),
        };
        let mut s = SlotState::default();
        s.leases.insert(
            "dev1".into(),
            Lease {
                kickoff: "kickoff-240510-a".into(),
                holder: who.clone(),
                since: at,
                until: at,
                reason: Some("QA".into()),
                via: "claim".into(),
                took_over_from: None,
            },
        );
        s.queue.push(QueueEntry {
            kickoff: "kickoff-240510-b".into(),
            holder: who.clone(),
            since: at,
            ttl: "3d".into(),
            reason: None,
            slot: None,
        });
        let d = Deployment {
            id: "abc".into(),
            slot: "dev1".into(),
            kickoff: "kickoff-240510-a".into(),
            commit: "0".repeat(40),
            platform_version: Some("1.2.3".into()),
            tickets: vec!["DASH-1".into()],
            who,
            started_at: at,
            finished_at: at,
            duration_ms: 5,
            status: DeployStatus::Failed,
            exit_code: Some(3),
            signal: None,
            error: None,
            image_tag: "x".into(),
            project: "dev1".into(),
            github_deployment: None,
        };
        s.deployments.insert(d.file_name(), d);
        let files = s.to_files();
        assert!(files.contains_key("deployments/20240510T120000Z-dev1-abc.json"));
        assert_eq!(SlotState::from_files(files), s);
    }
}
