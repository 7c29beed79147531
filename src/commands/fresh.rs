//! `--fetch` for the read commands, and the warning when what they read is old.
//!
//! Read commands (`list`, `status`, `versions`, `show`, `notes`, `which`)
//! answer from local refs: remote-tracking branches and tags as fresh as the
//! last fetch. `--fetch` brings the remote's main, kickoffs, feature branches
//! and platform tags first. Without it, a clone whose remote-tracking refs
//! were last updated more than a day ago gets a warning, so nobody reads a
//! teammate's release as missing.

use crate::commands::Global;
use crate::commands::Session;
use crate::error::{Error, Result};

/// After this long without a fetch, read commands warn.
pub const STALE_AFTER_SECS: i64 = 24 * 60 * 60;

/// The `--fetch` option every read command takes.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct FetchArgs {
    /// Fetch the remote's main, kickoffs, feature branches and platform tags first.
    #[arg(long)]
    pub fetch: bool,
}

/// Fetch what read commands read (with `fetch`), else warn when the
/// remote-tracking refs are older than a day. Without a remote: nothing.
pub fn refresh(s: &mut Session, g: &Global, fetch: bool) -> Result<()> {
    if !s.has_remote() {
        return Ok(());
    }
    if fetch {
        deepen(s, g, "")?;
    }
    let cfg = &s.config;
    if fetch {
        g.ui.info(format!("fetching from {}", cfg.remote));
        s.repo
            .fetch_for_reading(&cfg.remote, &cfg.main_branch, &cfg.feature_prefix)?;
        return Ok(());
    }
    // Never fetched main: nothing to be stale about.
    if s.repo
        .remote_branch_oid(&cfg.remote, &cfg.main_branch)?
        .is_none()
    {
        return Ok(());
    }
    let Some(updated) = s.repo.last_heard_from(&cfg.remote, &cfg.main_branch) else {
        return Ok(());
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    if let Some(warning) = staleness_warning(&cfg.remote, now - updated) {
        g.ui.warn(warning);
    }
    Ok(())
}

/// Refuse to answer from a shallow clone. Ahead/behind counts, whether a
/// kickoff landed, which versions a kickoff contains and the tickets of a
/// range all walk history; in a shallow clone (a CI checkout with
/// `--depth`) the walk stops at the cut and the figures come out wrong
/// without any error. `command` names the command for the message.
pub fn require_full_history(s: &Session, command: &str) -> Result<()> {
    if !s.repo.is_shallow() {
        return Ok(());
    }
    Err(Error::refused_hint(
        format!(
            "this clone is shallow: `kickoff {command}` needs the whole history, and would print wrong figures from a cut one"
        ),
        format!(
            "deepen it with `git fetch --unshallow {}` (read commands: or pass --fetch), then run the command again",
            s.config.remote
        ),
    ))
}

/// Deepen a shallow clone to its whole history (`git fetch --unshallow`):
/// what `--fetch` does in a shallow clone before the read commands answer,
/// and what `deploy` (whose record's tickets and version label walk history,
/// and which fetches anyway) does by itself. The session's repository is
/// opened again afterwards. Without the remote it refuses
/// like [`require_full_history`]; `command` names the command for that.
pub fn deepen(s: &mut Session, g: &Global, command: &str) -> Result<()> {
    if !s.repo.is_shallow() {
        return Ok(());
    }
    if !s.has_remote() {
        return require_full_history(s, command);
    }
    let remote = &s.config.remote;
    g.ui.info(format!(
        "this clone is shallow: fetching the whole history from {remote} (git fetch --unshallow)"
    ));
    s.repo.unshallow(remote).map_err(|e| {
        Error::failed(
            format!("could not deepen this shallow clone from {remote}"),
            Some(format!(
                "run `git fetch --unshallow {remote}` yourself, then the command again"
            )),
            e,
        )
    })?;
    // libgit2 keeps the commits it parsed with the cut (parentless) history:
    // open the repository again to read the whole one.
    let dir = s.repo.workdir().to_path_buf();
    s.repo = crate::git::Repo::discover(&dir)?;
    Ok(())
}

/// The warning for remote-tracking refs last updated `age` seconds ago.
pub fn staleness_warning(remote: &str, age: i64) -> Option<String> {
    if age <= STALE_AFTER_SECS {
        return None;
    }
    let days = age / STALE_AFTER_SECS;
    Some(format!(
        "what {remote} had was last fetched {days} day(s) ago; pass --fetch (or run `git fetch`) to see the team's latest branches and versions"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warns_after_a_day_and_counts_days() {
        assert_eq!(staleness_warning("origin", 60), None);
        assert_eq!(staleness_warning("origin", STALE_AFTER_SECS), None);
        let w = staleness_warning("origin", 3 * STALE_AFTER_SECS + 5).unwrap();
        assert!(
            w.starts_with("what origin had was last fetched 3 day(s) ago"),
            "{w}"
        );
        assert!(w.contains("--fetch"), "{w}");
    }
}
