//! `kickoff dashboard --out DIR [--serve ADDR]`: the QA slot board as a static
//! page and JSON, optionally served over HTTP and refreshed from the state.

use crate::cli::Global;
use crate::commands::Session;
use crate::error::{Error, Result};
use crate::sanitize::redact;
use crate::slots::dashboard::{DashboardData, render};
use crate::slots::service::{read_board, require_pool};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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
    /// Serve the dashboard on this address, e.g. 127.0.0.1:8080 (port 0 picks one).
    #[arg(long, value_name = "ADDR")]
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
    let mut page = build(&s, g, args.offline)?;
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
    eprintln!("serving http://{addr}/ (Ctrl-C stops)");
    let mut fresh = Instant::now();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if fresh.elapsed() >= Duration::from_secs(args.refresh) {
            match build(&s, g, args.offline) {
                Ok(p) => {
                    page = p;
                    if let Some(dir) = &out {
                        if let Err(e) = write(dir, &page) {
                            g.ui.warn(format!("cannot update {}: {e}", dir.display()));
                        }
                    }
                }
                Err(e) => g.ui.warn(format!("showing the last state read: {e}")),
            }
            fresh = Instant::now();
        }
        if let Err(e) = answer(stream, &page) {
            g.ui.warn(format!("request failed: {e}"));
        }
    }
    Ok(())
}

/// The rendered page and its JSON.
struct Page {
    html: String,
    json: String,
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

fn answer(stream: TcpStream, page: &Page) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    // Drain the headers.
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let mut parts = request.split_whitespace();
    let method = parts.next().unwrap_or("");
    let path = parts.next().unwrap_or("/");
    let path = path.split('?').next().unwrap_or("/");
    let (status, kind, body) = match (method, path) {
        ("GET" | "HEAD", "/" | "/index.html") => {
            ("200 OK", "text/html; charset=utf-8", page.html.as_str())
        }
        ("GET" | "HEAD", "/data.json") => ("200 OK", "application/json", page.json.as_str()),
        ("GET" | "HEAD", _) => ("404 Not Found", "text/plain; charset=utf-8", "not found\n"),
        _ => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "method not allowed\n",
        ),
    };
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        out.write_all(body.as_bytes())?;
    }
    out.flush()
}

/// Bind the `--serve` address: one that is not an address at all is bad input
/// (exit 2); a valid one that cannot be bound (in use, not ours) is refused (exit 1).
fn listen(addr: &str) -> Result<TcpListener> {
    use std::net::ToSocketAddrs;
    let addrs: Vec<_> = addr
        .to_socket_addrs()
        .map_err(|e| Error::Usage {
            message: format!("--serve {addr} is not an address to listen on: {e}"),
            hint: Some("give HOST:PORT, such as 127.0.0.1:8080".into()),
        })?
        .collect();
    TcpListener::bind(&addrs[..]).map_err(|e| Error::Refused {
        message: format!("cannot listen on {addr}: {e}"),
        hint: Some("pick a free port, such as 127.0.0.1:8080, or stop what holds this one".into()),
    })
}
