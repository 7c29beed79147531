//! `kickoff versions`: every platform version and its kickoff, newest first.

use crate::commands::Global;
use crate::commands::Session;
use crate::error::Result;
use crate::output::table;
use crate::release::catalog::{Catalog, VersionView};

/// List every platform version with its kickoff, deploy date, commit and
/// ticket count, newest first (semver precedence).
///
/// Read from the local `platform/v*` tags alone; --fetch brings the team's
/// first.
#[derive(Debug, clap::Args)]
pub struct VersionsArgs {
    /// Print JSON (`"schema": 1`, see docs/versions.md).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub fetch: super::fresh::FetchArgs,
}

#[derive(serde::Serialize)]
struct VersionsJson {
    schema: u32,
    versions: Vec<VersionView>,
}

pub fn run(args: VersionsArgs, g: &Global) -> Result<()> {
    let mut session = Session::open(g)?;
    super::fresh::refresh(&mut session, g, args.fetch.fetch)?;
    // A shallow clone holds only the tags of the commits it fetched.
    super::fresh::require_full_history(&session, "versions")?;
    let catalog = Catalog::local(&session.repo)?;
    let views: Vec<VersionView> = catalog.tags.iter().map(VersionView::new).collect();
    if args.json {
        return g.ui.json(&VersionsJson {
            schema: 1,
            versions: views,
        });
    }
    if views.is_empty() {
        g.ui.info("no platform versions yet; `kickoff release --platform X.Y.Z` makes the first");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = views
        .iter()
        .map(|v| {
            vec![
                v.version.to_string(),
                v.kickoff.clone().unwrap_or_else(|| "?".into()),
                v.deploy_date.clone().unwrap_or_else(|| "-".into()),
                v.commit
                    .as_deref()
                    .map_or_else(|| "-".into(), |c| c[..10].to_string()),
                v.ticket_count.to_string(),
            ]
        })
        .collect();
    g.ui.data(&table(
        &["VERSION", "KICKOFF", "DEPLOY DATE", "COMMIT", "TICKETS"],
        &rows,
    ))
}
