//! `kickoff init`: write `.kickoff.toml` with every setting at its default.

use crate::cli::Global;
use crate::config::{FILE_NAME, TEMPLATE};
use crate::error::{Error, Result};
use crate::git::Repo;

/// Write .kickoff.toml at the top of the work tree, with every setting and its
/// default, commented.
///
/// Commit the file so the whole team shares the settings. Without it, the
/// defaults apply.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Replace an existing .kickoff.toml.
    #[arg(long)]
    pub force: bool,
    /// Print the file to stdout instead of writing it.
    #[arg(long)]
    pub print: bool,
    /// Say what would be written, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: InitArgs, g: &Global) -> Result<()> {
    if args.print {
        return g.ui.data(TEMPLATE);
    }
    let repo = Repo::discover(&g.dir)?;
    let path = repo.workdir().join(FILE_NAME);
    if path.exists() && !args.force {
        return Err(Error::refused_hint(
            format!("{} already exists", path.display()),
            "pass --force to replace it with the defaults, or edit it (docs/config.md)",
        ));
    }
    if args.dry_run {
        g.ui.info(format!("would write {}", path.display()));
        return g.ui.data(TEMPLATE);
    }
    std::fs::write(&path, TEMPLATE)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
    g.ui.done(format!("wrote {}", path.display()));
    g.ui.info("commit it so the team shares the settings");
    Ok(())
}
