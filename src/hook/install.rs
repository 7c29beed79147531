//! Installing the shim where git looks for hooks, beside any hook already there.
//!
//! The plan is decided from what is on disk (pure functions here), then carried
//! out by the command. An existing pre-push hook that is not ours is moved to
//! `pre-push.kickoff-chained` (a rename: bytes, mode and symlinks survive) and
//! our shim runs it after kickoff approves; uninstalling renames it back, so
//! the directory ends exactly as it was before.

use super::HookError;
use std::path::{Path, PathBuf};

/// The shim, as committed at `hooks/pre-push`.
pub const SHIM: &str = include_str!("../../hooks/pre-push");
/// The line that marks a pre-push hook as ours.
pub const MARKER: &str = "# kickoff-hook: pre-push";
/// Where an earlier hook is kept while ours is installed.
pub const CHAINED_SUFFIX: &str = ".kickoff-chained";
const BIN_LINE: &str = "kickoff_bin=''";

/// The shim with the kickoff program's absolute path recorded.
pub fn render(bin: &Path) -> String {
    let quoted = shell_quote(&bin.to_string_lossy());
    SHIM.replacen(BIN_LINE, &format!("kickoff_bin={quoted}"), 1)
}

/// Single-quote a string for `sh`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Whether a hook file is our shim (any version, any recorded path).
pub fn is_ours(content: &[u8]) -> bool {
    String::from_utf8_lossy(content)
        .lines()
        .take(3)
        .any(|l| l.trim_end() == MARKER)
}

/// The kickoff path recorded in an installed shim, if any.
pub fn recorded_bin(content: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(content);
    let line = text.lines().find(|l| l.starts_with("kickoff_bin="))?;
    let value = line.strip_prefix("kickoff_bin=")?;
    let inner = value.strip_prefix('\'')?.strip_suffix('\'')?;
    let path = inner.replace(r"'\''", "'");
    (!path.is_empty()).then_some(path)
}

/// The path of the chained hook for a hook path.
pub fn chained_path(hook: &Path) -> PathBuf {
    let mut s = hook.as_os_str().to_os_string();
    s.push(CHAINED_SUFFIX);
    PathBuf::from(s)
}

/// What is at the hook's place now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnDisk {
    /// The pre-push hook's bytes (`None`: no file).
    pub hook: Option<Vec<u8>>,
    /// Whether the hook file is executable (git skips it otherwise).
    pub executable: bool,
    pub chained_exists: bool,
}

/// One change to the hooks directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Create the hooks directory.
    CreateDir(PathBuf),
    /// Rename a file (an existing hook moved aside, or put back).
    Rename { from: PathBuf, to: PathBuf },
    /// Write an executable file.
    Write { path: PathBuf, content: String },
    /// Delete a file.
    Remove(PathBuf),
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::CreateDir(p) => write!(f, "create the directory {}", p.display()),
            Step::Rename { from, to } => {
                write!(f, "rename {} to {}", from.display(), to.display())
            }
            Step::Write { path, .. } => write!(f, "write the kickoff shim to {}", path.display()),
            Step::Remove(p) => write!(f, "remove {}", p.display()),
        }
    }
}

/// Plan `kickoff hook install`. An empty plan means: already installed and current.
pub fn plan_install(
    hooks_dir: &Path,
    dir_exists: bool,
    disk: &OnDisk,
    shim: &str,
) -> Result<Vec<Step>, HookError> {
    let hook = hooks_dir.join("pre-push");
    let chained = chained_path(&hook);
    let mut steps = Vec::new();
    if !dir_exists {
        steps.push(Step::CreateDir(hooks_dir.to_path_buf()));
    }
    let write = Step::Write {
        path: hook.clone(),
        content: shim.to_string(),
    };
    match &disk.hook {
        None => steps.push(write),
        Some(bytes) if is_ours(bytes) => {
            if bytes.as_slice() != shim.as_bytes() || !disk.executable {
                steps.push(write);
            }
        }
        Some(_) if disk.chained_exists => {
            return Err(HookError::Occupied { hook, chained });
        }
        Some(_) => {
            steps.push(Step::Rename {
                from: hook.clone(),
                to: chained,
            });
            steps.push(write);
        }
    }
    Ok(steps)
}

/// Plan `kickoff hook uninstall`. An empty plan means: not installed.
pub fn plan_uninstall(hooks_dir: &Path, disk: &OnDisk) -> Vec<Step> {
    let hook = hooks_dir.join("pre-push");
    match &disk.hook {
        Some(bytes) if is_ours(bytes) => {
            if disk.chained_exists {
                vec![Step::Rename {
                    from: chained_path(&hook),
                    to: hook,
                }]
            } else {
                vec![Step::Remove(hook)]
            }
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk(hook: Option<&str>, chained_exists: bool) -> OnDisk {
        OnDisk {
            executable: hook.is_some(),
            hook: hook.map(|h| h.as_bytes().to_vec()),
            chained_exists,
        }
    }

    #[test]
    fn render_records_the_binary() {
        let shim = render(Path::new("/opt/it's here/kickoff"));
        assert!(is_ours(shim.as_bytes()));
        assert_eq!(
            recorded_bin(shim.as_bytes()).as_deref(),
            Some("/opt/it's here/kickoff")
        );
        assert_eq!(recorded_bin(SHIM.as_bytes()), None);
        assert!(SHIM.contains(BIN_LINE));
    }

    #[test]
    fn install_plans() {
        let dir = Path::new("/r/.git/hooks");
        let shim = render(Path::new("/bin/kickoff"));
        let plan = plan_install(dir, false, &disk(None, false), &shim).unwrap();
        assert!(matches!(plan[0], Step::CreateDir(_)));
        assert!(matches!(plan[1], Step::Write { .. }));
        assert!(
            plan_install(dir, true, &disk(Some(&shim), false), &shim)
                .unwrap()
                .is_empty()
        );
        let mut not_exec = disk(Some(&shim), false);
        not_exec.executable = false;
        assert_eq!(plan_install(dir, true, &not_exec, &shim).unwrap().len(), 1);
        let older = render(Path::new("/old/kickoff"));
        let plan = plan_install(dir, true, &disk(Some(&older), true), &shim).unwrap();
        assert_eq!(plan.len(), 1, "an update keeps the chained hook");
        let plan =
            plan_install(dir, true, &disk(Some("#!/bin/sh\necho hi\n"), false), &shim).unwrap();
        assert_eq!(
            plan[0],
            Step::Rename {
                from: dir.join("pre-push"),
                to: dir.join("pre-push.kickoff-chained")
            }
        );
        assert!(plan_install(dir, true, &disk(Some("#!/bin/sh\n"), true), &shim).is_err());
    }

    #[test]
    fn uninstall_plans() {
        let dir = Path::new("/r/.git/hooks");
        let shim = render(Path::new("/bin/kickoff"));
        assert_eq!(
            plan_uninstall(dir, &disk(Some(&shim), false)),
            [Step::Remove(dir.join("pre-push"))]
        );
        assert!(matches!(
            plan_uninstall(dir, &disk(Some(&shim), true))[0],
            Step::Rename { .. }
        ));
        assert!(plan_uninstall(dir, &disk(Some("#!/bin/sh\n"), false)).is_empty());
        assert!(plan_uninstall(dir, &disk(None, true)).is_empty());
    }
}
