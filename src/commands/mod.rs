//! One module per subcommand: its clap `Args` (the doc comment is the help
//! text) and a `run` function that reads state, decides, then acts.

use crate::cli::Global;
use crate::config::Config;
use crate::error::Result;
use crate::git::Repo;

pub mod completions;
pub mod conflicts;
pub mod dashboard;
pub mod demo;
pub mod deploy;
pub mod feature;
pub mod github;
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
pub mod status;
pub mod sync;
pub mod versions;
pub mod which;

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

/// The dry-run lines for what [`publish_branch`] would do.
pub(crate) fn publish_plan(branch: &str, push: Option<&str>, checkout: bool) -> String {
    let mut text = String::new();
    if let Some(remote) = push {
        text.push_str(&format!(
            "push {branch} to {remote} with upstream tracking\n"
        ));
    }
    text.push_str(if checkout {
        "check it out\n"
    } else {
        "leave the work tree as it is (uncommitted changes)\n"
    });
    text
}

/// Share a branch a command has just created: push it with upstream tracking
/// (when `push` names a remote), then check it out when the work tree allows.
/// A failed push removes the branch again, with its config section, so nothing
/// is left half-done.
pub(crate) fn publish_branch(
    s: &Session,
    g: &Global,
    branch: &str,
    push: Option<&str>,
    checkout: bool,
) -> Result<()> {
    if let Some(remote) = push {
        let refspec = format!("refs/heads/{branch}:refs/heads/{branch}");
        if let Err(e) = s.repo.push(remote, &[&refspec], true) {
            s.repo.remove_branch(branch)?;
            return Err(crate::error::Error::Refused {
                message: format!(
                    "could not push {branch} to {remote}; the local branch was removed again: {e}"
                ),
                hint: Some(
                    "fix the remote, or create the branch locally only with --no-push".into(),
                ),
            });
        }
        g.ui.done(format!(
            "pushed {branch} to {remote} (tracking {remote}/{branch})"
        ));
    }
    if checkout {
        s.repo.checkout_branch(branch)?;
        g.ui.info(format!("switched to {branch}"));
    } else {
        g.ui.warn(format!(
            "you have uncommitted changes, so you stay where you were; `git switch {branch}` when ready"
        ));
    }
    Ok(())
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
        let session = Session { repo, config };
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
