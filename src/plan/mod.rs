//! Plans as data: what a changing command will do, as a list of typed steps.
//!
//! A command reads what it needs, decides with a pure function that returns a
//! [`Plan`], and hands the plan to the one interpreter ([`run::Interpreter`]).
//! `--dry-run` prints the same plan (one line per step, on stdout, also under
//! `-q`) and `--json` prints it as JSON, so what is printed is what runs: there
//! is no second, hand-written description of a command's changes.
//!
//! A step says what it changes and, through the interpreter, how it is undone
//! (a created branch is deleted, a set config value restored, a tag removed).
//! When a step fails, the completed steps are undone in reverse order, back to
//! the last step that cannot be taken back (a push others may have fetched).
//!
//! Adding a step: a variant here with its `Display` line, its failure text in
//! [`Step::failure`], and its effect and undo in `run::GitEffects::apply`.
//! See docs/architecture.md.

pub mod github;
pub mod run;

use crate::git::git2::Oid;
use crate::slots::{AdminAction, Deployment, Op};
use serde::{Serialize, Serializer};
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

pub use github::GitHubCall;
pub use run::{Connect, Effects, GitEffects, Interpreter, Recorder, Undo};

/// The version of the JSON a plan is printed as (`--dry-run --json`).
pub const SCHEMA: u32 = 1;

/// An ordered list of steps, decided before anything changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub steps: Vec<Step>,
}

/// One change the interpreter can make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Step {
    /// Create a local branch at a commit; fails if it exists.
    CreateBranch {
        branch: String,
        #[serde(serialize_with = "hex")]
        at: Oid,
        /// Where the commit came from, for people (`origin/main`).
        from: String,
    },
    /// Delete a local branch and its config section (`git branch -D`).
    DeleteBranch { branch: String },
    /// Set a git config value in the repository's own config.
    SetConfig { key: String, value: String },
    /// Remove a git config value (the undo of setting a new one).
    UnsetConfig { key: String },
    /// `git push`, with these refspecs and environment for the remote's and
    /// our own pre-push hook.
    Push {
        remote: String,
        refspecs: Vec<String>,
        /// What is pushed, for people (a branch or tag name).
        what: String,
        set_upstream: bool,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        env: Vec<(String, String)>,
        /// The next step for the user when the push fails.
        #[serde(skip_serializing_if = "Option::is_none")]
        hint: Option<String>,
    },
    /// Switch the work tree to a branch.
    Checkout { branch: String },
    /// Leave the work tree where it is (it has uncommitted changes).
    StayPut { branch: String },
    /// Move a ref by compare-and-swap: only if it still points at `old`
    /// (`None`: only if it does not exist yet).
    UpdateRef {
        name: String,
        #[serde(serialize_with = "hex")]
        new: Oid,
        #[serde(serialize_with = "hex_opt")]
        old: Option<Oid>,
        /// The reflog message.
        log: String,
    },
    /// Delete a ref (the undo of creating one).
    DeleteRef { name: String },
    /// Create an annotated tag.
    Tag {
        name: String,
        #[serde(serialize_with = "hex")]
        commit: Oid,
        /// What the commit is, for people (the kickoff's name).
        on: String,
        message: String,
    },
    /// Delete a local tag (the undo of creating one).
    DeleteTag { name: String },
    /// Create a directory.
    CreateDir { path: PathBuf },
    /// Rename a file (bytes, mode and symlinks survive).
    Rename { from: PathBuf, to: PathBuf },
    /// Write an executable file.
    WriteExecutable {
        path: PathBuf,
        /// What the file is, for people (`the kickoff shim`).
        what: String,
        #[serde(skip)]
        content: String,
    },
    /// Delete a file.
    RemoveFile { path: PathBuf },
    /// Write a file kickoff owns (a record, an env file).
    WriteFile {
        path: PathBuf,
        /// What the file is, for people (`the sync record`).
        what: String,
        #[serde(skip)]
        content: String,
    },
    /// Write a file of a QA slot (its env file, its compose override) into
    /// `slots.env_dir`: inside the repository, never through a link, replaced
    /// atomically. Undone by putting back what was there before.
    WriteSlotFile {
        env_dir: String,
        name: String,
        /// What the file is, for people (`the compose override`).
        what: String,
        #[serde(skip)]
        content: String,
    },
    /// Fast-forward the checked-out branch (`git merge --ff-only`).
    FastForwardWorktree {
        branch: String,
        #[serde(serialize_with = "hex")]
        from: Oid,
        #[serde(serialize_with = "hex")]
        to: Oid,
        /// Where `to` came from, for people (`the remote's`).
        source: String,
    },
    /// Move the checked-out branch back, keeping local changes
    /// (`git reset --keep`): the undo of a work-tree fast-forward or merge.
    ResetKeep {
        branch: String,
        #[serde(serialize_with = "hex")]
        to: Oid,
    },
    /// Merge a commit into the checked-out branch with a merge commit
    /// (`git merge --no-ff`). A conflict stops the plan in git's merge state,
    /// on purpose: the user resolves it and continues.
    MergeInWorktree {
        branch: String,
        #[serde(serialize_with = "hex")]
        theirs: Oid,
        theirs_name: String,
        message: String,
        /// The conflicts the merge is expected to stop on (empty: clean).
        conflicts: Vec<String>,
        /// How the user goes on after a conflict.
        #[serde(skip)]
        on_conflict: String,
    },
    /// Commit the merge in progress in the work tree, once the user resolved
    /// its conflicts (`git commit --no-edit`).
    CommitResolvedMerge { branch: String, theirs_name: String },
    /// Abort the merge in progress in the work tree (`git merge --abort`).
    AbortMerge { branch: String },
    /// Check out a commit with a detached HEAD.
    CheckoutDetached {
        #[serde(serialize_with = "hex")]
        at: Oid,
    },
    /// Commit an already merged tree with these parents and move the branch
    /// to it by compare-and-swap from its first parent, without a work tree.
    CommitMerge {
        branch: String,
        #[serde(serialize_with = "hex")]
        tree: Oid,
        #[serde(serialize_with = "hex")]
        ours: Oid,
        #[serde(serialize_with = "hex")]
        theirs: Oid,
        theirs_name: String,
        message: String,
    },
    /// Apply an operation to the shared state (`refs/kickoff/state`):
    /// decided again on the remote's freshest state, the local ref moved by
    /// compare-and-swap, pushed fast-forward only (see `crate::state`). A
    /// claim is undone by giving the slot back (or leaving the queue).
    ApplyState {
        op: Box<Op>,
        /// The remote the change is pushed to (`None`: a clone without it).
        #[serde(skip_serializing_if = "Option::is_none")]
        remote: Option<String>,
    },
    /// Run the deploy command (a program and its arguments, never a shell
    /// line), its record kept in this clone's journal from before it starts.
    /// Whatever it deployed cannot be taken back.
    RunDeploy {
        slot: String,
        kickoff: String,
        program: PathBuf,
        argv: Vec<String>,
        env: Vec<(String, String)>,
        /// Stop it after this long (`None`: no limit).
        #[serde(serialize_with = "seconds_opt", rename = "timeout_seconds")]
        timeout: Option<Duration>,
        /// The record as it starts: who deployed what where.
        #[serde(skip)]
        record: Box<Deployment>,
        /// The slot its record gives back unless it succeeds.
        #[serde(skip_serializing_if = "Option::is_none")]
        give_back: Option<String>,
    },
    /// Publish the record of the deploy just run, succeeded or not. One that
    /// did not succeed gives `give_back` back in the same change, and the
    /// slot's files (which describe nothing live then) are removed.
    RecordDeployment {
        slot: String,
        kickoff: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        give_back: Option<String>,
        /// The files removed when the slot is given back.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        files: Vec<PathBuf>,
        #[serde(skip_serializing_if = "Option::is_none")]
        remote: Option<String>,
    },
    /// Ask GitHub to change something (the mirror; see [`github`]).
    #[serde(rename = "github")]
    GitHub {
        #[serde(flatten)]
        call: GitHubCall,
        /// A mirror step: when GitHub fails, a warning names this command,
        /// which redoes it, and the plan goes on. `None`: the failure fails
        /// the plan.
        #[serde(skip_serializing_if = "Option::is_none")]
        redo: Option<String>,
    },
}

fn seconds_opt<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_u64(d.as_secs()),
        None => s.serialize_none(),
    }
}

/// What a state operation does, for a plan line (`claim a free slot for K`).
fn state_change(op: &Op) -> String {
    let forced = |force: &bool| if *force { " (forced)" } else { "" };
    match op {
        Op::Claim {
            kickoff,
            slot,
            ttl,
            queue,
            ..
        } => format!(
            "claim {} for {kickoff} (lease {ttl}{})",
            slot.as_deref().unwrap_or("a free slot"),
            if *queue { ", else join the queue" } else { "" }
        ),
        Op::Release {
            slot: Some(slot),
            force,
            ..
        } => format!("release {slot}{}", forced(force)),
        Op::Release { kickoff, force, .. } => format!(
            "release the slot and queue place of {}{}",
            kickoff.as_deref().unwrap_or("?"),
            forced(force)
        ),
        Op::Renew {
            slot, ttl, force, ..
        } => format!("renew {slot} for {ttl}{}", forced(force)),
        Op::Leave { kickoff, force, .. } => {
            format!("take {kickoff} out of the queue{}", forced(force))
        }
        Op::Record { deployment: d, .. } => {
            format!("record the deployment of {} on {}", d.kickoff, d.slot)
        }
        Op::Admin {
            action: AdminAction::Remove { paths },
            ..
        } => format!("remove {} (admin)", paths.join(", ")),
        Op::Admin {
            action: AdminAction::Reset,
            ..
        } => "reset the pool: free every slot and empty the queue (admin)".into(),
    }
}

/// Where a state change goes, for a plan line.
fn in_state(remote: &Option<String>) -> String {
    match remote {
        Some(r) => format!("in {}, pushed to {r}", crate::state::STATE_REF),
        None => format!("in {}", crate::state::STATE_REF),
    }
}

fn hex<S: Serializer>(oid: &Oid, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&oid.to_string())
}

fn hex_opt<S: Serializer>(oid: &Option<Oid>, s: S) -> Result<S::Ok, S::Error> {
    match oid {
        Some(o) => s.serialize_str(&o.to_string()),
        None => s.serialize_none(),
    }
}

/// A commit id as people read it in plans and messages.
pub fn short(oid: Oid) -> String {
    oid.to_string()[..10].to_string()
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::CreateBranch { branch, at, from } => {
                write!(f, "create branch {branch} at {} ({from})", short(*at))
            }
            Step::DeleteBranch { branch } => write!(f, "delete branch {branch}"),
            Step::SetConfig { key, value } => write!(f, "set git config {key} = {value}"),
            Step::UnsetConfig { key } => write!(f, "unset git config {key}"),
            Step::Push {
                remote,
                what,
                set_upstream,
                env,
                ..
            } => {
                write!(f, "push {what} to {remote}")?;
                if *set_upstream {
                    write!(f, " with upstream tracking")?;
                }
                if !env.is_empty() {
                    let vars: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    write!(f, " ({} for the pre-push hook)", vars.join(" "))?;
                }
                Ok(())
            }
            Step::Checkout { branch } => write!(f, "check out {branch}"),
            Step::StayPut { .. } => {
                write!(f, "leave the work tree as it is (uncommitted changes)")
            }
            Step::UpdateRef { name, new, old, .. } => match old {
                Some(old) => write!(f, "move {name} from {} to {}", short(*old), short(*new)),
                None => write!(f, "create {name} at {}", short(*new)),
            },
            Step::DeleteRef { name } => write!(f, "delete {name}"),
            Step::Tag {
                name, commit, on, ..
            } => write!(f, "tag {name} on {on} at {}", short(*commit)),
            Step::DeleteTag { name } => write!(f, "delete tag {name}"),
            Step::CreateDir { path } => write!(f, "create the directory {}", path.display()),
            Step::Rename { from, to } => {
                write!(f, "rename {} to {}", from.display(), to.display())
            }
            Step::WriteExecutable { path, what, .. } => {
                write!(f, "write {what} to {}", path.display())
            }
            Step::RemoveFile { path } => write!(f, "remove {}", path.display()),
            Step::WriteFile { path, what, .. } => write!(f, "write {what} to {}", path.display()),
            Step::WriteSlotFile {
                env_dir,
                name,
                what,
                ..
            } => write!(
                f,
                "write {what} to {}/{name}",
                env_dir.trim_end_matches('/')
            ),
            Step::FastForwardWorktree {
                branch,
                from,
                to,
                source,
            } => write!(
                f,
                "fast-forward {branch} from {} to {} ({source})",
                short(*from),
                short(*to)
            ),
            Step::ResetKeep { branch, to } => write!(
                f,
                "move {branch} back to {}, keeping local changes",
                short(*to)
            ),
            Step::MergeInWorktree {
                branch,
                theirs,
                theirs_name,
                conflicts,
                ..
            } => {
                write!(
                    f,
                    "merge {theirs_name} ({}) into {branch} with a merge commit, in the work tree",
                    short(*theirs)
                )?;
                if !conflicts.is_empty() {
                    write!(f, "; it conflicts in:\n  {}", conflicts.join("\n  "))?;
                }
                Ok(())
            }
            Step::CommitResolvedMerge {
                branch,
                theirs_name,
            } => write!(
                f,
                "commit the resolved merge of {theirs_name} into {branch}"
            ),
            Step::AbortMerge { branch } => {
                write!(f, "abort the merge in progress on {branch}")
            }
            Step::CheckoutDetached { at } => {
                write!(f, "check out {} with a detached HEAD", short(*at))
            }
            Step::CommitMerge {
                branch,
                theirs,
                theirs_name,
                ..
            } => write!(
                f,
                "merge {theirs_name} ({}) into {branch} with a merge commit, without touching the work tree (clean)",
                short(*theirs)
            ),
            Step::ApplyState { op, remote } => {
                write!(f, "{} {}", state_change(op), in_state(remote))
            }
            Step::RunDeploy {
                slot,
                kickoff,
                argv,
                timeout,
                ..
            } => {
                write!(
                    f,
                    "run {} to deploy {kickoff} on {slot}",
                    crate::output::shell_words(argv)
                )?;
                if let Some(t) = timeout {
                    write!(
                        f,
                        ", stopped after {}",
                        crate::slots::runner::format_duration(*t)
                    )?;
                }
                Ok(())
            }
            Step::RecordDeployment {
                slot,
                kickoff,
                give_back,
                remote,
                ..
            } => {
                write!(
                    f,
                    "record the deployment of {kickoff} on {slot}, succeeded or not, {}",
                    in_state(remote)
                )?;
                if let Some(back) = give_back {
                    write!(
                        f,
                        "; if it did not succeed, give {back} back and remove its env files"
                    )?;
                }
                Ok(())
            }
            Step::GitHub { call, .. } => write!(f, "{call}"),
        }
    }
}

impl Step {
    /// What failed, for the error line when this step fails.
    pub fn failure(&self) -> String {
        match self {
            Step::Push { what, remote, .. } => format!("could not push {what} to {remote}"),
            Step::CreateBranch { branch, .. } => format!("could not create the branch {branch}"),
            Step::Checkout { branch } => format!("could not check out {branch}"),
            Step::Tag { name, .. } => format!("could not create the tag {name}"),
            Step::UpdateRef { name, .. } => format!("could not update {name}"),
            Step::RunDeploy { .. } => "could not run the deploy command".into(),
            Step::RecordDeployment { kickoff, slot, .. } => {
                format!("could not publish the record of the deployment of {kickoff} on {slot}")
            }
            other => format!("could not {other}"),
        }
    }

    /// The user's next step when this step fails, where the step knows one.
    pub fn hint(&self) -> Option<String> {
        match self {
            Step::Push { hint, .. } => hint.clone(),
            _ => None,
        }
    }

    /// Whether the step's own error is the whole story when it is the first
    /// to fail: a state operation refused on the freshest state (`every slot
    /// is taken`) changed nothing and needs no "could not" around it.
    pub fn speaks_for_itself(&self) -> bool {
        matches!(self, Step::ApplyState { .. })
    }

    /// What undoing this step means, for the error line (`the local branch
    /// was removed again`); `None` for what needs no mention.
    pub fn undone(&self) -> Option<String> {
        match self {
            Step::DeleteBranch { .. } => Some("the local branch was removed again".into()),
            Step::DeleteTag { .. } => Some("the local tag was removed again".into()),
            Step::ApplyState { op, .. } => Some(match op.as_ref() {
                Op::Release {
                    slot: Some(slot), ..
                } => format!("{slot} was given back"),
                Op::Release { .. } => "the claim was given back".into(),
                Op::Leave { kickoff, .. } => format!("{kickoff} left the queue again"),
                _ => format!("undone: {self}"),
            }),
            // Config undone with its branch: the branch's line says it.
            Step::UnsetConfig { .. } | Step::SetConfig { .. } => None,
            other => Some(format!("undone: {other}")),
        }
    }
}

impl Plan {
    pub fn new() -> Plan {
        Plan::default()
    }

    pub fn push(&mut self, step: Step) {
        self.steps.push(step);
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// One line per step, as `--dry-run` prints it.
    pub fn text(&self) -> String {
        self.steps.iter().map(|s| format!("{s}\n")).collect()
    }

    /// The plan as `--dry-run --json` prints it.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({"schema": SCHEMA, "steps": self.steps})
    }
}

impl FromIterator<Step> for Plan {
    fn from_iter<I: IntoIterator<Item = Step>>(iter: I) -> Self {
        Plan {
            steps: iter.into_iter().collect(),
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// A branch kickoff cuts (`new`, `feature`): where it starts, the git config
/// recorded with it, and whether it is pushed and checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBranch {
    pub branch: String,
    pub at: Oid,
    pub from: String,
    pub config: Vec<(String, String)>,
    /// The remote to push to with upstream tracking, if any.
    pub push: Option<String>,
    /// Check it out (the work tree is clean), or leave the work tree alone.
    pub checkout: bool,
}

impl NewBranch {
    /// Create the branch, record its config, push it with upstream tracking,
    /// then check it out when the work tree allows. A failed push deletes the
    /// branch (and its config) again.
    pub fn plan(&self) -> Plan {
        let branch = self.branch.clone();
        let mut plan = Plan::new();
        plan.push(Step::CreateBranch {
            branch: branch.clone(),
            at: self.at,
            from: self.from.clone(),
        });
        for (key, value) in &self.config {
            plan.push(Step::SetConfig {
                key: key.clone(),
                value: value.clone(),
            });
        }
        if let Some(remote) = &self.push {
            plan.push(Step::Push {
                remote: remote.clone(),
                refspecs: vec![format!("refs/heads/{branch}:refs/heads/{branch}")],
                what: branch.clone(),
                set_upstream: true,
                env: Vec::new(),
                hint: Some(
                    "fix the remote, or create the branch locally only with --no-push".into(),
                ),
            });
        }
        plan.push(if self.checkout {
            Step::Checkout { branch }
        } else {
            Step::StayPut { branch }
        });
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_prints_one_line_per_step_and_as_json() {
        let at = Oid::from_bytes(&[7; 20]).unwrap();
        let plan = NewBranch {
            branch: "kickoff-240510-x".into(),
            at,
            from: "origin/main".into(),
            config: Vec::new(),
            push: Some("origin".into()),
            checkout: false,
        }
        .plan();
        insta::assert_snapshot!(plan.text(), @r"
        create branch kickoff-240510-x at 0707070707 (origin/main)
        push kickoff-240510-x to origin with upstream tracking
        leave the work tree as it is (uncommitted changes)
        ");
        let json = plan.json();
        assert_eq!(json["schema"], 1);
        assert_eq!(json["steps"][0]["step"], "create-branch");
        assert_eq!(json["steps"][0]["at"], at.to_string());
        assert_eq!(
            json["steps"][1]["refspecs"][0],
            "refs/heads/kickoff-240510-x:refs/heads/kickoff-240510-x"
        );
    }
}
