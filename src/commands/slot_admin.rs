//! `kickoff slot admin remove | reset | files | history`: maintenance of the
//! shared state. Every change is an operation like a claim (recorded in the
//! state's history under the maintainer's name, decided on the remote's
//! freshest state, pushed fast-forward only) and takes `--dry-run`.

use super::slot_service::{now, person};
use super::slot_service::{require_pool, store};
use crate::commands::Global;
use crate::commands::Session;
use crate::commands::slot_change::change;
use crate::error::{Error, Result};
use crate::output::table;
use crate::slots::{AdminAction, Op, new_id};

/// Maintain the shared state: remove a bad record or lease, reset the pool,
/// list its files, show its history.
///
/// Every change is recorded in refs/kickoff/state as an admin operation under
/// your name; `git log refs/kickoff/state` and `kickoff slot admin history`
/// show it.
#[derive(Debug, clap::Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum AdminCommand {
    Remove(RemoveArgs),
    Reset(ResetArgs),
    Files(FilesArgs),
    History(HistoryArgs),
}

/// Remove files from the shared state: a lease (`slots/dev2.toml`), the
/// queue (`queue.toml`), a deployment record (`deployments/<file>.json`), or
/// a file that readers skip as unreadable.
#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    /// Paths in the state tree, as `kickoff slot admin files` lists them.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Why (kept in the state's history).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Print what would happen, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the outcome as JSON (`"schema": 1`, see docs/slots.md).
    #[arg(long)]
    pub json: bool,
}

/// Free every slot and empty the queue. The deployment log stays.
#[derive(Debug, clap::Args)]
pub struct ResetArgs {
    /// Why (kept in the state's history).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Do not ask for confirmation (needed without a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Print what would happen, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the outcome as JSON (`"schema": 1`, see docs/slots.md).
    #[arg(long)]
    pub json: bool,
}

/// List the files of the shared state and whether kickoff can use them.
#[derive(Debug, clap::Args)]
pub struct FilesArgs {
    /// Print JSON (`"schema": 1`) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Do not fetch; show the state as last fetched.
    #[arg(long)]
    pub offline: bool,
}

/// Show the history of the shared state, newest first: every claim,
/// release, renewal, deployment record and admin change.
#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// How many changes to show.
    #[arg(long, short = 'n', default_value_t = 20, value_name = "N")]
    pub limit: usize,
    /// Print JSON (`"schema": 1`) instead of lines.
    #[arg(long)]
    pub json: bool,
    /// Do not fetch; show the state as last fetched.
    #[arg(long)]
    pub offline: bool,
}

pub fn run(args: AdminArgs, g: &Global) -> Result<()> {
    let s = Session::open(g)?;
    require_pool(&s.config)?;
    match args.command {
        AdminCommand::Remove(a) => {
            check_reason(a.reason.as_deref())?;
            let op = admin_op(&s, AdminAction::Remove { paths: a.paths }, a.reason)?;
            change(&s, g, &op, a.dry_run, a.json)
        }
        AdminCommand::Reset(a) => {
            check_reason(a.reason.as_deref())?;
            if !a.dry_run
                && !crate::prompt::confirm(
                    &g.ui,
                    a.yes,
                    "Free every slot and empty the queue?",
                    false,
                )?
            {
                return Err(Error::usage_hint(
                    "resetting the pool needs a confirmation",
                    "run it on a terminal, or pass --yes",
                ));
            }
            let op = admin_op(&s, AdminAction::Reset, a.reason)?;
            change(&s, g, &op, a.dry_run, a.json)
        }
        AdminCommand::Files(a) => files(&s, g, a),
        AdminCommand::History(a) => history(&s, g, a),
    }
}

fn check_reason(reason: Option<&str>) -> Result<()> {
    match reason {
        Some(r) if r.chars().any(char::is_control) || r.len() > 1000 => Err(Error::usage(
            "--reason must be one line of text (at most 1000 bytes)",
        )),
        _ => Ok(()),
    }
}

fn admin_op(s: &Session, action: AdminAction, reason: Option<String>) -> Result<Op> {
    Ok(Op::Admin {
        id: new_id(),
        by: person(&s.repo)?,
        at: now(),
        action,
        reason,
    })
}

fn files(s: &Session, g: &Global, args: FilesArgs) -> Result<()> {
    let store = store(&s.repo, &s.config, &g.ui);
    let loaded = store.read(args.offline)?;
    let listing = match loaded.commit {
        Some(c) => store.files(c)?,
        None => Vec::new(),
    };
    if args.json {
        return g.ui.json(&serde_json::json!({
            "schema": 1,
            "state_commit": loaded.commit.map(|c| c.to_string()),
            "files": listing,
        }));
    }
    let rows: Vec<Vec<String>> = listing
        .iter()
        .map(|f| {
            vec![
                f.path.clone(),
                f.status.to_string(),
                f.size.to_string(),
                f.reason.clone().unwrap_or_default(),
            ]
        })
        .collect();
    g.ui.data(&table(&["PATH", "STATUS", "BYTES", "WHY"], &rows))
}

fn history(s: &Session, g: &Global, args: HistoryArgs) -> Result<()> {
    let store = store(&s.repo, &s.config, &g.ui);
    let loaded = store.read(args.offline)?;
    let entries = match loaded.commit {
        Some(c) => store.history(c, args.limit)?,
        None => Vec::new(),
    };
    if args.json {
        return g
            .ui
            .json(&serde_json::json!({"schema": 1, "changes": entries}));
    }
    let mut out = String::new();
    for e in &entries {
        out.push_str(&format!(
            "{} {} {}  {}\n",
            &e.commit[..10],
            e.at.format("%Y-%m-%d %H:%M UTC"),
            e.by.name,
            e.summary
        ));
    }
    g.ui.data(&out)
}
