//! `kickoff slot list | claim | release | renew | leave | routes | admin`: the QA slot pool.

use super::slot_service::{self as service, check_slot, require_pool, store};
use super::slot_service::{now, person};
use crate::commands::Global;
use crate::commands::Session;
use crate::commands::slot_change::change;
use crate::error::{Error, Result};
use crate::output::table;
use crate::slots::board::{Board, human};
use crate::slots::{Op, Ttl, new_id};

/// Shared QA slots: who holds which dev environment, and the queue.
///
/// The state lives in refs/kickoff/state and is shared through the remote:
/// every command fetches it first, and every change is accepted by the remote
/// only as a fast-forward, so two people can never hold the same slot.
#[derive(Debug, clap::Args)]
pub struct SlotArgs {
    #[command(subcommand)]
    pub command: SlotCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum SlotCommand {
    List(ListArgs),
    Claim(ClaimArgs),
    Release(ReleaseArgs),
    Renew(RenewArgs),
    Leave(LeaveArgs),
    Routes(super::slot_routes::RoutesArgs),
    Admin(super::slot_admin::AdminArgs),
}

/// Show every slot, the queue, and each slot's ports and URLs.
///
/// For each slot: free, held or expired; by which kickoff and person, since
/// and until when; the commit and platform version last deployed there, and
/// whether the kickoff has moved on since (stale).
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Print JSON (`"schema": 1`, see docs/slots.md) instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Do not fetch; show the state as last fetched.
    #[arg(long)]
    pub offline: bool,
}

/// Take a slot for a kickoff: the named one, or any free one.
///
/// When none is free, refuses with who holds what and until when, or with
/// --queue waits in a first-come queue and gets the first slot that frees.
/// An expired lease is taken over, and the takeover is recorded.
#[derive(Debug, clap::Args)]
pub struct ClaimArgs {
    /// The kickoff [default: the current branch's kickoff].
    pub kickoff: Option<String>,
    /// Take this slot.
    #[arg(long, value_name = "SLOT")]
    pub slot: Option<String>,
    /// Lease time: 90m, 12h, 3d, 2w [default: slots.lease].
    #[arg(long, value_name = "TTL", allow_hyphen_values = true)]
    pub ttl: Option<String>,
    /// Why you need it (shown to others).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// When no slot is free, wait in the queue instead of failing.
    #[arg(long)]
    pub queue: bool,
    /// Print what would happen, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the outcome as JSON (`"schema": 1`, see docs/slots.md).
    #[arg(long)]
    pub json: bool,
}

/// Give a slot back.
///
/// The first kickoff in the queue gets it at once.
#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    /// The slot [default: the slot of the current branch's kickoff, or the one you hold].
    pub slot: Option<String>,
    /// Release a slot someone else holds (recorded under your name).
    #[arg(long)]
    pub force: bool,
    /// Print what would happen, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the outcome as JSON (`"schema": 1`, see docs/slots.md).
    #[arg(long)]
    pub json: bool,
}

/// Extend a lease.
///
/// The lease then runs until now plus the lease time (--ttl, default `slots.lease`).
#[derive(Debug, clap::Args)]
pub struct RenewArgs {
    /// The slot [default: the slot of the current branch's kickoff, or the one you hold].
    pub slot: Option<String>,
    /// Lease time from now: 90m, 12h, 3d, 2w [default: slots.lease].
    #[arg(long, value_name = "TTL", allow_hyphen_values = true)]
    pub ttl: Option<String>,
    /// Renew a slot someone else holds (recorded under your name).
    #[arg(long)]
    pub force: bool,
    /// Print what would happen, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the outcome as JSON (`"schema": 1`, see docs/slots.md).
    #[arg(long)]
    pub json: bool,
}

/// Take a kickoff out of the queue.
///
/// For a kickoff that waits for a slot (`claim --queue`); a kickoff that
/// holds a slot gives it back with `kickoff slot release`.
#[derive(Debug, clap::Args)]
pub struct LeaveArgs {
    /// The kickoff [default: the current branch's kickoff, or the one you queued].
    #[arg(value_name = "KICKOFF")]
    pub kickoff: Option<String>,
    /// The kickoff as an option, like other commands take it.
    #[arg(long = "kickoff", value_name = "KICKOFF", conflicts_with = "kickoff")]
    pub kickoff_flag: Option<String>,
    /// Take out a kickoff someone else queued (recorded under your name).
    #[arg(long)]
    pub force: bool,
    /// Print what would happen, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the outcome as JSON (`"schema": 1`, see docs/slots.md).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: SlotArgs, g: &Global) -> Result<()> {
    match args.command {
        SlotCommand::List(a) => list(a, g),
        SlotCommand::Claim(a) => claim(a, g),
        SlotCommand::Release(a) => release(a, g),
        SlotCommand::Renew(a) => renew(a, g),
        SlotCommand::Leave(a) => leave(a, g),
        SlotCommand::Routes(a) => super::slot_routes::run(a, g),
        SlotCommand::Admin(a) => super::slot_admin::run(a, g),
    }
}

fn open(g: &Global) -> Result<Session> {
    let s = Session::open(g)?;
    require_pool(&s.config)?;
    Ok(s)
}

fn list(args: ListArgs, g: &Global) -> Result<()> {
    let s = open(g)?;
    let (board, _) = service::read_board(&s.repo, &s.config, &g.ui, args.offline)?;
    if args.json {
        return g.ui.json(&board);
    }
    g.ui.data(&render_list(&board))
}

/// The human form of `slot list`: the slots, the queue, then each slot's
/// apps with their ports and URLs.
pub fn render_list(b: &Board) -> String {
    let rows: Vec<Vec<String>> = b.slots.iter().map(slot_row).collect();
    let mut out = table(
        &[
            "SLOT",
            "STATUS",
            "KICKOFF",
            "HELD BY",
            "SINCE",
            "UNTIL",
            "LAST DEPLOYED",
        ],
        &rows,
    );
    out.push('\n');
    out.push_str(&render_queue(b));
    out.push('\n');
    let ports: Vec<Vec<String>> = b
        .slots
        .iter()
        .flat_map(|s| {
            s.apps.iter().map(|a| {
                vec![
                    s.name.clone(),
                    a.app.clone(),
                    a.service.clone(),
                    a.port.to_string(),
                    a.internal_port.to_string(),
                    a.url.clone(),
                ]
            })
        })
        .collect();
    out.push_str(&table(
        &["SLOT", "APP", "SERVICE", "PORT", "INTERNAL", "URL"],
        &ports,
    ));
    out
}

/// One slot's row of `slot list`.
fn slot_row(s: &crate::slots::board::SlotView) -> Vec<String> {
    let deployed = match &s.last_deployment {
        Some(d) => {
            let mut t = format!("{} {}", &d.commit[..10.min(d.commit.len())], d.kickoff);
            if let Some(v) = &d.platform_version {
                t.push_str(&format!(" v{v}"));
            }
            if d.status == crate::slots::DeployStatus::Failed {
                t.push_str(" (failed)");
            }
            if s.stale == Some(true) {
                t.push_str(" (stale)");
            }
            t
        }
        None => "-".into(),
    };
    vec![
        s.name.clone(),
        s.status.as_str().to_string(),
        s.kickoff.clone().unwrap_or_else(|| "-".into()),
        s.holder
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_else(|| "-".into()),
        s.since.as_ref().map(human).unwrap_or_else(|| "-".into()),
        s.until.as_ref().map(human).unwrap_or_else(|| "-".into()),
        deployed,
    ]
}

/// The queue under the slots of `slot list`.
fn render_queue(b: &Board) -> String {
    if b.queue.is_empty() {
        return "Queue: empty\n".into();
    }
    let mut out = "Queue:\n".to_string();
    for q in &b.queue {
        out.push_str(&format!(
            "  {}. {} ({}) since {}{}\n",
            q.position,
            q.kickoff,
            q.holder.name,
            human(&q.since),
            q.slot
                .as_deref()
                .map(|s| format!(", waiting for {s}"))
                .unwrap_or_default()
        ));
    }
    out
}

fn ttl_or_default(s: &Session, ttl: Option<&str>) -> Result<Ttl> {
    match ttl {
        Some(t) => Ok(Ttl::parse(t)?),
        None => Ok(s.config.slots.lease),
    }
}

fn claim(args: ClaimArgs, g: &Global) -> Result<()> {
    let s = open(g)?;
    let ttl = ttl_or_default(&s, args.ttl.as_deref())?;
    if let Some(slot) = &args.slot {
        check_slot(&s.config, slot)?;
    }
    if let Some(r) = &args.reason {
        if r.chars().any(char::is_control) {
            return Err(Error::usage("--reason must be one line of text"));
        }
    }
    service::fetch_branches(&s.repo, &s.config, false)?;
    let k = super::resolve_kickoff(
        &s.repo,
        &s.config,
        &g.ui,
        args.kickoff.as_deref(),
        "the KICKOFF argument",
    )?;
    let op = Op::Claim {
        id: new_id(),
        kickoff: k.branch(),
        by: person(&s.repo)?,
        at: now(),
        ttl: ttl.to_string(),
        slot: args.slot.clone(),
        reason: args.reason.clone(),
        queue: args.queue,
        via: "claim".into(),
    };
    change(&s, g, &op, args.dry_run, args.json)
}

/// Which slot `release`/`renew` mean when none is named.
fn default_slot(s: &Session, g: &Global, given: Option<String>) -> Result<String> {
    if let Some(slot) = given {
        check_slot(&s.config, &slot)?;
        return Ok(slot);
    }
    let current = store(&s.repo, &s.config, &g.ui).read(false)?;
    if let Some(branch) = s.repo.current_branch()? {
        if let Some(k) = crate::kickoffs::kickoff_of_branch(&s.repo, &s.config, &branch)? {
            let k = k.to_string();
            if let Some((slot, _)) = current.state.slot_of(&k) {
                return Ok(slot.to_string());
            }
            // The branch names a kickoff that holds nothing: never fall back
            // to a slot of another kickoff.
            let queued = current.state.queue.iter().position(|q| q.kickoff == k);
            return Err(match queued {
                Some(i) => Error::refused_hint(
                    format!(
                        "{k} holds no slot; it waits in the queue (position {})",
                        i + 1
                    ),
                    format!(
                        "leave the queue with `kickoff slot leave {k}`, or name the slot to act on"
                    ),
                ),
                None => Error::refused_hint(
                    format!("{k} holds no slot"),
                    "name the slot (`kickoff slot list` shows who holds what)",
                ),
            });
        }
    }
    let me = person(&s.repo)?;
    let mine: Vec<String> = current
        .state
        .leases
        .iter()
        .filter(|(_, l)| l.holder.email == me.email)
        .map(|(s, _)| s.clone())
        .collect();
    match mine.len() {
        1 => Ok(mine[0].clone()),
        0 => Err(Error::refused_hint(
            "you hold no slot",
            "name the slot (`kickoff slot list` shows who holds what)",
        )),
        _ => crate::prompt::select(&g.ui, "slot", "the SLOT argument", &mine),
    }
}

fn release(args: ReleaseArgs, g: &Global) -> Result<()> {
    let s = open(g)?;
    let slot = default_slot(&s, g, args.slot)?;
    let op = Op::Release {
        id: new_id(),
        slot: Some(slot.clone()),
        kickoff: None,
        by: person(&s.repo)?,
        at: now(),
        force: args.force,
    };
    let after = super::github::inactive_deployment(&s, g, &slot)?;
    super::slot_change::change_then(&s, g, &op, after, args.dry_run, args.json)
}

fn leave(args: LeaveArgs, g: &Global) -> Result<()> {
    let s = open(g)?;
    let given = args.kickoff.or(args.kickoff_flag);
    let kickoff = match given {
        Some(k) => crate::naming::KickoffName::parse(&k)?.to_string(),
        None => queued_kickoff(&s, g)?,
    };
    let op = Op::Leave {
        id: new_id(),
        kickoff,
        by: person(&s.repo)?,
        at: now(),
        force: args.force,
    };
    change(&s, g, &op, args.dry_run, args.json)
}

/// Which kickoff `leave` means when none is named: the current branch's
/// kickoff, else the one you queued (asked on a terminal when several).
fn queued_kickoff(s: &Session, g: &Global) -> Result<String> {
    if let Some(branch) = s.repo.current_branch()? {
        if let Some(k) = crate::kickoffs::kickoff_of_branch(&s.repo, &s.config, &branch)? {
            return Ok(k.to_string());
        }
    }
    let current = store(&s.repo, &s.config, &g.ui).read(false)?;
    let me = person(&s.repo)?;
    let mine: Vec<String> = current
        .state
        .queue
        .iter()
        .filter(|q| q.holder.email == me.email)
        .map(|q| q.kickoff.clone())
        .collect();
    match mine.len() {
        1 => Ok(mine[0].clone()),
        0 => Err(Error::refused_hint(
            "you have no kickoff in the queue",
            "name the kickoff (`kickoff slot list` shows the queue)",
        )),
        _ => crate::prompt::select(&g.ui, "kickoff", "the KICKOFF argument", &mine),
    }
}

fn renew(args: RenewArgs, g: &Global) -> Result<()> {
    let s = open(g)?;
    let ttl = ttl_or_default(&s, args.ttl.as_deref())?;
    let slot = default_slot(&s, g, args.slot)?;
    let op = Op::Renew {
        id: new_id(),
        slot,
        by: person(&s.repo)?,
        at: now(),
        ttl: ttl.to_string(),
        force: args.force,
    };
    change(&s, g, &op, args.dry_run, args.json)
}
