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

/// How the work tree's copy compares with the one in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkTreeCopy {
    /// The same text, or the work tree's copy is the one in force.
    Same,
    /// The work tree has a copy with other text.
    Differs,
    /// The work tree has no copy (a branch cut before the file existed).
    Missing,
}

/// The settings in force and where they were read from.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub source: Source,
    pub work_tree: WorkTreeCopy,
}

impl Loaded {
    /// The line commands print (stderr, not under `-q`) when the settings
    /// in force are not the work tree's copy; `None` when they are the same.
    pub fn note(&self) -> Option<String> {
        let from = self.source.describe();
        match self.work_tree {
            WorkTreeCopy::Same => None,
            WorkTreeCopy::Differs => Some(format!(
                "settings: {FILE_NAME} from {from} (the work tree's copy differs; it takes effect once it is on {from})"
            )),
            WorkTreeCopy::Missing => Some(format!(
                "settings: {FILE_NAME} from {from} (this work tree has none)"
            )),
        }
    }
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
    let mut found = on_main(repo, &locator.remote, &locator.main_branch)?;
    let mut config = match &found {
        Some(copy) => Config::parse(&copy.text, &copy.path)?,
        None => {
            return Ok(match work_text {
                Some(text) => Loaded {
                    config: Config::parse(&text, &work_path)?,
                    source: Source::WorkTree,
                    work_tree: WorkTreeCopy::Same,
                },
                None => Loaded {
                    config: Config::default(),
                    source: Source::Defaults,
                    work_tree: WorkTreeCopy::Same,
                },
            });
        }
    };
    // The team's copy names another main: read that main's copy instead.
    if (config.remote.as_str(), config.main_branch.as_str())
        != (locator.remote.as_str(), locator.main_branch.as_str())
        && let Some(copy) = on_main(repo, &config.remote, &config.main_branch)?
    {
        config = Config::parse(&copy.text, &copy.path)?;
        found = Some(copy);
    }
    let copy = found.expect("a copy was found on main");
    let work_tree = match work_text {
        None => WorkTreeCopy::Missing,
        Some(t) if t == copy.text => WorkTreeCopy::Same,
        Some(_) => WorkTreeCopy::Differs,
    };
    Ok(Loaded {
        config,
        source: copy.source,
        work_tree,
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
