//! Which copy of `.kickoff.toml` is in force: the team's, from main.
//!
//! The settings are the team's, not the branch's. A kickoff cut before the
//! slot pool was described has no `[slots]` in its work tree, yet its QA
//! slots are the team's slots; a feature branch with an old hook policy must
//! not push under it. So the file is read from the tree of the remote's main
//! (`origin/main`), falling back to the local main, then to the work tree:
//! the first of them that has the file wins. Without any copy every default
//! applies.
//!
//! The work tree's copy only locates main: its `core.remote` and
//! `core.main_branch` (or the defaults) say which branch is main. When the
//! team's copy names another main, it is looked up once more there.
//!
//! On main itself the work tree *is* main's copy, edits included: with main
//! checked out, the work tree's file is in force (and the remote's copy is
//! named when it differs, say before a `git pull`).
//!
//! Editing the settings stays a work-tree affair (`kickoff init`, an editor):
//! a changed copy takes effect once it is on main. Until then every command
//! says which copy it reads ([`Loaded::note`]), so nobody wonders why an
//! edit does nothing.

use crate::config::{Config, ConfigError, FILE_NAME};
use crate::error::Result;
use crate::git::Repo;
use std::path::{Path, PathBuf};

/// Where the settings in force come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The tree of the remote's main (`origin/main`).
    RemoteMain(String),
    /// The tree of the local main (no remote copy).
    LocalMain(String),
    /// The work tree's file (no copy on main).
    WorkTree,
    /// No file anywhere: the built-in defaults.
    Defaults,
}

impl Source {
    /// How the source is named in messages (`origin/main`, `main`).
    pub fn describe(&self) -> String {
        match self {
            Source::RemoteMain(b) | Source::LocalMain(b) => b.clone(),
            Source::WorkTree => "the work tree".into(),
            Source::Defaults => "the defaults".into(),
        }
    }
}

/// The settings in force and where they were read from.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub source: Source,
    /// What commands print (stderr, not under `-q`) when the copy in force
    /// and the work tree's differ; `None` when they agree.
    pub note: Option<String>,
}

/// One candidate copy: where it is and its text.
struct Copy {
    source: Source,
    path: PathBuf,
    text: String,
}

/// Read the team's settings for the repository (see the module doc).
pub fn load(repo: &Repo) -> Result<Loaded> {
    let work_path = repo.workdir().join(FILE_NAME);
    let work_text = match std::fs::read_to_string(&work_path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(ConfigError::Read {
                path: work_path,
                source,
            }
            .into());
        }
    };
    // The work tree's copy (or the defaults) says where main is; a copy that
    // does not parse locates main with the defaults.
    let locator = work_text
        .as_deref()
        .and_then(|t| Config::parse(t, &work_path).ok())
        .unwrap_or_default();
    let on_main_branch = repo.current_branch()?.as_deref() == Some(&locator.main_branch);
    let found = on_main(repo, &locator.remote, &locator.main_branch)?;
    let Some(work) = &work_text else {
        // No copy in the work tree: main's, else the defaults.
        return match found {
            Some(copy) => team(repo, copy, &locator, Some(missing_note)),
            None => Ok(Loaded {
                config: Config::default(),
                source: Source::Defaults,
                note: None,
            }),
        };
    };
    if on_main_branch || found.is_none() {
        // On main the work tree is main's copy; off main without a copy on
        // main, it is the only one.
        let note = found
            .filter(|copy| &copy.text != work && on_main_branch)
            .map(|copy| {
                format!(
                    "settings: {FILE_NAME} from this work tree on {} ({}'s copy differs)",
                    locator.main_branch,
                    copy.source.describe()
                )
            });
        return Ok(Loaded {
            config: Config::parse(work, &work_path)?,
            source: Source::WorkTree,
            note,
        });
    }
    let copy = found.expect("checked above");
    if &copy.text == work {
        return team(repo, copy, &locator, None);
    }
    team(repo, copy, &locator, Some(differs_note))
}

fn missing_note(from: &str) -> String {
    format!("settings: {FILE_NAME} from {from} (this work tree has none)")
}

fn differs_note(from: &str) -> String {
    format!(
        "settings: {FILE_NAME} from {from} (the work tree's copy differs; it takes effect once it is on {from})"
    )
}

/// The team's copy found on main, parsed; when it names another main than
/// the one it was found on, that main's copy instead.
fn team(
    repo: &Repo,
    mut copy: Copy,
    locator: &Config,
    note: Option<fn(&str) -> String>,
) -> Result<Loaded> {
    let mut config = Config::parse(&copy.text, &copy.path)?;
    if (config.remote.as_str(), config.main_branch.as_str())
        != (locator.remote.as_str(), locator.main_branch.as_str())
        && let Some(other) = on_main(repo, &config.remote, &config.main_branch)?
    {
        config = Config::parse(&other.text, &other.path)?;
        copy = other;
    }
    Ok(Loaded {
        config,
        note: note.map(|n| n(&copy.source.describe())),
        source: copy.source,
    })
}

/// The copy on the remote's main, else on the local main.
fn on_main(repo: &Repo, remote: &str, main: &str) -> Result<Option<Copy>> {
    let candidates = [
        (
            format!("refs/remotes/{remote}/{main}"),
            Source::RemoteMain(format!("{remote}/{main}")),
        ),
        (
            format!("refs/heads/{main}"),
            Source::LocalMain(main.to_string()),
        ),
    ];
    for (full, source) in candidates {
        if let Some(text) = repo.file_at_ref(&full, FILE_NAME)? {
            let path = Path::new(&format!("{}:{FILE_NAME}", source.describe())).to_path_buf();
            return Ok(Some(Copy { source, path, text }));
        }
    }
    Ok(None)
}
