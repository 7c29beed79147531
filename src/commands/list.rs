//! `kickoff list`: every live kickoff and its state, as a table or JSON.

use crate::commands::Global;
use crate::commands::Session;
use crate::error::Result;
use crate::output::table;
use crate::overview::{KickoffEntry, ListDoc, Snapshot};

/// Show the live kickoffs: date and age, commits ahead of and behind main,
/// feature branches (merged / open), last commit.
///
/// Reads local refs and git config only (remote-tracking refs are as fresh as
/// your last fetch; --fetch refreshes them first). Feature branches count
/// under the kickoff recorded in git config (`kickoff feature` does that);
/// one without a record here (a teammate's, fetched) counts under the live
/// kickoff whose commits lead to it, when exactly one does.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Include kickoffs already merged into main.
    #[arg(long)]
    pub all: bool,
    /// Print JSON (`"schema": 1`, see docs/formats.md).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub fetch: super::fresh::FetchArgs,
    /// Add each kickoff's open pull request on GitHub: number, draft or
    /// open, review decision (one GitHub request per 100 open pull requests).
    #[arg(long)]
    pub github: bool,
}

pub fn run(args: ListArgs, g: &Global) -> Result<()> {
    let mut s = Session::open(g)?;
    super::fresh::refresh(&mut s, g, args.fetch.fetch)?;
    super::fresh::require_full_history(&s, "list")?;
    crate::kickoffs::require_main_tip(&s.repo, &s.config)?;
    let snapshot = Snapshot::read(&s.repo, &s.config)?;
    let today = chrono::Local::now().date_naive();
    let doc = snapshot.list(&s.repo, args.all, today)?;
    let prs = super::github::pull_requests_if(&s, g, args.github)?;
    if args.json {
        return super::github::json_with_pull_requests(g, &doc, &["/kickoffs"], prs.as_ref());
    }
    if doc.kickoffs.is_empty() {
        g.ui.info(if args.all {
            "no kickoffs yet; start one with `kickoff new <summary>`"
        } else {
            "no live kickoffs; start one with `kickoff new <summary>` (--all shows merged ones)"
        });
        return Ok(());
    }
    let cell = |k: &KickoffEntry| {
        let prs = prs.as_ref()?;
        Some(super::github::pull_request_cell(prs.get(&k.name)))
    };
    let extra: Option<Column> = prs.is_some().then_some(("PULL REQUEST", &cell));
    g.ui.data(&render_with(&doc, args.all, extra))
}

/// One more column for the table: its header and a cell per kickoff.
pub type Column<'a> = (&'a str, &'a dyn Fn(&KickoffEntry) -> Option<String>);

/// A kickoff's age for the table: `14d`, or `in 3d` for a date still ahead.
pub fn age_short(days: i64) -> String {
    if days < 0 {
        format!("in {}d", -days)
    } else {
        format!("{days}d")
    }
}

/// A kickoff's age in words: `14 days ago`, `today`, `in 3 days`.
pub fn age_words(days: i64) -> String {
    match days {
        0 => "today".into(),
        1 => "1 day ago".into(),
        -1 => "in 1 day".into(),
        d if d < 0 => format!("in {} days", -d),
        d => format!("{d} days ago"),
    }
}

/// The human-readable table.
pub fn render(doc: &ListDoc, all: bool) -> String {
    render_with(doc, all, None)
}

/// The table with one more column (`--github`: the pull requests).
pub fn render_with(doc: &ListDoc, all: bool, extra: Option<Column>) -> String {
    let mut header = vec![
        "KICKOFF",
        "DATE",
        "AGE",
        "AHEAD",
        "BEHIND",
        "FEATURES MERGED/OPEN",
        "VERSION",
        "LAST COMMIT",
    ];
    if all {
        header.push("STATE");
    }
    if let Some((name, _)) = extra {
        header.push(name);
    }
    let rows: Vec<Vec<String>> = doc
        .kickoffs
        .iter()
        .map(|k| {
            let mut row = vec![
                if k.local.is_none() {
                    format!("{} (remote only)", k.name)
                } else {
                    k.name.clone()
                },
                k.date.to_string(),
                age_short(k.age_days),
                k.ahead.to_string(),
                k.behind.to_string(),
                format!("{}/{}", k.features.merged, k.features.open),
                k.platform_version.as_deref().unwrap_or("-").to_string(),
                k.last_commit.format("%Y-%m-%d %H:%M").to_string(),
            ];
            if all {
                row.push(if k.merged { "merged" } else { "live" }.to_string());
            }
            if let Some((_, cell)) = extra {
                row.push(cell(k).unwrap_or_else(|| "-".into()));
            }
            row
        })
        .collect();
    table(&header, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overview::{FeatureCounts, KickoffEntry, MainInfo};

    fn entry(name: &str, local: bool, merged: bool) -> KickoffEntry {
        let date = chrono::NaiveDate::from_ymd_opt(2024, 5, 10).unwrap();
        KickoffEntry {
            name: name.into(),
            date,
            summary: name.rsplit('-').next().unwrap().into(),
            age_days: 14,
            local: local.then(|| "a".repeat(40)),
            remote: Some("a".repeat(40)),
            tip: "a".repeat(40),
            merged,
            ahead: 12,
            behind: 3,
            features: FeatureCounts { merged: 2, open: 1 },
            platform_version: local.then(|| "1.3.10".to_string()),
            last_commit: chrono::DateTime::parse_from_rfc3339("2024-05-20T09:30:00+02:00").unwrap(),
        }
    }

    /// Regression: a kickoff dated in the future showed an age of `-3d`.
    #[test]
    fn ages_read_forwards_and_backwards() {
        assert_eq!(age_short(14), "14d");
        assert_eq!(age_short(0), "0d");
        assert_eq!(age_short(-3), "in 3d");
        assert_eq!(age_words(14), "14 days ago");
        assert_eq!(age_words(1), "1 day ago");
        assert_eq!(age_words(0), "today");
        assert_eq!(age_words(-1), "in 1 day");
        assert_eq!(age_words(-3), "in 3 days");
    }

    #[test]
    fn table() {
        let doc = ListDoc {
            schema: 1,
            main: MainInfo {
                branch: "main".into(),
                ref_name: Some("refs/remotes/origin/main".into()),
                oid: None,
            },
            kickoffs: vec![
                entry("kickoff-240510-dashboard", true, false),
                entry("kickoff-240510-billing", false, true),
            ],
        };
        insta::assert_snapshot!(render(&doc, false), @r"
        KICKOFF                               DATE        AGE  AHEAD  BEHIND  FEATURES MERGED/OPEN  VERSION  LAST COMMIT
        kickoff-240510-dashboard              2024-05-10  14d  12     3       2/1                   1.3.10   2024-05-20 09:30
        kickoff-240510-billing (remote only)  2024-05-10  14d  12     3       2/1                   -        2024-05-20 09:30
        ");
        insta::assert_snapshot!(render(&doc, true), @r"
        KICKOFF                               DATE        AGE  AHEAD  BEHIND  FEATURES MERGED/OPEN  VERSION  LAST COMMIT       STATE
        kickoff-240510-dashboard              2024-05-10  14d  12     3       2/1                   1.3.10   2024-05-20 09:30  live
        kickoff-240510-billing (remote only)  2024-05-10  14d  12     3       2/1                   -        2024-05-20 09:30  merged
        ");
    }
}
