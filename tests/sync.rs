//! `kickoff sync`: merging the remote's main into a kickoff, with
//! `--continue` and `--abort` for conflicts.

mod common;
use common::*;
use std::path::PathBuf;

const K: &str = "kickoff-240510-dashboard";

/// A kickoff with one commit of its own, and a teammate's commit on origin's
/// main that the kickoff lacks. `conflict` makes both change `shared.txt`.
fn setup(conflict: bool) -> (TestRepo, String, String) {
    let repo = TestRepo::new();
    repo.commit("shared.txt", "base\n", "Shared file");
    repo.git(&["push", "--quiet", "origin", "main"]);
    new_kickoff(&repo, "dashboard", "240510");
    let (path, content) = if conflict {
        ("shared.txt", "kickoff\n")
    } else {
        ("dash.txt", "dash\n")
    };
    let kickoff_tip = repo.commit_on(K, path, content, "DASH-1 Kickoff work");
    repo.git(&["push", "--quiet", "origin", K]);
    let mate = repo.clone_to("mate");
    let (path, content) = if conflict {
        ("shared.txt", "main\n")
    } else {
        ("main.txt", "main\n")
    };
    let main_tip = repo.commit_in(&mate, path, content, "Hotfix on main");
    repo.git_in(&mate, &["push", "--quiet", "origin", "main"]);
    (repo, kickoff_tip, main_tip)
}

fn parents(repo: &TestRepo, rev: &str) -> Vec<String> {
    repo.git(&["rev-list", "--parents", "-n1", rev])
        .split_whitespace()
        .skip(1)
        .map(str::to_string)
        .collect()
}

fn record(repo: &TestRepo) -> PathBuf {
    repo.work.join(".git/kickoff/sync.json")
}

#[test]
fn sync_merges_main_into_the_checked_out_kickoff_and_pushes() {
    let (repo, kickoff_tip, main_tip) = setup(false);
    repo.git(&["checkout", "--quiet", K]);
    let out = repo.kickoff(&["sync"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(parents(&repo, K), [kickoff_tip, main_tip]);
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s", K]),
        format!("Merge origin/main into {K}")
    );
    assert_eq!(
        repo.origin_refs().get(&format!("refs/heads/{K}")),
        repo.rev(K).as_ref()
    );
    assert!(repo.work.join("main.txt").is_file());
    assert!(!record(&repo).exists());
}

#[test]
fn sync_of_a_branch_not_checked_out_leaves_the_work_tree_alone() {
    let (repo, kickoff_tip, main_tip) = setup(false);
    repo.write("README.md", "uncommitted\n");
    let status = repo.git(&["status", "--porcelain"]);
    let out = repo.kickoff(&["sync", K, "--no-push"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("without touching your work tree"));
    assert_eq!(parents(&repo, K), [kickoff_tip.clone(), main_tip]);
    assert_eq!(repo.head_branch().as_deref(), Some("main"));
    assert_eq!(repo.git(&["status", "--porcelain"]), status);
    assert_eq!(
        repo.origin_refs().get(&format!("refs/heads/{K}")),
        Some(&kickoff_tip),
        "--no-push pushed"
    );
    // The merged tree holds both sides.
    let files = repo.git(&["ls-tree", "--name-only", K]);
    assert!(
        files.contains("dash.txt") && files.contains("main.txt"),
        "{files}"
    );
}

#[test]
fn sync_when_up_to_date_changes_nothing() {
    let (repo, _, _) = setup(false);
    repo.kickoff(&["sync", K]).assert().success();
    let before = repo.snapshot();
    let out = repo.kickoff(&["sync", K]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nothing to merge"),
        "{}",
        stderr(&out)
    );
    assert_eq!(before, repo.snapshot());
}

#[test]
fn sync_conflict_stops_then_continue_commits_and_pushes() {
    let (repo, kickoff_tip, main_tip) = setup(true);
    repo.git(&["checkout", "--quiet", K]);
    let out = repo.kickoff(&["sync"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("conflicts in:\n  shared.txt"), "{err}");
    assert!(err.contains("kickoff sync --continue"), "{err}");
    assert_eq!(repo.rev("MERGE_HEAD").unwrap(), main_tip);
    assert!(record(&repo).is_file());
    // A new sync refuses while ours is in progress.
    assert_refused(&repo, &["sync"], 1, &["a sync of", "in progress"]);
    // Continue refuses while conflicts remain.
    assert_refused(
        &repo,
        &["sync", "--continue"],
        1,
        &["conflicts remain in:\n  shared.txt"],
    );
    repo.write("shared.txt", "both\n");
    repo.git(&["add", "shared.txt"]);
    let out = repo.kickoff(&["sync", "--continue"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(parents(&repo, K), [kickoff_tip, main_tip]);
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s", K]),
        format!("Merge origin/main into {K}")
    );
    assert_eq!(
        repo.origin_refs().get(&format!("refs/heads/{K}")),
        repo.rev(K).as_ref()
    );
    assert!(repo.rev("MERGE_HEAD").is_none());
    assert!(!record(&repo).exists());
}

#[test]
fn sync_conflict_on_another_branch_checks_out_and_abort_restores_everything() {
    let (repo, kickoff_tip, _) = setup(true);
    // The local kickoff is behind the remote's: sync fast-forwards it first.
    let ahead = repo.commit_on(K, "more.txt", "more\n", "DASH-2 More");
    repo.git(&["push", "--quiet", "origin", K]);
    repo.git(&["branch", "--force", K, &kickoff_tip]);
    let before = repo.snapshot();
    let out = repo.kickoff(&["sync", K]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("checked out"), "{}", stderr(&out));
    assert_eq!(repo.head_branch().as_deref(), Some(K));
    assert_eq!(repo.rev("HEAD").unwrap(), ahead);
    let out = repo.kickoff(&["sync", "--abort"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(before, repo.snapshot(), "abort did not restore the state");
    assert!(repo.rev("MERGE_HEAD").is_none());
    assert!(!record(&repo).exists());
}

#[test]
fn sync_conflict_with_a_dirty_tree_elsewhere_is_refused() {
    let (repo, _, _) = setup(true);
    repo.write("README.md", "uncommitted\n");
    assert_refused(
        &repo,
        &["sync", K],
        1,
        &["conflicts in:\n  shared.txt", "uncommitted changes"],
    );
}

#[test]
fn sync_dry_run_predicts_conflicts_and_changes_nothing() {
    let (repo, _, _) = setup(true);
    let before = repo.snapshot();
    let out = repo.kickoff(&["sync", K, "--dry-run"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let plan = stdout(&out);
    assert!(plan.contains("it conflicts in:\n  shared.txt"), "{plan}");
    assert!(plan.contains(&format!("push {K} to origin")), "{plan}");
    assert_eq!(before, repo.snapshot());
}

#[test]
fn sync_creates_the_local_kickoff_from_the_remote() {
    let (repo, kickoff_tip, main_tip) = setup(false);
    repo.git(&["branch", "-D", K]);
    repo.kickoff(&["sync", K]).assert().success();
    assert_eq!(parents(&repo, K), [kickoff_tip, main_tip]);
    assert_eq!(
        repo.config(&format!("branch.{K}.remote")).as_deref(),
        Some("origin")
    );
}

#[test]
fn sync_refuses_a_diverged_kickoff() {
    let (repo, _, _) = setup(false);
    let mate = repo.clone_to("mate2");
    repo.git_in(&mate, &["checkout", "--quiet", K]);
    repo.commit_in(&mate, "theirs.txt", "t\n", "Their kickoff work");
    repo.git_in(&mate, &["push", "--quiet", "origin", K]);
    repo.commit_on(K, "ours.txt", "o\n", "Our kickoff work");
    assert_refused(
        &repo,
        &["sync", K],
        1,
        &["have diverged", "git pull --no-rebase"],
    );
}

#[test]
fn sync_continue_and_abort_refuse_without_our_sync() {
    let (repo, _, _) = setup(true);
    assert_refused(
        &repo,
        &["sync", "--continue"],
        1,
        &[
            "no kickoff sync is in progress",
            "hint: `kickoff sync [KICKOFF]` starts one",
        ],
    );
    assert_refused(
        &repo,
        &["sync", "--abort"],
        1,
        &[
            "no kickoff sync is in progress",
            "hint: `kickoff sync [KICKOFF]` starts one",
        ],
    );
    // A merge the user started with git is not ours to finish or undo.
    repo.git(&["checkout", "--quiet", K]);
    repo.git(&["fetch", "--quiet", "origin"]);
    let out = repo
        .env
        .git_output(&repo.work, &["merge", "--no-edit", "origin/main"]);
    assert!(!out.status.success());
    for args in [["sync", "--continue"], ["sync", "--abort"]] {
        assert_refused(&repo, &args, 1, &["not started by kickoff sync"]);
    }
    assert_refused(&repo, &["sync"], 1, &["a merge is in progress"]);
    assert!(repo.rev("MERGE_HEAD").is_some());
}

#[test]
fn sync_refuses_bad_input_and_states() {
    let (repo, _, _) = setup(false);
    assert_refused(
        &repo,
        &["sync", "kickoff-240511-nope"],
        1,
        &["no kickoff named"],
    );
    assert_refused(&repo, &["sync", "nope"], 2, &["not a kickoff branch name"]);
    assert_refused(&repo, &["sync"], 2, &["which kickoff?", K]);
    repo.git(&["checkout", "--quiet", "--detach", "main"]);
    assert_refused(&repo, &["sync"], 2, &["HEAD is detached", K]);
    assert_refused(
        &repo,
        &["sync", "--continue", "--abort"],
        2,
        &["cannot be used with"],
    );
}

#[test]
fn sync_refuses_a_repository_without_main() {
    let repo = TestRepo::without_remote();
    repo.kickoff(&["new", "dash", "--date", "240510"])
        .assert()
        .success();
    repo.git(&["branch", "-m", "main", "trunk"]);
    assert_refused(
        &repo,
        &["sync", "kickoff-240510-dash"],
        1,
        &["no branch `main`", "core.main_branch"],
    );
}

#[test]
fn sync_refuses_when_the_remote_has_no_main() {
    let repo = TestRepo::new();
    new_kickoff(&repo, "dashboard", "240510");
    // The remote's main disappears; the local clone has no main either.
    repo.origin_git(&["update-ref", "-d", "refs/heads/main"]);
    repo.git(&["checkout", "--quiet", K]);
    repo.git(&["branch", "-D", "main"]);
    repo.git(&["update-ref", "-d", "refs/remotes/origin/main"]);
    assert_refused(
        &repo,
        &["sync"],
        1,
        &["no branch `main`", "core.main_branch"],
    );
    // feature does not need main.
    repo.kickoff(&["feature", "DASH-1", "--no-push"])
        .assert()
        .success();
}

#[test]
fn sync_refuses_a_kickoff_checked_out_in_another_work_tree() {
    let (repo, _, _) = setup(false);
    let other = repo.env.path().join("other-tree");
    repo.git(&["worktree", "add", "--quiet", other.to_str().unwrap(), K]);
    let err = assert_refused(
        &repo,
        &["sync", K],
        1,
        &["checked out in another work tree"],
    );
    assert!(err.contains("other-tree"), "{err}");
    // From that work tree it works.
    let out = repo
        .env
        .kickoff_cmd(&other)
        .args(["sync", "--no-push"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(parents(&repo, K).len(), 2);
}

#[test]
fn sync_abort_removes_a_local_kickoff_that_sync_created() {
    let (repo, _, _) = setup(true);
    repo.git(&["branch", "-D", K]);
    let before = repo.snapshot();
    let out = repo.kickoff(&["sync", K]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("created {K} from origin/{K}")));
    assert_eq!(repo.head_branch().as_deref(), Some(K));
    repo.kickoff(&["sync", "--abort"]).assert().success();
    assert_eq!(before, repo.snapshot());
    assert!(repo.rev(&format!("refs/heads/{K}")).is_none());
}

#[test]
fn sync_continue_accepts_a_merge_committed_with_git() {
    let (repo, kickoff_tip, main_tip) = setup(true);
    repo.git(&["checkout", "--quiet", K]);
    repo.kickoff(&["sync", "--no-push"]).assert().code(1);
    repo.write("shared.txt", "both\n");
    repo.git(&["add", "shared.txt"]);
    repo.git(&["commit", "--quiet", "--no-edit"]);
    // --abort no longer applies: the kickoff moved.
    assert_refused(
        &repo,
        &["sync", "--abort"],
        1,
        &["has moved since the sync stopped"],
    );
    repo.kickoff(&["sync", "--continue"]).assert().success();
    assert_eq!(parents(&repo, K), [kickoff_tip.clone(), main_tip]);
    assert!(!record(&repo).exists());
    // --no-push was recorded with the sync: nothing was pushed.
    assert_eq!(
        repo.origin_refs().get(&format!("refs/heads/{K}")),
        Some(&kickoff_tip)
    );
}

#[test]
fn sync_undoes_its_steps_when_git_refuses_to_merge() {
    let (repo, kickoff_tip, _) = setup(false);
    // The local kickoff is behind (sync fast-forwards it in the work tree), and
    // an untracked file is in the way of main's new file: git refuses to merge.
    repo.commit_on(K, "more.txt", "more\n", "DASH-2 More");
    repo.git(&["push", "--quiet", "origin", K]);
    repo.git(&["checkout", "--quiet", K]);
    repo.git(&["reset", "--quiet", "--hard", &kickoff_tip]);
    repo.write("main.txt", "mine, untracked\n");
    let err = assert_refused(&repo, &["sync"], 1, &["untracked working tree files"]);
    assert!(!err.contains("could not undo"), "{err}");
    assert!(!record(&repo).exists());
    assert_eq!(repo.rev(K).unwrap(), kickoff_tip);
}

#[test]
fn sync_refuses_a_kickoff_already_merged_into_main() {
    let (repo, _, _) = setup(false);
    repo.git(&["pull", "--quiet", "--no-rebase", "origin", "main"]);
    repo.git(&["merge", "--quiet", "--no-ff", "--no-edit", K]);
    repo.git(&["push", "--quiet", "origin", "main"]);
    assert_refused(&repo, &["sync", K], 1, &["already merged into origin/main"]);
}

#[test]
fn sync_of_a_kickoff_without_commits_of_its_own_merges_main() {
    let repo = TestRepo::new();
    new_kickoff(&repo, "fresh", "240510");
    let k = "kickoff-240510-fresh";
    let before = repo.rev(k).unwrap();
    let mate = repo.clone_to("mate");
    let main_tip = repo.commit_in(&mate, "m.txt", "m\n", "Main moves");
    repo.git_in(&mate, &["push", "--quiet", "origin", "main"]);
    repo.kickoff(&["sync", k]).assert().success();
    assert_eq!(parents(&repo, k), [before, main_tip]);
}

/// The dry run on the checked-out kickoff used to say "merge … with a merge
/// commit" while the real sync stopped on a conflict: it now names the
/// conflict, and the real sync stops exactly there.
#[test]
fn sync_dry_run_on_the_checked_out_kickoff_predicts_the_conflict() {
    let (repo, kickoff_tip, _) = setup(true);
    repo.git(&["checkout", "--quiet", K]);
    let before = repo.snapshot();
    let plan = repo.ok(&["-q", "sync", "--dry-run"]);
    assert!(
        plan.contains("in the work tree; it conflicts in:\n  shared.txt"),
        "{plan}"
    );
    assert_eq!(before, repo.snapshot());
    let out = repo.kickoff(&["sync"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("stopped with conflicts in:\n  shared.txt"),
        "{}",
        stderr(&out)
    );
    assert!(repo.rev("MERGE_HEAD").is_some());
    assert_eq!(repo.rev("HEAD"), Some(kickoff_tip));
    assert!(record(&repo).exists());
    repo.ok(&["sync", "--abort"]);
    assert_eq!(before, repo.snapshot());
}
