//! Which kickoffs exist, which are live, and which one a command means.
//!
//! A kickoff exists when a local branch or a remote-tracking branch of the
//! configured remote carries a valid kickoff name. It is live until its tip is
//! contained in main (the remote's main when there is a remote). Branches that
//! look like kickoffs but carry an invalid name (a date that does not exist)
//! are ignored here; the pre-push hook refuses them.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::git::Repo;
use crate::git::git2::Oid;
use crate::naming::{FeatureName, KickoffName};

/// One kickoff branch, as seen locally and on the remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kickoff {
    pub name: KickoffName,
    pub local: Option<Oid>,
    pub remote: Option<Oid>,
}

impl Kickoff {
    /// The tip to reason about: the local branch when it exists, else the remote's.
    pub fn tip(&self) -> Oid {
        self.local
            .or(self.remote)
            .expect("a kickoff exists locally or remotely")
    }

    pub fn branch(&self) -> String {
        self.name.to_string()
    }
}

/// The main tip kickoffs are measured against: the remote's main when known,
/// else the local main. `None` when neither exists.
pub fn main_tip(repo: &Repo, config: &Config) -> Result<Option<Oid>> {
    if repo.has_remote(&config.remote) {
        if let Some(oid) = repo.remote_branch_oid(&config.remote, &config.main_branch)? {
            return Ok(Some(oid));
        }
    }
    Ok(repo.branch_oid(&config.main_branch)?)
}

/// The name of the ref [`main_tip`] reads, for messages: `origin/main` when
/// the remote's main is known, else `main`.
pub fn main_ref_name(repo: &Repo, config: &Config) -> Result<String> {
    if repo.has_remote(&config.remote)
        && repo
            .remote_branch_oid(&config.remote, &config.main_branch)?
            .is_some()
    {
        return Ok(format!("{}/{}", config.remote, config.main_branch));
    }
    Ok(config.main_branch.clone())
}

/// Like [`main_tip`], but a missing main is an error that says what to do.
pub fn require_main_tip(repo: &Repo, config: &Config) -> Result<Oid> {
    main_tip(repo, config)?.ok_or_else(|| {
        crate::git::GitError::NoBranch {
            name: config.main_branch.clone(),
            hint: Some(format!(
                "create `{}` first, or set `core.main_branch` in .kickoff.toml",
                config.main_branch
            )),
        }
        .into()
    })
}

/// Every kickoff, local or on the remote, sorted by name (date first).
pub fn all(repo: &Repo, config: &Config) -> Result<Vec<Kickoff>> {
    let mut by_name: std::collections::BTreeMap<KickoffName, Kickoff> = Default::default();
    for (branch, oid) in repo.local_branches(crate::naming::KICKOFF_PREFIX)? {
        if let Ok(name) = KickoffName::parse(&branch) {
            by_name.insert(
                name.clone(),
                Kickoff {
                    name,
                    local: Some(oid),
                    remote: None,
                },
            );
        }
    }
    if repo.has_remote(&config.remote) {
        for (branch, oid) in repo.remote_branches(&config.remote, crate::naming::KICKOFF_PREFIX)? {
            if let Ok(name) = KickoffName::parse(&branch) {
                by_name
                    .entry(name.clone())
                    .or_insert(Kickoff {
                        name,
                        local: None,
                        remote: None,
                    })
                    .remote = Some(oid);
            }
        }
    }
    Ok(by_name.into_values().collect())
}

/// Whether each kickoff is merged into main: its tip is contained in main, and
/// either is not one of main's own first-parent commits (it came in with a
/// merge) or a platform tag of the kickoff is in main (it landed by
/// fast-forward). A kickoff cut from main without commits yet is live.
pub fn merged_flags(repo: &Repo, main: Option<Oid>, kickoffs: &[Kickoff]) -> Result<Vec<bool>> {
    let Some(main) = main else {
        return Ok(vec![false; kickoffs.len()]);
    };
    let mut contained = Vec::with_capacity(kickoffs.len());
    for k in kickoffs {
        contained.push(repo.is_ancestor(k.tip(), main)?);
    }
    merged_given(repo, main, kickoffs, contained)
}

/// [`merged_flags`] when whether main contains each tip is already known
/// (`contained[i]`: main contains the tip of `kickoffs[i]`).
pub fn merged_given(
    repo: &Repo,
    main: Oid,
    kickoffs: &[Kickoff],
    contained: Vec<bool>,
) -> Result<Vec<bool>> {
    let candidates: Vec<Oid> = kickoffs
        .iter()
        .zip(&contained)
        .filter(|(_, c)| **c)
        .map(|(k, _)| k.tip())
        .collect();
    let on_main_line = repo.on_first_parent_line(main, &candidates)?;
    // A kickoff landed by fast-forward is on main's line too; its platform
    // tag (which names it) in main tells it from one without commits yet.
    let need_tags = kickoffs
        .iter()
        .zip(&contained)
        .any(|(k, c)| *c && on_main_line.contains(&k.tip()));
    let catalog = if need_tags {
        Some(crate::release::catalog::Catalog::local(repo)?)
    } else {
        None
    };
    let mut out = Vec::with_capacity(kickoffs.len());
    for (k, c) in kickoffs.iter().zip(contained) {
        let merged = c
            && (!on_main_line.contains(&k.tip())
                || released_into(repo, catalog.as_ref(), &k.name, main)?);
        out.push(merged);
    }
    Ok(out)
}

/// Whether a platform tag of `kickoff` marks a commit that `main` contains.
fn released_into(
    repo: &Repo,
    catalog: Option<&crate::release::catalog::Catalog>,
    kickoff: &KickoffName,
    main: Oid,
) -> Result<bool> {
    let Some(catalog) = catalog else {
        return Ok(false);
    };
    for tag in catalog.of_kickoff(kickoff) {
        if let Some(commit) = tag.commit {
            if repo.is_ancestor(commit, main)? {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Kickoffs that main does not contain yet (see [`merged_flags`]).
pub fn live(repo: &Repo, config: &Config) -> Result<Vec<Kickoff>> {
    let main = main_tip(repo, config)?;
    let all = all(repo, config)?;
    let merged = merged_flags(repo, main, &all)?;
    Ok(all
        .into_iter()
        .zip(merged)
        .filter(|(_, m)| !m)
        .map(|(k, _)| k)
        .collect())
}

/// The kickoff a branch belongs to: itself when it is a kickoff, its recorded
/// parent (`branch.<name>.kickoff`) when it is a feature branch.
pub fn kickoff_of_branch(
    repo: &Repo,
    config: &Config,
    branch: &str,
) -> Result<Option<KickoffName>> {
    if let Ok(name) = KickoffName::parse(branch) {
        return Ok(Some(name));
    }
    if FeatureName::parse(branch, &config.feature_prefix, &config.ticket_pattern).is_ok() {
        if let Some(parent) = repo.config_get(&format!("branch.{branch}.kickoff"))? {
            return Ok(KickoffName::parse(&parent).ok());
        }
    }
    Ok(None)
}

/// Resolve the kickoff a command means: the explicit name when given (which must
/// exist), else the current branch's kickoff, else a prompt on a terminal, else
/// an error listing the live kickoffs.
pub fn resolve(
    repo: &Repo,
    config: &Config,
    ui: &crate::output::Ui,
    explicit: Option<&str>,
    flag: &str,
) -> Result<Kickoff> {
    let known = all(repo, config)?;
    if let Some(given) = explicit {
        let name = KickoffName::parse(given)?;
        return known.into_iter().find(|k| k.name == name).ok_or_else(|| {
            Error::refused_hint(
                format!("no kickoff named {name}, locally or on {}", config.remote),
                "`kickoff list` shows the live kickoffs",
            )
        });
    }
    let current = repo.current_branch()?;
    if let Some(branch) = &current {
        if let Some(name) = kickoff_of_branch(repo, config, branch)? {
            if let Some(k) = known.iter().find(|k| k.name == name) {
                return Ok(k.clone());
            }
        }
    }
    let choices: Vec<String> = live(repo, config)?.iter().map(Kickoff::branch).collect();
    if choices.is_empty() {
        return Err(Error::refused_hint(
            "there is no live kickoff",
            "start one with `kickoff new <summary>`",
        ));
    }
    if current.is_none() && !ui.interactive() {
        return Err(Error::usage_hint(
            format!(
                "HEAD is detached, so no kickoff is implied; choose one of:\n  {}",
                choices.join("\n  ")
            ),
            format!("name the kickoff with {flag}, or check out a kickoff or feature branch"),
        ));
    }
    let picked = crate::prompt::select(ui, "kickoff", flag, &choices)?;
    Ok(known
        .into_iter()
        .find(|k| k.branch() == picked)
        .expect("picked from the known kickoffs"))
}
