//! The command line: global options, the subcommand list, and the top-level
//! error report. `main.rs` calls [`main`] and nothing else.

use crate::commands::{self, Command};
use crate::error::{Error, Result};
use crate::output::Ui;
use clap::Parser;
use std::path::PathBuf;

/// Kickoff-based trunk versioning: kickoff branches cut from main, ticket
/// branches under them, platform versions, a conflict radar, QA slots and a
/// pre-push hook.
///
/// Start with `kickoff demo` to see the whole flow in a throwaway repository.
#[derive(Debug, Parser)]
#[command(
    name = "kickoff",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// Run as if kickoff was started in DIR.
    #[arg(
        short = 'C',
        global = true,
        value_name = "DIR",
        help_heading = "Global options"
    )]
    pub dir: Option<PathBuf>,
    /// Answer yes to every confirmation.
    #[arg(long, short = 'y', global = true, help_heading = "Global options")]
    pub yes: bool,
    /// Print only data and errors, no progress messages.
    #[arg(long, short = 'q', global = true, help_heading = "Global options")]
    pub quiet: bool,
}

pub use crate::commands::Global;

/// Parse, dispatch, report; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            commands::hook::drain_stdin_for_hook(&std::env::args_os().collect::<Vec<_>>());
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let ui = Ui::new(cli.global.quiet);
    let global = match resolve_global(&cli.global, ui.clone()) {
        Ok(g) => g,
        Err(e) => return report(&ui, e),
    };
    match commands::dispatch(cli.command, &global) {
        Ok(()) => 0,
        Err(e) => report(&ui, e),
    }
}

fn resolve_global(args: &GlobalArgs, ui: Ui) -> Result<Global> {
    let cwd =
        std::env::current_dir().map_err(|e| Error::io("cannot read the current directory", e))?;
    let dir = match &args.dir {
        Some(d) => cwd.join(d),
        None => cwd,
    };
    if !dir.is_dir() {
        return Err(Error::usage_hint(
            format!("{} is not a directory", dir.display()),
            "give -C an existing directory (relative paths start from the current one)",
        ));
    }
    Ok(Global {
        dir,
        yes: args.yes,
        ui,
        cli: <Cli as clap::CommandFactory>::command,
    })
}

fn report(ui: &Ui, err: Error) -> i32 {
    if !matches!(err, Error::BrokenPipe) {
        ui.error(&err);
    }
    err.exit_code()
}
