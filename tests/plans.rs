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
    let printed = steps_of(&stdout(&out));
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
    rooted(repo, &printed)
}

/// The steps of a printed plan: the whole text, or the indented lines under
/// `steps:` for commands that print a summary and sections around them.
fn steps_of(printed: &str) -> String {
    match printed.split_once("\nsteps:\n") {
        None => printed.to_string(),
        Some((_, rest)) => rest
            .lines()
            .take_while(|l| l.starts_with("  "))
            .map(|l| format!("{}\n", &l[2..]))
            .collect(),
    }
}

/// Text with the test's temp dir written `$ROOT`.
fn rooted(repo: &TestRepo, text: &str) -> String {
    text.replace(repo.env.path().to_str().unwrap(), "$ROOT")
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

/// A kickoff with a commit of its own, and a commit on origin's main it lacks;
/// with `conflict`, both change `shared.txt`.
fn sync_setup(conflict: bool) -> (TestRepo, String) {
    let repo = TestRepo::new();
    repo.commit("shared.txt", "base\n", "Shared file");
    repo.git(&["push", "--quiet", "origin", "main"]);
    let k = repo.new_kickoff("dash", "240510");
    repo.git(&["checkout", "--quiet", "main"]);
    let file = if conflict { "shared.txt" } else { "dash.txt" };
    repo.commit_on(&k, file, "kickoff\n", "DASH-1 work");
    repo.git(&["push", "--quiet", "origin", &k]);
    let mate = repo.clone_to("mate");
    let file = if conflict { "shared.txt" } else { "main.txt" };
    repo.commit_in(&mate, file, "main\n", "Hotfix");
    repo.git_in(&mate, &["push", "--quiet", "origin", "main"]);
    (repo, k)
}

#[test]
fn sync_without_a_work_tree_runs_its_printed_plan() {
    let (repo, k) = sync_setup(false);
    let plan = printed_equals_run(&repo, &["sync", &k]);
    insta::assert_snapshot!(plan, @r"
    merge origin/main (e6e2431be4) into kickoff-240510-dash with a merge commit, without touching the work tree (clean)
    push kickoff-240510-dash to origin
    ");
}

#[test]
fn sync_in_the_work_tree_runs_its_printed_plan() {
    let (repo, k) = sync_setup(false);
    repo.git(&["checkout", "--quiet", &k]);
    let plan = printed_equals_run(&repo, &["sync"]);
    insta::assert_snapshot!(plan, @r"
    write the sync record to $ROOT/work/.git/kickoff/sync.json
    merge origin/main (e6e2431be4) into kickoff-240510-dash with a merge commit, in the work tree
    remove $ROOT/work/.git/kickoff/sync.json
    push kickoff-240510-dash to origin
    ");
}

/// A sync that stops on a conflict ran its printed plan up to the merge.
#[test]
fn sync_stopping_on_a_conflict_ran_its_plan_up_to_the_merge() {
    let (repo, k) = sync_setup(true);
    let printed = repo.ok(&["-q", "sync", &k, "--dry-run"]);
    let log = repo.env.path().join("plan.log");
    let out = repo
        .kickoff(&["sync", &k])
        .env("KICKOFF_PLAN_LOG", &log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let ran = std::fs::read_to_string(&log).unwrap();
    let merge = printed.find("merge origin/main").unwrap();
    assert_eq!(ran, printed[..merge], "ran up to the merge that stopped");
    insta::assert_snapshot!(rooted(&repo, &printed), @r"
    write the sync record to $ROOT/work/.git/kickoff/sync.json
    check out kickoff-240510-dash
    merge origin/main (f97226327a) into kickoff-240510-dash with a merge commit, in the work tree; it conflicts in:
      shared.txt
    remove $ROOT/work/.git/kickoff/sync.json
    push kickoff-240510-dash to origin
    ");
}

/// A released kickoff, `kickoff-240510-dash` tagged 1.0.0 and pushed.
fn released() -> (TestRepo, String) {
    let repo = TestRepo::new();
    let k = repo.new_kickoff("dash", "240510");
    repo.commit_pushed(&k, "dash.txt", "DASH-1 Dashboard");
    (repo, k)
}

#[test]
fn release_runs_its_printed_plan() {
    let (repo, k) = released();
    let plan = printed_equals_run(&repo, &["release", "--platform", "1.0.0", "--kickoff", &k]);
    insta::assert_snapshot!(plan, @r"
    tag platform/v1.0.0 on kickoff-240510-dash at a214230d89
    push platform/v1.0.0 to origin
    ");
}

#[test]
fn land_runs_its_printed_plan() {
    let (repo, k) = released();
    repo.ok(&["release", "--platform", "1.0.0", "--kickoff", &k]);
    repo.git(&["checkout", "--quiet", "main"]);
    let plan = printed_equals_run(&repo, &["land", &k]);
    insta::assert_snapshot!(plan, @r"
    push main to origin (KICKOFF_LAND=1 for the pre-push hook)
    fast-forward main from 2cf24380c6 to a214230d89 (kickoff-240510-dash)
    ");
}

#[test]
fn hook_install_and_uninstall_run_their_printed_plans() {
    let repo = TestRepo::new();
    let hooks = repo.work.join(".git/hooks");
    write_file(&hooks, "pre-push", "#!/bin/sh\nexit 0\n");
    let plan = printed_equals_run(&repo, &["hook", "install"]);
    insta::assert_snapshot!(plan, @r"
    rename $ROOT/work/.git/hooks/pre-push to $ROOT/work/.git/hooks/pre-push.kickoff-chained
    write the kickoff shim to $ROOT/work/.git/hooks/pre-push
    ");
    let plan = printed_equals_run(&repo, &["hook", "uninstall"]);
    insta::assert_snapshot!(plan, @"rename $ROOT/work/.git/hooks/pre-push.kickoff-chained to $ROOT/work/.git/hooks/pre-push");
}

/// A sync of the checked-out kickoff stopped on its conflict in `shared.txt`.
fn sync_stopped() -> (TestRepo, String) {
    let (repo, k) = sync_setup(true);
    repo.git(&["checkout", "--quiet", &k]);
    let out = repo.kickoff(&["sync"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    (repo, k)
}

#[test]
fn sync_continue_runs_its_printed_plan() {
    let (repo, k) = sync_stopped();
    repo.write("shared.txt", "both\n");
    repo.git(&["add", "shared.txt"]);
    let plan = printed_equals_run(&repo, &["sync", "--continue"]);
    insta::assert_snapshot!(plan, @r"
    commit the resolved merge of origin/main into kickoff-240510-dash
    remove $ROOT/work/.git/kickoff/sync.json
    push kickoff-240510-dash to origin
    ");
    let parents = repo.git(&["log", "-1", "--format=%P", &k]);
    assert_eq!(parents.split_whitespace().count(), 2, "{parents}");
    assert_eq!(
        repo.origin_refs().get(&format!("refs/heads/{k}")),
        repo.rev(&k).as_ref()
    );
}

#[test]
fn sync_abort_runs_its_printed_plan() {
    let (repo, k) = sync_setup(true);
    let before = repo.snapshot();
    // Not checked out: sync checks the kickoff out and stops on the conflict.
    repo.kickoff(&["sync", &k]).assert().code(1);
    let plan = printed_equals_run(&repo, &["sync", "--abort"]);
    insta::assert_snapshot!(plan, @r"
    abort the merge in progress on kickoff-240510-dash
    check out main
    remove $ROOT/work/.git/kickoff/sync.json
    ");
    assert_eq!(before, repo.snapshot(), "abort did not restore the state");
}

/// `--continue` after the user committed the merge with git only removes the
/// record and pushes; `--dry-run --json` says so as data.
#[test]
fn sync_continue_after_a_git_commit_plans_only_the_push() {
    let (repo, _) = sync_stopped();
    repo.write("shared.txt", "both\n");
    repo.git(&["add", "shared.txt"]);
    repo.git(&["commit", "--quiet", "--no-edit"]);
    let json: serde_json::Value =
        serde_json::from_str(&repo.ok(&["-q", "sync", "--continue", "--dry-run", "--json"]))
            .unwrap();
    let steps: Vec<&str> = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["remove-file", "push"]);
    printed_equals_run(&repo, &["sync", "--continue"]);
}

#[test]
fn init_runs_its_printed_plan() {
    let repo = TestRepo::new();
    let out = repo.ok(&["-q", "init", "--dry-run"]);
    assert!(out.contains("\ncontent:\n  "), "{out}");
    let plan = printed_equals_run(&repo, &["init"]);
    insta::assert_snapshot!(plan, @"write the settings to $ROOT/work/.kickoff.toml");
    let written = std::fs::read_to_string(repo.work.join(".kickoff.toml")).unwrap();
    let shown: String = out
        .split_once("\ncontent:\n")
        .unwrap()
        .1
        .lines()
        .map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l)))
        .collect();
    assert_eq!(written, shown, "the dry run shows the file it writes");
}

// ---- every changing command ------------------------------------------------------------

/// A repository in the state a command needs, and the command's arguments.
type Setup = fn() -> (TestRepo, Vec<String>);

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Every changing command that works without GitHub, each set up to change
/// something. Slot and deploy rows go under `// slots and deploy`.
const CHANGING: &[(&str, Setup)] = &[
    ("new", || {
        (TestRepo::new(), args(&["new", "dash", "--date", "240510"]))
    }),
    ("feature", || {
        let repo = TestRepo::new();
        let k = repo.new_kickoff("dash", "240510");
        (repo, args(&["feature", "DASH-1", "login", "-k", &k]))
    }),
    ("sync", || {
        let (repo, k) = sync_setup(false);
        (repo, args(&["sync", &k]))
    }),
    ("sync --continue", || {
        let (repo, _) = sync_stopped();
        repo.write("shared.txt", "both\n");
        repo.git(&["add", "shared.txt"]);
        (repo, args(&["sync", "--continue"]))
    }),
    ("sync --abort", || {
        let (repo, _) = sync_stopped();
        (repo, args(&["sync", "--abort"]))
    }),
    ("release", || {
        let (repo, k) = released();
        (
            repo,
            args(&["release", "--platform", "1.0.0", "--kickoff", &k]),
        )
    }),
    ("land", || {
        let (repo, k) = released();
        repo.ok(&["release", "--platform", "1.0.0", "--kickoff", &k]);
        repo.git(&["checkout", "--quiet", "main"]);
        (repo, args(&["land", &k]))
    }),
    ("hook install", || {
        (TestRepo::new(), args(&["hook", "install"]))
    }),
    ("hook uninstall", || {
        let repo = TestRepo::new();
        repo.ok(&["hook", "install"]);
        (repo, args(&["hook", "uninstall"]))
    }),
    ("init", || (TestRepo::new(), args(&["init"]))),
    // slots and deploy
    ("slot claim", || (pool(), args(&["slot", "claim", K1]))),
    ("slot release", || {
        let repo = pool();
        repo.ok(&["slot", "claim", K1]);
        (repo, args(&["slot", "release", "dev1"]))
    }),
    ("slot renew", || {
        let repo = pool();
        repo.ok(&["slot", "claim", K1]);
        (repo, args(&["slot", "renew", "dev1", "--ttl", "2d"]))
    }),
    ("slot leave", || {
        let repo = pool();
        for k in ["alpha", "beta", "gamma", "delta"] {
            repo.ok(&["slot", "claim", &format!("kickoff-240510-{k}")]);
        }
        repo.ok(&["slot", "claim", K5, "--queue"]);
        (repo, args(&["slot", "leave", K5]))
    }),
    ("slot admin remove", || {
        let repo = pool();
        repo.ok(&["slot", "claim", K1]);
        (repo, args(&["slot", "admin", "remove", "slots/dev1.toml"]))
    }),
    ("slot admin reset", || {
        let repo = pool();
        repo.ok(&["slot", "claim", K1]);
        (repo, args(&["slot", "admin", "reset", "--yes"]))
    }),
    ("deploy", || (pool(), args(&["deploy", K1]))),
];

/// Commands with `--dry-run` that are not in [`CHANGING`], and why.
const ELSEWHERE: &[(&str, &str)] = &[
    ("pr", "needs GitHub (tests/github.rs)"),
    ("conflicts", "--dry-run only with --github"),
    ("github release", "needs GitHub"),
    ("github sync", "needs GitHub (tests/github.rs)"),
    ("slot routes", "slot plans"),
];

/// `kickoff -q CMD --dry-run` prints a non-empty plan on stdout for every
/// changing command, and the real run carries out exactly that plan.
#[test]
fn every_changing_command_runs_its_printed_plan() {
    for (name, setup) in CHANGING {
        let (repo, args) = setup();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let plan = printed_equals_run(&repo, &args);
        assert!(!plan.trim().is_empty(), "{name}: an empty plan");
    }
}

/// Every command whose help offers `--dry-run` has a row in [`CHANGING`] (or
/// a reason in [`ELSEWHERE`]): a new changing command cannot skip the check.
#[test]
fn every_command_with_a_dry_run_is_checked() {
    let env = TestEnv::new();
    let help = |path: &[String]| -> String {
        let out = env
            .kickoff_cmd(env.path())
            .args(path)
            .arg("--help")
            .output()
            .unwrap();
        stdout(&out)
    };
    let mut todo: Vec<Vec<String>> = vec![Vec::new()];
    let mut with_dry_run = Vec::new();
    while let Some(path) = todo.pop() {
        let text = help(&path);
        if text.contains("--dry-run") {
            with_dry_run.push(path.join(" "));
        }
        let Some((_, commands)) = text.split_once("\nCommands:\n") else {
            continue;
        };
        for line in commands.lines().take_while(|l| l.starts_with("  ")) {
            // A command's line; wrapped descriptions are indented further.
            let Some(name) = line.strip_prefix("  ").filter(|l| !l.starts_with(' ')) else {
                continue;
            };
            let name = name.split_whitespace().next().unwrap();
            if name != "help" {
                let mut sub = path.clone();
                sub.push(name.to_string());
                todo.push(sub);
            }
        }
    }
    assert!(with_dry_run.len() > 5, "{with_dry_run:?}");
    for (name, _) in ELSEWHERE {
        assert!(
            with_dry_run.iter().any(|c| c == name),
            "no `kickoff {name} --dry-run`"
        );
    }
    for cmd in with_dry_run {
        assert!(
            CHANGING.iter().any(|(name, _)| *name == cmd)
                || ELSEWHERE.iter().any(|(name, _)| *name == cmd),
            "`kickoff {cmd}` has --dry-run but no row in CHANGING"
        );
    }
}

// ---- errors keep their cause -----------------------------------------------------------

/// An error from another library (serde, semver) is the report's `caused by:`
/// line, not pasted into the message.
#[test]
fn errors_from_libraries_are_causes_not_message_text() {
    let repo = TestRepo::new();
    write_file(&repo.work, ".git/kickoff/sync.json", "{ not json");
    let out = repo.run(&["sync", "--abort"]);
    insta::assert_snapshot!(out, @r"
    ------- stderr -------
    error: $ROOT/work/.git/kickoff/sync.json is not a sync record kickoff can read
    caused by: key must be a string at line 1 column 3
    hint: finish or abort the merge with git, then delete the file
    [exit status: 1]
    ");
    let out = repo.run(&["show", "1.x"]);
    insta::assert_snapshot!(out, @r#"
    ------- stderr -------
    error: "1.x" is neither a platform version nor a kickoff branch
    caused by: invalid platform version "1.x": it is not a semver version
    caused by: unexpected character 'x' while parsing minor version number
    hint: give 1.3.10, v1.3.10, platform/v1.3.10 or kickoff-YYMMDD-summary
    [exit status: 2]
    "#);
}

// ---- QA slots and deploy -----------------------------------------------------

const K1: &str = "kickoff-240510-alpha";
const K5: &str = "kickoff-240510-omega";
const STATE: &str = "refs/kickoff/state";

/// A file of the shared state as the bare origin has it.
fn origin_state_file(repo: &TestRepo, path: &str) -> Option<String> {
    state_file(&repo.env, &repo.origin, STATE, path)
}

/// The deployment records on origin.
fn origin_records(repo: &TestRepo) -> Vec<serde_json::Value> {
    state_paths(&repo.env, &repo.origin, STATE)
        .into_iter()
        .filter(|p| p.starts_with("deployments/"))
        .map(|p| serde_json::from_str(&origin_state_file(repo, &p).unwrap()).unwrap())
        .collect()
}

#[test]
fn slot_commands_run_their_printed_plans() {
    let repo = pool();
    let mut plans = String::new();
    for args in [
        &["slot", "claim", K1][..],
        &["slot", "renew", "dev1", "--ttl", "2d"],
        &["slot", "release", "dev1"],
    ] {
        plans.push_str(&printed_equals_run(&repo, args));
    }
    for k in ["alpha", "beta", "gamma", "delta"] {
        repo.ok(&["slot", "claim", &format!("kickoff-240510-{k}")]);
    }
    for args in [
        &["slot", "claim", K5, "--queue"][..],
        &["slot", "leave", K5],
        &[
            "slot",
            "admin",
            "remove",
            "slots/dev2.toml",
            "--reason",
            "gone",
        ],
        &["slot", "admin", "reset", "--yes"],
    ] {
        plans.push_str(&printed_equals_run(&repo, args));
    }
    insta::assert_snapshot!(plans, @r"
    claim a free slot for kickoff-240510-alpha (lease 3d) in refs/kickoff/state, pushed to origin
    renew dev1 for 2d in refs/kickoff/state, pushed to origin
    release dev1 in refs/kickoff/state, pushed to origin
    claim a free slot for kickoff-240510-omega (lease 3d, else join the queue) in refs/kickoff/state, pushed to origin
    take kickoff-240510-omega out of the queue in refs/kickoff/state, pushed to origin
    remove slots/dev2.toml (admin) in refs/kickoff/state, pushed to origin
    reset the pool: free every slot and empty the queue (admin) in refs/kickoff/state, pushed to origin
    ");
    // What the plans did, read back from origin: the reset freed every slot.
    assert_eq!(origin_state_file(&repo, "slots/dev1.toml"), None);
    let log = repo.origin_git(&["log", "--format=%s", STATE]);
    assert!(
        log.starts_with("kickoff state: admin: reset the pool"),
        "{log}"
    );
}

/// `--dry-run --json` of a slot command is the plan and the outcome it
/// would have, in one document.
#[test]
fn a_slot_dry_run_prints_its_plan_and_outcome_as_json() {
    let repo = pool();
    let json: serde_json::Value =
        serde_json::from_str(&repo.ok(&["-q", "slot", "claim", K1, "--dry-run", "--json"]))
            .unwrap();
    assert_eq!(json["schema"], 1);
    assert_eq!(json["dry_run"], true);
    assert_eq!(json["outcome"]["result"], "claimed");
    assert_eq!(json["outcome"]["slot"], "dev1");
    assert_eq!(json["steps"][0]["step"], "apply-state");
    assert_eq!(json["steps"][0]["op"]["op"], "claim");
    assert_eq!(json["steps"][0]["remote"], "origin");
}

#[test]
fn deploy_runs_its_printed_plan() {
    let repo = pool();
    let plan = printed_equals_run(&repo, &["deploy", K1]);
    insta::assert_snapshot!(plan, @r"
    claim a free slot for kickoff-240510-alpha (lease 3d) in refs/kickoff/state, pushed to origin
    write the env file to .git/kickoff/env/dev1.env
    write the compose override to .git/kickoff/env/dev1.compose.yml
    run true to deploy kickoff-240510-alpha on dev1
    record the deployment of kickoff-240510-alpha on dev1, succeeded or not, in refs/kickoff/state, pushed to origin; if it did not succeed, give dev1 back and remove its env files
    ");
    let json: serde_json::Value =
        serde_json::from_str(&repo.ok(&["-q", "deploy", K1, "--dry-run", "--json"])).unwrap();
    let kinds: Vec<&str> = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "apply-state",
            "write-slot-file",
            "write-slot-file",
            "run-deploy",
            "record-deployment"
        ]
    );
    assert_eq!(json["steps"][3]["argv"][0], "true");
    // It holds dev1 now: nothing to give back if the next deploy fails.
    assert!(json["steps"][4].get("give_back").is_none(), "{json}");
    let records = origin_records(&repo);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["status"], "succeeded");
}

/// The deploy command fails: the plan printed before ran to its end, the
/// failure is recorded and the slot claimed for it given back in the same
/// change (read back from origin), and its env files are gone.
#[test]
fn a_failing_deploy_command_is_recorded_and_gives_its_slot_back_as_planned() {
    let repo = pool();
    repo.write("deploy.sh", "#!/bin/sh\necho broken >&2\nexit 3\n");
    std::fs::set_permissions(
        repo.work.join("deploy.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    repo.write(
        ".kickoff.toml",
        &SLOTS_TOML.replace(
            "deploy = [\"true\"]",
            "deploy = [\"./deploy.sh\", \"{slot}\"]",
        ),
    );
    let printed = repo.ok(&["-q", "deploy", K1, "--dry-run"]);
    assert!(
        printed.contains("if it did not succeed, give dev1 back"),
        "{printed}"
    );
    let log = repo.env.path().join("plan.log");
    let out = repo
        .kickoff(&["deploy", K1])
        .env("KICKOFF_PLAN_LOG", &log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the deploy command failed (exit 3)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&log).unwrap(), printed);
    let records = origin_records(&repo);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["status"], "failed");
    assert_eq!(records[0]["exit_code"], 3);
    assert_eq!(origin_state_file(&repo, "slots/dev1.toml"), None);
    let subject = repo.origin_git(&["log", "-1", "--format=%s", STATE]);
    assert!(
        subject.contains("deploy kickoff-240510-alpha to dev1: failed"),
        "{subject}"
    );
    assert!(!repo.work.join(".git/kickoff/env/dev1.env").exists());
    assert!(!repo.work.join(".git/kickoff/env/dev1.compose.yml").exists());
}
