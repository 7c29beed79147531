//! `kickoff hook`: install, remove and inspect the pre-push hook, and
//! `kickoff hook pre-push`, the policy check git runs through the shim.
//!
//! The pre-push path is kept cheap: stdin is read whole first (so git never
//! sees a broken pipe, whatever happens next), settings are loaded once, and
//! the repository is only asked what the policy needs for the refs pushed; a
//! feature branch costs no ref reads at all. Nothing is fetched.

use crate::commands::Global;
use crate::commands::Session;
use crate::config::Config;
use crate::conflict;
use crate::error::{Error, Result};
use crate::git::Repo;
use crate::git::git2::Oid;
use crate::hook::HookError;
use crate::hook::install::{self, OnDisk, Step};
use crate::hook::policy::{
    self, ConflictWith, Context, Facts, Finding, OnKickoff, TagFacts, Target,
};
use crate::hook::protocol::{self, PushLine};
use crate::kickoffs;
use crate::naming::KickoffName;
use crate::plan::{self, Plan};
use crate::release::{self, Rule as ReleaseRule, RuleViolation, catalog::PushedTag};
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

/// Install, remove or inspect the pre-push hook that applies the team's push rules.
///
/// The rules (branch names, main protection, platform tags, kickoff rewrites,
/// conflicts) are set in .kickoff.toml [hook]; docs/hook.md describes them.
#[derive(Debug, clap::Args)]
pub struct HookArgs {
    #[command(subcommand)]
    pub command: HookCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum HookCommand {
    /// Install the hook where git runs hooks (honours core.hooksPath and worktrees).
    ///
    /// An existing pre-push hook is kept: it moves to pre-push.kickoff-chained
    /// and runs after kickoff approves a push. Running install again updates an
    /// outdated shim.
    Install(ChangeArgs),
    /// Remove the hook and put back the pre-push hook that was there before.
    Uninstall(ChangeArgs),
    /// Say whether the hook is installed, where, and whether it is current.
    Status(StatusArgs),
    /// Check a push (what the installed hook runs): reads git's pre-push lines on stdin.
    ///
    /// Exits 0 when the push may go ahead, 3 when it is refused, 2 on bad input.
    /// Set KICKOFF_LAND=1 to push main the way `kickoff land` does.
    PrePush(PrePushArgs),
    /// Check a push on the receiving side: what a self-hosted bare remote's
    /// pre-receive hook runs, where `--no-verify` cannot skip it.
    ///
    /// Reads git's pre-receive lines (`<old> <new> <ref>`) on stdin and applies
    /// exactly the rules of the pre-push hook, with .kickoff.toml read from the
    /// remote's HEAD. Install it as hooks/pre-receive:
    /// `#!/bin/sh` then `exec kickoff hook pre-receive`. A landing push
    /// (`KICKOFF_LAND=1` on the client) is told by the push option
    /// `KICKOFF_LAND=1` (`git push -o KICKOFF_LAND=1`, with
    /// receive.advertisePushOptions on the remote). Exits 0 to accept, 3 to
    /// refuse, 2 on bad input.
    PreReceive,
    /// Check one ref update in CI with the rules of the pre-push hook.
    ///
    /// `--range OLD..NEW` (commits, or 40 zeros for a created or deleted ref)
    /// and `--ref refs/heads/NAME`. Set KICKOFF_LAND=1 to check it as a
    /// landing. Exits 0 when the update passes, 3 when it is refused.
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The update: OLD..NEW, each a commit (or tag) or 40 zeros.
    #[arg(long, value_name = "OLD..NEW", allow_hyphen_values = true)]
    pub range: String,
    /// The full ref name updated, e.g. refs/heads/main or refs/tags/platform/v1.2.0.
    #[arg(long = "ref", value_name = "REF", allow_hyphen_values = true)]
    pub refname: String,
}

#[derive(Debug, clap::Args)]
pub struct ChangeArgs {
    /// Print what would be done, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: print the plan as JSON.
    #[arg(long, requires = "dry_run")]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Print JSON (`"schema": 1`, see docs/hook.md).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct PrePushArgs {
    /// The remote's name (or its URL when the push named no remote).
    pub remote_name: String,
    /// The remote's URL.
    pub remote_url: String,
}

pub fn run(args: HookArgs, g: &Global) -> Result<()> {
    match args.command {
        HookCommand::Install(a) => install(a, g),
        HookCommand::Uninstall(a) => uninstall(a, g),
        HookCommand::Status(a) => status(a, g),
        HookCommand::PrePush(a) => pre_push(a, g),
        HookCommand::PreReceive => pre_receive(g),
        HookCommand::Check(a) => check(a, g),
    }
}

/// When the command line of `kickoff hook pre-push` does not parse, still read
/// stdin to its end, so git does not report a broken pipe on top of our error.
pub fn drain_stdin_for_hook(args: &[std::ffi::OsString]) {
    let words: Vec<_> = args.iter().skip(1).filter_map(|a| a.to_str()).collect();
    let is_hook = words
        .windows(2)
        .any(|w| w == ["hook", "pre-push"] || w == ["hook", "pre-receive"]);
    if is_hook && !std::io::stdin().is_terminal() {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
    }
}

// ---- pre-push ------------------------------------------------------------------------

fn pre_push(args: PrePushArgs, g: &Global) -> Result<()> {
    // Read everything first, before any error can end the process.
    let input = read_stdin(g, "pre-push")?;
    let lines = protocol::parse(&input)?;
    if lines.is_empty() {
        return Ok(());
    }
    let session = Session::open(g)?;
    let settings = session.config.hook_settings();
    let ctx = Context {
        config: &settings,
        land: std::env::var_os("KICKOFF_LAND").is_some_and(|v| v == "1"),
    };
    let facts = gather(&session, &args, &lines, &ctx)?;
    report(g, &policy::decide(&lines, &facts, &ctx))
}

/// Print the findings; a refusal is the error (exit 3).
fn report(g: &Global, verdict: &policy::Verdict) -> Result<()> {
    for w in &verdict.warnings {
        g.ui.warn(finding_text(w));
    }
    for r in &verdict.refusals {
        g.ui.refused(finding_text(r));
    }
    if verdict.refused() {
        return Err(HookError::Refused {
            count: verdict.refusals.len(),
        }
        .into());
    }
    Ok(())
}

/// Read all of stdin before anything can fail, so git never sees a broken pipe.
fn read_stdin(g: &Global, what: &str) -> Result<String> {
    let mut input = Vec::new();
    if std::io::stdin().is_terminal() {
        g.ui.info(format!("reading {what} lines from stdin (end with Ctrl-D)"));
    }
    std::io::stdin()
        .lock()
        .read_to_end(&mut input)
        .map_err(|e| Error::io(format!("cannot read the {what} lines on stdin"), e))?;
    Ok(String::from_utf8_lossy(&input).into_owned())
}

// ---- pre-receive and check: the same rules where the pusher cannot skip them -------

/// The pre-receive hook: the repository receiving the push is the remote, so
/// the release rules compare with its own refs (`.`), which the push has not
/// changed yet.
fn pre_receive(g: &Global) -> Result<()> {
    let input = read_stdin(g, "pre-receive")?;
    let lines = protocol::parse_receive(&input)?;
    if lines.is_empty() {
        return Ok(());
    }
    let repo = Repo::open_receiving(&g.dir)?;
    let config = match repo.head_file(crate::config::FILE_NAME)? {
        Some(text) => Config::parse(&text, Path::new("HEAD:.kickoff.toml"))?,
        None => Config::default(),
    };
    let session = Session { repo, config };
    let settings = session.config.hook_settings();
    let ctx = Context {
        config: &settings,
        land: push_option("KICKOFF_LAND=1"),
    };
    let here = PrePushArgs {
        remote_name: ".".into(),
        remote_url: ".".into(),
    };
    let facts = gather(&session, &here, &lines, &ctx)?;
    report(g, &policy::decide(&lines, &facts, &ctx))
}

/// Whether the pusher sent `git push -o <option>`.
fn push_option(option: &str) -> bool {
    let count: usize = std::env::var("GIT_PUSH_OPTION_COUNT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    (0..count).any(|i| std::env::var(format!("GIT_PUSH_OPTION_{i}")).is_ok_and(|v| v == option))
}

/// `kickoff hook check --range OLD..NEW --ref REF`, for CI.
fn check(args: CheckArgs, g: &Global) -> Result<()> {
    let bad = |m: String| {
        Error::usage_hint(
            m,
            "give --range OLD..NEW (commits, or 40 zeros for a created or deleted ref) and --ref refs/...",
        )
    };
    let (old, new) = args
        .range
        .split_once("..")
        .ok_or_else(|| bad(format!("--range {:?} is not OLD..NEW", args.range)))?;
    if !args.refname.starts_with("refs/") || !crate::config::valid_branch_name(&args.refname[5..]) {
        return Err(bad(format!(
            "--ref {:?} is not a full ref name",
            args.refname
        )));
    }
    let session = Session::open(g)?;
    let oid = |rev: &str| -> Result<protocol::ObjectId> {
        if !rev.is_empty() && rev.bytes().all(|b| b == b'0') {
            return Ok(protocol::ObjectId::parse(&"0".repeat(40)).expect("zeros"));
        }
        let id = session.repo.resolve_object(rev)?;
        Ok(protocol::ObjectId::parse(&id.to_string()).expect("an object id"))
    };
    let line = protocol::update(&args.refname, oid(old)?, oid(new)?);
    let settings = session.config.hook_settings();
    let ctx = Context {
        config: &settings,
        land: std::env::var_os("KICKOFF_LAND").is_some_and(|v| v == "1"),
    };
    let remote = PrePushArgs {
        remote_name: session.config.remote.clone(),
        remote_url: session.config.remote.clone(),
    };
    let lines = [line];
    let facts = gather(&session, &remote, &lines, &ctx)?;
    report(g, &policy::decide(&lines, &facts, &ctx))
}

fn finding_text(f: &Finding) -> String {
    format!(
        "{} [{}]\n  {}\n  fix: {}",
        f.remote_ref, f.rule, f.problem, f.fix
    )
}

/// Read the facts each line needs, and nothing more.
fn gather(
    s: &Session,
    args: &PrePushArgs,
    lines: &[PushLine],
    ctx: &Context,
) -> Result<Vec<Facts>> {
    let mut out = Vec::with_capacity(lines.len());
    // Read lazily, at most once per push: the live kickoffs and main's tip.
    let mut radar: Option<Radar> = None;
    for line in lines {
        let needs = policy::needs(line, ctx);
        let mut facts = Facts::default();
        if needs.ancestry {
            facts.fast_forward = Some(
                s.repo
                    .is_fast_forward(line.remote_oid.as_str(), line.local_oid.as_str())?,
            );
        }
        if needs.tag {
            facts.tag = Some(tag_facts(s, args, lines, line)?);
        }
        if needs.conflicts {
            if let Target::Kickoff(name) = policy::target(line, ctx.config) {
                // The radar informs; when it cannot run, say so instead of
                // stopping the push over it.
                let checked = (|| {
                    if radar.is_none() {
                        radar = Some(Radar::read(s)?);
                    }
                    let tip = Oid::from_str(line.local_oid.as_str())
                        .map_err(crate::git::GitError::from)?;
                    radar.as_ref().expect("read above").check(s, &name, tip)
                })();
                facts.conflicts = match checked {
                    Ok(found) => found,
                    Err(e) => Some(vec![ConflictWith {
                        other: "the other kickoffs and main".into(),
                        files: Vec::new(),
                        unknown: Some(e.to_string()),
                    }]),
                };
            }
        }
        out.push(facts);
    }
    Ok(out)
}

/// What a pushed kickoff is compared with: main and the other live kickoffs
/// at their newest known tips (the same selection as `kickoff conflicts
/// --kickoff`), through the conflict engine.
struct Radar {
    main: Option<(String, Oid)>,
    kickoffs: Vec<(KickoffName, conflict::Tip)>,
    options: conflict::Options,
}

impl Radar {
    fn read(s: &Session) -> Result<Radar> {
        refresh_if_stale(s);
        let main =
            kickoffs::main_tip(&s.repo, &s.config)?.map(|m| (s.config.main_branch.clone(), m));
        let mut kickoffs = Vec::new();
        for k in kickoffs::live(&s.repo, &s.config)? {
            let (tips, _) = super::conflicts::newest_tips(&s.repo, &s.config, &k)?;
            kickoffs.extend(tips.into_iter().map(|t| (k.name.clone(), t)));
        }
        Ok(Radar {
            main,
            kickoffs,
            options: conflict::Options::for_repo(&s.repo)?,
        })
    }

    /// Conflicts of `name` at `tip` with main and every other live kickoff.
    fn check(
        &self,
        s: &Session,
        name: &KickoffName,
        tip: Oid,
    ) -> Result<Option<Vec<ConflictWith>>> {
        if !s.repo.has_commit(tip) {
            return Ok(None);
        }
        let others: Vec<conflict::Tip> = self
            .main
            .iter()
            .map(|(m, oid)| conflict::Tip::new(m.clone(), *oid))
            .chain(
                self.kickoffs
                    .iter()
                    .filter(|(k, _)| k != name)
                    .map(|(_, tip)| tip.clone()),
            )
            .collect();
        if others.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let engine = conflict::Engine::new(&s.repo, self.options.clone());
        let verdicts = engine.check_against(&conflict::Tip::new(name.to_string(), tip), &others)?;
        Ok(Some(
            verdicts
                .into_iter()
                .filter_map(|v| match v.outcome {
                    conflict::Outcome::Clean => None,
                    conflict::Outcome::Conflict(paths) => Some(ConflictWith {
                        other: v.b.label,
                        files: paths.into_iter().map(|p| p.path).collect(),
                        unknown: None,
                    }),
                    conflict::Outcome::Unknown(reason) => Some(ConflictWith {
                        other: v.b.label,
                        files: Vec::new(),
                        unknown: Some(reason),
                    }),
                })
                .collect(),
        ))
    }
}

/// In `block` mode, teammates' newer tips must be known: when the
/// remote-tracking kickoff branches are older than `hook.refresh_after`
/// (or their age is unknown), fetch them once. A failed fetch is not the
/// push's fault: the check goes on with what is known.
fn refresh_if_stale(s: &Session) {
    if s.config.hook.conflicts != policy::ConflictMode::Block
        || !s.repo.has_remote(&s.config.remote)
    {
        return;
    }
    let age = super::conflicts::remote_age(&s.repo, &s.config);
    if age.is_some_and(|a| a < s.config.hook.refresh_after) {
        return;
    }
    let _ = super::conflicts::fetch_kickoffs(&s.repo, &s.config);
}

/// Read a pushed platform tag: annotation, trailers, its kickoff, the release rules.
fn tag_facts(
    s: &Session,
    args: &PrePushArgs,
    lines: &[PushLine],
    line: &PushLine,
) -> Result<TagFacts> {
    let obj = s.repo.tag_object(line.local_oid.as_str())?;
    let trailers = Repo::message_trailers(&obj.message);
    let mut facts = TagFacts {
        annotated: obj.annotated,
        target: obj.target.map(|t| t.to_string()),
        trailers,
        on_kickoff: OnKickoff::NotChecked,
        release_problems: Vec::new(),
        release_waived: Vec::new(),
    };
    let Some(target) = obj.target else {
        return Ok(facts);
    };
    let kickoff = facts
        .trailers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Kickoff"))
        .and_then(|(_, v)| KickoffName::parse(v.trim()).ok());
    if let Some(k) = &kickoff {
        facts.on_kickoff = match kickoff_tip(s, args, lines, &k.to_string())? {
            None => OnKickoff::NoSuchKickoff,
            Some(tip) if s.repo.is_ancestor(target, tip)? => OnKickoff::Contains,
            Some(tip) => OnKickoff::Elsewhere {
                tip: tip.to_string(),
            },
        };
    }
    if let Ok(object) = Oid::from_str(line.local_oid.as_str()) {
        let pushed_kickoff = kickoff
            .as_ref()
            .and_then(|k| pushed_tip(lines, &k.to_string()));
        release_rules(s, args, line, object, pushed_kickoff, &mut facts)?;
    }
    Ok(facts)
}

/// The release rules of `kickoff release`, applied to the pushed tag against
/// the remote's platform tags (read with `git ls-remote`; objects of tags this
/// repository lacks are fetched without creating refs). Rules waived when the
/// tag was made (its `Waived:` trailers) become warnings.
fn release_rules(
    s: &Session,
    args: &PrePushArgs,
    line: &PushLine,
    object: Oid,
    pushed_kickoff: Option<Oid>,
    facts: &mut TagFacts,
) -> Result<()> {
    let checked = release::catalog::check_pushed_tag(
        &s.repo,
        &args.remote_name,
        &s.config.main_branch,
        &line.remote_ref,
        object,
    )?;
    let PushedTag::Checked { facts: rf, verdict } = checked else {
        // Malformed tags are reported by the policy's own platform-tag checks.
        return Ok(());
    };
    let text = |v: &RuleViolation| format!("{v} (release rule `{}`); {}", v.rule().key(), v.hint());
    facts.release_problems = verdict
        .blocking
        .iter()
        // The kickoff travels in this same push, to exactly the tagged commit:
        // the remote will have it when the tag arrives.
        .filter(|v| !(v.rule() == ReleaseRule::RemoteMismatch && pushed_kickoff == Some(rf.commit)))
        .map(text)
        .collect();
    facts.release_waived = verdict.waived.iter().map(text).collect();
    Ok(())
}

/// The oid a branch is pushed to in this push, if it is.
fn pushed_tip(lines: &[PushLine], branch: &str) -> Option<Oid> {
    let full = format!("refs/heads/{branch}");
    lines
        .iter()
        .find(|l| l.remote_ref == full && !l.local_oid.is_zero())
        .and_then(|l| Oid::from_str(l.local_oid.as_str()).ok())
}

/// The tip of a kickoff branch: pushed in this same push, else local, else the remote's.
fn kickoff_tip(
    s: &Session,
    args: &PrePushArgs,
    lines: &[PushLine],
    branch: &str,
) -> Result<Option<Oid>> {
    if let Some(oid) = pushed_tip(lines, branch) {
        return Ok(Some(oid));
    }
    if let Some(oid) = s.repo.branch_oid(branch)? {
        return Ok(Some(oid));
    }
    for remote in [args.remote_name.as_str(), s.config.remote.as_str()] {
        if s.repo.has_remote(remote) {
            if let Some(oid) = s.repo.remote_branch_oid(remote, branch)? {
                return Ok(Some(oid));
            }
        }
    }
    Ok(None)
}

// ---- install / uninstall / status ---------------------------------------------------------

/// Where the hook goes and what is there now.
struct Place {
    dir: PathBuf,
    dir_exists: bool,
    hook: PathBuf,
    disk: OnDisk,
}

fn place(repo: &Repo) -> Result<Place> {
    let dir = repo.hooks_dir()?;
    let hook = dir.join("pre-push");
    let read = |p: &Path| match std::fs::read(p) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("cannot read {}", p.display()), e)),
    };
    let bytes = read(&hook)?;
    // A dangling symlink is still a hook someone put there.
    let bytes = match bytes {
        None if hook.symlink_metadata().is_ok() => Some(Vec::new()),
        b => b,
    };
    Ok(Place {
        dir_exists: dir.is_dir(),
        disk: OnDisk {
            executable: is_executable(&hook),
            hook: bytes,
            chained_exists: install::chained_path(&hook).symlink_metadata().is_ok(),
        },
        dir,
        hook,
    })
}

fn this_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::io("cannot find the kickoff program's path", e))?;
    Ok(exe.canonicalize().unwrap_or(exe))
}

fn install(args: ChangeArgs, g: &Global) -> Result<()> {
    let repo = Repo::discover(&g.dir)?;
    let p = place(&repo)?;
    let shim = install::render(&this_binary()?);
    let steps = install::plan_install(&p.dir, p.dir_exists, &p.disk, &shim)?;
    if steps.is_empty() {
        g.ui.done(format!(
            "the kickoff pre-push hook is installed and current at {}",
            p.hook.display()
        ));
        return Ok(());
    }
    if args.dry_run {
        return super::show_plan(g, &to_plan(steps), args.json);
    }
    super::run_plan_on(&repo, g, &to_plan(steps.clone()))?;
    g.ui.done(format!(
        "installed the kickoff pre-push hook at {}",
        p.hook.display()
    ));
    let chained = install::chained_path(&p.hook);
    if steps.iter().any(|s| matches!(s, Step::Rename { .. })) || p.disk.chained_exists {
        g.ui.info(format!(
            "the earlier pre-push hook is kept as {} and runs after kickoff approves a push",
            chained.display()
        ));
    }
    Ok(())
}

fn uninstall(args: ChangeArgs, g: &Global) -> Result<()> {
    let repo = Repo::discover(&g.dir)?;
    let p = place(&repo)?;
    let steps = install::plan_uninstall(&p.dir, &p.disk);
    if steps.is_empty() {
        let what = if p.disk.hook.is_some() {
            "the pre-push hook there is not kickoff's; left as it is"
        } else {
            "no pre-push hook is installed"
        };
        g.ui.info(format!("{}: {what}", p.hook.display()));
        return Ok(());
    }
    if args.dry_run {
        return super::show_plan(g, &to_plan(steps), args.json);
    }
    super::run_plan_on(&repo, g, &to_plan(steps.clone()))?;
    match &steps[0] {
        Step::Rename { from, .. } => g.ui.done(format!(
            "removed the kickoff pre-push hook; put back the earlier hook from {}",
            from.display()
        )),
        _ => g.ui.done(format!(
            "removed the kickoff pre-push hook from {}",
            p.hook.display()
        )),
    }
    Ok(())
}

/// The hooks-directory changes as steps of a plan.
fn to_plan(steps: Vec<Step>) -> Plan {
    steps
        .into_iter()
        .map(|step| match step {
            Step::CreateDir(path) => plan::Step::CreateDir { path },
            Step::Rename { from, to } => plan::Step::Rename { from, to },
            Step::Write { path, content } => plan::Step::WriteExecutable {
                path,
                what: "the kickoff shim".into(),
                content,
            },
            Step::Remove(path) => plan::Step::RemoveFile { path },
        })
        .collect()
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

#[derive(Debug, serde::Serialize)]
struct Status {
    schema: u32,
    installed: bool,
    current: bool,
    path: PathBuf,
    hooks_dir: PathBuf,
    /// The kickoff program the installed shim runs (`null`: looked up on PATH).
    recorded_binary: Option<String>,
    this_binary: PathBuf,
    /// An earlier hook that runs after kickoff approves.
    chained: Option<PathBuf>,
    /// A pre-push hook that is not kickoff's is in place.
    other_hook: bool,
    /// The hook file is executable (git skips a hook that is not).
    executable: bool,
    conflicts: policy::ConflictMode,
}

fn status(args: StatusArgs, g: &Global) -> Result<()> {
    let repo = Repo::discover(&g.dir)?;
    let config = crate::config_source::load(&repo)?.config;
    let p = place(&repo)?;
    let bin = this_binary()?;
    let shim = install::render(&bin);
    let ours = p.disk.hook.as_deref().is_some_and(install::is_ours);
    let st = Status {
        schema: 1,
        installed: ours,
        current: ours && p.disk.hook.as_deref() == Some(shim.as_bytes()),
        recorded_binary: p
            .disk
            .hook
            .as_deref()
            .filter(|_| ours)
            .and_then(install::recorded_bin),
        this_binary: bin,
        chained: (ours && p.disk.chained_exists).then(|| install::chained_path(&p.hook)),
        other_hook: p.disk.hook.is_some() && !ours,
        executable: is_executable(&p.hook),
        conflicts: config.hook.conflicts,
        path: p.hook,
        hooks_dir: p.dir,
    };
    if args.json {
        return g.ui.json(&st);
    }
    let mut text = String::new();
    let state = match (st.installed, st.current) {
        (true, _) if !st.executable => {
            "installed but not executable: git skips it (run `kickoff hook install`)".to_string()
        }
        (true, true) => "installed, current".to_string(),
        (true, false) => {
            "installed, outdated (run `kickoff hook install` to update it)".to_string()
        }
        (false, _) if st.other_hook => {
            "not installed; another pre-push hook is there (install keeps it and chains it)"
                .to_string()
        }
        (false, _) => "not installed (run `kickoff hook install`)".to_string(),
    };
    text.push_str(&format!("pre-push hook: {state}\n"));
    text.push_str(&format!("path: {}\n", st.path.display()));
    if st.installed {
        text.push_str(&format!(
            "runs: {}\n",
            st.recorded_binary.as_deref().unwrap_or("kickoff from PATH")
        ));
    }
    if let Some(c) = &st.chained {
        text.push_str(&format!(
            "chained: {} (runs after kickoff approves)\n",
            c.display()
        ));
    }
    g.ui.data(&text)
}
