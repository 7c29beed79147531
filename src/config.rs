//! `.kickoff.toml`: the team's settings, committed at the top of the repository.
//!
//! Without the file every default applies. A malformed file, an unknown key or
//! an invalid value is an error naming the file, the line and the key; nothing
//! is guessed. `kickoff init` writes [`TEMPLATE`], which lists every setting
//! with its default.

use crate::hook::{BranchPattern, ConflictMode, HookConfig};
use crate::naming::TicketPattern;
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub use crate::config_error::{ConfigError, FILE_NAME};
use crate::config_error::{key_line, line_of};

/// Every setting, after defaults and validation.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the settings came from (`None`: built-in defaults).
    pub path: Option<PathBuf>,
    pub main_branch: String,
    pub remote: String,
    /// Whether `new` and `feature` push the branch they create.
    pub push: bool,
    pub ticket_pattern: TicketPattern,
    pub feature_prefix: String,
    /// `[hook]`: the pre-push policy.
    pub hook: HookConfig,
    /// The QA slot pool (`[slots]`); empty when not configured.
    pub slots: crate::slots::config::SlotsConfig,
    /// `[github]`: the GitHub mirror; `None` when the section is absent.
    pub github: Option<crate::github::GitHubConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    core: RawCore,
    #[serde(default)]
    naming: RawNaming,
    #[serde(default)]
    hook: RawHook,
    #[serde(default)]
    slots: crate::slots::config::RawSlots,
    github: Option<crate::github::RawGitHub>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCore {
    main_branch: Option<String>,
    remote: Option<String>,
    push: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNaming {
    ticket_pattern: Option<String>,
    feature_prefix: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHook {
    check_branch_names: Option<bool>,
    allow_branches: Option<Vec<String>>,
    allow_main_push: Option<bool>,
    allow_kickoff_rewrite: Option<bool>,
    conflicts: Option<String>,
    refresh_after: Option<String>,
}

/// The file `kickoff init` writes: every setting, commented, at its default.
pub const TEMPLATE: &str = r#"# kickoff settings. Every key is shown with its default; delete what you do not change.
# Reference: docs/config.md

[core]
# The trunk every kickoff is cut from and lands in.
main_branch = "main"
# The shared remote: fetched before branches are cut, pushed to after.
remote = "origin"
# Whether `kickoff new` and `kickoff feature` push the branch they create and
# `kickoff sync` pushes the merged kickoff (each also takes --no-push / --push).
push = true

[naming]
# A regular expression for ticket keys, used in feature branch names and
# found in commit messages.
ticket_pattern = "[A-Z][A-Z0-9]+-[0-9]+"
# Feature branches are <feature_prefix><TICKET>[-slug].
feature_prefix = "feature/"

[hook]
# The pre-push hook (`kickoff hook install`); docs/hook.md has the rules.
# Refuse branches that are not main, kickoff-YYMMDD-summary or a feature branch.
check_branch_names = true
# More branch names to accept: globs (`*` within a path segment, `**` across)
# or regular expressions written "re:<regex>", e.g. ["release/*", "re:^hotfix-[0-9]+$"].
allow_branches = []
# Allow pushing straight to main (`kickoff land` always may: it sets KICKOFF_LAND=1).
allow_main_push = false
# Allow force-pushing (non-fast-forward updates) and deleting kickoff branches.
allow_kickoff_rewrite = false
# Conflicts found when a kickoff is pushed: "warn" (report them), "block"
# (refuse the push) or "off" (do not check).
conflicts = "warn"
# In "block" mode, fetch the kickoff branches first (one fetch) when the
# remote-tracking ones are older than this (s, m or h).
refresh_after = "10m"

# GitHub mirror (docs/github.md): pull requests and releases. Without
# this section nothing talks to GitHub. The token comes from the environment
# (KICKOFF_GITHUB_TOKEN, GH_TOKEN, GITHUB_TOKEN) or `gh auth token`, never from here.
#
# [github]
# # Default: parsed from the remote's URL.
# repository = "owner/name"
# # Default: https://api.github.com, https://HOST/api/v3 (Enterprise Server),
# # https://api.HOST (*.ghe.com); KICKOFF_GITHUB_API_URL overrides it.
# api_url = "https://api.github.com"
# # `kickoff release` publishes a GitHub Release for the platform tag.
# releases = false
# # Reserved for mirroring `kickoff deploy` to GitHub Deployments.
# deployments = false
# # A link for each ticket in pull request bodies.
# ticket_url = "https://jira.example.com/browse/{ticket}"

# QA slots: the pool of shared dev environments (docs/slots.md). Without
# `names` there is no pool. An example pool of four slots and three apps:
#
# [slots]
# names = ["dev1", "dev2", "dev3", "dev4"]
# # Default lease time of `kickoff slot claim` and `kickoff deploy` (m, h, d, w).
# lease = "3d"
# # App a in the slot at position i (0-based) gets port a.base_port + i * port_step.
# port_step = 1
# # URL of each app in each slot: by host name or by path prefix. Placeholders:
# # {slot} {app} {service} {port} {n} (slot number from 1). Apps may override it.
# url = "https://{app}-{slot}.dev.example.com/"
# # The docker compose project name of a slot ({slot}).
# compose_project = "{slot}"
# # Where `kickoff deploy` writes <slot>.env and the compose override
# # <slot>.compose.yml, relative to the top of the work tree.
# env_dir = ".git/kickoff/env"
# # The deploy command, as a program and its arguments (no shell). Placeholders:
# # {slot} {kickoff} {commit} {env_file} {project} {image_tag} {compose_file}.
# deploy = ["./deploy.sh", "{env_file}"]
# # Or one compose file for every slot, with the override kickoff writes
# # (`kickoff init --compose` sets this up, routed by path):
# # deploy = ["docker", "compose", "-f", "compose.yml", "-f", "{compose_file}", "--env-file", "{env_file}", "up", "-d"]
#
# # The reverse proxy `kickoff slot routes` writes (nginx, caddy, haproxy, json).
# [slots.routing]
# # Where the proxy listens.
# listen = "0.0.0.0:80"
# # The host the slots' ports are on, as the proxy reaches them.
# upstream = "127.0.0.1"
#
# [[slots.apps]]
# name = "frontend"       # also the compose service unless `service` is set
# port = 3000             # the port inside the container
# base_port = 3001        # the external port in the first slot
# # route = true          # routed by the proxy (default when a URL is set); false: internal only
# # strip_prefix = true   # path routing: the app sees /x for /dev2/frontend/x (false: the whole path)
# # image = "registry.example.com/shop/frontend"   # the compose override runs <image>:<image tag>
#
# [[slots.apps]]
# name = "spring"
# port = 8080
# base_port = 8081
#
# [[slots.apps]]
# name = "django"
# port = 8000
# base_port = 9001
"#;

/// The pool `kickoff init --compose` writes in place of the commented example:
/// four slots x three apps routed by path, deployed by docker compose with the
/// override `kickoff deploy` writes (docs/slots.md#routing).
pub const COMPOSE_POOL: &str = r#"# QA slots (docs/slots.md): four dev environments x three apps on one host,
# routed by path (`kickoff slot routes --format nginx`), deployed with one
# compose file for every slot. Change the names, apps, ports and images to yours.
[slots]
names = ["dev1", "dev2", "dev3", "dev4"]
lease = "3d"
port_step = 1
url = "https://dev.example.com/{slot}/{app}/"
env_dir = ".git/kickoff/env"
deploy = ["docker", "compose", "-f", "compose.yml", "-f", "{compose_file}", "--env-file", "{env_file}", "up", "-d"]

[slots.routing]
listen = "0.0.0.0:80"
upstream = "127.0.0.1"

[[slots.apps]]
name = "frontend"
port = 3000
base_port = 3001
strip_prefix = false
image = "registry.example.com/shop/frontend"

[[slots.apps]]
name = "spring"
port = 8080
base_port = 8081
image = "registry.example.com/shop/spring"

[[slots.apps]]
name = "django"
port = 8000
base_port = 9001
image = "registry.example.com/shop/django"
"#;

/// The file `kickoff init` writes: [`TEMPLATE`], or with `compose` the
/// template with [`COMPOSE_POOL`] in place of its commented pool.
pub fn init_text(compose: bool) -> String {
    if !compose {
        return TEMPLATE.to_string();
    }
    let cut = TEMPLATE
        .find("# QA slots:")
        .expect("the template describes the slot pool");
    format!("{}{COMPOSE_POOL}", &TEMPLATE[..cut])
}

impl Default for Config {
    fn default() -> Self {
        Config {
            path: None,
            main_branch: "main".into(),
            remote: "origin".into(),
            push: true,
            ticket_pattern: TicketPattern::default(),
            feature_prefix: "feature/".into(),
            hook: HookConfig::default(),
            slots: Default::default(),
            github: None,
        }
    }
}

impl Config {
    /// The settings the pre-push policy applies.
    pub fn hook_settings(&self) -> crate::hook::policy::Settings {
        crate::hook::policy::Settings {
            main_branch: self.main_branch.clone(),
            remote: self.remote.clone(),
            feature_prefix: self.feature_prefix.clone(),
            ticket_pattern: self.ticket_pattern.clone(),
            hook: self.hook.clone(),
        }
    }

    /// Parse and validate the text of a config file.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            line: e.span().map(|s| line_of(text, s.start)).unwrap_or(1),
            message: e.message().trim().to_string(),
        })?;
        let invalid = |section: &str, key: &str, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            line: key_line(text, section, key),
            key: format!("{section}.{key}"),
            message,
        };
        let mut config = Config {
            path: Some(path.to_path_buf()),
            ..Config::default()
        };
        if let Some(main) = raw.core.main_branch {
            if !valid_branch_name(&main) {
                return Err(invalid(
                    "core",
                    "main_branch",
                    format!("{main:?} is not a valid branch name"),
                ));
            }
            config.main_branch = main;
        }
        if let Some(remote) = raw.core.remote {
            if remote.is_empty() || remote.starts_with('-') || remote.contains(char::is_whitespace)
            {
                return Err(invalid(
                    "core",
                    "remote",
                    format!("{remote:?} is not a valid remote name"),
                ));
            }
            config.remote = remote;
        }
        if let Some(push) = raw.core.push {
            config.push = push;
        }
        if let Some(pattern) = raw.naming.ticket_pattern {
            config.ticket_pattern = TicketPattern::new(&pattern).map_err(|e| {
                invalid(
                    "naming",
                    "ticket_pattern",
                    format!("not a regular expression: {e}"),
                )
            })?;
            if pattern.is_empty() {
                return Err(invalid("naming", "ticket_pattern", "it is empty".into()));
            }
        }
        if let Some(prefix) = raw.naming.feature_prefix {
            if prefix.is_empty() || !valid_branch_name(&format!("{prefix}X-1")) {
                return Err(invalid(
                    "naming",
                    "feature_prefix",
                    format!("{prefix:?} cannot start a branch name"),
                ));
            }
            config.feature_prefix = prefix;
        }
        let hook = raw.hook;
        if let Some(v) = hook.check_branch_names {
            config.hook.check_branch_names = v;
        }
        if let Some(patterns) = hook.allow_branches {
            config.hook.allow_branches = patterns
                .iter()
                .map(|p| {
                    BranchPattern::parse(p).map_err(|e| {
                        invalid("hook", "allow_branches", format!("pattern {p:?}: {e}"))
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = hook.allow_main_push {
            config.hook.allow_main_push = v;
        }
        if let Some(v) = hook.allow_kickoff_rewrite {
            config.hook.allow_kickoff_rewrite = v;
        }
        if let Some(mode) = hook.conflicts {
            config.hook.conflicts = ConflictMode::parse(&mode).ok_or_else(|| {
                invalid(
                    "hook",
                    "conflicts",
                    format!("{mode:?} is not one of \"warn\", \"block\", \"off\""),
                )
            })?;
        }
        if let Some(v) = hook.refresh_after {
            config.hook.refresh_after = crate::slots::runner::parse_timeout(&v)
                .map_err(|e| invalid("hook", "refresh_after", format!("{v:?}: {e}")))?;
        }
        config.slots = raw.slots.validate(text, path)?;
        config.github = raw.github.map(|g| g.validate(text, path)).transpose()?;
        Ok(config)
    }
}

/// Git's rules for a branch name (check-ref-format), minus the rare corners.
pub fn valid_branch_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && !name.starts_with('/')
        && !name.ends_with('/')
        && !name.ends_with('.')
        && !name.ends_with(".lock")
        && !name.contains("..")
        && !name.contains("//")
        && !name.contains("@{")
        && name != "@"
        && !name.split('/').any(|c| c.starts_with('.'))
        && !name
            .chars()
            .any(|c| c.is_control() || " ~^:?*[\\".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::naming::DEFAULT_TICKET_PATTERN;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new(".kickoff.toml"))
    }

    #[test]
    fn template_is_the_defaults() {
        let c = parse(TEMPLATE).unwrap();
        let d = Config::default();
        assert_eq!(c.main_branch, d.main_branch);
        assert_eq!(c.remote, d.remote);
        assert_eq!(c.push, d.push);
        assert_eq!(c.ticket_pattern.as_str(), DEFAULT_TICKET_PATTERN);
        assert_eq!(c.feature_prefix, d.feature_prefix);
        assert_eq!(c.hook.conflicts, d.hook.conflicts);
        assert_eq!(c.hook.check_branch_names, d.hook.check_branch_names);
        assert_eq!(c.hook.allow_main_push, d.hook.allow_main_push);
        assert_eq!(c.hook.allow_kickoff_rewrite, d.hook.allow_kickoff_rewrite);
        assert!(c.hook.allow_branches.is_empty());
    }

    #[test]
    fn compose_init_text_is_a_valid_routed_pool() {
        let c = parse(&init_text(true)).unwrap();
        assert_eq!(c.slots.names.len(), 4);
        assert!(c.slots.routing.configured);
        assert!(c.slots.deploy.contains(&"{compose_file}".to_string()));
        let t = crate::slots::routes::table(&c.slots);
        assert_eq!(t.routes.len(), 12);
        assert!(t.routes.iter().all(|r| r.host == "dev.example.com"));
        assert_eq!(parse(&init_text(false)).unwrap().slots.names.len(), 0);
        // The commented example in the template is valid once uncommented.
        let pool: String = TEMPLATE[TEMPLATE.find("# [slots]").unwrap()..]
            .lines()
            .map(|l| l.strip_prefix("# ").unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        let c = parse(&pool).unwrap();
        assert!(c.slots.routing.configured && c.slots.apps[0].route);
    }

    #[test]
    fn hook_section() {
        let c = parse(
            "[hook]\nallow_branches = [\"release/*\", \"re:^x-[0-9]+$\"]\nconflicts = \"block\"\n",
        )
        .unwrap();
        assert_eq!(c.hook.conflicts, ConflictMode::Block);
        assert!(c.hook.allow_branches[1].matches("x-12"));
        let e = parse("[hook]\n\nconflicts = \"loud\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(".kickoff.toml:3: invalid value for `hook.conflicts`"),
            "{e}"
        );
        let e = parse("[hook]\nallow_branches = [\"re:(\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(".kickoff.toml:2: invalid value for `hook.allow_branches`"),
            "{e}"
        );
        let e = parse("[hook]\nallow_main = true\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(".kickoff.toml:2:") && e.contains("allow_main"),
            "{e}"
        );
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let e = parse("[core]\nremote = \"up\"\nmian_branch = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(".kickoff.toml:3:"), "{e}");
        assert!(e.contains("mian_branch"), "{e}");
    }

    #[test]
    fn malformed_and_invalid_values() {
        let e = parse("[core\n").unwrap_err().to_string();
        assert!(e.starts_with(".kickoff.toml:1:"), "{e}");
        let e = parse("[naming]\n\nticket_pattern = \"[A-\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(".kickoff.toml:3: invalid value for `naming.ticket_pattern`"),
            "{e}"
        );
        let e = parse("[core]\npush = \"yes\"\n").unwrap_err().to_string();
        assert!(e.starts_with(".kickoff.toml:2:"), "{e}");
        assert!(parse("[core]\nmain_branch = \"a..b\"\n").is_err());
    }
}
