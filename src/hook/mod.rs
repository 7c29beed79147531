//! The pre-push hook: git's protocol, the push policy, and installing the shim.
//!
//! `protocol` parses what git writes on the hook's stdin, `policy` decides
//! (pure functions over the parsed lines and a few facts read from the
//! repository), `install` plans where the shim goes. Reading the facts and
//! touching the disk is the job of `commands::hook` and `git::hook`.

pub mod install;
pub mod policy;
pub mod protocol;

pub use policy::{BranchPattern, ConflictMode, HookConfig};

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// The hook refused the push (exit 3).
    #[error("push refused by the kickoff pre-push hook: {count} problem(s)")]
    Refused { count: usize },
    /// stdin does not follow git's pre-push protocol (exit 2).
    #[error("stdin line {line} is not a pre-push line ({reason}): {text:?}")]
    Protocol {
        line: usize,
        text: String,
        reason: String,
    },
    /// Another pre-push hook and a chained one are both in the way (exit 1).
    #[error(
        "{} is not kickoff's and {} already exists",
        hook.display(),
        chained.display()
    )]
    Occupied { hook: PathBuf, chained: PathBuf },
}

impl HookError {
    pub fn exit_code(&self) -> i32 {
        match self {
            HookError::Refused { .. } => 3,
            HookError::Protocol { .. } => 2,
            HookError::Occupied { .. } => 1,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            HookError::Refused { .. } => Some(format!(
                "fix what is listed above; if you are sure, bypass the hook once with `{}`",
                policy::BYPASS
            )),
            HookError::Protocol { .. } => Some(
                "git runs this command with one `<local ref> <local oid> <remote ref> <remote oid>` line per ref on stdin"
                    .into(),
            ),
            HookError::Occupied { chained, .. } => Some(format!(
                "kickoff keeps an existing hook as {}; move that file away (or merge it into the hook) and install again",
                chained.display()
            )),
        }
    }
}
