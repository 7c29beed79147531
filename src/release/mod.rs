//! Platform versions: the `platform/vX.Y.Z` tag, its message, and the release rules.
//!
//! A platform version is an annotated tag on the kickoff commit that ships. The
//! tag *is* the mapping between a public version and a kickoff: its message holds
//! the kickoff, the base it was cut from, the deploy date and the tickets, as git
//! trailers. Nothing else stores that mapping, so it travels with `git fetch`.
//!
//! The release rules are a pure function, [`check_release`], over facts read
//! beforehand ([`ReleaseFacts`]); `kickoff release` and the pre-push hook both call
//! it. Each broken rule is its own [`RuleViolation`]; a violation is waived only by
//! the flag that names its [`Rule`]. This module reads no repository.

pub mod catalog;
pub mod land;
pub mod tickets;

use crate::naming::KickoffName;
use chrono::NaiveDate;
use git2::Oid;
use semver::{Prerelease, Version};
use std::collections::BTreeSet;
use std::fmt;

/// Tags of platform versions live under this prefix: `platform/v1.3.10`.
pub const TAG_PREFIX: &str = "platform/v";
/// The full ref prefix of platform tags.
pub const TAG_REF_PREFIX: &str = "refs/tags/platform/v";

/// What semver said about a version it could not read (its own error type
/// is neither `Clone` nor `Eq`, which [`ReleaseError`] is).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SemverError(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseError {
    #[error("invalid platform version {input:?}: {reason}")]
    InvalidVersion {
        input: String,
        reason: String,
        /// semver's own account of what it could not read.
        #[source]
        source: Option<SemverError>,
    },
    #[error("{}", refusal_text(.0))]
    Refused(Vec<RuleViolation>),
}

fn refusal_text(violations: &[RuleViolation]) -> String {
    match violations {
        [one] => format!("release refused: {one}"),
        many => {
            let mut s = format!("release refused by {} rules:", many.len());
            for v in many {
                s.push_str(&format!("\n  - {v}"));
            }
            s
        }
    }
}

impl ReleaseError {
    pub fn exit_code(&self) -> i32 {
        match self {
            ReleaseError::InvalidVersion { .. } => 2,
            ReleaseError::Refused(_) => 1,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            ReleaseError::InvalidVersion { .. } => Some(
                "a platform version is semver X.Y.Z, optionally with a prerelease (1.3.10, v1.3.10-rc.1, platform/v1.3.10)"
                    .into(),
            ),
            ReleaseError::Refused(violations) => {
                let hints: Vec<String> = violations.iter().map(RuleViolation::hint).collect();
                Some(hints.join("\n      "))
            }
        }
    }
}

// ---- the version ------------------------------------------------------------------

/// A public platform version: semver 2.0 without build metadata, so that the
/// order of versions (semver precedence) is total.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PlatformVersion(Version);

impl PlatformVersion {
    /// Parse `1.3.10`, `v1.3.10`, `platform/v1.3.10` or `refs/tags/platform/v1.3.10`.
    pub fn parse(input: &str) -> Result<PlatformVersion, ReleaseError> {
        let bare = input.strip_prefix("refs/tags/").unwrap_or(input);
        let bare = bare.strip_prefix("platform/").unwrap_or(bare);
        let bare = bare.strip_prefix('v').unwrap_or(bare);
        let invalid = |reason: &str, source| ReleaseError::InvalidVersion {
            input: input.to_string(),
            reason: reason.to_string(),
            source,
        };
        let version = Version::parse(bare).map_err(|e| {
            invalid(
                "it is not a semver version",
                Some(SemverError(e.to_string())),
            )
        })?;
        if !version.build.is_empty() {
            return Err(invalid(
                "build metadata (`+...`) does not order versions; leave it out",
                None,
            ));
        }
        Ok(PlatformVersion(version))
    }

    /// The version from a tag name (`platform/v1.3.10`, or the full ref); `None`
    /// when the name is not a platform tag.
    pub fn from_tag(name: &str) -> Option<PlatformVersion> {
        let short = name.strip_prefix("refs/tags/").unwrap_or(name);
        let rest = short.strip_prefix(TAG_PREFIX)?;
        PlatformVersion::parse(rest).ok()
    }

    pub fn new(version: Version) -> Result<PlatformVersion, ReleaseError> {
        PlatformVersion::parse(&version.to_string())
    }

    pub fn semver(&self) -> &Version {
        &self.0
    }

    pub fn is_prerelease(&self) -> bool {
        !self.0.pre.is_empty()
    }

    /// The release this prerelease leads to (itself when it is a release).
    pub fn release(&self) -> PlatformVersion {
        let mut v = self.0.clone();
        v.pre = Prerelease::EMPTY;
        PlatformVersion(v)
    }

    /// `platform/v1.3.10`
    pub fn tag_name(&self) -> String {
        format!("{TAG_PREFIX}{}", self.0)
    }

    /// `refs/tags/platform/v1.3.10`
    pub fn tag_ref(&self) -> String {
        format!("refs/tags/{}", self.tag_name())
    }

    /// The next version after `self` for a bump. A prerelease bumps to its own
    /// release when that is the bump asked for (1.4.0-rc.1 + minor = 1.4.0).
    pub fn bump(&self, bump: Bump) -> PlatformVersion {
        let v = &self.0;
        let pre = !v.pre.is_empty();
        let next = match bump {
            Bump::Major if pre && v.minor == 0 && v.patch == 0 => Version::new(v.major, 0, 0),
            Bump::Major => Version::new(v.major + 1, 0, 0),
            Bump::Minor if pre && v.patch == 0 => Version::new(v.major, v.minor, 0),
            Bump::Minor => Version::new(v.major, v.minor + 1, 0),
            Bump::Patch if pre => Version::new(v.major, v.minor, v.patch),
            Bump::Patch => Version::new(v.major, v.minor, v.patch + 1),
        };
        PlatformVersion(next)
    }

    /// The first version of a repository without any: 0.0.0 bumped.
    pub fn first(bump: Bump) -> PlatformVersion {
        PlatformVersion(Version::new(0, 0, 0)).bump(bump)
    }
}

impl fmt::Display for PlatformVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl serde::Serialize for PlatformVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Bump {
    Patch,
    Minor,
    Major,
}

// ---- the tag message -------------------------------------------------------------

pub const TRAILER_KICKOFF: &str = "Kickoff";
pub const TRAILER_BASE: &str = "Kickoff-Base";
pub const TRAILER_DEPLOY_DATE: &str = "Deploy-Date";
pub const TRAILER_TICKET: &str = "Ticket";
pub const TRAILER_WAIVED: &str = "Waived";

/// What a platform tag says: subject `platform vX: kickoff`, then trailers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagMessage {
    pub version: PlatformVersion,
    pub kickoff: KickoffName,
    pub base: Option<Oid>,
    pub deploy_date: Option<NaiveDate>,
    pub tickets: Vec<String>,
    /// Rules waived when the tag was made (`Waived: rollback`).
    pub waived: Vec<Rule>,
}

impl TagMessage {
    /// The message exactly as the tag stores it (ends with a newline).
    pub fn render(&self) -> String {
        let mut s = format!(
            "platform v{}: {}\n\n{TRAILER_KICKOFF}: {}\n",
            self.version, self.kickoff, self.kickoff
        );
        if let Some(base) = self.base {
            s.push_str(&format!("{TRAILER_BASE}: {base}\n"));
        }
        if let Some(date) = self.deploy_date {
            s.push_str(&format!("{TRAILER_DEPLOY_DATE}: {date}\n"));
        }
        for t in &self.tickets {
            s.push_str(&format!("{TRAILER_TICKET}: {t}\n"));
        }
        for w in &self.waived {
            s.push_str(&format!("{TRAILER_WAIVED}: {}\n", w.key()));
        }
        s
    }

    /// Read a tag message back. The version comes from the tag name (the
    /// subject is for people); the kickoff trailer is required, the others are
    /// read when present and valid.
    pub fn parse(version: PlatformVersion, message: &str) -> Option<TagMessage> {
        let trailers = trailers(message);
        let get = |key: &str| {
            trailers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.as_str())
        };
        let kickoff = KickoffName::parse(get(TRAILER_KICKOFF)?).ok()?;
        let all = |key: &str| -> Vec<String> {
            trailers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.clone())
                .collect()
        };
        Some(TagMessage {
            version,
            kickoff,
            base: get(TRAILER_BASE).and_then(|b| Oid::from_str(b).ok()),
            deploy_date: get(TRAILER_DEPLOY_DATE)
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
            tickets: all(TRAILER_TICKET),
            waived: all(TRAILER_WAIVED)
                .iter()
                .filter_map(|w| Rule::from_key(w))
                .collect(),
        })
    }
}

/// The trailers of a message: the `Key: value` lines of its last paragraph
/// (when that paragraph is not the subject).
pub fn trailers(message: &str) -> Vec<(String, String)> {
    // A signed tag's message ends with its signature block: not part of the text.
    let unsigned = [
        "-----BEGIN PGP SIGNATURE-----",
        "-----BEGIN SSH SIGNATURE-----",
    ]
    .iter()
    .filter_map(|marker| message.find(marker))
    .min()
    .map_or(message, |i| &message[..i]);
    let text = unsigned.trim_end();
    let Some((_, body)) = text.split_once("\n\n") else {
        return Vec::new();
    };
    let last = body.rsplit("\n\n").next().unwrap_or(body);
    let mut out = Vec::new();
    for line in last.lines() {
        let Some((key, value)) = line.split_once(':') else {
            return Vec::new();
        };
        let key = key.trim_end();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Vec::new();
        }
        out.push((key.to_string(), value.trim().to_string()));
    }
    out
}

// ---- the rules -------------------------------------------------------------------

/// One release rule. Every rule but [`Rule::TagExists`] can be waived by the
/// flag that names it; an existing tag is never replaced (that would rewrite
/// what others have fetched).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    TagExists,
    NotGreater,
    SecondVersion,
    Rollback,
    BehindMain,
    RemoteMismatch,
}

impl Rule {
    pub const ALL: [Rule; 6] = [
        Rule::TagExists,
        Rule::NotGreater,
        Rule::SecondVersion,
        Rule::Rollback,
        Rule::BehindMain,
        Rule::RemoteMismatch,
    ];

    /// The short name used in flags, trailers and JSON.
    pub fn key(self) -> &'static str {
        match self {
            Rule::TagExists => "tag-exists",
            Rule::NotGreater => "not-greater",
            Rule::SecondVersion => "second-version",
            Rule::Rollback => "rollback",
            Rule::BehindMain => "behind-main",
            Rule::RemoteMismatch => "remote-mismatch",
        }
    }

    pub fn from_key(key: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.key() == key.trim())
    }

    /// The flag that waives the rule, if it can be waived.
    pub fn flag(self) -> Option<&'static str> {
        match self {
            Rule::TagExists => None,
            Rule::NotGreater => Some("--allow-not-greater"),
            Rule::SecondVersion => Some("--allow-second-version"),
            Rule::Rollback => Some("--allow-rollback"),
            Rule::BehindMain => Some("--allow-behind-main"),
            Rule::RemoteMismatch => Some("--allow-remote-mismatch"),
        }
    }

    /// What the rule demands, for the rule-check listing.
    pub fn describe(self) -> &'static str {
        match self {
            Rule::TagExists => "the tag is new, locally and on the remote",
            Rule::NotGreater => "the version is greater than every existing platform version",
            Rule::SecondVersion => "the kickoff has no platform version yet (or only prereleases)",
            Rule::Rollback => "the kickoff contains every earlier platform version",
            Rule::BehindMain => "the kickoff contains the remote's main (hotfixes included)",
            Rule::RemoteMismatch => "the local kickoff is the remote's kickoff",
        }
    }
}

/// Another platform version the candidate is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownVersion {
    pub version: PlatformVersion,
    /// The commit the tag points at (`None`: a remote tag whose objects are not here).
    pub commit: Option<Oid>,
    /// The kickoff named by the tag (`None`: unknown, e.g. a lightweight tag).
    pub kickoff: Option<KickoffName>,
    /// Whether the candidate commit contains this version's commit.
    pub contained: bool,
}

/// Everything the rules look at, read from the repository beforehand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseFacts {
    pub candidate: PlatformVersion,
    pub kickoff: KickoffName,
    /// The commit the tag points (or will point) at.
    pub commit: Oid,
    /// Every other platform version, local or on the remote.
    pub others: Vec<KnownVersion>,
    /// A tag with the candidate's name exists here / on the remote.
    pub exists_locally: bool,
    pub exists_on_remote: bool,
    /// The kickoff's tip on the remote; `None` when the remote lacks the
    /// branch. Ignored unless `remote_checked`.
    pub remote_tip: Option<Oid>,
    /// Whether a remote was read at all (no remote: the remote rules pass).
    pub remote_checked: bool,
    /// The name of the remote, for messages.
    pub remote: String,
    /// Main as of the release (the remote's when there is one), and the
    /// commits of it the candidate commit lacks, oldest first. `None`: no
    /// main to compare with.
    pub main: Option<MainFacts>,
}

/// Main as the behind-main rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MainFacts {
    /// The ref read: `origin/main`, or `main` without a remote.
    pub name: String,
    pub tip: Oid,
    /// Commits of main the kickoff lacks (oid, subject), oldest first.
    pub missing: Vec<(Oid, String)>,
}

/// One broken rule, with what is needed to explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleViolation {
    TagExists {
        tag: String,
        local: bool,
        remote: bool,
        remote_name: String,
    },
    NotGreater {
        version: PlatformVersion,
        highest: PlatformVersion,
    },
    SecondVersion {
        kickoff: KickoffName,
        existing: Vec<PlatformVersion>,
    },
    Rollback {
        kickoff: KickoffName,
        missing: Vec<PlatformVersion>,
    },
    BehindMain {
        kickoff: KickoffName,
        /// `origin/main` (or `main` without a remote).
        main: String,
        /// Commits of main the kickoff lacks (oid, subject), oldest first.
        missing: Vec<(Oid, String)>,
    },
    RemoteMismatch {
        kickoff: KickoffName,
        remote_name: String,
        local: Oid,
        remote: Option<Oid>,
    },
}

impl RuleViolation {
    pub fn rule(&self) -> Rule {
        match self {
            RuleViolation::TagExists { .. } => Rule::TagExists,
            RuleViolation::NotGreater { .. } => Rule::NotGreater,
            RuleViolation::SecondVersion { .. } => Rule::SecondVersion,
            RuleViolation::Rollback { .. } => Rule::Rollback,
            RuleViolation::BehindMain { .. } => Rule::BehindMain,
            RuleViolation::RemoteMismatch { .. } => Rule::RemoteMismatch,
        }
    }

    /// The next step for the user.
    pub fn hint(&self) -> String {
        let waive = self
            .rule()
            .flag()
            .map(|f| format!(", or waive the rule with {f}"))
            .unwrap_or_default();
        match self {
            RuleViolation::TagExists { .. } => {
                "pick another version (`kickoff versions` lists the taken ones); a published tag is never replaced".into()
            }
            RuleViolation::NotGreater { highest, .. } => format!(
                "release a version above {highest} (`--bump patch` picks the next one){waive}"
            ),
            RuleViolation::SecondVersion { existing, .. } => format!(
                "a kickoff maps to one platform version ({}); only a prerelease may be followed by its release or a later prerelease{waive}",
                join(existing)
            ),
            RuleViolation::Rollback { kickoff, .. } => format!(
                "bring main into the kickoff first (`kickoff sync {kickoff}`) after the released kickoffs have landed{waive}"
            ),
            RuleViolation::BehindMain { kickoff, main, .. } => format!(
                "bring {main} into the kickoff with `kickoff sync {kickoff}`, then release again{waive}"
            ),
            RuleViolation::RemoteMismatch {
                kickoff,
                remote_name,
                remote,
                ..
            } => match remote {
                None => format!("push the kickoff first (`git push -u {remote_name} {kickoff}`){waive}"),
                Some(_) => format!(
                    "push or pull so that {kickoff} and {remote_name}/{kickoff} agree{waive}"
                ),
            },
        }
    }
}

impl fmt::Display for RuleViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleViolation::TagExists {
                tag,
                local,
                remote,
                remote_name,
            } => {
                let place = match (local, remote) {
                    (true, true) => format!("locally and on {remote_name}"),
                    (true, false) => "locally".to_string(),
                    _ => format!("on {remote_name}"),
                };
                write!(f, "the tag {tag} already exists {place}")
            }
            RuleViolation::NotGreater { version, highest } => write!(
                f,
                "{version} is not greater than the highest platform version, {highest}"
            ),
            RuleViolation::SecondVersion { kickoff, existing } => write!(
                f,
                "{kickoff} already has the platform version {}",
                join(existing)
            ),
            RuleViolation::Rollback { kickoff, missing } => write!(
                f,
                "{kickoff} lacks the released work of {} (deploying it would roll that back)",
                missing
                    .iter()
                    .map(|v| format!("v{v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            RuleViolation::BehindMain {
                kickoff,
                main,
                missing,
            } => {
                write!(
                    f,
                    "{kickoff} lacks {} commit(s) of {main} (deploying it would roll them back): ",
                    missing.len()
                )?;
                let shown: Vec<String> = missing
                    .iter()
                    .take(BEHIND_MAIN_SHOWN)
                    .map(|(oid, subject)| format!("{} {subject:?}", short(*oid)))
                    .collect();
                f.write_str(&shown.join(", "))?;
                if missing.len() > BEHIND_MAIN_SHOWN {
                    write!(f, " and {} more", missing.len() - BEHIND_MAIN_SHOWN)?;
                }
                Ok(())
            }
            RuleViolation::RemoteMismatch {
                kickoff,
                remote_name,
                local,
                remote,
            } => match remote {
                None => write!(f, "{kickoff} is not on {remote_name}"),
                Some(r) => write!(
                    f,
                    "{kickoff} ({}) differs from {remote_name}/{kickoff} ({})",
                    short(*local),
                    short(*r)
                ),
            },
        }
    }
}

/// How many of main's missing commits a behind-main refusal names.
const BEHIND_MAIN_SHOWN: usize = 5;

fn join(versions: &[PlatformVersion]) -> String {
    versions
        .iter()
        .map(|v| format!("v{v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn short(oid: Oid) -> String {
    oid.to_string()[..10].to_string()
}

/// Check every release rule; an empty result means the release may go ahead.
pub fn check_release(facts: &ReleaseFacts) -> Vec<RuleViolation> {
    let mut out = Vec::new();
    let candidate = &facts.candidate;
    if facts.exists_locally || facts.exists_on_remote {
        out.push(RuleViolation::TagExists {
            tag: candidate.tag_name(),
            local: facts.exists_locally,
            remote: facts.exists_on_remote,
            remote_name: facts.remote.clone(),
        });
    }
    let others: Vec<&KnownVersion> = facts
        .others
        .iter()
        .filter(|k| &k.version != candidate)
        .collect();
    if let Some(highest) = others.iter().map(|k| &k.version).max() {
        if candidate <= highest {
            out.push(RuleViolation::NotGreater {
                version: candidate.clone(),
                highest: highest.clone(),
            });
        }
    }
    let mut own: Vec<PlatformVersion> = others
        .iter()
        .filter(|k| k.kickoff.as_ref() == Some(&facts.kickoff))
        .map(|k| k.version.clone())
        .collect();
    own.sort();
    if !own.is_empty() && !may_follow(&own, candidate) {
        out.push(RuleViolation::SecondVersion {
            kickoff: facts.kickoff.clone(),
            existing: own,
        });
    }
    let mut missing: Vec<PlatformVersion> = others
        .iter()
        .filter(|k| !k.contained)
        .map(|k| k.version.clone())
        .collect();
    missing.sort();
    if !missing.is_empty() {
        out.push(RuleViolation::Rollback {
            kickoff: facts.kickoff.clone(),
            missing,
        });
    }
    if let Some(main) = facts.main.as_ref().filter(|m| !m.missing.is_empty()) {
        out.push(RuleViolation::BehindMain {
            kickoff: facts.kickoff.clone(),
            main: main.name.clone(),
            missing: main.missing.clone(),
        });
    }
    if facts.remote_checked && facts.remote_tip != Some(facts.commit) {
        out.push(RuleViolation::RemoteMismatch {
            kickoff: facts.kickoff.clone(),
            remote_name: facts.remote.clone(),
            local: facts.commit,
            remote: facts.remote_tip,
        });
    }
    out
}

/// Whether `candidate` may follow the kickoff's own versions `own` (sorted):
/// only prereleases so far, and the candidate comes after the latest of them.
fn may_follow(own: &[PlatformVersion], candidate: &PlatformVersion) -> bool {
    own.iter().all(PlatformVersion::is_prerelease)
        && own.last().is_some_and(|latest| {
            candidate > latest && (candidate.is_prerelease() || *candidate == latest.release())
        })
}

/// The rules the user waived with their flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Waivers(BTreeSet<Rule>);

impl Waivers {
    pub fn new(rules: impl IntoIterator<Item = Rule>) -> Waivers {
        Waivers(rules.into_iter().filter(|r| r.flag().is_some()).collect())
    }

    pub fn contains(&self, rule: Rule) -> bool {
        self.0.contains(&rule)
    }

    pub fn rules(&self) -> impl Iterator<Item = Rule> + '_ {
        self.0.iter().copied()
    }
}

/// The outcome of the rules under the user's waivers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Violations that stop the release.
    pub blocking: Vec<RuleViolation>,
    /// Violations the user waived, to be reported (and recorded in the tag).
    pub waived: Vec<RuleViolation>,
}

impl Verdict {
    pub fn new(violations: Vec<RuleViolation>, waivers: &Waivers) -> Verdict {
        let (waived, blocking) = violations
            .into_iter()
            .partition(|v| waivers.contains(v.rule()));
        Verdict { blocking, waived }
    }

    pub fn allowed(&self) -> bool {
        self.blocking.is_empty()
    }

    /// The rules that were waived, each once.
    pub fn waived_rules(&self) -> Vec<Rule> {
        let set: BTreeSet<Rule> = self.waived.iter().map(RuleViolation::rule).collect();
        set.into_iter().collect()
    }

    pub fn into_result(self) -> Result<Verdict, ReleaseError> {
        if self.allowed() {
            Ok(self)
        } else {
            Err(ReleaseError::Refused(self.blocking))
        }
    }
}

/// The version after the highest existing one, for `--bump`.
pub fn next_version<'a>(
    existing: impl IntoIterator<Item = &'a PlatformVersion>,
    bump: Bump,
) -> PlatformVersion {
    match existing.into_iter().max() {
        Some(highest) => highest.bump(bump),
        None => PlatformVersion::first(bump),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> PlatformVersion {
        PlatformVersion::parse(s).unwrap()
    }

    fn k(s: &str) -> KickoffName {
        KickoffName::parse(s).unwrap()
    }

    fn oid(n: u8) -> Oid {
        Oid::from_bytes(&[n; 20]).unwrap()
    }

    fn known(version: &str, kickoff: &str, contained: bool) -> KnownVersion {
        KnownVersion {
            version: v(version),
            commit: Some(oid(9)),
            kickoff: Some(k(kickoff)),
            contained,
        }
    }

    fn facts(candidate: &str, others: Vec<KnownVersion>) -> ReleaseFacts {
        ReleaseFacts {
            candidate: v(candidate),
            kickoff: k("kickoff-240510-dashboard"),
            commit: oid(1),
            others,
            exists_locally: false,
            exists_on_remote: false,
            remote_tip: Some(oid(1)),
            remote_checked: true,
            remote: "origin".into(),
            main: None,
        }
    }

    #[test]
    fn versions_parse_in_every_spelling() {
        for s in [
            "1.3.10",
            "v1.3.10",
            "platform/v1.3.10",
            "refs/tags/platform/v1.3.10",
        ] {
            assert_eq!(v(s).to_string(), "1.3.10", "{s}");
        }
        assert_eq!(v("1.3.10-rc.1").tag_name(), "platform/v1.3.10-rc.1");
        for bad in [
            "1.3",
            "x.y.z",
            "1.3.10+build.5",
            "",
            "01.2.3",
            "platform/1.2",
        ] {
            assert!(PlatformVersion::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            PlatformVersion::from_tag("platform/v2.0.0"),
            Some(v("2.0.0"))
        );
        assert_eq!(PlatformVersion::from_tag("v2.0.0"), None);
    }

    #[test]
    fn prereleases_order_by_semver_precedence() {
        let mut list = [
            v("1.3.10"),
            v("1.3.10-rc.10"),
            v("1.3.10-rc.2"),
            v("1.3.9"),
            v("1.3.10-alpha"),
        ];
        list.sort();
        let names: Vec<String> = list.iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            [
                "1.3.9",
                "1.3.10-alpha",
                "1.3.10-rc.2",
                "1.3.10-rc.10",
                "1.3.10"
            ]
        );
    }

    #[test]
    fn bumps() {
        assert_eq!(v("1.3.9").bump(Bump::Patch), v("1.3.10"));
        assert_eq!(v("1.3.9").bump(Bump::Minor), v("1.4.0"));
        assert_eq!(v("1.3.9").bump(Bump::Major), v("2.0.0"));
        assert_eq!(v("1.3.10-rc.1").bump(Bump::Patch), v("1.3.10"));
        assert_eq!(v("1.4.0-rc.1").bump(Bump::Minor), v("1.4.0"));
        assert_eq!(v("1.4.1-rc.1").bump(Bump::Minor), v("1.5.0"));
        assert_eq!(v("2.0.0-rc.1").bump(Bump::Major), v("2.0.0"));
        assert_eq!(next_version(&[], Bump::Minor), v("0.1.0"));
        assert_eq!(
            next_version(&[v("1.0.0"), v("1.2.0"), v("1.1.5")], Bump::Patch),
            v("1.2.1")
        );
    }

    #[test]
    fn message_round_trips_through_trailers() {
        let msg = TagMessage {
            version: v("1.3.10"),
            kickoff: k("kickoff-240510-dashboard"),
            base: Some(oid(7)),
            deploy_date: NaiveDate::from_ymd_opt(2024, 6, 3),
            tickets: vec!["DASH-101".into(), "DASH-117".into()],
            waived: vec![Rule::Rollback],
        };
        let text = msg.render();
        assert!(text.starts_with(
            "platform v1.3.10: kickoff-240510-dashboard\n\nKickoff: kickoff-240510-dashboard\n"
        ));
        assert!(text.contains("\nDeploy-Date: 2024-06-03\nTicket: DASH-101\nTicket: DASH-117\n"));
        assert_eq!(TagMessage::parse(v("1.3.10"), &text), Some(msg));
        assert_eq!(TagMessage::parse(v("1.0.0"), "just a note\n"), None);
    }

    #[test]
    fn trailers_only_from_the_last_paragraph() {
        let t = trailers("subject\n\nbody: not a trailer line\nmore text\n\nA: 1\nB-C: two\n");
        assert_eq!(
            t,
            vec![("A".into(), "1".into()), ("B-C".into(), "two".into())]
        );
        assert!(trailers("Kickoff: x").is_empty());
        let signed = "s\n\nKickoff: kickoff-240510-dashboard\n-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n";
        assert_eq!(trailers(signed).len(), 1);
        assert!(trailers("s\n\nfree text here\n").is_empty());
    }

    #[test]
    fn a_clean_release_passes() {
        let f = facts("1.3.10", vec![known("1.3.9", "kickoff-240401-other", true)]);
        assert!(check_release(&f).is_empty());
        assert!(check_release(&facts("0.1.0", vec![])).is_empty());
    }

    #[test]
    fn each_rule_has_its_violation() {
        let mut f = facts("1.3.9", vec![known("1.4.0", "kickoff-240401-other", true)]);
        f.exists_on_remote = true;
        let rules: Vec<Rule> = check_release(&f).iter().map(|v| v.rule()).collect();
        assert_eq!(rules, [Rule::TagExists, Rule::NotGreater]);

        let f = facts("1.3.8", vec![known("1.3.9", "kickoff-240401-other", true)]);
        assert_eq!(
            check_release(&f),
            [RuleViolation::NotGreater {
                version: v("1.3.8"),
                highest: v("1.3.9")
            }]
        );

        let f = facts(
            "1.4.0",
            vec![
                known("1.3.9", "kickoff-240401-aa", false),
                known("1.3.8", "kickoff-240301-bb", false),
                known("1.3.7", "kickoff-240201-cc", true),
            ],
        );
        assert_eq!(
            check_release(&f),
            [RuleViolation::Rollback {
                kickoff: k("kickoff-240510-dashboard"),
                missing: vec![v("1.3.8"), v("1.3.9")]
            }]
        );
        let text = check_release(&f)[0].to_string();
        assert!(text.contains("v1.3.8, v1.3.9"), "{text}");

        let mut f = facts("1.4.0", vec![]);
        f.remote_tip = None;
        assert_eq!(check_release(&f)[0].rule(), Rule::RemoteMismatch);
        f.remote_tip = Some(oid(2));
        assert_eq!(check_release(&f)[0].rule(), Rule::RemoteMismatch);
        f.remote_checked = false;
        assert!(check_release(&f).is_empty());
    }

    #[test]
    fn a_kickoff_behind_main_names_the_missing_commits_and_sync() {
        let mut f = facts("1.4.0", vec![]);
        f.main = Some(MainFacts {
            name: "origin/main".into(),
            tip: oid(3),
            missing: vec![],
        });
        assert!(check_release(&f).is_empty());
        let missing: Vec<(Oid, String)> = (0..7)
            .map(|n| (oid(20 + n), format!("Hotfix {n}")))
            .collect();
        f.main.as_mut().unwrap().missing = missing;
        let found = check_release(&f);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule(), Rule::BehindMain);
        let text = found[0].to_string();
        assert!(
            text.starts_with("kickoff-240510-dashboard lacks 7 commit(s) of origin/main"),
            "{text}"
        );
        assert!(
            text.contains("\"Hotfix 0\"") && text.ends_with(" and 2 more"),
            "{text}"
        );
        assert!(
            found[0]
                .hint()
                .contains("`kickoff sync kickoff-240510-dashboard`, then release again, or waive the rule with --allow-behind-main"),
            "{}",
            found[0].hint()
        );
        let verdict = Verdict::new(found, &Waivers::new([Rule::BehindMain]));
        assert!(verdict.allowed());
        assert_eq!(verdict.waived_rules(), [Rule::BehindMain]);
        assert_eq!(Rule::from_key("behind-main"), Some(Rule::BehindMain));
    }

    #[test]
    fn second_version_allows_only_prerelease_progressions() {
        let own = |version: &str| known(version, "kickoff-240510-dashboard", true);
        let second = |candidate: &str, existing: Vec<KnownVersion>| {
            check_release(&facts(candidate, existing))
                .iter()
                .any(|v| v.rule() == Rule::SecondVersion)
        };
        assert!(second("1.3.11", vec![own("1.3.10")]));
        assert!(!second("1.3.10", vec![own("1.3.10-rc.1")]));
        assert!(!second("1.3.10-rc.2", vec![own("1.3.10-rc.1")]));
        assert!(second("1.3.11", vec![own("1.3.10-rc.1")]));
        assert!(second(
            "1.3.10-rc.3",
            vec![own("1.3.10-rc.1"), own("1.3.10")]
        ));
    }

    #[test]
    fn waivers_split_blocking_from_waived() {
        let f = facts("1.0.0", vec![known("1.3.9", "kickoff-240401-aa", false)]);
        let waivers = Waivers::new([Rule::NotGreater, Rule::TagExists]);
        let verdict = Verdict::new(check_release(&f), &waivers);
        assert_eq!(verdict.waived_rules(), [Rule::NotGreater]);
        assert_eq!(verdict.blocking.len(), 1);
        assert_eq!(verdict.blocking[0].rule(), Rule::Rollback);
        assert!(!Waivers::new([Rule::TagExists]).contains(Rule::TagExists));
    }
}
