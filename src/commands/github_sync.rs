//! `kickoff github sync`: replay on GitHub what an outage left undone.
//!
//! Git and the shared state hold the truth; this reads them, asks GitHub
//! what it has, and plans the missing calls as GitHub steps: releases for
//! platform tags on the remote, deployments the state records, and the
//! `inactive` status of a free slot's last deployment. Running it twice
//! makes no second change: what GitHub has is not planned again.

use crate::commands::github::{connect, release_spec};
use crate::commands::{Global, Session};
use crate::error::Result;
use crate::github::{GitHub, GitHubError, mirror};
use crate::plan::github::DeployState;
use crate::plan::{GitEffects, GitHubCall, Plan, Step};
use crate::release::catalog::Catalog;
use crate::slots::{DeployStatus, Deployment, SlotState};
use std::collections::BTreeMap;

/// Replay what a GitHub outage left undone (needs [github]).
///
/// With `releases = true`: the GitHub Release of each platform tag on the
/// remote that GitHub has no release for. With `deployments = true`: each
/// deployment the shared state records that GitHub lacks (matched by the
/// record id in the payload), created with its final status; and the last
/// deployment of each free slot marked inactive when it is not yet.
/// Requests: GET /repos/O/N/releases (per 100), GET
/// /repos/O/N/deployments?environment=SLOT, GET .../deployments/ID/statuses,
/// then the changes. A GitHub failure is exit 1; run it again to go on.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// Print the plan (GitHub is asked, nothing changes).
    #[arg(long)]
    pub dry_run: bool,
    /// Print the plan (with --dry-run) or the steps carried out as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: SyncArgs, g: &Global) -> Result<()> {
    let s = Session::open(g)?;
    let config = s.config.github.clone().ok_or(GitHubError::NotConfigured)?;
    let hub = connect(&s, g)?;
    let mut plan = Plan::new();
    if config.releases {
        release_steps(&s, &hub, &mut plan)?;
    }
    if config.deployments {
        deployment_steps(&s, g, &hub, &mut plan)?;
    }
    if args.dry_run {
        return super::show_plan(g, &plan, args.json);
    }
    if plan.is_empty() {
        g.ui.info("GitHub has everything kickoff knows of: nothing to replay");
    } else {
        let mut effects = GitEffects::new(&s.repo).with_github(Box::new(move || Ok(hub)));
        super::interpreter(g, &mut effects).run(&plan)?;
    }
    if args.json {
        return g.ui.json(&plan.json());
    }
    Ok(())
}

/// A release for each platform tag on the remote that GitHub lacks, oldest first.
fn release_steps(s: &Session, hub: &GitHub, plan: &mut Plan) -> Result<()> {
    if !s.has_remote() {
        return Ok(());
    }
    let (catalog, _) = Catalog::with_remote(&s.repo, &s.config.remote)?;
    let have = hub.release_tags()?;
    let mut tags: Vec<_> = catalog
        .tags
        .iter()
        .filter(|t| t.remote && t.commit.is_some())
        .filter(|t| !have.contains(&t.version.tag_name()))
        .collect();
    tags.sort_by(|a, b| a.version.cmp(&b.version));
    for tag in tags {
        plan.push(Step::GitHub {
            call: GitHubCall::Release {
                spec: release_spec(s, &catalog, tag)?,
            },
            redo: None,
        });
    }
    Ok(())
}

/// GitHub's deployments of one environment, by the kickoff record id in
/// their payload.
fn on_github(hub: &GitHub, slot: &str) -> Result<BTreeMap<String, u64>> {
    Ok(hub
        .deployments(slot, 100)?
        .into_iter()
        .filter_map(|d| Some((d.payload["record"].as_str()?.to_string(), d.id)))
        .collect())
}

/// The deployments GitHub lacks, then `inactive` for free slots.
fn deployment_steps(s: &Session, g: &Global, hub: &GitHub, plan: &mut Plan) -> Result<()> {
    let slots = &s.config.slots;
    if !slots.is_configured() {
        return Ok(());
    }
    let store = crate::commands::slot_service::store(&s.repo, &s.config, &g.ui);
    let state = store.read(false)?.state;
    let mut known: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut last: BTreeMap<&str, &Deployment> = BTreeMap::new();
    for d in state.deployments.values() {
        last.insert(&d.slot, d);
    }
    for d in state.deployments.values() {
        if d.github_deployment.is_some() {
            continue;
        }
        if !known.contains_key(&d.slot) {
            known.insert(d.slot.clone(), on_github(hub, &d.slot)?);
        }
        if known[&d.slot].contains_key(&d.id) {
            continue;
        }
        let url = slots
            .names
            .contains(&d.slot)
            .then(|| slots.endpoints(&d.slot).first().map(|e| e.url.clone()))
            .flatten();
        let status = |state| Step::GitHub {
            call: GitHubCall::DeploymentStatus {
                id: None,
                environment: d.slot.clone(),
                state,
                environment_url: url.clone(),
            },
            redo: None,
        };
        plan.push(Step::GitHub {
            call: GitHubCall::CreateDeployment {
                deployment: mirror::deployment(
                    &d.slot,
                    &d.kickoff,
                    &d.commit,
                    d.platform_version.as_deref(),
                    &d.tickets,
                    &d.id,
                ),
            },
            redo: None,
        });
        plan.push(status(match d.status {
            DeployStatus::Succeeded => DeployState::Success,
            DeployStatus::Failed | DeployStatus::TimedOut => DeployState::Failure,
            DeployStatus::Interrupted => DeployState::Error,
        }));
        let free = !state.leases.contains_key(&d.slot);
        if free && last.get(d.slot.as_str()).is_some_and(|l| l.id == d.id) {
            plan.push(status(DeployState::Inactive));
        }
    }
    inactive_steps(hub, &state, &last, &known, plan)
}

/// `inactive` for each free slot whose last deployment GitHub has, but not
/// as inactive.
fn inactive_steps(
    hub: &GitHub,
    state: &SlotState,
    last: &BTreeMap<&str, &Deployment>,
    known: &BTreeMap<String, BTreeMap<String, u64>>,
    plan: &mut Plan,
) -> Result<()> {
    for (slot, d) in last {
        if state.leases.contains_key(*slot) {
            continue;
        }
        let id = match d.github_deployment {
            Some(id) => Some(id),
            None => known.get(*slot).and_then(|k| k.get(&d.id)).copied(),
        };
        let Some(id) = id else { continue };
        if hub.latest_deployment_state(id)?.as_deref() != Some("inactive") {
            plan.push(Step::GitHub {
                call: GitHubCall::DeploymentStatus {
                    id: Some(id),
                    environment: slot.to_string(),
                    state: DeployState::Inactive,
                    environment_url: None,
                },
                redo: None,
            });
        }
    }
    Ok(())
}
