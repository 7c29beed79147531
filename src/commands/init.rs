//! `kickoff init`: write `.kickoff.toml` with every setting at its default.

use crate::commands::Global;
use crate::config::{FILE_NAME, init_text};
use crate::error::{Error, Result};
use crate::git::Repo;
use crate::plan::{Plan, Step};

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
    /// Print the plan and the file it would write, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: print the plan as JSON.
    #[arg(long, requires = "dry_run")]
    pub json: bool,
    /// Also describe a QA slot pool (4 slots x 3 apps, to adapt) deployed by
    /// docker compose with the override `kickoff deploy` writes, and routed
    /// by path with `kickoff slot routes` (docs/slots.md#routing). Asked on a
    /// terminal when not given.
    #[arg(long)]
    pub compose: bool,
}

pub fn run(args: InitArgs, g: &Global) -> Result<()> {
    if args.print {
        return g.ui.data(&init_text(args.compose));
    }
    let repo = Repo::discover(&g.dir)?;
    let path = repo.workdir().join(FILE_NAME);
    if path.exists() && !args.force {
        return Err(Error::refused_hint(
            format!("{} already exists", path.display()),
            "pass --force to replace it with the defaults, or edit it (docs/config.md)",
        ));
    }
    let compose = args.compose
        || (!args.dry_run
            && g.ui.interactive()
            && dialoguer::Confirm::new()
                .with_prompt(
                    "Describe a QA slot pool deployed with docker compose and routed by path (an example to adapt)?",
                )
                .default(false)
                .interact()
                .map_err(Error::prompt)?);
    let text = init_text(compose);
    let plan = Plan::from_iter([Step::WriteFile {
        path: path.clone(),
        what: if compose {
            "the settings and a QA slot pool to adapt".into()
        } else {
            "the settings".into()
        },
        content: text.clone(),
    }]);
    if args.dry_run {
        let content: String = text.lines().map(|l| format!("  {l}\n")).collect();
        let summary = format!("{FILE_NAME}, every setting at its default, commented");
        return super::show_plan_with(
            g,
            &summary,
            &plan,
            &format!("\ncontent:\n{content}"),
            args.json,
        );
    }
    super::run_plan_on(&repo, g, &plan)?;
    g.ui.done(format!("wrote {}", path.display()));
    if compose {
        g.ui.info(
            "adapt [slots] to your apps; `kickoff slot routes --format nginx` prints the proxy configuration",
        );
    }
    g.ui.info("commit it so the team shares the settings");
    // On a branch whose main already has settings, this copy is not the one
    // in force until it is on main: say so now rather than on every command.
    if let Ok(loaded) = crate::config_source::load(&repo)
        && let Some(note) = loaded.note
    {
        g.ui.info(note);
    }
    Ok(())
}
