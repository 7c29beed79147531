//! `kickoff slot routes`: the proxy configurations are checked by the real
//! servers. For nginx, Caddy and HAProxy, by host and by path: the generated
//! file is validated by the server itself, then the proxy runs on a free
//! 127.0.0.1 port in front of one small upstream per slot and app (each
//! answers with its own slot and app name and what it received), and every
//! request must reach exactly the right one, with the prefix forwarded as
//! configured. Proxies are stopped when a test ends, pass or fail.
//!
//! A missing server binary skips its test locally, and fails it when `CI` is
//! set (`.ci/run` installs Debian's nginx, caddy and haproxy).

mod common;
use common::*;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const SLOTS: [&str; 3] = ["dev1", "dev2", "dev3"];
/// `web` strips its prefix when routed by path, `api` keeps it.
const APPS: [&str; 2] = ["web", "api"];

// ---- upstreams ------------------------------------------------------------------

/// One small HTTP server per slot and app, on the ports the slot map gives.
struct Upstreams {
    stop: Arc<AtomicBool>,
    /// Requests each upstream answered, in slot-major order.
    hits: Vec<Arc<AtomicUsize>>,
    /// The external port of `APPS[0]` in the first slot; `APPS[1]` follows
    /// `SLOTS.len()` ports later.
    base: u16,
}

impl Upstreams {
    /// Bind 6 consecutive free ports (2 apps x 3 slots, port_step 1) and
    /// serve on each.
    fn start() -> Upstreams {
        let n = (SLOTS.len() * APPS.len()) as u16;
        let seed = std::process::id() as u64 * 7919
            + std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos() as u64;
        for attempt in 0..200u64 {
            let base = 20_000 + ((seed + attempt * 104_729) % 40_000) as u16;
            let listeners: Vec<TcpListener> = (0..n)
                .map_while(|i| TcpListener::bind(("127.0.0.1", base + i)).ok())
                .collect();
            if listeners.len() < n as usize {
                continue;
            }
            let stop = Arc::new(AtomicBool::new(false));
            let mut hits = Vec::new();
            for (ai, app) in APPS.iter().enumerate() {
                for (si, slot) in SLOTS.iter().enumerate() {
                    let l = listeners[ai * SLOTS.len() + si].try_clone().unwrap();
                    let hit = Arc::new(AtomicUsize::new(0));
                    hits.push(hit.clone());
                    let stop = stop.clone();
                    let name = (slot.to_string(), app.to_string());
                    std::thread::spawn(move || serve(l, name, stop, hit));
                }
            }
            return Upstreams { stop, hits, base };
        }
        panic!("no 6 consecutive free ports found on 127.0.0.1");
    }

    fn total_hits(&self) -> usize {
        self.hits.iter().map(|h| h.load(Ordering::SeqCst)).sum()
    }
}

impl Drop for Upstreams {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn serve(
    l: TcpListener,
    (slot, app): (String, String),
    stop: Arc<AtomicBool>,
    hit: Arc<AtomicUsize>,
) {
    l.set_nonblocking(true).unwrap();
    while !stop.load(Ordering::SeqCst) {
        match l.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).unwrap();
                hit.fetch_add(1, Ordering::SeqCst);
                let (slot, app) = (slot.clone(), app.clone());
                std::thread::spawn(move || {
                    let _ = answer(s, &slot, &app);
                });
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// Answer one request with who we are and what arrived; a WebSocket upgrade
/// is accepted and then every line sent is echoed back with our name.
fn answer(s: TcpStream, slot: &str, app: &str) -> std::io::Result<()> {
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(s.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut headers = serde_json::Map::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            // A header sent on several lines is one list (RFC 9110, 5.3).
            let k = k.trim().to_ascii_lowercase();
            let v = match headers.get(&k).and_then(Value::as_str) {
                Some(before) => format!("{before}, {}", v.trim()),
                None => v.trim().to_string(),
            };
            headers.insert(k, Value::from(v));
        }
    }
    let mut w = s;
    let upgrade = headers
        .get("upgrade")
        .and_then(Value::as_str)
        .is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    if upgrade {
        // The client always sends RFC 6455's sample key; this is its accept
        // value (HAProxy checks it).
        assert_eq!(headers["sec-websocket-key"], WS_KEY);
        w.write_all(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
        )?;
        loop {
            let mut msg = String::new();
            if reader.read_line(&mut msg)? == 0 {
                return Ok(());
            }
            w.write_all(format!("{slot} {app} {msg}").as_bytes())?;
        }
    }
    let body = serde_json::json!({"slot": slot, "app": app, "path": target, "headers": headers})
        .to_string();
    w.write_all(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
}

const WS_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

// ---- a client -------------------------------------------------------------------

/// One request through the proxy: the status and the body.
fn get(port: u16, host: &str, path: &str) -> (u16, String) {
    get_with(port, host, path, "")
}

/// A request with `extra` header lines (each ending in CRLF).
fn get_with(port: u16, host: &str, path: &str, extra: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to the proxy");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: kickoff-test\r\n{extra}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read the answer");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The upstream's JSON answer to a request that must be routed.
fn routed(port: u16, host: &str, path: &str) -> Value {
    routed_with(port, host, path, "")
}

fn routed_with(port: u16, host: &str, path: &str, extra: &str) -> Value {
    let (status, body) = get_with(port, host, path, extra);
    assert_eq!(status, 200, "{host}{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|_| panic!("{host}{path}: not JSON: {body}"))
}

/// Open a WebSocket through the proxy and send one line; the echo.
fn websocket_echo(port: u16, host: &str, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {WS_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::new(s.try_clone().unwrap());
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    assert!(status.contains(" 101 "), "{host}{path}: {status:?}");
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).unwrap();
        if h.trim().is_empty() {
            break;
        }
    }
    s.write_all(b"ping\n").unwrap();
    let mut echo = String::new();
    reader.read_line(&mut echo).unwrap();
    echo.trim_end().to_string()
}

// ---- the proxies ----------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Proxy {
    Nginx,
    Caddy,
    Haproxy,
}

impl Proxy {
    fn format(self) -> &'static str {
        match self {
            Proxy::Nginx => "nginx",
            Proxy::Caddy => "caddy",
            Proxy::Haproxy => "haproxy",
        }
    }

    fn binary(self) -> Option<PathBuf> {
        let name = self.format();
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .chain(["/usr/sbin".into(), "/sbin".into()])
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    }

    /// The command that checks a configuration (HAProxy: files loaded in order).
    fn validate_cmd(self, bin: &Path, files: &[PathBuf], dir: &Path) -> Command {
        let mut c = Command::new(bin);
        match self {
            Proxy::Nginx => {
                c.args(["-t", "-c"]).arg(&files[0]).args(nginx_runtime(dir));
            }
            Proxy::Caddy => {
                c.args(["validate", "--adapter", "caddyfile", "--config"])
                    .arg(&files[0]);
            }
            Proxy::Haproxy => {
                // -dW: a warning fails the check too.
                c.args(["-c", "-dW"]);
                for f in files {
                    c.arg("-f").arg(f);
                }
            }
        }
        isolate(&mut c, dir);
        c
    }

    fn run_cmd(self, bin: &Path, files: &[PathBuf], dir: &Path) -> Command {
        let mut c = Command::new(bin);
        match self {
            Proxy::Nginx => {
                c.arg("-c").arg(&files[0]).args(nginx_runtime(dir));
            }
            Proxy::Caddy => {
                c.args(["run", "--adapter", "caddyfile", "--config"])
                    .arg(&files[0]);
            }
            Proxy::Haproxy => {
                c.arg("-db");
                for f in files {
                    c.arg("-f").arg(f);
                }
            }
        }
        isolate(&mut c, dir);
        c
    }

    /// What a configuration of the user's own around `--server-block` output
    /// holds: the global parts and a default that answers 404.
    fn wrap(self, part: &Path, port: u16, dir: &Path) -> Vec<PathBuf> {
        let (name, text) = match self {
            Proxy::Nginx => (
                "nginx-main.conf",
                format!(
                    "events {{}}\nhttp {{\n    server {{\n        listen 127.0.0.1:{port} default_server;\n        return 404;\n    }}\n    include {};\n}}\n",
                    part.display()
                ),
            ),
            Proxy::Caddy => (
                "Caddyfile",
                format!(
                    "{{\n\tadmin off\n\tauto_https off\n}}\nimport {}\nhttp://:{port} {{\n\tbind 127.0.0.1\n\trespond 404\n}}\n",
                    part.display()
                ),
            ),
            Proxy::Haproxy => (
                "haproxy-main.cfg",
                "defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n".to_string(),
            ),
        };
        let main = dir.join(name);
        std::fs::write(&main, text).unwrap();
        match self {
            Proxy::Haproxy => vec![main, part.to_path_buf()],
            _ => vec![main],
        }
    }
}

/// The server's binary, or `None` when it is missing and this is not CI.
fn require(proxy: Proxy) -> Option<PathBuf> {
    match proxy.binary() {
        Some(b) => Some(b),
        None if std::env::var_os("CI").is_some() => panic!(
            "{} is not installed; CI must install it (apt-get install nginx caddy haproxy)",
            proxy.format()
        ),
        None => {
            eprintln!(
                "SKIPPED: {} is not installed (apt-get install {})",
                proxy.format(),
                proxy.format()
            );
            None
        }
    }
}

/// nginx's run-time paths, set from the command line because the generated
/// file leaves them to the installation: a pid file and the error log in the
/// test's directory, in the foreground.
fn nginx_runtime(dir: &Path) -> Vec<String> {
    vec![
        "-p".into(),
        format!("{}/", dir.display()),
        "-g".into(),
        format!(
            "daemon off; pid {}/nginx.pid; error_log {}/nginx-error.log;",
            dir.display(),
            dir.display()
        ),
    ]
}

/// Caddy keeps its data and autosaved config under HOME/XDG dirs: the test's.
fn isolate(c: &mut Command, dir: &Path) {
    c.env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .stdin(Stdio::null());
}

/// A proxy process in its own process group, killed (the whole group: nginx
/// has worker processes) when dropped.
struct Running {
    child: Child,
    log: PathBuf,
}

impl Running {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let pgid = self.child.id();
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pgid}")])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(mut cmd: Command, dir: &Path, port: u16) -> Result<Running, String> {
    use std::os::unix::process::CommandExt;
    let log = dir.join("proxy.log");
    let file = std::fs::File::create(&log).unwrap();
    cmd.stdout(file.try_clone().unwrap())
        .stderr(file)
        .process_group(0);
    let child = cmd.spawn().map_err(|e| format!("cannot start: {e}"))?;
    let mut running = Running { child, log };
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if let Some(status) = running.child.try_wait().unwrap() {
            return Err(format!("exited with {status}:\n{}", running.log()));
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(running);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("not listening after 15 s:\n{}", running.log()))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// ---- the pool -------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Style {
    /// `http://{app}-{slot}.test/`
    Host,
    /// `http://dev.test/{slot}/{app}/`
    Path,
    /// web at `http://dev.test/{slot}/`, api inside it at `/{slot}/api/`:
    /// the longer prefix must win whatever the order of the rules.
    Nested,
}

fn pool(style: Style, base: u16, listen: u16) -> String {
    let url = match style {
        Style::Host => "http://{app}-{slot}.test/",
        Style::Path => "http://dev.test/{slot}/{app}/",
        Style::Nested => "http://dev.test/{slot}/",
    };
    let api_url = match style {
        Style::Nested => "\nurl = \"http://dev.test/{slot}/api/\"",
        _ => "",
    };
    format!(
        r#"[slots]
names = ["dev1", "dev2", "dev3"]
url = "{url}"
deploy = ["true"]

[slots.routing]
listen = "127.0.0.1:{listen}"
upstream = "127.0.0.1"

[[slots.apps]]
name = "web"
port = 3000
base_port = {web}
strip_prefix = true

[[slots.apps]]
name = "api"
port = 8080
base_port = {api}
strip_prefix = false{api_url}
"#,
        web = base,
        api = base + SLOTS.len() as u16
    )
}

/// Generate, validate and run `proxy` for `style`, then send a request to every
/// slot and app and check where it landed. With `server_block`, the output is
/// included in a configuration of the user's own.
fn proxy_routes_every_slot_and_app(proxy: Proxy, style: Style, server_block: bool) {
    let Some(bin) = require(proxy) else { return };
    let up = Upstreams::start();
    let repo = TestRepo::new();
    let dir = repo.env.path().join(format!("{}-run", proxy.format()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{}.conf", proxy.format()));
    // The proxy port is free when picked; another process may take it before
    // the proxy binds, so try again with a new one.
    let mut last_error = String::new();
    for _ in 0..3 {
        let port = free_port();
        repo.write(".kickoff.toml", &pool(style, up.base, port));
        let mut args = vec![
            "slot",
            "routes",
            "--format",
            proxy.format(),
            "--out",
            file.to_str().unwrap(),
        ];
        if server_block {
            args.push("--server-block");
        }
        let out = repo.kickoff(&args).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let files = if server_block {
            proxy.wrap(&file, port, &dir)
        } else {
            vec![file.clone()]
        };
        let v = proxy.validate_cmd(&bin, &files, &dir).output().unwrap();
        assert!(
            v.status.success(),
            "{} rejects the generated file:\n{}{}\n{}",
            proxy.format(),
            stdout(&v),
            stderr(&v),
            std::fs::read_to_string(&file).unwrap()
        );
        match start(proxy.run_cmd(&bin, &files, &dir), &dir, port) {
            Ok(running) => {
                check_routing(proxy, style, port, &up);
                drop(running);
                return;
            }
            Err(e) => last_error = e,
        }
    }
    panic!("{} did not start: {last_error}", proxy.format());
}

fn check_routing(proxy: Proxy, style: Style, port: u16, up: &Upstreams) {
    let what = format!("{proxy:?} by {style:?}");
    for slot in SLOTS {
        for app in APPS {
            // The request, the path the app must see, and X-Forwarded-Prefix.
            let page = "some/page?q=1";
            let (host, path, expect_path, prefix) = match (style, app) {
                (Style::Host, _) => (
                    format!("{app}-{slot}.test"),
                    format!("/{page}"),
                    format!("/{page}"),
                    None,
                ),
                (Style::Path, "web") => (
                    "dev.test".into(),
                    format!("/{slot}/web/{page}"),
                    format!("/{page}"),
                    Some(format!("/{slot}/web")),
                ),
                (Style::Path, _) | (Style::Nested, _) => (
                    "dev.test".into(),
                    format!("/{slot}/api/{page}"),
                    format!("/{slot}/api/{page}"),
                    Some(format!("/{slot}/api")),
                ),
            };
            let (host, path, expect_path, prefix) = match (style, app) {
                (Style::Nested, "web") => (
                    "dev.test".into(),
                    format!("/{slot}/{page}"),
                    format!("/{page}"),
                    Some(format!("/{slot}")),
                ),
                _ => (host, path, expect_path, prefix),
            };
            let v = routed(port, &host, &path);
            assert_eq!(v["slot"], slot, "{what}: {host}{path} -> {v}");
            assert_eq!(v["app"], app, "{what}: {host}{path} -> {v}");
            assert_eq!(
                v["path"],
                expect_path.as_str(),
                "{what}: {host}{path} -> {v}"
            );
            let h = &v["headers"];
            assert_eq!(
                h["host"].as_str().map(|h| h.split(':').next().unwrap()),
                Some(host.as_str()),
                "{what}: Host header: {v}"
            );
            assert!(
                h["x-forwarded-for"]
                    .as_str()
                    .is_some_and(|x| x.contains("127.0.0.1")),
                "{what}: X-Forwarded-For: {v}"
            );
            assert_eq!(h["x-forwarded-proto"], "http", "{what}: {v}");
            assert_eq!(
                h["x-forwarded-prefix"].as_str(),
                prefix.as_deref(),
                "{what}: X-Forwarded-Prefix: {v}"
            );
            // Behind the load balancer that terminates TLS: its scheme and
            // client address reach the app.
            let lb = "X-Forwarded-Proto: https\r\nX-Forwarded-For: 203.0.113.9\r\n";
            let v = routed_with(port, &host, &path, lb);
            assert_eq!(v["app"], app, "{what}: {v}");
            let h = &v["headers"];
            assert_eq!(h["x-forwarded-proto"], "https", "{what}: {v}");
            assert!(
                h["x-forwarded-for"]
                    .as_str()
                    .is_some_and(|x| x.starts_with("203.0.113.9,") && x.contains("127.0.0.1")),
                "{what}: X-Forwarded-For: {v}"
            );
        }
    }
    // Nothing answers for hosts and paths outside the map.
    let before = up.total_hits();
    let misses: &[(&str, &str)] = match style {
        Style::Host => &[("web-dev9.test", "/"), ("other.test", "/dev1/web/")],
        Style::Path | Style::Nested => &[
            ("dev.test", "/dev9/web/"),
            ("dev.test", "/"),
            ("other.test", "/dev1/web/"),
        ],
    };
    for (host, path) in misses {
        let (status, body) = get(port, host, path);
        assert_eq!(
            status, 404,
            "{what}: {host}{path} answered {status}: {body}"
        );
    }
    assert_eq!(
        up.total_hits(),
        before,
        "{what}: a miss reached an upstream"
    );
    // A WebSocket reaches its app and stays open in both directions.
    let (host, path) = match style {
        Style::Host => ("api-dev2.test", "/socket"),
        Style::Path | Style::Nested => ("dev.test", "/dev2/api/socket"),
    };
    assert_eq!(websocket_echo(port, host, path), "dev2 api ping", "{what}");
}

#[test]
fn nginx_routes_by_host() {
    proxy_routes_every_slot_and_app(Proxy::Nginx, Style::Host, false);
}

#[test]
fn nginx_routes_by_path() {
    proxy_routes_every_slot_and_app(Proxy::Nginx, Style::Path, false);
}

#[test]
fn caddy_routes_by_host() {
    proxy_routes_every_slot_and_app(Proxy::Caddy, Style::Host, false);
}

#[test]
fn caddy_routes_by_path() {
    proxy_routes_every_slot_and_app(Proxy::Caddy, Style::Path, false);
}

#[test]
fn haproxy_routes_by_host() {
    proxy_routes_every_slot_and_app(Proxy::Haproxy, Style::Host, false);
}

#[test]
fn haproxy_routes_by_path() {
    proxy_routes_every_slot_and_app(Proxy::Haproxy, Style::Path, false);
}

#[test]
fn nginx_routes_nested_prefixes() {
    proxy_routes_every_slot_and_app(Proxy::Nginx, Style::Nested, false);
}

#[test]
fn caddy_routes_nested_prefixes() {
    proxy_routes_every_slot_and_app(Proxy::Caddy, Style::Nested, false);
}

#[test]
fn haproxy_routes_nested_prefixes() {
    proxy_routes_every_slot_and_app(Proxy::Haproxy, Style::Nested, false);
}

#[test]
fn nginx_server_blocks_included_route_by_path() {
    proxy_routes_every_slot_and_app(Proxy::Nginx, Style::Path, true);
}

#[test]
fn caddy_site_blocks_imported_route_by_path() {
    proxy_routes_every_slot_and_app(Proxy::Caddy, Style::Path, true);
}

#[test]
fn haproxy_sections_loaded_after_defaults_route_by_host() {
    proxy_routes_every_slot_and_app(Proxy::Haproxy, Style::Host, true);
}

// ---- output without servers -------------------------------------------------------

#[test]
fn json_lists_every_rule() {
    let repo = TestRepo::new();
    repo.write(".kickoff.toml", &pool(Style::Path, 41_000, 8080));
    let out = repo
        .kickoff(&["slot", "routes", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["schema"], 1);
    assert_eq!(v["listen"], "127.0.0.1:8080");
    let routes = v["routes"].as_array().unwrap();
    assert_eq!(routes.len(), 6);
    assert_eq!(
        routes[4],
        serde_json::json!({
            "slot": "dev3", "app": "web", "service": "web", "kind": "path",
            "host": "dev.test", "path_prefix": "/dev3/web/", "strip_prefix": true,
            "target": {"host": "127.0.0.1", "port": 41_002},
            "url": "http://dev.test/dev3/web/"
        })
    );
    assert_eq!(routes[5]["strip_prefix"], false);
    assert_eq!(routes[5]["target"]["port"], 41_005);
}

#[test]
fn bad_routes_are_config_errors_and_nothing_is_written() {
    let repo = TestRepo::new();
    let out_file = repo.env.path().join("slots.conf");
    let good = pool(Style::Path, 41_000, 8080);
    for (config, line, key, needle) in [
        (
            // Another URL (https), the same route: the scheme is not routed.
            good.replace(
                "strip_prefix = false",
                "strip_prefix = false\nurl = \"https://dev.test/{slot}/web/\"",
            ),
            21,
            "slots.apps.url",
            "route clash: web in dev1 and api in dev1",
        ),
        (
            good.replace("{slot}/{app}/", "{slot}/{app}"),
            3,
            "slots.url",
            "end it with /",
        ),
        (
            good.replace("http://dev.test/", "http://dev.test!/"),
            3,
            "slots.url",
            "not a valid host name",
        ),
        (
            good.replace("url = \"http://dev.test/{slot}/{app}/\"\n", "")
                .replace("strip_prefix = true", "route = true"),
            13,
            "slots.apps.route",
            "routed but has no URL",
        ),
    ] {
        repo.write(".kickoff.toml", &config);
        let args = [
            "slot",
            "routes",
            "--format",
            "nginx",
            "--out",
            out_file.to_str().unwrap(),
        ];
        let err = assert_refused(
            &repo,
            &args,
            2,
            &[
                &format!(".kickoff.toml:{line}: invalid value for `{key}`"),
                needle,
            ],
        );
        assert!(err.contains("hint:"), "{err}");
        assert!(!out_file.exists(), "written despite: {err}");
    }
}

#[test]
fn check_reports_drift_per_slot_and_app() {
    let repo = TestRepo::new();
    repo.write(".kickoff.toml", &pool(Style::Path, 41_000, 8080));
    let file = repo.env.path().join("slots.conf");
    let f = file.to_str().unwrap();
    repo.kickoff(&["slot", "routes", "--format", "nginx", "--out", f])
        .assert()
        .success();
    // No drift: against the named file and against the one last written.
    repo.kickoff(&["slot", "routes", "--format", "nginx", "--check", "--out", f])
        .assert()
        .success();
    repo.kickoff(&["slot", "routes", "--format", "nginx", "--check"])
        .assert()
        .success();
    // A hand edit of dev2's web target and a removed rule.
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replace("127.0.0.1:41001", "127.0.0.1:41009");
    let start = edited.find("# api in dev3:").unwrap();
    let end = start + edited[start..].find("\n        }\n").unwrap() + 11;
    let edited = format!("{}{}", &edited[..start], &edited[end..]);
    std::fs::write(&file, &edited).unwrap();
    let out = repo
        .kickoff(&["slot", "routes", "--format", "nginx", "--check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report = stdout(&out);
    assert!(
        report.contains("dev3/api: missing from the file"),
        "{report}"
    );
    assert!(report.contains("dev2/web: differs"), "{report}");
    assert!(
        report.contains("- proxy_pass http://127.0.0.1:41009/;"),
        "{report}"
    );
    assert!(
        report.contains("+ proxy_pass http://127.0.0.1:41001/;"),
        "{report}"
    );
    assert!(!report.contains("dev1/"), "{report}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        edited,
        "--check wrote"
    );
    // The pool changes: the file that matched now drifts.
    repo.kickoff(&["slot", "routes", "--format", "json", "--out", f])
        .assert()
        .success();
    repo.write(
        ".kickoff.toml",
        &pool(Style::Path, 41_000, 8080)
            .replace("\"dev3\"]", "\"dev3\", \"dev4\"]")
            .replace("base_port = 41003", "base_port = 41010"),
    );
    let out = repo
        .kickoff(&["slot", "routes", "--format", "json", "--check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let out = repo
        .kickoff(&["slot", "routes", "--format", "json", "--check", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["matches"], false);
    assert!(
        v["drift"]["missing"]
            .as_array()
            .unwrap()
            .contains(&"dev4/web".into()),
        "{v}"
    );
    assert_eq!(
        v["drift"]["changed"]["dev1/api"][0], "- target: {\"host\":\"127.0.0.1\",\"port\":41003}",
        "{v}"
    );
    let out = repo
        .kickoff(&["slot", "routes", "--format", "json", "--check"])
        .output()
        .unwrap();
    assert!(
        stdout(&out).contains("dev4/web: missing from the file"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn deploy_writes_a_compose_override_that_matches_the_map() {
    let config = pool(Style::Path, 41_000, 8080)
        .replace("strip_prefix = true", "strip_prefix = true\nimage = \"registry.example.com/shop/web\"")
        .replace(
            "deploy = [\"true\"]",
            "deploy = [\"sh\", \"-c\", \"test -f \\\"$1\\\" && test \\\"$1\\\" = \\\"$KICKOFF_COMPOSE_FILE\\\"\", \"sh\", \"{compose_file}\"]",
        );
    let repo = slots_repo(&config, &["shop"]);
    let out = repo
        .kickoff(&["deploy", "kickoff-240510-shop", "--slot", "dev2", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let record: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let tag = record["deployment"]["image_tag"].as_str().unwrap();
    let text =
        std::fs::read_to_string(repo.work.join(".git/kickoff/env/dev2.compose.yml")).unwrap();
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("valid YAML");
    let yaml: Value = serde_json::to_value(yaml).unwrap();
    let list: Value = serde_json::from_str(&stdout(
        &repo.kickoff(&["slot", "list", "--json"]).output().unwrap(),
    ))
    .unwrap();
    let dev2 = &list["slots"][1];
    assert_eq!(dev2["name"], "dev2");
    assert_eq!(yaml["name"], dev2["project"]);
    let services = yaml["services"].as_object().unwrap();
    assert_eq!(services.len(), 2, "{text}");
    for app in dev2["apps"].as_array().unwrap() {
        let s = &services[app["service"].as_str().unwrap()];
        // Published on the upstream address the proxy reaches them on.
        assert_eq!(
            s["ports"],
            serde_json::json!([format!(
                "127.0.0.1:{}:{}",
                app["port"], app["internal_port"]
            )]),
            "{text}"
        );
    }
    assert_eq!(
        services["web"]["image"],
        format!("registry.example.com/shop/web:{tag}")
    );
    assert!(services["api"].get("image").is_none(), "{text}");
}

#[test]
fn init_compose_writes_a_routed_pool() {
    let repo = TestRepo::new();
    repo.kickoff(&["init", "--compose"]).assert().success();
    let text = std::fs::read_to_string(repo.work.join(".kickoff.toml")).unwrap();
    assert!(text.contains("\"{compose_file}\""), "{text}");
    let out = repo
        .kickoff(&["slot", "routes", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["routes"].as_array().unwrap().len(), 12);
    assert_eq!(v["routes"][1]["path_prefix"], "/dev1/spring/");
    // Without --compose (and no terminal to ask on) there is no pool.
    repo.kickoff(&["init", "--force"]).assert().success();
    repo.kickoff(&["slot", "routes", "--format", "json"])
        .assert()
        .code(2);
}

#[test]
fn out_is_replaced_through_its_link_dry_run_and_check_write_nothing() {
    let repo = TestRepo::new();
    repo.write(".kickoff.toml", &pool(Style::Host, 41_000, 8080));
    let real = repo.env.path().join("sites-available-slots.conf");
    let link = repo.env.path().join("sites-enabled-slots.conf");
    std::fs::write(&real, "old\n").unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let l = link.to_str().unwrap();
    // --dry-run prints what it would write and leaves the file alone.
    let out = repo
        .kickoff(&[
            "slot",
            "routes",
            "--format",
            "caddy",
            "--out",
            l,
            "--dry-run",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("http://web-dev1.test:8080 {"),
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "old\n");
    assert!(!repo.work.join(".git/kickoff/routes.json").exists());
    // --check with no file written yet in that format: exit 2 and a hint.
    assert_refused(
        &repo,
        &["slot", "routes", "--format", "caddy", "--check"],
        2,
        &["no caddy routes file was written here yet", "hint:"],
    );
    // The link stays a link; the file it names gets the configuration.
    repo.kickoff(&["slot", "routes", "--format", "caddy", "--out", l])
        .assert()
        .success();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let written = std::fs::read_to_string(&real).unwrap();
    assert!(
        written.contains("reverse_proxy 127.0.0.1:41001"),
        "{written}"
    );
    // A directory is not a file to write.
    assert_refused(
        &repo,
        &[
            "slot",
            "routes",
            "--format",
            "caddy",
            "--out",
            repo.env.path().to_str().unwrap(),
        ],
        2,
        &["is a directory"],
    );
}
