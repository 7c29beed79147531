//! The environment file `kickoff deploy` writes for a slot: `<env_dir>/<slot>.env`.
//!
//! The file is read by very different parsers: `sh` sourcing it (`. ./dev1.env`,
//! as deploy scripts do), docker compose v1 (python-dotenv) and v2
//! (compose-go) with `--env-file`, and systemd's `EnvironmentFile=`. They agree
//! on exactly one form: `NAME='value'` on one line, where the value holds no
//! single quote, no backslash and no line break. Inside single quotes none of
//! them expands `$`, `#`, spaces or double quotes; outside of that form they
//! disagree (double quotes expand `$` in sh and compose but not in systemd;
//! python-dotenv decodes `\\` in single quotes; compose-go takes `\'` as an
//! escaped quote). So every value is written in that form, and a value that
//! cannot be is an error naming the variable, never a silent change.
//!
//! Names are `[A-Za-z_][A-Za-z0-9_]*`, the names every one of them accepts.

use crate::confined::{self, PathError};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum EnvFileError {
    #[error("{key:?} is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)")]
    BadName { key: String },
    #[error("the value of {key} cannot be written to an env file: it contains {what}")]
    BadValue { key: String, what: &'static str },
    #[error(transparent)]
    Path(#[from] PathError),
}

impl EnvFileError {
    pub fn exit_code(&self) -> i32 {
        match self {
            EnvFileError::Path(e) => e.exit_code(),
            _ => 2,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            EnvFileError::Path(e) => e.hint(),
            _ => Some(
                "values are written as NAME='value'; fix the setting in .kickoff.toml that makes this one (no quote, backslash or control character)"
                    .into(),
            ),
        }
    }
}

/// Whether `key` is a portable environment variable name.
pub fn valid_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// What makes `value` impossible to write in the one portable form, if anything.
pub fn value_problem(value: &str) -> Option<&'static str> {
    value.chars().find_map(|c| match c {
        '\0' => Some("a NUL character"),
        '\n' | '\r' => Some("a line break"),
        '\'' => Some("a single quote"),
        '\\' => Some("a backslash"),
        '\t' => None,
        c if c.is_control() => Some("a control character"),
        _ => None,
    })
}

/// Check one `NAME=value` pair.
pub fn check(key: &str, value: &str) -> Result<(), EnvFileError> {
    if !valid_name(key) {
        return Err(EnvFileError::BadName { key: key.into() });
    }
    match value_problem(value) {
        Some(what) => Err(EnvFileError::BadValue {
            key: key.into(),
            what,
        }),
        None => Ok(()),
    }
}

/// The file's text: a comment line, then `NAME='value'` per variable, in order.
pub fn render(comment: &str, vars: &[(String, String)]) -> Result<String, EnvFileError> {
    let comment: String = comment
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut text = format!("# {comment}\n");
    for (k, v) in vars {
        check(k, v)?;
        text.push_str(&format!("{k}='{v}'\n"));
    }
    Ok(text)
}

/// Where a slot's env file goes: `env_dir` below the work tree (`.git/...` in
/// the git directory), as checked by [`confined::resolve`].
pub fn location(
    workdir: &Path,
    git_dir: &Path,
    env_dir: &str,
    slot: &str,
) -> Result<PathBuf, EnvFileError> {
    let (base, rest) = confined::resolve(workdir, git_dir, env_dir)?;
    Ok(base.join(rest).join(file_name(slot)))
}

/// The name of a slot's env file in `env_dir`.
pub fn file_name(slot: &str) -> String {
    format!("{slot}.env")
}

/// Before anything changes: refuse a symbolic link (or a file in the way of a
/// directory) anywhere on the way to any slot's env file, so a deploy stops
/// before it claims a slot rather than after.
pub fn preflight(
    workdir: &Path,
    git_dir: &Path,
    env_dir: &str,
    slots: &[String],
) -> Result<(), EnvFileError> {
    let (base, rest) = confined::resolve(workdir, git_dir, env_dir)?;
    let dir = confined::check_existing_dir(&base, &rest)?;
    for slot in slots {
        confined::check_target(&dir.join(file_name(slot)))?;
        confined::check_target(&dir.join(super::compose::file_name(slot)))?;
    }
    Ok(())
}

/// Write the file for `slot` atomically, creating `env_dir` as needed and
/// following no symbolic link on the way. Returns the path written.
pub fn write(
    workdir: &Path,
    git_dir: &Path,
    env_dir: &str,
    slot: &str,
    text: &str,
) -> Result<PathBuf, EnvFileError> {
    write_beside(workdir, git_dir, env_dir, &file_name(slot), text)
}

/// Write another file of a slot (its compose override) into `env_dir`, the
/// same way as [`write`].
pub fn write_beside(
    workdir: &Path,
    git_dir: &Path,
    env_dir: &str,
    name: &str,
    text: &str,
) -> Result<PathBuf, EnvFileError> {
    let (base, rest) = confined::resolve(workdir, git_dir, env_dir)?;
    let dir = confined::ensure_dir(&base, &rest)?;
    Ok(confined::write_atomic(&dir, name, text.as_bytes())?)
}

/// What `env_dir/name` holds now (`None`: no such file), read the way
/// [`write_beside`] writes: no symbolic link on the way or at the file.
pub fn read_beside(
    workdir: &Path,
    git_dir: &Path,
    env_dir: &str,
    name: &str,
) -> Result<Option<String>, EnvFileError> {
    let (base, rest) = confined::resolve(workdir, git_dir, env_dir)?;
    let path = confined::check_existing_dir(&base, &rest)?.join(name);
    confined::check_target(&path)?;
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(confined::PathError::Io { path, source }.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn values_are_single_quoted() {
        let text = render(
            "written by kickoff deploy",
            &vars(&[
                ("A", "x y"),
                ("URL", "https://h/?x=1&y=$HOME#frag"),
                ("E", ""),
            ]),
        )
        .unwrap();
        assert_eq!(
            text,
            "# written by kickoff deploy\nA='x y'\nURL='https://h/?x=1&y=$HOME#frag'\nE=''\n"
        );
    }

    #[test]
    fn unrepresentable_values_name_the_key() {
        for (value, what) in [
            ("web_x\nLD_PRELOAD=/tmp/evil.so", "a line break"),
            ("a\rb", "a line break"),
            ("a\0b", "a NUL character"),
            ("it's", "a single quote"),
            ("a\\b", "a backslash"),
            ("\x1b[31m", "a control character"),
        ] {
            let e = render("c", &vars(&[("WEB_SERVICE", value)])).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "the value of WEB_SERVICE cannot be written to an env file: it contains {what}"
                )
            );
            assert_eq!(e.exit_code(), 2);
        }
    }

    #[test]
    fn names_are_checked() {
        for bad in ["", "1A", "A-B", "A B", "A\nB", "É"] {
            assert!(render("c", &vars(&[(bad, "v")])).is_err(), "{bad:?}");
        }
        assert!(valid_name("_A1"));
    }

    #[test]
    fn comment_cannot_add_lines() {
        let text = render("a\nB=1", &[]).unwrap();
        assert_eq!(text, "# a B=1\n");
    }
}
