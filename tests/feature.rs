//! `kickoff feature`: ticket branches under a kickoff.

mod common;
use common::*;

const DASH: &str = "kickoff-240510-dashboard";

fn repo_with_kickoff() -> TestRepo {
    let repo = TestRepo::new();
    assert_eq!(new_kickoff(&repo, "dashboard", "240510"), DASH);
    repo
}

#[test]
fn feature_from_the_checked_out_kickoff() {
    let repo = repo_with_kickoff();
    repo.git(&["checkout", "--quiet", DASH]);
    let tip = repo.commit("k.txt", "k\n", "Kickoff work");
    let out = repo
        .kickoff(&["feature", "DASH-123", "login"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "feature/DASH-123-login\n");
    assert_eq!(repo.rev("feature/DASH-123-login").unwrap(), tip);
    assert_eq!(
        repo.config("branch.feature/DASH-123-login.kickoff")
            .as_deref(),
        Some(DASH)
    );
    assert_eq!(
        repo.config("branch.feature/DASH-123-login.gh-merge-base")
            .as_deref(),
        Some(DASH)
    );
    assert_eq!(
        repo.config("branch.feature/DASH-123-login.remote")
            .as_deref(),
        Some("origin")
    );
    assert_eq!(
        repo.origin_refs().get("refs/heads/feature/DASH-123-login"),
        Some(&tip)
    );
    assert_eq!(
        repo.head_branch().as_deref(),
        Some("feature/DASH-123-login")
    );
}

#[test]
fn feature_from_a_feature_branch_uses_its_kickoff() {
    let repo = repo_with_kickoff();
    new_kickoff(&repo, "other", "240601");
    repo.kickoff(&["feature", "DASH-1", "--kickoff", DASH, "--no-push"])
        .assert()
        .success();
    assert_eq!(repo.head_branch().as_deref(), Some("feature/DASH-1"));
    repo.kickoff(&["feature", "DASH-2", "--no-push"])
        .assert()
        .success();
    assert_eq!(
        repo.config("branch.feature/DASH-2.kickoff").as_deref(),
        Some(DASH)
    );
    assert!(
        !repo.origin_refs().keys().any(|r| r.contains("DASH-")),
        "--no-push pushed"
    );
}

#[test]
fn feature_from_a_kickoff_only_on_the_remote() {
    let repo = TestRepo::new();
    let mate = repo.clone_to("mate");
    repo.env
        .kickoff_cmd(&mate)
        .args(["new", "remote-only", "--date", "240510"])
        .assert()
        .success();
    let tip = repo.commit_in(&mate, "m.txt", "m\n", "Mate's kickoff work");
    repo.git_in(
        &mate,
        &["push", "--quiet", "origin", "kickoff-240510-remote-only"],
    );
    let out = repo
        .kickoff(&["feature", "RO-7", "--kickoff", "kickoff-240510-remote-only"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(repo.rev("feature/RO-7").unwrap(), tip);
    assert!(
        stderr(&out).contains("from origin/kickoff-240510-remote-only"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn feature_with_a_dirty_tree_stays_and_dry_run_changes_nothing() {
    let repo = repo_with_kickoff();
    let before = repo.snapshot();
    let out = repo
        .kickoff(&["feature", "DASH-5", "--kickoff", DASH, "--dry-run"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let plan = stdout(&out);
    assert!(plan.contains("create branch feature/DASH-5 at"), "{plan}");
    assert!(
        plan.contains("branch.feature/DASH-5.gh-merge-base = kickoff-240510-dashboard"),
        "{plan}"
    );
    assert!(plan.contains("push feature/DASH-5 to origin"), "{plan}");
    assert_eq!(before, repo.snapshot());

    repo.write("README.md", "dirty\n");
    let out = repo
        .kickoff(&["feature", "DASH-5", "--kickoff", DASH])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(repo.head_branch().as_deref(), Some("main"));
    assert!(stderr(&out).contains("you stay where you were"));
}

#[test]
fn feature_respects_config_push_and_ticket_pattern() {
    let repo = repo_with_kickoff();
    repo.write(
        ".kickoff.toml",
        "[core]\npush = false\n[naming]\nticket_pattern = \"[0-9]+\"\nfeature_prefix = \"ticket/\"\n",
    );
    repo.kickoff(&["feature", "42", "--kickoff", DASH])
        .assert()
        .success();
    assert!(repo.rev("ticket/42").is_some());
    assert!(!repo.origin_refs().contains_key("refs/heads/ticket/42"));
    assert_refused(
        &repo,
        &["feature", "DASH-1", "--kickoff", DASH],
        2,
        &["does not match the ticket pattern `[0-9]+`"],
    );
}

#[test]
fn feature_refuses_bad_tickets_slugs_and_kickoffs() {
    let repo = repo_with_kickoff();
    for bad in ["dash-1", "DASH", "DASH-1x", "-x", "DASH 1"] {
        assert_refused(
            &repo,
            &["feature", "--kickoff", DASH, "--", bad],
            2,
            &["does not match the ticket pattern", "hint:"],
        );
    }
    // Regression: a lower-case key got the generic hint, not the fix.
    assert_refused(
        &repo,
        &["feature", "--kickoff", DASH, "dash-1"],
        2,
        &["hint: did you mean `DASH-1`?"],
    );
    assert_refused(
        &repo,
        &["feature", "DASH-1", "Bad Slug", "--kickoff", DASH],
        2,
        &["invalid summary"],
    );
    assert_refused(
        &repo,
        &["feature", "DASH-1", "--kickoff", "kickoff-240511-nope"],
        1,
        &["no kickoff named kickoff-240511-nope", "kickoff list"],
    );
    assert_refused(
        &repo,
        &["feature", "DASH-1", "--kickoff", "dashboard"],
        2,
        &["not a kickoff branch name"],
    );
}

#[test]
fn feature_refuses_an_existing_branch_locally_and_on_the_remote() {
    let repo = repo_with_kickoff();
    repo.kickoff(&["feature", "DASH-9", "--kickoff", DASH])
        .assert()
        .success();
    assert_refused(
        &repo,
        &["feature", "DASH-9", "--kickoff", DASH],
        1,
        &["a branch named feature/DASH-9 already exists"],
    );
    let mate = repo.clone_to("mate");
    repo.git_in(
        &mate,
        &[
            "push",
            "--quiet",
            "origin",
            "main:refs/heads/feature/DASH-10",
        ],
    );
    assert_refused(
        &repo,
        &["feature", "DASH-10", "--kickoff", DASH],
        1,
        &["feature/DASH-10 already exists on origin"],
    );
}

#[test]
fn feature_off_a_terminal_lists_the_live_kickoffs() {
    let repo = repo_with_kickoff();
    new_kickoff(&repo, "billing", "240601");
    let err = assert_refused(
        &repo,
        &["feature", "DASH-1"],
        2,
        &[
            "which kickoff?",
            "kickoff-240510-dashboard",
            "kickoff-240601-billing",
            "--kickoff",
        ],
    );
    assert!(err.contains("no terminal"), "{err}");
    // Detached HEAD: nothing implies a kickoff, and the message says why.
    repo.git(&["checkout", "--quiet", "--detach", "main"]);
    assert_refused(
        &repo,
        &["feature", "DASH-1"],
        2,
        &["HEAD is detached", "kickoff-240601-billing"],
    );
}

#[test]
fn feature_on_a_terminal_asks_which_kickoff() {
    let repo = repo_with_kickoff();
    new_kickoff(&repo, "billing", "240601");
    // Arrow down to the second kickoff, then Enter.
    let (code, screen) = kickoff_on_pty(&repo, &["feature", "BILL-1", "--no-push"], "\x1b[B\r");
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("Choose the kickoff:"), "{screen}");
    assert_eq!(
        repo.config("branch.feature/BILL-1.kickoff").as_deref(),
        Some("kickoff-240601-billing")
    );
}

#[test]
fn feature_refuses_outside_a_repository_and_in_a_bare_one() {
    let repo = repo_with_kickoff();
    let out = repo
        .env
        .kickoff_cmd(&repo.env.path().join("home"))
        .args(["feature", "DASH-1", "--kickoff", DASH])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not inside a git repository"));
    let before = repo.origin_refs();
    let out = repo
        .env
        .kickoff_cmd(&repo.origin)
        .args(["feature", "DASH-1", "--kickoff", DASH])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("bare repository"));
    assert_eq!(before, repo.origin_refs());
}

#[test]
fn feature_push_failure_leaves_nothing_behind() {
    let repo = repo_with_kickoff();
    let missing = repo.env.path().join("gone.git");
    repo.git(&["config", "remote.origin.pushurl", missing.to_str().unwrap()]);
    assert_refused(
        &repo,
        &["feature", "DASH-7", "--kickoff", DASH],
        1,
        &["could not push feature/DASH-7", "--no-push"],
    );
    assert!(repo.rev("refs/heads/feature/DASH-7").is_none());
}
