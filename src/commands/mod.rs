//! One module per subcommand: its clap `Args` (the doc comment is the help
//! text) and a `run` function that reads state, decides, then acts.

use crate::cli::Global;
use crate::config::Config;
use crate::error::Result;
use crate::git::Repo;

pub mod dashboard;
pub mod deploy;
pub mod init;
pub mod new;
pub mod slot;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Init(init::InitArgs),
    New(new::NewArgs),
    Slot(slot::SlotArgs),
    Deploy(deploy::DeployArgs),
    Dashboard(dashboard::DashboardArgs),
}

pub fn dispatch(command: Command, g: &Global) -> Result<()> {
    match command {
        Command::Init(args) => init::run(args, g),
        Command::New(args) => new::run(args, g),
        Command::Slot(args) => slot::run(args, g),
        Command::Deploy(args) => deploy::run(args, g),
        Command::Dashboard(args) => dashboard::run(args, g),
    }
}

/// An open repository and its settings: what most commands start from.
pub struct Session {
    pub repo: Repo,
    pub config: Config,
}

impl Session {
    pub fn open(g: &Global) -> Result<Session> {
        let repo = Repo::discover(&g.dir)?;
        let config = Config::load(repo.workdir())?;
        Ok(Session { repo, config })
    }

    /// Whether the configured remote exists in this repository.
    pub fn has_remote(&self) -> bool {
        self.repo.has_remote(&self.config.remote)
    }
}
