//! The state of every kickoff at a glance: what `kickoff list` and
//! `kickoff status` show, and their JSON form (`"schema": 1`, documented in
//! docs/formats.md).
//!
//! Everything is read locally, from refs and git config, in a fixed number of
//! passes: the kickoffs and feature branches come from one ref listing each,
//! feature parents from one read of the config. A feature branch without a
//! recorded parent (a teammate's, known here only as a remote-tracking ref) is
//! attributed from history: two walks in all, not one per branch (see
//! [`infer_parent`]). No process is started per branch. Remote-tracking refs
//! are as fresh as the last fetch.

use crate::config::Config;
use crate::error::Result;
use crate::git::git2::Oid;
use crate::git::{AheadBehind, Repo};
use crate::kickoffs::{self, Kickoff};
use crate::naming::FeatureName;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The version of the JSON documents `list` and `status` print.
pub const SCHEMA: u32 = 1;

/// The main branch kickoffs are measured against.
#[derive(Debug, Clone, Serialize)]
pub struct MainInfo {
    /// The configured branch name (`main`).
    pub branch: String,
    /// The ref actually used: the remote's main when known, else the local one.
    #[serde(rename = "ref")]
    pub ref_name: Option<String>,
    pub oid: Option<String>,
}

/// Feature branch counts of one kickoff.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FeatureCounts {
    pub merged: usize,
    pub open: usize,
}

/// One kickoff as `list` shows it (and the head of `status`).
#[derive(Debug, Clone, Serialize)]
pub struct KickoffEntry {
    pub name: String,
    pub date: NaiveDate,
    pub summary: String,
    /// Whole days from the kickoff date to today.
    pub age_days: i64,
    /// The local branch tip, `null` when only the remote has it.
    pub local: Option<String>,
    /// The remote-tracking tip, `null` when the remote lacks it (or there is no remote).
    pub remote: Option<String>,
    /// The tip every figure is computed from: local when present, else the remote's.
    pub tip: String,
    /// Whether main already contains the kickoff (it landed).
    pub merged: bool,
    /// Commits of the kickoff that main lacks.
    pub ahead: usize,
    /// Commits of main that the kickoff lacks.
    pub behind: usize,
    pub features: FeatureCounts,
    /// Committer date of the tip.
    pub last_commit: DateTime<FixedOffset>,
    /// The kickoff's platform version (the newest of its `platform/v*` tags,
    /// by semver precedence); `null` until it is released.
    pub platform_version: Option<String>,
    // Facts that other parts of kickoff attach to a kickoff are added here,
    // as optional fields, without changing the schema number.
}

/// One feature branch of a kickoff.
#[derive(Debug, Clone, Serialize)]
pub struct FeatureEntry {
    pub name: String,
    pub ticket: String,
    pub local: Option<String>,
    pub remote: Option<String>,
    pub tip: String,
    /// `merged` when the kickoff contains the feature's tip, else `open`.
    pub state: FeatureState,
    /// Commits of the feature the kickoff lacks.
    pub ahead: usize,
    /// Commits of the kickoff the feature lacks.
    pub behind: usize,
    pub last_commit: DateTime<FixedOffset>,
    /// Where the feature's kickoff was learnt: `config` (recorded by
    /// `kickoff feature` in this clone) or `history` (inferred).
    pub parent_source: ParentSource,
}

/// How a feature branch's kickoff is known.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ParentSource {
    /// Recorded in git config (`branch.<feature>.kickoff`).
    #[default]
    Config,
    /// Inferred from history: the feature shares commits of the kickoff that
    /// main lacks (see [`infer_parent`]).
    History,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeatureState {
    Merged,
    Open,
}

/// How the local kickoff branch relates to the remote's.
#[derive(Debug, Clone, Serialize)]
pub struct Upstream {
    pub remote: Option<String>,
    pub state: UpstreamState,
    /// Local commits the remote lacks.
    pub ahead: usize,
    /// Remote commits the local branch lacks.
    pub behind: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpstreamState {
    InSync,
    Ahead,
    Behind,
    Diverged,
    LocalOnly,
    RemoteOnly,
    NoRemote,
}

impl UpstreamState {
    pub fn decide(has_remote: bool, local: bool, remote: bool, ab: Option<AheadBehind>) -> Self {
        match (has_remote, local, remote, ab) {
            (false, _, _, _) => UpstreamState::NoRemote,
            (true, true, false, _) => UpstreamState::LocalOnly,
            (true, false, true, _) => UpstreamState::RemoteOnly,
            (
                true,
                _,
                _,
                Some(AheadBehind {
                    ahead: 0,
                    behind: 0,
                }),
            ) => UpstreamState::InSync,
            (
                true,
                _,
                _,
                Some(AheadBehind {
                    ahead: _,
                    behind: 0,
                }),
            ) => UpstreamState::Ahead,
            (
                true,
                _,
                _,
                Some(AheadBehind {
                    ahead: 0,
                    behind: _,
                }),
            ) => UpstreamState::Behind,
            (true, _, _, Some(_)) => UpstreamState::Diverged,
            (true, _, _, None) => UpstreamState::InSync,
        }
    }
}

/// The JSON document of `kickoff list --json`.
#[derive(Debug, Clone, Serialize)]
pub struct ListDoc {
    pub schema: u32,
    pub main: MainInfo,
    pub kickoffs: Vec<KickoffEntry>,
}

/// The JSON document of `kickoff status --json`.
#[derive(Debug, Clone, Serialize)]
pub struct StatusDoc {
    pub schema: u32,
    pub main: MainInfo,
    pub kickoff: KickoffEntry,
    /// The merge base of the kickoff with main (where it branched, or last synced).
    pub base: Option<String>,
    pub upstream: Upstream,
    pub features: Vec<FeatureEntry>,
}

/// A feature branch found in refs, before its state is computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFeature {
    pub name: FeatureName,
    pub local: Option<Oid>,
    pub remote: Option<Oid>,
    pub parent_source: ParentSource,
}

impl FoundFeature {
    pub fn tip(&self) -> Oid {
        self.local
            .or(self.remote)
            .expect("found locally or remotely")
    }
}

/// Feature branches grouped by their recorded kickoff, and the ones without a
/// recorded kickoff (sorted by name).
pub type Grouped = (BTreeMap<String, Vec<FoundFeature>>, Vec<FoundFeature>);

/// Group feature branches by their recorded kickoff (pure: refs and config in,
/// groups out). Branches that are not valid feature names are left out; those
/// without a recorded kickoff come back apart.
pub fn group_features(
    config: &Config,
    local: &[(String, Oid)],
    remote: &[(String, Oid)],
    parents: &HashMap<String, String>,
) -> Grouped {
    let mut by_name: BTreeMap<String, FoundFeature> = BTreeMap::new();
    for (list, is_local) in [(local, true), (remote, false)] {
        for (branch, oid) in list {
            let Ok(name) =
                FeatureName::parse(branch, &config.feature_prefix, &config.ticket_pattern)
            else {
                continue;
            };
            let entry = by_name.entry(branch.clone()).or_insert(FoundFeature {
                name,
                local: None,
                remote: None,
                parent_source: ParentSource::Config,
            });
            if is_local {
                entry.local = Some(*oid);
            } else {
                entry.remote = Some(*oid);
            }
        }
    }
    let mut groups: BTreeMap<String, Vec<FoundFeature>> = BTreeMap::new();
    let mut unrecorded = Vec::new();
    for (branch, found) in by_name {
        match parents.get(&branch) {
            Some(parent) => groups.entry(parent.clone()).or_default().push(found),
            None => unrecorded.push(found),
        }
    }
    (groups, unrecorded)
}

/// The kickoff a feature branch was cut from, decided from history (pure).
///
/// `shared[k]` holds the commits of kickoff `k` that main lacks and that the
/// feature's history holds too. A feature cut from a kickoff holds the
/// kickoff's own commits up to where it was cut, so exactly one kickoff
/// shares commits with it. When several do (one kickoff was cut from or
/// merged into another), the one that shares every commit the others share
/// and more wins: its merge base with the feature is the most recent. When
/// no kickoff shares a commit, or no one of them shares more than all the
/// others, the answer is `None`: unattributed rather than guessed.
pub fn infer_parent<K: Copy + Ord>(shared: &BTreeMap<K, HashSet<Oid>>) -> Option<K> {
    let sharing: Vec<(&K, &HashSet<Oid>)> = shared.iter().filter(|(_, s)| !s.is_empty()).collect();
    sharing
        .iter()
        .find(|(k, set)| {
            sharing
                .iter()
                .filter(|(other, _)| other != k)
                .all(|(_, o)| o.len() < set.len() && o.is_subset(set))
        })
        .map(|(k, _)| **k)
}

/// A feature whose newest commit is older than every commit the live
/// kickoffs have of their own, by more than this, cannot have been cut from
/// one (it is not read further). The allowance covers clocks that disagree.
const CLOCK_SKEW_SECS: i64 = 24 * 60 * 60;

/// Attribute feature branches without a recorded kickoff to the live kickoff
/// they were cut from (see [`infer_parent`]); returns (kickoff name, feature)
/// pairs, the feature marked [`ParentSource::History`]. Two history walks in
/// all: the kickoffs' own commits, then the features' commits main lacks.
fn infer_parents(
    repo: &Repo,
    main: Oid,
    live: &[&Kickoff],
    unrecorded: Vec<FoundFeature>,
) -> Result<Vec<(String, FoundFeature)>> {
    if unrecorded.is_empty() || live.is_empty() {
        return Ok(Vec::new());
    }
    let mut tips = Vec::new();
    for (i, k) in live.iter().enumerate() {
        tips.extend(k.local.into_iter().chain(k.remote).map(|o| (o, i)));
    }
    let own: HashMap<Oid, crate::git::lineage::Labels> = repo
        .reached_from(&tips, main)?
        .into_iter()
        .map(|r| (r.oid, r.by))
        .collect();
    let Some(oldest) = own
        .keys()
        .map(|o| repo.commit_time(*o))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .min()
    else {
        return Ok(Vec::new());
    };
    let mut candidates = Vec::new();
    for f in unrecorded {
        if repo.commit_time(f.tip())? >= oldest - CLOCK_SKEW_SECS {
            candidates.push(f);
        }
    }
    let tips: Vec<(Oid, usize)> = candidates
        .iter()
        .enumerate()
        .map(|(i, f)| (f.tip(), i))
        .collect();
    let mut shared: Vec<BTreeMap<usize, HashSet<Oid>>> = vec![BTreeMap::new(); candidates.len()];
    for r in repo.reached_from(&tips, main)? {
        if let Some(kickoffs) = own.get(&r.oid) {
            for f in r.by.iter() {
                for k in kickoffs.iter() {
                    shared[f].entry(k).or_default().insert(r.oid);
                }
            }
        }
    }
    Ok(candidates
        .into_iter()
        .zip(shared)
        .filter_map(|(mut f, shared)| {
            let k = infer_parent(&shared)?;
            f.parent_source = ParentSource::History;
            Some((live[k].branch(), f))
        })
        .collect())
}

/// One kickoff with what is known about it against main.
pub struct KickoffRead {
    pub kickoff: Kickoff,
    pub merged: bool,
    pub vs_main: AheadBehind,
}

/// Everything read from the repository that the views are built from.
pub struct Snapshot<'r> {
    repo: &'r Repo,
    pub main: MainInfo,
    pub main_oid: Option<Oid>,
    pub has_remote: bool,
    /// The remote's name, for the remote-tracking feature branches.
    remote: String,
    pub kickoffs: Vec<KickoffRead>,
    pub features: BTreeMap<String, Vec<FoundFeature>>,
    /// The newest platform version of each kickoff, from the tags.
    pub versions: BTreeMap<String, String>,
}

impl<'r> Snapshot<'r> {
    /// Read the kickoffs, main and the feature branches.
    pub fn read(repo: &'r Repo, config: &Config) -> Result<Snapshot<'r>> {
        let has_remote = repo.has_remote(&config.remote);
        let remote_main = if has_remote {
            repo.remote_branch_oid(&config.remote, &config.main_branch)?
        } else {
            None
        };
        let (main_oid, ref_name) = match remote_main {
            Some(o) => (
                Some(o),
                Some(format!(
                    "refs/remotes/{}/{}",
                    config.remote, config.main_branch
                )),
            ),
            None => match repo.branch_oid(&config.main_branch)? {
                Some(o) => (Some(o), Some(format!("refs/heads/{}", config.main_branch))),
                None => (None, None),
            },
        };
        repo.skip_hash_checks_on_read();
        let all = kickoffs::all(repo, config)?;
        // One ahead/behind walk per kickoff serves both the figures and
        // whether main contains it (nothing ahead).
        let mut vs_main = Vec::with_capacity(all.len());
        for k in &all {
            vs_main.push(match main_oid {
                Some(m) => repo.ahead_behind(k.tip(), m)?,
                None => AheadBehind {
                    ahead: 0,
                    behind: 0,
                },
            });
        }
        let merged = match main_oid {
            Some(m) => {
                let contained = vs_main.iter().map(|ab| ab.ahead == 0).collect();
                kickoffs::merged_given(repo, m, &all, contained)?
            }
            None => vec![false; all.len()],
        };
        let local = repo.local_branches(&config.feature_prefix)?;
        let remote = if has_remote {
            repo.remote_branches(&config.remote, &config.feature_prefix)?
        } else {
            Vec::new()
        };
        let parents = repo.feature_parents()?;
        let (mut features, unrecorded) = group_features(config, &local, &remote, &parents);
        if let Some(main) = main_oid {
            let live: Vec<&Kickoff> = all
                .iter()
                .zip(&merged)
                .filter(|(_, m)| !**m)
                .map(|(k, _)| k)
                .collect();
            for (k, f) in infer_parents(repo, main, &live, unrecorded)? {
                let group = features.entry(k).or_default();
                group.push(f);
                group.sort_by_cached_key(|f| f.name.to_string());
            }
        }
        Ok(Snapshot {
            repo,
            main: MainInfo {
                branch: config.main_branch.clone(),
                ref_name,
                oid: main_oid.map(|o| o.to_string()),
            },
            main_oid,
            has_remote,
            remote: config.remote.clone(),
            kickoffs: all
                .into_iter()
                .zip(merged)
                .zip(vs_main)
                .map(|((k, m), ab)| KickoffRead {
                    kickoff: k,
                    merged: m,
                    vs_main: ab,
                })
                .collect(),
            features,
            versions: newest_versions(repo)?,
        })
    }

    /// The list entry of one kickoff.
    pub fn entry(&self, repo: &Repo, read: &KickoffRead, today: NaiveDate) -> Result<KickoffEntry> {
        let k = &read.kickoff;
        let (merged, ab) = (read.merged, read.vs_main);
        let tip = k.tip();
        let mut counts = FeatureCounts::default();
        let features = self.features_of(k);
        for merged in features_merged(self.repo, &self.remote, tip, features)? {
            if merged {
                counts.merged += 1;
            } else {
                counts.open += 1;
            }
        }
        Ok(KickoffEntry {
            name: k.branch(),
            date: k.name.date(),
            summary: k.name.slug().to_string(),
            age_days: (today - k.name.date()).num_days(),
            local: k.local.map(|o| o.to_string()),
            remote: k.remote.map(|o| o.to_string()),
            tip: tip.to_string(),
            merged,
            ahead: ab.ahead,
            behind: ab.behind,
            features: counts,
            last_commit: commit_date(repo, tip)?,
            platform_version: self.versions.get(&k.branch()).cloned(),
        })
    }

    /// The `list` document: live kickoffs, or all of them with `all`.
    pub fn list(&self, repo: &Repo, all: bool, today: NaiveDate) -> Result<ListDoc> {
        let mut kickoffs = Vec::new();
        for read in &self.kickoffs {
            if all || !read.merged {
                kickoffs.push(self.entry(repo, read, today)?);
            }
        }
        Ok(ListDoc {
            schema: SCHEMA,
            main: self.main.clone(),
            kickoffs,
        })
    }

    /// The `status` document of one kickoff.
    pub fn status(
        &self,
        repo: &Repo,
        config: &Config,
        k: &Kickoff,
        today: NaiveDate,
    ) -> Result<StatusDoc> {
        let read = self
            .kickoffs
            .iter()
            .find(|r| r.kickoff.name == k.name)
            .expect("the kickoff was read with the snapshot");
        let entry = self.entry(repo, read, today)?;
        let tip = k.tip();
        let base = match self.main_oid {
            Some(m) => repo.merge_base(tip, m)?,
            None => None,
        };
        let ab = match (k.local, k.remote) {
            (Some(l), Some(r)) => Some(self.repo.ahead_behind(l, r)?),
            _ => None,
        };
        let upstream = Upstream {
            remote: self.has_remote.then(|| config.remote.clone()),
            state: UpstreamState::decide(
                self.has_remote,
                k.local.is_some(),
                k.remote.is_some(),
                ab,
            ),
            ahead: ab.map_or(0, |a| a.ahead),
            behind: ab.map_or(0, |a| a.behind),
        };
        let mut features = Vec::new();
        let found = self.features_of(k);
        let merged_flags = features_merged(self.repo, &self.remote, tip, found)?;
        for (f, merged) in found.iter().zip(merged_flags) {
            let ftip = f.tip();
            let fab = self.repo.ahead_behind(ftip, tip)?;
            features.push(FeatureEntry {
                name: f.name.to_string(),
                ticket: f.name.ticket().to_string(),
                local: f.local.map(|o| o.to_string()),
                remote: f.remote.map(|o| o.to_string()),
                tip: ftip.to_string(),
                state: if merged {
                    FeatureState::Merged
                } else {
                    FeatureState::Open
                },
                ahead: fab.ahead,
                behind: fab.behind,
                last_commit: commit_date(repo, ftip)?,
                parent_source: f.parent_source,
            });
        }
        Ok(StatusDoc {
            schema: SCHEMA,
            main: self.main.clone(),
            kickoff: entry,
            base: base.map(|o| o.to_string()),
            upstream,
            features,
        })
    }
}

/// The newest platform version of every kickoff that has one.
fn newest_versions(repo: &Repo) -> Result<BTreeMap<String, String>> {
    let catalog = crate::release::catalog::Catalog::local(repo)?;
    let mut out = BTreeMap::new();
    // The catalog is newest first: the first version seen for a kickoff wins.
    for t in &catalog.tags {
        if let Some(k) = t.kickoff() {
            out.entry(k.to_string())
                .or_insert_with(|| t.version.to_string());
        }
    }
    Ok(out)
}

impl Snapshot<'_> {
    fn features_of(&self, k: &Kickoff) -> &[FoundFeature] {
        self.features.get(&k.branch()).map_or(&[], Vec::as_slice)
    }
}

/// Whether each feature is merged into the kickoff at `tip`:
/// - with a merge commit: the kickoff contains its tip, off the kickoff's own
///   first-parent line;
/// - by fast-forward: its tip is on that line and the branch gained commits
///   since it was created (its reflog); one cut without commits yet is open;
/// - by squash or rebase: the kickoff holds its changes by patch id
///   ([`Repo::changes_applied`]).
pub fn features_merged(
    repo: &Repo,
    remote: &str,
    tip: Oid,
    features: &[FoundFeature],
) -> Result<Vec<bool>> {
    let mut contained = Vec::with_capacity(features.len());
    for f in features {
        contained.push(repo.is_ancestor(f.tip(), tip)?);
    }
    let candidates: Vec<Oid> = features
        .iter()
        .zip(&contained)
        .filter(|(_, c)| **c)
        .map(|(f, _)| f.tip())
        .collect();
    let own_line = repo.on_first_parent_line(tip, &candidates)?;
    let mut out = Vec::with_capacity(features.len());
    for (f, c) in features.iter().zip(contained) {
        out.push(if !c {
            repo.changes_applied(f.tip(), tip)?
        } else if !own_line.contains(&f.tip()) {
            true
        } else {
            gained_commits(repo, remote, f)?
        });
    }
    Ok(out)
}

/// Whether a feature branch moved past the commit it was created at (the
/// oldest entry of its reflog: the local branch's, else the remote-tracking
/// one's, which starts at the first fetch).
fn gained_commits(repo: &Repo, remote: &str, f: &FoundFeature) -> Result<bool> {
    let full = match f.local {
        Some(_) => format!("refs/heads/{}", f.name),
        None => format!("refs/remotes/{remote}/{}", f.name),
    };
    match repo.reflog_start(&full) {
        Some(start) if start != f.tip() => Ok(repo.is_ancestor(start, f.tip())?),
        _ => Ok(false),
    }
}

/// The committer date of a commit, in the committer's own offset.
fn commit_date(repo: &Repo, oid: Oid) -> Result<DateTime<FixedOffset>> {
    let (seconds, offset_minutes) = repo.commit_time_and_offset(oid)?;
    let offset = FixedOffset::east_opt(offset_minutes * 60)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
    Ok(DateTime::from_timestamp(seconds, 0)
        .unwrap_or_default()
        .with_timezone(&offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(n: u8) -> Oid {
        Oid::from_bytes(&[n; 20]).unwrap()
    }

    #[test]
    fn features_are_grouped_by_their_recorded_kickoff() {
        let config = Config::default();
        let local = vec![
            ("feature/DASH-1-login".to_string(), oid(1)),
            ("feature/not a ticket".to_string(), oid(2)),
            ("feature/DASH-3".to_string(), oid(3)),
        ];
        let remote = vec![
            ("feature/DASH-1-login".to_string(), oid(4)),
            ("feature/BILL-2".to_string(), oid(5)),
        ];
        let parents: HashMap<String, String> = [
            ("feature/DASH-1-login", "kickoff-240510-dash"),
            ("feature/BILL-2", "kickoff-240601-bill"),
            ("feature/not a ticket", "kickoff-240510-dash"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let (groups, unrecorded) = group_features(&config, &local, &remote, &parents);
        let dash = &groups["kickoff-240510-dash"];
        assert_eq!(dash.len(), 1);
        assert_eq!(dash[0].local, Some(oid(1)));
        assert_eq!(dash[0].remote, Some(oid(4)));
        assert_eq!(dash[0].tip(), oid(1));
        assert_eq!(groups["kickoff-240601-bill"][0].tip(), oid(5));
        // DASH-3 has no recorded kickoff.
        assert_eq!(groups.values().map(Vec::len).sum::<usize>(), 2);
        assert_eq!(unrecorded.len(), 1);
        assert_eq!(unrecorded[0].name.to_string(), "feature/DASH-3");
    }

    #[test]
    fn parent_inferred_from_shared_commits() {
        let set = |ns: &[u8]| ns.iter().map(|n| oid(*n)).collect::<HashSet<Oid>>();
        let shared = |entries: &[(u8, &[u8])]| {
            entries
                .iter()
                .map(|(k, ns)| (*k, set(ns)))
                .collect::<BTreeMap<u8, HashSet<Oid>>>()
        };
        // No kickoff shares a commit: nothing to go on.
        assert_eq!(infer_parent(&shared(&[])), None);
        assert_eq!(infer_parent(&shared(&[(0, &[])])), None);
        // One kickoff shares commits.
        assert_eq!(infer_parent(&shared(&[(0, &[]), (1, &[1, 2])])), Some(1));
        // Kickoff 1 was cut from kickoff 0 and the feature from 1: 1 shares
        // everything 0 does and more (its merge base is the more recent).
        assert_eq!(infer_parent(&shared(&[(0, &[1]), (1, &[1, 2])])), Some(1));
        // Cut at the very commit both share: a tie, not a guess.
        assert_eq!(infer_parent(&shared(&[(0, &[1]), (1, &[1])])), None);
        // Holds commits of two unrelated kickoffs: ambiguous.
        assert_eq!(infer_parent(&shared(&[(0, &[1]), (1, &[2])])), None);
        assert_eq!(
            infer_parent(&shared(&[(0, &[1, 2]), (1, &[2, 3]), (2, &[2])])),
            None
        );
    }

    #[test]
    fn upstream_states() {
        use UpstreamState::*;
        let ab = |a, b| {
            Some(AheadBehind {
                ahead: a,
                behind: b,
            })
        };
        assert_eq!(UpstreamState::decide(false, true, false, None), NoRemote);
        assert_eq!(UpstreamState::decide(true, true, false, None), LocalOnly);
        assert_eq!(UpstreamState::decide(true, false, true, None), RemoteOnly);
        assert_eq!(UpstreamState::decide(true, true, true, ab(0, 0)), InSync);
        assert_eq!(UpstreamState::decide(true, true, true, ab(2, 0)), Ahead);
        assert_eq!(UpstreamState::decide(true, true, true, ab(0, 2)), Behind);
        assert_eq!(UpstreamState::decide(true, true, true, ab(1, 2)), Diverged);
    }
}
