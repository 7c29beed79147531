//! The shared state under contention and after crashes.
//!
//! Concurrency: eight processes in eight clones of one bare remote claim,
//! deploy and release at the same time, repeatedly; then the whole history of
//! `refs/kickoff/state` on the remote is replayed and checked: one holder per
//! slot at every point, every reported success recorded exactly once, no
//! record lost or duplicated.
//!
//! Crashes: `KICKOFF_TEST_CRASH_AT` (test-only fault injection) kills a change
//! after its objects are written, after the local ref moved, just before and
//! just after the push; the next command must read and repair, and `git fsck`
//! must stay clean.

mod common;
use common::*;
use kickoff::git::git2;
use kickoff::slots::{Op, SlotState};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

const PROCS: usize = 8;
const ROUNDS: usize = 3;

/// Three slots for eight kickoffs: most claims meet a full pool or a race.
const POOL3: &str = r#"[slots]
names = ["dev1", "dev2", "dev3"]
deploy = ["true"]

[[slots.apps]]
name = "frontend"
port = 3000
base_port = 3001
"#;

fn kickoff_name(i: usize) -> String {
    format!("kickoff-240510-team{i}")
}

fn run_as(repo: &TestRepo, dir: &Path, who: usize, args: &[&str]) -> Output {
    repo.env
        .kickoff_cmd(dir)
        .args(args)
        .env("GIT_COMMITTER_NAME", format!("Tester {who}"))
        .env("GIT_COMMITTER_EMAIL", format!("t{who}@example.com"))
        .output()
        .unwrap()
}

/// What one process saw succeed.
#[derive(Default, Debug)]
struct Reported {
    /// (op id, slot, kickoff)
    claims: Vec<(String, String, String)>,
    releases: Vec<String>,
    /// deployment record file names
    deploys: Vec<String>,
    refused: usize,
    attempts: usize,
    changes: usize,
}

fn worker(repo: &TestRepo, dir: PathBuf, i: usize, rounds: usize, barriers: &Barriers) -> Reported {
    let k = kickoff_name(i);
    let mut r = Reported::default();
    barriers.start.wait();
    for round in 0..rounds {
        let out = run_as(repo, &dir, i, &["slot", "claim", &k, "--json"]);
        if round == 0 {
            // Nobody releases before every first claim was tried: with more
            // processes than slots, the pool is full for some of them whatever
            // the scheduling, so contention is certain, not a matter of timing.
            barriers.first_claims.wait();
        }
        match out.status.code() {
            Some(0) => {}
            Some(1) => {
                r.refused += 1;
                continue;
            }
            c => panic!("claim exited {c:?}: {}", stderr(&out)),
        }
        let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(v["outcome"]["result"], "claimed", "{v}");
        let slot = v["outcome"]["slot"].as_str().unwrap().to_string();
        r.claims.push((
            v["op"].as_str().unwrap().to_string(),
            slot.clone(),
            k.clone(),
        ));
        r.attempts += v["attempts"].as_u64().unwrap() as usize;
        r.changes += 1;

        let out = run_as(repo, &dir, i, &["deploy", &k, "--json"]);
        assert_eq!(out.status.code(), Some(0), "deploy: {}", stderr(&out));
        let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(v["deployment"]["slot"], slot.as_str());
        r.deploys.push(v["file"].as_str().unwrap().to_string());
        r.changes += 1;

        let out = run_as(repo, &dir, i, &["slot", "release", &slot, "--json"]);
        assert_eq!(out.status.code(), Some(0), "release: {}", stderr(&out));
        let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
        r.releases.push(v["op"].as_str().unwrap().to_string());
        r.attempts += v["attempts"].as_u64().unwrap() as usize;
        r.changes += 1;
    }
    r
}

fn tree_files(repo: &git2::Repository, commit: &git2::Commit) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    commit
        .tree()
        .unwrap()
        .walk(git2::TreeWalkMode::PreOrder, |dir, e| {
            if e.kind() == Some(git2::ObjectType::Blob) {
                let blob = repo.find_blob(e.id()).unwrap();
                files.insert(
                    format!("{dir}{}", e.name().unwrap()),
                    blob.content().to_vec(),
                );
            }
            git2::TreeWalkResult::Ok
        })
        .unwrap();
    files
}

/// Every state commit on the remote, oldest first, with its operation and state.
fn replay(origin: &Path) -> Vec<(git2::Oid, Op, SlotState)> {
    let repo = git2::Repository::open_bare(origin).unwrap();
    let tip = repo.refname_to_id("refs/kickoff/state").unwrap();
    let mut walk = repo.revwalk().unwrap();
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)
        .unwrap();
    walk.push(tip).unwrap();
    let mut out: Vec<(git2::Oid, Op, SlotState)> = Vec::new();
    for oid in walk {
        let c = repo.find_commit(oid.unwrap()).unwrap();
        // A single chain: every commit's parent is the one before it.
        assert!(c.parent_count() <= 1, "merge in the state chain");
        assert_eq!(c.parent_ids().next(), out.last().map(|(o, _, _)| *o));
        let op = kickoff::state::parse_op(c.message().unwrap()).expect("op in message");
        let state = SlotState::from_files(tree_files(&repo, &c));
        out.push((c.id(), op, state));
    }
    out
}

/// Where the workers wait for each other.
struct Barriers {
    /// Every worker starts at once.
    start: std::sync::Barrier,
    /// Every worker has tried its first claim.
    first_claims: std::sync::Barrier,
}

/// Run `workers` processes at once, worker `i` in `dirs[i]`, for `rounds` rounds.
fn run_workers(repo: &TestRepo, dirs: &[PathBuf], rounds: usize) -> Vec<Reported> {
    let barriers = Barriers {
        start: std::sync::Barrier::new(dirs.len()),
        first_claims: std::sync::Barrier::new(dirs.len()),
    };
    std::thread::scope(|s| {
        let handles: Vec<_> = dirs
            .iter()
            .enumerate()
            .map(|(i, dir)| {
                let (barriers, dir) = (&barriers, dir.clone());
                s.spawn(move || worker(repo, dir, i, rounds, barriers))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn eight_clones_claim_deploy_and_release_at_once() {
    let names: Vec<String> = (0..PROCS).map(|i| format!("team{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let repo = slots_repo(POOL3, &refs);
    let clones: Vec<PathBuf> = (0..PROCS)
        .map(|i| repo.clone_to(&format!("c{i}")))
        .collect();
    let reports = run_workers(&repo, &clones, ROUNDS);
    let summary = check_history(&repo, &clones, &reports);
    eprintln!("concurrency, {PROCS} clones x {ROUNDS} rounds: {summary}");
}

#[test]
fn processes_sharing_one_clone_neither_duplicate_nor_resurrect_changes() {
    let names: Vec<String> = (0..4).map(|i| format!("team{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let repo = slots_repo(POOL3, &refs);
    let dirs = vec![repo.work.clone(); 4];
    let reports = run_workers(&repo, &dirs, 2);
    let summary = check_history(&repo, &dirs[..1], &reports);
    eprintln!("concurrency, 4 processes in one clone x 2 rounds: {summary}");
}

/// Replay the remote's state history and check it against what the
/// processes reported; returns a summary line.
fn check_history(repo: &TestRepo, dirs: &[PathBuf], reports: &[Reported]) -> String {
    // Anything left pending in a clone is published by its next command.
    for (i, dir) in dirs.iter().enumerate() {
        let out = run_as(repo, dir, i, &["slot", "list", "--json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(!stderr(&out).contains("interrupted"), "{}", stderr(&out));
    }
    let history = replay(&repo.origin);
    let mut op_ids = BTreeMap::new();
    for (n, (_, op, _)) in history.iter().enumerate() {
        assert!(
            op_ids.insert(op.id().to_string(), n).is_none(),
            "operation {} recorded twice",
            op.id()
        );
    }
    // One holder per slot, one slot per kickoff, at every point; a slot only
    // changes hands through being free (leases are 3 days: no takeovers).
    let mut prev = SlotState::default();
    let mut records_seen: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (oid, op, state) in &history {
        let holders: Vec<&String> = state.leases.values().map(|l| &l.kickoff).collect();
        let unique: BTreeSet<&String> = holders.iter().copied().collect();
        assert_eq!(
            holders.len(),
            unique.len(),
            "a kickoff holds two slots at {oid}"
        );
        for (slot, lease) in &state.leases {
            if let Some(before) = prev.leases.get(slot) {
                assert!(
                    before == lease,
                    "{slot} changed hands without being free at {oid}: {before:?} -> {lease:?}"
                );
            } else {
                match op {
                    Op::Claim { kickoff, .. } => assert_eq!(kickoff, &lease.kickoff),
                    other => panic!("{slot} taken by {other:?} at {oid}"),
                }
            }
        }
        // Records are only ever added, never changed or dropped.
        let files = state.to_files();
        for (path, content) in &records_seen {
            assert_eq!(
                files.get(path),
                Some(content),
                "record {path} lost at {oid}"
            );
        }
        for (path, content) in files {
            if path.starts_with("deployments/") {
                records_seen.entry(path).or_insert(content);
            }
        }
        prev = state.clone();
    }

    // Every reported success is in the history exactly once, where it says.
    let final_state = &history.last().unwrap().2;
    let (mut claims, mut deploys, mut releases, mut refused, mut attempts, mut changes) =
        (0, 0, 0, 0, 0, 0);
    for r in reports {
        for (id, slot, k) in &r.claims {
            let n = op_ids[id];
            assert_eq!(history[n].2.leases[slot].kickoff, *k);
        }
        for id in &r.releases {
            assert!(op_ids.contains_key(id), "release {id} missing");
        }
        for file in &r.deploys {
            assert!(
                final_state.deployments.contains_key(file),
                "record {file} missing"
            );
        }
        claims += r.claims.len();
        deploys += r.deploys.len();
        releases += r.releases.len();
        refused += r.refused;
        attempts += r.attempts;
        changes += r.changes;
    }
    // Nothing else happened: the history holds exactly the reported changes.
    let count = |f: fn(&Op) -> bool| history.iter().filter(|(_, op, _)| f(op)).count();
    assert_eq!(count(|o| matches!(o, Op::Claim { .. })), claims);
    assert_eq!(count(|o| matches!(o, Op::Release { .. })), releases);
    assert_eq!(count(|o| matches!(o, Op::Record { .. })), deploys);
    assert_eq!(final_state.deployments.len(), deploys);
    assert!(final_state.leases.is_empty(), "{:?}", final_state.leases);
    assert!(claims > 0, "nothing was claimed");
    // More processes than slots claimed before anyone released (see `worker`).
    assert!(refused > 0, "no contention: {claims} claims, none refused");
    let summary = format!(
        "{} claim attempts, {claims} claimed, {refused} refused (pool full), {deploys} deploys recorded, {releases} releases; {} state commits; {} retries after a rejected push ({attempts} attempts for {} claims and releases)",
        claims + refused,
        history.len(),
        attempts - (claims + releases),
        claims + releases,
    );
    let _ = changes;
    assert_fsck_clean(&repo.env, &repo.origin);
    summary
}

// ---- crashes ----------------------------------------------------------------

const K1: &str = "kickoff-240510-alpha";
const K2: &str = "kickoff-240510-beta";

fn crash(repo: &TestRepo, point: &str, args: &[&str]) -> Output {
    let out = repo
        .kickoff(args)
        .env("KICKOFF_TEST_CRASH_AT", point)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(86), "{}", stderr(&out));
    out
}

fn local_state(repo: &TestRepo) -> Option<String> {
    repo.refs().get("refs/kickoff/state").cloned()
}

fn origin_state(repo: &TestRepo) -> Option<String> {
    repo.origin_refs().get("refs/kickoff/state").cloned()
}

fn holder(repo: &TestRepo, slot: &str) -> Option<String> {
    state_file(
        &repo.env,
        &repo.origin,
        "refs/kickoff/state",
        &format!("slots/{slot}.toml"),
    )
    .map(|t| {
        toml::from_str::<toml::Value>(&t).unwrap()["kickoff"]
            .as_str()
            .unwrap()
            .to_string()
    })
}

fn list(repo: &TestRepo) -> Output {
    let out = repo.kickoff(&["slot", "list", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    out
}

#[test]
fn killed_after_writing_objects_leaves_only_unreachable_objects() {
    let repo = slots_repo(POOL3, &["alpha", "beta"]);
    repo.kickoff(&["slot", "claim", K2]).assert().success();
    let (local, origin) = (local_state(&repo), origin_state(&repo));
    crash(&repo, "objects", &["slot", "claim", K1, "--slot", "dev2"]);
    assert_eq!(local_state(&repo), local);
    assert_eq!(origin_state(&repo), origin);
    assert_fsck_clean(&repo.env, &repo.work);
    let out = list(&repo);
    assert!(!stderr(&out).contains("interrupted"), "{}", stderr(&out));
    assert_eq!(holder(&repo, "dev2"), None);
    // The claim was never confirmed; running it again works.
    repo.kickoff(&["slot", "claim", K1, "--slot", "dev2"])
        .assert()
        .success();
    assert_eq!(holder(&repo, "dev2").as_deref(), Some(K1));
}

#[test]
fn killed_after_the_local_ref_moved_is_completed_by_the_next_command() {
    for point in ["local-ref", "before-push"] {
        let repo = slots_repo(POOL3, &["alpha", "beta"]);
        repo.kickoff(&["slot", "claim", K2]).assert().success();
        let origin = origin_state(&repo);
        crash(&repo, point, &["slot", "claim", K1, "--slot", "dev3"]);
        // The local ref is ahead of the remote; the remote does not have it.
        assert_ne!(local_state(&repo), origin, "{point}");
        assert_eq!(origin_state(&repo), origin, "{point}");
        assert_fsck_clean(&repo.env, &repo.work);
        let out = list(&repo);
        assert!(
            stderr(&out).contains("completing an interrupted change: claim dev3"),
            "{point}: {}",
            stderr(&out)
        );
        let board: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(board["slots"][2]["kickoff"], K1, "{point}");
        assert_eq!(holder(&repo, "dev3").as_deref(), Some(K1), "{point}");
        assert_eq!(local_state(&repo), origin_state(&repo), "{point}");
        // Nothing is left to repair.
        assert!(!stderr(&list(&repo)).contains("interrupted"));
        assert_fsck_clean(&repo.env, &repo.work);
        assert_fsck_clean(&repo.env, &repo.origin);
    }
}

#[test]
fn an_interrupted_claim_the_remote_no_longer_allows_is_dropped() {
    let repo = slots_repo(POOL3, &["alpha", "beta"]);
    crash(
        &repo,
        "before-push",
        &["slot", "claim", K1, "--slot", "dev1"],
    );
    // Meanwhile a teammate takes dev1 for another kickoff.
    let mate = repo.clone_to("mate");
    let out = repo
        .env
        .kickoff_cmd(&mate)
        .args(["slot", "claim", K2, "--slot", "dev1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // Our next command re-applies the pending claim on the fresh state, where
    // it is refused: dropped with a warning, the teammate keeps dev1.
    let out = list(&repo);
    assert!(
        stderr(&out).contains("dropping an interrupted change (claim dev1"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("dev1 is held by kickoff-240510-beta"));
    assert_eq!(holder(&repo, "dev1").as_deref(), Some(K2));
    assert_eq!(local_state(&repo), origin_state(&repo));
    assert_fsck_clean(&repo.env, &repo.work);
}

#[test]
fn killed_after_the_push_needs_no_repair() {
    let repo = slots_repo(POOL3, &["alpha"]);
    crash(&repo, "after-push", &["slot", "claim", K1]);
    assert_eq!(holder(&repo, "dev1").as_deref(), Some(K1));
    let out = list(&repo);
    assert!(!stderr(&out).contains("interrupted"), "{}", stderr(&out));
    assert_eq!(local_state(&repo), origin_state(&repo));
    assert_fsck_clean(&repo.env, &repo.work);
}

#[test]
fn a_deployment_record_killed_before_its_push_is_not_lost() {
    let repo = slots_repo(POOL3, &["alpha"]);
    // Change 1 is the claim, change 2 the record.
    crash(&repo, "before-push@2", &["deploy", K1]);
    assert_eq!(holder(&repo, "dev1").as_deref(), Some(K1));
    let pending = state_paths(&repo.env, &repo.work, "refs/kickoff/state");
    assert!(pending.iter().any(|p| p.starts_with("deployments/")));
    assert!(
        !state_paths(&repo.env, &repo.origin, "refs/kickoff/state")
            .iter()
            .any(|p| p.starts_with("deployments/"))
    );
    // Another command (a claim for something else) publishes it on the way.
    let out = repo
        .kickoff(&["slot", "renew", "dev1", "--ttl", "1d"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("completing an interrupted change: deploy"));
    let on_origin: Vec<String> = state_paths(&repo.env, &repo.origin, "refs/kickoff/state")
        .into_iter()
        .filter(|p| p.starts_with("deployments/"))
        .collect();
    assert_eq!(on_origin.len(), 1, "{on_origin:?}");
    assert_eq!(local_state(&repo), origin_state(&repo));
    assert_fsck_clean(&repo.env, &repo.work);
    assert_fsck_clean(&repo.env, &repo.origin);
}

/// Deployment records on origin: (status, kickoff).
fn origin_records(repo: &TestRepo) -> Vec<(String, String)> {
    if origin_state(repo).is_none() {
        return Vec::new();
    }
    state_paths(&repo.env, &repo.origin, "refs/kickoff/state")
        .into_iter()
        .filter(|p| p.starts_with("deployments/"))
        .map(|p| {
            let r: Value = serde_json::from_str(
                &state_file(&repo.env, &repo.origin, "refs/kickoff/state", &p).unwrap(),
            )
            .unwrap();
            (
                r["status"].as_str().unwrap().to_string(),
                r["kickoff"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_deploy_killed_at_any_step_leaves_a_consistent_state_and_its_record() {
    // (where kickoff dies, the slot holder afterwards, the record published)
    let cases: &[(&str, Option<&str>, Option<&str>)] = &[
        // The claim (change 1).
        ("objects@1", None, None),
        ("local-ref@1", Some(K1), None),
        ("before-push@1", Some(K1), None),
        ("after-push@1", Some(K1), None),
        // The command: journaled as deploying; its outcome is unknown, so it
        // is recorded as interrupted and the slot it claimed goes back.
        ("deploy-started", None, Some("interrupted")),
        ("deploy-ran", None, Some("interrupted")),
        // Its outcome journaled: the record is published as it was.
        ("deploy-journaled", Some(K1), Some("succeeded")),
        // The record (change 2).
        ("objects@2", Some(K1), Some("succeeded")),
        ("local-ref@2", Some(K1), Some("succeeded")),
        ("before-push@2", Some(K1), Some("succeeded")),
        ("after-push@2", Some(K1), Some("succeeded")),
    ];
    for (point, held, record) in cases {
        let repo = slots_repo(POOL3, &["alpha"]);
        crash(&repo, point, &["deploy", K1]);
        let out = list(&repo);
        let after = origin_state(&repo);
        assert_eq!(
            holder(&repo, "dev1").as_deref(),
            *held,
            "{point}: {}",
            stderr(&out)
        );
        let recs = origin_records(&repo);
        match record {
            None => assert!(recs.is_empty(), "{point}: {recs:?}"),
            Some(status) => assert_eq!(recs, vec![(status.to_string(), K1.to_string())], "{point}"),
        }
        assert_eq!(local_state(&repo), after, "{point}");
        let journal = repo.work.join(".git/kickoff/journal");
        assert!(
            std::fs::read_dir(&journal).map_or(true, |d| d.count() == 0),
            "{point}: the journal is empty"
        );
        // Nothing is left to repair: the next read changes nothing.
        let again = list(&repo);
        assert!(!stderr(&again).contains("interrupted change"), "{point}");
        assert_eq!(origin_state(&repo), after, "{point}");
        assert_fsck_clean(&repo.env, &repo.work);
        assert_fsck_clean(&repo.env, &repo.origin);
    }
}
