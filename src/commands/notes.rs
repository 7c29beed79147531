//! `kickoff notes`: the tickets a platform version (or a kickoff) ships.

use crate::commands::Global;
use crate::commands::Session;
use crate::commands::show::{Query, find_version, parse_query};
use crate::error::{Error, Result};
use crate::git::git2::Oid;
use crate::kickoffs;
use crate::release::PlatformVersion;
use crate::release::catalog::{self, Catalog, NotesStart};
use crate::release::tickets::{self, Notes};

/// Release notes: the tickets shipped in a version, with their commits.
///
/// A release covers everything since the previous release (its prereleases
/// included); a prerelease covers everything since the previous version of
/// any kind; with `--since V`, everything after V. The notes say which. Tickets come from feature
/// branch names in merge commits (`Merge branch 'feature/DASH-123'`: the merged
/// commits count for DASH-123), from squash merges and from any commit
/// message. A kickoff without a version yet gets what it would ship: its
/// commits that neither main nor any version has. Markdown, or `--json`.
#[derive(Debug, clap::Args)]
pub struct NotesArgs {
    /// A platform version (1.3.10, v1.3.10, platform/v1.3.10) or a kickoff branch.
    #[arg(value_name = "VERSION|KICKOFF")]
    pub what: String,
    /// Start after this version instead of the previous one (widens the range).
    #[arg(long, value_name = "VERSION")]
    pub since: Option<String>,
    /// Print JSON (`"schema": 1`, see docs/versions.md).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub fetch: super::fresh::FetchArgs,
}

#[derive(Debug, serde::Serialize)]
pub struct NotesJson {
    pub schema: u32,
    pub version: Option<PlatformVersion>,
    pub kickoff: Option<String>,
    pub since: Option<PlatformVersion>,
    /// Where the notes start (`previous-release`, `previous-version`,
    /// `since`, `kickoff-base`, `beginning`); `null` for an unreleased kickoff.
    pub start: Option<NotesStart>,
    #[serde(flatten)]
    pub notes: Notes,
}

/// The Markdown `kickoff notes VERSION` prints for a tag of `catalog`: what a
/// GitHub release says.
pub(crate) fn version_markdown(
    s: &Session,
    catalog: &Catalog,
    t: &catalog::PlatformTag,
) -> Result<String> {
    let (include, exclude) = catalog::shipped_range(catalog, t, None);
    let include = include.ok_or_else(|| {
        Error::refused(format!(
            "the commit of {} is not in this repository",
            t.version.tag_name()
        ))
    })?;
    let commits = s.repo.commits_between(&[include], &exclude)?;
    let notes = tickets::collect(&commits, &s.config.ticket_pattern);
    let title = match t.kickoff() {
        Some(k) => format!("platform v{} ({k})", t.version),
        None => format!("platform v{}", t.version),
    };
    Ok(tickets::markdown(&title, &notes))
}

pub fn run(args: NotesArgs, g: &Global) -> Result<()> {
    let query = parse_query(&args.what)?;
    let since = match &args.since {
        Some(s) => Some(PlatformVersion::parse(s)?),
        None => None,
    };
    let mut session = Session::open(g)?;
    super::fresh::refresh(&mut session, g, args.fetch.fetch)?;
    super::fresh::require_full_history(&session, "notes")?;
    let (repo, cfg) = (&session.repo, &session.config);
    let catalog = Catalog::local(repo)?;
    if let Some(s) = &since {
        find_version(&catalog, s)?;
    }
    let target = match &query {
        Query::Version(v) => Some(find_version(&catalog, v)?),
        Query::Kickoff(k) => catalog.of_kickoff(k).into_iter().next(),
    };
    let Range {
        title,
        version,
        kickoff,
        include,
        exclude,
        start,
    } = match (target, &query) {
        (Some(t), _) => version_range(&catalog, t, since.as_ref())?,
        (None, Query::Kickoff(k)) => kickoff_range(&session, &catalog, k, since.as_ref())?,
        (None, Query::Version(_)) => unreachable!("a version query found its tag or failed"),
    };
    let commits = repo.commits_between(&[include], &exclude)?;
    let notes = tickets::collect(&commits, &cfg.ticket_pattern);
    if args.json {
        return g.ui.json(&NotesJson {
            schema: 1,
            version,
            kickoff,
            since,
            start,
            notes,
        });
    }
    let intro = start.as_ref().map(NotesStart::describe);
    g.ui.data(&tickets::markdown_with_intro(
        &title,
        intro.as_deref(),
        &notes,
    ))
}

/// What the notes cover: the commits of `include` that `exclude` lacks.
struct Range {
    title: String,
    version: Option<PlatformVersion>,
    kickoff: Option<String>,
    include: Oid,
    exclude: Vec<Oid>,
    start: Option<NotesStart>,
}

/// The range of a platform version: since the previous one, or `--since`.
fn version_range(
    catalog: &Catalog,
    t: &catalog::PlatformTag,
    since: Option<&PlatformVersion>,
) -> Result<Range> {
    if let Some(s) = since {
        if s >= &t.version {
            return Err(Error::usage_hint(
                format!("--since {s} is not below {}", t.version),
                "give an earlier version to widen the range",
            ));
        }
    }
    let (include, exclude, start) = catalog::notes_range(catalog, t, since);
    let include = include.ok_or_else(|| {
        Error::refused(format!(
            "the commit of {} is not in this repository",
            t.version.tag_name()
        ))
    })?;
    let kickoff = t.kickoff().map(ToString::to_string);
    let title = match &kickoff {
        Some(k) => format!("platform v{} ({k})", t.version),
        None => format!("platform v{}", t.version),
    };
    Ok(Range {
        title,
        version: Some(t.version.clone()),
        kickoff,
        include,
        exclude,
        start: Some(start),
    })
}

/// The range of a kickoff without a version: what it would ship, the commits
/// neither main nor any version (or only versions up to `--since`) has.
fn kickoff_range(
    session: &Session,
    catalog: &Catalog,
    k: &crate::naming::KickoffName,
    since: Option<&PlatformVersion>,
) -> Result<Range> {
    let (repo, cfg) = (&session.repo, &session.config);
    let found = kickoffs::all(repo, cfg)?.into_iter().find(|x| &x.name == k);
    let Some(found) = found else {
        return Err(Error::refused_hint(
            format!("no kickoff named {k}, and no platform version names it"),
            "`kickoff list` shows the kickoffs",
        ));
    };
    let mut exclude: Vec<Oid> = catalog
        .tags
        .iter()
        .filter(|t| since.is_none_or(|s| &t.version <= s))
        .filter_map(|t| t.commit)
        .collect();
    if since.is_none() {
        exclude.extend(kickoffs::main_tip(repo, cfg)?);
    }
    Ok(Range {
        title: format!("{k} (not released yet)"),
        version: None,
        kickoff: Some(k.to_string()),
        include: found.tip(),
        exclude,
        start: None,
    })
}
