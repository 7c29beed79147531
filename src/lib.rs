//! kickoff: kickoff-based trunk versioning.
//!
//! The library holds the domain (naming, config, the git layer) and the
//! commands; the `kickoff` binary is a thin wrapper around [`cli::main`].

pub mod cli;
pub mod commands;
pub mod config;
pub mod config_error;
pub mod config_source;
pub mod confined;
pub mod conflict;
pub mod error;
pub mod git;
pub mod github;
pub mod hook;
pub mod kickoffs;
pub mod naming;
pub mod output;
pub mod overview;
pub mod plan;
pub mod prompt;
pub mod release;
pub mod sanitize;
pub mod serve;
pub mod slots;
pub mod state;

pub use error::{Error, Result};
