//! Names the workflow depends on: kickoff branches, feature branches, tickets.
//!
//! Everything here is pure: parse and validate strings, never touch a repository.
//! A kickoff is `kickoff-YYMMDD-summary` (a real calendar date and a slug); a
//! feature is `<prefix><TICKET>[-slug]` with a configurable ticket pattern.

use chrono::{Datelike, NaiveDate};
use regex::Regex;
use std::fmt;

pub const KICKOFF_PREFIX: &str = "kickoff-";
pub const SLUG_MIN: usize = 2;
pub const SLUG_MAX: usize = 40;
pub const DEFAULT_TICKET_PATTERN: &str = "[A-Z][A-Z0-9]+-[0-9]+";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("invalid summary {input:?}: {reason}")]
    Slug {
        input: String,
        reason: String,
        suggestion: Option<String>,
    },
    #[error("invalid date {input:?}: {reason}")]
    Date { input: String, reason: String },
    #[error("ticket {input:?} does not match the ticket pattern `{pattern}`")]
    Ticket {
        input: String,
        pattern: String,
        /// The input in upper case, when that matches (`dash-1` -> `DASH-1`).
        suggestion: Option<String>,
    },
    #[error("{input:?} is not a kickoff branch name")]
    NotKickoff { input: String, reason: String },
    #[error("{input:?} is not a feature branch name")]
    NotFeature { input: String, reason: String },
}

impl NameError {
    pub fn hint(&self) -> Option<String> {
        match self {
            NameError::Slug {
                suggestion: Some(s),
                ..
            } => Some(format!(
                "a summary is {SLUG_MIN} to {SLUG_MAX} lowercase letters, digits and single hyphens; try `{s}`"
            )),
            NameError::Slug { .. } => Some(format!(
                "a summary is {SLUG_MIN} to {SLUG_MAX} lowercase letters, digits and single hyphens, such as `admin-dashboard`"
            )),
            NameError::Date { .. } => Some(
                "give a real calendar date as YYMMDD (240510) or YYYY-MM-DD (2024-05-10)".into(),
            ),
            NameError::Ticket {
                suggestion: Some(s),
                ..
            } => Some(format!(
                "did you mean `{s}`? ticket keys are case-sensitive"
            )),
            NameError::Ticket { pattern, .. } => Some(format!(
                "a ticket looks like `DASH-123`; the pattern is set by `naming.ticket_pattern` in .kickoff.toml (now `{pattern}`)"
            )),
            NameError::NotKickoff { reason, .. } => Some(format!(
                "{reason}; kickoff branches are named kickoff-YYMMDD-summary"
            )),
            NameError::NotFeature { reason, .. } => Some(reason.clone()),
        }
    }
}

/// A validated summary slug: lowercase ASCII letters, digits, single hyphens.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slug(String);

impl Slug {
    pub fn parse(input: &str) -> Result<Slug, NameError> {
        let err = |reason: &str| NameError::Slug {
            input: input.to_string(),
            reason: reason.to_string(),
            suggestion: slugify(input).filter(|s| s != input),
        };
        if input.is_empty() {
            return Err(err("it is empty"));
        }
        if let Some(c) = input.chars().find(|c| c.is_control()) {
            return Err(err(&format!("it contains the control character {c:?}")));
        }
        if let Some(c) = input
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            let what = if c.is_uppercase() {
                "uppercase letters".to_string()
            } else if c.is_whitespace() {
                "spaces".to_string()
            } else {
                format!("the character {c:?}")
            };
            return Err(err(&format!(
                "it contains {what}; only lowercase letters, digits and hyphens are allowed"
            )));
        }
        if input.starts_with('-') || input.ends_with('-') {
            return Err(err("it starts or ends with a hyphen"));
        }
        if input.contains("--") {
            return Err(err("it contains a double hyphen"));
        }
        let len = input.chars().count();
        if len < SLUG_MIN {
            return Err(err(&format!("it is shorter than {SLUG_MIN} characters")));
        }
        if len > SLUG_MAX {
            return Err(err(&format!(
                "it is {len} characters long; the limit is {SLUG_MAX}"
            )));
        }
        Ok(Slug(input.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Turn free text ("Admin Dashboard") into a slug suggestion ("admin-dashboard").
/// Letters outside ASCII are transliterated first (`café-menü` -> `cafe-menu`,
/// `Straße` -> `strasse`) rather than dropped.
pub fn slugify(input: &str) -> Option<String> {
    let ascii = deunicode::deunicode(input);
    let mut out = String::new();
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.len() > SLUG_MAX {
        out.truncate(SLUG_MAX);
        while out.ends_with('-') {
            out.pop();
        }
    }
    (out.len() >= SLUG_MIN).then_some(out)
}

/// Parse a kickoff date: `YYMMDD` or `YYYY-MM-DD`, which must be a real calendar date.
pub fn parse_date(input: &str) -> Result<NaiveDate, NameError> {
    let err = |reason: &str| NameError::Date {
        input: input.to_string(),
        reason: reason.to_string(),
    };
    let (y, m, d) = if input.len() == 6 && input.bytes().all(|b| b.is_ascii_digit()) {
        let n = |r: std::ops::Range<usize>| input[r].parse::<u32>().unwrap();
        (2000 + n(0..2) as i32, n(2..4), n(4..6))
    } else if input.len() == 10
        && input.as_bytes()[4] == b'-'
        && input.as_bytes()[7] == b'-'
        && input
            .bytes()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit())
    {
        let n = |r: std::ops::Range<usize>| input[r].parse::<u32>().unwrap();
        (n(0..4) as i32, n(5..7), n(8..10))
    } else {
        return Err(err("expected YYMMDD or YYYY-MM-DD"));
    };
    if !(1..=12).contains(&m) {
        return Err(err(&format!("there is no month {m}")));
    }
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| err(&format!("{y:04}-{m:02} has no day {d}")))
}

/// The first and last dates a kickoff name can hold: `YYMMDD` keeps two digits
/// of the year, read back as 20YY, so only 2000-01-01 ..= 2099-12-31 round-trip.
pub const KICKOFF_DATE_MIN: (i32, u32, u32) = (2000, 1, 1);
pub const KICKOFF_DATE_MAX: (i32, u32, u32) = (2099, 12, 31);

/// Parse the date of a kickoff (`--date`): a real calendar date that the
/// branch name can carry. A date outside 2000..=2099 would change meaning in
/// `YYMMDD` (1999-12-31 would read back as 2099-12-31), so it is refused.
pub fn parse_kickoff_date(input: &str) -> Result<NaiveDate, NameError> {
    let date = parse_date(input)?;
    check_kickoff_date(date).map_err(|reason| NameError::Date {
        input: input.to_string(),
        reason,
    })
}

/// Whether a date fits in a kickoff name; the reason when it does not.
pub fn check_kickoff_date(date: NaiveDate) -> Result<NaiveDate, String> {
    let (y0, m0, d0) = KICKOFF_DATE_MIN;
    let (y1, m1, d1) = KICKOFF_DATE_MAX;
    let min = NaiveDate::from_ymd_opt(y0, m0, d0).expect("valid bound");
    let max = NaiveDate::from_ymd_opt(y1, m1, d1).expect("valid bound");
    if date < min || date > max {
        return Err(format!(
            "a kickoff name keeps two digits of the year (YYMMDD, read as 20YY), so its date must lie between {min} and {max}"
        ));
    }
    Ok(date)
}

/// The `YYMMDD` form used in branch names.
pub fn yymmdd(date: NaiveDate) -> String {
    format!(
        "{:02}{:02}{:02}",
        date.year() % 100,
        date.month(),
        date.day()
    )
}

/// A kickoff branch name: `kickoff-YYMMDD-summary`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KickoffName {
    date: NaiveDate,
    slug: Slug,
}

impl KickoffName {
    pub fn new(date: NaiveDate, slug: Slug) -> Self {
        KickoffName { date, slug }
    }

    /// Parse a full branch name such as `kickoff-240510-dashboard`.
    pub fn parse(input: &str) -> Result<KickoffName, NameError> {
        let not = |reason: &str| NameError::NotKickoff {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let rest = input
            .strip_prefix(KICKOFF_PREFIX)
            .ok_or_else(|| not("it does not start with `kickoff-`"))?;
        let (date, slug) = rest
            .split_once('-')
            .ok_or_else(|| not("it has no summary after the date"))?;
        if date.len() != 6 {
            return Err(not("the date is not YYMMDD"));
        }
        let date = parse_date(date).map_err(|e| not(&e.to_string()))?;
        let slug = Slug::parse(slug).map_err(|e| not(&e.to_string()))?;
        Ok(KickoffName { date, slug })
    }

    /// Whether a branch name looks like a kickoff at all (prefix and six digits),
    /// valid or not. Used to tell "not a kickoff" from "a broken kickoff name".
    pub fn looks_like(input: &str) -> bool {
        input.strip_prefix(KICKOFF_PREFIX).is_some_and(|r| {
            r.len() > 7
                && r.as_bytes()[..6].iter().all(u8::is_ascii_digit)
                && r.as_bytes()[6] == b'-'
        })
    }

    pub fn date(&self) -> NaiveDate {
        self.date
    }

    pub fn slug(&self) -> &Slug {
        &self.slug
    }
}

impl fmt::Display for KickoffName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{KICKOFF_PREFIX}{}-{}", yymmdd(self.date), self.slug)
    }
}

/// The ticket pattern from config, compiled once, anchored where needed.
#[derive(Debug, Clone)]
pub struct TicketPattern {
    source: String,
    exact: Regex,
    feature: Regex,
    anywhere: Regex,
}

impl TicketPattern {
    pub fn new(pattern: &str) -> Result<TicketPattern, regex::Error> {
        Ok(TicketPattern {
            source: pattern.to_string(),
            exact: Regex::new(&format!("^(?:{pattern})$"))?,
            feature: Regex::new(&format!("^(?P<ticket>{pattern})(?:-(?P<slug>.+))?$"))?,
            anywhere: Regex::new(&format!(r"\b(?:{pattern})\b"))?,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Validate one ticket key such as `DASH-123`.
    pub fn ticket(&self, input: &str) -> Result<Ticket, NameError> {
        if self.exact.is_match(input) {
            Ok(Ticket(input.to_string()))
        } else {
            let upper = input.to_uppercase();
            Err(NameError::Ticket {
                input: input.to_string(),
                pattern: self.source.clone(),
                suggestion: (upper != input && self.exact.is_match(&upper)).then_some(upper),
            })
        }
    }

    /// Every ticket key mentioned in a text (commit messages), in order of appearance.
    ///
    /// The text is cut into words first (at white space, control characters,
    /// quotes and backslashes), and the pattern looks inside each word: so a
    /// ticket never holds any of those, however loose the pattern. A commit
    /// message cannot smuggle a line into a tag trailer or an env file.
    pub fn find_all<'a>(&'a self, text: &'a str) -> impl Iterator<Item = Ticket> + 'a {
        text.split(|c: char| c.is_whitespace() || c.is_control() || "'\"`\\".contains(c))
            .filter(|w| !w.is_empty())
            .flat_map(|w| self.anywhere.find_iter(w))
            .map(|m| Ticket(m.as_str().to_string()))
    }
}

impl Default for TicketPattern {
    fn default() -> Self {
        TicketPattern::new(DEFAULT_TICKET_PATTERN).expect("default pattern compiles")
    }
}

/// A ticket key such as `DASH-123`, valid for the configured pattern.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Ticket(String);

impl Ticket {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A feature branch: `<prefix><TICKET>` or `<prefix><TICKET>-<slug>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FeatureName {
    prefix: String,
    ticket: Ticket,
    slug: Option<Slug>,
}

impl FeatureName {
    pub fn new(prefix: &str, ticket: Ticket, slug: Option<Slug>) -> Self {
        FeatureName {
            prefix: prefix.to_string(),
            ticket,
            slug,
        }
    }

    /// Parse a full branch name such as `feature/DASH-123-login`.
    pub fn parse(
        input: &str,
        prefix: &str,
        pattern: &TicketPattern,
    ) -> Result<FeatureName, NameError> {
        let not = |reason: String| NameError::NotFeature {
            input: input.to_string(),
            reason,
        };
        let rest = input
            .strip_prefix(prefix)
            .ok_or_else(|| not(format!("feature branches start with `{prefix}`")))?;
        let caps = pattern.feature.captures(rest).ok_or_else(|| {
            not(format!(
                "expected `{prefix}<TICKET>` or `{prefix}<TICKET>-<slug>` with a ticket matching `{}`",
                pattern.as_str()
            ))
        })?;
        let ticket = Ticket(caps["ticket"].to_string());
        let slug = match caps.name("slug") {
            Some(s) => Some(Slug::parse(s.as_str()).map_err(|e| not(e.to_string()))?),
            None => None,
        };
        Ok(FeatureName {
            prefix: prefix.to_string(),
            ticket,
            slug,
        })
    }

    pub fn ticket(&self) -> &Ticket {
        &self.ticket
    }

    pub fn slug(&self) -> Option<&Slug> {
        self.slug.as_ref()
    }
}

impl fmt::Display for FeatureName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.slug {
            Some(s) => write!(f, "{}{}-{}", self.prefix, self.ticket, s),
            None => write!(f, "{}{}", self.prefix, self.ticket),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for ok in [
            "dashboard",
            "admin-dashboard",
            "v2",
            "a1-b2-c3",
            &"x".repeat(40),
        ] {
            assert!(Slug::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a",
            "Dashboard",
            "admin dashboard",
            "--x",
            "-x",
            "x-",
            "a--b",
            "a..b",
            "tab\tx",
            "bell\u{7}",
            &"x".repeat(41),
            "ünï",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn slugify_suggests() {
        assert_eq!(
            slugify("Admin Dashboard").as_deref(),
            Some("admin-dashboard")
        );
        assert_eq!(slugify("--x--y").as_deref(), Some("x-y"));
        assert_eq!(slugify("!"), None);
        assert_eq!(slugify("café-menü").as_deref(), Some("cafe-menu"));
        assert_eq!(slugify("Straße Über").as_deref(), Some("strasse-uber"));
        assert_eq!(slugify("Ærø déjà vu").as_deref(), Some("aero-deja-vu"));
    }

    #[test]
    fn kickoff_dates_stay_in_the_century_the_name_can_hold() {
        for ok in ["000101", "2000-01-01", "991231", "2099-12-31", "240510"] {
            assert!(parse_kickoff_date(ok).is_ok(), "{ok}");
        }
        for bad in ["1999-12-31", "2100-01-01", "0001-01-01", "9999-12-31"] {
            let err = parse_kickoff_date(bad).unwrap_err();
            assert!(err.to_string().contains("2000-01-01"), "{bad}: {err}");
        }
        let date = parse_kickoff_date("2099-12-31").unwrap();
        let name = KickoffName::new(date, Slug::parse("x1").unwrap());
        assert_eq!(KickoffName::parse(&name.to_string()).unwrap().date(), date);
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("240510").unwrap(),
            NaiveDate::from_ymd_opt(2024, 5, 10).unwrap()
        );
        assert_eq!(
            parse_date("2024-05-10").unwrap(),
            NaiveDate::from_ymd_opt(2024, 5, 10).unwrap()
        );
        assert_eq!(
            parse_date("240229").unwrap(),
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
        for bad in [
            "240231",
            "230229",
            "241301",
            "240500",
            "2024-5-10",
            "24051",
            "abcdef",
            "2024-02-30",
            "",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kickoff_names_round_trip() {
        let k = KickoffName::parse("kickoff-240510-dashboard").unwrap();
        assert_eq!(k.to_string(), "kickoff-240510-dashboard");
        assert_eq!(k.slug().as_str(), "dashboard");
        for bad in [
            "kickoff-240231-x1",
            "kickoff-2405-dash",
            "kickoff-240510-",
            "kickoff-240510-Dash",
            "main",
            "kickoff-240510",
        ] {
            assert!(KickoffName::parse(bad).is_err(), "{bad}");
        }
        assert!(KickoffName::looks_like("kickoff-240231-x1"));
        assert!(!KickoffName::looks_like("kickoffs"));
    }

    #[test]
    fn features() {
        let p = TicketPattern::default();
        let f = FeatureName::parse("feature/DASH-123-login-form", "feature/", &p).unwrap();
        assert_eq!(f.ticket().as_str(), "DASH-123");
        assert_eq!(f.slug().unwrap().as_str(), "login-form");
        assert_eq!(f.to_string(), "feature/DASH-123-login-form");
        assert!(
            FeatureName::parse("feature/DASH-123", "feature/", &p)
                .unwrap()
                .slug()
                .is_none()
        );
        for bad in [
            "feature/dash-123",
            "feature/DASH-123-",
            "feature/DASH-123-Login",
            "bugfix/DASH-1",
            "feature/DASH",
        ] {
            assert!(FeatureName::parse(bad, "feature/", &p).is_err(), "{bad}");
        }
        assert!(p.ticket("DASH-1").is_ok());
        assert!(p.ticket("dash-1").is_err());
        let found: Vec<_> = p
            .find_all("DASH-1: fix, see OPS-22 and XDASH-3x")
            .map(|t| t.to_string())
            .collect();
        assert_eq!(found, ["DASH-1", "OPS-22"]);
    }

    /// A loose pattern (`[^ ,]+` also matches line breaks) once let a commit
    /// message put `DASH-5\nINJECTED=1` into env files and tag trailers.
    #[test]
    fn tickets_never_span_lines_or_quotes() {
        let p = TicketPattern::new("[A-Z]+-[^ ,]+").unwrap();
        let found: Vec<_> = p
            .find_all("fix DASH-5\nINJECTED=1 and 'OPS-7' \x1bX-1\tY-2\\Z-3")
            .map(|t| t.to_string())
            .collect();
        assert_eq!(found, ["DASH-5", "OPS-7", "X-1", "Y-2", "Z-3"]);
    }
}
