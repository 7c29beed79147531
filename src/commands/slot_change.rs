//! How `slot claim | release | renew | leave`, `slot admin remove | reset`
//! and `deploy` change the shared state: an operation becomes a plan step
//! ([`Step::ApplyState`]) run by the one interpreter, and `--dry-run` prints
//! that step (on stdout, also under `-q`) with the outcome it would have on
//! the state as last fetched.

use super::slot_service::store;
use crate::commands::{Global, Session};
use crate::error::Result;
use crate::plan::{GitEffects, Plan, Step};
use crate::slots::board::human;
use crate::slots::{Applied, Op, Outcome};
use crate::state::{Loaded, Store};

/// The plan step that applies `op` to the shared state of `store`.
pub fn state_step(op: &Op, store: &Store) -> Step {
    Step::ApplyState {
        op: Box::new(op.clone()),
        remote: store.remote().map(str::to_string),
    }
}

/// Apply an operation (or, with `dry_run`, show the plan and what it would
/// do) and report.
pub fn change(s: &Session, g: &Global, op: &Op, dry_run: bool, json: bool) -> Result<()> {
    change_then(s, g, op, Vec::new(), dry_run, json)
}

/// [`change`], then `after` (steps that follow the state change, such as
/// telling GitHub).
pub fn change_then(
    s: &Session,
    g: &Global,
    op: &Op,
    after: Vec<Step>,
    dry_run: bool,
    json: bool,
) -> Result<()> {
    let store = store(&s.repo, &s.config, &g.ui);
    let mut plan = Plan::from_iter([state_step(op, &store)]);
    plan.steps.extend(after);
    if dry_run {
        let current = store.read(false)?;
        let mut state = current.state.clone();
        let applied = op.apply(&mut state, &s.config.slots.names)?;
        if json {
            let mut out = outcome_json(op, &applied, &current, true);
            out["steps"] = plan.json()["steps"].clone();
            return g.ui.json(&out);
        }
        super::show_plan(g, &plan, false)?;
        return report(g, op, &applied, &current, true, false);
    }
    let mut effects = GitEffects::new(&s.repo)
        .with_state(&store)
        .with_github(Box::new(|| super::github::connect(s, g)));
    super::interpreter(g, &mut effects).run(&plan)?;
    let (_, applied, loaded) = effects.applied.pop().expect("the operation ran");
    report(g, op, &applied, &loaded, false, json)
}

/// The outcome of an operation as `--json` prints it (`"schema": 1`).
fn outcome_json(op: &Op, applied: &Applied, loaded: &Loaded, dry_run: bool) -> serde_json::Value {
    serde_json::json!({
        "schema": 1,
        "op": op.id(),
        "dry_run": dry_run,
        "outcome": applied.outcome,
        "notes": applied.notes,
        "state_commit": (!dry_run).then(|| loaded.commit.map(|c| c.to_string())).flatten(),
        "attempts": loaded.stats.attempts,
    })
}

/// Report what an operation did (or would have done): a line on stderr, the
/// notes about others, and the slot (or record) it concerns on stdout.
pub fn report(
    g: &Global,
    op: &Op,
    applied: &Applied,
    loaded: &Loaded,
    dry_run: bool,
    json: bool,
) -> Result<()> {
    if json {
        return g.ui.json(&outcome_json(op, applied, loaded, dry_run));
    }
    let would = if dry_run { "would have " } else { "" };
    if let Outcome::Claimed {
        slot,
        took_over_from: Some(p),
        ..
    } = &applied.outcome
    {
        g.ui.warn(format!(
            "{slot}'s lease by {} ({}) expired at {}; {would}taken over (recorded)",
            p.kickoff,
            p.holder.name,
            human(&p.until)
        ));
    }
    let (line, data) = outcome_line(&applied.outcome, would);
    g.ui.done(line);
    for n in &applied.notes {
        g.ui.info(n);
    }
    match data {
        Some(d) if !dry_run => g.ui.data(&format!("{d}\n")),
        _ => Ok(()),
    }
}

/// The line that says what happened (`would` is "would have " in a dry
/// run), and what goes on stdout: the slot, kickoff or record concerned.
fn outcome_line(outcome: &Outcome, would: &str) -> (String, Option<String>) {
    match outcome {
        Outcome::Claimed { slot, until, .. } => (
            format!("{would}claimed {slot} until {}", human(until)),
            Some(slot.clone()),
        ),
        Outcome::AlreadyHeld { slot, until } => (
            format!(
                "already holds {slot} (until {}); nothing to do",
                human(until)
            ),
            Some(slot.clone()),
        ),
        Outcome::Queued { position } => (
            format!("no slot is free; {would}joined the queue at position {position}"),
            None,
        ),
        Outcome::Released { slot, left_queue } => (
            match (slot, left_queue) {
                (Some(s), _) => format!("{would}released {s}"),
                (None, true) => format!("{would}left the queue"),
                (None, false) => "held nothing".into(),
            },
            slot.clone(),
        ),
        Outcome::Renewed { slot, until } => (
            format!("{would}renewed {slot} until {}", human(until)),
            Some(slot.clone()),
        ),
        Outcome::Left { kickoff, position } => (
            format!("{would}taken {kickoff} out of the queue (it was at position {position})"),
            Some(kickoff.clone()),
        ),
        Outcome::Recorded { file } => (format!("{would}recorded {file}"), Some(file.clone())),
        Outcome::Removed { paths } => (format!("{would}removed {}", paths.join(", ")), None),
        Outcome::Reset { released, dequeued } => (
            format!(
                "{would}reset the pool: released {}; {dequeued} left the queue",
                if released.is_empty() {
                    "no slot".to_string()
                } else {
                    released.join(", ")
                }
            ),
            None,
        ),
    }
}
