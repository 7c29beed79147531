//! `kickoff land`: merging a released kickoff into main.

mod common;
use common::*;

const ALPHA: &str = "kickoff-240401-alpha";
const BETA: &str = "kickoff-240402-beta";

/// alpha and beta cut from main; alpha has ALPHA-1 and is released 1.0.0.
fn released_alpha() -> TestRepo {
    let repo = TestRepo::new();
    repo.new_kickoff("alpha", "240401");
    repo.new_kickoff("beta", "240402");
    repo.commit_pushed(BETA, "beta.txt", "BETA-1 beta");
    repo.commit_pushed(ALPHA, "alpha.txt", "ALPHA-1 alpha");
    repo.ok(&["release", "--platform", "1.0.0"]);
    repo
}

fn origin_main(repo: &TestRepo) -> String {
    repo.origin_git(&["rev-parse", "refs/heads/main"])
}

#[test]
fn land_fast_forwards_pushes_main_and_lists_kickoffs_to_sync() {
    let repo = released_alpha();
    let tip = repo.rev(ALPHA).unwrap();
    let out = repo.kickoff(&["land"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(origin_main(&repo), tip);
    assert_eq!(repo.rev("main").unwrap(), tip);
    assert!(stderr(&out).contains("fast-forward"), "{}", stderr(&out));
    let listing = stdout(&out);
    assert!(listing.starts_with("KICKOFF"), "{listing}");
    assert!(listing.contains(&format!("{BETA}  1")), "{listing}");
    assert!(
        listing.contains(&format!("kickoff sync {BETA}")),
        "{listing}"
    );
    // Landing again is a no-op.
    let again = repo.kickoff(&["land", ALPHA]).output().unwrap();
    assert!(again.status.success());
    assert!(
        stderr(&again).contains("already in origin/main"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn land_writes_a_merge_commit_when_main_moved() {
    let repo = released_alpha();
    repo.git(&["checkout", "--quiet", "main"]);
    let hotfix = repo.commit("hotfix.txt", "fix\n", "Hotfix on main");
    repo.git(&["push", "--quiet", "origin", "main"]);
    let tip = repo.rev(ALPHA).unwrap();
    // main is checked out: the work tree follows.
    repo.ok(&["land", ALPHA]);
    let merged = origin_main(&repo);
    assert_eq!(
        repo.git(&["rev-parse", &format!("{merged}^1"), &format!("{merged}^2")]),
        format!("{hotfix}\n{tip}")
    );
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s", &merged]),
        format!("Merge {ALPHA} (platform v1.0.0) into main")
    );
    assert_eq!(repo.rev("HEAD").unwrap(), merged);
    assert!(repo.work.join("alpha.txt").exists());
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn land_sets_kickoff_land_for_the_pre_push_hook() {
    let repo = released_alpha();
    let record = repo.env.path().join("hook-env");
    let hook = repo.work.join(".git/hooks/pre-push");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nwhile read l; do echo \"$l KICKOFF_LAND=$KICKOFF_LAND\" >> '{}'; done\n",
            record.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    repo.ok(&["land", ALPHA]);
    let seen = std::fs::read_to_string(&record).unwrap();
    assert!(
        seen.contains("refs/heads/main") && seen.trim_end().ends_with("KICKOFF_LAND=1"),
        "{seen}"
    );
}

#[test]
fn land_no_push_moves_only_the_local_main() {
    let repo = released_alpha();
    let before = origin_main(&repo);
    repo.ok(&["land", ALPHA, "--no-push"]);
    assert_eq!(origin_main(&repo), before);
    assert_eq!(repo.rev("main"), repo.rev(ALPHA));
}

#[test]
fn land_dry_run_prints_the_plan_and_changes_nothing() {
    let repo = released_alpha();
    let before = repo.snapshot();
    let out = repo.ok(&["land", ALPHA, "--dry-run"]);
    assert!(out.contains("fast-forward main from origin/main"), "{out}");
    assert!(out.contains("KICKOFF_LAND=1"), "{out}");
    assert_eq!(before, repo.snapshot());
}

#[test]
fn land_refuses_unreleased_kickoffs_unless_told() {
    let repo = released_alpha();
    assert_refused(
        &repo,
        &["land", BETA],
        1,
        &[&format!("{BETA} has no platform version"), "--unreleased"],
    );
    repo.commit_pushed(ALPHA, "late.txt", "ALPHA-2 after the release");
    assert_refused(
        &repo,
        &["land", ALPHA],
        1,
        &["has 1 commit(s) after its release v1.0.0"],
    );
    repo.ok(&["land", BETA, "--unreleased"]);
    assert_eq!(origin_main(&repo), repo.rev(BETA).unwrap());
}

#[test]
fn land_refuses_conflicts_and_a_local_main_ahead() {
    let repo = released_alpha();
    repo.git(&["checkout", "--quiet", "main"]);
    repo.commit(
        "alpha.txt",
        "main's version\n",
        "Conflicting change on main",
    );
    assert_refused(
        &repo,
        &["land", ALPHA],
        1,
        &["local main has 1 commit(s) that the remote's main lacks"],
    );
    repo.git(&["push", "--quiet", "origin", "main"]);
    assert_refused(
        &repo,
        &["land", ALPHA],
        1,
        &[
            "merging kickoff-240401-alpha into main has conflicts",
            "kickoff sync",
        ],
    );
}

#[test]
fn land_refuses_a_bad_kickoff_name() {
    let repo = released_alpha();
    assert_refused(
        &repo,
        &["land", "kickoff-240101-none"],
        1,
        &["no kickoff named"],
    );
    assert_refused(
        &repo,
        &["land", "nonsense"],
        2,
        &["not a kickoff branch name"],
    );
}

#[test]
fn land_forecasts_conflicts_for_kickoffs_that_lack_the_new_main() {
    let repo = released_alpha();
    repo.commit_on(
        BETA,
        "alpha.txt",
        "beta's own\n",
        "BETA-2 beta's own alpha.txt",
    );
    repo.git(&["push", "--quiet", "origin", BETA]);
    let out = repo.ok(&["land", ALPHA]);
    let line = out
        .lines()
        .find(|l| l.starts_with(BETA))
        .expect("beta listed");
    assert!(line.contains("conflict: alpha.txt"), "{out}");
}

#[test]
fn land_with_a_rejected_push_changes_nothing() {
    let repo = released_alpha();
    let hook = repo.origin.join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\necho 'main is frozen' >&2\nexit 1\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_refused(
        &repo,
        &["land", ALPHA],
        1,
        &[
            "could not push main to origin; nothing was changed locally",
            "main is frozen",
        ],
    );
}

#[test]
fn release_and_land_pass_the_installed_pre_push_hook() {
    let repo = released_alpha();
    repo.ok(&["hook", "install"]);
    // The hook refuses a plain push of main...
    repo.git(&["checkout", "--quiet", "main"]);
    repo.git(&["merge", "--quiet", "--ff-only", ALPHA]);
    let out = repo
        .env
        .git_output(&repo.work, &["push", "--quiet", "origin", "main"]);
    assert!(
        !out.status.success(),
        "the hook let a direct push of main through"
    );
    repo.git(&["reset", "--quiet", "--keep", "origin/main"]);
    // ...but lets `kickoff land` through, and a release with a waived rule.
    repo.ok(&["land", ALPHA]);
    assert_eq!(origin_main(&repo), repo.rev(ALPHA).unwrap());
    let out = repo
        .kickoff(&[
            "release",
            "--platform",
            "1.1.0",
            "--kickoff",
            BETA,
            "--allow-rollback",
            "--allow-behind-main",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(repo.origin_refs().contains_key("refs/tags/platform/v1.1.0"));
}
