//! One module per subcommand: its clap `Args` (the doc comment is the help
//! text) and a `run` function that reads state, decides, then acts.

use crate::config::Config;
use crate::error::Result;
use crate::git::Repo;
use crate::kickoffs::{self, Kickoff, Resolved};
use crate::output::Ui;
use crate::plan::{GitEffects, Interpreter, Plan};
use std::path::PathBuf;

pub mod completions;
pub mod conflicts;
pub mod dashboard;
pub mod demo;
pub mod deploy;
pub mod feature;
pub mod fresh;
pub mod github;
pub mod github_sync;
pub mod hook;
pub mod init;
pub mod land;
pub mod list;
pub mod new;
pub mod notes;
pub mod pr;
pub mod release;
pub mod show;
pub mod slot;
pub mod slot_admin;
pub mod slot_change;
pub mod slot_routes;
pub mod slot_service;
pub mod status;
pub mod sync;
pub mod versions;
pub mod which;

/// What every command gets besides its own arguments.
pub struct Global {
    pub dir: PathBuf,
    pub yes: bool,
    pub ui: Ui,
    /// The whole command line's definition (for completion scripts), handed
    /// down by the CLI so that commands do not import it.
    pub cli: fn() -> clap::Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Init(init::InitArgs),
    New(new::NewArgs),
    Feature(feature::FeatureArgs),
    Sync(sync::SyncArgs),
    List(list::ListArgs),
    Status(status::StatusArgs),
    Release(release::ReleaseArgs),
    Versions(versions::VersionsArgs),
    Show(show::ShowArgs),
    Notes(notes::NotesArgs),
    Which(which::WhichArgs),
    Land(land::LandArgs),
    Conflicts(conflicts::ConflictsArgs),
    Hook(hook::HookArgs),
    Slot(slot::SlotArgs),
    Deploy(deploy::DeployArgs),
    Github(github::GithubArgs),
    Pr(pr::PrArgs),
    Dashboard(dashboard::DashboardArgs),
    Demo(demo::DemoArgs),
    Completions(completions::CompletionsArgs),
}

pub fn dispatch(command: Command, g: &Global) -> Result<()> {
    match command {
        Command::Conflicts(args) => conflicts::run(args, g),
        Command::Init(args) => init::run(args, g),
        Command::Demo(args) => demo::run(args, g),
        Command::Hook(args) => hook::run(args, g),
        Command::New(args) => new::run(args, g),
        Command::Feature(args) => feature::run(args, g),
        Command::Sync(args) => sync::run(args, g),
        Command::List(args) => list::run(args, g),
        Command::Status(args) => status::run(args, g),
        Command::Completions(args) => completions::run(args, g),
        Command::Release(args) => release::run(args, g),
        Command::Versions(args) => versions::run(args, g),
        Command::Show(args) => show::run(args, g),
        Command::Notes(args) => notes::run(args, g),
        Command::Which(args) => which::run(args, g),
        Command::Land(args) => land::run(args, g),
        Command::Slot(args) => slot::run(args, g),
        Command::Deploy(args) => deploy::run(args, g),
        Command::Github(args) => github::run(args, g),
        Command::Pr(args) => pr::run(args, g),
        Command::Dashboard(args) => dashboard::run(args, g),
    }
}

/// The store's notices on the terminal: warnings as warnings, progress as
/// information (quiet under `-q`).
impl crate::state::Notices for Ui {
    fn notice(&self, notice: crate::state::Notice) {
        match notice {
            crate::state::Notice::Warning(m) => self.warn(m),
            crate::state::Notice::Progress(m) => self.info(m),
        }
    }
}

/// `--dry-run`: print the plan on stdout (as JSON with `--json`), change nothing.
pub(crate) fn show_plan(g: &Global, plan: &Plan, json: bool) -> Result<()> {
    g.ui.info("dry run: nothing changed");
    if json {
        g.ui.json(&plan.json())
    } else {
        g.ui.data(&plan.text())
    }
}

/// `--dry-run` of a command whose plan comes with prose: a summary line, the
/// steps under `steps:`, then sections (`message:`, `rules:`). With `--json`
/// only the plan is printed.
pub(crate) fn show_plan_with(
    g: &Global,
    summary: &str,
    plan: &Plan,
    sections: &str,
    json: bool,
) -> Result<()> {
    if json {
        return show_plan(g, plan, true);
    }
    g.ui.info("dry run: nothing changed");
    let mut text = format!("{summary}\n\nsteps:\n");
    for line in plan.text().lines() {
        text.push_str(&format!("  {line}\n"));
    }
    text.push_str(sections);
    g.ui.data(&text)
}

/// Carry a plan out on the session's repository, reporting each step. With
/// `KICKOFF_PLAN_LOG=FILE`, each applied step's line is appended to FILE.
pub(crate) fn run_plan(s: &Session, g: &Global, plan: &Plan) -> Result<()> {
    let mut effects = GitEffects::new(&s.repo).with_github(Box::new(|| github::connect(s, g)));
    interpreter(g, &mut effects).run(plan)
}

/// [`run_plan`] for a command that needs no settings (`hook install`).
pub(crate) fn run_plan_on(repo: &Repo, g: &Global, plan: &Plan) -> Result<()> {
    let mut effects = GitEffects::new(repo);
    interpreter(g, &mut effects).run(plan)
}

/// The interpreter a command runs its plans with: progress on the terminal,
/// each applied step appended to `KICKOFF_PLAN_LOG` when set.
pub(crate) fn interpreter<'a, E: crate::plan::Effects + ?Sized>(
    g: &'a Global,
    effects: &'a mut E,
) -> Interpreter<'a, E> {
    Interpreter::new(effects)
        .with_ui(&g.ui)
        .with_log(std::env::var_os("KICKOFF_PLAN_LOG").map(Into::into))
}

/// Resolve the kickoff a command means: the explicit name when given (which
/// must exist), else the current branch's kickoff, else a prompt on a
/// terminal, else an error listing the live kickoffs.
pub(crate) fn resolve_kickoff(
    repo: &Repo,
    config: &Config,
    ui: &Ui,
    explicit: Option<&str>,
    flag: &str,
) -> Result<Kickoff> {
    let (known, choices, detached) = match kickoffs::resolve(repo, config, explicit)? {
        Resolved::Found(k) => return Ok(k),
        Resolved::Choose {
            known,
            choices,
            detached,
        } => (known, choices, detached),
    };
    if detached && !ui.interactive() {
        return Err(crate::error::Error::usage_hint(
            format!(
                "HEAD is detached, so no kickoff is implied; choose one of:\n  {}",
                choices.join("\n  ")
            ),
            format!("name the kickoff with {flag}, or check out a kickoff or feature branch"),
        ));
    }
    let picked = crate::prompt::select(ui, "kickoff", flag, &choices)?;
    Ok(known
        .into_iter()
        .find(|k| k.branch() == picked)
        .expect("picked from the known kickoffs"))
}

/// An open repository and its settings: what most commands start from.
pub struct Session {
    pub repo: Repo,
    pub config: Config,
}

impl Session {
    pub fn open(g: &Global) -> Result<Session> {
        let repo = Repo::discover(&g.dir)?;
        let loaded = crate::config_source::load(&repo)?;
        if let Some(note) = &loaded.note {
            g.ui.info(note);
        }
        let session = Session {
            repo,
            config: loaded.config,
        };
        session.warn_missing_remote(g);
        Ok(session)
    }

    /// A `core.remote` that names none of the repository's remotes silently
    /// turns off every fetch and push: say so when other remotes exist.
    fn warn_missing_remote(&self, g: &Global) {
        if self.has_remote() {
            return;
        }
        let others = self.repo.git(["remote"]).unwrap_or_default();
        let others: Vec<&str> = others.split_whitespace().collect();
        if others.is_empty() {
            return;
        }
        g.ui.warn(format!(
            "there is no remote `{}` (core.remote), so nothing is fetched or pushed; this repository has: {}. Set `core.remote` in .kickoff.toml, or add the remote with `git remote add`",
            self.config.remote,
            others.join(", ")
        ));
    }

    /// Whether the configured remote exists in this repository.
    pub fn has_remote(&self) -> bool {
        self.repo.has_remote(&self.config.remote)
    }
}
