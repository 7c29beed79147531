//! The shared state and deploys under real faults: a remote rewound by an
//! administrator, a remote that goes away during a deploy, Ctrl-C and SIGTERM
//! during a deploy, a hanging deploy, a remote whose hook turns the state
//! down, a deploy from a linked worktree, and git's own identity. Every test
//! reads the remote's state back.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

const K1: &str = "kickoff-240510-alpha";
const K2: &str = "kickoff-240510-beta";
const STATE: &str = "refs/kickoff/state";

fn ok_in(repo: &TestRepo, dir: &Path, args: &[&str]) -> String {
    let out = repo.env.kickoff_cmd(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "kickoff {args:?} failed:\n{}",
        stderr(&out)
    );
    format!("{}{}", stdout(&out), stderr(&out))
}

fn origin_state(repo: &TestRepo) -> Option<String> {
    repo.origin_refs().get(STATE).cloned()
}

fn local_state_in(repo: &TestRepo, dir: &Path) -> Option<String> {
    refs_of(&repo.env, dir).get(STATE).cloned()
}

/// Deployment records on origin.
fn records(repo: &TestRepo) -> Vec<Value> {
    if origin_state(repo).is_none() {
        return Vec::new();
    }
    state_paths(&repo.env, &repo.origin, STATE)
        .into_iter()
        .filter(|p| p.starts_with("deployments/"))
        .map(|p| {
            serde_json::from_str(&state_file(&repo.env, &repo.origin, STATE, &p).unwrap()).unwrap()
        })
        .collect()
}

/// The kickoff holding a slot on origin.
fn holder(repo: &TestRepo, slot: &str) -> Option<String> {
    origin_state(repo)?;
    state_file(
        &repo.env,
        &repo.origin,
        STATE,
        &format!("slots/{slot}.toml"),
    )
    .map(|t| {
        toml::from_str::<toml::Value>(&t).unwrap()["kickoff"]
            .as_str()
            .unwrap()
            .to_string()
    })
}

/// Entries in the clone's journal of unpublished changes.
fn journal(dir: &Path) -> Vec<String> {
    let git_dir = if dir.join(".git").is_dir() {
        dir.join(".git")
    } else {
        dir.to_path_buf()
    };
    std::fs::read_dir(git_dir.join("kickoff/journal"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".json"))
                .collect()
        })
        .unwrap_or_default()
}

/// A deploy script (`deploy.sh`, committed nowhere) with this body.
fn deploy_with(repo: &TestRepo, body: &str) {
    repo.write("deploy.sh", &format!("#!/bin/sh\n{body}\n"));
    std::fs::set_permissions(
        repo.work.join("deploy.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    repo.write(
        ".kickoff.toml",
        &SLOTS_TOML.replace("deploy = [\"true\"]", "deploy = [\"./deploy.sh\"]"),
    );
}

/// Whether a process runs (a zombie waiting for its reaper does not).
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X')),
        Err(_) => false,
    }
}

fn wait_for_file(path: &Path) -> String {
    let start = Instant::now();
    loop {
        if let Ok(t) = std::fs::read_to_string(path) {
            if t.ends_with('\n') {
                return t;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---- 1. a rewind is respected --------------------------------------------------

#[test]
fn a_remote_rewound_or_deleted_by_an_admin_is_respected_by_readers() {
    let repo = pool();
    ok_in(&repo, &repo.work, &["slot", "claim", K1, "--slot", "dev1"]);
    ok_in(&repo, &repo.work, &["slot", "claim", K2, "--slot", "dev2"]);
    // A teammate's clone has seen the newest state.
    let mate = repo.clone_to("mate");
    ok_in(&repo, &mate, &["slot", "list"]);
    let newest = origin_state(&repo).unwrap();
    assert_eq!(
        local_state_in(&repo, &mate).as_deref(),
        Some(newest.as_str())
    );
    // The admin moves the remote's state back one commit.
    let older = repo.origin_git(&["rev-parse", &format!("{newest}^")]);
    repo.origin_git(&["update-ref", STATE, &older, &newest]);
    for dir in [&mate, &repo.work] {
        let out = ok_in(&repo, dir, &["slot", "list", "--json"]);
        assert!(!out.contains("interrupted"), "{out}");
        assert_eq!(
            origin_state(&repo).as_deref(),
            Some(older.as_str()),
            "reads never write"
        );
        assert_eq!(local_state_in(&repo, dir).as_deref(), Some(older.as_str()));
    }
    assert_eq!(holder(&repo, "dev2"), None);
    assert_eq!(holder(&repo, "dev1").as_deref(), Some(K1));
    // A change in the clone that made the removed claim does not bring it back.
    ok_in(&repo, &mate, &["slot", "claim", K2, "--slot", "dev3"]);
    assert_eq!(holder(&repo, "dev2"), None);
    assert_eq!(holder(&repo, "dev3").as_deref(), Some(K2));

    // Deleted altogether: readers see no state and leave it deleted.
    repo.origin_git(&["update-ref", "-d", STATE]);
    for dir in [&mate, &repo.work] {
        let out = repo
            .env
            .kickoff_cmd(dir)
            .args(["slot", "list", "--json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let board: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(board["state_commit"], Value::Null);
        assert_eq!(origin_state(&repo), None);
        assert_eq!(local_state_in(&repo, dir), None);
    }
    assert!(journal(&repo.work).is_empty() && journal(&mate).is_empty());
}

// ---- 2. no unrecorded deploy -----------------------------------------------------

#[test]
fn a_record_the_remote_could_not_take_is_published_by_the_next_command() {
    let repo = pool();
    let origin = repo.origin.display().to_string();
    // The remote goes away while the deploy command runs.
    deploy_with(&repo, &format!("mv '{origin}' '{origin}.away'\necho moved"));
    let out = repo.kickoff(&["deploy", K1]).output().unwrap();
    std::fs::rename(format!("{origin}.away"), &origin).unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("kept in this clone's journal"),
        "{}",
        stderr(&out)
    );
    assert!(records(&repo).is_empty());
    assert_eq!(journal(&repo.work).len(), 1);
    assert_eq!(
        holder(&repo, "dev1").as_deref(),
        Some(K1),
        "claimed before the command ran"
    );
    // The remote is back: the next command publishes the record, once.
    let recs = published_by_next_read(&repo);
    assert_eq!(recs[0]["status"], "succeeded");
    assert_eq!(recs[0]["kickoff"], K1);
    assert!(journal(&repo.work).is_empty());
    ok_in(&repo, &repo.work, &["slot", "list"]);
    assert_eq!(records(&repo).len(), 1, "published once");
    assert_fsck_clean(&repo.env, &repo.origin);
}

/// `slot list` publishes the one journaled deployment record; the records.
fn published_by_next_read(repo: &TestRepo) -> Vec<Value> {
    let out = ok_in(repo, &repo.work, &["slot", "list"]);
    assert!(
        out.contains("completing an interrupted change: deploy"),
        "{out}"
    );
    let recs = records(repo);
    assert_eq!(recs.len(), 1);
    recs
}

/// Start `kickoff deploy` whose command records its pids and hangs; return
/// the child and the pids (shell, background sleep) once it runs.
fn start_hanging_deploy(
    repo: &TestRepo,
    own_group: bool,
    extra: &[&str],
) -> (std::process::Child, i32, i32) {
    deploy_with(
        repo,
        "sleep 300 &\necho $! > \"$KICKOFF_ENV_FILE.sleep\"\necho $$ > \"$KICKOFF_ENV_FILE.sh\"\nwait",
    );
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("kickoff"));
    cmd.current_dir(&repo.work)
        .args(["deploy", K1])
        .args(extra)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    repo.env.apply(&mut cmd);
    if own_group {
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    }
    let child = cmd.spawn().unwrap();
    let env = repo.work.join(".git/kickoff/env/dev1.env");
    let sh: i32 = wait_for_file(&env.with_extension("env.sh"))
        .trim()
        .parse()
        .unwrap();
    let sleep: i32 = wait_for_file(&env.with_extension("env.sleep"))
        .trim()
        .parse()
        .unwrap();
    (child, sh, sleep)
}

#[test]
fn ctrl_c_and_sigterm_stop_the_deploy_group_record_interrupted_and_give_the_slot_back() {
    // (signal, to kickoff's whole process group as a terminal does, or to kickoff alone)
    for (sig, group) in [
        (libc::SIGINT, true),
        (libc::SIGINT, false),
        (libc::SIGTERM, false),
    ] {
        let repo = pool();
        let (child, sh, sleep) = start_hanging_deploy(&repo, group, &[]);
        let pid = child.id() as i32;
        // SAFETY: signals to processes this test started.
        unsafe {
            libc::kill(if group { -pid } else { pid }, sig);
        }
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{sig} {group}: {err}");
        assert!(
            err.contains(&format!("interrupted by signal {sig}")),
            "{err}"
        );
        assert!(err.contains("recorded as interrupted"), "{err}");
        assert!(
            !alive(sh) && !alive(sleep),
            "the deploy command's group is gone"
        );
        let recs = records(&repo);
        assert_eq!(recs.len(), 1, "{err}");
        assert_eq!(recs[0]["status"], "interrupted");
        assert_eq!(recs[0]["signal"], sig);
        assert_eq!(
            holder(&repo, "dev1"),
            None,
            "the slot it claimed is given back"
        );
        assert!(journal(&repo.work).is_empty());
        assert!(!repo.work.join(".git/kickoff/env/dev1.env").exists());
    }
}

#[test]
fn a_hanging_deploy_is_stopped_by_its_time_limit() {
    let repo = pool();
    let started = Instant::now();
    let (child, sh, sleep) = start_hanging_deploy(&repo, false, &["--timeout", "1s"]);
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(30));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("timed out after 1s"), "{err}");
    assert!(!alive(sh) && !alive(sleep));
    let recs = records(&repo);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["status"], "timed-out");
    assert_eq!(holder(&repo, "dev1"), None);

    // The same from `slots.deploy_timeout`, on a slot held before: it stays held.
    ok_in(&repo, &repo.work, &["slot", "claim", K1, "--slot", "dev2"]);
    deploy_with(&repo, "sleep 300");
    let config = std::fs::read_to_string(repo.work.join(".kickoff.toml")).unwrap();
    repo.write(
        ".kickoff.toml",
        &config.replace("lease = \"3d\"", "lease = \"3d\"\ndeploy_timeout = \"1s\""),
    );
    let out = repo.kickoff(&["deploy", K1]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("timed out after 1s"),
        "{}",
        stderr(&out)
    );
    assert_eq!(records(&repo).len(), 2);
    assert_eq!(holder(&repo, "dev2").as_deref(), Some(K1));
    // A bad limit is a usage error that changes nothing.
    assert_refused(
        &repo,
        &["deploy", K1, "--timeout", "soon"],
        2,
        &["invalid --timeout"],
    );
}

// ---- 4. worktrees ---------------------------------------------------------------

#[test]
fn deploy_from_a_linked_worktree_writes_the_env_file_in_the_common_git_dir() {
    let repo = pool();
    let wt = repo.env.path().join("linked");
    repo.git(&["worktree", "add", "--quiet", wt.to_str().unwrap(), K1]);
    let out = ok_in(&repo, &wt, &["deploy"]);
    assert!(out.contains("deployed kickoff-240510-alpha"), "{out}");
    assert!(repo.work.join(".git/kickoff/env/dev1.env").exists());
    let recs = records(&repo);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["status"], "succeeded");
    assert_eq!(holder(&repo, "dev1").as_deref(), Some(K1));
    assert!(journal(&repo.work).is_empty());
}

// ---- 6. a remote that turns the state down ---------------------------------------

#[test]
fn a_push_turned_down_by_a_hook_is_reported_at_once_with_the_remotes_message() {
    let repo = pool();
    let hook = repo.origin.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho 'the shared state is frozen for the audit' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let started = Instant::now();
    let err = assert_refused(
        &repo,
        &["slot", "claim", K1],
        1,
        &[
            "refused the shared state",
            "pre-receive hook declined",
            "the shared state is frozen for the audit",
        ],
    );
    assert!(!err.contains("kept changing"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "not retried 40 times"
    );
    assert!(journal(&repo.work).is_empty());
}

// ---- 5. identity ----------------------------------------------------------------

#[test]
fn changes_are_made_under_the_identity_git_itself_uses() {
    let repo = pool();
    let global = repo.env.path().join("global-config");
    std::fs::write(
        &global,
        "[user]\n\tname = Gita Global\n\temail = gita@example.com\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = repo
            .kickoff(args)
            .env("GIT_CONFIG_GLOBAL", &global)
            .env_remove("GIT_COMMITTER_NAME")
            .env_remove("GIT_COMMITTER_EMAIL")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    };
    run(&["slot", "claim", K1, "--slot", "dev1"]);
    let lease = state_file(&repo.env, &repo.origin, STATE, "slots/dev1.toml").unwrap();
    assert!(
        lease.contains("gita@example.com") && lease.contains("Gita Global"),
        "{lease}"
    );
    let committer = repo.origin_git(&["log", "-1", "--format=%cn <%ce>", STATE]);
    assert_eq!(committer, "Gita Global <gita@example.com>");
    // The holder check compares the same identity: releasing needs no --force.
    run(&["slot", "release", "dev1"]);
    assert_eq!(holder(&repo, "dev1"), None);
    // `git -c user.email=…` (GIT_CONFIG_COUNT) wins over the global file, as in git.
    let out = repo
        .kickoff(&["slot", "claim", K2, "--slot", "dev2"])
        .env("GIT_CONFIG_GLOBAL", &global)
        .env_remove("GIT_COMMITTER_NAME")
        .env_remove("GIT_COMMITTER_EMAIL")
        .env("GIT_CONFIG_COUNT", "1")
        .env("GIT_CONFIG_KEY_0", "user.email")
        .env("GIT_CONFIG_VALUE_0", "override@example.com")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let lease = state_file(&repo.env, &repo.origin, STATE, "slots/dev2.toml").unwrap();
    assert!(lease.contains("override@example.com"), "{lease}");
}

// ---- 3. hostile data in the shared state -----------------------------------------

/// Write `content` as a blob in `dir`; its id.
fn blob(repo: &TestRepo, dir: &Path, content: &[u8]) -> String {
    let file = repo.env.path().join("blob.tmp");
    std::fs::write(&file, content).unwrap();
    repo.env
        .git(dir, &["hash-object", "-w", file.to_str().unwrap()])
}

/// A tree from `(mode type oid name)` lines, fed to `git mktree` as bytes.
fn mktree(repo: &TestRepo, dir: &Path, lines: &[Vec<u8>]) -> String {
    use std::io::Write;
    let mut child = repo
        .env
        .git_cmd(dir, &["mktree"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = Vec::new();
    for l in lines {
        input.extend_from_slice(l);
        input.push(b'\n');
    }
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn entry(mode: &str, kind: &str, oid: &str, name: &[u8]) -> Vec<u8> {
    let mut l = format!("{mode} {kind} {oid}\t").into_bytes();
    l.extend_from_slice(name);
    l
}

#[test]
fn hostile_state_pushed_by_hand_is_skipped_and_an_admin_removes_it() {
    let repo = pool();
    ok_in(&repo, &repo.work, &["slot", "claim", K1, "--slot", "dev1"]);
    ok_in(&repo, &repo.work, &["deploy", K1]);
    let good = records(&repo);
    assert_eq!(good.len(), 1);
    // Mallory builds a state commit by hand on top of the team's.
    let m = repo.clone_to("mallory");
    repo.env.git(
        &m,
        &["fetch", "--quiet", "origin", &format!("{STATE}:{STATE}")],
    );
    let tip = repo.env.git(&m, &["rev-parse", STATE]);
    let files = |dir: &str| {
        repo.env
            .git(&m, &["ls-tree", &format!("{tip}:{dir}")])
            .lines()
            .map(|l| l.as_bytes().to_vec())
            .collect::<Vec<_>>()
    };
    let file =
        |content: &[u8], name: &[u8]| entry("100644", "blob", &blob(&repo, &m, content), name);
    let mut record = good[0].clone();
    let good_name = state_paths(&repo.env, &m, STATE)
        .into_iter()
        .find(|p| p.starts_with("deployments/"))
        .unwrap();
    // Non-ASCII commit: made `slot list` and the dashboard panic.
    record["commit"] = Value::from("ééééééééééééééééééééééé");
    record["id"] = Value::from("aaaaaaaaaaaa");
    let stamp = &good_name["deployments/".len()..good_name.len() - "-dev1-xxxxxxxxxxxx.json".len()];
    let accented = format!("{stamp}-dev1-aaaaaaaaaaaa.json");
    // The same id as the good record, on another slot.
    let mut dup = good[0].clone();
    dup["slot"] = Value::from("dev2");
    let dup_name = format!("{stamp}-dev2-{}.json", good[0]["id"].as_str().unwrap());
    let mut deployments = files("deployments");
    deployments.push(file(record.to_string().as_bytes(), accented.as_bytes()));
    deployments.push(file(dup.to_string().as_bytes(), dup_name.as_bytes()));
    deployments.push(file(
        &vec![b'x'; 1 << 20],
        b"20240510T120000Z-dev1-big.json",
    ));
    deployments.push(file(b"{}", b"\xff\xfe.json"));
    let lease = |kickoff: &str, since: &str, until: &str| {
        format!(
            "kickoff = \"{kickoff}\"\nsince = \"{since}\"\nuntil = \"{until}\"\nvia = \"claim\"\n\n[holder]\nname = \"M\"\nemail = \"m@example.com\"\n"
        )
    };
    let mut slots = files("slots");
    slots.push(file(
        lease(K2, "2030-01-02T00:00:00Z", "2030-01-01T00:00:00Z").as_bytes(),
        b"dev3.toml",
    ));
    slots.push(file(
        lease(K2, "2024-01-01T00:00:00Z", "2099-01-01T00:00:00Z").as_bytes(),
        b"dev9.toml",
    ));
    let dtree = mktree(&repo, &m, &deployments);
    let stree = mktree(&repo, &m, &slots);
    let root = mktree(
        &repo,
        &m,
        &[
            entry("040000", "tree", &dtree, b"deployments"),
            entry("040000", "tree", &stree, b"slots"),
            file(b"\xff\xfe\x00not toml", b"queue.toml"),
            file(b"hello", b"notes.txt"),
        ],
    );
    let commit = repo
        .env
        .git(&m, &["commit-tree", &root, "-p", &tip, "-m", "by hand"]);
    repo.env.git(
        &m,
        &["push", "--quiet", "origin", &format!("{commit}:{STATE}")],
    );

    // Nobody crashes or is blocked; each bad file is named with the commit.
    let out = repo.kickoff(&["slot", "list"]).output().unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let short = &commit[..10];
    for needle in [
        format!(
            "state commit {short}: skipping deployments/{accented} (commit is not a commit id); remove it with `kickoff slot admin remove deployments/{accented}`"
        ),
        format!("skipping deployments/{dup_name} (another record has the id"),
        "skipping deployments/20240510T120000Z-dev1-big.json (1048576 bytes is over the limit"
            .to_string(),
        "skipping slots/dev3.toml (since is after until)".to_string(),
        "skipping queue.toml (not UTF-8 text)".to_string(),
        "ignoring \"notes.txt\"".to_string(),
        "dev9 is held by kickoff-240510-beta but is not in `slots.names`".to_string(),
    ] {
        assert!(err.contains(&needle), "{needle}\n{err}");
    }
    let out = repo
        .kickoff(&["dashboard", "--out", "dash"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // A lease of a slot no longer configured: deploy refuses, no panic.
    let refused = assert_refused(
        &repo,
        &["deploy", K2],
        1,
        &["holds dev9, which is not in `slots.names`"],
    );
    assert!(!refused.contains("panicked"));
    // A change goes through; paths kickoff does not write are left out, bad
    // files at good paths are kept for the admin.
    ok_in(&repo, &repo.work, &["slot", "release", "dev1"]);
    let paths = state_paths(&repo.env, &repo.origin, STATE);
    assert!(
        !paths
            .iter()
            .any(|p| p == "notes.txt" || p.contains(".json\"") || p.contains("\\377")),
        "{paths:?}"
    );
    assert!(paths.contains(&format!("deployments/{accented}")));
    assert!(paths.contains(&good_name), "the good record survives");

    // The admin's tools: files, a dry run, the removal, the history.
    let listing = ok_in(&repo, &repo.work, &["slot", "admin", "files"]);
    assert!(
        listing.contains("skipped") && listing.contains("slots/dev3.toml"),
        "{listing}"
    );
    let bad = [
        format!("deployments/{accented}"),
        format!("deployments/{dup_name}"),
        "deployments/20240510T120000Z-dev1-big.json".to_string(),
        "slots/dev3.toml".to_string(),
        "slots/dev9.toml".to_string(),
        "queue.toml".to_string(),
    ];
    let mut args: Vec<&str> = vec!["slot", "admin", "remove"];
    args.extend(bad.iter().map(String::as_str));
    let before = repo.snapshot();
    let mut dry = args.clone();
    dry.push("--dry-run");
    ok_in(&repo, &repo.work, &dry);
    assert_eq!(before, repo.snapshot(), "--dry-run changes nothing");
    args.extend(["--reason", "hand-made state"]);
    ok_in(&repo, &repo.work, &args);
    let paths = state_paths(&repo.env, &repo.origin, STATE);
    for b in &bad {
        assert!(!paths.contains(b), "{b} removed: {paths:?}");
    }
    assert!(paths.contains(&good_name));
    let out = repo.kickoff(&["slot", "list"]).output().unwrap();
    assert!(!stderr(&out).contains("skipping"), "{}", stderr(&out));
    let history = ok_in(&repo, &repo.work, &["slot", "admin", "history", "-n", "3"]);
    assert!(
        history
            .lines()
            .next()
            .unwrap()
            .contains("admin: remove deployments/"),
        "{history}"
    );
    let last = repo.origin_git(&["log", "-1", "--format=%B", STATE]);
    assert!(
        last.contains("\"op\":\"admin\"") && last.contains("hand-made state"),
        "{last}"
    );
    assert_fsck_clean(&repo.env, &repo.work);
}

#[test]
fn admin_reset_frees_every_slot_keeps_the_log_and_refuses_bad_requests() {
    let repo = pool();
    ok_in(&repo, &repo.work, &["slot", "claim", K1, "--slot", "dev1"]);
    ok_in(&repo, &repo.work, &["deploy", K2]);
    assert_refused(
        &repo,
        &["slot", "admin", "remove", "slots/dev4.toml"],
        1,
        &["the shared state has no file slots/dev4.toml"],
    );
    assert_refused(
        &repo,
        &["slot", "admin", "reset"],
        2,
        &["needs a confirmation", "--yes"],
    );
    let before = repo.snapshot();
    ok_in(&repo, &repo.work, &["slot", "admin", "reset", "--dry-run"]);
    assert_eq!(before, repo.snapshot());
    let out = ok_in(&repo, &repo.work, &["slot", "admin", "reset", "--yes"]);
    assert!(out.contains("released dev1, dev2"), "{out}");
    assert_eq!(holder(&repo, "dev1"), None);
    assert_eq!(holder(&repo, "dev2"), None);
    assert_eq!(records(&repo).len(), 1, "the log stays");
    let json: Value = serde_json::from_str(&ok_in_stdout(
        &repo,
        &["slot", "admin", "history", "--json", "-n", "1"],
    ))
    .unwrap();
    assert_eq!(json["changes"][0]["op"]["action"]["action"], "reset");
}

fn ok_in_stdout(repo: &TestRepo, args: &[&str]) -> String {
    let out = repo.kickoff(args).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

// ---- 6. the clone's lock ----------------------------------------------------------

#[test]
fn the_state_lock_is_an_os_lock_a_left_file_never_blocks_a_held_one_waits() {
    use std::os::unix::io::AsRawFd;
    let repo = pool();
    let path = repo.work.join(".git/kickoff/state.lock");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    // A lock file left behind by a process that died: not a lock at all.
    std::fs::write(&path, "999999\n").unwrap();
    ok_in(&repo, &repo.work, &["slot", "claim", K1, "--slot", "dev1"]);
    // A live holder: kickoff waits, then gives up naming it, having changed nothing.
    std::fs::write(&path, format!("{}\n", std::process::id())).unwrap();
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    // SAFETY: flock on a descriptor this test owns.
    assert_eq!(unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) }, 0);
    let before = repo.snapshot();
    let out = repo
        .kickoff(&["slot", "claim", K2, "--slot", "dev2"])
        .env("KICKOFF_LOCK_WAIT", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "another kickoff process (process {})",
            std::process::id()
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(before, repo.snapshot());
    drop(file);
    ok_in(&repo, &repo.work, &["slot", "claim", K2, "--slot", "dev2"]);
    assert_eq!(holder(&repo, "dev2").as_deref(), Some(K2));
}

#[test]
fn a_deploy_whose_kickoff_was_killed_is_recorded_once_its_command_has_ended() {
    let repo = pool();
    let (mut child, sh, sleep) = start_hanging_deploy(&repo, false, &[]);
    // Once kickoff has noted the command's process group in its journal...
    let start = Instant::now();
    while !journal(&repo.work).iter().any(|name| {
        std::fs::read_to_string(repo.work.join(".git/kickoff/journal").join(name))
            .is_ok_and(|t| t.contains("\"group\""))
    }) {
        assert!(start.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: kickoff cannot pass anything on.
    child.wait().unwrap();
    // The command runs on unsupervised: the next command leaves its entry.
    assert!(alive(sh) && alive(sleep));
    ok_in(&repo, &repo.work, &["slot", "list"]);
    assert!(records(&repo).is_empty());
    assert_eq!(journal(&repo.work).len(), 1);
    // Once it has ended, the next command records it as interrupted (outcome
    // unknown) and gives back the slot the deploy claimed.
    // SAFETY: signals to processes this test started.
    unsafe {
        libc::kill(-sh, libc::SIGKILL);
    }
    let start = Instant::now();
    while alive(sh) || alive(sleep) {
        assert!(start.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(20));
    }
    let recs = published_by_next_read(&repo);
    assert_eq!(recs[0]["status"], "interrupted");
    assert!(
        recs[0]["error"]
            .as_str()
            .unwrap()
            .contains("outcome is unknown")
    );
    assert_eq!(holder(&repo, "dev1"), None);
    assert!(journal(&repo.work).is_empty());
}
