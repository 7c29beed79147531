//! The one place that owns the async world: a small tokio runtime and the
//! octocrab client. Everything above it is synchronous: [`Client::send`]
//! blocks until GitHub answered, gave up, or the time ran out.
//!
//! What it adds to octocrab: a timeout per request; retries (three attempts,
//! short backoff) only for idempotent requests (GET, PUT, DELETE) and only for
//! transport errors and 502/503/504; and waiting on GitHub's rate limit when
//! the wait is short (`KICKOFF_GITHUB_MAX_WAIT` seconds, default 60), for any
//! request, since a rate-limited request was not carried out. It never follows
//! absolute URLs, so the token only ever goes to the configured API.

use super::error::GitHubError;
use super::token::Token;
use http::{HeaderMap, Method};
use std::time::Duration;

/// How long one request may take, connecting and reading included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const ATTEMPTS: u32 = 3;
const DEFAULT_MAX_WAIT: u64 = 60;

/// An answer from GitHub, whatever its status.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Response {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON (`Null` when empty).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Called with a message when the client waits (rate limit, retry).
pub type Notice = Box<dyn Fn(&str)>;

pub struct Client {
    runtime: tokio::runtime::Runtime,
    octocrab: octocrab::Octocrab,
    api_url: String,
    /// The API URL's path (`/api/v3` on Enterprise Server, empty on
    /// github.com): octocrab talks to the host, kickoff adds the prefix, so
    /// that GraphQL (`/api/graphql` there) is reachable on the same host.
    prefix: String,
    max_wait: Duration,
    request_timeout: Duration,
    notice: Option<Notice>,
}

impl Client {
    /// A client for the API at `api_url` (with any path prefix, such as
    /// `/api/v3`), authenticated with `token`.
    pub fn new(api_url: &str, token: &Token) -> Result<Client, GitHubError> {
        let (host, prefix) = split_api_url(api_url);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| GitHubError::Setup(format!("cannot start the network runtime: {e}")))?;
        let octocrab = {
            let _guard = runtime.enter();
            octocrab::Octocrab::builder()
                .base_uri(host)
                .map_err(|e| GitHubError::Setup(format!("invalid API URL {api_url}: {e}")))?
                .personal_token(token.expose().to_string())
                .add_header(
                    http::header::USER_AGENT,
                    concat!("kickoff/", env!("CARGO_PKG_VERSION")).to_string(),
                )
                .add_header(
                    http::HeaderName::from_static("x-github-api-version"),
                    "2022-11-28".to_string(),
                )
                .set_connect_timeout(Some(CONNECT_TIMEOUT))
                .set_read_timeout(Some(REQUEST_TIMEOUT))
                .set_write_timeout(Some(REQUEST_TIMEOUT))
                .build()
                .map_err(|e| GitHubError::Setup(format!("cannot set up the GitHub client: {e}")))?
        };
        let max_wait = std::env::var("KICKOFF_GITHUB_MAX_WAIT")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(DEFAULT_MAX_WAIT);
        Ok(Client {
            runtime,
            octocrab,
            api_url: api_url.to_string(),
            prefix,
            max_wait: Duration::from_secs(max_wait),
            request_timeout: REQUEST_TIMEOUT,
            notice: None,
        })
    }

    /// Report waits (rate limit, retries) through `notice`.
    pub fn with_notice(mut self, notice: Notice) -> Client {
        self.notice = Some(notice);
        self
    }

    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    fn note(&self, message: &str) {
        if let Some(n) = &self.notice {
            n(message);
        }
    }

    /// Send one request to `path` (relative to the API root, starting with
    /// `/`, already escaped) and return GitHub's answer, whatever its status.
    /// Errors are only for answers that never came.
    pub fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, GitHubError> {
        debug_assert!(path.starts_with('/'));
        self.send_on_host(method, &format!("{}{path}", self.prefix), body)
    }

    /// Send a GraphQL query (`POST /graphql`, or `/api/graphql` on
    /// Enterprise Server, whose REST API is under `/api/v3`). Not retried.
    pub fn graphql(&self, body: &serde_json::Value) -> Result<Response, GitHubError> {
        let path = match self.prefix.strip_suffix("/v3") {
            Some(api) if api.ends_with("/api") => format!("{api}/graphql"),
            _ => format!("{}/graphql", self.prefix),
        };
        self.send_on_host(Method::POST, &path, Some(body))
    }

    /// [`Client::send`] with a path from the host's root.
    fn send_on_host(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, GitHubError> {
        let idempotent = matches!(method, Method::GET | Method::PUT | Method::DELETE);
        let mut attempt = 1;
        let mut waits = 0;
        loop {
            let result = self.send_once(&method, path, body);
            let retry_after = match &result {
                Ok(r) => rate_limit_wait(r),
                Err(_) => None,
            };
            if let Some(wait) = retry_after {
                if wait <= self.max_wait && waits < 3 {
                    waits += 1;
                    self.note(&format!(
                        "GitHub's rate limit is reached; waiting {}s",
                        wait.as_secs()
                    ));
                    std::thread::sleep(wait);
                    continue;
                }
                return result;
            }
            let transient = match &result {
                Ok(r) => matches!(r.status, 502..=504),
                Err(e) => e.is_transport(),
            };
            if idempotent && transient && attempt < ATTEMPTS {
                std::thread::sleep(Duration::from_millis(200 * 3u64.pow(attempt - 1)));
                attempt += 1;
                continue;
            }
            return result;
        }
    }

    fn send_once(
        &self,
        method: &Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, GitHubError> {
        let request = format!("{method} {path}");
        let unreachable = |message: String| GitHubError::Unreachable {
            api: self.api_url.clone(),
            request: request.clone(),
            message,
        };
        let o = &self.octocrab;
        let call = async {
            let response = match *method {
                Method::GET => o._get(path).await,
                Method::POST => o._post(path, body).await,
                Method::PATCH => o._patch(path, body).await,
                Method::PUT => o._put(path, body).await,
                Method::DELETE => o._delete(path, body).await,
                _ => unreachable!("kickoff sends no {method} requests"),
            }
            .map_err(|e| unreachable(describe(&e)))?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = o
                .body_to_string(response)
                .await
                .map_err(|e| unreachable(describe(&e)))?;
            Ok(Response {
                status,
                headers,
                body,
            })
        };
        self.runtime
            .block_on(async { tokio::time::timeout(self.request_timeout, call).await })
            .unwrap_or_else(|_| {
                Err(unreachable(format!(
                    "no answer within {}s",
                    self.request_timeout.as_secs()
                )))
            })
    }
}

/// `https://ghe.example.com/api/v3` -> (`https://ghe.example.com`, `/api/v3`).
fn split_api_url(api_url: &str) -> (&str, String) {
    let url = api_url.trim_end_matches('/');
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => (
            &url[..after_scheme + i],
            url[after_scheme + i..].to_string(),
        ),
        None => (url, String::new()),
    }
}

/// The innermost cause of an octocrab error: "connection refused", not
/// "Service error".
fn describe(e: &octocrab::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = s.to_string();
        source = s.source();
    }
    text
}

/// How long to wait before retrying a rate-limited answer, if it is one:
/// `Retry-After`, or the time until `X-RateLimit-Reset` when none remain.
fn rate_limit_wait(r: &Response) -> Option<Duration> {
    if r.status != 403 && r.status != 429 {
        return None;
    }
    if let Some(secs) = r
        .header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Some(Duration::from_secs(secs));
    }
    if r.header("x-ratelimit-remaining") == Some("0") {
        let reset: i64 = r.header("x-ratelimit-reset")?.trim().parse().ok()?;
        let now = chrono::Utc::now().timestamp();
        return Some(Duration::from_secs((reset - now).max(0) as u64 + 1));
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_api_url_splits_into_host_and_prefix() {
        use super::split_api_url;
        assert_eq!(
            split_api_url("https://api.github.com"),
            ("https://api.github.com", String::new())
        );
        assert_eq!(
            split_api_url("https://ghe.example.com/api/v3/"),
            ("https://ghe.example.com", "/api/v3".to_string())
        );
        assert_eq!(
            split_api_url("http://127.0.0.1:8080/api/v3"),
            ("http://127.0.0.1:8080", "/api/v3".to_string())
        );
    }
}
