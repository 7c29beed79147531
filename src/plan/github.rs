//! Plan steps that ask GitHub to change something: the mirror as data.
//!
//! A GitHub call is a [`super::Step::GitHub`] like any other step: `--dry-run`
//! prints it, `KICKOFF_PLAN_LOG` records it, the interpreter runs it in order.
//! In a command whose job is git, the step is a *mirror* step (it carries the
//! command that redoes it): when GitHub is unreachable or refuses, the
//! interpreter warns, names that command, and goes on; the git work stands and
//! the exit code stays 0. Where GitHub's answer is the point (`land
//! --via-pr` merging through GitHub), the step has no redo command and its
//! failure fails the plan like any other step, with GitHub's message and hint.
//!
//! What each call does on GitHub is in [`apply`], through the domain verbs
//! of [`crate::github::GitHub`]; nothing here sees HTTP.

use crate::github::api::{
    NewDeployment, NewPullRequest, PullRequest, PullRequestUpdate, ReleaseSpec,
};
use crate::github::{GitHub, GitHubError};
use serde::Serialize;
use std::fmt;

/// One change on GitHub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "call", rename_all = "kebab-case")]
pub enum GitHubCall {
    /// Create the release of a platform tag, or update it when GitHub has it
    /// (`GET .../releases/tags/TAG`, then `PATCH` or `POST`).
    Release { spec: ReleaseSpec },
    /// Set a commit status (`POST .../statuses/SHA`).
    CommitStatus {
        /// The full commit id.
        sha: String,
        /// What the commit is, for people (the kickoff's name).
        on: String,
        /// `success`, `failure`, `error` or `pending`.
        state: String,
        context: String,
        /// At most 140 characters (GitHub's limit).
        description: String,
    },
    /// Open the pull request of a branch, unless one is open already
    /// (`GET .../pulls?state=open&head=OWNER:BRANCH`, then `POST .../pulls`).
    OpenPullRequest { pr: NewPullRequest },
    /// Open a pull request (`POST .../pulls`); the command looked for an
    /// open one before planning.
    CreatePullRequest { pr: NewPullRequest },
    /// Change an open pull request (`PATCH .../pulls/N`): only the fields
    /// that change.
    UpdatePullRequest {
        number: u64,
        /// Its base before the change, for people.
        base_was: String,
        update: PullRequestUpdate,
    },
    /// Ask for reviews (`POST .../pulls/N/requested_reviewers`).
    RequestReviewers {
        /// The pull request: `None` for the one created in this run.
        #[serde(skip_serializing_if = "Option::is_none")]
        number: Option<u64>,
        reviewers: Vec<String>,
    },
    /// Add labels (`POST .../issues/N/labels`).
    AddLabels {
        /// The pull request: `None` for the one created in this run.
        #[serde(skip_serializing_if = "Option::is_none")]
        number: Option<u64>,
        labels: Vec<String>,
    },
    /// Create a deployment (`POST .../deployments`); its id is kept for the
    /// statuses and the deployment record of the same run.
    CreateDeployment { deployment: NewDeployment },
    /// Post a deployment status (`POST .../deployments/ID/statuses`).
    DeploymentStatus {
        /// The deployment: `None` for the one created in this run.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        environment: String,
        state: DeployState,
        #[serde(skip_serializing_if = "Option::is_none")]
        environment_url: Option<String>,
    },
    /// Merge a pull request with a merge commit, only while its head is
    /// still `sha` (`PUT .../pulls/N/merge`, `merge_method: merge`).
    MergePullRequest {
        number: u64,
        head: String,
        base: String,
        /// The full commit id the head must still be at.
        sha: String,
        title: String,
    },
}

/// The state a deployment status posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeployState {
    InProgress,
    /// `success`, `failure` or `error`, as the deploy command of this run ended.
    Outcome,
    Inactive,
    /// How a recorded deploy ended (`kickoff github sync`).
    Success,
    Failure,
    Error,
}

impl DeployState {
    /// GitHub's name; `None` for [`DeployState::Outcome`], known at run time.
    pub fn github(self) -> Option<&'static str> {
        match self {
            DeployState::InProgress => Some("in_progress"),
            DeployState::Outcome => None,
            DeployState::Inactive => Some("inactive"),
            DeployState::Success => Some("success"),
            DeployState::Failure => Some("failure"),
            DeployState::Error => Some("error"),
        }
    }
}

/// What GitHub steps of one run hand to the later ones.
#[derive(Debug, Default)]
pub struct Memory {
    /// The deployment created in this run.
    pub deployment: Option<u64>,
    /// How this run's deploy ended, as GitHub names it.
    pub deployed: Option<&'static str>,
    /// The last release written, and whether it was `created` or `updated`.
    pub release: Option<(crate::github::api::Release, &'static str)>,
    /// The pull request created or updated, and whether it was `created` or
    /// `updated`.
    pub pull_request: Option<(PullRequest, &'static str)>,
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(10)]
}

impl fmt::Display for GitHubCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GitHubCall::Release { spec } => {
                let flags = match (spec.prerelease, spec.make_latest == "true") {
                    (true, _) => "prerelease",
                    (false, true) => "latest",
                    (false, false) => "not latest",
                };
                write!(
                    f,
                    "publish the GitHub release \"{}\" for {} ({flags})",
                    spec.name, spec.tag_name
                )
            }
            GitHubCall::CommitStatus {
                sha,
                on,
                state,
                context,
                description,
            } => write!(
                f,
                "set the GitHub status {context} of {on} ({}) to {state}: {description}",
                short(sha)
            ),
            GitHubCall::OpenPullRequest { pr } | GitHubCall::CreatePullRequest { pr } => {
                // Open: unless one is open. Create: the command looked first.
                let (verb, draft, plain, on) = match self {
                    GitHubCall::OpenPullRequest { .. } => {
                        ("open", "a draft ", "the ", " on GitHub")
                    }
                    _ => ("create", "draft ", "", ""),
                };
                let kind = if pr.draft { draft } else { plain };
                let (head, base, title) = (&pr.head, &pr.base, &pr.title);
                write!(f, "{verb} {kind}pull request {head} -> {base}{on}: {title}")
            }
            GitHubCall::CreateDeployment { deployment: d } => write!(
                f,
                "create a GitHub deployment of {} ({}) to the environment {}",
                d.payload["kickoff"].as_str().unwrap_or("?"),
                short(&d.sha),
                d.environment
            ),
            GitHubCall::DeploymentStatus {
                id,
                environment,
                state,
                ..
            } => {
                let which = match id {
                    Some(id) => format!("GitHub deployment {id} ({environment})"),
                    None => format!("the GitHub deployment to {environment}"),
                };
                match state.github() {
                    Some("in_progress") => write!(f, "mark {which} in progress"),
                    Some(state) => write!(f, "mark {which} {state}"),
                    None => write!(
                        f,
                        "mark {which} success or failure, as the deploy command ends"
                    ),
                }
            }
            GitHubCall::UpdatePullRequest {
                number,
                base_was,
                update,
            } => {
                let mut what = Vec::new();
                if let Some(b) = &update.base {
                    what.push(format!("base {base_was} -> {b}"));
                }
                if update.title.is_some() {
                    what.push("title".into());
                }
                if update.body.is_some() {
                    what.push("description".into());
                }
                write!(f, "update pull request #{number}: {}", what.join(", "))
            }
            GitHubCall::RequestReviewers { reviewers, .. } => {
                write!(f, "ask {} for a review", reviewers.join(", "))
            }
            GitHubCall::AddLabels { labels, .. } => write!(f, "add labels {}", labels.join(", ")),
            GitHubCall::MergePullRequest {
                number,
                head,
                base,
                sha,
                ..
            } => write!(
                f,
                "merge pull request #{number} ({head} into {base}) on GitHub with a merge commit, only if {head} is still at {}",
                short(sha)
            ),
        }
    }
}

impl GitHubCall {
    /// What GitHub lacks when the call failed, for the warning
    /// (`the GitHub release for platform/v1.2.0`).
    pub fn missing(&self) -> String {
        match self {
            GitHubCall::Release { spec } => format!("the GitHub release for {}", spec.tag_name),
            GitHubCall::CommitStatus { context, on, .. } => {
                format!("the status {context} of {on}")
            }
            GitHubCall::OpenPullRequest { pr } | GitHubCall::CreatePullRequest { pr } => {
                format!("the pull request of {}", pr.head)
            }
            GitHubCall::UpdatePullRequest { number, .. } => {
                format!("the update of pull request #{number}")
            }
            GitHubCall::RequestReviewers { reviewers, .. } => {
                format!("the review request to {}", reviewers.join(", "))
            }
            GitHubCall::AddLabels { labels, .. } => format!("the labels {}", labels.join(", ")),
            GitHubCall::CreateDeployment { deployment } => {
                format!("the deployment to {}", deployment.environment)
            }
            GitHubCall::DeploymentStatus {
                environment, state, ..
            } => format!(
                "the {} status of the deployment to {environment}",
                state.github().unwrap_or("final")
            ),
            GitHubCall::MergePullRequest { number, .. } => {
                format!("the merge of pull request #{number}")
            }
        }
    }
}

/// Carry the call out on GitHub; the answer, in words, for the report.
pub fn apply(hub: &GitHub, call: &GitHubCall, memory: &mut Memory) -> Result<String, GitHubError> {
    match call {
        GitHubCall::CreateDeployment { deployment } => {
            // A status must never reach an earlier run's deployment.
            memory.deployment = None;
            let made = hub.create_deployment(deployment)?;
            memory.deployment = Some(made.id);
            Ok(format!(
                "created GitHub deployment {} to {}",
                made.id, deployment.environment
            ))
        }
        GitHubCall::DeploymentStatus {
            id,
            environment,
            state,
            environment_url,
        } => {
            let Some(id) = id.or(memory.deployment) else {
                return Err(GitHubError::Setup(
                    "not tried, since the GitHub deployment was not created".into(),
                ));
            };
            let state = state
                .github()
                .unwrap_or_else(|| memory.deployed.unwrap_or("error"));
            let description = format!("kickoff deploy to {environment}: {state}");
            hub.deployment_status(id, state, environment_url.as_deref(), &description)?;
            Ok(format!("GitHub deployment {id} to {environment}: {state}"))
        }
        GitHubCall::Release { spec } => {
            let (release, action, said) = match hub.release_by_tag(&spec.tag_name)? {
                Some(existing) => (hub.update_release(existing.id, spec)?, "updated", "updated"),
                None => (hub.create_release(spec)?, "created", "published"),
            };
            let text = format!("{said} GitHub release {}", release.html_url);
            memory.release = Some((release, action));
            Ok(text)
        }
        GitHubCall::CommitStatus {
            sha,
            on,
            state,
            context,
            description,
        } => {
            hub.commit_status(sha, state, context, description)?;
            Ok(format!("set {context} on {on}: {state}"))
        }
        GitHubCall::OpenPullRequest { pr } => Ok(match hub.open_pull_request(&pr.head)? {
            Some(open) => format!(
                "pull request #{} is open already: {}",
                open.number, open.html_url
            ),
            None => {
                let made = hub.create_pull_request(pr)?;
                format!(
                    "opened pull request #{} {} -> {}: {}",
                    made.number, pr.head, pr.base, made.html_url
                )
            }
        }),
        GitHubCall::CreatePullRequest { pr } => {
            memory.pull_request = None;
            let made = hub.create_pull_request(pr)?;
            let text = format!(
                "created pull request #{} {} -> {}",
                made.number, pr.head, pr.base
            );
            memory.pull_request = Some((made, "created"));
            Ok(text)
        }
        GitHubCall::UpdatePullRequest { number, update, .. } => {
            let made = hub.update_pull_request(*number, update)?;
            let text = format!(
                "updated pull request #{number} {} -> {}",
                made.head.name, made.base.name
            );
            memory.pull_request = Some((made, "updated"));
            Ok(text)
        }
        GitHubCall::RequestReviewers { number, reviewers } => {
            hub.request_reviewers(pull_request(*number, memory)?, reviewers)?;
            Ok(format!("asked {} for a review", reviewers.join(", ")))
        }
        GitHubCall::AddLabels { number, labels } => {
            hub.add_labels(pull_request(*number, memory)?, labels)?;
            Ok(format!("labelled {}", labels.join(", ")))
        }
        GitHubCall::MergePullRequest {
            number,
            head,
            base,
            sha,
            title,
        } => {
            let merge = hub.merge_pull_request(*number, sha, title)?;
            Ok(format!(
                "merged pull request #{number} ({head} into {base}) on GitHub: {}",
                short(&merge)
            ))
        }
    }
}

/// The pull request a step means: its number, or the one this run created.
fn pull_request(number: Option<u64>, memory: &Memory) -> Result<u64, GitHubError> {
    number
        .or(memory.pull_request.as_ref().map(|(pr, _)| pr.number))
        .ok_or_else(|| {
            GitHubError::Setup("not tried, since the pull request was not created".into())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Interpreter, Plan, Recorder, Step};

    fn status(on: &str, state: &str) -> Step {
        Step::GitHub {
            call: GitHubCall::CommitStatus {
                sha: "0123456789abcdef0123456789abcdef01234567".into(),
                on: on.into(),
                state: state.into(),
                context: "kickoff/conflicts".into(),
                description: "merges cleanly".into(),
            },
            redo: Some("kickoff conflicts --github".into()),
        }
    }

    #[test]
    fn github_steps_print_and_serialize() {
        let plan: Plan = [
            Step::GitHub {
                call: GitHubCall::Release {
                    spec: crate::github::mirror::release_spec(
                        &crate::release::PlatformVersion::parse("1.2.0-rc.1").unwrap(),
                        "notes",
                        [],
                    ),
                },
                redo: Some("kickoff github release 1.2.0-rc.1".into()),
            },
            status("kickoff-240510-a", "success"),
            Step::GitHub {
                call: GitHubCall::MergePullRequest {
                    number: 7,
                    head: "kickoff-240510-a".into(),
                    base: "main".into(),
                    sha: "0123456789abcdef0123456789abcdef01234567".into(),
                    title: "Merge".into(),
                },
                redo: None,
            },
        ]
        .into_iter()
        .collect();
        insta::assert_snapshot!(plan.text(), @r#"
        publish the GitHub release "platform v1.2.0-rc.1" for platform/v1.2.0-rc.1 (prerelease)
        set the GitHub status kickoff/conflicts of kickoff-240510-a (0123456789) to success: merges cleanly
        merge pull request #7 (kickoff-240510-a into main) on GitHub with a merge commit, only if kickoff-240510-a is still at 0123456789
        "#);
        let json = plan.json();
        assert_eq!(json["steps"][0]["step"], "github");
        assert_eq!(json["steps"][0]["call"], "release");
        assert_eq!(json["steps"][0]["spec"]["make_latest"], "false");
        assert_eq!(json["steps"][1]["call"], "commit-status");
        assert_eq!(json["steps"][1]["redo"], "kickoff conflicts --github");
        assert_eq!(json["steps"][2]["number"], 7);
        assert!(json["steps"][2].get("redo").is_none());
    }

    #[test]
    fn a_failed_mirror_step_warns_and_the_plan_goes_on() {
        let plan: Plan = [
            status("kickoff-240510-a", "success"),
            status("kickoff-240511-b", "failure"),
        ]
        .into_iter()
        .collect();
        let mut rec = Recorder::failing_at(0);
        let mut interpreter = Interpreter::new(&mut rec);
        interpreter.run(&plan).unwrap();
        let warnings = interpreter.warnings().to_vec();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("the status kickoff/conflicts of kickoff-240510-a is not on GitHub: recorded failure"),
            "{}",
            warnings[0]
        );
        assert!(
            warnings[0].ends_with("; `kickoff conflicts --github` redoes it"),
            "{}",
            warnings[0]
        );
        assert_eq!(rec.applied.len(), 1);
    }
}
