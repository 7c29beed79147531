//! `kickoff dashboard --out DIR [--serve ADDR]`: the QA slot board as a static
//! page and JSON, optionally served over HTTP and refreshed from the state.

use super::slot_service::{read_board, require_pool};
use crate::commands::Global;
use crate::commands::Session;
use crate::error::{Error, Result};
use crate::sanitize::redact;
use crate::serve::{self, Page};
use crate::slots::dashboard::{DashboardData, render};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where `--serve` without an address listens: this machine only.
pub const DEFAULT_SERVE: &str = "127.0.0.1:8080";

/// Write the QA dashboard: what is on each slot now, since when, with which
/// tickets, and the last 100 deployments.
///
/// Writes DIR/index.html (a complete page: no script, no network, readable on
/// a phone) and DIR/data.json (the same data, schema 1). With --serve, serves
/// both over HTTP and reads the shared state again when a request comes in
/// and the page is older than --refresh seconds; stop it with Ctrl-C.
#[derive(Debug, clap::Args)]
pub struct DashboardArgs {
    /// Write index.html and data.json into this directory.
    #[arg(long, value_name = "DIR", required_unless_present = "serve")]
    pub out: Option<PathBuf>,
    /// Serve the dashboard over HTTP on this address [default: 127.0.0.1:8080]
    /// (port 0 picks one; 0.0.0.0:PORT opens it to other machines).
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = DEFAULT_SERVE)]
    pub serve: Option<String>,
    /// With --serve: read the state again when the page is older than this
    /// many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, requires = "serve")]
    pub refresh: u64,
    /// Do not fetch; use the state as last fetched.
    #[arg(long)]
    pub offline: bool,
}

pub fn run(args: DashboardArgs, g: &Global) -> Result<()> {
    let s = Session::open(g)?;
    require_pool(&s.config)?;
    let out = args.out.as_ref().map(|d| g.dir.join(d));
    if let Some(dir) = &out {
        if dir.exists() && !dir.is_dir() {
            return Err(Error::usage(format!(
                "{} is not a directory",
                dir.display()
            )));
        }
    }
    let listener = match &args.serve {
        Some(addr) => Some(listen(addr)?),
        None => None,
    };
    let page = build(&s, g, args.offline)?;
    if let Some(dir) = &out {
        write(dir, &page)?;
        g.ui.done(format!("wrote {}", dir.join("index.html").display()));
    }
    let Some(listener) = listener else {
        return Ok(());
    };
    let addr = listener
        .local_addr()
        .map_err(|e| Error::io("cannot read the listening address", e))?;
    // The address is what the caller needs (port 0 picks one): shown even under -q.
    eprintln!("serving http://{addr}/ (Ctrl-C stops)");
    if !addr.ip().is_loopback() {
        g.ui.warn(format!(
            "{} is reachable from other machines; the page shows who holds which slot",
            addr.ip()
        ));
    }
    serve::serve(
        listener,
        page,
        Duration::from_secs(args.refresh),
        serve::Limits::default(),
        || match build(&s, g, args.offline) {
            Ok(p) => {
                if let Some(dir) = &out {
                    if let Err(e) = write(dir, &p) {
                        g.ui.warn_because(format!("cannot update {}", dir.display()), &e);
                    }
                }
                Some(p)
            }
            Err(e) => {
                g.ui.warn_because("showing the last state read", &e);
                None
            }
        },
    )
    .map_err(|e| Error::io("the dashboard server stopped", e))
}

fn build(s: &Session, g: &Global, offline: bool) -> Result<Page> {
    let (board, loaded) = read_board(&s.repo, &s.config, &g.ui, offline)?;
    let data = DashboardData::new(board, loaded.state.deployments.values());
    let mut json = serde_json::to_string_pretty(&data).expect("serializable");
    json.push('\n');
    // The page and its JSON are published: no credentials in URLs.
    Ok(Page {
        html: redact(&render(&data)).into_owned(),
        json: redact(&json).into_owned(),
    })
}

fn write(dir: &Path, page: &Page) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    for (name, text) in [("index.html", &page.html), ("data.json", &page.json)] {
        // Write beside, then rename: a reader never sees half a file.
        let tmp = dir.join(format!(".{name}.tmp"));
        let path = dir.join(name);
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
    }
    Ok(())
}

/// Bind the `--serve` address: one that is not an address at all is bad input
/// (exit 2); a valid one that cannot be bound (in use, not ours) is refused (exit 1).
fn listen(addr: &str) -> Result<TcpListener> {
    use std::net::ToSocketAddrs;
    let addrs: Vec<_> = addr
        .to_socket_addrs()
        .map_err(|e| {
            Error::usage_because(
                format!("--serve {addr} is not an address to listen on"),
                Some("give HOST:PORT, such as 127.0.0.1:8080".into()),
                e,
            )
        })?
        .collect();
    TcpListener::bind(&addrs[..]).map_err(|e| {
        Error::refused_because(
            format!("cannot listen on {addr}"),
            Some("pick a free port, such as 127.0.0.1:8080, or stop what holds this one".into()),
            e,
        )
    })
}
