//! Every platform version the repository (and, when asked, the remote) knows,
//! read from the tags alone, and the release facts the rules are checked on.

use super::{KnownVersion, MainFacts, PlatformVersion, ReleaseFacts, TAG_PREFIX, TagMessage};
use crate::git::GitError;
use crate::git::Repo;
use crate::git::git2::Oid;
use crate::git::tags::{LocalTag, RemoteTag};
use crate::naming::KickoffName;

/// Reading the catalog only reads git.
type Result<T> = std::result::Result<T, GitError>;

/// One platform version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformTag {
    pub version: PlatformVersion,
    /// The commit that ships (`None`: a remote tag whose objects could not be read).
    pub commit: Option<Oid>,
    /// The tag object.
    pub object: Oid,
    /// The message's trailers; `None` for a lightweight or foreign tag.
    pub meta: Option<TagMessage>,
    pub tagged_at: Option<i64>,
    pub local: bool,
    pub remote: bool,
}

impl PlatformTag {
    pub fn kickoff(&self) -> Option<&KickoffName> {
        self.meta.as_ref().map(|m| &m.kickoff)
    }

    fn from_local(version: PlatformVersion, t: LocalTag) -> PlatformTag {
        let meta = t
            .message
            .as_deref()
            .and_then(|m| TagMessage::parse(version.clone(), m));
        PlatformTag {
            version,
            commit: Some(t.commit),
            object: t.object,
            meta,
            tagged_at: t.tagged_at,
            local: true,
            remote: false,
        }
    }
}

/// Platform versions, newest (highest precedence) first.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub tags: Vec<PlatformTag>,
}

impl Catalog {
    /// The local platform tags. Tags whose name is not a valid version are skipped.
    pub fn local(repo: &Repo) -> Result<Catalog> {
        let mut tags = Vec::new();
        for t in repo.tags_under(TAG_PREFIX)? {
            if let Some(version) = PlatformVersion::from_tag(&t.name) {
                tags.push(PlatformTag::from_local(version, t));
            }
        }
        let mut c = Catalog { tags };
        c.sort();
        Ok(c)
    }

    /// The local tags merged with the remote's (`git ls-remote`). Objects of
    /// remote-only tags are fetched without creating refs, so their kickoff
    /// is known too. Returns the catalog and the raw remote tags.
    pub fn with_remote(repo: &Repo, remote: &str) -> Result<(Catalog, Vec<RemoteTag>)> {
        let mut catalog = Catalog::local(repo)?;
        let remote_tags = repo.remote_tags(remote, TAG_PREFIX)?;
        let missing: Vec<String> = remote_tags
            .iter()
            .filter(|t| !repo.has_object(t.object))
            .map(|t| t.name.clone())
            .collect();
        if !missing.is_empty() {
            repo.fetch_tag_objects(remote, &missing)?;
        }
        for rt in &remote_tags {
            let Some(version) = PlatformVersion::from_tag(&rt.name) else {
                continue;
            };
            if let Some(existing) = catalog.tags.iter_mut().find(|t| t.version == version) {
                existing.remote = true;
                continue;
            }
            let tag = match repo.tag_by_oid(&rt.name, rt.object)? {
                Some(local) => PlatformTag {
                    local: false,
                    remote: true,
                    ..PlatformTag::from_local(version, local)
                },
                None => PlatformTag {
                    version,
                    commit: repo.has_object(rt.commit()).then(|| rt.commit()),
                    object: rt.object,
                    meta: None,
                    tagged_at: None,
                    local: false,
                    remote: true,
                },
            };
            catalog.tags.push(tag);
        }
        catalog.sort();
        Ok((catalog, remote_tags))
    }

    fn sort(&mut self) {
        self.tags.sort_by(|a, b| b.version.cmp(&a.version));
    }

    pub fn find(&self, version: &PlatformVersion) -> Option<&PlatformTag> {
        self.tags.iter().find(|t| &t.version == version)
    }

    /// The versions of one kickoff, newest first.
    pub fn of_kickoff(&self, kickoff: &KickoffName) -> Vec<&PlatformTag> {
        self.tags
            .iter()
            .filter(|t| t.kickoff() == Some(kickoff))
            .collect()
    }

    /// The version a deployment of `kickoff` at `commit` is labelled with:
    /// the highest one whose tag is on that commit *and* names this kickoff.
    /// A kickoff without commits of its own shares its commit with main (and
    /// with a kickoff released from there), whose tags are not its version.
    pub fn version_at(&self, kickoff: &KickoffName, commit: Oid) -> Option<&PlatformTag> {
        self.tags
            .iter()
            .find(|t| t.commit == Some(commit) && t.kickoff() == Some(kickoff))
    }

    pub fn highest(&self) -> Option<&PlatformTag> {
        self.tags.first()
    }

    pub fn versions(&self) -> impl Iterator<Item = &PlatformVersion> {
        self.tags.iter().map(|t| &t.version)
    }

    /// The versions below `version`, newest first.
    pub fn below(&self, version: &PlatformVersion) -> Vec<&PlatformTag> {
        self.tags.iter().filter(|t| &t.version < version).collect()
    }
}

/// Read the facts for releasing `candidate` of `kickoff` at `commit`.
///
/// `catalog` holds every known version (with the remote's when a remote is
/// read); `remote` names the remote and the kickoff's tip there, when a remote
/// was read. `candidate_is_local` says whether a local tag with the
/// candidate's name counts as existing (false in the pre-push hook, where the
/// tag being pushed is the candidate itself). `main` names main as of the
/// release (`origin/main`) and its tip, for the behind-main rule.
#[allow(clippy::too_many_arguments)]
pub fn gather_facts(
    repo: &Repo,
    catalog: &Catalog,
    candidate: &PlatformVersion,
    kickoff: &KickoffName,
    commit: Oid,
    remote: Option<(&str, Option<Oid>)>,
    main: Option<(&str, Oid)>,
    candidate_is_local: bool,
) -> Result<ReleaseFacts> {
    let mut others = Vec::new();
    let mut exists_locally = false;
    let mut exists_on_remote = false;
    for t in &catalog.tags {
        if &t.version == candidate {
            exists_locally |= t.local && candidate_is_local;
            exists_on_remote |= t.remote;
            continue;
        }
        let contained = match t.commit {
            Some(c) => repo.is_ancestor(c, commit)?,
            None => false,
        };
        others.push(KnownVersion {
            version: t.version.clone(),
            commit: t.commit,
            kickoff: t.kickoff().cloned(),
            contained,
        });
    }
    Ok(ReleaseFacts {
        candidate: candidate.clone(),
        kickoff: kickoff.clone(),
        commit,
        others,
        exists_locally,
        exists_on_remote,
        remote_tip: remote.and_then(|(_, tip)| tip),
        remote_checked: remote.is_some(),
        remote: remote.map_or_else(|| "the remote".to_string(), |(name, _)| name.to_string()),
        main: match main {
            Some((name, tip)) => Some(main_facts(repo, name, tip, commit)?),
            None => None,
        },
    })
}

/// Main's commits that `commit` lacks, for the behind-main rule.
pub fn main_facts(repo: &Repo, name: &str, tip: Oid, commit: Oid) -> Result<MainFacts> {
    let missing = repo
        .commits_between(&[tip], &[commit])?
        .into_iter()
        .map(|c| (c.oid, c.summary))
        .collect();
    Ok(MainFacts {
        name: name.to_string(),
        tip,
        missing,
    })
}

/// What the release rules say about one platform tag being pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushedTag {
    /// The ref is not under `refs/tags/platform/v`: the release rules do not apply.
    NotPlatform,
    /// A platform tag the rules cannot read: invalid version, lightweight tag,
    /// or no `Kickoff` trailer naming a valid kickoff.
    Malformed { tag: String, reason: String },
    /// The rules were checked. Rules waived when the tag was made (its
    /// `Waived:` trailers) are in `verdict.waived`, the others in `verdict.blocking`.
    Checked {
        facts: Box<ReleaseFacts>,
        verdict: super::Verdict,
    },
}

/// Check a platform tag that is being pushed to `remote` (the pre-push hook's
/// entry point). `tag_ref` is the local ref (`refs/tags/platform/v1.3.10`),
/// `tag_object` the oid the push sends. Reads the remote's tags and the
/// kickoff's tip there with `git ls-remote`; the pushed tag itself does not
/// count as existing locally, only on the remote.
pub fn check_pushed_tag(
    repo: &Repo,
    remote: &str,
    main_branch: &str,
    tag_ref: &str,
    tag_object: Oid,
) -> Result<PushedTag> {
    let short = tag_ref.strip_prefix("refs/tags/").unwrap_or(tag_ref);
    if !short.starts_with(TAG_PREFIX) {
        return Ok(PushedTag::NotPlatform);
    }
    let malformed = |reason: &str| PushedTag::Malformed {
        tag: short.to_string(),
        reason: reason.to_string(),
    };
    let Some(version) = PlatformVersion::from_tag(short) else {
        return Ok(malformed("the name is not platform/v<semver>"));
    };
    let Some(local) = repo.tag_by_oid(short, tag_object)? else {
        return Ok(malformed("the tag does not point at a commit"));
    };
    let Some(message) = local.message.as_deref() else {
        return Ok(malformed(
            "a platform tag must be an annotated tag made by `kickoff release`",
        ));
    };
    let Some(meta) = TagMessage::parse(version.clone(), message) else {
        return Ok(malformed(
            "the tag message has no `Kickoff:` trailer naming a kickoff",
        ));
    };
    let (catalog, _) = Catalog::with_remote(repo, remote)?;
    let remote_tip = repo.remote_head(remote, &meta.kickoff.to_string())?;
    let main_tip = repo.remote_head(remote, main_branch)?;
    if let Some(tip) = main_tip.filter(|t| !repo.has_object(*t)) {
        repo.fetch_objects_of(remote, &format!("refs/heads/{main_branch}"), tip)?;
    }
    let main_name = format!("{remote}/{main_branch}");
    let facts = gather_facts(
        repo,
        &catalog,
        &version,
        &meta.kickoff,
        local.commit,
        Some((remote, remote_tip)),
        main_tip.map(|t| (main_name.as_str(), t)),
        false,
    )?;
    let waivers = super::Waivers::new(meta.waived.iter().copied());
    let verdict = super::Verdict::new(super::check_release(&facts), &waivers);
    Ok(PushedTag::Checked {
        facts: Box::new(facts),
        verdict,
    })
}

/// One platform version as listings show it (`versions`, `show`, JSON).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VersionView {
    pub version: PlatformVersion,
    pub tag: String,
    pub prerelease: bool,
    /// `null` for a tag kickoff did not make (no `Kickoff` trailer).
    pub kickoff: Option<String>,
    pub deploy_date: Option<String>,
    /// The commit that ships, full oid.
    pub commit: Option<String>,
    pub kickoff_base: Option<String>,
    pub ticket_count: usize,
    pub tickets: Vec<String>,
    /// Rules waived when the tag was made.
    pub waived: Vec<super::Rule>,
}

impl VersionView {
    pub fn new(t: &PlatformTag) -> VersionView {
        let meta = t.meta.as_ref();
        let tickets = meta.map(|m| m.tickets.clone()).unwrap_or_default();
        VersionView {
            version: t.version.clone(),
            tag: t.version.tag_name(),
            prerelease: t.version.is_prerelease(),
            kickoff: meta.map(|m| m.kickoff.to_string()),
            deploy_date: meta.and_then(|m| m.deploy_date).map(|d| d.to_string()),
            commit: t.commit.map(|c| c.to_string()),
            kickoff_base: meta.and_then(|m| m.base).map(|b| b.to_string()),
            ticket_count: tickets.len(),
            tickets,
            waived: meta.map(|m| m.waived.clone()).unwrap_or_default(),
        }
    }
}

/// The history a version ships: its commit, minus the commits of every version
/// at or below `floor` (default: every version below it). The first version
/// of all starts at its kickoff's base (`Kickoff-Base`), so the notes do not
/// list the project's whole history. Returns (include, exclude).
pub fn shipped_range(
    catalog: &Catalog,
    target: &PlatformTag,
    floor: Option<&PlatformVersion>,
) -> (Option<Oid>, Vec<Oid>) {
    let mut exclude: Vec<Oid> = catalog
        .tags
        .iter()
        .filter(|t| match floor {
            Some(f) => &t.version <= f,
            None => t.version < target.version,
        })
        .filter_map(|t| t.commit)
        .collect();
    if floor.is_none() && exclude.is_empty() {
        exclude.extend(target.meta.as_ref().and_then(|m| m.base));
    }
    (target.commit, exclude)
}

/// Where release notes start: what the range of [`notes_range`] excludes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum NotesStart {
    /// After the version given with `--since` (and every version below it).
    Since { version: PlatformVersion },
    /// A release: after the previous release (prereleases in between are
    /// part of this release's notes).
    PreviousRelease { version: PlatformVersion },
    /// A prerelease: after the previous version of any kind.
    PreviousVersion { version: PlatformVersion },
    /// The first version: from its kickoff's base (`Kickoff-Base`).
    KickoffBase,
    /// The first version, with no recorded base: the whole history.
    Beginning,
}

impl NotesStart {
    /// One sentence for people: what the notes cover.
    pub fn describe(&self) -> String {
        match self {
            NotesStart::Since { version } => {
                format!("Changes since v{version} (--since).")
            }
            NotesStart::PreviousRelease { version } => format!(
                "Changes since v{version}, the previous release (prereleases in between are included)."
            ),
            NotesStart::PreviousVersion { version } => format!(
                "Changes since v{version}, the previous version (a prerelease counts from any earlier version)."
            ),
            NotesStart::KickoffBase => {
                "Changes since the kickoff was cut from main (the first platform version).".into()
            }
            NotesStart::Beginning => "Changes since the beginning of history.".into(),
        }
    }
}

/// The history release notes of `target` cover, and where they start: a
/// release covers everything since the previous release, a prerelease
/// everything since the previous version of any kind, `since` (when given)
/// everything after that version. Returns (include, exclude, start).
pub fn notes_range(
    catalog: &Catalog,
    target: &PlatformTag,
    since: Option<&PlatformVersion>,
) -> (Option<Oid>, Vec<Oid>, NotesStart) {
    let counts = |t: &PlatformTag| match since {
        Some(f) => &t.version <= f,
        None if target.version.is_prerelease() => t.version < target.version,
        None => t.version < target.version && !t.version.is_prerelease(),
    };
    let below: Vec<&PlatformTag> = catalog.tags.iter().filter(|t| counts(t)).collect();
    let mut exclude: Vec<Oid> = below.iter().filter_map(|t| t.commit).collect();
    // Newest first: the first one is where the notes start.
    let start = match (since, below.first()) {
        (Some(f), _) => NotesStart::Since { version: f.clone() },
        (None, Some(prev)) if target.version.is_prerelease() => NotesStart::PreviousVersion {
            version: prev.version.clone(),
        },
        (None, Some(prev)) => NotesStart::PreviousRelease {
            version: prev.version.clone(),
        },
        (None, None) => match target.meta.as_ref().and_then(|m| m.base) {
            Some(base) => {
                exclude.push(base);
                NotesStart::KickoffBase
            }
            None => NotesStart::Beginning,
        },
    };
    (target.commit, exclude, start)
}
