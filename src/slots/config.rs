//! The `[slots]` section of `.kickoff.toml`: the pool of dev environments, the
//! apps each one runs, how external ports and URLs derive from a slot, the
//! default lease time and the deploy command.
//!
//! Everything a slot exposes is computed here from the configuration alone, the
//! same way every time: app `a` in the slot at position `i` (0-based) listens
//! on `a.base_port + i * port_step`, and its URL is the app's (or the pool's)
//! URL pattern with the placeholders filled in. Two apps that would share a
//! port or a URL anywhere in the pool make the configuration invalid.

use super::Ttl;
use super::routes::{RouteKey, Routing};
use crate::config_error::ConfigError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;

pub const DEFAULT_LEASE: &str = "3d";
pub const DEFAULT_URL: &str = "http://localhost:{port}/";
pub const DEFAULT_PROJECT: &str = "{slot}";
pub const DEFAULT_ENV_DIR: &str = ".git/kickoff/env";
/// Placeholders a URL pattern may use.
const URL_PLACEHOLDERS: &[&str] = &["slot", "app", "service", "port", "n"];
/// Placeholders the deploy command's arguments may use.
pub const ARGV_PLACEHOLDERS: &[&str] = &[
    "slot",
    "kickoff",
    "commit",
    "env_file",
    "project",
    "image_tag",
    "compose_file",
];

/// One app of the pool, as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct App {
    pub name: String,
    /// The docker compose service name (the host name other apps reach it by).
    pub service: String,
    /// The port the app listens on inside its container.
    pub internal_port: u16,
    /// The external port of this app in the first slot.
    pub base_port: u16,
    /// URL pattern for this app (overrides the pool's).
    pub url: String,
    /// Whether the reverse proxy routes to this app (`slot routes`).
    pub route: bool,
    /// Path routing: whether the proxy removes the path prefix.
    pub strip_prefix: bool,
    /// The image (without tag) the compose override runs for this app.
    pub image: Option<String>,
}

/// The validated `[slots]` section. An empty `names` list means no pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotsConfig {
    pub names: Vec<String>,
    pub apps: Vec<App>,
    pub port_step: u16,
    pub lease: Ttl,
    pub compose_project: String,
    pub env_dir: String,
    pub deploy: Vec<String>,
    /// Stop the deploy command after this long (`None`: no limit).
    pub deploy_timeout: Option<std::time::Duration>,
    /// `[slots.routing]`: where the reverse proxy listens and what it targets.
    pub routing: Routing,
}

impl Default for SlotsConfig {
    fn default() -> Self {
        SlotsConfig {
            names: Vec::new(),
            apps: Vec::new(),
            port_step: 1,
            lease: Ttl::parse(DEFAULT_LEASE).expect("default lease"),
            compose_project: DEFAULT_PROJECT.into(),
            env_dir: DEFAULT_ENV_DIR.into(),
            deploy: Vec::new(),
            deploy_timeout: None,
            routing: Routing::default(),
        }
    }
}

/// One app in one slot: where it is reachable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    pub app: String,
    pub service: String,
    pub internal_port: u16,
    pub port: u16,
    pub url: String,
}

impl SlotsConfig {
    pub fn is_configured(&self) -> bool {
        !self.names.is_empty()
    }

    pub fn index_of(&self, slot: &str) -> Option<usize> {
        self.names.iter().position(|n| n == slot)
    }

    /// The compose project name of a slot.
    pub fn project(&self, slot: &str) -> String {
        let n = self.index_of(slot).map_or(0, |i| i + 1);
        self.compose_project
            .replace("{slot}", slot)
            .replace("{n}", &n.to_string())
    }

    /// Every app of `slot` with its external port and URL.
    pub fn endpoints(&self, slot: &str) -> Vec<Endpoint> {
        let index = self.index_of(slot).expect("a configured slot");
        self.apps
            .iter()
            .map(|app| {
                let port = derive_port(app.base_port, self.port_step, index)
                    .expect("validated when the config was read");
                Endpoint {
                    app: app.name.clone(),
                    service: app.service.clone(),
                    internal_port: app.internal_port,
                    port,
                    url: fill(&app.url, slot, index, app, port),
                }
            })
            .collect()
    }
}

fn derive_port(base: u16, step: u16, index: usize) -> Option<u16> {
    let p = u32::from(base) + u32::from(step) * u32::try_from(index).ok()?;
    u16::try_from(p).ok()
}

fn fill(pattern: &str, slot: &str, index: usize, app: &App, port: u16) -> String {
    pattern
        .replace("{slot}", slot)
        .replace("{app}", &app.name)
        .replace("{service}", &app.service)
        .replace("{port}", &port.to_string())
        .replace("{n}", &(index + 1).to_string())
}

/// The environment variable prefix of an app (`spring-api` -> `SPRING_API`).
pub fn env_prefix(app: &str) -> String {
    app.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSlots {
    names: Option<Spanned<Vec<String>>>,
    lease: Option<Spanned<String>>,
    port_step: Option<Spanned<i64>>,
    url: Option<Spanned<String>>,
    compose_project: Option<Spanned<String>>,
    env_dir: Option<Spanned<String>>,
    deploy: Option<Spanned<Vec<String>>>,
    deploy_timeout: Option<Spanned<String>>,
    routing: Option<Spanned<RawRouting>>,
    #[serde(default)]
    apps: Vec<Spanned<RawApp>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRouting {
    listen: Option<Spanned<String>>,
    upstream: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApp {
    name: Spanned<String>,
    service: Option<Spanned<String>>,
    port: Spanned<i64>,
    base_port: Spanned<i64>,
    url: Option<Spanned<String>>,
    route: Option<Spanned<bool>>,
    strip_prefix: Option<Spanned<bool>>,
    image: Option<Spanned<String>>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Whether `s` is a name kickoff accepts for a slot or an app: lowercase
/// letters, digits and hyphens, starting with a letter, at most 32 characters.
pub fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && s.len() <= 32
        && !s.ends_with('-')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Unknown `{placeholders}` in a pattern.
fn unknown_placeholders(pattern: &str, known: &[&str]) -> Vec<String> {
    let re = regex::Regex::new(r"\{([^{}]*)\}").expect("static regex");
    re.captures_iter(pattern)
        .map(|c| c[1].to_string())
        .filter(|p| !known.contains(&p.as_str()))
        .collect()
}

/// Where a setting came from: the file and its text, so an error names the
/// file, the line and the key.
struct Source<'a> {
    text: &'a str,
    path: &'a Path,
}

type Span = std::ops::Range<usize>;

impl Source<'_> {
    fn line(&self, span: &Span) -> usize {
        line_of(self.text, span.start)
    }

    fn err(&self, span: Span, key: &str, message: String) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line: self.line(&span),
            key: key.to_string(),
            message,
        }
    }

    fn err_at(&self, line: usize, key: &str, message: String) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line,
            key: key.to_string(),
            message,
        }
    }
}

/// Where one app's settings came from, for errors found across apps.
struct AppLines {
    /// The key and line of the URL pattern it uses (its own, or the pool's).
    url: Option<(&'static str, usize)>,
    base_port: usize,
    /// Its `route` line, or the line of its table.
    route: usize,
}

impl RawSlots {
    /// Validate against the text the section came from (for line numbers).
    /// Checked in this order: the names, the pool's own settings, the deploy
    /// command, each app, then what involves several apps (port and URL
    /// clashes, routes).
    pub fn validate(mut self, text: &str, path: &Path) -> Result<SlotsConfig, ConfigError> {
        let src = Source { text, path };
        let Some(names) = self.names.take() else {
            return self.without_names(&src);
        };
        let names_span = names.span();
        let mut c = SlotsConfig {
            names: check_names(&src, names)?,
            ..SlotsConfig::default()
        };
        self.lease_and_step(&src, &mut c)?;
        let pool_url = self.pool_url(&src)?;
        self.places(&src, &mut c)?;
        if let Some(argv) = self.deploy.take() {
            c.deploy = check_deploy(&src, argv)?;
        }
        if self.apps.is_empty() {
            return Err(src.err(
                names_span,
                "slots.apps",
                "the pool has no apps; add at least one [[slots.apps]] table".into(),
            ));
        }
        let mut lines = Vec::new();
        for raw in std::mem::take(&mut self.apps) {
            let (app, from) = check_app(&src, raw, &pool_url, &c.apps)?;
            c.apps.push(app);
            lines.push(from);
        }
        check_across_apps(&src, &c, &lines)?;
        Ok(c)
    }

    /// No `names`: no pool, and no other key may be set (it would be
    /// silently ignored).
    fn without_names(self, src: &Source) -> Result<SlotsConfig, ConfigError> {
        if let Some(app) = self.apps.first() {
            return Err(src.err(
                app.span(),
                "slots.names",
                "apps are configured but no slot names (`names = [\"dev1\", \"dev2\"]`)".into(),
            ));
        }
        let set = [
            ("lease", self.lease.map(|v| v.span())),
            ("port_step", self.port_step.map(|v| v.span())),
            ("url", self.url.map(|v| v.span())),
            ("compose_project", self.compose_project.map(|v| v.span())),
            ("env_dir", self.env_dir.map(|v| v.span())),
            ("deploy", self.deploy.map(|v| v.span())),
            ("deploy_timeout", self.deploy_timeout.map(|v| v.span())),
            ("routing", self.routing.map(|v| v.span())),
        ];
        if let Some((key, Some(span))) = set.into_iter().find(|(_, s)| s.is_some()) {
            return Err(src.err(
                span,
                "slots.names",
                format!(
                    "`slots.{key}` is set but there are no slot names (`names = [\"dev1\", \"dev2\"]`)"
                ),
            ));
        }
        Ok(SlotsConfig::default())
    }

    /// `lease` and `port_step`.
    fn lease_and_step(&mut self, src: &Source, c: &mut SlotsConfig) -> Result<(), ConfigError> {
        if let Some(lease) = self.lease.take() {
            c.lease = Ttl::parse(lease.get_ref())
                .map_err(|e| src.err(lease.span(), "slots.lease", e.to_string()))?;
        }
        if let Some(step) = self.port_step.take() {
            let v = *step.get_ref();
            c.port_step = u16::try_from(v).ok().filter(|s| *s > 0).ok_or_else(|| {
                src.err(
                    step.span(),
                    "slots.port_step",
                    format!("{v} is not a port step (1 to 65535)"),
                )
            })?;
        }
        Ok(())
    }

    /// The pool's URL pattern (the default when unset) and its line.
    fn pool_url(&mut self, src: &Source) -> Result<(String, Option<usize>), ConfigError> {
        Ok(match self.url.take() {
            Some(u) => {
                check_url(u.get_ref()).map_err(|m| src.err(u.span(), "slots.url", m))?;
                let line = src.line(&u.span());
                (u.into_inner(), Some(line))
            }
            None => (DEFAULT_URL.to_string(), None),
        })
    }

    /// Where things go: `routing`, `compose_project`, `env_dir`, and how
    /// long a deploy may take (`deploy_timeout`).
    fn places(&mut self, src: &Source, c: &mut SlotsConfig) -> Result<(), ConfigError> {
        let err = |span: Span, key: &str, message: String| src.err(span, key, message);
        if let Some(r) = self.routing.take() {
            c.routing = validate_routing(r.into_inner(), &err)?;
        }
        if let Some(p) = self.compose_project.take() {
            check_project(p.get_ref()).map_err(|m| err(p.span(), "slots.compose_project", m))?;
            c.compose_project = p.into_inner();
        }
        if let Some(d) = self.env_dir.take() {
            crate::confined::check_relative(d.get_ref())
                .map_err(|e| err(d.span(), "slots.env_dir", e.to_string()))?;
            c.env_dir = d.into_inner();
        }
        if let Some(t) = self.deploy_timeout.take() {
            c.deploy_timeout = Some(super::runner::parse_timeout(t.get_ref()).map_err(|m| {
                err(
                    t.span(),
                    "slots.deploy_timeout",
                    format!("{:?}: {m}", t.get_ref()),
                )
            })?);
        }
        Ok(())
    }
}

/// `names`: a non-empty list of distinct slot names.
fn check_names(src: &Source, names: Spanned<Vec<String>>) -> Result<Vec<String>, ConfigError> {
    let span = names.span();
    let names = names.into_inner();
    if names.is_empty() {
        return Err(src.err(span, "slots.names", "the list is empty".into()));
    }
    for (i, n) in names.iter().enumerate() {
        if !valid_name(n) {
            return Err(src.err(
                span.clone(),
                "slots.names",
                format!(
                    "{n:?} is not a slot name (lowercase letters, digits and hyphens, starting with a letter, at most 32 characters)"
                ),
            ));
        }
        if names[..i].contains(n) {
            return Err(src.err(
                span.clone(),
                "slots.names",
                format!("{n:?} is listed twice"),
            ));
        }
    }
    Ok(names)
}

/// `deploy`: a program (inside the work tree when it is a path) and its
/// arguments, with known placeholders only.
fn check_deploy(src: &Source, argv: Spanned<Vec<String>>) -> Result<Vec<String>, ConfigError> {
    let v = argv.get_ref();
    if v.is_empty() || v[0].trim().is_empty() {
        return Err(src.err(
            argv.span(),
            "slots.deploy",
            "give the program and its arguments as a list, e.g. [\"./deploy.sh\", \"{env_file}\"]"
                .into(),
        ));
    }
    if v[0].contains('/') {
        crate::confined::check_relative(&v[0])
            .map_err(|e| src.err(argv.span(), "slots.deploy", format!("the program {e}")))?;
    }
    for a in v {
        let bad = unknown_placeholders(a, ARGV_PLACEHOLDERS);
        if !bad.is_empty() {
            return Err(src.err(
                argv.span(),
                "slots.deploy",
                format!(
                    "unknown placeholder {{{}}} (known: {})",
                    bad[0],
                    ARGV_PLACEHOLDERS
                        .iter()
                        .map(|p| format!("{{{p}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    Ok(argv.into_inner())
}

/// One `[[slots.apps]]` table, given the apps before it and the pool's URL
/// pattern (and its line); returns the app and where its settings came from.
fn check_app(
    src: &Source,
    raw: Spanned<RawApp>,
    pool_url: &(String, Option<usize>),
    before: &[App],
) -> Result<(App, AppLines), ConfigError> {
    let app_span = raw.span();
    let raw = raw.into_inner();
    let name = check_app_name(src, &raw.name, before)?;
    let port = |v: &Spanned<i64>, key: &str| {
        u16::try_from(*v.get_ref())
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| {
                src.err(
                    v.span(),
                    key,
                    format!("{} is not a port (1 to 65535)", v.get_ref()),
                )
            })
    };
    let internal_port = port(&raw.port, "slots.apps.port")?;
    let base_port = port(&raw.base_port, "slots.apps.base_port")?;
    let service = check_optional(
        src,
        raw.service,
        "slots.apps.service",
        valid_service,
        "a compose service name (letters, digits, `_`, `.`, `-`, starting with a letter or digit, at most 63 characters)",
    )?
    .unwrap_or_else(|| name.clone());
    let (url, url_key) = match raw.url {
        Some(u) => {
            check_url(u.get_ref()).map_err(|m| src.err(u.span(), "slots.apps.url", m))?;
            let line = src.line(&u.span());
            (u.into_inner(), Some(("slots.apps.url", line)))
        }
        None => (pool_url.0.clone(), pool_url.1.map(|l| ("slots.url", l))),
    };
    // Routed by default when a URL is configured for it, unless the URL
    // names the port (it then reaches the app directly).
    let route = match &raw.route {
        Some(r) => *r.get_ref(),
        None => url_key.is_some() && !url.contains("{port}"),
    };
    let lines = AppLines {
        url: url_key,
        base_port: src.line(&raw.base_port.span()),
        route: src.line(&raw.route.as_ref().map_or(app_span, |r| r.span())),
    };
    let image = check_optional(
        src,
        raw.image,
        "slots.apps.image",
        valid_image,
        "an image name without a tag (e.g. \"registry.example.com/shop/frontend\"); kickoff adds the tag",
    )?;
    let app = App {
        name,
        service,
        internal_port,
        base_port,
        url,
        route,
        strip_prefix: raw.strip_prefix.map(|s| s.into_inner()).unwrap_or(true),
        image,
    };
    Ok((app, lines))
}

/// An optional app setting that must pass `valid`; the error says it is
/// not `what`.
fn check_optional(
    src: &Source,
    value: Option<Spanned<String>>,
    key: &str,
    valid: fn(&str) -> bool,
    what: &str,
) -> Result<Option<String>, ConfigError> {
    match value {
        Some(v) if !valid(v.get_ref()) => {
            Err(src.err(v.span(), key, format!("{:?} is not {what}", v.get_ref())))
        }
        v => Ok(v.map(Spanned::into_inner)),
    }
}

/// An app's name: valid, and not another app's (nor one whose variables
/// would be another's: `web-app` and `web_app` both give `WEB_APP_*`).
fn check_app_name(
    src: &Source,
    name: &Spanned<String>,
    before: &[App],
) -> Result<String, ConfigError> {
    let n = name.get_ref();
    if !valid_name(n) {
        return Err(src.err(
            name.span(),
            "slots.apps.name",
            format!(
                "{n:?} is not an app name (lowercase letters, digits and hyphens, starting with a letter)"
            ),
        ));
    }
    if before.iter().any(|a| env_prefix(&a.name) == env_prefix(n)) {
        return Err(src.err(
            name.span(),
            "slots.apps.name",
            format!("app {n:?} is configured twice"),
        ));
    }
    Ok(n.clone())
}

/// What involves several apps: ports and URLs that clash between slots, and
/// the routes a proxy would serve.
fn check_across_apps(src: &Source, c: &SlotsConfig, lines: &[AppLines]) -> Result<(), ConfigError> {
    check_clashes(c).map_err(|(key, message, app)| {
        // A URL clash is the URL pattern's doing: name the line the app's
        // URL comes from (its own `url`, or the pool's).
        let (key, line) = match (key.as_str(), lines[app].url) {
            ("slots.url", Some((from, line))) => (from.to_string(), line),
            _ => (key, lines[app].base_port),
        };
        src.err_at(line, &key, message)
    })?;
    let url_set: Vec<bool> = lines.iter().map(|l| l.url.is_some()).collect();
    super::routes::check(c, &url_set).map_err(|p| {
        let (key, line) = match p.key {
            RouteKey::Url => lines[p.app].url.expect("a routed app has a URL"),
            RouteKey::Route => ("slots.apps.route", lines[p.app].route),
        };
        src.err_at(line, key, p.message)
    })
}

fn validate_routing(
    r: RawRouting,
    err: &dyn Fn(std::ops::Range<usize>, &str, String) -> ConfigError,
) -> Result<Routing, ConfigError> {
    let mut routing = Routing {
        configured: true,
        ..Routing::default()
    };
    if let Some(l) = r.listen {
        if l.get_ref().parse::<std::net::SocketAddr>().is_err() {
            return Err(err(
                l.span(),
                "slots.routing.listen",
                format!(
                    "{:?} is not an address and port (e.g. \"0.0.0.0:80\" or \"[::]:8080\")",
                    l.get_ref()
                ),
            ));
        }
        routing.listen = l.into_inner();
    }
    if let Some(u) = r.upstream {
        let v = u.get_ref();
        if v.parse::<std::net::Ipv4Addr>().is_err() && !super::routes::valid_host(v) {
            return Err(err(
                u.span(),
                "slots.routing.upstream",
                format!(
                    "{v:?} is not a host name or IPv4 address (give the host only; each app's port is added)"
                ),
            ));
        }
        routing.upstream = u.into_inner();
    }
    Ok(routing)
}

/// An image reference without tag or digest: lowercase path components
/// separated by `/`, optionally after a registry host with a port.
fn valid_image(s: &str) -> bool {
    let re = regex::Regex::new(
        r"^([a-zA-Z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$",
    )
    .expect("static regex");
    re.is_match(s)
}

fn check_url(pattern: &str) -> Result<(), String> {
    let bad = unknown_placeholders(pattern, URL_PLACEHOLDERS);
    if let Some(b) = bad.first() {
        return Err(format!(
            "unknown placeholder {{{b}}} in {pattern:?} (known: {{slot}}, {{app}}, {{service}}, {{port}}, {{n}})"
        ));
    }
    if !(pattern.starts_with("http://") || pattern.starts_with("https://")) {
        return Err(format!(
            "{pattern:?} does not start with http:// or https://"
        ));
    }
    if pattern.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{pattern:?} contains white space"));
    }
    // Every URL goes into the slot's env file as NAME='value'.
    if let Some(what) = super::envfile::value_problem(pattern) {
        return Err(format!(
            "{pattern:?} contains {what}, which an env file cannot hold"
        ));
    }
    Ok(())
}

/// Placeholders a compose project name may use; one of them must be there, so
/// that every slot is its own project.
const PROJECT_PLACEHOLDERS: &[&str] = &["slot", "n"];

/// A compose project pattern: lowercase letters, digits, `-`, `_`, and
/// `{slot}` or `{n}`, so that no two slots share a project (one slot's deploy
/// would replace the other's containers).
fn check_project(pattern: &str) -> Result<(), String> {
    let bad = unknown_placeholders(pattern, PROJECT_PLACEHOLDERS);
    let sample = pattern.replace("{slot}", "dev1").replace("{n}", "1");
    let chars_ok = sample
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && sample
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_".contains(c));
    if !bad.is_empty() || !chars_ok {
        return Err(format!(
            "{pattern:?} does not make a compose project name (lowercase letters, digits, `-`, `_`, starting with a letter or digit, and `{{slot}}`)"
        ));
    }
    if !pattern.contains("{slot}") && !pattern.contains("{n}") {
        return Err(format!(
            "{pattern:?} is the same project for every slot, so each slot's deploy would replace the others' containers; put `{{slot}}` in it, e.g. \"shop-{{slot}}\""
        ));
    }
    Ok(())
}

/// A docker compose service name (the host name other apps reach it by).
pub fn valid_service(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.len() <= 63
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// Every (slot, app) pair must get its own external port and its own URL.
/// On a clash: the key, the message and the index of the app that clashes.
fn check_clashes(c: &SlotsConfig) -> Result<(), (String, String, usize)> {
    let mut ports: BTreeMap<u16, (String, String, usize)> = BTreeMap::new();
    let mut urls: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (i, slot) in c.names.iter().enumerate() {
        for (ai, app) in c.apps.iter().enumerate() {
            let Some(port) = derive_port(app.base_port, c.port_step, i) else {
                return Err((
                    "slots.apps.base_port".into(),
                    format!(
                        "app {} in slot {slot} would get port {} + {i} x {}, beyond 65535",
                        app.name, app.base_port, c.port_step
                    ),
                    ai,
                ));
            };
            if let Some((s, a, other)) = ports.insert(port, (slot.clone(), app.name.clone(), ai)) {
                return Err((
                    "slots.apps.base_port".into(),
                    format!(
                        "port clash: {a} in {s} and {} in {slot} would both get port {port}; space the base ports at least {} x port_step ({}) apart",
                        app.name,
                        c.names.len(),
                        c.port_step
                    ),
                    ai.max(other),
                ));
            }
            let url = fill(&app.url, slot, i, app, port);
            if let Some((s, a)) = urls.insert(url.clone(), (slot.clone(), app.name.clone())) {
                return Err((
                    "slots.url".into(),
                    format!(
                        "URL clash: {a} in {s} and {} in {slot} would both be {url}; use {{slot}} and {{app}} (or {{port}}) in the pattern",
                        app.name
                    ),
                    ai,
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SlotsConfig, ConfigError> {
        #[derive(Deserialize)]
        struct W {
            slots: RawSlots,
        }
        let w: W = toml::from_str(text).unwrap();
        w.slots.validate(text, Path::new(".kickoff.toml"))
    }

    const POOL: &str = r#"[slots]
names = ["dev1", "dev2", "dev3", "dev4"]
port_step = 1
url = "https://{app}-{slot}.dev.example.com/"
deploy = ["./deploy.sh", "{env_file}"]

[[slots.apps]]
name = "frontend"
port = 3000
base_port = 3001

[[slots.apps]]
name = "spring"
service = "spring-api"
port = 8080
base_port = 8081

[[slots.apps]]
name = "django"
port = 8000
base_port = 9001
"#;

    #[test]
    fn ports_and_urls_derive_per_slot() {
        let c = parse(POOL).unwrap();
        let e = c.endpoints("dev3");
        assert_eq!(e[0].port, 3003);
        assert_eq!(e[1].port, 8083);
        assert_eq!(e[1].service, "spring-api");
        assert_eq!(e[2].url, "https://django-dev3.dev.example.com/");
        assert_eq!(c.project("dev3"), "dev3");
        assert_eq!(c.lease.to_string(), "3d");
    }

    #[test]
    fn port_clash_is_refused_with_its_line() {
        let text = POOL.replace("base_port = 8081", "base_port = 3003");
        let e = parse(&text).unwrap_err().to_string();
        assert!(e.contains("port clash"), "{e}");
        assert!(e.contains("3003"), "{e}");
        assert!(e.contains("slots.apps.base_port"), "{e}");
    }

    #[test]
    fn url_clash_and_bad_placeholders() {
        let text = POOL.replace("{app}-{slot}.dev", "{app}.dev");
        let e = parse(&text).unwrap_err().to_string();
        assert!(e.contains("URL clash"), "{e}");
        let text = POOL.replace("{app}-{slot}", "{application}");
        let e = parse(&text).unwrap_err().to_string();
        assert!(e.contains(".kickoff.toml:4:"), "{e}");
        assert!(e.contains("{application}"), "{e}");
        let text = POOL.replace("{env_file}", "{envfile}");
        assert!(parse(&text).unwrap_err().to_string().contains("{envfile}"));
    }

    #[test]
    fn path_prefix_urls() {
        let text = POOL.replace(
            "https://{app}-{slot}.dev.example.com/",
            "https://dev.example.com/{slot}/{app}/",
        );
        let c = parse(&text).unwrap();
        assert_eq!(
            c.endpoints("dev2")[0].url,
            "https://dev.example.com/dev2/frontend/"
        );
    }

    #[test]
    fn routing_section_and_app_keys() {
        let text = format!(
            "{POOL}\n[slots.routing]\nlisten = \"127.0.0.1:8080\"\nupstream = \"10.0.0.5\"\n"
        )
        .replace("base_port = 9001", "base_port = 9001\nroute = false")
        .replace("base_port = 3001", "base_port = 3001\nstrip_prefix = false\nimage = \"registry.example.com/shop/frontend\"");
        let c = parse(&text).unwrap();
        assert_eq!(c.routing.listen, "127.0.0.1:8080");
        assert_eq!(c.routing.upstream, "10.0.0.5");
        assert!(c.routing.configured);
        assert!(!c.apps[0].strip_prefix && c.apps[1].strip_prefix);
        assert!(c.apps[0].route && c.apps[1].route && !c.apps[2].route);
        assert_eq!(
            c.apps[0].image.as_deref(),
            Some("registry.example.com/shop/frontend")
        );
        // Defaults: routed when a URL is configured, unless it names the port.
        let c = parse(POOL).unwrap();
        assert_eq!(c.routing.listen, "0.0.0.0:80");
        assert!(!c.routing.configured);
        assert!(c.apps.iter().all(|a| a.route && a.strip_prefix));
        let c =
            parse(&POOL.replace("url = \"https://{app}-{slot}.dev.example.com/\"\n", "")).unwrap();
        assert!(c.apps.iter().all(|a| !a.route), "no URL, not routed");
        let c = parse(&POOL.replace("{app}-{slot}.dev.example.com/", "localhost:{port}/")).unwrap();
        assert!(
            c.apps.iter().all(|a| !a.route),
            "a URL by port is not routed"
        );
    }

    #[test]
    fn bad_routes_name_file_line_and_key() {
        let routing = |extra: &str| format!("{POOL}\n[slots.routing]\n{extra}\n");
        for (text, line, key, needle) in [
            // Two routes identical: the port is not part of a route.
            (
                POOL.replace(
                    "{app}-{slot}.dev.example.com/",
                    "{app}-{slot}.dev.example.com:{port}/",
                )
                .replace(
                    "base_port = 8081",
                    "base_port = 8081\nurl = \"https://x.example.com:{port}/\"\nroute = true",
                ),
                17,
                "slots.apps.url",
                "route clash",
            ),
            (
                POOL.replace(
                    "{app}-{slot}.dev.example.com/",
                    "dev.example.com/{slot}/{app}",
                ),
                4,
                "slots.url",
                "end it with /",
            ),
            (
                POOL.replace(
                    "{app}-{slot}.dev.example.com/",
                    "dev.example.com/{slot}/../{app}/",
                ),
                4,
                "slots.url",
                ". or ..",
            ),
            (
                POOL.replace(
                    "{app}-{slot}.dev.example.com/",
                    "{app}_{slot}.dev.example.com/",
                ),
                4,
                "slots.url",
                "not a valid host name",
            ),
            (
                POOL.replace("url = \"https://{app}-{slot}.dev.example.com/\"\n", "")
                    .replace("base_port = 8081", "base_port = 8081\nroute = true"),
                16,
                "slots.apps.route",
                "routed but has no URL",
            ),
            (
                routing("listen = \"80\""),
                24,
                "slots.routing.listen",
                "not an address",
            ),
            (
                routing("upstream = \"10.0.0.5:80\""),
                24,
                "slots.routing.upstream",
                "host name",
            ),
            (
                POOL.replace(
                    "base_port = 3001",
                    "base_port = 3001\nimage = \"shop/frontend:latest\"",
                ),
                11,
                "slots.apps.image",
                "without a tag",
            ),
        ] {
            let e = parse(&text).unwrap_err().to_string();
            assert!(
                e.starts_with(&format!(".kickoff.toml:{line}: invalid value for `{key}`")),
                "{e}\n{text}"
            );
            assert!(e.contains(needle), "{e}");
        }
        let e = parse("[slots.routing]\nlisten = \"0.0.0.0:80\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no slot names"), "{e}");
    }

    #[test]
    fn bad_values() {
        assert!(parse(&POOL.replace("\"dev4\"", "\"Dev 4\"")).is_err());
        assert!(parse(&POOL.replace("\"dev4\"", "\"dev1\"")).is_err());
        assert!(parse(&POOL.replace("base_port = 9001", "base_port = 65535")).is_err());
        assert!(parse(&POOL.replace("port_step = 1", "port_step = 0")).is_err());
        let e = parse(&POOL.replace("port_step = 1", "port_step = 1\nlease = \"forever\""))
            .unwrap_err()
            .to_string();
        assert!(e.contains("slots.lease"), "{e}");
        assert!(parse("[slots]\nnames = [\"dev1\"]\n").is_err());
    }
}
