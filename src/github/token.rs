//! Finding the GitHub token: environment variables first, then the `gh` CLI.
//!
//! Order: `KICKOFF_GITHUB_TOKEN`, `GH_TOKEN`, `GITHUB_TOKEN`; for an Enterprise
//! host `GH_ENTERPRISE_TOKEN` and `GITHUB_ENTERPRISE_TOKEN` come before the
//! last two; then `gh auth token --hostname HOST` when `gh` is installed. The
//! token is never read from `.kickoff.toml`, never printed (its `Debug` and
//! `Display` are redacted), never written anywhere and never put in a URL:
//! it only goes into the `Authorization` header.

use std::process::{Command, Stdio};

/// A secret token. Only [`Token::expose`] shows the value.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

/// Where the token came from: an environment variable or `gh`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum TokenSource {
    Env(String),
    GhCli,
}

impl std::fmt::Display for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::Env(name) => write!(f, "environment variable {name}"),
            TokenSource::GhCli => f.write_str("`gh auth token`"),
        }
    }
}

/// The environment variables consulted for `host`, in order.
pub fn env_order(enterprise: bool) -> Vec<&'static str> {
    let mut names = vec!["KICKOFF_GITHUB_TOKEN"];
    if enterprise {
        names.extend(["GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN"]);
    }
    names.extend(["GH_TOKEN", "GITHUB_TOKEN"]);
    names
}

/// Find the token for `host` (`enterprise`: not github.com).
pub fn discover(host: &str, enterprise: bool) -> Option<(Token, TokenSource)> {
    for name in env_order(enterprise) {
        if let Ok(value) = std::env::var(name) {
            let value = value.trim();
            if !value.is_empty() {
                return Some((Token(value.to_string()), TokenSource::Env(name.into())));
            }
        }
    }
    from_gh(host).map(|t| (t, TokenSource::GhCli))
}

/// `gh auth token --hostname HOST`; `None` when gh is missing or has no login.
fn from_gh(host: &str) -> Option<Token> {
    let out = Command::new("gh")
        .args(["auth", "token", "--hostname", host])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let token = String::from_utf8(out.stdout).ok()?;
    let token = token.trim();
    (!token.is_empty() && !token.contains(char::is_whitespace)).then(|| Token(token.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_puts_enterprise_variables_before_the_generic_ones() {
        assert_eq!(
            env_order(false),
            ["KICKOFF_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN"]
        );
        assert_eq!(
            env_order(true),
            [
                "KICKOFF_GITHUB_TOKEN",
                "GH_ENTERPRISE_TOKEN",
                "GITHUB_ENTERPRISE_TOKEN",
                "GH_TOKEN",
                "GITHUB_TOKEN"
            ]
        );
    }

    #[test]
    fn debug_never_shows_the_token() {
        let t = Token("ghp_secret".into());
        assert_eq!(format!("{t:?}"), "Token(***)");
    }
}
