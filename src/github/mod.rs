//! The GitHub mirror: the only place that talks to GitHub.
//!
//! Git holds the truth (branches, platform tags, `refs/kickoff/state`); GitHub
//! shows it where the team looks: pull requests, releases, deployments and
//! commit statuses. Commands call the domain verbs of [`GitHub`] (`open_pull_request`,
//! `publish_release`, ...); none of them sees HTTP or octocrab, which live in
//! [`client`]. A GitHub failure never changes git work: commands that mirror
//! as a side effect turn a [`GitHubError`] into a warning.

pub mod api;
pub mod client;
pub mod config;
pub mod error;
pub mod mirror;
pub mod token;

pub use config::{GitHubConfig, RawGitHub, RepoSlug};
pub use error::GitHubError;
pub use token::TokenSource;

use client::{Client, Notice, Response};
use http::Method;

/// Where GitHub is for this repository.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Target {
    /// The web host (`github.com`, `ghe.example.com`).
    pub host: String,
    /// The REST API root, without a trailing `/`.
    pub api_url: String,
    /// Where the API URL came from: "KICKOFF_GITHUB_API_URL", ".kickoff.toml"
    /// or "host".
    pub api_url_from: &'static str,
    pub repository: RepoSlug,
    /// GitHub Enterprise (Server or Cloud), not github.com.
    pub enterprise: bool,
}

impl serde::Serialize for RepoSlug {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Decide where GitHub is from the `[github]` section, the remote's URL (after
/// `insteadOf`, `None` when the remote does not exist) and the value of
/// `KICKOFF_GITHUB_API_URL`. Pure: no environment, no network.
pub fn resolve_target(
    config: &GitHubConfig,
    remote: &str,
    remote_url: Option<&str>,
    api_url_env: Option<&str>,
) -> Result<Target, GitHubError> {
    let location = remote_url.and_then(config::parse_remote_url);
    let repository = match (&config.repository, &location) {
        (Some(r), _) => r.clone(),
        (None, Some(l)) => l.repository.clone(),
        (None, None) => {
            return Err(GitHubError::NoRepository {
                remote: remote.to_string(),
                url: remote_url.unwrap_or("it does not exist").to_string(),
            });
        }
    };
    let env = api_url_env.map(str::trim).filter(|v| !v.is_empty());
    let (api_url, api_url_from) = match (env, &config.api_url, &location) {
        (Some(url), _, _) => {
            let url = config::check_http_url(url).map_err(|m| {
                GitHubError::Setup(format!("{} = {url:?} {m}", config::API_URL_ENV))
            })?;
            (url.to_string(), config::API_URL_ENV)
        }
        (None, Some(url), _) => (url.clone(), ".kickoff.toml"),
        (None, None, Some(l)) => (
            config::default_api_url(&l.host, l.scheme.as_deref()),
            "host",
        ),
        (None, None, None) => (config::default_api_url("github.com", None), "host"),
    };
    // The host names the token; the remote knows it best, the API URL otherwise.
    let authority = match &location {
        Some(l) => l.host.clone(),
        None => config::host_of_api_url(&api_url),
    };
    // `gh` and the token variables know a host by its name, without a port.
    let host = authority
        .split(':')
        .next()
        .unwrap_or(&authority)
        .to_string();
    Ok(Target {
        enterprise: config::is_enterprise(&host),
        host,
        api_url,
        api_url_from,
        repository,
    })
}

/// A connection to one repository on GitHub.
pub struct GitHub {
    pub target: Target,
    pub token_source: TokenSource,
    client: Client,
}

impl GitHub {
    /// Find the token for the target's host and set up the client.
    pub fn connect(target: Target) -> Result<GitHub, GitHubError> {
        let (token, token_source) =
            token::discover(&target.host, target.enterprise).ok_or_else(|| {
                GitHubError::NoToken {
                    host: target.host.clone(),
                }
            })?;
        let client = Client::new(&target.api_url, &token)?;
        Ok(GitHub {
            target,
            token_source,
            client,
        })
    }

    /// Report waits (rate limit) through `notice`.
    pub fn with_notice(mut self, notice: Notice) -> GitHub {
        self.client = self.client.with_notice(notice);
        self
    }

    /// `/repos/OWNER/NAME` followed by `rest`.
    fn repo_path(&self, rest: &str) -> String {
        format!(
            "/repos/{}/{}{rest}",
            escape(&self.target.repository.owner),
            escape(&self.target.repository.name)
        )
    }

    /// Send a request; a non-2xx answer becomes [`GitHubError::Api`].
    fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, GitHubError> {
        let request = format!("{method} {path}");
        let response = self.client.send(method, path, body)?;
        if response.ok() {
            Ok(response)
        } else {
            Err(self.api_error(request, &response))
        }
    }

    /// Like [`GitHub::call`], but a 404 is `None` (a lookup that found nothing).
    fn lookup(&self, path: &str) -> Result<Option<Response>, GitHubError> {
        let response = self.client.send(Method::GET, path, None)?;
        match response.status {
            404 => Ok(None),
            _ if response.ok() => Ok(Some(response)),
            _ => Err(self.api_error(format!("GET {path}"), &response)),
        }
    }

    fn api_error(&self, request: String, r: &Response) -> GitHubError {
        let body = r.json();
        let mut message = body
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or("")
            .to_string();
        if message.is_empty() {
            message = http::StatusCode::from_u16(r.status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("error")
                .to_string();
        }
        // 422: GitHub lists what it rejected, field by field.
        let details: Vec<String> = body
            .get("errors")
            .and_then(|e| e.as_array())
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| match e {
                        serde_json::Value::String(s) => s.clone(),
                        _ => e
                            .get("message")
                            .and_then(|m| m.as_str())
                            .map(str::to_string)
                            .unwrap_or_else(|| {
                                let field = e.get("field").and_then(|f| f.as_str());
                                let code = e.get("code").and_then(|c| c.as_str());
                                format!("{} {}", field.unwrap_or("?"), code.unwrap_or("invalid"))
                            }),
                    })
                    .collect()
            })
            .unwrap_or_default();
        if !details.is_empty() {
            message = format!("{message} ({})", details.join("; "));
        }
        GitHubError::Api {
            request,
            status: r.status,
            message,
            accepted_scopes: r.header("x-accepted-oauth-scopes").map(str::to_string),
            rate_limited: (r.status == 403 || r.status == 429)
                && (r.header("x-ratelimit-remaining") == Some("0")
                    || r.header("retry-after").is_some()),
            repository: self.target.repository.to_string(),
        }
    }
}

/// Percent-escape one path segment or query value: everything but the
/// unreserved characters, so `platform/v1.0.0` becomes `platform%2Fv1.0.0`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode<T: serde::de::DeserializeOwned>(
    request: &str,
    response: &Response,
) -> Result<T, GitHubError> {
    serde_json::from_str(&response.body).map_err(|e| GitHubError::Decode {
        request: request.to_string(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(repo: Option<&str>, api: Option<&str>) -> GitHubConfig {
        GitHubConfig {
            repository: repo.map(|r| RepoSlug::parse(r).unwrap()),
            api_url: api.map(str::to_string),
            ..GitHubConfig::default()
        }
    }

    #[test]
    fn target_from_remote() {
        let t = resolve_target(
            &cfg(None, None),
            "origin",
            Some("git@github.com:acme/shop.git"),
            None,
        )
        .unwrap();
        assert_eq!(t.repository.to_string(), "acme/shop");
        assert_eq!(t.api_url, "https://api.github.com");
        assert_eq!(t.host, "github.com");
        assert!(!t.enterprise);
        let t = resolve_target(
            &cfg(None, None),
            "origin",
            Some("https://ghe.example.com/acme/shop.git"),
            None,
        )
        .unwrap();
        assert_eq!(t.api_url, "https://ghe.example.com/api/v3");
        assert!(t.enterprise);
    }

    #[test]
    fn config_and_environment_override() {
        let t = resolve_target(
            &cfg(Some("acme/web"), Some("https://ghe.example.com/api/v3")),
            "origin",
            Some("/srv/git/origin.git"),
            None,
        )
        .unwrap();
        assert_eq!(t.repository.to_string(), "acme/web");
        assert_eq!(t.host, "ghe.example.com");
        assert_eq!(t.api_url_from, ".kickoff.toml");
        let t = resolve_target(
            &cfg(None, None),
            "origin",
            Some("git@github.com:acme/shop.git"),
            Some("http://127.0.0.1:9/"),
        )
        .unwrap();
        assert_eq!(t.api_url, "http://127.0.0.1:9");
        assert_eq!(t.host, "github.com", "the remote names the host");
        let e = resolve_target(&cfg(None, None), "origin", Some("/srv/x.git"), None).unwrap_err();
        assert!(matches!(e, GitHubError::NoRepository { .. }));
        assert!(resolve_target(&cfg(Some("a/b"), None), "origin", None, Some("ftp://x")).is_err());
    }

    #[test]
    fn escaping() {
        assert_eq!(escape("platform/v1.2.3-rc.1"), "platform%2Fv1.2.3-rc.1");
        assert_eq!(escape("acme:feature/X-1"), "acme%3Afeature%2FX-1");
    }
}
