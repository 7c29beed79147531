//! What can go wrong talking to GitHub, with a hint for each case.

/// A GitHub request that could not be made or that GitHub refused.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// No `[github]` section: nothing talks to GitHub.
    #[error("GitHub is not configured for this repository")]
    NotConfigured,
    /// The repository cannot be told from the remote's URL.
    #[error("cannot tell the GitHub repository from remote `{remote}` ({url})")]
    NoRepository { remote: String, url: String },
    #[error("no GitHub token for {host}")]
    NoToken { host: String },
    /// The client could not be built.
    #[error("{0}")]
    Setup(String),
    /// No answer: connection refused, DNS, TLS, timeout.
    #[error("GitHub at {api} did not answer {request}: {message}")]
    Unreachable {
        api: String,
        request: String,
        message: String,
    },
    /// GitHub answered with an error status.
    #[error("GitHub refused {request}: {status} {message}")]
    Api {
        request: String,
        status: u16,
        message: String,
        /// `X-Accepted-OAuth-Scopes`: the scopes the request needs.
        accepted_scopes: Option<String>,
        /// The rate limit is exhausted (403/429 with no requests left).
        rate_limited: bool,
        repository: String,
    },
    /// GitHub answered 2xx with a body we cannot read.
    #[error("unexpected answer from GitHub to {request}: {message}")]
    Decode { request: String, message: String },
}

impl GitHubError {
    /// Whether the request never reached GitHub or got no answer.
    pub fn is_transport(&self) -> bool {
        matches!(self, GitHubError::Unreachable { .. })
    }

    /// The HTTP status GitHub answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            GitHubError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn hint(&self) -> Option<String> {
        Some(match self {
            GitHubError::NotConfigured => {
                "add a [github] section to .kickoff.toml (docs/github.md)".into()
            }
            GitHubError::NoRepository { .. } => {
                "set `repository = \"owner/name\"` in the [github] section of .kickoff.toml".into()
            }
            GitHubError::NoToken { host } => format!(
                "set KICKOFF_GITHUB_TOKEN (or GH_TOKEN), or log in with `gh auth login --hostname {host}`"
            ),
            GitHubError::Setup(_) => return None,
            GitHubError::Unreachable { .. } => {
                "check the network and `api_url` in [github] (or KICKOFF_GITHUB_API_URL), then try again".into()
            }
            GitHubError::Decode { .. } => "check `api_url`: it must be GitHub's REST API".into(),
            GitHubError::Api {
                status,
                accepted_scopes,
                rate_limited,
                repository,
                ..
            } => match status {
                _ if *rate_limited => {
                    "GitHub's rate limit is used up: try again after it resets (`kickoff github status` shows when)".into()
                }
                401 => "the token is invalid or expired: create a new one, or run `gh auth login` again".into(),
                403 => match accepted_scopes.as_deref().filter(|s| !s.is_empty()) {
                    Some(scopes) => format!(
                        "the token lacks a scope this needs ({scopes}): add it, or use a token with `repo` scope"
                    ),
                    None => "the token lacks a permission: it needs `repo` scope (classic) or write access to contents, pull requests, deployments and commit statuses (fine-grained)".into(),
                },
                404 => format!(
                    "GitHub does not show {repository} to this token: check `repository` in [github] and that the token can access it"
                ),
                405 => "GitHub will not merge it yet (conflicts, required checks or reviews missing): see the pull request on GitHub".into(),
                409 => "the branch moved on GitHub since kickoff looked: fetch, check what came in, and run again".into(),
                422 => "GitHub rejected the request's content (see its message): check that the branches and the commit are on GitHub (`git push`)".into(),
                500..=599 => "GitHub had an error: try again later".into(),
                _ => return None,
            },
        })
    }
}
