//! `kickoff deploy [K] [--slot S]`: put a kickoff on a QA slot and record it.

use super::slot_service::{self as service, check_slot, require_pool, store};
use crate::commands::Global;
use crate::commands::Session;
use crate::commands::slot::execute;
use crate::error::{Error, Result};
use crate::plan::{Plan, Step};
use crate::slots::board::human;
use crate::slots::config::{SlotsConfig, env_prefix};
use crate::slots::service::{now, person};
use crate::slots::{
    DeployStatus, Deployment, Op, Outcome, SlotError, Ttl, envfile, new_id, recorded, runner,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Deploy a kickoff to its QA slot, claiming a free one if it holds none.
///
/// Writes the slot's environment file (compose project name, each app's
/// external port and URL, image tags from the kickoff name and commit) and
/// its compose override `<slot>.compose.yml` (project name, published ports,
/// images), runs
/// the configured deploy command (`slots.deploy`, a program and its arguments,
/// never a shell line) with that file and KICKOFF_* variables, streams its
/// output to stderr, and appends a deployment record to the shared state,
/// failed or not. The record is kept in this clone's journal from before the
/// command starts, so a deploy is never left unrecorded: Ctrl-C (or SIGTERM)
/// is passed to the command's whole process group, kickoff waits for it and
/// records "interrupted"; --timeout stops it and records "timed out". A
/// deploy that does not succeed exits 1 and gives back a slot it claimed.
#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// The kickoff [default: the current branch's kickoff].
    pub kickoff: Option<String>,
    /// The kickoff, as an option like `release` takes it.
    #[arg(long = "kickoff", value_name = "KICKOFF", conflicts_with = "kickoff")]
    pub kickoff_flag: Option<String>,
    /// Deploy to this slot (claimed if the kickoff holds no slot).
    #[arg(long, value_name = "SLOT")]
    pub slot: Option<String>,
    /// Lease time when a slot is claimed: 90m, 12h, 3d, 2w [default: slots.lease].
    #[arg(long, value_name = "TTL", allow_hyphen_values = true)]
    pub ttl: Option<String>,
    /// Stop the deploy command after this long: 90s, 15m, 2h [default: slots.deploy_timeout, else no limit].
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub timeout: Option<String>,
    /// Print the plan (slot, environment file, command), change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the deployment record as JSON (`"schema": 1`, see docs/slots.md).
    #[arg(long)]
    pub json: bool,
}

/// Everything the deploy command gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployPlan {
    pub id: String,
    pub slot: String,
    pub kickoff: String,
    pub commit: String,
    pub platform_version: Option<String>,
    pub tickets: Vec<String>,
    pub project: String,
    pub image_tag: String,
    pub env_file: PathBuf,
    pub env_text: String,
    /// The compose override next to the environment file (`<slot>.compose.yml`).
    pub compose_file: PathBuf,
    pub compose_text: String,
    pub program: PathBuf,
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
}

pub fn run(args: DeployArgs, g: &Global) -> Result<()> {
    let s = Session::open(g)?;
    require_pool(&s.config)?;
    let ttl = match &args.ttl {
        Some(t) => Ttl::parse(t)?,
        None => s.config.slots.lease,
    };
    let timeout = match &args.timeout {
        Some(t) => Some(runner::parse_timeout(t).map_err(|m| {
            Error::usage_hint(
                format!("invalid --timeout {t:?}: {m}"),
                "give a whole number of seconds, minutes or hours: 90s, 15m, 2h",
            )
        })?),
        None => s.config.slots.deploy_timeout,
    };
    if let Some(slot) = &args.slot {
        check_slot(&s.config, slot)?;
    }
    let argv = &s.config.slots.deploy;
    if argv.is_empty() {
        return Err(SlotError::DeployNotConfigured.into());
    }
    let program = find_program(s.repo.workdir(), &argv[0]).ok_or_else(|| {
        match not_executable(s.repo.workdir(), &argv[0]) {
            Some(path) => SlotError::DeployNotExecutable {
                program: argv[0].clone(),
                path: path.display().to_string(),
            },
            None => SlotError::DeployNotFound {
                program: argv[0].clone(),
            },
        }
    })?;
    envfile::preflight(
        s.repo.workdir(),
        s.repo.common_dir(),
        &s.config.slots.env_dir,
        &s.config.slots.names,
    )
    .map_err(SlotError::from)?;
    service::fetch_branches(&s.repo, &s.config, false)?;
    if s.has_remote() {
        if let Err(e) = s.repo.fetch_platform_tags(&s.config.remote) {
            g.ui.warn(format!(
                "could not fetch the platform tags; the record names a version only if its tag is here: {e}"
            ));
        }
    }
    let k = super::resolve_kickoff(
        &s.repo,
        &s.config,
        &g.ui,
        args.kickoff.as_deref().or(args.kickoff_flag.as_deref()),
        "the KICKOFF argument",
    )?;
    let commit = k.remote.or(k.local).expect("a kickoff has a tip");
    if let (Some(l), Some(r)) = (k.local, k.remote) {
        if l != r {
            g.ui.warn(format!(
                "your local {} differs from {}'s; deploying what the remote has ({})",
                k.branch(),
                s.config.remote,
                &r.to_string()[..10]
            ));
        }
    }
    let me = person(&s.repo)?;
    let claim = Op::Claim {
        id: new_id(),
        kickoff: k.branch(),
        by: me.clone(),
        at: now(),
        ttl: ttl.to_string(),
        slot: args.slot.clone(),
        reason: Some("deploy".into()),
        queue: false,
        via: "deploy".into(),
    };
    let store = store(&s.repo, &s.config, &g.ui);
    let main = crate::kickoffs::main_tip(&s.repo, &s.config)?;
    let base = match main {
        Some(m) => s.repo.merge_base(commit, m)?,
        None => None,
    };
    let tickets = s
        .repo
        .tickets_between(commit, base, &s.config.ticket_pattern, 5000)?;
    let platform_version = crate::release::catalog::Catalog::local(&s.repo)?
        .version_at(&k.name, commit)
        .map(|t| t.version.to_string());

    if args.dry_run {
        g.ui.info("dry run: nothing changed");
        let current = store.read(false)?;
        let mut state = current.state.clone();
        let applied = claim.apply(&mut state, &s.config.slots.names)?;
        let slot = match &applied.outcome {
            Outcome::Claimed { slot, .. } => {
                g.ui.info(format!("would claim {slot}"));
                slot.clone()
            }
            Outcome::AlreadyHeld { slot, .. } => slot.clone(),
            _ => unreachable!("a claim without --queue claims or refuses"),
        };
        check_held_slot(&s.config, &k.branch(), &slot)?;
        let plan = plan(
            &s,
            &s.config.slots,
            new_id(),
            &slot,
            &k.branch(),
            &commit.to_string(),
            platform_version,
            tickets,
            program,
        )?;
        // The steps that would run, each with the content it would write.
        let steps = file_steps(&s.config.slots, &plan);
        for (step, (path, text)) in steps.steps.iter().zip([
            (&plan.env_file, &plan.env_text),
            (&plan.compose_file, &plan.compose_text),
        ]) {
            g.ui.info(format!("would {step} ({}):\n{text}", path.display()));
        }
        g.ui.info(format!(
            "would run: {}",
            crate::output::shell_words(&plan.argv)
        ));
        if let Some(t) = timeout {
            g.ui.info(format!(
                "would stop it after {}",
                runner::format_duration(t)
            ));
        }
        return Ok(());
    }

    let (applied, _) = store.apply(&claim)?;
    let (slot, claimed_now) = match &applied.outcome {
        Outcome::Claimed {
            slot,
            until,
            took_over_from,
        } => {
            if let Some(p) = took_over_from {
                g.ui.warn(format!(
                    "{slot}'s lease by {} expired at {}; taken over (recorded)",
                    p.kickoff,
                    human(&p.until)
                ));
            }
            g.ui.done(format!("claimed {slot} until {}", human(until)));
            (slot.clone(), true)
        }
        Outcome::AlreadyHeld { slot, .. } => (slot.clone(), false),
        _ => unreachable!("a claim without --queue claims or refuses"),
    };
    check_held_slot(&s.config, &k.branch(), &slot)?;
    let plan = plan(
        &s,
        &s.config.slots,
        new_id(),
        &slot,
        &k.branch(),
        &commit.to_string(),
        platform_version,
        tickets,
        program,
    )?;
    if let Err(e) = write_env_file(&s, g, &plan) {
        // Nothing was deployed: no record, and a slot claimed for it goes back.
        if claimed_now {
            give_back(g, &store, &slot, &me);
        }
        return Err(e);
    }
    let started = now();
    let op = recorded::run(
        recorded::Recorded {
            journal: store.journal(),
            record: Deployment {
                id: plan.id.clone(),
                slot: slot.clone(),
                kickoff: plan.kickoff.clone(),
                commit: plan.commit.clone(),
                platform_version: plan.platform_version.clone(),
                tickets: plan.tickets.clone(),
                who: me.clone(),
                started_at: started,
                finished_at: started,
                duration_ms: 0,
                status: DeployStatus::Interrupted,
                exit_code: None,
                signal: None,
                error: None,
                image_tag: plan.image_tag.clone(),
                project: plan.project.clone(),
            },
            release: claimed_now.then(|| slot.clone()),
            timeout,
        },
        &mut command(&s, g, &plan),
    )
    .inspect_err(|_| {
        if claimed_now {
            give_back(g, &store, &slot, &me);
        }
    })?;
    let Op::Record {
        deployment: record, ..
    } = &op
    else {
        unreachable!("a deploy makes a record")
    };
    let (record, status, error) = (record.clone(), record.status, record.error.clone());
    if status != DeployStatus::Succeeded && claimed_now {
        // The slot goes back with the record: its env file describes nothing live.
        let _ = std::fs::remove_file(&plan.env_file);
        let _ = std::fs::remove_file(&plan.compose_file);
    }
    let file = record.file_name();
    if args.json {
        store.apply(&op)?;
        g.ui.json(&serde_json::json!({"schema": 1, "file": file, "deployment": record}))?;
    } else {
        execute(&s, g, &op, false, false)?;
    }
    match status {
        DeployStatus::Succeeded => {
            g.ui.done(format!(
                "deployed {} {} to {slot}",
                plan.kickoff,
                plan.commit.get(..10).unwrap_or(&plan.commit)
            ));
            Ok(())
        }
        _ => Err(SlotError::DeployFailed {
            status: error.unwrap_or_else(|| status.as_str().into()),
            record: file,
            outcome: status.as_str().replace('-', " "),
        }
        .into()),
    }
}

/// A kickoff may hold a slot that is no longer in `slots.names`: refuse to
/// deploy there rather than guess its ports.
fn check_held_slot(config: &crate::config::Config, kickoff: &str, slot: &str) -> Result<()> {
    if config.slots.index_of(slot).is_some() {
        return Ok(());
    }
    Err(Error::refused_hint(
        format!("{kickoff} holds {slot}, which is not in `slots.names` any more"),
        format!(
            "add {slot} back to `slots.names`, or give it up with `kickoff slot admin remove slots/{slot}.toml` and deploy again"
        ),
    ))
}

/// Give back a slot this deploy claimed when the deploy did not start.
fn give_back(g: &Global, store: &crate::state::Store, slot: &str, me: &crate::slots::Person) {
    let op = Op::Release {
        id: new_id(),
        slot: Some(slot.to_string()),
        kickoff: None,
        by: me.clone(),
        at: now(),
        force: true,
    };
    match store.apply(&op) {
        Ok(_) => g.ui.info(format!("gave {slot} back")),
        Err(e) => g.ui.warn(format!(
            "could not give {slot} back ({e}); release it with `kickoff slot release {slot}`"
        )),
    }
}

#[allow(clippy::too_many_arguments)]
fn plan(
    s: &Session,
    c: &SlotsConfig,
    id: String,
    slot: &str,
    kickoff: &str,
    commit: &str,
    platform_version: Option<String>,
    tickets: Vec<String>,
    program: PathBuf,
) -> Result<DeployPlan> {
    let project = c.project(slot);
    let image_tag = format!("{kickoff}-{}", &commit[..12.min(commit.len())]);
    let env_file = envfile::location(s.repo.workdir(), s.repo.common_dir(), &c.env_dir, slot)
        .map_err(SlotError::from)?;
    let compose_file = env_file.with_file_name(crate::slots::compose::file_name(slot));
    let compose_text = crate::slots::compose::render(c, slot, kickoff, &image_tag);
    let number = c.index_of(slot).expect("a configured slot") + 1;
    let mut env: Vec<(String, String)> = vec![
        ("COMPOSE_PROJECT_NAME".into(), project.clone()),
        ("KICKOFF_SLOT".into(), slot.into()),
        ("KICKOFF_SLOT_NUMBER".into(), number.to_string()),
        ("KICKOFF_KICKOFF".into(), kickoff.into()),
        ("KICKOFF_COMMIT".into(), commit.into()),
        ("KICKOFF_IMAGE_TAG".into(), image_tag.clone()),
        (
            "KICKOFF_PLATFORM_VERSION".into(),
            platform_version.clone().unwrap_or_default(),
        ),
        ("KICKOFF_TICKETS".into(), tickets.join(",")),
        ("KICKOFF_DEPLOY_ID".into(), id.clone()),
    ];
    for e in c.endpoints(slot) {
        let p = env_prefix(&e.app);
        env.push((format!("{p}_PORT"), e.port.to_string()));
        env.push((format!("{p}_INTERNAL_PORT"), e.internal_port.to_string()));
        env.push((format!("{p}_URL"), e.url.clone()));
        env.push((format!("{p}_SERVICE"), e.service.clone()));
        env.push((format!("{p}_IMAGE_TAG"), image_tag.clone()));
    }
    let env_text = envfile::render(
        &format!("written by kickoff deploy: {kickoff} on {slot}"),
        &env,
    )
    .map_err(SlotError::from)?;
    env.push((
        "KICKOFF_ENV_FILE".into(),
        env_file.to_string_lossy().into_owned(),
    ));
    env.push((
        "KICKOFF_COMPOSE_FILE".into(),
        compose_file.to_string_lossy().into_owned(),
    ));
    let fill = |a: &str| {
        a.replace("{slot}", slot)
            .replace("{kickoff}", kickoff)
            .replace("{commit}", commit)
            .replace("{env_file}", &env_file.to_string_lossy())
            .replace("{project}", &project)
            .replace("{image_tag}", &image_tag)
            .replace("{compose_file}", &compose_file.to_string_lossy())
    };
    let argv = c.deploy.iter().map(|a| fill(a)).collect();
    Ok(DeployPlan {
        id,
        slot: slot.into(),
        kickoff: kickoff.into(),
        commit: commit.into(),
        platform_version,
        tickets,
        project,
        image_tag,
        env_file,
        env_text,
        compose_file,
        compose_text,
        program,
        argv,
        env,
    })
}

/// The env file and the compose override: inside the repository (the
/// default `.git/kickoff/env` is in the git directory every worktree of the
/// clone shares), through no symbolic link, each replaced whole.
/// The files a deploy writes before it runs the command, as plan steps: the
/// env file and the compose override. If the second cannot be written, the
/// first is put back as it was.
pub fn file_steps(c: &SlotsConfig, plan: &DeployPlan) -> Plan {
    let mut steps = Plan::new();
    steps.push(Step::WriteSlotFile {
        env_dir: c.env_dir.clone(),
        name: envfile::file_name(&plan.slot),
        what: "the env file".into(),
        content: plan.env_text.clone(),
    });
    steps.push(Step::WriteSlotFile {
        env_dir: c.env_dir.clone(),
        name: crate::slots::compose::file_name(&plan.slot),
        what: "the compose override".into(),
        content: plan.compose_text.clone(),
    });
    steps
}

fn write_env_file(s: &Session, g: &Global, plan: &DeployPlan) -> Result<()> {
    crate::commands::run_plan(s, g, &file_steps(&s.config.slots, plan))
}

/// The deploy command: no shell, no stdin, its stdout and stderr both
/// streamed to our stderr (our stdout carries only the record).
fn command(s: &Session, g: &Global, plan: &DeployPlan) -> Command {
    g.ui.info(format!(
        "running {}",
        crate::output::shell_words(&plan.argv)
    ));
    let mut cmd = Command::new(&plan.program);
    cmd.args(&plan.argv[1..])
        .current_dir(s.repo.workdir())
        .stdin(Stdio::null())
        .stdout(Stdio::from(std::io::stderr()))
        .stderr(Stdio::inherit());
    for (k, v) in &plan.env {
        cmd.env(k, v);
    }
    cmd
}

/// The deploy program: a path (relative to the work tree) when it has a `/`,
/// else looked up on PATH. Must be an executable file.
/// The file a deploy program names when it exists but cannot be run (no
/// execute permission), so the refusal says that rather than "missing".
fn not_executable(workdir: &Path, program: &str) -> Option<PathBuf> {
    let is_file = |p: &Path| p.is_file();
    if program.contains('/') {
        let p = workdir.join(program);
        return is_file(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| is_file(p))
}

pub fn find_program(workdir: &Path, program: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        let p = workdir.join(program);
        return executable(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| executable(p))
}
