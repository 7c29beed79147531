//! Routing from the slot map: the reverse-proxy rules that send each URL of
//! the pool to its slot's app, and the generators that write them for nginx,
//! Caddy and HAProxy (or as neutral JSON for a cloud load balancer script).
//!
//! A routed app's URL (its `url` pattern filled in for a slot) is split into a
//! host and a path prefix: `https://frontend-dev2.dev.example.com/` routes by
//! host (prefix `/`), `https://dev.example.com/dev2/frontend/` by path. The
//! target is `slots.routing.upstream` and the app's external port in that slot.
//! Everything here is computed from the validated configuration: the checks
//! that make two routes identical or a host or prefix unusable run when the
//! configuration is read ([`check`]), so the generators never fail.
//!
//! TLS is deliberately left out: the team terminates it at its load balancer,
//! and each format says in a comment where the certificate lines would go.

pub mod caddy;
pub mod check;
pub mod haproxy;
pub mod nginx;

use super::config::SlotsConfig;
use serde::Serialize;
use std::collections::BTreeMap;

/// The `[slots.routing]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routing {
    /// The address the proxy listens on (`host:port`).
    pub listen: String,
    /// The host the slots' published ports live on, as the proxy reaches it.
    pub upstream: String,
    /// Whether the section was written (the compose override publishes ports
    /// on the upstream address only then).
    pub configured: bool,
}

pub const DEFAULT_LISTEN: &str = "0.0.0.0:80";
pub const DEFAULT_UPSTREAM: &str = "127.0.0.1";

impl Default for Routing {
    fn default() -> Self {
        Routing {
            listen: DEFAULT_LISTEN.into(),
            upstream: DEFAULT_UPSTREAM.into(),
            configured: false,
        }
    }
}

impl Routing {
    /// The port part of `listen`.
    pub fn listen_port(&self) -> u16 {
        self.listen
            .parse::<std::net::SocketAddr>()
            .map(|a| a.port())
            .expect("validated when the config was read")
    }

    /// The address part of `listen`, as a proxy writes it (IPv6 in brackets).
    pub fn listen_host(&self) -> String {
        let a: std::net::SocketAddr = self.listen.parse().expect("validated");
        match a {
            std::net::SocketAddr::V4(v4) => v4.ip().to_string(),
            std::net::SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
        }
    }
}

/// One rule: requests for `host` whose path starts with `prefix` go to
/// `upstream:port`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    pub slot: String,
    pub app: String,
    pub service: String,
    /// Lowercase host name the rule matches (the `Host` header, port ignored).
    pub host: String,
    /// The path prefix, starting and ending with `/` (`/` for host routing).
    pub prefix: String,
    pub upstream: String,
    pub port: u16,
    /// Path routing: whether the prefix is removed before the request is
    /// passed on (the app then sees `/...`, and `X-Forwarded-Prefix`).
    pub strip_prefix: bool,
    /// The app's URL in this slot.
    pub url: String,
}

impl Route {
    /// Whether this rule routes by path (a prefix other than `/`).
    pub fn by_path(&self) -> bool {
        self.prefix != "/"
    }

    /// The prefix without its trailing slash, as `X-Forwarded-Prefix` carries it.
    pub fn forwarded_prefix(&self) -> &str {
        self.prefix.trim_end_matches('/')
    }

    /// Whether the prefix is removed on the way to the app.
    pub fn strips(&self) -> bool {
        self.by_path() && self.strip_prefix
    }

    /// `upstream:port`.
    pub fn target(&self) -> String {
        format!("{}:{}", self.upstream, self.port)
    }

    /// `slot.app`: unique (neither name holds a dot), and a valid ACL and
    /// backend name.
    pub fn id(&self) -> String {
        format!("{}.{}", self.slot, self.app)
    }
}

/// Every rule of the pool, in slot then app order, and the apps left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTable {
    pub listen: String,
    pub listen_host: String,
    pub listen_port: u16,
    pub upstream: String,
    pub routes: Vec<Route>,
    /// Apps with `route = false` (or no URL): reachable on their port only.
    pub unrouted: Vec<String>,
    pub slots: usize,
}

impl RouteTable {
    /// The host names in first-seen order, each with its rules in table
    /// order (nginx and Caddy pick the longest matching prefix themselves).
    pub fn by_host(&self) -> Vec<(&str, Vec<&Route>)> {
        let mut order: Vec<&str> = Vec::new();
        let mut groups: BTreeMap<&str, Vec<&Route>> = BTreeMap::new();
        for r in &self.routes {
            if !groups.contains_key(r.host.as_str()) {
                order.push(&r.host);
            }
            groups.entry(&r.host).or_default().push(r);
        }
        order
            .into_iter()
            .map(|h| (h, groups.remove(h).expect("grouped")))
            .collect()
    }

    /// Every rule, longest prefix first, then in table order.
    pub fn most_specific_first(&self) -> Vec<&Route> {
        let mut rs: Vec<&Route> = self.routes.iter().collect();
        rs.sort_by_key(|r| std::cmp::Reverse(r.prefix.len()));
        rs
    }

    /// One line saying what the table holds, for the header of each format.
    pub fn summary(&self) -> String {
        let apps = self.routes.len() / self.slots.max(1);
        let mut s = format!(
            "{} slots x {} routed apps = {} routes",
            self.slots,
            apps,
            self.routes.len()
        );
        if !self.unrouted.is_empty() {
            s.push_str(&format!(
                "; not routed (ports only): {}",
                self.unrouted.join(", ")
            ));
        }
        s
    }
}

/// The rules of a configured pool.
pub fn table(c: &SlotsConfig) -> RouteTable {
    let mut routes = Vec::new();
    for slot in &c.names {
        for (app, e) in c.apps.iter().zip(c.endpoints(slot)) {
            if !app.route {
                continue;
            }
            let (host, prefix) = split_url(&e.url).expect("validated when the config was read");
            routes.push(Route {
                slot: slot.clone(),
                app: app.name.clone(),
                service: app.service.clone(),
                host,
                prefix,
                upstream: c.routing.upstream.clone(),
                port: e.port,
                strip_prefix: app.strip_prefix,
                url: e.url.clone(),
            });
        }
    }
    RouteTable {
        listen: c.routing.listen.clone(),
        listen_host: c.routing.listen_host(),
        listen_port: c.routing.listen_port(),
        upstream: c.routing.upstream.clone(),
        routes,
        unrouted: c
            .apps
            .iter()
            .filter(|a| !a.route)
            .map(|a| a.name.clone())
            .collect(),
        slots: c.names.len(),
    }
}

/// The output formats of `slot routes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Nginx,
    Caddy,
    Haproxy,
    Json,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Nginx => "nginx",
            Format::Caddy => "caddy",
            Format::Haproxy => "haproxy",
            Format::Json => "json",
        }
    }
}

/// The configuration in `format`: a complete file, or with `server_block`
/// only the part that goes into an existing configuration (no effect on JSON).
pub fn render(t: &RouteTable, format: Format, server_block: bool) -> String {
    let header = format!(
        "Written by `kickoff slot routes --format {}` from {}: {}.\n\
         Regenerate it when the pool changes; `kickoff slot routes --check` reports drift.",
        format.as_str(),
        crate::config_error::FILE_NAME,
        t.summary()
    );
    match format {
        Format::Nginx => nginx::render(t, &header, server_block),
        Format::Caddy => caddy::render(t, &header, server_block),
        Format::Haproxy => haproxy::render(t, &header, server_block),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&json(t)).expect("JSON serializes");
            s.push('\n');
            s
        }
    }
}

/// `text` as `#` comment lines (every text format comments that way).
fn comment(text: &str) -> String {
    text.lines().map(|l| format!("# {l}\n")).collect()
}

/// The comment line that starts the lines of one rule in every text format;
/// `--check` attributes differences to rules by it.
pub fn marker(r: &Route, indent: &str) -> String {
    format!("{indent}# {} in {}: {}", r.app, r.slot, r.url)
}

/// The neutral listing of `slot routes --format json` (schema 1).
pub fn json(t: &RouteTable) -> serde_json::Value {
    serde_json::json!({
        "schema": 1,
        "listen": t.listen,
        "upstream": t.upstream,
        "tls": "terminated before this proxy (at the load balancer)",
        "routes": t.routes.iter().map(|r| serde_json::json!({
            "slot": r.slot,
            "app": r.app,
            "service": r.service,
            "kind": if r.by_path() { "path" } else { "host" },
            "host": r.host,
            "path_prefix": r.prefix,
            "strip_prefix": r.strips(),
            "target": {"host": r.upstream, "port": r.port},
            "url": r.url,
        })).collect::<Vec<_>>(),
        "unrouted": t.unrouted,
    })
}

/// Split a filled-in URL into its host (lowercase, port dropped) and path.
/// The error says what is wrong, for a config error.
pub fn split_url(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("{url:?} does not start with http:// or https://"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.contains('@') {
        return Err(format!("{url:?} has user information before the host"));
    }
    let host = match authority.rsplit_once(':') {
        Some((h, port)) => {
            if port.is_empty() || port.parse::<u16>().is_err() {
                return Err(format!("{url:?} has an invalid port {port:?}"));
            }
            h
        }
        None => authority,
    };
    if !valid_host(host) {
        return Err(format!(
            "{host:?} (in {url:?}) is not a valid host name (letters, digits and hyphens in dot-separated labels of at most 63 characters)"
        ));
    }
    if let Some(problem) = path_problem(path) {
        return Err(format!(
            "the path {path:?} (in {url:?}) is not a clean path prefix: {problem}"
        ));
    }
    Ok((host.to_ascii_lowercase(), path.to_string()))
}

/// A DNS host name: dot-separated labels of letters, digits and hyphens,
/// none empty, none starting or ending with a hyphen, at most 253 characters.
pub fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Why `path` is not a clean prefix (`/` or `/a/b/`), or `None`.
fn path_problem(path: &str) -> Option<&'static str> {
    if !path.starts_with('/') {
        return Some("it must start with /");
    }
    if path.contains(['?', '#']) {
        return Some("a query or fragment cannot be routed");
    }
    if !path.ends_with('/') {
        return Some("end it with / (e.g. /dev1/frontend/)");
    }
    if path.contains("//") {
        return Some("it has an empty segment (//)");
    }
    if path.split('/').any(|s| s == "." || s == "..") {
        return Some("it has a . or .. segment");
    }
    if !path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/-._~".contains(c))
    {
        return Some("use only letters, digits, and - . _ ~ between slashes");
    }
    None
}

/// A problem with the routes of a pool: the app it is found at (index in
/// `apps`), the key to name, and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteProblem {
    pub app: usize,
    pub key: RouteKey,
    pub message: String,
}

/// Which setting a [`RouteProblem`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKey {
    /// The URL pattern the app's routes come from (its own or the pool's).
    Url,
    /// The app's `route` key.
    Route,
}

/// Check every route of a pool: each routed URL splits into a valid host and
/// a clean prefix, and no two routes match the same host and prefix.
pub fn check(c: &SlotsConfig, url_set: &[bool]) -> Result<(), RouteProblem> {
    for (ai, app) in c.apps.iter().enumerate() {
        if app.route && !url_set[ai] {
            return Err(RouteProblem {
                app: ai,
                key: RouteKey::Route,
                message: format!(
                    "app {} is routed but has no URL; set `url` (for the app, or for the pool in [slots]), or `route = false`",
                    app.name
                ),
            });
        }
    }
    let mut seen: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    for slot in &c.names {
        for (ai, (app, e)) in c.apps.iter().zip(c.endpoints(slot)).enumerate() {
            if !app.route {
                continue;
            }
            let problem = |message: String| RouteProblem {
                app: ai,
                key: RouteKey::Url,
                message,
            };
            let (host, prefix) = split_url(&e.url).map_err(problem)?;
            if let Some((s, a)) = seen.insert(
                (host.clone(), prefix.clone()),
                (slot.clone(), app.name.clone()),
            ) {
                return Err(problem(format!(
                    "route clash: {a} in {s} and {} in {slot} would both be routed from {host}{prefix}; the proxy ignores the port, so put {{slot}} and {{app}} in the host or the path",
                    app.name
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_host_and_prefix() {
        assert_eq!(
            split_url("https://Frontend-dev1.dev.example.com/").unwrap(),
            ("frontend-dev1.dev.example.com".into(), "/".into())
        );
        assert_eq!(
            split_url("http://dev.example.com:8080/dev1/frontend/").unwrap(),
            ("dev.example.com".into(), "/dev1/frontend/".into())
        );
        assert_eq!(
            split_url("http://localhost").unwrap(),
            ("localhost".into(), "/".into())
        );
        for (url, needle) in [
            ("https://dev.example.com/dev1/frontend", "end it with /"),
            ("https://dev.example.com/dev1//frontend/", "empty segment"),
            ("https://dev.example.com/dev1/../x/", ". or .."),
            ("https://dev.example.com/dev1/?a=1", "query"),
            ("https://dev.example.com/dev%201/", "letters, digits"),
            ("https://dev_1.example.com/", "not a valid host name"),
            ("https://-dev.example.com/", "not a valid host name"),
            ("https://dev..example.com/", "not a valid host name"),
            ("https://user@dev.example.com/", "user information"),
            ("https://dev.example.com:99999/", "invalid port"),
        ] {
            let e = split_url(url).unwrap_err();
            assert!(e.contains(needle), "{url}: {e}");
        }
    }
}
