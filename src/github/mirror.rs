//! What the mirror should look like, decided without GitHub: the release for
//! a platform version, the body of a pull request, and whether an existing
//! pull request needs a change. Pure functions, tested without a server.

use super::api::{NewDeployment, PullRequest, PullRequestUpdate, ReleaseSpec};
use crate::release::PlatformVersion;

/// How every pull request body kickoff writes starts: a body that starts with
/// it is kickoff's to rewrite; any other body is a person's.
pub const BODY_TAG: &str = "<!-- kickoff:";

/// The first line of every pull request body kickoff writes.
pub const BODY_MARKER: &str = "<!-- kickoff: this description is written by `kickoff pr`; edit it and kickoff leaves it alone -->";

/// The release for `version`: name "platform vX.Y.Z", the notes as body,
/// `prerelease` for a semver prerelease, and `make_latest` "true" only for the
/// highest version without a prerelease part among `all` (so a hotfix on an
/// older line never becomes Latest).
pub fn release_spec<'a>(
    version: &PlatformVersion,
    notes: &str,
    all: impl IntoIterator<Item = &'a PlatformVersion>,
) -> ReleaseSpec {
    let latest = !version.is_prerelease()
        && all
            .into_iter()
            .filter(|v| !v.is_prerelease())
            .all(|v| v <= version);
    ReleaseSpec {
        tag_name: version.tag_name(),
        name: format!("platform v{version}"),
        body: notes.to_string(),
        prerelease: version.is_prerelease(),
        make_latest: latest.to_string(),
    }
}

/// One other kickoff in the conflict forecast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forecast {
    pub kickoff: String,
    /// `Some(paths)` when it conflicts, `Some(empty)` when clean, `None` when
    /// the radar could not tell.
    pub conflicts: Option<Vec<String>>,
}

/// What a pull request body tells.
#[derive(Debug, Clone, Default)]
pub struct BodyFacts {
    /// The kickoff the branch is (or belongs to).
    pub kickoff: Option<String>,
    /// Its platform version, when it has one.
    pub version: Option<String>,
    pub tickets: Vec<String>,
    /// A link per ticket: `{ticket}` replaced.
    pub ticket_url: Option<String>,
    /// Against the other live kickoffs; `None`: not computed.
    pub forecast: Option<Vec<Forecast>>,
}

/// The body kickoff writes, starting with [`BODY_MARKER`].
pub fn pr_body(f: &BodyFacts) -> String {
    let mut s = format!("{BODY_MARKER}\n\n");
    if let Some(k) = &f.kickoff {
        s.push_str(&format!("**Kickoff:** `{k}`"));
        match &f.version {
            Some(v) => s.push_str(&format!(" (platform v{v})\n\n")),
            None => s.push_str(" (no platform version yet)\n\n"),
        }
    }
    s.push_str("**Tickets**\n\n");
    if f.tickets.is_empty() {
        s.push_str("- none found in branch names or commit messages\n");
    }
    for t in &f.tickets {
        match &f.ticket_url {
            Some(url) => s.push_str(&format!("- [{t}]({})\n", url.replace("{ticket}", t))),
            None => s.push_str(&format!("- {t}\n")),
        }
    }
    if let Some(forecast) = &f.forecast {
        s.push_str("\n**Conflict forecast** against the other live kickoffs\n\n");
        if forecast.is_empty() {
            s.push_str("- no other live kickoff\n");
        }
        for k in forecast {
            match &k.conflicts {
                Some(paths) if paths.is_empty() => {
                    s.push_str(&format!("- `{}`: merges cleanly\n", k.kickoff))
                }
                Some(paths) => {
                    let shown: Vec<String> =
                        paths.iter().take(10).map(|p| format!("`{p}`")).collect();
                    let more = paths.len().saturating_sub(10);
                    s.push_str(&format!(
                        "- `{}`: **conflicts** in {}{}\n",
                        k.kickoff,
                        shown.join(", "),
                        if more > 0 {
                            format!(" and {more} more")
                        } else {
                            String::new()
                        }
                    ));
                }
                None => s.push_str(&format!("- `{}`: could not check\n", k.kickoff)),
            }
        }
    }
    s
}

/// What to change on an existing pull request: the base when it differs,
/// the body when kickoff wrote the current one (or a body file was given) and
/// it differs, the title when one was given and it differs.
pub fn pr_update(
    existing: &PullRequest,
    base: &str,
    body: &str,
    body_given: bool,
    title: Option<&str>,
) -> PullRequestUpdate {
    let current_body = existing.body.as_deref().unwrap_or("");
    let ours = current_body.starts_with(BODY_TAG);
    PullRequestUpdate {
        title: title.filter(|t| *t != existing.title).map(str::to_string),
        base: (existing.base.name != base).then(|| base.to_string()),
        body: ((ours || body_given) && current_body.trim_end() != body.trim_end())
            .then(|| body.to_string()),
    }
}

/// The deployment that mirrors a kickoff deploy: the full commit, the slot
/// as environment, never auto-merged, no required status contexts (a QA
/// slot takes any commit), and a payload with the kickoff, its platform
/// version, tickets and the id of kickoff's deployment record.
pub fn deployment(
    slot: &str,
    kickoff: &str,
    commit: &str,
    version: Option<&str>,
    tickets: &[String],
    record: &str,
) -> NewDeployment {
    NewDeployment {
        sha: commit.to_string(),
        environment: slot.to_string(),
        description: format!("kickoff deploy of {kickoff} to {slot}"),
        payload: serde_json::json!({
            "kickoff": kickoff,
            "platform_version": version,
            "tickets": tickets,
            "record": record,
        }),
        auto_merge: false,
        required_contexts: Vec::new(),
        transient_environment: false,
        production_environment: false,
    }
}

/// The context of the commit status `kickoff conflicts --github` posts.
pub const CONFLICTS_CONTEXT: &str = "kickoff/conflicts";

/// GitHub's limit on a status description.
pub const DESCRIPTION_MAX: usize = 140;

/// The `kickoff/conflicts` status of one kickoff tip: `failure` naming the
/// tips it conflicts with, `error` when some pair could not be checked and
/// none conflicts, `success` otherwise. `others` holds, for each tip it was
/// checked against, that tip's label and whether the pair conflicts
/// (`Some(true)`), merges cleanly (`Some(false)`), or could not be told
/// (`None`). The description fits GitHub's 140 characters.
pub fn conflict_status(others: &[(String, Option<bool>)]) -> (&'static str, String) {
    let mut conflicting: Vec<&str> = Vec::new();
    let mut unknown: Vec<&str> = Vec::new();
    for (label, verdict) in others {
        let list = match verdict {
            Some(true) => &mut conflicting,
            Some(false) => continue,
            None => &mut unknown,
        };
        if !list.contains(&label.as_str()) {
            list.push(label);
        }
    }
    if !conflicting.is_empty() {
        return ("failure", listing("conflicts with ", &conflicting));
    }
    if !unknown.is_empty() {
        return ("error", listing("could not be checked against ", &unknown));
    }
    let n = others.len();
    let what = if n == 1 { "tip" } else { "tips" };
    (
        "success",
        format!("merges cleanly with the {n} other {what} checked"),
    )
}

/// `lead` and the names, as many as fit in [`DESCRIPTION_MAX`] characters,
/// then "and N more".
fn listing(lead: &str, names: &[&str]) -> String {
    let mut text = lead.to_string();
    for (i, name) in names.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        // Keep room for the "and N more" that would follow this name.
        let after = names.len() - i - 1;
        let reserve = if after > 0 {
            format!(" and {after} more").len()
        } else {
            0
        };
        if text.chars().count() + sep.len() + name.chars().count() + reserve > DESCRIPTION_MAX {
            text.push_str(&format!(" and {} more", names.len() - i));
            return text;
        }
        text.push_str(sep);
        text.push_str(name);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> PlatformVersion {
        PlatformVersion::parse(s).unwrap()
    }

    #[test]
    fn latest_only_for_the_highest_final_version() {
        let all = [v("1.2.0"), v("1.3.0"), v("1.4.0-rc.1"), v("1.2.1")];
        let spec = release_spec(&v("1.3.0"), "notes", &all);
        assert_eq!(spec.make_latest, "true");
        assert!(!spec.prerelease);
        assert_eq!(spec.tag_name, "platform/v1.3.0");
        assert_eq!(spec.name, "platform v1.3.0");
        // A hotfix on an older line is never Latest.
        assert_eq!(release_spec(&v("1.2.1"), "", &all).make_latest, "false");
        let rc = release_spec(&v("1.4.0-rc.1"), "", &all);
        assert!(rc.prerelease);
        assert_eq!(rc.make_latest, "false");
    }

    fn pr(base: &str, body: Option<&str>) -> PullRequest {
        serde_json::from_value(serde_json::json!({
            "number": 7, "html_url": "u", "state": "open", "title": "T",
            "body": body, "head": {"ref": "h", "sha": "1"}, "base": {"ref": base, "sha": "2"}
        }))
        .unwrap()
    }

    #[test]
    fn updates_base_always_and_body_only_when_kickoff_wrote_it() {
        let body = pr_body(&BodyFacts::default());
        let ours = pr("main", Some(&format!("{BODY_MARKER}\nold")));
        let u = pr_update(&ours, "kickoff-240510-x", &body, false, None);
        assert_eq!(u.base.as_deref(), Some("kickoff-240510-x"));
        assert_eq!(u.body.as_deref(), Some(body.as_str()));
        let theirs = pr("kickoff-240510-x", Some("written by a person"));
        assert!(pr_update(&theirs, "kickoff-240510-x", &body, false, None).is_empty());
        assert!(
            pr_update(&theirs, "kickoff-240510-x", &body, true, None)
                .body
                .is_some()
        );
        let same = pr("main", Some(&body));
        assert!(pr_update(&same, "main", &body, false, Some("T")).is_empty());
    }

    #[test]
    fn body_lists_kickoff_tickets_links_and_forecast() {
        let body = pr_body(&BodyFacts {
            kickoff: Some("kickoff-240510-dash".into()),
            version: Some("1.3.0".into()),
            tickets: vec!["DASH-1".into()],
            ticket_url: Some("https://jira.example.com/browse/{ticket}".into()),
            forecast: Some(vec![
                Forecast {
                    kickoff: "kickoff-240601-a".into(),
                    conflicts: Some(vec!["x.rs".into()]),
                },
                Forecast {
                    kickoff: "kickoff-240602-b".into(),
                    conflicts: Some(vec![]),
                },
            ]),
        });
        assert!(body.starts_with(BODY_MARKER));
        assert!(body.contains("**Kickoff:** `kickoff-240510-dash` (platform v1.3.0)"));
        assert!(body.contains("- [DASH-1](https://jira.example.com/browse/DASH-1)"));
        assert!(body.contains("- `kickoff-240601-a`: **conflicts** in `x.rs`"));
        assert!(body.contains("- `kickoff-240602-b`: merges cleanly"));
    }

    #[test]
    fn conflict_status_names_the_conflicting_tips_within_140_characters() {
        let o = |l: &str, v: Option<bool>| (l.to_string(), v);
        assert_eq!(
            conflict_status(&[
                o("kickoff-240511-b", Some(false)),
                o("origin/main", Some(false))
            ]),
            (
                "success",
                "merges cleanly with the 2 other tips checked".to_string()
            )
        );
        assert_eq!(
            conflict_status(&[o("kickoff-240511-b", Some(true)), o("origin/main", None)]),
            ("failure", "conflicts with kickoff-240511-b".to_string())
        );
        assert_eq!(conflict_status(&[o("kickoff-240511-b", None)]).0, "error");
        let many: Vec<(String, Option<bool>)> = (0..12)
            .map(|i| o(&format!("kickoff-2405{i:02}-some-long-summary"), Some(true)))
            .collect();
        let (state, text) = conflict_status(&many);
        assert_eq!(state, "failure");
        assert!(text.chars().count() <= DESCRIPTION_MAX, "{text}");
        assert!(
            text.starts_with("conflicts with kickoff-240500-some-long-summary, "),
            "{text}"
        );
        assert!(text.ends_with(" more"), "{text}");
    }
}
