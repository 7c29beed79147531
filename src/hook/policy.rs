//! The push policy: which pushed refs the hook refuses, which it warns about.
//!
//! Everything here is a pure function of the parsed push lines, the settings
//! and a few facts the caller read from the repository. [`needs`] says which
//! facts a line requires, so the hot path (a feature branch) reads nothing;
//! [`decide`] turns lines and facts into a [`Verdict`]. The release rules and
//! the conflict radar arrive here as facts too ([`TagFacts::release_problems`],
//! [`Facts::conflicts`]), so the policy does not care how they are computed.

use super::protocol::{Change, PushLine};
use crate::naming::{FeatureName, KICKOFF_PREFIX, KickoffName, TicketPattern};
use regex::Regex;
use std::fmt;

/// The tag namespace of platform versions.
pub const PLATFORM_TAG_PREFIX: &str = "platform/";
/// Trailers every platform tag carries (`Ticket` may be absent).
pub const REQUIRED_TRAILERS: [&str; 3] = ["Kickoff", "Kickoff-Base", "Deploy-Date"];
/// What `git push` needs to skip the hook once.
pub const BYPASS: &str = "git push --no-verify";

/// What the conflict check does with what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConflictMode {
    Warn,
    Block,
    Off,
}

impl ConflictMode {
    pub fn parse(s: &str) -> Option<ConflictMode> {
        match s {
            "warn" => Some(ConflictMode::Warn),
            "block" => Some(ConflictMode::Block),
            "off" => Some(ConflictMode::Off),
            _ => None,
        }
    }
}

/// One entry of `hook.allow_branches`: a glob (`*` stays inside one path
/// segment, `**` crosses them, `?` is one character, `{a,b}` either) or
/// `re:<regex>`.
#[derive(Debug, Clone)]
pub struct BranchPattern {
    source: String,
    matcher: Matcher,
}

#[derive(Debug, Clone)]
enum Matcher {
    Glob(globset::GlobMatcher),
    Regex(Regex),
}

impl BranchPattern {
    pub fn parse(source: &str) -> Result<BranchPattern, String> {
        if source.is_empty() {
            return Err("an empty pattern".into());
        }
        let matcher = match source.strip_prefix("re:") {
            Some(re) => {
                Matcher::Regex(Regex::new(&format!("^(?:{re})$")).map_err(|e| e.to_string())?)
            }
            None => Matcher::Glob(
                globset::GlobBuilder::new(source)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| e.kind().to_string())?
                    .compile_matcher(),
            ),
        };
        Ok(BranchPattern {
            source: source.to_string(),
            matcher,
        })
    }

    pub fn matches(&self, branch: &str) -> bool {
        match &self.matcher {
            Matcher::Glob(g) => g.is_match(branch),
            Matcher::Regex(r) => r.is_match(branch),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }
}

/// The `[hook]` section of `.kickoff.toml`, validated.
#[derive(Debug, Clone)]
pub struct HookConfig {
    pub check_branch_names: bool,
    pub allow_branches: Vec<BranchPattern>,
    pub allow_main_push: bool,
    pub allow_kickoff_rewrite: bool,
    pub conflicts: ConflictMode,
    /// In `block` mode, remote-tracking kickoff branches older than this are
    /// fetched (once) before the conflict check.
    pub refresh_after: std::time::Duration,
}

impl Default for HookConfig {
    fn default() -> Self {
        HookConfig {
            check_branch_names: true,
            allow_branches: Vec::new(),
            allow_main_push: false,
            allow_kickoff_rewrite: false,
            conflicts: ConflictMode::Warn,
            refresh_after: std::time::Duration::from_secs(600),
        }
    }
}

/// What the policy reads of the team's settings: the names of main, the
/// remote and feature branches, and the `[hook]` section. The hook owns this
/// view; `config::Config::hook_settings` fills it from `.kickoff.toml`.
#[derive(Debug, Clone)]
pub struct Settings {
    pub main_branch: String,
    pub remote: String,
    pub feature_prefix: String,
    pub ticket_pattern: TicketPattern,
    pub hook: HookConfig,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            main_branch: "main".into(),
            remote: "origin".into(),
            feature_prefix: "feature/".into(),
            ticket_pattern: TicketPattern::default(),
            hook: HookConfig::default(),
        }
    }
}

/// The rules, by the id that messages and docs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    BranchName,
    MainProtected,
    PlatformTag,
    PlatformTagImmutable,
    ReleaseRules,
    KickoffRewrite,
    Conflicts,
}

impl Rule {
    pub fn id(self) -> &'static str {
        match self {
            Rule::BranchName => "branch-name",
            Rule::MainProtected => "main-protected",
            Rule::PlatformTag => "platform-tag",
            Rule::PlatformTagImmutable => "platform-tag-immutable",
            Rule::ReleaseRules => "release-rules",
            Rule::KickoffRewrite => "kickoff-rewrite",
            Rule::Conflicts => "conflicts",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One refusal or warning about one pushed ref.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub remote_ref: String,
    pub rule: Rule,
    pub problem: String,
    pub fix: String,
}

/// What the hook concluded about a whole push.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    pub refusals: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

impl Verdict {
    pub fn refused(&self) -> bool {
        !self.refusals.is_empty()
    }
}

/// Where the kickoff named by a platform tag stands against the tag's commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnKickoff {
    /// The kickoff's tip is the tagged commit or contains it.
    Contains,
    /// The kickoff exists, and its tip (given) does not contain the tagged commit.
    Elsewhere { tip: String },
    /// No branch of that name locally, on the remote, or in this push.
    NoSuchKickoff,
    /// Not checked (no valid `Kickoff` trailer, or no commit to check).
    NotChecked,
}

/// What the repository says about a pushed platform tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFacts {
    /// An annotated tag object (not a lightweight tag pointing at a commit).
    pub annotated: bool,
    /// The commit the tag finally points at, if it points at a commit.
    pub target: Option<String>,
    /// The trailers of the tag message, in order.
    pub trailers: Vec<(String, String)>,
    pub on_kickoff: OnKickoff,
    /// Violations of the release rules, one sentence each.
    pub release_problems: Vec<String>,
    /// Release rules waived when the tag was made (its `Waived:` trailers).
    pub release_waived: Vec<String>,
}

/// A conflict the radar found between a pushed kickoff and another branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictWith {
    /// The other kickoff, or main.
    pub other: String,
    pub files: Vec<String>,
    /// Set when the radar could not decide (the reason): a warning, never a refusal.
    pub unknown: Option<String>,
}

/// The facts read for one push line; fields stay empty unless [`needs`] asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// For an update: whether the remote's object is an ancestor of the pushed one.
    pub fast_forward: Option<bool>,
    pub tag: Option<TagFacts>,
    /// `None`: the radar did not run (mode off, or nothing to compare with).
    pub conflicts: Option<Vec<ConflictWith>>,
}

/// Which facts a line needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    pub ancestry: bool,
    pub tag: bool,
    pub conflicts: bool,
}

/// The settings and environment the policy applies.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub config: &'a Settings,
    /// `KICKOFF_LAND=1`: `kickoff land` is pushing main.
    pub land: bool,
}

/// What kind of ref a line pushes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target<'a> {
    Main,
    Kickoff(KickoffName),
    Branch(&'a str),
    PlatformTag(&'a str),
    Other,
}

pub fn target<'a>(line: &'a PushLine, config: &Settings) -> Target<'a> {
    if let Some(branch) = line.branch() {
        if branch == config.main_branch {
            return Target::Main;
        }
        if let Ok(k) = KickoffName::parse(branch) {
            return Target::Kickoff(k);
        }
        return Target::Branch(branch);
    }
    if let Some(tag) = line.tag() {
        if let Some(version) = tag.strip_prefix(PLATFORM_TAG_PREFIX) {
            return Target::PlatformTag(version);
        }
    }
    Target::Other
}

/// The facts [`decide`] will look at for this line.
pub fn needs(line: &PushLine, ctx: &Context) -> Needs {
    let change = line.change();
    match target(line, ctx.config) {
        Target::Kickoff(_) => Needs {
            ancestry: change == Change::Update && !ctx.config.hook.allow_kickoff_rewrite,
            conflicts: matches!(change, Change::Create | Change::Update)
                && ctx.config.hook.conflicts != ConflictMode::Off,
            tag: false,
        },
        Target::PlatformTag(version) => Needs {
            tag: change == Change::Create && valid_platform_version(version),
            ..Needs::default()
        },
        // `KICKOFF_LAND=1` allows a fast-forward of main, nothing more.
        Target::Main => Needs {
            ancestry: ctx.land && change == Change::Update && !ctx.config.hook.allow_main_push,
            ..Needs::default()
        },
        _ => Needs::default(),
    }
}

/// Apply every rule to every line. `facts[i]` belongs to `lines[i]`.
pub fn decide(lines: &[PushLine], facts: &[Facts], ctx: &Context) -> Verdict {
    let mut v = Verdict::default();
    let none = Facts::default();
    for (i, line) in lines.iter().enumerate() {
        check_line(line, facts.get(i).unwrap_or(&none), ctx, &mut v);
    }
    v
}

fn check_line(line: &PushLine, facts: &Facts, ctx: &Context, v: &mut Verdict) {
    let change = line.change();
    if change == Change::Unchanged {
        return;
    }
    let cfg = ctx.config;
    match target(line, cfg) {
        Target::Main => check_main(line, facts, ctx, v),
        Target::Kickoff(name) => check_kickoff(line, &name, facts, cfg, v),
        Target::Branch(branch) => {
            if change != Change::Delete && cfg.hook.check_branch_names {
                if let Some((problem, fix)) = branch_name_problem(branch, cfg) {
                    v.refuse(line, Rule::BranchName, problem, fix);
                }
            }
        }
        Target::PlatformTag(version) => check_platform_tag(line, version, facts, v),
        Target::Other => {}
    }
}

impl Verdict {
    fn refuse(&mut self, line: &PushLine, rule: Rule, problem: String, fix: String) {
        self.refusals.push(Finding {
            remote_ref: line.remote_ref.clone(),
            rule,
            problem,
            fix,
        });
    }
}

/// `main-protected`. `kickoff land` (`KICKOFF_LAND=1`) only ever needs a
/// fast-forward of main, so that is all the variable allows.
fn check_main(line: &PushLine, facts: &Facts, ctx: &Context, v: &mut Verdict) {
    let change = line.change();
    let cfg = ctx.config;
    let landing = ctx.land && change == Change::Update;
    if landing && facts.fast_forward != Some(true) && !cfg.hook.allow_main_push {
        v.refuse(
            line,
            Rule::MainProtected,
            format!(
                "KICKOFF_LAND=1 allows only a fast-forward of `{}`, and {} does not contain the remote's {}",
                cfg.main_branch,
                line.local_oid.short(),
                line.remote_oid.short()
            ),
            format!(
                "`kickoff land` fetches {} and merges it first; run it again instead of forcing the push",
                cfg.main_branch
            ),
        );
        return;
    }
    let allowed = cfg.hook.allow_main_push || landing;
    if change != Change::Create && !allowed {
        let what = if change == Change::Delete {
            "deleting"
        } else {
            "pushing straight to"
        };
        v.refuse(
            line,
            Rule::MainProtected,
            format!("{what} `{}` is not allowed", cfg.main_branch),
            format!(
                "work reaches {} through a kickoff: `kickoff land` merges a released kickoff and pushes it; \
                 to allow direct pushes set `hook.allow_main_push = true` in .kickoff.toml",
                cfg.main_branch
            ),
        );
    }
}

/// `kickoff-rewrite` and `conflicts`.
fn check_kickoff(
    line: &PushLine,
    name: &KickoffName,
    facts: &Facts,
    cfg: &Settings,
    v: &mut Verdict,
) {
    let change = line.change();
    if !cfg.hook.allow_kickoff_rewrite {
        if change == Change::Delete {
            v.refuse(
                line,
                Rule::KickoffRewrite,
                format!("deleting the kickoff branch `{name}`"),
                "kickoff branches are kept: each maps to its platform version; \
                 to allow this set `hook.allow_kickoff_rewrite = true` in .kickoff.toml"
                    .into(),
            );
        } else if facts.fast_forward == Some(false) {
            v.refuse(
                line,
                Rule::KickoffRewrite,
                format!(
                    "force-pushing `{name}`: the remote's {} is not contained in {}",
                    line.remote_oid.short(),
                    line.local_oid.short()
                ),
                format!(
                    "others build on the kickoff; bring the remote's commits in instead \
                     (`git fetch` then `git merge {}/{name}`) and push again; \
                     to allow rewrites set `hook.allow_kickoff_rewrite = true`",
                    cfg.remote
                ),
            );
        }
    }
    if let Some(conflicts) = &facts.conflicts {
        for c in conflicts {
            if let Some(reason) = &c.unknown {
                v.warnings.push(Finding {
                    remote_ref: line.remote_ref.clone(),
                    rule: Rule::Conflicts,
                    problem: format!("could not check `{name}` against `{}`: {reason}", c.other),
                    fix: format!("`git merge-tree --write-tree {name} {}` decides", c.other),
                });
                continue;
            }
            let finding = Finding {
                remote_ref: line.remote_ref.clone(),
                rule: Rule::Conflicts,
                problem: format!(
                    "`{name}` conflicts with `{}` in {} file(s): {}",
                    c.other,
                    c.files.len(),
                    list(&c.files, 5)
                ),
                fix: format!(
                    "`kickoff conflicts --kickoff {name}` shows the details; sort it out with the owners of `{}` before the branches meet",
                    c.other
                ),
            };
            match cfg.hook.conflicts {
                ConflictMode::Block => v.refusals.push(finding),
                ConflictMode::Warn => v.warnings.push(finding),
                ConflictMode::Off => {}
            }
        }
    }
}

/// `platform-tag`, `platform-tag-immutable` and `release-rules`. A tag under
/// `platform/` that is no platform version (a typo, build metadata) was never
/// a release: it may be deleted, and is refused when created or moved.
fn check_platform_tag(line: &PushLine, version: &str, facts: &Facts, v: &mut Verdict) {
    if !valid_platform_version(version) {
        if line.change() != Change::Delete {
            for (problem, fix) in platform_tag_problems(version, None) {
                v.refuse(line, Rule::PlatformTag, problem, fix);
            }
        }
        return;
    }
    match line.change() {
        Change::Delete => v.refuse(
            line,
            Rule::PlatformTagImmutable,
            format!("deleting the platform tag `platform/{version}` on the remote"),
            "a released version stays mapped to its kickoff; release a new version instead \
             (`kickoff release --bump patch`)"
                .into(),
        ),
        Change::Update => v.refuse(
            line,
            Rule::PlatformTagImmutable,
            format!(
                "moving the platform tag `platform/{version}` on the remote from {} to {}",
                line.remote_oid.short(),
                line.local_oid.short()
            ),
            "a released version stays mapped to its kickoff; release a new version instead \
             (`kickoff release --bump patch`), and drop the local tag with \
             `git tag -d platform/...` then `git fetch --tags`"
                .into(),
        ),
        Change::Create => {
            for (problem, fix) in platform_tag_problems(version, facts.tag.as_ref()) {
                v.refuse(line, Rule::PlatformTag, problem, fix);
            }
            if let Some(t) = &facts.tag {
                for p in &t.release_problems {
                    v.refuse(
                        line,
                        Rule::ReleaseRules,
                        p.clone(),
                        "`kickoff release` checks the rules and picks the next version; \
                         `kickoff versions` lists the released ones"
                            .into(),
                    );
                }
                for p in &t.release_waived {
                    v.warnings.push(Finding {
                        remote_ref: line.remote_ref.clone(),
                        rule: Rule::ReleaseRules,
                        problem: format!("waived when the tag was made: {p}"),
                        fix: "nothing to do; the tag records the waiver".into(),
                    });
                }
            }
        }
        Change::Unchanged => {}
    }
}

fn list(items: &[String], max: usize) -> String {
    let mut s = items
        .iter()
        .take(max)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > max {
        s.push_str(&format!(" and {} more", items.len() - max));
    }
    s
}

/// Why a branch name is refused, and the fix; `None` when it is fine.
pub fn branch_name_problem(branch: &str, cfg: &Settings) -> Option<(String, String)> {
    if branch == cfg.main_branch
        || KickoffName::parse(branch).is_ok()
        || cfg.hook.allow_branches.iter().any(|p| p.matches(branch))
    {
        return None;
    }
    let prefix = &cfg.feature_prefix;
    let pattern = cfg.ticket_pattern.as_str();
    let rename = "rename it with `git branch -m <new-name>` and push that";
    if branch.starts_with(KICKOFF_PREFIX) {
        let reason = KickoffName::parse(branch)
            .err()
            .and_then(|e| e.hint())
            .unwrap_or_default();
        return Some((
            format!("`{branch}` is not a valid kickoff branch name: {reason}"),
            format!(
                "expected kickoff-YYMMDD-summary with a real date and a slug of lowercase letters, digits and hyphens; \
                 `kickoff new <summary> --date YYMMDD` makes one; {rename}"
            ),
        ));
    }
    match FeatureName::parse(branch, prefix, &cfg.ticket_pattern) {
        Ok(_) => None,
        Err(e) if branch.starts_with(prefix.as_str()) => Some((
            format!(
                "`{branch}` is not a valid feature branch name: {}",
                e.hint().unwrap_or_default()
            ),
            format!(
                "expected {prefix}<TICKET> or {prefix}<TICKET>-<slug>, the ticket matching `{pattern}`; \
                 `kickoff feature <TICKET> [<slug>]` makes one; {rename}"
            ),
        )),
        Err(_) => Some((
            format!(
                "`{branch}` is not {}, a kickoff or a feature branch",
                cfg.main_branch
            ),
            format!(
                "expected kickoff-YYMMDD-summary (`kickoff new <summary>`) or \
                 {prefix}<TICKET>[-slug] with a ticket matching `{pattern}` (`kickoff feature <TICKET> [<slug>]`); \
                 {rename}, or allow the name with `hook.allow_branches` in .kickoff.toml"
            ),
        )),
    }
}

/// `vX.Y.Z` with a semantic version and no build metadata: what a platform
/// tag carries after `platform/`, and what `kickoff versions` lists.
pub fn valid_platform_version(version: &str) -> bool {
    version
        .strip_prefix('v')
        .and_then(|v| semver::Version::parse(v).ok())
        .is_some_and(|v| v.build.is_empty())
}

/// What is wrong with a new platform tag (name, annotation, trailers, commit).
pub fn platform_tag_problems(version: &str, tag: Option<&TagFacts>) -> Vec<(String, String)> {
    let name = format!("{PLATFORM_TAG_PREFIX}{version}");
    let make = "`kickoff release --platform X.Y.Z` creates a correct tag; delete this one with `git tag -d`";
    let mut out = Vec::new();
    if !valid_platform_version(version) {
        out.push((
            format!(
                "`{name}` is not platform/vX.Y.Z with a semantic version without build metadata"
            ),
            format!(
                "name it like platform/v1.3.10 or platform/v2.0.0-rc.1 (no `+build`: it does not order versions); {make}"
            ),
        ));
    }
    let Some(tag) = tag else {
        return out;
    };
    if !tag.annotated {
        out.push((
            format!(
                "`{name}` is a lightweight tag; platform tags are annotated and carry trailers"
            ),
            make.to_string(),
        ));
        return out;
    }
    let trailer = |key: &str| {
        tag.trailers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.trim())
    };
    let missing: Vec<&str> = REQUIRED_TRAILERS
        .iter()
        .copied()
        .filter(|k| trailer(k).is_none_or(str::is_empty))
        .collect();
    if !missing.is_empty() {
        out.push((
            format!("`{name}` lacks the trailer(s) {}", missing.join(", ")),
            make.to_string(),
        ));
    }
    if let Some(k) = trailer("Kickoff") {
        if KickoffName::parse(k).is_err() {
            out.push((
                format!("`{name}` names `{k}` in its Kickoff trailer, which is not a kickoff branch name"),
                make.to_string(),
            ));
        }
    }
    if let Some(base) = trailer("Kickoff-Base") {
        if super::protocol::ObjectId::parse(base).is_none() {
            out.push((
                format!("`{name}` has Kickoff-Base `{base}`, which is not a full object id"),
                make.to_string(),
            ));
        }
    }
    if let Some(date) = trailer("Deploy-Date") {
        if chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err() || date.len() != 10 {
            out.push((
                format!("`{name}` has Deploy-Date `{date}`, which is not a YYYY-MM-DD date"),
                make.to_string(),
            ));
        }
    }
    if tag.target.is_none() {
        out.push((
            format!("`{name}` does not point at a commit"),
            make.to_string(),
        ));
    }
    let kickoff = trailer("Kickoff").unwrap_or("");
    match &tag.on_kickoff {
        OnKickoff::Contains | OnKickoff::NotChecked => {}
        OnKickoff::Elsewhere { tip } => out.push((
            format!(
                "`{name}` points at {}, which is not on its kickoff `{kickoff}` (tip {})",
                tag.target.as_deref().map_or("?", |t| &t[..t.len().min(10)]),
                &tip[..tip.len().min(10)]
            ),
            format!("a platform tag marks the kickoff commit that ships; {make}"),
        )),
        OnKickoff::NoSuchKickoff => out.push((
            format!(
                "`{name}` names the kickoff `{kickoff}`, which is no branch here or on the remote"
            ),
            format!("push the kickoff branch with the tag, or fix the tag; {make}"),
        )),
    }
    out
}

#[cfg(test)]
#[allow(clippy::cloned_ref_to_slice_refs)] // the cases read better as literal slices
mod tests {
    use super::super::protocol::{ObjectId, parse};
    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";
    const Z: &str = "0000000000000000000000000000000000000000";

    fn line(remote_ref: &str, local: &str, remote: &str) -> PushLine {
        PushLine {
            local_ref: remote_ref.into(),
            local_oid: ObjectId::parse(local).unwrap(),
            remote_ref: remote_ref.into(),
            remote_oid: ObjectId::parse(remote).unwrap(),
        }
    }

    fn run(config: &Settings, land: bool, lines: &[PushLine], facts: &[Facts]) -> Verdict {
        decide(lines, facts, &Context { config, land })
    }

    fn fast_forward(yes: bool) -> Facts {
        Facts {
            fast_forward: Some(yes),
            ..Facts::default()
        }
    }

    fn rules(v: &Verdict) -> Vec<Rule> {
        v.refusals.iter().map(|f| f.rule).collect()
    }

    #[test]
    fn branch_names() {
        let mut cfg = Settings::default();
        cfg.hook.allow_branches = vec![
            BranchPattern::parse("release/*").unwrap(),
            BranchPattern::parse("re:^hotfix-[0-9]+$").unwrap(),
        ];
        for ok in [
            "main",
            "kickoff-240510-dashboard",
            "feature/DASH-1",
            "feature/DASH-12-login-form",
            "release/2024",
            "hotfix-7",
        ] {
            let v = run(&cfg, false, &[line(&format!("refs/heads/{ok}"), A, Z)], &[]);
            assert!(!v.refused(), "{ok}: {v:?}");
        }
        for bad in [
            "wip",
            "kickoff-240231-bad-date",
            "kickoff-240510-Bad",
            "feature/dash-1",
            "feature/DASH-1-Login",
            "release/a/b",
            "hotfix-x",
        ] {
            let v = run(
                &cfg,
                false,
                &[line(&format!("refs/heads/{bad}"), A, Z)],
                &[],
            );
            assert_eq!(rules(&v), [Rule::BranchName], "{bad}");
            assert!(v.refusals[0].fix.contains("kickoff "), "{bad}: {v:?}");
        }
        // Deleting a badly named branch is fine; so is a switched-off check.
        assert!(!run(&cfg, false, &[line("refs/heads/wip", Z, A)], &[]).refused());
        cfg.hook.check_branch_names = false;
        assert!(!run(&cfg, false, &[line("refs/heads/wip", A, Z)], &[]).refused());
    }

    #[test]
    fn main_is_protected_except_for_land_and_creation() {
        let mut cfg = Settings::default();
        let update = line("refs/heads/main", A, B);
        assert_eq!(
            rules(&run(&cfg, false, &[update.clone()], &[])),
            [Rule::MainProtected]
        );
        let (ff, non_ff) = (fast_forward(true), fast_forward(false));
        let ctx = Context {
            config: &cfg,
            land: true,
        };
        assert!(needs(&update, &ctx).ancestry);
        assert!(!run(&cfg, true, &[update.clone()], &[ff]).refused());
        // Regression: `KICKOFF_LAND=1 git push -f origin HEAD:main` replaced
        // main with unrelated history.
        let v = run(&cfg, true, &[update.clone()], &[non_ff]);
        assert_eq!(rules(&v), [Rule::MainProtected]);
        assert!(
            v.refusals[0].problem.contains("only a fast-forward"),
            "{v:?}"
        );
        assert!(run(&cfg, true, &[update.clone()], &[]).refused());
        assert!(!run(&cfg, false, &[line("refs/heads/main", A, Z)], &[]).refused());
        let delete = line("refs/heads/main", Z, A);
        assert!(run(&cfg, true, &[delete.clone()], &[]).refused());
        cfg.hook.allow_main_push = true;
        assert!(!run(&cfg, false, &[update, delete], &[]).refused());
    }

    #[test]
    fn kickoffs_are_not_rewritten() {
        let mut cfg = Settings::default();
        let ctx = Context {
            config: &cfg,
            land: false,
        };
        let update = line("refs/heads/kickoff-240510-dash", A, B);
        assert!(needs(&update, &ctx).ancestry);
        let (ff, non_ff) = (fast_forward(true), fast_forward(false));
        assert!(!run(&cfg, false, &[update.clone()], &[ff]).refused());
        assert_eq!(
            rules(&run(&cfg, false, &[update.clone()], &[non_ff.clone()])),
            [Rule::KickoffRewrite]
        );
        let delete = line("refs/heads/kickoff-240510-dash", Z, B);
        assert_eq!(
            rules(&run(&cfg, false, &[delete.clone()], &[])),
            [Rule::KickoffRewrite]
        );
        cfg.hook.allow_kickoff_rewrite = true;
        assert!(!run(&cfg, false, &[update, delete], &[non_ff.clone(), non_ff]).refused());
    }

    fn good_tag() -> TagFacts {
        TagFacts {
            annotated: true,
            target: Some(A.into()),
            trailers: vec![
                ("Kickoff".into(), "kickoff-240510-dash".into()),
                ("Kickoff-Base".into(), B.into()),
                ("Deploy-Date".into(), "2024-06-03".into()),
                ("Ticket".into(), "DASH-1".into()),
            ],
            on_kickoff: OnKickoff::Contains,
            release_problems: vec![],
            release_waived: vec![],
        }
    }

    fn tag_facts(t: TagFacts) -> Facts {
        Facts {
            tag: Some(t),
            ..Facts::default()
        }
    }

    #[test]
    fn platform_tags() {
        let cfg = Settings::default();
        let new = line("refs/tags/platform/v1.2.3", A, Z);
        let ctx = Context {
            config: &cfg,
            land: false,
        };
        assert!(needs(&new, &ctx).tag);
        assert!(!run(&cfg, false, &[new.clone()], &[tag_facts(good_tag())]).refused());
        let rc = line("refs/tags/platform/v2.0.0-rc.1", A, Z);
        assert!(!run(&cfg, false, &[rc], &[tag_facts(good_tag())]).refused());

        let bad_name = line("refs/tags/platform/1.2", A, Z);
        assert_eq!(
            rules(&run(&cfg, false, &[bad_name], &[tag_facts(good_tag())])),
            [Rule::PlatformTag]
        );
        let mut light = good_tag();
        light.annotated = false;
        let v = run(&cfg, false, &[new.clone()], &[tag_facts(light)]);
        assert!(v.refusals[0].problem.contains("lightweight"), "{v:?}");

        let mut no_trailers = good_tag();
        no_trailers.trailers.retain(|(k, _)| k == "Ticket");
        let v = run(&cfg, false, &[new.clone()], &[tag_facts(no_trailers)]);
        assert!(
            v.refusals[0]
                .problem
                .contains("Kickoff, Kickoff-Base, Deploy-Date"),
            "{v:?}"
        );

        let mut elsewhere = good_tag();
        elsewhere.on_kickoff = OnKickoff::Elsewhere { tip: B.into() };
        let v = run(&cfg, false, &[new.clone()], &[tag_facts(elsewhere)]);
        assert!(
            v.refusals[0].problem.contains("not on its kickoff"),
            "{v:?}"
        );

        let mut unknown = good_tag();
        unknown.on_kickoff = OnKickoff::NoSuchKickoff;
        assert!(run(&cfg, false, &[new.clone()], &[tag_facts(unknown)]).refused());

        let mut rules_broken = good_tag();
        rules_broken.release_problems = vec!["v1.2.3 is not greater than v1.3.0".into()];
        assert_eq!(
            rules(&run(&cfg, false, &[new], &[tag_facts(rules_broken)])),
            [Rule::ReleaseRules]
        );

        let moved = line("refs/tags/platform/v1.2.3", A, B);
        let deleted = line("refs/tags/platform/v1.2.3", Z, B);
        assert_eq!(
            rules(&run(&cfg, false, &[moved, deleted], &[])),
            [Rule::PlatformTagImmutable, Rule::PlatformTagImmutable]
        );
        // Build metadata is no platform version: refused when created or
        // moved, and such a tag (or any non-version under platform/) may go.
        for name in ["platform/v1.6.0+build.5", "platform/oops"] {
            let tag = format!("refs/tags/{name}");
            let ctx = Context {
                config: &cfg,
                land: false,
            };
            assert!(!needs(&line(&tag, A, Z), &ctx).tag, "{name}");
            let v = run(&cfg, false, &[line(&tag, A, Z)], &[tag_facts(good_tag())]);
            assert_eq!(rules(&v), [Rule::PlatformTag], "{name}");
            assert_eq!(
                rules(&run(&cfg, false, &[line(&tag, A, B)], &[])),
                [Rule::PlatformTag],
                "{name}"
            );
            assert!(
                !run(&cfg, false, &[line(&tag, Z, B)], &[]).refused(),
                "{name}"
            );
        }
        // Other tags are not the hook's business.
        assert!(!run(&cfg, false, &[line("refs/tags/v1", A, B)], &[]).refused());
    }

    #[test]
    fn conflicts_warn_block_or_off() {
        let mut cfg = Settings::default();
        let push = line("refs/heads/kickoff-240510-dash", A, Z);
        let facts = Facts {
            conflicts: Some(vec![ConflictWith {
                other: "kickoff-240601-api".into(),
                files: vec!["src/app.rs".into()],
                unknown: None,
            }]),
            ..Facts::default()
        };
        let v = run(&cfg, false, &[push.clone()], &[facts.clone()]);
        assert!(!v.refused());
        assert_eq!(v.warnings.len(), 1);
        assert!(v.warnings[0].problem.contains("src/app.rs"));
        cfg.hook.conflicts = ConflictMode::Block;
        assert_eq!(
            rules(&run(&cfg, false, &[push.clone()], &[facts.clone()])),
            [Rule::Conflicts]
        );
        let unsure = Facts {
            conflicts: Some(vec![ConflictWith {
                other: "main".into(),
                files: vec![],
                unknown: Some("criss-cross history".into()),
            }]),
            ..Facts::default()
        };
        let v = run(&cfg, false, &[push.clone()], &[unsure]);
        assert!(!v.refused(), "an undecided pair never blocks");
        assert!(v.warnings[0].problem.contains("could not check"));
        cfg.hook.conflicts = ConflictMode::Off;
        let ctx = Context {
            config: &cfg,
            land: false,
        };
        assert!(!needs(&push, &ctx).conflicts);
    }

    #[test]
    fn feature_branch_needs_no_facts() {
        let cfg = Settings::default();
        let ctx = Context {
            config: &cfg,
            land: false,
        };
        let lines = parse(&format!("HEAD {A} refs/heads/feature/DASH-1 {B}\n")).unwrap();
        assert_eq!(needs(&lines[0], &ctx), Needs::default());
    }

    #[test]
    fn globs() {
        let p = BranchPattern::parse("team/**").unwrap();
        assert!(p.matches("team/a/b"));
        assert!(!p.matches("teams/a"));
        let p = BranchPattern::parse("v?.x").unwrap();
        assert!(p.matches("v1.x"));
        assert!(!p.matches("v1-x"));
        assert!(BranchPattern::parse("re:(").is_err());
        assert!(BranchPattern::parse("").is_err());
    }
}
