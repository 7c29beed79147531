//! `kickoff deploy [K] [--slot S]`: put a kickoff on a QA slot and record it.

use super::slot_service::{self as service, check_slot, require_pool, store};
use super::slot_service::{now, person};
use crate::commands::slot_change::{report, state_step};
use crate::commands::{Global, Session};
use crate::error::{Error, Result};
use crate::plan::{GitEffects, Plan, Step};
use crate::slots::board::human;
use crate::slots::config::{SlotsConfig, env_prefix};
use crate::slots::{
    Applied, DeployStatus, Deployment, Op, Outcome, Person, SlotError, Ttl, envfile, new_id, runner,
};
use crate::state::{Loaded, Store};
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    /// Who deploys.
    pub who: Person,
    /// Stop the command after this long.
    pub timeout: Option<Duration>,
    /// The slot this deploy claimed, given back unless it succeeds.
    pub give_back: Option<String>,
    /// The GitHub deployment that mirrors it (`deployments = true`).
    pub github: Option<super::github::DeployMirror>,
}

/// What a deploy reads before it decides anything.
struct Facts {
    timeout: Option<Duration>,
    program: PathBuf,
    /// The kickoff's branch name.
    kickoff: String,
    commit: String,
    tickets: Vec<String>,
    platform_version: Option<String>,
    who: Person,
    /// The claim that gets the kickoff its slot (nothing when it holds one).
    claim: Op,
}

pub fn run(args: DeployArgs, g: &Global) -> Result<()> {
    let mut s = Session::open(g)?;
    let facts = read(&mut s, g, &args)?;
    let store = store(&s.repo, &s.config, &g.ui);
    if args.dry_run {
        return dry_run(&s, g, &store, &facts, args.json);
    }
    deploy(&s, g, &store, &facts, args.json)
}

/// Check the options and the deploy program, fetch, and gather the kickoff,
/// its commit, tickets and platform version.
fn read(s: &mut Session, g: &Global, args: &DeployArgs) -> Result<Facts> {
    require_pool(&s.config)?;
    let (ttl, timeout) = times(s, args)?;
    if let Some(slot) = &args.slot {
        check_slot(&s.config, slot)?;
    }
    let program = deploy_program(s)?;
    envfile::preflight(
        s.repo.workdir(),
        s.repo.common_dir(),
        &s.config.slots.env_dir,
        &s.config.slots.names,
    )
    .map_err(SlotError::from)?;
    fetch(s, g)?;
    // The record's tickets walk history: a shallow clone is deepened (after
    // the checks above, so bad input changes nothing).
    super::fresh::deepen(s, g, "deploy")?;
    let s = &*s;
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
    let who = person(&s.repo)?;
    let claim = Op::Claim {
        id: new_id(),
        kickoff: k.branch(),
        by: who.clone(),
        at: now(),
        ttl: ttl.to_string(),
        slot: args.slot.clone(),
        reason: Some("deploy".into()),
        queue: false,
        via: "deploy".into(),
    };
    let main = crate::kickoffs::main_tip(&s.repo, &s.config)?;
    let base = match main {
        Some(m) => s.repo.merge_base(commit, m)?,
        None => None,
    };
    Ok(Facts {
        timeout,
        program,
        kickoff: k.branch(),
        commit: commit.to_string(),
        tickets: s
            .repo
            .tickets_between(commit, base, &s.config.ticket_pattern, 5000)?,
        platform_version: crate::release::catalog::Catalog::local(&s.repo)?
            .version_at(&k.name, commit)
            .map(|t| t.version.to_string()),
        who,
        claim,
    })
}

/// The lease time of a claim and the deploy command's time limit: the
/// options, else the settings.
fn times(s: &Session, args: &DeployArgs) -> Result<(Ttl, Option<Duration>)> {
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
    Ok((ttl, timeout))
}

/// The configured deploy program, found and executable.
fn deploy_program(s: &Session) -> Result<PathBuf> {
    let argv = &s.config.slots.deploy;
    if argv.is_empty() {
        return Err(SlotError::DeployNotConfigured.into());
    }
    find_program(s.repo.workdir(), &argv[0]).ok_or_else(|| {
        match not_executable(s.repo.workdir(), &argv[0]) {
            Some(path) => SlotError::DeployNotExecutable {
                program: argv[0].clone(),
                path: path.display().to_string(),
            },
            None => SlotError::DeployNotFound {
                program: argv[0].clone(),
            },
        }
        .into()
    })
}

/// Fetch the branches and the platform tags (a record names a version only
/// if its tag is here).
fn fetch(s: &Session, g: &Global) -> Result<()> {
    service::fetch_branches(&s.repo, &s.config, false)?;
    if s.has_remote() {
        if let Err(e) = s.repo.fetch_platform_tags(&s.config.remote) {
            g.ui.warn(format!(
                "could not fetch the platform tags; the record names a version only if its tag is here: {e}"
            ));
        }
    }
    Ok(())
}

/// `--dry-run`: the whole plan (the claim, then the steps for the slot it
/// would get) on stdout; on stderr the files it would write, with content.
fn dry_run(s: &Session, g: &Global, store: &Store, f: &Facts, json: bool) -> Result<()> {
    let current = store.read(false)?;
    let mut state = current.state.clone();
    let applied = f.claim.apply(&mut state, &s.config.slots.names)?;
    let (slot, claimed) = slot_of(&applied);
    check_held_slot(&s.config, &f.kickoff, &slot)?;
    let d = describe(s, f, &slot, claimed)?;
    let mut plan = Plan::from_iter([state_step(&f.claim, store)]);
    plan.steps
        .extend(steps(&s.config.slots, &d, store.remote()).steps);
    super::show_plan(g, &plan, json)?;
    if claimed {
        g.ui.info(format!("would claim {slot}"));
    }
    for (what, path, text) in [
        ("the env file", &d.env_file, &d.env_text),
        ("the compose override", &d.compose_file, &d.compose_text),
    ] {
        g.ui.info(format!("{what} ({}):\n{text}", path.display()));
    }
    Ok(())
}

/// Claim (unless the kickoff holds a slot), then run the steps for the slot
/// the claim gave, with one interpreter: a failure before the deploy command
/// ran gives a slot claimed here back.
fn deploy(s: &Session, g: &Global, store: &Store, f: &Facts, json: bool) -> Result<()> {
    let mut effects = GitEffects::new(&s.repo)
        .with_state(store)
        .with_github(Box::new(|| super::github::connect(s, g)));
    let mut run = super::interpreter(g, &mut effects);
    run.run(&Plan::from_iter([state_step(&f.claim, store)]))?;
    let (_, applied, _) = run.effects().applied.last().expect("the claim ran");
    let (slot, claimed) = slot_of(applied);
    report_claim(g, applied);
    let described =
        check_held_slot(&s.config, &f.kickoff, &slot).and_then(|()| describe(s, f, &slot, claimed));
    let d = match described {
        Ok(d) => d,
        Err(e) => {
            // Nothing was deployed: a slot claimed for it goes back.
            for what in run.undo_all() {
                g.ui.info(what);
            }
            return Err(e);
        }
    };
    run.run(&steps(&s.config.slots, &d, store.remote()))?;
    let (op, applied, loaded) = effects.applied.pop().expect("the record was published");
    finish(g, &d, &op, &applied, &loaded, json)
}

/// The slot a deploy's claim got or found, and whether it claimed it now.
fn slot_of(applied: &Applied) -> (String, bool) {
    match &applied.outcome {
        Outcome::Claimed { slot, .. } => (slot.clone(), true),
        Outcome::AlreadyHeld { slot, .. } => (slot.clone(), false),
        _ => unreachable!("a claim without --queue claims or refuses"),
    }
}

fn report_claim(g: &Global, applied: &Applied) {
    if let Outcome::Claimed {
        slot,
        until,
        took_over_from,
    } = &applied.outcome
    {
        if let Some(p) = took_over_from {
            g.ui.warn(format!(
                "{slot}'s lease by {} expired at {}; taken over (recorded)",
                p.kickoff,
                human(&p.until)
            ));
        }
        g.ui.done(format!("claimed {slot} until {}", human(until)));
    }
}

/// Report the published record; a deploy that did not succeed is an error.
fn finish(
    g: &Global,
    d: &DeployPlan,
    op: &Op,
    applied: &Applied,
    loaded: &Loaded,
    json: bool,
) -> Result<()> {
    let Op::Record {
        deployment: record, ..
    } = op
    else {
        unreachable!("a deploy makes a record")
    };
    let file = record.file_name();
    if json {
        g.ui.json(&serde_json::json!({"schema": 1, "file": file, "deployment": record}))?;
    } else {
        report(g, op, applied, loaded, false, false)?;
    }
    match record.status {
        DeployStatus::Succeeded => {
            g.ui.done(format!(
                "deployed {} {} to {}",
                d.kickoff,
                d.commit.get(..10).unwrap_or(&d.commit),
                d.slot
            ));
            Ok(())
        }
        status => Err(SlotError::DeployFailed {
            status: record
                .error
                .clone()
                .unwrap_or_else(|| status.as_str().into()),
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

/// The deploy of the kickoff in `f` to `slot`: its files, command line and
/// environment. `claimed`: the slot was claimed for this deploy.
fn describe(s: &Session, f: &Facts, slot: &str, claimed: bool) -> Result<DeployPlan> {
    let c = &s.config.slots;
    let (kickoff, commit) = (f.kickoff.as_str(), f.commit.as_str());
    let id = new_id();
    let project = c.project(slot);
    let image_tag = format!("{kickoff}-{}", &commit[..12.min(commit.len())]);
    let env_file = envfile::location(s.repo.workdir(), s.repo.common_dir(), &c.env_dir, slot)
        .map_err(SlotError::from)?;
    let compose_file = env_file.with_file_name(crate::slots::compose::file_name(slot));
    let mut env = deploy_env(c, slot, f, &id, &project, &image_tag);
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
    let github = super::github::deploy_mirror(
        s,
        slot,
        f.platform_version.as_deref(),
        &f.tickets,
        kickoff,
        commit,
        &id,
    );
    Ok(DeployPlan {
        github,
        id,
        slot: slot.into(),
        kickoff: kickoff.into(),
        commit: commit.into(),
        platform_version: f.platform_version.clone(),
        tickets: f.tickets.clone(),
        compose_text: crate::slots::compose::render(c, slot, kickoff, &image_tag),
        project,
        image_tag,
        env_file,
        env_text,
        compose_file,
        program: f.program.clone(),
        argv,
        env,
        who: f.who.clone(),
        timeout: f.timeout,
        give_back: claimed.then(|| slot.to_string()),
    })
}

/// The variables of the env file (and of the deploy command's environment).
fn deploy_env(
    c: &SlotsConfig,
    slot: &str,
    f: &Facts,
    id: &str,
    project: &str,
    image_tag: &str,
) -> Vec<(String, String)> {
    let number = c.index_of(slot).expect("a configured slot") + 1;
    let mut env: Vec<(String, String)> = vec![
        ("COMPOSE_PROJECT_NAME".into(), project.into()),
        ("KICKOFF_SLOT".into(), slot.into()),
        ("KICKOFF_SLOT_NUMBER".into(), number.to_string()),
        ("KICKOFF_KICKOFF".into(), f.kickoff.clone()),
        ("KICKOFF_COMMIT".into(), f.commit.clone()),
        ("KICKOFF_IMAGE_TAG".into(), image_tag.into()),
        (
            "KICKOFF_PLATFORM_VERSION".into(),
            f.platform_version.clone().unwrap_or_default(),
        ),
        ("KICKOFF_TICKETS".into(), f.tickets.join(",")),
        ("KICKOFF_DEPLOY_ID".into(), id.into()),
    ];
    for e in c.endpoints(slot) {
        let p = env_prefix(&e.app);
        env.push((format!("{p}_PORT"), e.port.to_string()));
        env.push((format!("{p}_INTERNAL_PORT"), e.internal_port.to_string()));
        env.push((format!("{p}_URL"), e.url.clone()));
        env.push((format!("{p}_SERVICE"), e.service.clone()));
        env.push((format!("{p}_IMAGE_TAG"), image_tag.into()));
    }
    env
}

/// The steps of a deploy once its slot is known, in order: write the slot's
/// env file and compose override (inside the repository, through no link,
/// each replaced whole; the first is put back if the second fails), run the
/// deploy command, publish its record, succeeded or not (giving back a slot
/// claimed for this deploy when it did not succeed). A step every deploy
/// makes (such as telling a hosting service) is added here.
pub fn steps(c: &SlotsConfig, d: &DeployPlan, remote: Option<&str>) -> Plan {
    let plan = local_steps(c, d, remote);
    match &d.github {
        Some(mirror) => mirror.around(plan),
        None => plan,
    }
}

/// [`steps`] without GitHub.
fn local_steps(c: &SlotsConfig, d: &DeployPlan, remote: Option<&str>) -> Plan {
    let file = |name: String, what: &str, content: &str| Step::WriteSlotFile {
        env_dir: c.env_dir.clone(),
        name,
        what: what.into(),
        content: content.into(),
    };
    Plan::from_iter([
        file(envfile::file_name(&d.slot), "the env file", &d.env_text),
        file(
            crate::slots::compose::file_name(&d.slot),
            "the compose override",
            &d.compose_text,
        ),
        Step::RunDeploy {
            slot: d.slot.clone(),
            kickoff: d.kickoff.clone(),
            program: d.program.clone(),
            argv: d.argv.clone(),
            env: d.env.clone(),
            timeout: d.timeout,
            record: Box::new(record(d)),
            give_back: d.give_back.clone(),
        },
        Step::RecordDeployment {
            slot: d.slot.clone(),
            kickoff: d.kickoff.clone(),
            give_back: d.give_back.clone(),
            files: match d.give_back {
                Some(_) => vec![d.env_file.clone(), d.compose_file.clone()],
                None => Vec::new(),
            },
            remote: remote.map(str::to_string),
        },
    ])
}

/// The deployment record as it starts (the run sets its times and outcome).
fn record(d: &DeployPlan) -> Deployment {
    let started = now();
    Deployment {
        id: d.id.clone(),
        slot: d.slot.clone(),
        kickoff: d.kickoff.clone(),
        commit: d.commit.clone(),
        platform_version: d.platform_version.clone(),
        tickets: d.tickets.clone(),
        who: d.who.clone(),
        started_at: started,
        finished_at: started,
        duration_ms: 0,
        status: DeployStatus::Interrupted,
        exit_code: None,
        signal: None,
        error: None,
        image_tag: d.image_tag.clone(),
        project: d.project.clone(),
        github_deployment: None,
    }
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
