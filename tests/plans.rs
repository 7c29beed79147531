//! Plans as data: for every changing command, `kickoff -q <cmd> --dry-run`
//! prints on stdout exactly the steps the real run then carries out (read
//! back from `KICKOFF_PLAN_LOG`), `--json` prints the same steps, and a
//! failing step reports its cause (the remote's own words) and undoes what
//! came before it.

mod common;
use common::*;

/// Print the plan (`-q ... --dry-run`, text and JSON), check nothing changed,
/// run the command for real with a plan log, and check the log equals the
/// printed plan. Returns the printed plan.
fn printed_equals_run(repo: &TestRepo, args: &[&str]) -> String {
    let before = repo.snapshot();
    let mut dry = vec!["-q"];
    dry.extend_from_slice(args);
    dry.push("--dry-run");
    let out = repo.kickoff(&dry).output().unwrap();
    assert!(out.status.success(), "{dry:?}: {}", stderr(&out));
    assert_eq!(stderr(&out), "", "-q --dry-run prints only the plan");
    let printed = stdout(&out);
    dry.push("--json");
    let json: serde_json::Value = serde_json::from_str(&repo.ok(&dry)).unwrap();
    assert_eq!(json["schema"], 1);
    assert_eq!(
        json["steps"].as_array().unwrap().len(),
        printed.lines().count(),
        "{json}"
    );
    assert_eq!(before, repo.snapshot(), "a dry run changed something");
    let log = repo.env.path().join("plan.log");
    let _ = std::fs::remove_file(&log);
    let out = repo
        .kickoff(args)
        .env("KICKOFF_PLAN_LOG", &log)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    let ran = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(printed, ran, "the run differs from its printed plan");
    printed
}

#[test]
fn new_runs_its_printed_plan() {
    let repo = TestRepo::new();
    let plan = printed_equals_run(&repo, &["new", "dash", "--date", "240510"]);
    insta::assert_snapshot!(plan, @r"
    create branch kickoff-240510-dash at 2cf24380c6 (origin/main)
    push kickoff-240510-dash to origin with upstream tracking
    check out kickoff-240510-dash
    ");
}

#[test]
fn feature_runs_its_printed_plan() {
    let repo = TestRepo::new();
    let kickoff = repo.new_kickoff("dash", "240510");
    repo.write("scratch.txt", "uncommitted\n");
    repo.git(&["add", "scratch.txt"]);
    let plan = printed_equals_run(&repo, &["feature", "DASH-1", "login", "-k", &kickoff]);
    insta::assert_snapshot!(plan, @r"
    create branch feature/DASH-1-login at 2cf24380c6 (kickoff-240510-dash)
    set git config branch.feature/DASH-1-login.kickoff = kickoff-240510-dash
    set git config branch.feature/DASH-1-login.gh-merge-base = kickoff-240510-dash
    push feature/DASH-1-login to origin with upstream tracking
    leave the work tree as it is (uncommitted changes)
    ");
}

/// A push the remote refuses shows git's report and the remote's own reason
/// as causes, and the branch created before it is removed again.
#[test]
fn a_push_refused_by_the_remote_shows_its_reason_and_undoes_the_branch() {
    let repo = TestRepo::new();
    repo.freeze_origin("pushes are frozen until the release is out");
    let before = repo.snapshot();
    let out = repo.run(&["new", "dash", "--date", "240510"]);
    assert_eq!(before, repo.snapshot());
    insta::assert_snapshot!(out, @r"
    ------- stderr -------
    created kickoff-240510-dash from origin/main (2cf24380c6)
    error: could not push kickoff-240510-dash to origin; the local branch was removed again
    caused by: `git push --quiet --set-upstream --end-of-options origin refs/heads/kickoff-240510-dash:refs/heads/kickoff-240510-dash` failed (exit 1)
    caused by: remote: pushes are frozen until the release is out
      To $ROOT/origin.git
       ! [remote rejected] kickoff-240510-dash -> kickoff-240510-dash (pre-receive hook declined)
      error: failed to push some refs to '$ROOT/origin.git'
    hint: fix the remote, or create the branch locally only with --no-push
    [exit status: 1]
    ");
}
