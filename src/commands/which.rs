//! `kickoff which`: which kickoff holds a ticket, and which version first shipped it.

use crate::commands::Global;
use crate::commands::Session;
use crate::error::{Error, Result};
use crate::git::git2::Oid;
use crate::kickoffs;
use crate::release::PlatformVersion;
use crate::release::catalog::{self, Catalog};
use crate::release::tickets::{self, NoteCommit};

/// Find a ticket: the platform version that first shipped it and its kickoff,
/// or the live kickoff (or feature branch) that holds it, not released yet.
///
/// Exits 1 when no version, kickoff or feature branch mentions the ticket.
#[derive(Debug, clap::Args)]
pub struct WhichArgs {
    /// A ticket key such as DASH-123.
    pub ticket: String,
    /// Print JSON (`"schema": 1`, see docs/versions.md).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub fetch: super::fresh::FetchArgs,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Holder {
    /// The platform version (`null`: a kickoff not released yet).
    pub version: Option<PlatformVersion>,
    pub kickoff: Option<String>,
    pub commits: Vec<NoteCommit>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct FeatureBranch {
    pub branch: String,
    /// Its recorded kickoff (`branch.<name>.kickoff`), when this clone has one.
    pub kickoff: Option<String>,
    /// Whether this clone has the branch.
    pub local: bool,
    /// The remote that has the branch (`null`: local only).
    pub remote: Option<String>,
}

#[derive(Debug, serde::Serialize)]
pub struct WhichJson {
    pub schema: u32,
    pub ticket: String,
    pub released: bool,
    /// The version that first shipped the ticket.
    pub first_version: Option<PlatformVersion>,
    /// The kickoff that holds it: the first version's, else the first live one's.
    pub kickoff: Option<String>,
    /// Every version whose range carries the ticket, oldest first.
    pub versions: Vec<Holder>,
    /// Live kickoffs carrying it in commits no version has yet.
    pub unreleased: Vec<Holder>,
    /// Feature branches named after the ticket.
    pub feature_branches: Vec<FeatureBranch>,
}

pub fn run(args: WhichArgs, g: &Global) -> Result<()> {
    let mut session = Session::open(g)?;
    super::fresh::refresh(&mut session, g, args.fetch.fetch)?;
    super::fresh::require_full_history(&session, "which")?;
    let ticket = session
        .config
        .ticket_pattern
        .ticket(&args.ticket)?
        .to_string();
    let (versions, unreleased) = holders(&session, &ticket)?;
    let feature_branches = feature_branches(&session, &ticket)?;
    let answer = WhichJson {
        schema: 1,
        released: !versions.is_empty(),
        first_version: versions.first().and_then(|h| h.version.clone()),
        kickoff: versions
            .first()
            .or(unreleased.first())
            .and_then(|h| h.kickoff.clone())
            .or_else(|| feature_branches.first().and_then(|f| f.kickoff.clone())),
        ticket,
        versions,
        unreleased,
        feature_branches,
    };
    if answer.versions.is_empty()
        && answer.unreleased.is_empty()
        && answer.feature_branches.is_empty()
    {
        return Err(Error::refused_hint(
            format!(
                "{} is in no platform version, live kickoff or feature branch",
                answer.ticket
            ),
            "check the key; `git fetch --tags` brings the team's versions",
        ));
    }
    if args.json {
        return g.ui.json(&answer);
    }
    g.ui.data(&render(&answer))
}

/// The versions whose range carries the ticket (oldest first), and the live
/// kickoffs carrying it in commits no version has yet.
fn holders(session: &Session, ticket: &str) -> Result<(Vec<Holder>, Vec<Holder>)> {
    let (repo, cfg) = (&session.repo, &session.config);
    let catalog = Catalog::local(repo)?;
    let commits_of = |include: Oid, exclude: &[Oid]| -> Result<Vec<NoteCommit>> {
        let commits = repo.commits_between(&[include], exclude)?;
        let notes = tickets::collect(&commits, &cfg.ticket_pattern);
        Ok(notes
            .find(ticket)
            .map(|t| t.commits.clone())
            .unwrap_or_default())
    };
    let mut versions = Vec::new();
    for t in catalog.tags.iter().rev() {
        let (Some(include), exclude) = catalog::shipped_range(&catalog, t, None) else {
            continue;
        };
        let commits = commits_of(include, &exclude)?;
        if !commits.is_empty() {
            versions.push(Holder {
                version: Some(t.version.clone()),
                kickoff: t.kickoff().map(ToString::to_string),
                commits,
            });
        }
    }
    let mut shipped: Vec<Oid> = catalog.tags.iter().filter_map(|t| t.commit).collect();
    shipped.extend(kickoffs::main_tip(repo, cfg)?);
    let mut unreleased = Vec::new();
    for k in kickoffs::live(repo, cfg)? {
        let commits = commits_of(k.tip(), &shipped)?;
        if !commits.is_empty() {
            unreleased.push(Holder {
                version: None,
                kickoff: Some(k.branch()),
                commits,
            });
        }
    }
    Ok((versions, unreleased))
}

/// Feature branches named after the ticket, here and on the remote.
fn feature_branches(session: &Session, ticket: &str) -> Result<Vec<FeatureBranch>> {
    let (repo, cfg) = (&session.repo, &session.config);
    let mut found = Vec::new();
    let prefix = format!("{}{ticket}", cfg.feature_prefix);
    let named = |branch: &str| branch == prefix || branch.starts_with(&format!("{prefix}-"));
    for (branch, _) in repo.local_branches(&prefix)? {
        if named(&branch) {
            let kickoff = kickoffs::kickoff_of_branch(repo, cfg, &branch)?.map(|k| k.to_string());
            found.push(FeatureBranch {
                branch,
                kickoff,
                local: true,
                remote: None,
            });
        }
    }
    // A teammate's feature branch is only on the remote: name it there.
    if session.has_remote() {
        for (branch, _) in repo.remote_branches(&cfg.remote, &prefix)? {
            if !named(&branch) {
                continue;
            }
            match found.iter_mut().find(|f| f.branch == branch) {
                Some(local) => local.remote = Some(cfg.remote.clone()),
                None => found.push(FeatureBranch {
                    kickoff: None,
                    branch,
                    local: false,
                    remote: Some(cfg.remote.clone()),
                }),
            }
        }
    }
    Ok(found)
}

fn render(a: &WhichJson) -> String {
    let mut s = format!("{}\n", a.ticket);
    let mut line = |k: &str, val: String| s.push_str(&format!("{k:<15} {val}\n"));
    line("kickoff", a.kickoff.clone().unwrap_or_else(|| "-".into()));
    match &a.first_version {
        Some(v) => line("first shipped", format!("{v} (platform/v{v})")),
        None => line("first shipped", "not released yet".into()),
    }
    if a.versions.len() > 1 {
        let later: Vec<String> = a.versions[1..]
            .iter()
            .filter_map(|h| h.version.as_ref().map(ToString::to_string))
            .collect();
        line("also in", later.join(", "));
    }
    for h in &a.unreleased {
        line("unreleased in", h.kickoff.clone().unwrap_or_default());
    }
    for f in &a.feature_branches {
        let parent = f
            .kickoff
            .as_deref()
            .map(|k| format!(" (under {k})"))
            .unwrap_or_default();
        let place = match &f.remote {
            Some(r) if !f.local => format!("{r}/{}", f.branch),
            _ => f.branch.clone(),
        };
        line("feature branch", format!("{place}{parent}"));
    }
    let commits: Vec<&NoteCommit> = a
        .versions
        .iter()
        .chain(&a.unreleased)
        .flat_map(|h| &h.commits)
        .collect();
    if !commits.is_empty() {
        s.push_str("commits:\n");
        for c in commits {
            s.push_str(&format!("  {} {}\n", &c.oid.to_string()[..10], c.summary));
        }
    }
    s
}
