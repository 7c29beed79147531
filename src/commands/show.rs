//! `kickoff show`: the two-way mapping between a platform version and its kickoff.

use crate::commands::Global;
use crate::commands::Session;
use crate::error::{Error, Result};
use crate::kickoffs;
use crate::naming::KickoffName;
use crate::release::PlatformVersion;
use crate::release::catalog::{Catalog, PlatformTag, VersionView};

/// Show the kickoff of a platform version, or the platform version of a kickoff.
///
/// Takes `1.3.10`, `v1.3.10`, `platform/v1.3.10` or a kickoff branch name.
/// The answer comes from the tags alone, so every clone answers the same.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// A platform version or a kickoff branch.
    #[arg(value_name = "VERSION|KICKOFF")]
    pub what: String,
    /// Print JSON (`"schema": 1`, see docs/versions.md).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub fetch: super::fresh::FetchArgs,
}

/// What `show` answers.
#[derive(Debug, serde::Serialize)]
pub struct ShowJson {
    pub schema: u32,
    /// The kickoff asked about, or the version's kickoff.
    pub kickoff: Option<String>,
    /// The kickoff's platform version (the newest when it has prereleases); `null`
    /// when it has none yet.
    pub platform_version: Option<VersionView>,
    /// Every version of the kickoff, newest first.
    pub versions: Vec<VersionView>,
    /// Whether main holds the released commit.
    pub landed: Option<bool>,
}

/// What the user asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    Version(PlatformVersion),
    Kickoff(KickoffName),
}

/// Read the argument: a kickoff name when it looks like one, else a version.
pub fn parse_query(input: &str) -> Result<Query> {
    if input.starts_with(crate::naming::KICKOFF_PREFIX) {
        return Ok(Query::Kickoff(KickoffName::parse(input)?));
    }
    match PlatformVersion::parse(input) {
        Ok(v) => Ok(Query::Version(v)),
        Err(e) => Err(Error::usage_because(
            format!("{input:?} is neither a platform version nor a kickoff branch"),
            Some("give 1.3.10, v1.3.10, platform/v1.3.10 or kickoff-YYMMDD-summary".into()),
            e,
        )),
    }
}

/// The tag a version query names, or a refusal that says how to get it.
pub fn find_version<'a>(catalog: &'a Catalog, v: &PlatformVersion) -> Result<&'a PlatformTag> {
    catalog.find(v).ok_or_else(|| {
        Error::refused_hint(
            format!("there is no platform version {v} (no tag {})", v.tag_name()),
            "`kickoff versions` lists them; `git fetch --tags` brings the team's",
        )
    })
}

pub fn run(args: ShowArgs, g: &Global) -> Result<()> {
    let query = parse_query(&args.what)?;
    let mut session = Session::open(g)?;
    super::fresh::refresh(&mut session, g, args.fetch.fetch)?;
    super::fresh::require_full_history(&session, "show")?;
    let (repo, cfg) = (&session.repo, &session.config);
    let catalog = Catalog::local(repo)?;
    let (kickoff, tags): (Option<String>, Vec<&PlatformTag>) = match &query {
        Query::Version(v) => {
            let t = find_version(&catalog, v)?;
            (t.kickoff().map(ToString::to_string), vec![t])
        }
        Query::Kickoff(k) => {
            let tags = catalog.of_kickoff(k);
            if tags.is_empty() && !kickoffs::all(repo, cfg)?.iter().any(|x| &x.name == k) {
                return Err(Error::refused_hint(
                    format!("no kickoff named {k}, and no platform version names it"),
                    "`kickoff list` shows the kickoffs, `kickoff versions` the versions",
                ));
            }
            (Some(k.to_string()), tags)
        }
    };
    let main = kickoffs::main_tip(repo, cfg)?;
    let landed = match (tags.first().and_then(|t| t.commit), main) {
        (Some(c), Some(m)) => Some(repo.is_ancestor(c, m)?),
        _ => None,
    };
    let views: Vec<VersionView> = tags.iter().map(|t| VersionView::new(t)).collect();
    let answer = ShowJson {
        schema: 1,
        kickoff,
        platform_version: views.first().cloned(),
        versions: views,
        landed,
    };
    if args.json {
        return g.ui.json(&answer);
    }
    g.ui.data(&render(&answer))
}

fn render(a: &ShowJson) -> String {
    let kickoff = a
        .kickoff
        .as_deref()
        .unwrap_or("? (the tag names no kickoff)");
    let Some(v) = &a.platform_version else {
        return format!("{kickoff}\nplatform version  none yet\n");
    };
    let mut s = format!("{} <-> {kickoff}\n", v.tag);
    let mut line = |k: &str, val: String| s.push_str(&format!("{k:<17} {val}\n"));
    line("platform version", v.version.to_string());
    line("kickoff", kickoff.to_string());
    line(
        "deploy date",
        v.deploy_date.clone().unwrap_or_else(|| "-".into()),
    );
    line("commit", v.commit.clone().unwrap_or_else(|| "-".into()));
    line(
        "kickoff base",
        v.kickoff_base.clone().unwrap_or_else(|| "-".into()),
    );
    line(
        "tickets",
        if v.tickets.is_empty() {
            "-".into()
        } else {
            v.tickets.join(", ")
        },
    );
    if let Some(landed) = a.landed {
        line("landed in main", if landed { "yes" } else { "no" }.into());
    }
    if !v.waived.is_empty() {
        let keys: Vec<&str> = v.waived.iter().map(|r| r.key()).collect();
        line("waived rules", keys.join(", "));
    }
    if a.versions.len() > 1 {
        let all: Vec<String> = a.versions.iter().map(|v| v.version.to_string()).collect();
        line("all versions", all.join(", "));
    }
    s
}
