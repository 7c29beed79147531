//! The `[github]` section of `.kickoff.toml` and where GitHub is: the
//! repository (`owner/name`), the host and the REST API URL.
//!
//! Without the section nothing talks to GitHub. The repository and the API URL
//! default to what the remote's URL says; `KICKOFF_GITHUB_API_URL` overrides the
//! API URL (a proxy, a test server). A token is never read from here.

use crate::config_error::ConfigError;
use serde::Deserialize;
use std::path::Path;

/// The environment variable that overrides the API URL.
pub const API_URL_ENV: &str = "KICKOFF_GITHUB_API_URL";

/// `[github]` as written in the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGitHub {
    repository: Option<String>,
    api_url: Option<String>,
    releases: Option<bool>,
    deployments: Option<bool>,
    ticket_url: Option<String>,
}

/// `[github]` after validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitHubConfig {
    /// `owner/name`; `None`: taken from the remote's URL.
    pub repository: Option<RepoSlug>,
    /// The REST API root; `None`: derived from the host.
    pub api_url: Option<String>,
    /// `kickoff release` publishes a GitHub Release.
    pub releases: bool,
    /// `kickoff deploy` mirrors to GitHub Deployments.
    pub deployments: bool,
    /// A link for each ticket, with `{ticket}` where the key goes.
    pub ticket_url: Option<String>,
}

/// A repository on GitHub: `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSlug {
    pub owner: String,
    pub name: String,
}

impl std::fmt::Display for RepoSlug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

impl RepoSlug {
    /// `owner/name` with GitHub's characters: owner letters, digits and
    /// hyphens; name letters, digits, `.`, `_` and `-` (not `.` or `..`).
    pub fn parse(text: &str) -> Option<RepoSlug> {
        let (owner, name) = text.split_once('/')?;
        let owner_ok = !owner.is_empty()
            && owner.len() <= 39
            && !owner.starts_with('-')
            && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        let name_ok = !name.is_empty()
            && name.len() <= 100
            && name != "."
            && name != ".."
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        (owner_ok && name_ok).then(|| RepoSlug {
            owner: owner.to_string(),
            name: name.to_string(),
        })
    }
}

impl RawGitHub {
    /// Validate the section; errors name the file, the line and the key.
    pub fn validate(self, text: &str, path: &Path) -> Result<GitHubConfig, ConfigError> {
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            line: crate::config_error::key_line(text, "github", key),
            key: format!("github.{key}"),
            message,
        };
        let repository = match self.repository {
            None => None,
            Some(r) => Some(RepoSlug::parse(&r).ok_or_else(|| {
                invalid(
                    "repository",
                    format!("{r:?} is not `owner/name` (for example \"acme/shop\")"),
                )
            })?),
        };
        let api_url = match self.api_url {
            None => None,
            Some(u) => Some(
                check_http_url(&u)
                    .map_err(|m| invalid("api_url", format!("{u:?} {m}")))?
                    .to_string(),
            ),
        };
        if let Some(t) = &self.ticket_url {
            check_http_url(t).map_err(|m| invalid("ticket_url", format!("{t:?} {m}")))?;
            if !t.contains("{ticket}") {
                return Err(invalid(
                    "ticket_url",
                    format!("{t:?} has no `{{ticket}}` where the ticket key goes"),
                ));
            }
        }
        Ok(GitHubConfig {
            repository,
            api_url,
            releases: self.releases.unwrap_or(false),
            deployments: self.deployments.unwrap_or(false),
            ticket_url: self.ticket_url,
        })
    }
}

/// An absolute http(s) URL with a host; returns it without a trailing `/`.
pub fn check_http_url(url: &str) -> Result<&str, &'static str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("is not an http:// or https:// URL")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains(char::is_whitespace) || host.contains('@') {
        return Err("has no host (or carries credentials)");
    }
    if url.contains(char::is_whitespace) {
        return Err("contains white space");
    }
    Ok(url.trim_end_matches('/'))
}

/// What a remote's URL says about GitHub: the host and `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteLocation {
    pub host: String,
    /// `http` or `https` when the remote is an http(s) URL.
    pub scheme: Option<String>,
    pub repository: RepoSlug,
}

/// Parse a remote URL as git understands it (after `insteadOf`): https and http
/// (with or without a user), `ssh://[user@]host[:port]/owner/name`, `git://`,
/// and scp-like `[user@]host:owner/name`. A trailing `.git` or `/` is dropped.
/// Local paths and `file://` URLs are not on GitHub: `None`.
pub fn parse_remote_url(url: &str) -> Option<RemoteLocation> {
    let url = url.trim();
    let (scheme, rest) = match url.split_once("://") {
        Some((s, rest)) => (Some(s.to_ascii_lowercase()), rest),
        None => (None, url),
    };
    let (host, path) = match scheme.as_deref() {
        Some("http" | "https" | "ssh" | "git" | "git+ssh" | "ssh+git") => {
            let (authority, path) = rest.split_once('/')?;
            let host = authority.rsplit('@').next()?;
            // A port belongs to ssh or to the web server, not to the host name
            // GitHub Enterprise is known by, except for http(s) where it does.
            let host = if scheme.as_deref().is_some_and(|s| s.starts_with("http")) {
                host
            } else {
                host.split(':').next()?
            };
            (host, path)
        }
        Some(_) => return None,
        None => {
            // scp-like: [user@]host:path, where the host part has no slash.
            let (left, path) = url.split_once(':')?;
            if left.contains('/') || left.is_empty() || path.starts_with("//") {
                return None;
            }
            (left.rsplit('@').next()?, path)
        }
    };
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let repository = RepoSlug::parse(path)?;
    if host.is_empty() {
        return None;
    }
    Some(RemoteLocation {
        host: host.to_ascii_lowercase(),
        scheme: scheme.filter(|s| s == "http" || s == "https"),
        repository,
    })
}

/// The REST API root for a host: `https://api.github.com` for github.com,
/// `https://api.HOST` for GitHub Enterprise Cloud (`*.ghe.com`), and
/// `https://HOST/api/v3` for GitHub Enterprise Server.
pub fn default_api_url(host: &str, scheme: Option<&str>) -> String {
    if host == "github.com" || host == "www.github.com" {
        "https://api.github.com".into()
    } else if host.ends_with(".ghe.com") {
        format!("https://api.{host}")
    } else {
        format!("{}://{host}/api/v3", scheme.unwrap_or("https"))
    }
}

/// The web host an API URL belongs to (for token lookup): the inverse of
/// [`default_api_url`].
pub fn host_of_api_url(api_url: &str) -> String {
    let rest = api_url.split_once("://").map_or(api_url, |(_, r)| r);
    let host = rest.split('/').next().unwrap_or(rest).to_ascii_lowercase();
    if host == "api.github.com" {
        "github.com".into()
    } else if let Some(h) = host
        .strip_prefix("api.")
        .filter(|h| h.ends_with(".ghe.com"))
    {
        h.to_string()
    } else {
        host
    }
}

/// Whether a host is GitHub Enterprise (Server or Cloud), not github.com.
pub fn is_enterprise(host: &str) -> bool {
    host != "github.com" && host != "www.github.com"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(url: &str) -> Option<(String, String)> {
        parse_remote_url(url).map(|l| (l.host, l.repository.to_string()))
    }

    #[test]
    fn remote_urls() {
        let gh = Some(("github.com".to_string(), "acme/shop".to_string()));
        assert_eq!(loc("https://github.com/acme/shop.git"), gh);
        assert_eq!(loc("https://github.com/acme/shop"), gh);
        assert_eq!(loc("https://github.com/acme/shop/"), gh);
        assert_eq!(loc("https://ada@github.com/acme/shop.git"), gh);
        assert_eq!(loc("git@github.com:acme/shop.git"), gh);
        assert_eq!(loc("github.com:acme/shop"), gh);
        assert_eq!(loc("ssh://git@github.com/acme/shop.git"), gh);
        assert_eq!(loc("ssh://git@github.com:22/acme/shop.git"), gh);
        assert_eq!(loc("git://github.com/acme/shop.git"), gh);
        assert_eq!(
            loc("https://ghe.example.com:8443/acme/my.repo.git"),
            Some(("ghe.example.com:8443".into(), "acme/my.repo".into()))
        );
        assert_eq!(loc("/srv/git/shop.git"), None);
        assert_eq!(loc("../origin.git"), None);
        assert_eq!(loc("file:///srv/acme/shop.git"), None);
        assert_eq!(loc("https://github.com/acme"), None);
        assert_eq!(loc("https://github.com/acme/shop/extra"), None);
        assert_eq!(loc("C:/repos/acme/shop"), None);
    }

    #[test]
    fn api_urls_by_host() {
        assert_eq!(
            default_api_url("github.com", None),
            "https://api.github.com"
        );
        assert_eq!(
            default_api_url("ghe.example.com", None),
            "https://ghe.example.com/api/v3"
        );
        assert_eq!(
            default_api_url("ghe.example.com", Some("http")),
            "http://ghe.example.com/api/v3"
        );
        assert_eq!(
            default_api_url("acme.ghe.com", None),
            "https://api.acme.ghe.com"
        );
        assert_eq!(host_of_api_url("https://api.github.com"), "github.com");
        assert_eq!(host_of_api_url("https://api.acme.ghe.com"), "acme.ghe.com");
        assert_eq!(
            host_of_api_url("http://127.0.0.1:8080/api/v3"),
            "127.0.0.1:8080"
        );
        assert!(!is_enterprise("github.com"));
        assert!(is_enterprise("acme.ghe.com"));
    }

    #[test]
    fn slugs() {
        assert!(RepoSlug::parse("acme/shop").is_some());
        assert!(RepoSlug::parse("a-b/c.d_e-f").is_some());
        for bad in [
            "acme",
            "acme/",
            "/shop",
            "a/b/c",
            "ac me/shop",
            "-a/b",
            "a/..",
            "a/b c",
        ] {
            assert!(RepoSlug::parse(bad).is_none(), "{bad}");
        }
    }

    fn validate(text: &str) -> Result<GitHubConfig, ConfigError> {
        let raw: toml::Value = toml::from_str(text).unwrap();
        let section = raw.get("github").cloned().unwrap();
        let raw: RawGitHub = section.try_into().unwrap();
        raw.validate(text, Path::new(".kickoff.toml"))
    }

    #[test]
    fn section_values() {
        let c = validate(
            "[github]\nrepository = \"acme/shop\"\napi_url = \"https://ghe.example.com/api/v3/\"\nreleases = true\n",
        )
        .unwrap();
        assert_eq!(c.repository.unwrap().to_string(), "acme/shop");
        assert_eq!(c.api_url.as_deref(), Some("https://ghe.example.com/api/v3"));
        assert!(c.releases && !c.deployments);
        let e = validate("[github]\n\nrepository = \"shop\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(".kickoff.toml:3: invalid value for `github.repository`"),
            "{e}"
        );
        let e = validate("[github]\napi_url = \"ftp://x\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(".kickoff.toml:2: invalid value for `github.api_url`"),
            "{e}"
        );
        let e = validate("[github]\nticket_url = \"https://jira.example.com/\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("github.ticket_url") && e.contains("{ticket}"),
            "{e}"
        );
    }
}
