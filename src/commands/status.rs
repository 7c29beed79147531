//! `kickoff status [K]`: one kickoff in detail.

use crate::commands::Global;
use crate::commands::Session;
use crate::commands::new::short;
use crate::error::Result;
use crate::git::git2::Oid;
use crate::overview::{
    FeatureEntry, FeatureState, ParentSource, Snapshot, StatusDoc, UpstreamState,
};

/// Show one kickoff in detail: its base on main, commits ahead of and behind
/// main, how it stands against the remote, and its feature branches with
/// their merge state.
///
/// A feature branch belongs to the kickoff recorded in git config (`kickoff
/// feature` does that); one without a record here (a teammate's, fetched) is
/// attributed from history when exactly one live kickoff's commits lead to it,
/// and marked "parent inferred from history".
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The kickoff [default: the current branch's kickoff].
    #[arg(value_name = "KICKOFF")]
    pub kickoff: Option<String>,
    /// The kickoff, as an option like `release` takes it.
    #[arg(long = "kickoff", value_name = "KICKOFF", conflicts_with = "kickoff")]
    pub kickoff_flag: Option<String>,
    /// Print JSON (`"schema": 1`, see docs/formats.md).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub fetch: super::fresh::FetchArgs,
    /// Add the open pull request of the kickoff and of each feature branch
    /// on GitHub: number, draft or open, review decision.
    #[arg(long)]
    pub github: bool,
}

pub fn run(args: StatusArgs, g: &Global) -> Result<()> {
    let mut s = Session::open(g)?;
    super::fresh::refresh(&mut s, g, args.fetch.fetch)?;
    super::fresh::require_full_history(&s, "status")?;
    let k = super::resolve_kickoff(
        &s.repo,
        &s.config,
        &g.ui,
        args.kickoff.as_deref().or(args.kickoff_flag.as_deref()),
        "the KICKOFF argument",
    )?;
    crate::kickoffs::require_main_tip(&s.repo, &s.config)?;
    let snapshot = Snapshot::read(&s.repo, &s.config)?;
    let today = chrono::Local::now().date_naive();
    let doc = snapshot.status(&s.repo, &s.config, &k, today)?;
    let prs = super::github::pull_requests_if(&s, g, args.github)?;
    if args.json {
        return super::github::json_with_pull_requests(
            g,
            &doc,
            &["/kickoff", "/features"],
            prs.as_ref(),
        );
    }
    let mut text = render(&doc);
    if let Some(prs) = &prs {
        text.push_str(&super::github::pull_request_lines(&doc, prs));
    }
    g.ui.data(&text)
}

fn short_str(oid: &str) -> String {
    Oid::from_str(oid)
        .map(short)
        .unwrap_or_else(|_| oid.to_string())
}

/// The human-readable report.
pub fn render(doc: &StatusDoc) -> String {
    let k = &doc.kickoff;
    let main = doc
        .main
        .ref_name
        .as_deref()
        .map_or(doc.main.branch.clone(), |r| {
            r.trim_start_matches("refs/remotes/")
                .trim_start_matches("refs/heads/")
                .to_string()
        });
    let mut out = format!(
        "{}  ({})\n",
        k.name,
        if k.merged { "merged into main" } else { "live" }
    );
    out.push_str(&format!(
        "  kickoff date  {} ({})\n",
        k.date,
        super::list::age_words(k.age_days)
    ));
    out.push_str(&format!(
        "  tip           {}  last commit {}\n",
        short_str(&k.tip),
        k.last_commit.format("%Y-%m-%d %H:%M %z")
    ));
    out.push_str(&format!(
        "  main          {} ahead, {} behind {main}; base {}\n",
        k.ahead,
        k.behind,
        doc.base.as_deref().map_or("none".to_string(), short_str)
    ));
    out.push_str(&format!(
        "  platform      {}\n",
        k.platform_version
            .as_deref()
            .map_or("no version yet".to_string(), |v| format!(
                "{v} (platform/v{v})"
            ))
    ));
    out.push_str(&format!("  upstream      {}\n", upstream_words(doc)));
    out.push_str(&format!(
        "  features      {} merged, {} open\n",
        k.features.merged, k.features.open
    ));
    out.push_str(&feature_lines(&doc.features));
    out
}

/// How the local kickoff relates to the remote's, in words.
fn upstream_words(doc: &StatusDoc) -> String {
    let (u, k) = (&doc.upstream, &doc.kickoff);
    let remote = u.remote.as_deref().unwrap_or("");
    match u.state {
        UpstreamState::InSync => format!("in sync with {remote}/{}", k.name),
        UpstreamState::Ahead => format!("{} ahead of {remote}/{} (not pushed)", u.ahead, k.name),
        UpstreamState::Behind => format!(
            "{} behind {remote}/{} (pull or `kickoff sync`)",
            u.behind, k.name
        ),
        UpstreamState::Diverged => format!(
            "diverged from {remote}/{}: {} ahead, {} behind",
            k.name, u.ahead, u.behind
        ),
        UpstreamState::LocalOnly => format!("not on {remote} (never pushed)"),
        UpstreamState::RemoteOnly => format!("only on {remote} (no local branch)"),
        UpstreamState::NoRemote => "no remote".to_string(),
    }
}

/// One line per feature branch, names aligned.
fn feature_lines(features: &[FeatureEntry]) -> String {
    let mut out = String::new();
    let width = features.iter().map(|f| f.name.len()).max().unwrap_or(0);
    for f in features {
        let state = match f.state {
            FeatureState::Merged => "merged".to_string(),
            FeatureState::Open if f.ahead == 0 => "open, no commits yet".to_string(),
            FeatureState::Open => format!("open, {} commit(s) not in the kickoff", f.ahead),
        };
        let place = match (&f.local, &f.remote) {
            (Some(_), Some(_)) => "",
            (Some(_), None) => "  (local only)",
            (None, Some(_)) => "  (remote only)",
            (None, None) => "",
        };
        let inferred = match f.parent_source {
            ParentSource::Config => "",
            ParentSource::History => "  (parent inferred from history)",
        };
        out.push_str(&format!(
            "    {:<width$}  {state}{place}{inferred}\n",
            f.name
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overview::{FeatureCounts, FeatureEntry, KickoffEntry, MainInfo, Upstream};

    #[test]
    fn report() {
        let oid = |c: char| c.to_string().repeat(40);
        let when = chrono::DateTime::parse_from_rfc3339("2024-05-20T09:30:00+02:00").unwrap();
        let feature = |name: &str, state, ahead| FeatureEntry {
            name: name.into(),
            ticket: "DASH-1".into(),
            local: Some(oid('c')),
            remote: None,
            tip: oid('c'),
            state,
            ahead,
            behind: 0,
            last_commit: when,
            parent_source: ParentSource::Config,
        };
        let doc = StatusDoc {
            schema: 1,
            main: MainInfo {
                branch: "main".into(),
                ref_name: Some("refs/remotes/origin/main".into()),
                oid: Some(oid('b')),
            },
            kickoff: KickoffEntry {
                name: "kickoff-240510-dashboard".into(),
                date: chrono::NaiveDate::from_ymd_opt(2024, 5, 10).unwrap(),
                summary: "dashboard".into(),
                age_days: 10,
                local: Some(oid('a')),
                remote: Some(oid('d')),
                tip: oid('a'),
                merged: false,
                ahead: 5,
                behind: 2,
                features: FeatureCounts { merged: 1, open: 2 },
                platform_version: Some("1.3.10".into()),
                last_commit: when,
            },
            base: Some(oid('e')),
            upstream: Upstream {
                remote: Some("origin".into()),
                state: UpstreamState::Diverged,
                ahead: 1,
                behind: 2,
            },
            features: vec![
                feature("feature/DASH-1-login", FeatureState::Merged, 0),
                feature("feature/DASH-2", FeatureState::Open, 3),
                feature("feature/DASH-3-fresh", FeatureState::Open, 0),
                FeatureEntry {
                    remote: Some(oid('f')),
                    local: None,
                    parent_source: ParentSource::History,
                    ..feature("feature/DASH-7-mate", FeatureState::Open, 2)
                },
            ],
        };
        insta::assert_snapshot!(render(&doc), @r"
        kickoff-240510-dashboard  (live)
          kickoff date  2024-05-10 (10 days ago)
          tip           aaaaaaaaaa  last commit 2024-05-20 09:30 +0200
          main          5 ahead, 2 behind origin/main; base eeeeeeeeee
          platform      1.3.10 (platform/v1.3.10)
          upstream      diverged from origin/kickoff-240510-dashboard: 1 ahead, 2 behind
          features      1 merged, 2 open
            feature/DASH-1-login  merged  (local only)
            feature/DASH-2        open, 3 commit(s) not in the kickoff  (local only)
            feature/DASH-3-fresh  open, no commits yet  (local only)
            feature/DASH-7-mate   open, 2 commit(s) not in the kickoff  (remote only)  (parent inferred from history)
        ");
    }
}
