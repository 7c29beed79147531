//! What the slot commands share: the state store of a session, the pool
//! checks, the kickoff tips a board compares against, and the verb other
//! commands call (`kickoff land` releases the landed kickoff's slot through
//! [`release_for_kickoff`]). These read the settings (`Config`) and the
//! kickoffs, so they sit with the commands, above the `slots` domain.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::git::Repo;
use crate::output::Ui;
use crate::sanitize::Esc;
use crate::slots::board::{Board, board};
use crate::slots::{Op, Outcome, Person, SlotError};
use crate::state::{Loaded, Store};
use std::collections::BTreeMap;

pub use crate::slots::clock::now;

/// The state store of a repository: shared through the configured remote
/// when the repository has it, local otherwise.
pub fn store<'a>(repo: &'a Repo, config: &Config, ui: &'a Ui) -> Store<'a> {
    let remote = repo
        .has_remote(&config.remote)
        .then(|| config.remote.clone());
    Store::new(repo, remote, config.slots.names.clone(), ui)
}

/// Fail with a hint when no pool is configured.
pub fn require_pool(config: &Config) -> Result<()> {
    if config.slots.is_configured() {
        Ok(())
    } else {
        Err(SlotError::NotConfigured.into())
    }
}

/// A slot name given on the command line, checked against the pool.
pub fn check_slot(config: &Config, slot: &str) -> Result<()> {
    if config.slots.index_of(slot).is_some() {
        Ok(())
    } else {
        Err(SlotError::UnknownSlot {
            slot: slot.to_string(),
            known: config.slots.names.clone(),
        }
        .into())
    }
}

/// Every kickoff's tip as the team sees it (the remote's when pushed).
pub fn kickoff_tips(repo: &Repo, config: &Config) -> Result<BTreeMap<String, String>> {
    Ok(crate::kickoffs::all(repo, config)?
        .into_iter()
        .map(|k| {
            (
                k.branch(),
                k.remote.or(k.local).expect("exists").to_string(),
            )
        })
        .collect())
}

/// Fetch main and the kickoff branches (for tips) unless offline or remote-less.
pub fn fetch_branches(repo: &Repo, config: &Config, offline: bool) -> Result<()> {
    if !offline && repo.has_remote(&config.remote) {
        repo.fetch_branches(&config.remote, &config.main_branch)
            .map_err(|e| crate::error::Error::Refused {
                message: format!("cannot fetch from {}: {e}", config.remote),
                hint: Some(
                    "check the network and the remote; reading commands take --offline".into(),
                ),
            })?;
    }
    Ok(())
}

/// Read the state (fetching first unless `offline`) and build the board.
pub fn read_board(repo: &Repo, config: &Config, ui: &Ui, offline: bool) -> Result<(Board, Loaded)> {
    fetch_branches(repo, config, offline)?;
    let loaded = store(repo, config, ui).read(offline)?;
    for (slot, lease) in &loaded.state.leases {
        if config.slots.index_of(slot).is_none() {
            // Both names come from the shared state: escaped, so a line break
            // in a crafted one cannot forge lines of this warning.
            let slot = Esc(slot);
            ui.warn(format!(
                "{slot} is held by {} but is not in `slots.names`; add it back to see it, or release it with `kickoff slot release {slot} --force` once it is",
                Esc(&lease.kickoff)
            ));
        }
    }
    let tips = kickoff_tips(repo, config)?;
    let b = board(
        &config.slots,
        &loaded.state,
        loaded.commit.map(|c| c.to_string()),
        &tips,
        now(),
    );
    Ok((b, loaded))
}

/// Release whatever slot `kickoff` holds and take it out of the queue; for
/// `kickoff land`. Returns the slot it held. Does nothing (and does not touch
/// the state) when no pool is configured or the kickoff holds nothing.
pub fn release_for_kickoff(
    repo: &Repo,
    config: &Config,
    ui: &Ui,
    kickoff: &str,
) -> Result<Option<String>> {
    if !config.slots.is_configured() {
        return Ok(None);
    }
    let store = store(repo, config, ui);
    let current = store.read(false)?;
    let holds = current.state.slot_of(kickoff).is_some()
        || current.state.queue.iter().any(|q| q.kickoff == kickoff);
    if !holds {
        return Ok(None);
    }
    let op = Op::Release {
        id: crate::slots::new_id(),
        slot: None,
        kickoff: Some(kickoff.to_string()),
        by: person(repo)?,
        at: now(),
        force: true,
    };
    let (applied, _) = store.apply(&op)?;
    for n in &applied.notes {
        ui.info(n);
    }
    match applied.outcome {
        Outcome::Released { slot, .. } => Ok(slot),
        _ => Ok(None),
    }
}

/// Who is acting: git's committer identity.
///
/// The identity goes into the shared state, whose readers skip a lease with
/// control characters in a name: a claim recorded under such a name would look
/// free to everyone else. So it is refused here, before anything is written.
pub fn person(repo: &Repo) -> Result<Person> {
    let sig = repo.signature()?;
    let p = Person {
        name: sig.name().unwrap_or("unknown").to_string(),
        email: sig.email().unwrap_or("unknown").to_string(),
    };
    if format!("{}{}", p.name, p.email)
        .chars()
        .any(char::is_control)
    {
        return Err(Error::usage_hint(
            format!(
                "your git identity \"{} <{}>\" holds control characters",
                Esc(&p.name),
                Esc(&p.email)
            ),
            "set a plain one: git config user.name \"Your Name\" (and user.email)",
        ));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slots::Person;
    use std::path::Path;

    const POOL: &str = "[slots]\nnames = [\"dev1\", \"dev2\"]\n\n[[slots.apps]]\nname = \"web\"\nport = 80\nbase_port = 8001\n";

    #[test]
    fn release_for_kickoff_frees_its_slot_and_queue_place() {
        let dir = tempfile::tempdir().unwrap();
        crate::git::git2::Repository::init(dir.path()).unwrap();
        let repo = Repo::discover(dir.path()).unwrap();
        let config = Config::parse(POOL, Path::new(".kickoff.toml")).unwrap();
        let ui = Ui::new(true);
        // Nothing held: nothing changes, not even an empty state commit.
        assert_eq!(
            release_for_kickoff(&repo, &config, &ui, "kickoff-240510-a").unwrap(),
            None
        );
        assert_eq!(repo.ref_target(crate::state::STATE_REF).unwrap(), None);
        let who = Person {
            name: "Ann".into(),
            email: "ann@example.com".into(),
        };
        let claim = |k: &str| Op::Claim {
            id: crate::slots::new_id(),
            kickoff: k.into(),
            by: who.clone(),
            at: now(),
            ttl: "1d".into(),
            slot: None,
            reason: None,
            queue: true,
            via: "claim".into(),
        };
        let s = store(&repo, &config, &ui);
        for k in ["kickoff-240510-a", "kickoff-240510-b", "kickoff-240510-c"] {
            s.apply(&claim(k)).unwrap();
        }
        assert_eq!(
            release_for_kickoff(&repo, &config, &ui, "kickoff-240510-a")
                .unwrap()
                .as_deref(),
            Some("dev1")
        );
        let state = s.read(true).unwrap().state;
        assert_eq!(
            state.leases["dev1"].kickoff, "kickoff-240510-c",
            "the queue got it"
        );
        s.apply(&claim("kickoff-240510-d")).unwrap();
        assert_eq!(
            release_for_kickoff(&repo, &config, &ui, "kickoff-240510-d").unwrap(),
            None
        );
        assert!(
            s.read(true).unwrap().state.queue.is_empty(),
            "left the queue"
        );
    }
}
