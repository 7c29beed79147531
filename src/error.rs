//! The error type every command returns, and how it maps to exit codes.
//!
//! Domain modules raise their own typed errors (`NameError`, `ConfigError`,
//! `GitError`, ...); this enum wraps them so the CLI can print the cause chain,
//! a `hint:` line and pick the documented exit code:
//! 0 success, 1 refused or failed, 2 bad usage or input, 3 a check found problems.

use crate::config_error::ConfigError;
use crate::git::GitError;
use crate::github::GitHubError;
use crate::hook::HookError;
use crate::naming::NameError;
use crate::release::ReleaseError;
use crate::slots::SlotError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid name, date, ticket or version given by the user (exit 2).
    #[error(transparent)]
    Name(#[from] NameError),
    /// `.kickoff.toml` is malformed or holds an invalid value (exit 2).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A git operation failed, or the repository is in a state we cannot use (exit 1).
    #[error(transparent)]
    Git(#[from] GitError),
    /// An invalid platform version (exit 2) or a release rule refused (exit 1).
    #[error(transparent)]
    Release(#[from] ReleaseError),
    /// The pre-push hook refused a push (3), got bad input (2), or cannot install (1).
    #[error(transparent)]
    Hook(#[from] HookError),
    /// A QA slot operation was refused or failed (exit 1; bad input exit 2).
    #[error(transparent)]
    Slot(#[from] SlotError),
    /// GitHub refused or could not be reached (exit 1): only for commands
    /// whose job is GitHub; others turn it into a warning.
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    /// Bad usage: a missing or contradictory argument (exit 2).
    #[error("{message}")]
    Usage {
        message: String,
        hint: Option<String>,
    },
    /// The repository state refuses the operation (exit 1).
    #[error("{message}")]
    Refused {
        message: String,
        hint: Option<String>,
    },
    /// A check found problems: conflicts, a refused push (exit 3).
    #[error("{message}")]
    CheckFailed { message: String },
    /// A step of a plan failed: the message says what was being done and what
    /// was undone; the step's own error is the cause.
    #[error("{message}")]
    Failed {
        message: String,
        hint: Option<String>,
        #[source]
        source: Box<Error>,
    },
    /// Bad input or a refusal caused by another library's error (a prompt
    /// that failed, a record that does not parse, an address in use): the
    /// message says what kickoff was doing, the library's error is the cause.
    #[error("{message}")]
    Caused {
        message: String,
        hint: Option<String>,
        /// The exit code: 2 for bad input, 1 for a refusal or a failure.
        code: i32,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A plan stopped on purpose and left its state for the user (a merge
    /// conflict to resolve, then `--continue` or `--abort`).
    #[error("{message}")]
    Stopped {
        message: String,
        hint: Option<String>,
    },
    /// Reading or writing a file failed.
    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// stdout was closed by the reader (`kickoff list | head`): exit quietly.
    #[error("broken pipe")]
    BrokenPipe,
}

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage {
            message: message.into(),
            hint: None,
        }
    }

    pub fn usage_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Usage {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    pub fn refused(message: impl Into<String>) -> Self {
        Error::Refused {
            message: message.into(),
            hint: None,
        }
    }

    pub fn refused_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Refused {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// Wrap an error with what was being done, keeping it as the cause.
    pub fn failed(
        message: impl Into<String>,
        hint: Option<String>,
        source: impl Into<Error>,
    ) -> Self {
        Error::Failed {
            message: message.into(),
            hint,
            source: Box::new(source.into()),
        }
    }

    /// Bad input (exit 2) whose cause is another library's error.
    pub fn usage_because(
        message: impl Into<String>,
        hint: Option<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::caused(2, message.into(), hint, source.into())
    }

    /// A refusal or failure (exit 1) whose cause is another library's error.
    pub fn refused_because(
        message: impl Into<String>,
        hint: Option<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::caused(1, message.into(), hint, source.into())
    }

    fn caused(
        code: i32,
        message: String,
        hint: Option<String>,
        source: Box<dyn std::error::Error + Send + Sync>,
    ) -> Self {
        Error::Caused {
            message,
            hint,
            code,
            source,
        }
    }

    /// A terminal prompt that could not be shown or answered.
    pub fn prompt(source: dialoguer::Error) -> Self {
        Error::usage_because("the prompt failed", None, source)
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::BrokenPipe {
            return Error::BrokenPipe;
        }
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// The documented exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Name(_) | Error::Config(_) | Error::Usage { .. } => 2,
            Error::Git(e) => e.exit_code(),
            Error::Release(e) => e.exit_code(),
            Error::Hook(e) => e.exit_code(),
            Error::Slot(e) => e.exit_code(),
            Error::CheckFailed { .. } => 3,
            Error::BrokenPipe => 0,
            Error::Refused { .. } | Error::Io { .. } | Error::Failed { .. } | Error::GitHub(_) => 1,
            Error::Stopped { .. } => 1,
            Error::Caused { code, .. } => *code,
        }
    }

    /// The next step for the user, when one exists.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Name(e) => e.hint(),
            Error::Config(e) => e.hint(),
            Error::Git(e) => e.hint(),
            Error::Release(e) => e.hint(),
            Error::Hook(e) => e.hint(),
            Error::Slot(e) => e.hint(),
            Error::GitHub(e) => e.hint(),
            Error::Usage { hint, .. } | Error::Refused { hint, .. } => hint.clone(),
            Error::Stopped { hint, .. } | Error::Caused { hint, .. } => hint.clone(),
            Error::Failed { hint, source, .. } => hint.clone().or_else(|| source.hint()),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(source: std::io::Error) -> Self {
        Error::io("I/O error", source)
    }
}
