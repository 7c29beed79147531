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

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
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

/// The whole page.
pub fn render(data: &DashboardData) -> String {
    let b = &data.board;
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str("<title>QA slots</title>\n<style>");
    h.push_str(STYLE);
    h.push_str("</style>\n</head>\n<body>\n<h1>QA slots</h1>\n");
    h.push_str(&format!(
        "<p class=\"meta\">As of {}{}</p>\n",
        esc(&human(&b.generated_at)),
        b.state_commit
            .as_deref()
            .map(|c| format!(" &middot; state {}", esc(short(c))))
            .unwrap_or_default()
    ));
    h.push_str("<div class=\"grid\">\n");
    for s in &b.slots {
        h.push_str(&format!(
            "<section class=\"slot {st}\" id=\"slot-{n}\">\n<h3><span>{n}</span><span class=\"badge\">{st}</span></h3>\n",
            st = s.status.as_str(),
            n = esc(&s.name)
        ));
        match (&s.kickoff, &s.holder) {
            (Some(k), Some(p)) => {
                h.push_str(&format!("<p class=\"kickoff\">{}</p>\n<dl>\n", esc(k)));
                h.push_str(&format!("<dt>held by</dt><dd>{}</dd>\n", esc(&p.name)));
                if let Some(since) = &s.since {
                    h.push_str(&format!("<dt>since</dt><dd>{}</dd>\n", esc(&human(since))));
                }
                if let Some(until) = &s.until {
                    let label = if s.status == SlotStatus::Expired {
                        "expired"
                    } else {
                        "until"
                    };
                    h.push_str(&format!(
                        "<dt>{label}</dt><dd>{}</dd>\n",
                        esc(&human(until))
                    ));
                }
                if let Some(r) = &s.reason {
                    h.push_str(&format!("<dt>reason</dt><dd>{}</dd>\n", esc(r)));
                }
            }
            _ => h.push_str("<p class=\"kickoff empty\">free</p>\n<dl>\n"),
        }
        match &s.last_deployment {
            Some(d) => {
                h.push_str(&format!(
                    "<dt>deployed</dt><dd>{} {} ({})</dd>\n",
                    esc(&d.kickoff),
                    esc(short(&d.commit)),
                    esc(d.status.as_str())
                ));
                h.push_str(&format!(
                    "<dt>at</dt><dd>{} by {}</dd>\n",
                    esc(&human(&d.finished_at)),
                    esc(&d.who.name)
                ));
                if let Some(v) = &d.platform_version {
                    h.push_str(&format!("<dt>version</dt><dd>platform v{}</dd>\n", esc(v)));
                }
                let tickets = if d.tickets.is_empty() {
                    "none".to_string()
                } else {
                    d.tickets.join(", ")
                };
                h.push_str(&format!("<dt>tickets</dt><dd>{}</dd>\n", esc(&tickets)));
                if s.stale == Some(true) {
                    h.push_str("<dt>stale</dt><dd class=\"stale\">the kickoff has moved on since this deploy</dd>\n");
                }
            }
            None => h.push_str("<dt>deployed</dt><dd class=\"empty\">nothing yet</dd>\n"),
        }
        h.push_str("</dl>\n<ul class=\"apps\">\n");
        for a in &s.apps {
            h.push_str(&format!(
                "<li><a href=\"{u}\">{app}</a><span>:{p}</span></li>\n",
                u = esc(&a.url),
                app = esc(&a.app),
                p = a.port
            ));
        }
        h.push_str("</ul>\n</section>\n");
    }
    h.push_str("</div>\n<h2>Queue</h2>\n");
    if b.queue.is_empty() {
        h.push_str("<p class=\"empty\">Nobody is waiting.</p>\n");
    } else {
        h.push_str("<ol class=\"queue\">\n");
        for q in &b.queue {
            h.push_str(&format!(
                "<li id=\"queue-{}\">{} &middot; {} &middot; waiting since {}{}</li>\n",
                q.position,
                esc(&q.kickoff),
                esc(&q.holder.name),
                esc(&human(&q.since)),
                q.slot
                    .as_deref()
                    .map(|s| format!(" for {}", esc(s)))
                    .unwrap_or_default()
            ));
        }
        h.push_str("</ol>\n");
    }
    h.push_str(&format!(
        "<h2>Recent deployments</h2>\n<p class=\"meta\">{}</p>\n",
        match data.deployments.len() {
            0 => String::new(),
            1 => "The only record so far.".to_string(),
            n => format!("The latest {n} records, newest first."),
        }
    ));
    if data.deployments.is_empty() {
        h.push_str("<p class=\"empty\">No deployments yet.</p>\n");
    } else {
        h.push_str("<div class=\"scroll\"><table id=\"log\">\n<thead><tr><th>when</th><th>slot</th><th>kickoff</th><th>commit</th><th>version</th><th>tickets</th><th>who</th><th>status</th><th>took</th></tr></thead>\n<tbody>\n");
        for d in &data.deployments {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{st}\">{st}</td><td>{:.1} s</td></tr>\n",
                esc(&human(&d.started_at)),
                esc(&d.slot),
                esc(&d.kickoff),
                esc(short(&d.commit)),
                esc(d.platform_version.as_deref().unwrap_or("")),
                esc(&d.tickets.join(", ")),
                esc(&d.who.name),
                d.duration_ms as f64 / 1000.0,
                st = d.status.as_str(),
            ));
        }
        h.push_str("</tbody>\n</table></div>\n");
    }
    h.push_str("</body>\n</html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
