//! `kickoff new`: cutting kickoff branches from the remote's main.

mod common;
use common::*;

#[test]
fn new_creates_pushes_tracks_and_checks_out() {
    let repo = TestRepo::new();
    let main = repo.rev("main").unwrap();
    let out = repo
        .kickoff(&["new", "dashboard", "--date", "240510"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "kickoff-240510-dashboard\n");
    assert_eq!(repo.rev("kickoff-240510-dashboard").unwrap(), main);
    assert_eq!(
        repo.origin_refs()
            .get("refs/heads/kickoff-240510-dashboard"),
        Some(&main)
    );
    assert_eq!(
        repo.config("branch.kickoff-240510-dashboard.remote")
            .as_deref(),
        Some("origin")
    );
    assert_eq!(
        repo.head_branch().as_deref(),
        Some("kickoff-240510-dashboard")
    );
}

#[test]
fn new_accepts_iso_date_and_defaults_to_today() {
    let repo = TestRepo::new();
    repo.kickoff(&["new", "iso-date", "--date", "2024-05-10", "--no-push"])
        .assert()
        .success();
    assert!(repo.rev("kickoff-240510-iso-date").is_some());
    let today = chrono::Local::now()
        .date_naive()
        .format("%y%m%d")
        .to_string();
    repo.kickoff(&["new", "today", "--no-push"])
        .assert()
        .success();
    assert!(repo.rev(&format!("kickoff-{today}-today")).is_some());
    assert!(
        !repo.origin_refs().keys().any(|r| r.contains("today")),
        "--no-push pushed"
    );
}

#[test]
fn new_cuts_from_the_remote_main_not_the_local_one() {
    let repo = TestRepo::new();
    // A teammate pushes to main; our local main is stale and has a local-only commit.
    let mate = repo.clone_to("mate");
    let fresh = repo.commit_in(&mate, "team.txt", "team\n", "Team work");
    repo.git_in(&mate, &["push", "--quiet", "origin", "main"]);
    repo.commit("local.txt", "mine\n", "Local only");
    let out = repo
        .kickoff(&["new", "fresh-start", "--date", "240601"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(repo.rev("kickoff-240601-fresh-start").unwrap(), fresh);
    assert!(
        stderr(&out).contains("1 commit(s) that origin/main lacks"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn new_with_a_dirty_tree_stays_where_it_was() {
    let repo = TestRepo::new();
    repo.write("README.md", "changed\n");
    let out = repo
        .kickoff(&["new", "dirty", "--date", "240510", "--no-push"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(repo.head_branch().as_deref(), Some("main"));
    assert!(
        stderr(&out).contains("you stay where you were"),
        "{}",
        stderr(&out)
    );
    assert!(repo.rev("kickoff-240510-dirty").is_some());
}

#[test]
fn new_from_an_older_base_of_main() {
    let repo = TestRepo::new();
    let first = repo.rev("main").unwrap();
    repo.commit("b.txt", "b\n", "Second");
    repo.git(&["push", "--quiet", "origin", "main"]);
    repo.kickoff(&["new", "older", "--date", "240510", "--base", "main~1"])
        .assert()
        .success();
    assert_eq!(repo.rev("kickoff-240510-older").unwrap(), first);
}

#[test]
fn new_without_a_remote_uses_local_main() {
    let repo = TestRepo::without_remote();
    repo.kickoff(&["new", "offline", "--date", "240510"])
        .assert()
        .success();
    assert_eq!(repo.rev("kickoff-240510-offline"), repo.rev("main"));
}

#[test]
fn new_dry_run_changes_nothing() {
    let repo = TestRepo::new();
    let before = repo.snapshot();
    let out = repo
        .kickoff(&["new", "dry", "--date", "240510", "--dry-run"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("create branch kickoff-240510-dry"));
    assert!(stdout(&out).contains("push kickoff-240510-dry to origin"));
    assert_eq!(before, repo.snapshot());
}

#[test]
fn new_refuses_invalid_summaries() {
    let repo = TestRepo::new();
    let long = "x".repeat(41);
    for bad in [
        "Dashboard",
        "admin dashboard",
        "--x",
        "",
        &long,
        "a..b",
        "tab\tx",
        "x",
    ] {
        let mut args = vec!["new", "--date", "240510", "--"];
        args.push(bad);
        assert_refused(&repo, &args, 2, &["invalid summary"]);
    }
    let err = assert_refused(&repo, &["new", "Admin Dashboard"], 2, &["invalid summary"]);
    assert!(err.contains("try `admin-dashboard`"), "{err}");
}

#[test]
fn new_refuses_impossible_dates() {
    let repo = TestRepo::new();
    for bad in ["240231", "241301", "2024-02-30", "yesterday"] {
        assert_refused(&repo, &["new", "dash", "--date", bad], 2, &["invalid date"]);
    }
}

#[test]
fn new_refuses_existing_names_locally_and_on_the_remote() {
    let repo = TestRepo::new();
    repo.kickoff(&["new", "taken", "--date", "240510"])
        .assert()
        .success();
    repo.git(&["checkout", "--quiet", "main"]);
    assert_refused(
        &repo,
        &["new", "taken", "--date", "240510"],
        1,
        &["already exists"],
    );
    // Only on the remote: a teammate pushed it.
    let mate = repo.clone_to("mate");
    repo.env.git(
        &mate,
        &[
            "push",
            "--quiet",
            "origin",
            "main:refs/heads/kickoff-240511-theirs",
        ],
    );
    assert_refused(
        &repo,
        &["new", "theirs", "--date", "240511"],
        1,
        &["already exists on origin"],
    );
}

#[test]
fn new_refuses_a_base_outside_main() {
    let repo = TestRepo::new();
    repo.git(&["checkout", "--quiet", "-b", "side"]);
    repo.commit("side.txt", "x\n", "Side");
    repo.git(&["checkout", "--quiet", "main"]);
    assert_refused(
        &repo,
        &["new", "dash", "--date", "240510", "--base", "side"],
        2,
        &["not in the history of origin/main"],
    );
    assert_refused(
        &repo,
        &["new", "dash", "--date", "240510", "--base", "nope"],
        2,
        &["cannot resolve `nope`"],
    );
}

#[test]
fn new_refuses_outside_a_repository_and_in_a_bare_one() {
    let repo = TestRepo::new();
    let outside = repo.env.path().join("home");
    let out = repo
        .env
        .kickoff_cmd(&outside)
        .args(["new", "dash"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("not inside a git repository"));
    let out = repo
        .env
        .kickoff_cmd(&repo.origin)
        .args(["new", "dash"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("bare repository"));
    assert!(!repo.origin_refs().keys().any(|r| r.contains("dash")));
}

#[test]
fn new_refuses_a_repository_without_main() {
    let repo = TestRepo::without_remote();
    repo.git(&["branch", "-m", "main", "trunk"]);
    assert_refused(
        &repo,
        &["new", "dash", "--date", "240510"],
        1,
        &["no branch `main`", "core.main_branch"],
    );
}
