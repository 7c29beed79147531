//! The shared test harness: throwaway repositories with a bare `origin`, an
//! isolated git environment, fixed dates, and helpers that run the binary and
//! read refs, tags and config back.
//!
//! Every git and kickoff process started here gets the same environment:
//! `HOME`, `GIT_CONFIG_GLOBAL` and `GIT_CONFIG_SYSTEM` point into the temp dir,
//! identities and dates are fixed, colour is off. Nothing depends on the
//! machine's own git config. libgit2, which ignores `GIT_CONFIG_GLOBAL`,
//! finds no config either: `HOME` and `XDG_CONFIG_HOME` point into the temp
//! dir, and libgit2 inside the test process itself searches only an empty
//! directory ([`isolate_libgit2`]).
#![allow(dead_code)]

pub mod git_http;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};

/// 2024-05-10 12:00:00 UTC; every commit made by the harness is one minute later.
pub const EPOCH: i64 = 1_715_342_400;

pub struct TestEnv {
    pub root: tempfile::TempDir,
    clock: AtomicI64,
}

impl TestEnv {
    pub fn new() -> TestEnv {
        TestEnv::new_in(&std::env::temp_dir())
    }

    /// An environment under `parent`: for fixtures kept in a `static`, which is
    /// never dropped, put them under cargo's target tmp dir instead of /tmp.
    pub fn new_in(parent: &Path) -> TestEnv {
        isolate_libgit2();
        std::fs::create_dir_all(parent).unwrap();
        let root = tempfile::Builder::new()
            .prefix("kickoff-test-")
            .tempdir_in(parent)
            .expect("temp dir");
        std::fs::create_dir_all(root.path().join("home")).unwrap();
        std::fs::write(root.path().join("gitconfig-empty"), "").unwrap();
        TestEnv {
            root,
            clock: AtomicI64::new(EPOCH),
        }
    }

    pub fn path(&self) -> &Path {
        self.root.path()
    }

    /// The isolated environment for every process the tests start.
    pub fn apply(&self, cmd: &mut Command) {
        self.apply_at(cmd, self.clock.load(Ordering::SeqCst));
    }

    fn apply_at(&self, cmd: &mut Command, time: i64) {
        let empty = self.path().join("gitconfig-empty");
        let date = format!("@{time} +0000");
        // The whole environment is replaced: only PATH (to find git) is
        // kept, so nothing of the machine's or the developer's settings
        // (GIT_*, EDITOR, XDG_*, KICKOFF_*, colour) reaches a test.
        cmd.env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        cmd.env("HOME", self.path().join("home"))
            .env("XDG_CONFIG_HOME", self.path().join("home/.config"))
            .env("GIT_CONFIG_GLOBAL", &empty)
            .env("GIT_CONFIG_SYSTEM", &empty)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_COUNT", "4")
            .env("GIT_CONFIG_KEY_0", "init.defaultBranch")
            .env("GIT_CONFIG_VALUE_0", "main")
            .env("GIT_CONFIG_KEY_1", "commit.gpgSign")
            .env("GIT_CONFIG_VALUE_1", "false")
            .env("GIT_CONFIG_KEY_2", "tag.gpgSign")
            .env("GIT_CONFIG_VALUE_2", "false")
            .env("GIT_CONFIG_KEY_3", "advice.detachedHead")
            .env("GIT_CONFIG_VALUE_3", "false")
            .env("GIT_AUTHOR_NAME", "Ada Tester")
            .env("GIT_AUTHOR_EMAIL", "ada@example.com")
            .env("GIT_COMMITTER_NAME", "Ada Tester")
            .env("GIT_COMMITTER_EMAIL", "ada@example.com")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("NO_COLOR", "1")
            .env("TZ", "UTC")
            .env("LC_ALL", "C");
    }

    /// Advance the fixed clock by one minute and return the new time.
    pub fn tick(&self) -> i64 {
        self.clock.fetch_add(60, Ordering::SeqCst) + 60
    }

    /// A `git` command in `dir` with the isolated environment and no stdin.
    pub fn git_cmd(&self, dir: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new("git");
        cmd.current_dir(dir).args(args).stdin(Stdio::null());
        self.apply(&mut cmd);
        cmd
    }

    /// Run git, panic with its stderr when it fails, return trimmed stdout.
    pub fn git(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.git_cmd(dir, args).output().expect("run git");
        assert!(
            out.status.success(),
            "git {args:?} in {} failed:\n{}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }

    /// Run git and return the output, whatever the status.
    pub fn git_output(&self, dir: &Path, args: &[&str]) -> Output {
        self.git_cmd(dir, args).output().expect("run git")
    }

    /// The kickoff binary with the isolated environment, running in `dir`.
    pub fn kickoff_cmd(&self, dir: &Path) -> assert_cmd::Command {
        let mut std_cmd = Command::new(assert_cmd::cargo::cargo_bin("kickoff"));
        std_cmd.current_dir(dir).stdin(Stdio::null());
        self.apply(&mut std_cmd);
        assert_cmd::Command::from_std(std_cmd)
    }
}

/// Point libgit2's global, XDG and system config search paths (in this test
/// process) at an empty directory, once.
pub fn isolate_libgit2() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use kickoff::git::git2::{ConfigLevel, opts::set_search_path};
        let empty = std::env::temp_dir().join("kickoff-test-no-config");
        std::fs::create_dir_all(&empty).unwrap();
        for level in [
            ConfigLevel::System,
            ConfigLevel::XDG,
            ConfigLevel::Global,
            ConfigLevel::ProgramData,
        ] {
            // SAFETY: called once, before any test of this process uses libgit2.
            unsafe { set_search_path(level, &empty) }.unwrap();
        }
    });
}

/// A work repository cloned from a bare `origin`, with one commit on main.
pub struct TestRepo {
    pub env: TestEnv,
    /// The developer's clone.
    pub work: PathBuf,
    /// The shared bare remote.
    pub origin: PathBuf,
}

impl TestRepo {
    /// origin (bare) + work (clone) with `README.md` committed and pushed on main.
    pub fn new() -> TestRepo {
        let env = TestEnv::new();
        let origin = env.path().join("origin.git");
        let work = env.path().join("work");
        env.git(
            env.path(),
            &[
                "init",
                "--quiet",
                "--bare",
                "-b",
                "main",
                origin.to_str().unwrap(),
            ],
        );
        env.git(
            env.path(),
            &["init", "--quiet", "-b", "main", work.to_str().unwrap()],
        );
        env.git(
            &work,
            &["remote", "add", "origin", origin.to_str().unwrap()],
        );
        let repo = TestRepo { env, work, origin };
        repo.commit("README.md", "# project\n", "Initial commit");
        repo.git(&["push", "--quiet", "-u", "origin", "main"]);
        repo
    }

    /// A work repository with no remote at all.
    pub fn without_remote() -> TestRepo {
        let repo = TestRepo::new();
        repo.git(&["remote", "remove", "origin"]);
        repo
    }

    pub fn git(&self, args: &[&str]) -> String {
        self.env.git(&self.work, args)
    }

    pub fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        self.env.git(dir, args)
    }

    /// Git in the bare origin.
    pub fn origin_git(&self, args: &[&str]) -> String {
        self.env.git(&self.origin, args)
    }

    /// `kickoff` in the work tree.
    pub fn kickoff(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = self.env.kickoff_cmd(&self.work);
        cmd.args(args);
        cmd
    }

    /// Write a file (creating directories) in the work tree.
    pub fn write(&self, path: &str, content: &str) {
        write_file(&self.work, path, content);
    }

    /// Write, stage and commit one file at the next fixed time; returns the oid.
    pub fn commit(&self, path: &str, content: &str, message: &str) -> String {
        commit_in(&self.env, &self.work, path, content, message)
    }

    /// Commit in another clone (see [`TestRepo::clone_to`]).
    pub fn commit_in(&self, dir: &Path, path: &str, content: &str, message: &str) -> String {
        commit_in(&self.env, dir, path, content, message)
    }

    /// Check out `branch`, commit a file on it, and return to the previous branch.
    pub fn commit_on(&self, branch: &str, path: &str, content: &str, message: &str) -> String {
        let previous = self.head_branch();
        self.git(&["checkout", "--quiet", branch]);
        let oid = self.commit(path, content, message);
        if let Some(p) = previous {
            self.git(&["checkout", "--quiet", &p]);
        }
        oid
    }

    /// A fresh clone of origin (a teammate's machine), at `env/<name>`.
    pub fn clone_to(&self, name: &str) -> PathBuf {
        let dir = self.env.path().join(name);
        self.env.git(
            self.env.path(),
            &[
                "clone",
                "--quiet",
                self.origin.to_str().unwrap(),
                dir.to_str().unwrap(),
            ],
        );
        dir
    }

    /// The branch checked out in the work tree, `None` when detached.
    pub fn head_branch(&self) -> Option<String> {
        let out = self
            .env
            .git_output(&self.work, &["symbolic-ref", "--quiet", "--short", "HEAD"]);
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Every ref of the work repository and its oid.
    pub fn refs(&self) -> BTreeMap<String, String> {
        refs_of(&self.env, &self.work)
    }

    /// Every ref of the bare origin and its oid.
    pub fn origin_refs(&self) -> BTreeMap<String, String> {
        refs_of(&self.env, &self.origin)
    }

    /// The oid a rev resolves to in the work repo, if it does.
    pub fn rev(&self, rev: &str) -> Option<String> {
        let out = self.env.git_output(
            &self.work,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{rev}^{{commit}}"),
            ],
        );
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// A git config value of the work repo.
    pub fn config(&self, key: &str) -> Option<String> {
        let out = self.env.git_output(&self.work, &["config", "--get", key]);
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Everything a refusal must leave untouched: refs here (remote-tracking
    /// refs excepted: a fetch may refresh them) and on origin, the local git
    /// config, the status of the work tree, HEAD, .kickoff.toml.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            refs: self
                .refs()
                .into_iter()
                .filter(|(r, _)| !r.starts_with("refs/remotes/"))
                .collect(),
            origin_refs: self.origin_refs(),
            config: std::fs::read_to_string(self.work.join(".git/config")).unwrap_or_default(),
            status: self.git(&["status", "--porcelain=v1", "--untracked-files=all"]),
            head: self.git(&["rev-parse", "--symbolic-full-name", "HEAD"]),
            kickoff_toml: std::fs::read_to_string(self.work.join(".kickoff.toml")).ok(),
            kickoff_dir: files_under(&self.work.join(".git/kickoff"), CACHES),
            hooks: files_under(&self.work.join(".git/hooks"), &[]),
        }
    }
}

/// Files under `.git/kickoff/` that a refusal may refresh, like the
/// remote-tracking refs: the conflict radar's caches, and the empty file the
/// shared state is locked on.
const CACHES: &[&str] = &["conflicts-cache.json", "conflicts-diffs.bin", "state.lock"];

/// Every file under `dir` (recursively, `skip` names left out) with its
/// bytes and, on unix, its mode: what a refusal must not write or change.
pub fn files_under(dir: &Path, skip: &[&str]) -> BTreeMap<String, (Vec<u8>, u32)> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if skip.contains(&name.as_str()) {
                continue;
            }
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                todo.push(path);
                continue;
            }
            #[cfg(unix)]
            let mode = std::os::unix::fs::PermissionsExt::mode(&meta.permissions());
            #[cfg(not(unix))]
            let mode = 0;
            let rel = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.insert(rel, (std::fs::read(&path).unwrap_or_default(), mode));
        }
    }
    out
}

#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub refs: BTreeMap<String, String>,
    pub origin_refs: BTreeMap<String, String>,
    pub config: String,
    pub status: String,
    pub head: String,
    pub kickoff_toml: Option<String>,
    /// `.git/kickoff/` (journal, records, env files), caches left out.
    pub kickoff_dir: BTreeMap<String, (Vec<u8>, u32)>,
    /// The hooks directory, files and modes.
    pub hooks: BTreeMap<String, (Vec<u8>, u32)>,
}

pub fn write_file(dir: &Path, path: &str, content: &str) {
    let full = dir.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(full, content).unwrap();
}

pub fn commit_in(env: &TestEnv, dir: &Path, path: &str, content: &str, message: &str) -> String {
    write_file(dir, path, content);
    env.git(dir, &["add", "--", path]);
    env.tick();
    env.git(dir, &["commit", "--quiet", "-m", message]);
    env.git(dir, &["rev-parse", "HEAD"])
}

pub fn refs_of(env: &TestEnv, dir: &Path) -> BTreeMap<String, String> {
    env.git(dir, &["for-each-ref", "--format=%(refname) %(objectname)"])
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(r, o)| (r.to_string(), o.to_string()))
        .collect()
}

/// stdout of a finished command, as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// stderr of a finished command, as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Run a kickoff command that must be refused with `code`; assert that nothing
/// changed and that stderr contains every one of `needles`. Returns stderr.
pub fn assert_refused(repo: &TestRepo, args: &[&str], code: i32, needles: &[&str]) -> String {
    let before = repo.snapshot();
    let out = repo.kickoff(args).output().unwrap();
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "kickoff {args:?}: expected exit {code}\nstderr:\n{err}"
    );
    for n in needles {
        assert!(
            err.contains(n),
            "kickoff {args:?}: stderr lacks {n:?}:\n{err}"
        );
    }
    assert!(err.contains("error:"), "no error line:\n{err}");
    assert_eq!(
        before,
        repo.snapshot(),
        "kickoff {args:?} changed the repository state"
    );
    err
}

// ---- QA slots ----------------------------------------------------------------

/// A pool of four slots and three apps whose deploy command is `true`.
pub const SLOTS_TOML: &str = r#"[slots]
names = ["dev1", "dev2", "dev3", "dev4"]
lease = "3d"
port_step = 1
url = "https://{app}-{slot}.dev.example.com/"
deploy = ["true"]

[[slots.apps]]
name = "frontend"
port = 3000
base_port = 3001

[[slots.apps]]
name = "spring"
port = 8080
base_port = 8081

[[slots.apps]]
name = "django"
port = 8000
base_port = 9001
"#;

/// A repository with `config` as .kickoff.toml on main and the kickoffs
/// `kickoff-240510-<name>` for each name, each with one ticket commit, all pushed.
pub fn slots_repo(config: &str, kickoffs: &[&str]) -> TestRepo {
    let repo = TestRepo::new();
    repo.commit(".kickoff.toml", config, "Configure the QA slot pool");
    repo.git(&["push", "--quiet", "origin", "main"]);
    // One commit per kickoff on main's tree (no checkout), pushed in one go.
    let mut specs = vec!["push".to_string(), "--quiet".into(), "origin".into()];
    for (i, name) in kickoffs.iter().enumerate() {
        let branch = format!("kickoff-240510-{name}");
        let oid = repo.git(&[
            "commit-tree",
            "main^{tree}",
            "-p",
            "main",
            "-m",
            &format!("DASH-{} {name} work", i + 1),
        ]);
        repo.git(&["branch", &branch, &oid]);
        specs.push(format!("{branch}:{branch}"));
    }
    if !kickoffs.is_empty() {
        let args: Vec<&str> = specs.iter().map(String::as_str).collect();
        repo.git(&args);
    }
    repo
}

/// The slot pool the slot tests start from: [`SLOTS_TOML`] with the
/// kickoffs `kickoff-240510-alpha`, `-beta`, `-gamma`, `-delta` and `-omega`.
pub fn pool() -> TestRepo {
    slots_repo(SLOTS_TOML, &["alpha", "beta", "gamma", "delta", "omega"])
}

/// Run a command that must succeed and return its stdout; a failure shows
/// the exit code, stdout and stderr.
pub fn ok(mut cmd: impl std::borrow::BorrowMut<assert_cmd::Command>) -> String {
    let out = cmd.borrow_mut().output().unwrap();
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

/// The content of a file in the tree of a state ref, in `dir` (work or origin).
pub fn state_file(env: &TestEnv, dir: &Path, rev: &str, path: &str) -> Option<String> {
    let out = env.git_output(dir, &["show", &format!("{rev}:{path}")]);
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The files of a state ref's tree, in `dir`.
pub fn state_paths(env: &TestEnv, dir: &Path, rev: &str) -> Vec<String> {
    let out = env.git_output(dir, &["ls-tree", "-r", "--name-only", rev]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// `git fsck --strict` passes and reports no missing or broken objects.
pub fn assert_fsck_clean(env: &TestEnv, dir: &Path) {
    let out = env.git_output(dir, &["fsck", "--strict", "--no-progress"]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        out.status.success(),
        "git fsck failed in {}:\n{text}",
        dir.display()
    );
    for bad in ["missing", "broken", "error", "bad "] {
        assert!(
            !text.contains(bad),
            "git fsck in {}:\n{text}",
            dir.display()
        );
    }
}

/// Create a kickoff with `kickoff new <summary> --date <date>` (pushed) and
/// return to the branch that was checked out before. Returns the branch name.
pub fn new_kickoff(repo: &TestRepo, summary: &str, date: &str) -> String {
    let previous = repo.head_branch();
    let k = repo.new_kickoff(summary, date);
    if let Some(p) = previous {
        repo.git(&["checkout", "--quiet", &p]);
    }
    k
}

/// Run `kickoff <args>` in the work tree on a real pseudo-terminal (through
/// `script`), typing `keys` once the prompt had time to appear. Returns the
/// exit code and everything the terminal showed.
pub fn kickoff_on_pty(repo: &TestRepo, args: &[&str], keys: &str) -> (Option<i32>, String) {
    use std::io::Write;
    let bin = assert_cmd::cargo::cargo_bin("kickoff");
    let mut line = bin.to_str().unwrap().to_string();
    for a in args {
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:".contains(c)),
            "keep pty arguments shell-safe: {a:?}"
        );
        line.push(' ');
        line.push_str(a);
    }
    let mut cmd = Command::new("script");
    cmd.current_dir(&repo.work)
        .args(["-qec", &line, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    repo.env.apply(&mut cmd);
    cmd.env("TERM", "xterm");
    let mut child = cmd.spawn().expect("run script(1)");
    let mut stdin = child.stdin.take().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(800));
    stdin.write_all(keys.as_bytes()).unwrap();
    stdin.flush().unwrap();
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

// ---- platform versions ----------------------------------------------------------------

impl TestRepo {
    /// Run kickoff, assert success, return stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        ok(self.kickoff(args))
    }

    /// Cut a kickoff named `kickoff-<yymmdd>-<summary>` from origin's main and push it.
    pub fn new_kickoff(&self, summary: &str, yymmdd: &str) -> String {
        self.ok(&["new", summary, "--date", yymmdd]);
        format!("kickoff-{yymmdd}-{summary}")
    }

    /// Branch `feature` off `kickoff`, commit `files` on it (one commit each,
    /// message = the file name), merge it back with a merge commit, push the kickoff.
    pub fn merge_feature(&self, kickoff: &str, feature: &str, files: &[&str]) -> String {
        self.git(&["checkout", "--quiet", "-b", feature, kickoff]);
        for f in files {
            self.commit(f, &format!("{f}\n"), &format!("Add {f}"));
        }
        self.git(&["checkout", "--quiet", kickoff]);
        self.env.tick();
        self.git(&["merge", "--quiet", "--no-ff", "--no-edit", feature]);
        self.git(&["push", "--quiet", "origin", kickoff]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// A commit straight on `kickoff` (a squash merge or a plain commit), pushed.
    pub fn commit_pushed(&self, kickoff: &str, file: &str, message: &str) -> String {
        self.git(&["checkout", "--quiet", kickoff]);
        let oid = self.commit(file, &format!("{file}\n"), message);
        self.git(&["push", "--quiet", "origin", kickoff]);
        oid
    }

    /// Platform tags of the work repo and of origin.
    pub fn platform_tags(&self) -> (Vec<String>, Vec<String>) {
        let pick = |refs: BTreeMap<String, String>| {
            refs.keys()
                .filter_map(|r| r.strip_prefix("refs/tags/platform/"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        (pick(self.refs()), pick(self.origin_refs()))
    }

    /// `git tag -l --format=<format> <tag>` in the work repo.
    pub fn tag_format(&self, tag: &str, format: &str) -> String {
        self.git(&["tag", "-l", &format!("--format={format}"), tag])
    }
}

// ---- command output snapshots ------------------------------------------------------------

/// What a command printed and how it exited, for one insta snapshot of all
/// three (`insta::assert_snapshot!(repo.run(&[...]), @"...")`). Paths under
/// the test's temp dir read `$ROOT`, so snapshots do not depend on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    pub stdout: String,
    pub stderr: String,
    pub status: Option<i32>,
}

impl CommandOutput {
    pub fn new(env: &TestEnv, out: &Output) -> CommandOutput {
        let root = env.path().to_string_lossy().into_owned();
        let clean = |b: &[u8]| String::from_utf8_lossy(b).replace(&root, "$ROOT");
        CommandOutput {
            stdout: clean(&out.stdout),
            stderr: clean(&out.stderr),
            status: out.status.code(),
        }
    }
}

impl std::fmt::Display for CommandOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.stdout.is_empty() {
            write!(f, "{}", self.stdout)?;
            if !self.stdout.ends_with('\n') {
                writeln!(f)?;
            }
        }
        if !self.stderr.is_empty() {
            writeln!(f, "------- stderr -------")?;
            write!(f, "{}", self.stderr)?;
            if !self.stderr.ends_with('\n') {
                writeln!(f)?;
            }
        }
        match self.status {
            Some(0) => Ok(()),
            Some(code) => writeln!(f, "[exit status: {code}]"),
            None => writeln!(f, "[killed by a signal]"),
        }
    }
}

impl TestRepo {
    /// Run `kickoff <args>` in the work tree and capture everything it printed.
    pub fn run(&self, args: &[&str]) -> CommandOutput {
        let out = self.kickoff(args).output().unwrap();
        CommandOutput::new(&self.env, &out)
    }

    /// Install a `pre-receive` hook on origin that prints `message` as the
    /// remote's reason and refuses every push.
    pub fn freeze_origin(&self, message: &str) {
        let hook = self.origin.join("hooks/pre-receive");
        std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
        std::fs::write(&hook, format!("#!/bin/sh\necho '{message}' >&2\nexit 1\n")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
}
