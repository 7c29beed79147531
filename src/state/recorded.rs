//! A deploy that always leaves a record: the record is written to this
//! clone's journal ("deploying") before the command starts and completed
//! there when it ends (succeeded, failed, interrupted by a signal, timed out),
//! before anything talks to the remote. Publishing it is then an ordinary
//! state change; if that fails (remote, disk, lock), the journal keeps it and
//! the next kickoff command that reaches the remote publishes it.

use super::{Journal, crash_point};
use crate::error::{Error, Result};
use crate::slots::runner::{self, RunOutcome, SignalGuard};
use crate::slots::{DeployStatus, Deployment, Op};
use std::process::Command;
use std::time::Duration;

/// What [`run`] needs besides the command.
pub struct Recorded<'a> {
    pub journal: &'a Journal,
    /// The record as it starts: who, what, where; `started_at` is now.
    pub record: Deployment,
    /// The slot to give back unless it succeeds (one this deploy claimed).
    pub release: Option<String>,
    pub timeout: Option<Duration>,
}

/// Run the deploy command with its record journaled around it; returns the
/// record operation to publish (already in the journal). `Err` only when the
/// journal cannot be written before the start: then the command did not run.
pub fn run(r: Recorded, cmd: &mut Command) -> Result<Op> {
    let op_id = crate::slots::new_id();
    let guard = SignalGuard::install();
    r.journal
        .deploying(&op_id, &r.record, r.release.clone())
        .map_err(|e| {
            Error::io(
                format!(
                    "cannot write the deployment journal in {}; the deploy command was not run",
                    r.journal.dir().display()
                ),
                e,
            )
        })?;
    crash_point("deploy-started");
    let clock = std::time::Instant::now();
    let journal = r.journal;
    let started = |group| {
        let _ = journal.started(&op_id, group);
    };
    let outcome = runner::run(cmd, r.timeout, &guard, started).unwrap_or_else(|e| RunOutcome {
        status: DeployStatus::Failed,
        exit_code: None,
        signal: None,
        error: Some(format!("cannot run the deploy command: {e}")),
    });
    let duration_ms = clock.elapsed().as_millis() as u64;
    let mut d = r.record;
    d.finished_at = d.started_at + chrono::Duration::milliseconds(duration_ms as i64);
    d.duration_ms = duration_ms;
    d.status = outcome.status;
    d.exit_code = outcome.exit_code;
    d.signal = outcome.signal;
    d.error = outcome.error;
    let succeeded = d.status == DeployStatus::Succeeded;
    let op = Op::Record {
        id: op_id,
        deployment: d,
        release: if succeeded { None } else { r.release },
    };
    crash_point("deploy-ran");
    // Should this fail, the "deploying" entry stays and is published as
    // interrupted (outcome unknown) once this process is gone.
    let _ = r.journal.add(&op);
    crash_point("deploy-journaled");
    drop(guard);
    Ok(op)
}
