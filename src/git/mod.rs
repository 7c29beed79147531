//! The one place that touches git.
//!
//! Local reads and writes go through git2. Network operations (fetch, push) and
//! work-tree merges run the `git` program, which knows the user's credentials,
//! ssh config, proxies and hooks. Arguments are always passed as a vector, never
//! through a shell, and `--end-of-options` precedes any ref name a user typed.

pub mod hook;
pub mod merge;

use git2::{ErrorCode, Oid, Repository};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub use git2;

pub mod flow;
pub mod lineage;
mod patch;
mod state;
pub mod tags;
pub use state::{CommitInfo, EntryKind, PushOutcome, RawEntry};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{} is not inside a git repository", path.display())]
    NotARepo { path: PathBuf },
    #[error("{} is a bare repository; kickoff needs a work tree", path.display())]
    Bare { path: PathBuf },
    #[error("the repository has no branch `{name}`")]
    NoBranch { name: String, hint: Option<String> },
    #[error("HEAD is detached; this command needs a branch checked out")]
    DetachedHead,
    #[error("cannot resolve `{rev}` to a commit")]
    BadRevision { rev: String },
    /// The git program failed; what it printed (a remote's own `remote:`
    /// lines included) is the cause, shown as `caused by:`.
    #[error("`git {args}` failed ({status})")]
    Command {
        args: String,
        status: String,
        #[source]
        stderr: Option<GitOutput>,
    },
    #[error("{name} moved on {remote} while kickoff read it")]
    RefMoved { remote: String, name: String },
    #[error("your git identity has no usable {part}: {reason}")]
    Identity { part: String, reason: String },
    #[error("cannot run `git`")]
    Spawn(#[source] std::io::Error),
    #[error("git: {0}")]
    Lib(#[from] git2::Error),
}

/// What the git program printed when it failed, kept as the error's cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct GitOutput(pub String);

impl GitOutput {
    /// `None` for empty output, so an error without output has no cause.
    pub fn new(text: &str) -> Option<GitOutput> {
        let text = text.trim();
        (!text.is_empty()).then(|| GitOutput(text.to_string()))
    }
}

impl GitError {
    /// What git printed, when this is a failed git command.
    pub fn git_output(&self) -> &str {
        match self {
            GitError::Command {
                stderr: Some(out), ..
            } => &out.0,
            _ => "",
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            GitError::BadRevision { .. } => 2,
            _ => 1,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            GitError::NotARepo { .. } => Some("run kickoff inside a clone of your project, or `git init` one".into()),
            GitError::Bare { .. } => Some("clone the repository and run kickoff in the clone".into()),
            GitError::NoBranch { hint, .. } => hint.clone(),
            GitError::DetachedHead => Some("check out a branch first (`git switch <branch>`), or name the kickoff on the command line".into()),
            GitError::BadRevision { .. } => Some("give a branch, tag or commit id that exists in this repository".into()),
            GitError::RefMoved { .. } => Some("someone pushed in between; run the command again".into()),
            GitError::Identity { .. } => Some("set `git config user.name` and `git config user.email` (or GIT_COMMITTER_NAME and GIT_COMMITTER_EMAIL)".into()),
            GitError::Command { args, .. } if is_network(args) => Some("check that the remote is reachable with your credentials (`git remote -v`, then `git fetch` by hand), then run the command again".into()),
            _ => None,
        }
    }
}

/// Whether a failed git command line talked to a remote.
fn is_network(args: &str) -> bool {
    ["fetch ", "push ", "ls-remote "]
        .iter()
        .any(|verb| args.starts_with(verb))
}

pub type Result<T, E = GitError> = std::result::Result<T, E>;

/// Ahead/behind counts of one commit against another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct AheadBehind {
    pub ahead: usize,
    pub behind: usize,
}

/// A repository with a work tree.
pub struct Repo {
    inner: Repository,
    workdir: PathBuf,
}

impl Repo {
    /// Find the repository containing `path`. Bare repositories are refused.
    pub fn discover(path: &Path) -> Result<Repo> {
        let inner = Repository::discover(path).map_err(|e| match e.code() {
            ErrorCode::NotFound => GitError::NotARepo {
                path: path.to_path_buf(),
            },
            _ => GitError::Lib(e),
        })?;
        if inner.is_bare() {
            return Err(GitError::Bare {
                // libgit2 ends the git directory with a slash; drop it.
                path: inner.path().components().collect(),
            });
        }
        let workdir = inner
            .workdir()
            .ok_or_else(|| GitError::Bare {
                // libgit2 ends the git directory with a slash; drop it.
                path: inner.path().components().collect(),
            })?
            .to_path_buf();
        Ok(Repo { inner, workdir })
    }

    /// The underlying git2 repository, for the domain verbs of other modules in `git/`.
    pub fn raw(&self) -> &Repository {
        &self.inner
    }

    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// This work tree's git directory (`.git`, or `.git/worktrees/X`).
    pub fn git_dir(&self) -> &Path {
        self.inner.path()
    }

    /// The directory shared by every worktree of the repository.
    pub fn common_dir(&self) -> &Path {
        self.inner.commondir()
    }

    // ---- running the git program -------------------------------------------------

    /// A `git` command in the work tree that never inherits our stdin.
    pub fn git_command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new("git");
        cmd.current_dir(&self.workdir)
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    /// Run git, capture its output, fail with its stderr when it fails.
    pub fn git<I, S>(&self, args: I) -> Result<String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<_> = args
            .into_iter()
            .map(|a| a.as_ref().to_os_string())
            .collect();
        let out = self.git_output(&args)?;
        if !out.status.success() {
            return Err(command_error(&args, &out));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Run git and return its output whatever the exit status.
    pub fn git_output<I, S>(&self, args: I) -> Result<Output>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.git_command(args).output().map_err(GitError::Spawn)
    }

    // ---- remotes -----------------------------------------------------------------

    /// Whether a remote of this name is configured (it has a URL). A config
    /// lookup: `find_remote` would also resolve every `insteadOf` rule.
    pub fn has_remote(&self, remote: &str) -> bool {
        self.inner
            .config()
            .and_then(|c| c.get_entry(&format!("remote.{remote}.url")).map(drop))
            .is_ok()
    }

    /// `git fetch --quiet <remote> <refspec>...`
    pub fn fetch(&self, remote: &str, refspecs: &[&str]) -> Result<()> {
        let mut args = vec!["fetch", "--quiet", "--no-tags", "--end-of-options", remote];
        args.extend_from_slice(refspecs);
        self.git(args).map(drop)
    }

    /// Fetch `main` and every kickoff branch of the remote into its tracking refs.
    pub fn fetch_branches(&self, remote: &str, main: &str) -> Result<()> {
        let main_spec = format!("+refs/heads/{main}:refs/remotes/{remote}/{main}");
        let kickoff_spec = format!("+refs/heads/kickoff-*:refs/remotes/{remote}/kickoff-*");
        match self.fetch(remote, &[&main_spec, &kickoff_spec]) {
            // A remote without main (a new or unusual repository): fetch the
            // kickoffs alone and let the caller report the missing main.
            Err(e) if e.git_output().contains("couldn't find remote ref") => {
                self.fetch(remote, &[&kickoff_spec])
            }
            other => other,
        }
    }

    /// Fetch what the read commands read: main, the kickoffs and feature
    /// branches into their tracking refs, and the platform tags (a tag that
    /// exists here is never moved).
    pub fn fetch_for_reading(&self, remote: &str, main: &str, feature_prefix: &str) -> Result<()> {
        self.fetch_branches(remote, main)?;
        let features =
            format!("+refs/heads/{feature_prefix}*:refs/remotes/{remote}/{feature_prefix}*");
        self.fetch(
            remote,
            &[&features, "refs/tags/platform/*:refs/tags/platform/*"],
        )
    }

    /// When this clone last heard from `remote` (seconds since the epoch):
    /// the newest of the last fetch (`FETCH_HEAD`, of this work tree or the
    /// common git dir) and the newest reflog entry of the tracking ref of
    /// `main` (a clone, fetch or push). `None` when nothing says. The one
    /// measure of how old the remote-tracking refs are: the read commands'
    /// staleness warning, the radar's age line and the hook's refresh.
    pub fn last_heard_from(&self, remote: &str, main: &str) -> Option<i64> {
        let fetched = [self.git_dir(), self.common_dir()]
            .iter()
            .filter_map(|d| {
                std::fs::metadata(d.join("FETCH_HEAD"))
                    .ok()?
                    .modified()
                    .ok()
            })
            .filter_map(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs() as i64)
            .max();
        let moved = self.last_reflog_time(&format!("refs/remotes/{remote}/{main}"));
        fetched.into_iter().chain(moved).max()
    }

    /// Whether this is a shallow clone (history cut at some depth).
    pub fn is_shallow(&self) -> bool {
        self.inner.is_shallow()
    }

    /// `git fetch --unshallow <remote>`: the whole history of what a shallow
    /// clone holds (its default refspec), with the tags of the commits it
    /// brings (as a full clone has them; an existing tag is never moved).
    pub fn unshallow(&self, remote: &str) -> Result<()> {
        self.git([
            "fetch",
            "--quiet",
            "--unshallow",
            "--end-of-options",
            remote,
        ])
        .map(drop)
    }

    /// `git push <remote> <refspec>...`, with `--set-upstream` when asked.
    pub fn push(&self, remote: &str, refspecs: &[&str], set_upstream: bool) -> Result<()> {
        self.push_with(remote, refspecs, set_upstream, &[])
    }

    /// `git push` with extra environment variables for the pre-push hook
    /// (`KICKOFF_LAND=1`). A refusal keeps what git and the remote printed
    /// (`remote: ...` lines of a pre-receive hook) as the error's cause.
    pub fn push_with(
        &self,
        remote: &str,
        refspecs: &[&str],
        set_upstream: bool,
        env: &[(&str, &str)],
    ) -> Result<()> {
        let mut args = vec!["push", "--quiet"];
        if set_upstream {
            args.push("--set-upstream");
        }
        args.extend(["--end-of-options", remote]);
        args.extend_from_slice(refspecs);
        let mut cmd = self.git_command(&args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().map_err(GitError::Spawn)?;
        if !out.status.success() {
            let os: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
            return Err(command_error(&os, &out));
        }
        Ok(())
    }

    // ---- refs and branches ---------------------------------------------------------

    /// The oid a full ref name points at (peeled to a commit for tags), if it exists.
    pub fn ref_oid(&self, full: &str) -> Result<Option<Oid>> {
        match self.inner.find_reference(full) {
            Ok(r) => Ok(Some(r.peel_to_commit()?.id())),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) if e.code() == ErrorCode::InvalidSpec => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub fn branch_oid(&self, name: &str) -> Result<Option<Oid>> {
        self.ref_oid(&format!("refs/heads/{name}"))
    }

    pub fn remote_branch_oid(&self, remote: &str, name: &str) -> Result<Option<Oid>> {
        self.ref_oid(&format!("refs/remotes/{remote}/{name}"))
    }

    /// A local branch that must exist.
    pub fn require_branch(&self, name: &str) -> Result<Oid> {
        self.branch_oid(name)?.ok_or_else(|| GitError::NoBranch {
            name: name.to_string(),
            hint: None,
        })
    }

    /// Names of local branches starting with `prefix`, sorted.
    pub fn local_branches(&self, prefix: &str) -> Result<Vec<(String, Oid)>> {
        self.branches_under(&format!("refs/heads/{prefix}"), "refs/heads/")
    }

    /// Names (without `remote/`) of remote-tracking branches starting with `prefix`, sorted.
    pub fn remote_branches(&self, remote: &str, prefix: &str) -> Result<Vec<(String, Oid)>> {
        let base = format!("refs/remotes/{remote}/");
        self.branches_under(&format!("{base}{prefix}"), &base)
    }

    fn branches_under(&self, full_prefix: &str, strip: &str) -> Result<Vec<(String, Oid)>> {
        let mut out = Vec::new();
        for r in self.inner.references_glob(&format!("{full_prefix}*"))? {
            let r = r?;
            // A direct ref (the usual case, packed or loose) needs no second lookup.
            let target = r
                .target()
                .or_else(|| r.resolve().ok().and_then(|r| r.target()));
            let (Some(name), Some(oid)) = (r.name(), target) else {
                continue;
            };
            if let Some(short) = name.strip_prefix(strip) {
                if short != "HEAD" {
                    out.push((short.to_string(), oid));
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// The checked-out branch; `None` when HEAD is detached.
    pub fn current_branch(&self) -> Result<Option<String>> {
        if self.inner.head_detached()? {
            return Ok(None);
        }
        let head = self.inner.find_reference("HEAD")?;
        Ok(head
            .symbolic_target()
            .and_then(|t| t.strip_prefix("refs/heads/"))
            .map(str::to_string))
    }

    /// Create a local branch; fails if it exists.
    pub fn create_branch(&self, name: &str, oid: Oid, log: &str) -> Result<()> {
        self.inner
            .reference(&format!("refs/heads/{name}"), oid, false, log)?;
        Ok(())
    }

    /// Move a ref from `old` to `new` only if it still points at `old`
    /// (`None`: only if it does not exist yet).
    pub fn update_ref_cas(&self, full: &str, new: Oid, old: Option<Oid>, log: &str) -> Result<()> {
        match old {
            Some(old) => self.inner.reference_matching(full, new, true, old, log)?,
            None => self.inner.reference(full, new, false, log)?,
        };
        Ok(())
    }

    /// Set the upstream of a local branch to `remote/name`.
    pub fn set_upstream(&self, name: &str, remote: &str) -> Result<()> {
        let mut cfg = self.inner.config()?;
        cfg.set_str(&format!("branch.{name}.remote"), remote)?;
        cfg.set_str(
            &format!("branch.{name}.merge"),
            &format!("refs/heads/{name}"),
        )?;
        Ok(())
    }

    // ---- work tree -------------------------------------------------------------------

    /// Whether tracked files have no uncommitted changes (untracked files are ignored).
    pub fn is_clean(&self) -> Result<bool> {
        let mut opts = git2::StatusOptions::new();
        opts.include_untracked(false)
            .include_ignored(false)
            .exclude_submodules(true);
        Ok(self.inner.statuses(Some(&mut opts))?.is_empty())
    }

    /// Switch the work tree to a local branch (the tree must be clean).
    pub fn checkout_branch(&self, name: &str) -> Result<()> {
        self.git(["checkout", "--quiet", name, "--"]).map(drop)
    }

    /// Whether a merge (or another sequencer operation) is under way.
    pub fn merge_in_progress(&self) -> bool {
        self.git_dir().join("MERGE_HEAD").exists()
    }

    // ---- config ----------------------------------------------------------------------

    pub fn config_get(&self, key: &str) -> Result<Option<String>> {
        match self.inner.config()?.snapshot()?.get_string(key) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub fn config_set(&self, key: &str, value: &str) -> Result<()> {
        self.inner
            .config()?
            .open_level(git2::ConfigLevel::Local)?
            .set_str(key, value)?;
        Ok(())
    }

    /// The value of a key in the repository's own config (`.git/config`).
    pub fn config_get_local(&self, key: &str) -> Result<Option<String>> {
        let cfg = self.inner.config()?.open_level(git2::ConfigLevel::Local)?;
        match cfg.get_string(key) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Remove a key from the repository's own config; a missing key is fine.
    pub fn config_unset(&self, key: &str) -> Result<()> {
        let mut cfg = self.inner.config()?.open_level(git2::ConfigLevel::Local)?;
        match cfg.remove(key) {
            Err(e) if e.code() != ErrorCode::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Delete a ref only while it points at `expected` (compare-and-delete);
    /// returns whether it was deleted. A missing ref or one that moved is
    /// left alone.
    pub fn delete_ref_if(&self, full: &str, expected: Oid) -> Result<bool> {
        match self.inner.find_reference(full) {
            Ok(mut r) if r.target() == Some(expected) => {
                r.delete()?;
                Ok(true)
            }
            Ok(_) => Ok(false),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Delete a ref; a missing ref is fine.
    pub fn delete_ref(&self, full: &str) -> Result<()> {
        match self.inner.find_reference(full) {
            Ok(mut r) => Ok(r.delete()?),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every `branch.<name>.<key>` entry, as (branch, value).
    pub fn branch_config_entries(&self, key: &str) -> Result<Vec<(String, String)>> {
        let cfg = self.inner.config()?.snapshot()?;
        let mut out = Vec::new();
        let mut entries = cfg.entries(Some(&format!(r"^branch\..*\.{}$", regex::escape(key))))?;
        while let Some(entry) = entries.next() {
            let entry = entry?;
            if let (Some(name), Some(value)) = (entry.name(), entry.value()) {
                if let Some(branch) = name
                    .strip_prefix("branch.")
                    .and_then(|n| n.strip_suffix(&format!(".{key}")))
                {
                    out.push((branch.to_string(), value.to_string()));
                }
            }
        }
        Ok(out)
    }

    // ---- history -----------------------------------------------------------------------

    /// Resolve any revision git understands to a commit.
    pub fn resolve_commit(&self, rev: &str) -> Result<Oid> {
        self.inner
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map(|c| c.id())
            .map_err(|_| GitError::BadRevision {
                rev: rev.to_string(),
            })
    }

    pub fn merge_base(&self, a: Oid, b: Oid) -> Result<Option<Oid>> {
        match self.inner.merge_base(a, b) {
            Ok(o) => Ok(Some(o)),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    pub fn is_ancestor(&self, ancestor: Oid, descendant: Oid) -> Result<bool> {
        Ok(ancestor == descendant || self.inner.graph_descendant_of(descendant, ancestor)?)
    }

    /// Commits `a` has that `b` lacks (ahead), and the reverse (behind).
    pub fn ahead_behind(&self, a: Oid, b: Oid) -> Result<AheadBehind> {
        let (ahead, behind) = self.inner.graph_ahead_behind(a, b)?;
        Ok(AheadBehind { ahead, behind })
    }

    /// Committer time of a commit, in seconds since the epoch.
    pub fn commit_time(&self, oid: Oid) -> Result<i64> {
        Ok(self.inner.find_commit(oid)?.committer().when().seconds())
    }

    /// Committer time of a commit and the committer's UTC offset in minutes.
    pub fn commit_time_and_offset(&self, oid: Oid) -> Result<(i64, i32)> {
        let when = self.inner.find_commit(oid)?.committer().when();
        Ok((when.seconds(), when.offset_minutes()))
    }

    /// When a ref last moved, from its newest reflog entry (seconds since the epoch).
    pub fn last_reflog_time(&self, full: &str) -> Option<i64> {
        let log = self.inner.reflog(full).ok()?;
        Some(log.get(0)?.committer().when().seconds())
    }

    pub fn commit_summary(&self, oid: Oid) -> Result<String> {
        Ok(self
            .inner
            .find_commit(oid)?
            .summary()
            .unwrap_or("")
            .to_string())
    }

    /// The identity for objects kickoff writes: git's own environment variables
    /// (`GIT_COMMITTER_NAME`, `_EMAIL`, `_DATE`) first, then `user.name`/`user.email`.
    /// The committer identity git itself would use (`git var
    /// GIT_COMMITTER_IDENT`: environment, `git -c`, GIT_CONFIG_GLOBAL and the
    /// rest of git's config rules). libgit2's own lookup is the fallback when
    /// git cannot tell (it has no identity configured).
    pub fn signature(&self) -> Result<git2::Signature<'static>> {
        self.git_identity("COMMITTER")
            .map_or_else(|| identity(&self.inner, "COMMITTER"), Ok)
    }

    pub fn author_signature(&self) -> Result<git2::Signature<'static>> {
        self.git_identity("AUTHOR")
            .map_or_else(|| identity(&self.inner, "AUTHOR"), Ok)
    }

    fn git_identity(&self, who: &str) -> Option<git2::Signature<'static>> {
        let out = self.git_output(["var", &format!("GIT_{who}_IDENT")]).ok()?;
        if !out.status.success() {
            return None;
        }
        parse_ident(String::from_utf8_lossy(&out.stdout).trim())
    }
}

/// `Name <email> <seconds> <+zzzz>`, as `git var` prints an identity.
fn parse_ident(line: &str) -> Option<git2::Signature<'static>> {
    let (name, rest) = line.split_once(" <")?;
    let (email, date) = rest.rsplit_once("> ")?;
    let time = parse_git_date(&format!("@{date}"))?;
    git2::Signature::new(name.trim(), email, &time).ok()
}

fn identity(repo: &Repository, who: &str) -> Result<git2::Signature<'static>> {
    let env = |k: &str| {
        std::env::var(format!("GIT_{who}_{k}"))
            .ok()
            .filter(|v| !v.is_empty())
    };
    let cfg = repo.config()?.snapshot()?;
    let name = env("NAME")
        .or_else(|| cfg.get_string("user.name").ok())
        .unwrap_or_else(|| "kickoff".into());
    let email = env("EMAIL")
        .or_else(|| cfg.get_string("user.email").ok())
        .unwrap_or_else(|| "kickoff@localhost".into());
    // git drops `<`, `>` and line breaks from an identity rather than fail
    // (ident.c, "crud"); do the same, so `Ada <QA>` signs as `Ada QA`.
    let (name, email) = (without_crud(&name), without_crud(&email));
    for (part, value) in [("name", &name), ("email", &email)] {
        if value.is_empty() {
            return Err(GitError::Identity {
                part: format!("{} {part}", who.to_lowercase()),
                reason: "it is empty once `<`, `>` and line breaks are left out, as git does"
                    .into(),
            });
        }
    }
    match env("DATE").and_then(|d| parse_git_date(&d)) {
        Some(time) => Ok(git2::Signature::new(&name, &email, &time)?),
        None => Ok(git2::Signature::now(&name, &email)?),
    }
}

/// An identity part as git writes it: without `<`, `>` and line breaks, and
/// trimmed.
fn without_crud(s: &str) -> String {
    let kept: String = s
        .chars()
        .filter(|c| !matches!(c, '<' | '>' | '\n' | '\r'))
        .collect();
    kept.trim().to_string()
}

/// The date forms tests and scripts use for `GIT_*_DATE`: `@secs [+zzzz]`,
/// `secs +zzzz`, RFC 3339 and RFC 2822.
pub fn parse_git_date(s: &str) -> Option<git2::Time> {
    let s = s.trim();
    let raw = s.strip_prefix('@').unwrap_or(s);
    let mut parts = raw.split_whitespace();
    if let Some(Ok(secs)) = parts.next().map(str::parse::<i64>) {
        let offset = parts.next().and_then(parse_tz).unwrap_or(0);
        return Some(git2::Time::new(secs, offset));
    }
    let dt = chrono::DateTime::parse_from_rfc3339(s)
        .or_else(|_| chrono::DateTime::parse_from_rfc2822(s))
        .ok()?;
    Some(git2::Time::new(
        dt.timestamp(),
        dt.offset().local_minus_utc() / 60,
    ))
}

fn parse_tz(s: &str) -> Option<i32> {
    let (sign, digits) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i32 = digits.parse().ok()?;
    Some(sign * (n / 100 * 60 + n % 100))
}

pub(crate) fn command_error(args: &[std::ffi::OsString], out: &Output) -> GitError {
    GitError::Command {
        args: args
            .iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" "),
        status: out
            .status
            .code()
            .map_or_else(|| "killed".to_string(), |c| format!("exit {c}")),
        stderr: GitOutput::new(&String::from_utf8_lossy(&out.stderr)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_dates() {
        let t = parse_git_date("@1715337000 +0200").unwrap();
        assert_eq!((t.seconds(), t.offset_minutes()), (1715337000, 120));
        let t = parse_git_date("2024-05-10T12:00:00-03:30").unwrap();
        assert_eq!(t.offset_minutes(), -210);
        assert!(parse_git_date("yesterday").is_none());
    }
}
