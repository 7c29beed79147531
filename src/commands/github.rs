//! `kickoff github status | release | sync`: the GitHub mirror itself, plus
//! the helpers other commands use to mirror as a side effect.

use crate::cli::Global;
use crate::commands::Session;
use crate::error::{Error, Result};
use crate::github::{self, GitHub, GitHubError, Target};
use crate::release::PlatformVersion;
use crate::release::catalog::{Catalog, PlatformTag};

/// The GitHub mirror: pull requests, releases and deployments.
///
/// Git holds the truth; GitHub shows it. Configure it with a [github] section
/// in .kickoff.toml (docs/github.md); the token comes from
/// KICKOFF_GITHUB_TOKEN, GH_TOKEN, GITHUB_TOKEN or `gh auth token`.
#[derive(Debug, clap::Args)]
pub struct GithubArgs {
    #[command(subcommand)]
    pub command: GithubCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum GithubCommand {
    Status(StatusArgs),
    Release(ReleaseArgs),
}

/// Show where GitHub is and what the token may do.
///
/// Host, API URL, repository, where the token came from (never the token),
/// the scopes or repository permissions GitHub reports, and the rate limit.
/// Requests: GET /rate_limit, GET /repos/OWNER/NAME.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Print JSON (`"schema": 1`, see docs/github.md).
    #[arg(long)]
    pub json: bool,
}

/// Create or update the GitHub Release of a platform tag that exists already.
///
/// For backfilling: versions released before `releases = true`, or while
/// GitHub was down. The tag must be on the remote. Name "platform vX.Y.Z",
/// body = `kickoff notes X.Y.Z`, prerelease for a semver prerelease, and
/// Latest only for the highest version without a prerelease part.
/// Requests: GET /repos/O/N/releases/tags/platform%2FvX.Y.Z, then
/// PATCH /repos/O/N/releases/ID or POST /repos/O/N/releases.
#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    /// The version: X.Y.Z, vX.Y.Z or platform/vX.Y.Z.
    #[arg(value_name = "VERSION")]
    pub platform: String,
    /// Print the release it would write (GitHub is asked, nothing changes).
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON (`"schema": 1`, see docs/github.md).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: GithubArgs, g: &Global) -> Result<()> {
    match args.command {
        GithubCommand::Status(a) => status(a, g),
        GithubCommand::Release(a) => release(a, g),
    }
}

/// What a release request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Action {
    Created,
    Updated,
}

/// Create or update the GitHub Release of `tag`: GET by tag, then PATCH or POST.
pub(crate) fn publish_release(
    s: &Session,
    hub: &GitHub,
    catalog: &Catalog,
    tag: &PlatformTag,
) -> Result<(github::api::Release, Action)> {
    let spec = release_spec(s, catalog, tag)?;
    Ok(match hub.release_by_tag(&spec.tag_name)? {
        Some(existing) => (hub.update_release(existing.id, &spec)?, Action::Updated),
        None => (hub.create_release(&spec)?, Action::Created),
    })
}

fn release_spec(
    s: &Session,
    catalog: &Catalog,
    tag: &PlatformTag,
) -> Result<github::api::ReleaseSpec> {
    let notes = super::notes::version_markdown(s, catalog, tag)?;
    Ok(github::mirror::release_spec(
        &tag.version,
        &notes,
        catalog.versions(),
    ))
}

/// After `kickoff release` pushed `version`'s tag: publish its GitHub Release
/// when `releases = true`. A failure is a warning; the tag stands.
pub(crate) fn mirror_release(s: &Session, g: &Global, version: &PlatformVersion) {
    if !s.config.github.as_ref().is_some_and(|c| c.releases) {
        return;
    }
    let what = format!("the GitHub release for {}", version.tag_name());
    let result = (|| -> Result<(github::api::Release, Action)> {
        let catalog = Catalog::local(&s.repo)?;
        let tag = catalog
            .find(version)
            .ok_or_else(|| Error::refused(format!("{} is not here", version.tag_name())))?;
        let hub = connect(s, g)?;
        publish_release(s, &hub, &catalog, tag)
    })();
    match result {
        Ok((r, action)) => g.ui.done(format!(
            "{} GitHub release {}",
            if action == Action::Created {
                "published"
            } else {
                "updated"
            },
            r.html_url
        )),
        Err(e) => warn_unmirrored(g, &what, &e, &format!("kickoff github release {version}")),
    }
}

fn release(args: ReleaseArgs, g: &Global) -> Result<()> {
    let version = PlatformVersion::parse(&args.platform)?;
    let s = Session::open(g)?;
    let catalog = if s.has_remote() {
        Catalog::with_remote(&s.repo, &s.config.remote)?.0
    } else {
        Catalog::local(&s.repo)?
    };
    let tag = catalog.find(&version).ok_or_else(|| {
        Error::refused_hint(
            format!("there is no tag {}", version.tag_name()),
            "`kickoff versions` lists the platform versions; `kickoff release` makes one",
        )
    })?;
    if !tag.remote {
        return Err(Error::refused_hint(
            format!(
                "{} is not on {}, so GitHub cannot see it",
                version.tag_name(),
                s.config.remote
            ),
            format!(
                "push it first: `git push {} {}`",
                s.config.remote,
                version.tag_name()
            ),
        ));
    }
    let hub = connect(&s, g)?;
    if args.dry_run {
        let spec = release_spec(&s, &catalog, tag)?;
        let existing = hub.release_by_tag(&spec.tag_name)?;
        g.ui.info("dry run: nothing changed");
        let mut text = format!(
            "{} release \"{}\" for {} (prerelease: {}, latest: {})\n\nbody:\n",
            if existing.is_some() {
                "update"
            } else {
                "create"
            },
            spec.name,
            spec.tag_name,
            spec.prerelease,
            spec.make_latest
        );
        for line in spec.body.lines() {
            text.push_str(format!("  {line}").trim_end());
            text.push('\n');
        }
        return g.ui.data(&text);
    }
    let (r, action) = publish_release(&s, &hub, &catalog, tag)?;
    if args.json {
        return g.ui.json(&serde_json::json!({
            "schema": 1,
            "action": action,
            "id": r.id,
            "tag": r.tag_name,
            "url": r.html_url,
            "prerelease": r.prerelease,
        }));
    }
    g.ui.done(format!(
        "{} the GitHub release for {}",
        if action == Action::Created {
            "created"
        } else {
            "updated"
        },
        version.tag_name()
    ));
    g.ui.data(&format!("{}\n", r.html_url))
}

/// Where GitHub is for this session: `[github]`, the remote's URL and
/// `KICKOFF_GITHUB_API_URL`. `NotConfigured` without the section.
pub(crate) fn target(s: &Session) -> Result<Target, GitHubError> {
    let config = s.config.github.as_ref().ok_or(GitHubError::NotConfigured)?;
    let remote = &s.config.remote;
    let url = s
        .repo
        .has_remote(remote)
        .then(|| s.repo.git(["remote", "get-url", remote.as_str()]).ok())
        .flatten();
    let env = std::env::var(github::config::API_URL_ENV).ok();
    github::resolve_target(
        config,
        remote,
        url.as_deref().map(str::trim),
        env.as_deref(),
    )
}

/// Connect to GitHub for this session; waits on the rate limit are reported.
pub(crate) fn connect(s: &Session, g: &Global) -> Result<GitHub, GitHubError> {
    let ui = g.ui.clone();
    Ok(GitHub::connect(target(s)?)?.with_notice(Box::new(move |m| ui.info(m))))
}

/// A mirror step that failed in a command whose job is git: say what GitHub
/// lacks now and how to redo it (`redo`, a command). Never an error: the git
/// work is done and stays.
pub(crate) fn warn_unmirrored(g: &Global, what: &str, e: &Error, redo: &str) {
    let mut text = format!("{what} is not on GitHub: {e}");
    if let Some(h) = e.hint() {
        text.push_str(&format!(" ({h})"));
    }
    text.push_str(&format!("; `{redo}` redoes it"));
    g.ui.warn(text);
}

#[derive(serde::Serialize)]
struct StatusJson<'a> {
    schema: u32,
    #[serde(flatten)]
    target: &'a Target,
    token_source: &'a github::TokenSource,
    #[serde(flatten)]
    access: &'a github::api::AccessReport,
    releases: bool,
    deployments: bool,
}

fn status(args: StatusArgs, g: &Global) -> Result<()> {
    let s = Session::open(g)?;
    let hub = connect(&s, g)?;
    let access = hub.access_report()?;
    let config = s.config.github.clone().unwrap_or_default();
    if args.json {
        return g.ui.json(&StatusJson {
            schema: 1,
            target: &hub.target,
            token_source: &hub.token_source,
            access: &access,
            releases: config.releases,
            deployments: config.deployments,
        });
    }
    let t = &hub.target;
    let on = |b: bool| if b { "on" } else { "off" };
    let rate = &access.rate_limit;
    let reset = chrono::DateTime::from_timestamp(rate.reset, 0).map_or_else(
        || rate.reset.to_string(),
        |d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    );
    let rows = [
        (
            "host",
            format!(
                "{}{}",
                t.host,
                if t.enterprise { " (Enterprise)" } else { "" }
            ),
        ),
        ("api", format!("{} (from {})", t.api_url, t.api_url_from)),
        ("repository", t.repository.to_string()),
        ("token", format!("from {}", hub.token_source)),
        (
            "scopes",
            match &access.scopes {
                Some(s) if s.is_empty() => "none".to_string(),
                Some(s) => s.join(", "),
                None => "not reported (a fine-grained token or an app)".into(),
            },
        ),
        ("permissions", access.permissions.join(", ")),
        (
            "rate limit",
            format!("{} of {} left, resets {reset}", rate.remaining, rate.limit),
        ),
        ("releases", on(config.releases).into()),
        ("deployments", on(config.deployments).into()),
    ];
    let mut text = String::new();
    for (k, v) in rows {
        text.push_str(&format!("{k:<12} {v}\n"));
    }
    g.ui.data(&text)
}
