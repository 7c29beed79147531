//! The one interpreter of plans, and the effects it drives.
//!
//! [`Interpreter::run`] applies a plan's steps in order through an
//! [`Effects`]: [`GitEffects`] changes the repository and the files, a
//! [`Recorder`] only records (tests compare what it ran with what `--dry-run`
//! printed). Each applied step returns its [`Undo`]; when a later step fails,
//! the completed steps are undone in reverse order, back to the last step
//! that cannot be taken back, and the error says what was undone.

use super::{GitHubCall, Plan, Step, short};
use crate::error::{Error, Result};
use crate::git::Repo;
use crate::git::flow::WorktreeMerge;
use crate::github::{GitHub, GitHubError};
use crate::output::Ui;
use crate::slots::clock::now;
use crate::slots::{Applied, Op, Outcome, new_id};
use crate::state::{Loaded, Store};
use std::path::{Path, PathBuf};

/// How an applied step is taken back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undo {
    /// Apply this step.
    Step(Step),
    /// Nothing to take back (the step changed nothing lasting).
    Nothing,
    /// It cannot be taken back (others may have seen it): undoing stops here.
    Irreversible,
}

/// What carries out steps.
pub trait Effects {
    /// Carry out one step and say how to take it back.
    fn apply(&mut self, step: &Step) -> Result<Undo>;

    /// What the step just applied answered, in words, when the report should
    /// say it (a GitHub call: the release's URL, the merge commit).
    fn outcome(&mut self) -> Option<String> {
        None
    }
}

/// Runs plans: in order, reporting progress, undoing on failure.
///
/// One interpreter may run several plans one after the other (a deploy runs
/// its claim, then the steps for the slot the claim gave): a failure undoes
/// the completed steps of every plan it ran.
pub struct Interpreter<'a, E: Effects + ?Sized = dyn Effects> {
    effects: &'a mut E,
    ui: Option<&'a Ui>,
    log: Option<PathBuf>,
    /// How to take back each completed step, in order.
    undo: Vec<Undo>,
    warnings: Vec<String>,
}

impl<'a, E: Effects + ?Sized> Interpreter<'a, E> {
    pub fn new(effects: &'a mut E) -> Interpreter<'a, E> {
        Interpreter {
            effects,
            ui: None,
            log: None,
            undo: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// What carries the steps out (to read what they found, such as the
    /// outcome of a state operation).
    pub fn effects(&self) -> &E {
        self.effects
    }

    /// The warnings of mirror steps that failed (each also printed when
    /// there is a terminal).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Append the line of each applied step (undo steps too) to this file:
    /// a record of what kickoff changed, as `--dry-run` prints it.
    pub fn with_log(mut self, path: Option<PathBuf>) -> Interpreter<'a, E> {
        self.log = path;
        self
    }

    fn apply(&mut self, step: &Step) -> Result<Undo> {
        self.announce(step);
        let undo = self.effects.apply(step)?;
        if let Some(path) = &self.log {
            use std::io::Write;
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| writeln!(f, "{step}"))
                .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
        }
        Ok(undo)
    }

    /// Report each finished step on stderr.
    pub fn with_ui(mut self, ui: &'a Ui) -> Interpreter<'a, E> {
        self.ui = Some(ui);
        self
    }

    /// Apply every step; on a failure undo the completed ones and return the
    /// step's error as the cause of one that says what failed and what was undone.
    pub fn run(&mut self, plan: &Plan) -> Result<()> {
        for step in &plan.steps {
            match self.apply(step) {
                Ok(u) => {
                    self.report(step);
                    self.undo.push(u);
                }
                // Stopped on purpose (a merge conflict to resolve): keep the state.
                Err(e @ Error::Stopped { .. }) => return Err(e),
                Err(e) => match step {
                    Step::GitHub {
                        call,
                        redo: Some(redo),
                    } => self.unmirrored(&call.missing(), &e, redo),
                    _ => return Err(self.fail(step, e)),
                },
            }
        }
        Ok(())
    }

    /// A mirror step failed: the git work stands; say what GitHub lacks now
    /// and which command redoes it.
    fn unmirrored(&mut self, missing: &str, err: &Error, redo: &str) {
        let mut text = format!("{missing} is not on GitHub: {}", chain(err));
        if let Some(h) = err.hint() {
            text.push_str(&format!(" ({h})"));
        }
        text.push_str(&format!("; `{redo}` redoes it"));
        if let Some(ui) = self.ui {
            ui.warn(&text);
        }
        self.warnings.push(text);
    }

    fn fail(&mut self, step: &Step, err: Error) -> Error {
        let completed = self.undo.len();
        if completed == 0 && step.speaks_for_itself() {
            self.undo.clear();
            return err;
        }
        let (undone, stays) = self.undo_back();
        let mut message = step.failure();
        if !undone.is_empty() {
            message.push_str(&format!("; {}", undone.join(", ")));
        } else if completed == 0 {
            message.push_str("; nothing was changed locally");
        } else if stays {
            message.push_str("; the steps before it stay done");
        }
        // GitHub's own hint (token expired, missing scope) says what to do.
        let hint = match step {
            Step::GitHub { .. } => step.hint().or_else(|| err.hint()),
            _ => step.hint(),
        };
        Error::failed(message, hint, err)
    }

    /// Undo the completed steps in reverse order, back to the last one that
    /// cannot be taken back, and say what was undone (for a command that
    /// stops between two plans, and for a failed step).
    pub fn undo_all(&mut self) -> Vec<String> {
        self.undo_back().0
    }

    /// [`Self::undo_all`], and whether completed steps stay done (they came
    /// before a step that cannot be taken back).
    fn undo_back(&mut self) -> (Vec<String>, bool) {
        let mut undone: Vec<String> = Vec::new();
        while let Some(u) = self.undo.pop() {
            match u {
                Undo::Irreversible => {
                    let stays = !self.undo.is_empty();
                    self.undo.clear();
                    return (undone, stays);
                }
                Undo::Nothing => {}
                Undo::Step(back) => match self.apply(&back) {
                    Ok(_) => {
                        if let Some(what) = back.undone().filter(|w| !undone.contains(w)) {
                            undone.push(what);
                        }
                    }
                    Err(e) => {
                        if let Some(ui) = self.ui {
                            ui.warn(format!("could not undo with `{back}`: {}", chain(&e)));
                        }
                    }
                },
            }
        }
        (undone, false)
    }

    /// Say what is about to happen when a step takes a while.
    fn announce(&self, step: &Step) {
        let Some(ui) = self.ui else { return };
        if let Step::RunDeploy { argv, .. } = step {
            ui.info(format!("running {}", crate::output::shell_words(argv)));
        }
    }

    fn report(&mut self, step: &Step) {
        let outcome = self.effects.outcome();
        let Some(ui) = self.ui else { return };
        match step {
            Step::GitHub { call, .. } => ui.done(outcome.unwrap_or_else(|| format!("done: {call}"))),
            Step::CreateBranch { branch, at, from } => {
                ui.done(format!("created {branch} from {from} ({})", short(*at)))
            }
            Step::Push {
                what,
                remote,
                set_upstream: true,
                ..
            } => ui.done(format!(
                "pushed {what} to {remote} (tracking {remote}/{what})"
            )),
            Step::Push { what, remote, .. } => ui.done(format!("pushed {what} to {remote}")),
            Step::Checkout { branch } => ui.info(format!("checked out {branch}")),
            Step::FastForwardWorktree {
                branch, to, source, ..
            } => ui.info(format!(
                "fast-forwarded {branch} to {source} ({})",
                short(*to)
            )),
            Step::MergeInWorktree {
                branch,
                theirs_name,
                ..
            } => ui.done(format!("merged {theirs_name} into {branch}")),
            Step::CommitResolvedMerge {
                branch,
                theirs_name,
            } => ui.done(format!("merged {theirs_name} into {branch}")),
            Step::CommitMerge {
                branch,
                theirs_name,
                ..
            } => ui.done(format!(
                "merged {theirs_name} into {branch}, without touching your work tree"
            )),
            Step::Tag { name, on, .. } => ui.done(format!("tagged {on} {name}")),
            Step::StayPut { branch } => ui.warn(format!(
                "you have uncommitted changes, so you stay where you were; `git switch {branch}` when ready"
            )),
            _ => {}
        }
    }
}

/// An error and its causes on one line, for warnings.
fn chain(e: &Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// Records the steps it is given and changes nothing; fails at a chosen step.
#[derive(Debug, Default)]
pub struct Recorder {
    pub applied: Vec<Step>,
    /// Fail the n-th call (0-based), to test undoing.
    pub fail_at: Option<usize>,
    calls: usize,
}

impl Recorder {
    pub fn new() -> Recorder {
        Recorder::default()
    }

    pub fn failing_at(n: usize) -> Recorder {
        Recorder {
            fail_at: Some(n),
            ..Recorder::default()
        }
    }

    /// What was applied, as `--dry-run` prints a plan.
    pub fn text(&self) -> String {
        self.applied.iter().map(|s| format!("{s}\n")).collect()
    }
}

impl Effects for Recorder {
    fn apply(&mut self, step: &Step) -> Result<Undo> {
        let call = self.calls;
        self.calls += 1;
        if self.fail_at == Some(call) {
            return Err(Error::refused(format!("recorded failure at {step}")));
        }
        self.applied.push(step.clone());
        Ok(inverse(step))
    }
}

/// The undo a step has without reading anything first (the recorder's, and
/// the real one's where nothing needs reading).
fn inverse(step: &Step) -> Undo {
    match step {
        Step::CreateBranch { branch, .. } => Undo::Step(Step::DeleteBranch {
            branch: branch.clone(),
        }),
        Step::SetConfig { key, .. } => Undo::Step(Step::UnsetConfig { key: key.clone() }),
        Step::Tag { name, .. } => Undo::Step(Step::DeleteTag { name: name.clone() }),
        Step::UpdateRef {
            name,
            new,
            old: Some(old),
            log,
        } => Undo::Step(Step::UpdateRef {
            name: name.clone(),
            new: *old,
            old: Some(*new),
            log: format!("undo: {log}"),
        }),
        Step::UpdateRef {
            name, old: None, ..
        } => Undo::Step(Step::DeleteRef { name: name.clone() }),
        Step::Rename { from, to } => Undo::Step(Step::Rename {
            from: to.clone(),
            to: from.clone(),
        }),
        Step::WriteFile { path, .. } => Undo::Step(Step::RemoveFile { path: path.clone() }),
        Step::WriteSlotFile { env_dir, name, .. } => Undo::Step(Step::RemoveFile {
            path: Path::new(env_dir).join(name),
        }),
        Step::FastForwardWorktree { branch, from, .. } => Undo::Step(Step::ResetKeep {
            branch: branch.clone(),
            to: *from,
        }),
        Step::CommitMerge { branch, ours, .. } => Undo::Step(Step::UpdateRef {
            name: format!("refs/heads/{branch}"),
            new: *ours,
            old: None,
            log: "undo: kickoff merge".into(),
        }),
        // The slot a claim got is known only once it ran: the recorder gives
        // back whatever the kickoff holds.
        Step::ApplyState { op, remote } if matches!(op.as_ref(), Op::Claim { .. }) => {
            let Op::Claim { kickoff, by, .. } = op.as_ref() else {
                unreachable!("a claim")
            };
            Undo::Step(Step::ApplyState {
                op: Box::new(Op::Release {
                    id: new_id(),
                    slot: None,
                    kickoff: Some(kickoff.clone()),
                    by: by.clone(),
                    at: now(),
                    force: true,
                }),
                remote: remote.clone(),
            })
        }
        Step::StayPut { .. } | Step::CreateDir { .. } => Undo::Nothing,
        Step::Push { .. }
        | Step::Checkout { .. }
        | Step::DeleteBranch { .. }
        | Step::UnsetConfig { .. }
        | Step::DeleteRef { .. }
        | Step::DeleteTag { .. }
        | Step::WriteExecutable { .. }
        | Step::RemoveFile { .. }
        | Step::ResetKeep { .. }
        | Step::ApplyState { .. }
        | Step::RunDeploy { .. }
        | Step::RecordDeployment { .. }
        | Step::CommitResolvedMerge { .. }
        | Step::AbortMerge { .. }
        | Step::CheckoutDetached { .. }
        // Others see GitHub at once.
        | Step::GitHub { .. }
        // The real effect undoes a merge with `reset --keep` to the commit it
        // started from, which only it knows.
        | Step::MergeInWorktree { .. } => Undo::Irreversible,
    }
}

/// How [`GitEffects`] reaches GitHub, called at the first GitHub step.
pub type Connect<'r> = Box<dyn FnOnce() -> std::result::Result<GitHub, GitHubError> + 'r>;

/// Carries steps out on a repository, its files, its shared state and GitHub.
pub struct GitEffects<'r> {
    repo: &'r Repo,
    /// The shared state, for the steps that change it.
    state: Option<&'r Store<'r>>,
    /// Each state operation applied, with what it did and the state after it.
    pub applied: Vec<(Op, Applied, Loaded)>,
    /// The record the last deploy run left, until it is published.
    deployed: Option<Op>,
    connect: Option<Connect<'r>>,
    hub: Option<GitHub>,
    /// Why GitHub cannot be reached: later GitHub steps fail at once with it
    /// instead of waiting for their own timeouts.
    down: Option<(String, Option<String>)>,
    outcome: Option<String>,
    /// What GitHub steps hand to later steps (the deployment's id).
    mirror: super::github::Memory,
}

impl<'r> GitEffects<'r> {
    pub fn new(repo: &'r Repo) -> GitEffects<'r> {
        GitEffects {
            repo,
            state: None,
            applied: Vec::new(),
            deployed: None,
            connect: None,
            hub: None,
            down: None,
            outcome: None,
            mirror: Default::default(),
        }
    }

    /// Change the shared state through this store.
    pub fn with_state(mut self, store: &'r Store<'r>) -> GitEffects<'r> {
        self.state = Some(store);
        self
    }

    fn store(&self) -> &'r Store<'r> {
        self.state
            .expect("a plan that changes the shared state runs with its store")
    }

    /// What the GitHub steps of the run answered (the release written).
    pub fn github_memory(&self) -> &super::github::Memory {
        &self.mirror
    }

    /// Reach GitHub through `connect`, at the first GitHub step.
    pub fn with_github(mut self, connect: Connect<'r>) -> GitEffects<'r> {
        self.connect = Some(connect);
        self
    }

    fn github(&mut self, call: &GitHubCall) -> Result<()> {
        if let Some((message, hint)) = &self.down {
            return Err(Error::Refused {
                message: format!("not tried, since {message}"),
                hint: hint.clone(),
            });
        }
        if self.hub.is_none() {
            let connect = self.connect.take().ok_or(GitHubError::NotConfigured);
            match connect.and_then(|c| c()) {
                Ok(hub) => self.hub = Some(hub),
                Err(e) => {
                    self.down = Some((e.to_string(), e.hint()));
                    return Err(e.into());
                }
            }
        }
        let hub = self.hub.as_ref().expect("connected above");
        match super::github::apply(hub, call, &mut self.mirror) {
            Ok(said) => {
                self.outcome = Some(said);
                Ok(())
            }
            Err(e) => {
                if e.is_transport() {
                    self.down = Some((e.to_string(), e.hint()));
                }
                Err(e.into())
            }
        }
    }
}

impl Effects for GitEffects<'_> {
    fn apply(&mut self, step: &Step) -> Result<Undo> {
        let repo = self.repo;
        match step {
            Step::CreateBranch { branch, at, from } => {
                repo.create_branch(branch, *at, &format!("kickoff: from {from}"))?
            }
            Step::DeleteBranch { branch } => repo.remove_branch(branch)?,
            Step::SetConfig { key, value } => {
                let old = repo.config_get_local(key)?;
                repo.config_set(key, value)?;
                return Ok(Undo::Step(match old {
                    Some(value) => Step::SetConfig {
                        key: key.clone(),
                        value,
                    },
                    None => Step::UnsetConfig { key: key.clone() },
                }));
            }
            Step::UnsetConfig { key } => repo.config_unset(key)?,
            Step::Push {
                remote,
                refspecs,
                set_upstream,
                env,
                ..
            } => {
                let specs: Vec<&str> = refspecs.iter().map(String::as_str).collect();
                let env: Vec<(&str, &str)> =
                    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                repo.push_with(remote, &specs, *set_upstream, &env)?;
            }
            Step::Checkout { branch } => {
                let previous = repo.current_branch()?;
                repo.checkout_branch(branch)?;
                return Ok(match previous {
                    Some(branch) => Undo::Step(Step::Checkout { branch }),
                    None => Undo::Irreversible,
                });
            }
            Step::StayPut { .. } => {}
            Step::UpdateRef {
                name,
                new,
                old,
                log,
            } => repo.update_ref_cas(name, *new, *old, log)?,
            Step::DeleteRef { name } => repo.delete_ref(name)?,
            Step::Tag {
                name,
                commit,
                message,
                ..
            } => {
                repo.create_annotated_tag(name, *commit, message)?;
            }
            Step::DeleteTag { name } => repo.delete_tag(name)?,
            Step::CreateDir { path } => std::fs::create_dir_all(path)
                .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))?,
            Step::Rename { from, to } => std::fs::rename(from, to).map_err(|e| {
                Error::io(
                    format!("cannot rename {} to {}", from.display(), to.display()),
                    e,
                )
            })?,
            Step::WriteExecutable { path, content, .. } => write_executable(path, content)
                .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?,
            Step::RemoveFile { path } => match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::io(format!("cannot remove {}", path.display()), e));
                }
                _ => {}
            },
            Step::WriteFile {
                path,
                what,
                content,
            } => return write_file_undoable(path, what, content),
            Step::WriteSlotFile {
                env_dir,
                name,
                what,
                content,
            } => return self.write_slot_file(env_dir, name, what, content),
            Step::FastForwardWorktree { to, .. } => repo.fast_forward_worktree(*to)?,
            Step::ResetKeep { to, .. } => repo.reset_keep(*to)?,
            Step::MergeInWorktree { .. } => return self.merge_in_worktree(step),
            Step::ApplyState { op, remote } => return self.apply_state(op, remote),
            Step::RunDeploy { .. } => return self.run_deploy(step),
            Step::RecordDeployment { files, .. } => return self.record_deployment(files),
            Step::CommitResolvedMerge { .. } => {
                repo.commit_merge_in_progress()?;
            }
            Step::AbortMerge { .. } => repo.abort_merge()?,
            Step::CheckoutDetached { at } => repo.checkout_detached(*at)?,
            Step::CommitMerge {
                branch,
                tree,
                ours,
                theirs,
                message,
                ..
            } => {
                let commit = repo.write_merge_commit(*tree, &[*ours, *theirs], message)?;
                let name = format!("refs/heads/{branch}");
                repo.update_ref_cas(&name, commit, Some(*ours), &format!("kickoff: {message}"))?;
                return Ok(Undo::Step(Step::UpdateRef {
                    name,
                    new: *ours,
                    old: Some(commit),
                    log: format!("undo: {message}"),
                }));
            }
            Step::GitHub { call, .. } => self.github(call)?,
        }
        Ok(inverse(step))
    }

    fn outcome(&mut self) -> Option<String> {
        self.outcome.take()
    }
}

impl GitEffects<'_> {
    /// Write a slot's file through the confined writer; the undo puts the
    /// previous content back (the file of the deployment still running), or
    /// removes a file that did not exist.
    fn write_slot_file(
        &self,
        env_dir: &str,
        name: &str,
        what: &str,
        content: &str,
    ) -> Result<Undo> {
        let (workdir, git_dir) = (self.repo.workdir(), self.repo.common_dir());
        let before = crate::slots::envfile::read_beside(workdir, git_dir, env_dir, name)
            .map_err(crate::slots::SlotError::from)?;
        let path = crate::slots::envfile::write_beside(workdir, git_dir, env_dir, name, content)
            .map_err(crate::slots::SlotError::from)?;
        Ok(Undo::Step(match before {
            Some(content) => Step::WriteSlotFile {
                env_dir: env_dir.into(),
                name: name.into(),
                what: what.into(),
                content,
            },
            None => Step::RemoveFile { path },
        }))
    }

    /// Apply a state operation; a claim is undone by giving back what it got.
    fn apply_state(&mut self, op: &Op, remote: &Option<String>) -> Result<Undo> {
        let (applied, loaded) = self.store().apply(op)?;
        let back = |op: Op| {
            Undo::Step(Step::ApplyState {
                op: Box::new(op),
                remote: remote.clone(),
            })
        };
        let undo = match (op, &applied.outcome) {
            (Op::Claim { by, .. }, Outcome::Claimed { slot, .. }) => back(Op::Release {
                id: new_id(),
                slot: Some(slot.clone()),
                kickoff: None,
                by: by.clone(),
                at: now(),
                force: true,
            }),
            (Op::Claim { kickoff, by, .. }, Outcome::Queued { .. }) => back(Op::Leave {
                id: new_id(),
                kickoff: kickoff.clone(),
                by: by.clone(),
                at: now(),
                force: true,
            }),
            (_, Outcome::AlreadyHeld { .. }) => Undo::Nothing,
            _ => Undo::Irreversible,
        };
        self.applied.push((op.clone(), applied, loaded));
        Ok(undo)
    }

    /// Run the deploy command with its record journaled around it; the
    /// record to publish is kept for the next step.
    fn run_deploy(&mut self, step: &Step) -> Result<Undo> {
        let Step::RunDeploy {
            program,
            argv,
            env,
            timeout,
            record,
            give_back,
            ..
        } = step
        else {
            unreachable!("called for a deploy")
        };
        let mut record = (**record).clone();
        record.github_deployment = self.mirror.deployment;
        record.started_at = now();
        record.finished_at = record.started_at;
        let mut cmd = crate::slots::runner::deploy_command(program, argv, env, self.repo.workdir());
        let op = crate::state::recorded::run(
            crate::state::recorded::Recorded {
                journal: self.store().journal(),
                record,
                release: give_back.clone(),
                timeout: *timeout,
            },
            &mut cmd,
        )?;
        if let Op::Record { deployment, .. } = &op {
            self.mirror.deployed = Some(match deployment.status {
                crate::slots::DeployStatus::Succeeded => "success",
                crate::slots::DeployStatus::Failed | crate::slots::DeployStatus::TimedOut => {
                    "failure"
                }
                crate::slots::DeployStatus::Interrupted => "error",
            });
        }
        self.deployed = Some(op);
        Ok(Undo::Irreversible)
    }

    /// Publish the record of the deploy just run. One that gives its slot
    /// back (it did not succeed) first removes the slot's files.
    fn record_deployment(&mut self, files: &[PathBuf]) -> Result<Undo> {
        let op = self
            .deployed
            .take()
            .expect("a deployment is recorded after it ran");
        if let Op::Record {
            release: Some(_), ..
        } = &op
        {
            for f in files {
                let _ = std::fs::remove_file(f);
            }
        }
        let (applied, loaded) = self.store().apply(&op)?;
        self.applied.push((op, applied, loaded));
        Ok(Undo::Irreversible)
    }

    fn merge_in_worktree(&mut self, step: &Step) -> Result<Undo> {
        let Step::MergeInWorktree {
            branch,
            theirs,
            theirs_name,
            message,
            on_conflict,
            ..
        } = step
        else {
            unreachable!("called for a work-tree merge")
        };
        let before = self.repo.head_oid()?;
        match self.repo.merge_in_worktree(*theirs, message)? {
            WorktreeMerge::Committed(_) => Ok(match before {
                Some(to) => Undo::Step(Step::ResetKeep {
                    branch: branch.clone(),
                    to,
                }),
                None => Undo::Irreversible,
            }),
            WorktreeMerge::Conflicts(files) => Err(Error::Stopped {
                message: format!(
                    "merging {theirs_name} into {branch} stopped with conflicts in:\n  {}",
                    files.join("\n  ")
                ),
                hint: Some(on_conflict.clone()),
            }),
        }
    }
}

/// Write a file; the undo puts back what was there before, or removes a file
/// that did not exist.
fn write_file_undoable(path: &Path, what: &str, content: &str) -> Result<Undo> {
    let before = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), e)),
    };
    write_file(path, content)?;
    Ok(Undo::Step(match before {
        Some(content) => Step::WriteFile {
            path: path.to_path_buf(),
            what: what.to_string(),
            content,
        },
        None => Step::RemoveFile {
            path: path.to_path_buf(),
        },
    }))
}

/// Write a file, creating its directory.
fn write_file(path: &Path, content: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    }
    std::fs::write(path, content)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

/// Write through a temporary file and a rename, so nobody ever runs half a file.
pub fn write_executable(path: &Path, content: &str) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_os_string();
    tmp.push(".kickoff-tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, content)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))?;
    }
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::git2::Oid;

    fn sample() -> Plan {
        crate::plan::NewBranch {
            branch: "feature/X-1".into(),
            at: Oid::from_bytes(&[1; 20]).unwrap(),
            from: "kickoff-240510-x".into(),
            config: vec![(
                "branch.feature/X-1.kickoff".into(),
                "kickoff-240510-x".into(),
            )],
            push: Some("origin".into()),
            checkout: true,
        }
        .plan()
    }

    #[test]
    fn slot_files_are_written_together_or_put_back() {
        let dir = tempfile::tempdir().unwrap();
        crate::git::git2::Repository::init(dir.path()).unwrap();
        let repo = crate::git::Repo::discover(dir.path()).unwrap();
        let env_dir = dir.path().join(".git/kickoff/env");
        let file = |name: &str, what: &str, content: &str| Step::WriteSlotFile {
            env_dir: ".git/kickoff/env".into(),
            name: name.into(),
            what: what.into(),
            content: content.into(),
        };
        let plan = |env: &str| Plan {
            steps: vec![
                file("dev1.env", "the env file", env),
                file(
                    "dev1.compose.yml",
                    "the compose override",
                    "name: \"dev1\"\n",
                ),
            ],
        };
        let mut effects = GitEffects::new(&repo);
        Interpreter::new(&mut effects).run(&plan("A=1\n")).unwrap();
        assert_eq!(
            std::fs::read_to_string(env_dir.join("dev1.env")).unwrap(),
            "A=1\n"
        );
        // The override cannot be written (a directory is in its place): the
        // env file of the running deployment is put back as it was.
        std::fs::remove_file(env_dir.join("dev1.compose.yml")).unwrap();
        std::fs::create_dir(env_dir.join("dev1.compose.yml")).unwrap();
        let err = Interpreter::new(&mut effects)
            .run(&plan("A=2\n"))
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("could not write the compose override"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(env_dir.join("dev1.env")).unwrap(),
            "A=1\n"
        );
        // A file that did not exist before is removed again.
        std::fs::remove_file(env_dir.join("dev1.env")).unwrap();
        Interpreter::new(&mut effects)
            .run(&plan("A=3\n"))
            .unwrap_err();
        assert!(!env_dir.join("dev1.env").exists());
        // A link in the way is refused, and nothing is written through it.
        let outside = dir.path().join("outside");
        std::fs::write(&outside, "keep\n").unwrap();
        std::fs::remove_dir(env_dir.join("dev1.compose.yml")).unwrap();
        std::os::unix::fs::symlink(&outside, env_dir.join("dev1.env")).unwrap();
        let err = Interpreter::new(&mut effects)
            .run(&plan("A=4\n"))
            .unwrap_err();
        let cause = std::error::Error::source(&err).unwrap().to_string();
        assert!(cause.contains("symbolic link"), "{cause}");
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep\n");
    }

    fn claim(kickoff: &str) -> Op {
        Op::Claim {
            id: new_id(),
            kickoff: kickoff.into(),
            by: crate::slots::Person {
                name: "Ann".into(),
                email: "ann@example.com".into(),
            },
            at: now(),
            ttl: "1d".into(),
            slot: None,
            reason: None,
            queue: false,
            via: "deploy".into(),
        }
    }

    /// A claim is undone by giving the slot back when a later step fails;
    /// the shared state is read back from the store.
    #[test]
    fn a_claim_is_given_back_when_a_later_step_fails() {
        let dir = tempfile::tempdir().unwrap();
        crate::git::git2::Repository::init(dir.path()).unwrap();
        let repo = crate::git::Repo::discover(dir.path()).unwrap();
        let notices = crate::state::Collected::default();
        let store = Store::new(&repo, None, vec!["dev1".into(), "dev2".into()], &notices);
        let env_dir = dir.path().join(".git/kickoff/env");
        std::fs::create_dir_all(env_dir.join("dev1.compose.yml")).unwrap();
        let file = |name: &str| Step::WriteSlotFile {
            env_dir: ".git/kickoff/env".into(),
            name: name.into(),
            what: format!("the file {name}"),
            content: "A=1\n".into(),
        };
        let plan = Plan {
            steps: vec![
                Step::ApplyState {
                    op: Box::new(claim("kickoff-240510-a")),
                    remote: None,
                },
                file("dev1.env"),
                file("dev1.compose.yml"),
            ],
        };
        let mut effects = GitEffects::new(&repo).with_state(&store);
        let err = Interpreter::new(&mut effects).run(&plan).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "could not write the file dev1.compose.yml to .git/kickoff/env/dev1.compose.yml; \
                 undone: remove {}, dev1 was given back",
                env_dir.join("dev1.env").display()
            )
        );
        let state = store.read(true).unwrap().state;
        assert!(state.leases.is_empty(), "{state:?}");
        assert!(!env_dir.join("dev1.env").exists());
        // The history shows the claim and its giving back.
        let tip = store.read(true).unwrap().commit.unwrap();
        let subjects: Vec<String> = store
            .history(tip, 5)
            .unwrap()
            .into_iter()
            .map(|h| h.summary)
            .collect();
        assert_eq!(
            subjects,
            [
                "release dev1: by Ann",
                "claim any slot: kickoff-240510-a by Ann"
            ]
        );
    }

    /// The recorder gives back whatever the kickoff holds: it does not know
    /// the slot a claim would get.
    #[test]
    fn the_recorder_undoes_a_claim_by_releasing_the_kickoff() {
        let plan = Plan {
            steps: vec![
                Step::ApplyState {
                    op: Box::new(claim("kickoff-240510-a")),
                    remote: Some("origin".into()),
                },
                Step::CreateDir { path: "x".into() },
            ],
        };
        let mut rec = Recorder::failing_at(1);
        Interpreter::new(&mut rec).run(&plan).unwrap_err();
        insta::assert_snapshot!(rec.text(), @r"
        claim a free slot for kickoff-240510-a (lease 1d) in refs/kickoff/state, pushed to origin
        release the slot and queue place of kickoff-240510-a (forced) in refs/kickoff/state, pushed to origin
        ");
    }

    /// A command that stops between two plans (deploy, after its claim)
    /// undoes what the first one did.
    #[test]
    fn undo_all_takes_back_what_earlier_plans_did() {
        let plan = Plan {
            steps: vec![Step::ApplyState {
                op: Box::new(claim("kickoff-240510-a")),
                remote: None,
            }],
        };
        let mut rec = Recorder::new();
        let mut run = Interpreter::new(&mut rec);
        run.run(&plan).unwrap();
        assert_eq!(run.undo_all(), ["the claim was given back"]);
        assert!(run.undo_all().is_empty(), "undone once");
        assert_eq!(rec.applied.len(), 2);
    }

    #[test]
    fn the_recorder_runs_what_the_plan_prints() {
        let plan = sample();
        let mut rec = Recorder::new();
        Interpreter::new(&mut rec).run(&plan).unwrap();
        assert_eq!(rec.text(), plan.text());
    }

    #[test]
    fn a_failed_step_undoes_the_completed_ones_in_reverse() {
        let plan = sample();
        // The push (third step) fails: config and branch are taken back.
        let mut rec = Recorder::failing_at(2);
        let err = Interpreter::new(&mut rec).run(&plan).unwrap_err();
        insta::assert_snapshot!(rec.text(), @r"
        create branch feature/X-1 at 0101010101 (kickoff-240510-x)
        set git config branch.feature/X-1.kickoff = kickoff-240510-x
        unset git config branch.feature/X-1.kickoff
        delete branch feature/X-1
        ");
        assert_eq!(
            err.to_string(),
            "could not push feature/X-1 to origin; the local branch was removed again"
        );
        assert!(err.hint().unwrap().contains("--no-push"));
        let cause = std::error::Error::source(&err).unwrap().to_string();
        assert!(cause.contains("recorded failure"), "{cause}");
    }

    #[test]
    fn undoing_stops_at_a_step_that_cannot_be_taken_back() {
        let plan = sample();
        // The checkout (after the push) fails: nothing before the push is undone.
        let mut rec = Recorder::failing_at(3);
        let err = Interpreter::new(&mut rec).run(&plan).unwrap_err();
        assert_eq!(rec.applied.len(), 3);
        assert_eq!(
            err.to_string(),
            "could not check out feature/X-1; the steps before it stay done"
        );
        let mut rec = Recorder::failing_at(0);
        let err = Interpreter::new(&mut rec).run(&plan).unwrap_err();
        assert!(
            err.to_string().ends_with("; nothing was changed locally"),
            "{err}"
        );
    }
}
