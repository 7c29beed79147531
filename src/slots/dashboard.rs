//! The dashboard: one static HTML page answering "what is on dev N right now,
//! since when, with which tickets", and the recent deployment log, plus the
//! same data as JSON. The page is rendered here, complete: no script, no
//! fonts, no network, and a layout that reflows to one column on a phone.

use super::Deployment;
use super::board::{Board, SlotStatus, human};
use serde::Serialize;

/// How many deployment records the dashboard shows.
pub const LOG_LENGTH: usize = 100;

/// What `data.json` holds: the board plus the latest deployments, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct DashboardData {
    #[serde(flatten)]
    pub board: Board,
    pub deployments: Vec<Deployment>,
}

impl DashboardData {
    pub fn new<'a>(board: Board, all: impl DoubleEndedIterator<Item = &'a Deployment>) -> Self {
        DashboardData {
            board,
            deployments: all.rev().take(LOG_LENGTH).cloned().collect(),
        }
    }
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(10)]
}

const STYLE: &str = r#"
:root { color-scheme: light dark; --free:#1a7f37; --held:#0b57d0; --expired:#b3261e; --muted:#667; }
* { box-sizing: border-box; }
body { font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; padding: 1rem; max-width: 72rem; margin-inline: auto; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
.meta { color: var(--muted); font-size: .85rem; margin: 0 0 1rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: .75rem; }
.slot { border: 1px solid #8884; border-left: .4rem solid var(--free); border-radius: .5rem; padding: .75rem; }
.slot.held { border-left-color: var(--held); }
.slot.expired { border-left-color: var(--expired); }
.slot h3 { margin: 0; font-size: 1.2rem; display: flex; justify-content: space-between; gap: .5rem; }
.badge { font-size: .75rem; font-weight: 600; text-transform: uppercase; padding: .1rem .45rem; border-radius: 1rem; color: #fff; background: var(--free); align-self: center; }
.held .badge { background: var(--held); } .expired .badge { background: var(--expired); }
.kickoff { font-weight: 600; word-break: break-all; margin: .35rem 0 .1rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .6rem; margin: .4rem 0; font-size: .9rem; }
dt { color: var(--muted); } dd { margin: 0; word-break: break-word; }
.stale { color: var(--expired); font-weight: 600; }
ul.apps { list-style: none; padding: 0; margin: .4rem 0 0; font-size: .85rem; }
ul.apps li { display: flex; justify-content: space-between; gap: .5rem; }
a { color: inherit; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #8883; white-space: nowrap; }
td.failed { color: var(--expired); font-weight: 600; }
ol.queue { padding-left: 1.4rem; margin: 0; }
.empty { color: var(--muted); }
"#;

/// The page: `templates/dashboard.html`, compiled in by askama, which
/// escapes every value for HTML (names, reasons and tickets come from people
/// with push access; see docs/security.md).
#[derive(askama::Template)]
#[template(path = "dashboard.html")]
struct PageView<'a> {
    style: &'static str,
    generated: String,
    state: Option<&'a str>,
    cards: Vec<Card<'a>>,
    queue: Vec<QueueRow<'a>>,
    log_note: String,
    log: Vec<LogRow<'a>>,
}

struct Card<'a> {
    name: &'a str,
    status: &'static str,
    held: Option<Held<'a>>,
    deployed: Option<Deployed>,
    apps: &'a [super::config::Endpoint],
}

struct Held<'a> {
    kickoff: &'a str,
    holder: &'a str,
    since: Option<String>,
    until_label: &'static str,
    until: Option<String>,
    reason: Option<&'a str>,
}

struct Deployed {
    what: String,
    at: String,
    version: Option<String>,
    tickets: String,
    stale: bool,
}

struct QueueRow<'a> {
    position: usize,
    kickoff: &'a str,
    holder: &'a str,
    since: String,
    slot: Option<&'a str>,
}

struct LogRow<'a> {
    when: String,
    slot: &'a str,
    kickoff: &'a str,
    commit: &'a str,
    version: &'a str,
    tickets: String,
    who: &'a str,
    status: &'static str,
    took: String,
}

fn card(s: &super::board::SlotView) -> Card<'_> {
    let held = match (&s.kickoff, &s.holder) {
        (Some(k), Some(p)) => Some(Held {
            kickoff: k,
            holder: &p.name,
            since: s.since.as_ref().map(human),
            until_label: if s.status == SlotStatus::Expired {
                "expired"
            } else {
                "until"
            },
            until: s.until.as_ref().map(human),
            reason: s.reason.as_deref(),
        }),
        _ => None,
    };
    let deployed = s.last_deployment.as_ref().map(|d| Deployed {
        what: format!("{} {} ({})", d.kickoff, short(&d.commit), d.status.as_str()),
        at: format!("{} by {}", human(&d.finished_at), d.who.name),
        version: d.platform_version.clone(),
        tickets: if d.tickets.is_empty() {
            "none".to_string()
        } else {
            d.tickets.join(", ")
        },
        stale: s.stale == Some(true),
    });
    Card {
        name: &s.name,
        status: s.status.as_str(),
        held,
        deployed,
        apps: &s.apps,
    }
}

/// The whole page.
pub fn render(data: &DashboardData) -> String {
    use askama::Template;
    let b = &data.board;
    let view = PageView {
        style: STYLE,
        generated: human(&b.generated_at),
        state: b.state_commit.as_deref().map(short),
        cards: b.slots.iter().map(card).collect(),
        queue: b
            .queue
            .iter()
            .map(|q| QueueRow {
                position: q.position,
                kickoff: &q.kickoff,
                holder: &q.holder.name,
                since: human(&q.since),
                slot: q.slot.as_deref(),
            })
            .collect(),
        log_note: match data.deployments.len() {
            0 => String::new(),
            1 => "The only record so far.".to_string(),
            n => format!("The latest {n} records, newest first."),
        },
        log: data
            .deployments
            .iter()
            .map(|d| LogRow {
                when: human(&d.started_at),
                slot: &d.slot,
                kickoff: &d.kickoff,
                commit: short(&d.commit),
                version: d.platform_version.as_deref().unwrap_or(""),
                tickets: d.tickets.join(", "),
                who: &d.who.name,
                status: d.status.as_str(),
                took: format!("{:.1} s", d.duration_ms as f64 / 1000.0),
            })
            .collect(),
    };
    view.render().expect("the dashboard template renders")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slots::board::board;
    use crate::slots::{Lease, Person, SlotState};

    /// Every value on the page is HTML-escaped by the template engine.
    #[test]
    fn hostile_values_are_escaped() {
        let text = r#"[slots]
names = ["dev1"]
url = "https://{app}-{slot}.dev.example.com/"
[[slots.apps]]
name = "web"
port = 80
base_port = 8001
"#;
        let c = crate::slots::pool_from_toml(text);
        let now = chrono::Utc::now();
        let mut state = SlotState::default();
        state.leases.insert(
            "dev1".into(),
            Lease {
                kickoff: "kickoff-240510-x".into(),
                holder: Person {
                    name: "<script>alert('x')</script>".into(),
                    email: "e@x".into(),
                },
                since: now,
                until: now + chrono::Duration::hours(1),
                reason: Some("\"><img src=x onerror=alert(1)>&".into()),
                via: "claim".into(),
                took_over_from: None,
            },
        );
        let b = board(&c, &state, None, &Default::default(), now);
        let html = render(&DashboardData::new(b, std::iter::empty()));
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&#60;script&#62;"), "{html}");
        assert!(html.contains("https://web-dev1.dev.example.com/"), "{html}");
    }
}
