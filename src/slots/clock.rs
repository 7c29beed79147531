//! The time kickoff stamps on leases and records: the clock, or
//! `KICKOFF_NOW` for tests and replays. Below both the slot commands
//! (`commands::slot_service`) and the store (the `state` module), which read it.

use chrono::{DateTime, Utc};

/// Overrides the clock for lease times and records (RFC 3339 or `@<seconds>`);
/// meant for tests and for replaying a scenario.
pub const NOW_ENV: &str = "KICKOFF_NOW";

/// The current time, or `KICKOFF_NOW` when set.
pub fn now() -> DateTime<Utc> {
    std::env::var(NOW_ENV)
        .ok()
        .and_then(|v| crate::git::parse_git_date(&v))
        .and_then(|t| DateTime::from_timestamp(t.seconds(), 0))
        .unwrap_or_else(|| {
            DateTime::from_timestamp(Utc::now().timestamp(), 0).expect("a valid time")
        })
}
