//! The settings file's name and the error every part of it raises.
//!
//! A leaf: each section is validated by the module that owns its settings
//! (`hook`, `slots::config`, `github::config`) and `config` assembles them,
//! so the error they share and the line lookups they report with live here,
//! below all of them. Nothing here imports another module of the crate.

use std::path::PathBuf;

pub const FILE_NAME: &str = ".kickoff.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}:{line}: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}:{line}: invalid value for `{key}`: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        key: String,
        message: String,
    },
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ConfigError {
    pub fn hint(&self) -> Option<String> {
        match self {
            ConfigError::Parse { .. } | ConfigError::Invalid { .. } => Some(
                "fix the file, or compare it with the reference in docs/config.md (`kickoff init --print` shows every key)"
                    .into(),
            ),
            ConfigError::Read { .. } => None,
        }
    }
}

/// The line (from 1) of a byte offset in the text.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line where `key` is set inside `[section]`, for error messages.
pub fn key_line(text: &str, section: &str, key: &str) -> usize {
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(s) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            current = s.trim().to_string();
        } else if current == section && t.split('=').next().map(str::trim) == Some(key) {
            return i + 1;
        }
    }
    1
}
