//! The workflow as a team meets it: dates at the edge of what a kickoff name
//! holds, notes after prereleases, hotfixes on main, leaving the slot queue,
//! stale and shallow clones, `--yes` and transliterated summaries. Each test is
//! one scenario: the repository before, the command, refs, tags, state and
//! output after.

mod common;
use common::*;

// ---- dates a kickoff name can hold ----------------------------------------------

/// `--date 1999-12-31` made `kickoff-991231-x`, which reads back as 2099; and
/// `--date 2100-01-01` gave a kickoff of the year 2000. Both are refused now.
#[test]
fn new_refuses_dates_the_name_cannot_hold_and_keeps_the_edges() {
    let repo = TestRepo::new();
    for date in ["1999-12-31", "2100-01-01", "0999-01-01"] {
        assert_refused(
            &repo,
            &["new", "edge-case", "--date", date],
            2,
            &[
                &format!("invalid date \"{date}\""),
                "between 2000-01-01 and 2099-12-31",
                "hint:",
            ],
        );
    }
    // The last and first days that round-trip are accepted.
    repo.ok(&["new", "last-day", "--date", "2099-12-31", "--no-push"]);
    repo.ok(&["new", "first-day", "--date", "000101", "--no-push"]);
    assert!(repo.rev("kickoff-991231-last-day").is_some());
    assert!(repo.rev("kickoff-000101-first-day").is_some());
    let listed: serde_json::Value = serde_json::from_str(&repo.ok(&["list", "--json"])).unwrap();
    let dates: Vec<(&str, &str)> = listed["kickoffs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["name"].as_str().unwrap(), k["date"].as_str().unwrap()))
        .collect();
    assert_eq!(
        dates,
        [
            ("kickoff-000101-first-day", "2000-01-01"),
            ("kickoff-991231-last-day", "2099-12-31")
        ]
    );
}

// ---- --yes, transliteration and prompts ------------------------------------------

/// `kickoff -y new "Admin Dashboard"` exited 2 without a terminal: `--yes`
/// takes the offered summary.
#[test]
fn yes_accepts_the_offered_summary_without_a_terminal() {
    let repo = TestRepo::new();
    let out = repo
        .kickoff(&["-y", "new", "Admin Dashboard", "--date", "240510"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "kickoff-240510-admin-dashboard\n");
    assert!(stderr(&out).contains("using the summary `admin-dashboard` (--yes)"));
    let main = repo.rev("main").unwrap();
    assert_eq!(
        repo.rev("kickoff-240510-admin-dashboard"),
        Some(main.clone())
    );
    assert_eq!(
        repo.origin_refs()
            .get("refs/heads/kickoff-240510-admin-dashboard"),
        Some(&main)
    );
}

/// Accented letters were dropped (`café-menü` -> `caf-men`); they are
/// transliterated now, both in the suggestion and with `--yes`.
#[test]
fn summaries_with_accents_are_transliterated() {
    let repo = TestRepo::new();
    let err = assert_refused(
        &repo,
        &["new", "café-menü", "--date", "240510"],
        2,
        &["invalid summary \"café-menü\"", "try `cafe-menu`"],
    );
    assert!(!err.contains("caf-men`"), "{err}");
    repo.ok(&["new", "café-menü", "--date", "240510", "--no-push", "--yes"]);
    assert!(repo.rev("kickoff-240510-cafe-menu").is_some());
}

/// Without `--yes` and without a terminal, free text is refused (exit 2) with
/// the slug to use, and nothing changes; a summary with nothing to keep is
/// refused even with `--yes`.
#[test]
fn free_text_summary_without_yes_or_terminal_is_refused() {
    let repo = TestRepo::new();
    assert_refused(
        &repo,
        &["new", "Admin Dashboard", "--date", "240510"],
        2,
        &[
            "invalid summary \"Admin Dashboard\"",
            "try `admin-dashboard`",
        ],
    );
    assert_refused(
        &repo,
        &["-y", "new", "!!", "--date", "240510"],
        2,
        &["invalid summary \"!!\""],
    );
}

// ---- notes after a prerelease --------------------------------------------------------

/// With `1.4.0-rc.1` released at CHK-1..3 and `1.4.0` one commit later,
/// `notes 1.4.0` listed only CHK-4 while the tag lists all four.
#[test]
fn notes_of_a_release_cover_its_prereleases_and_say_so() {
    let repo = TestRepo::new();
    let old = repo.new_kickoff("older", "240401");
    repo.commit_pushed(&old, "old.txt", "OLD-1 older work");
    repo.ok(&["release", "--platform", "1.3.0", "--date", "2024-04-20"]);
    repo.ok(&["land", &old]);
    let chk = repo.new_kickoff("checkout", "240501");
    for n in 1..=3 {
        repo.commit_pushed(&chk, &format!("chk{n}.txt"), &format!("CHK-{n} step {n}"));
    }
    repo.ok(&[
        "release",
        "--platform",
        "1.4.0-rc.1",
        "--date",
        "2024-05-20",
    ]);
    repo.commit_pushed(&chk, "chk4.txt", "CHK-4 QA fix");
    repo.ok(&["release", "--platform", "1.4.0", "--date", "2024-05-25"]);

    let tag_tickets = repo.tag_format("platform/v1.4.0", "%(trailers:key=Ticket,valueonly)");
    assert_eq!(tag_tickets, "CHK-1\nCHK-2\nCHK-3\nCHK-4");
    let md = repo.ok(&["notes", "1.4.0"]);
    assert!(
        md.starts_with(&format!(
            "# platform v1.4.0 ({chk})\n\nChanges since v1.3.0, the previous release (prereleases in between are included).\n\n## CHK-1\n"
        )),
        "{md}"
    );
    for t in ["CHK-1", "CHK-2", "CHK-3", "CHK-4"] {
        assert!(md.contains(&format!("## {t}\n")), "{md}");
    }
    assert!(!md.contains("OLD-1"), "{md}");
    let rc = repo.ok(&["notes", "1.4.0-rc.1"]);
    assert!(
        rc.contains("Changes since v1.3.0, the previous version (a prerelease counts from any earlier version)."),
        "{rc}"
    );
    assert!(rc.contains("## CHK-3\n") && !rc.contains("CHK-4"), "{rc}");
    // A second prerelease counts from the first one.
    repo.ok(&["land", &chk]);
    let next = repo.new_kickoff("next", "240601");
    repo.commit_pushed(&next, "n.txt", "NEXT-1 next");
    repo.ok(&["release", "--platform", "1.5.0-rc.1", "--kickoff", &next]);
    repo.commit_pushed(&next, "n2.txt", "NEXT-2 next");
    repo.ok(&["release", "--platform", "1.5.0-rc.2", "--kickoff", &next]);
    let doc: serde_json::Value =
        serde_json::from_str(&repo.ok(&["notes", "1.5.0-rc.2", "--json"])).unwrap();
    assert_eq!(doc["start"]["kind"], "previous-version");
    assert_eq!(doc["start"]["version"], "1.5.0-rc.1");
    let listed: Vec<&str> = doc["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["ticket"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["NEXT-2"]);
}

// ---- a release that would roll a hotfix back ---------------------------------------

/// A hotfix committed on main after the kickoff was cut is not in the
/// kickoff; `release` accepted it, and deploying the kickoff would roll the
/// hotfix back.
fn kickoff_behind_a_hotfix() -> (TestRepo, String, String) {
    let repo = TestRepo::new();
    let dash = repo.new_kickoff("dashboard", "240510");
    repo.commit_pushed(&dash, "dash.txt", "DASH-1 dashboard");
    // A teammate hotfixes main and pushes.
    let mate = repo.clone_to("mate");
    let hotfix = repo.commit_in(&mate, "fix.txt", "fixed\n", "Hotfix: payment rounding");
    repo.git_in(&mate, &["push", "--quiet", "origin", "main"]);
    (repo, dash, hotfix)
}

#[test]
fn release_refuses_a_kickoff_that_lacks_a_hotfix_on_main() {
    let (repo, dash, hotfix) = kickoff_behind_a_hotfix();
    let err = assert_refused(
        &repo,
        &["release", "--platform", "1.0.0"],
        1,
        &[
            &format!("{dash} lacks 1 commit(s) of origin/main (deploying it would roll them back)"),
            &format!("{} \"Hotfix: payment rounding\"", &hotfix[..10]),
            &format!("`kickoff sync {dash}`"),
            "--allow-behind-main",
        ],
    );
    assert!(err.contains("release refused"), "{err}");
    assert_eq!(repo.platform_tags(), (vec![], vec![]));
    // The dry run lists the rule as refused.
    let out = repo
        .kickoff(&["release", "--platform", "1.0.0", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("  REFUSED  behind-main      "),
        "{}",
        stdout(&out)
    );
}

#[test]
fn sync_then_release_takes_the_hotfix_along() {
    let (repo, dash, hotfix) = kickoff_behind_a_hotfix();
    repo.ok(&["sync", &dash]);
    let out = repo.ok(&["release", "--platform", "1.0.0", "--dry-run"]);
    assert!(
        out.contains("  ok       behind-main      the kickoff contains the remote's main"),
        "{out}"
    );
    repo.ok(&["release", "--platform", "1.0.0"]);
    let tagged = repo.rev("platform/v1.0.0").unwrap();
    assert_eq!(tagged, repo.rev(&dash).unwrap());
    assert!(
        repo.git(&["merge-base", "--is-ancestor", &hotfix, &tagged])
            .is_empty()
    );
}

#[test]
fn allow_behind_main_waives_the_rule_and_records_it_in_the_tag() {
    let (repo, dash, _) = kickoff_behind_a_hotfix();
    let out = repo
        .kickoff(&["release", "--platform", "1.0.0", "--allow-behind-main"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("rule `behind-main` waived by --allow-behind-main"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        repo.tag_format("platform/v1.0.0", "%(trailers:key=Waived,valueonly)"),
        "behind-main"
    );
    assert_eq!(repo.rev("platform/v1.0.0"), repo.rev(&dash));
    assert_eq!(
        repo.platform_tags(),
        (vec!["v1.0.0".to_string()], vec!["v1.0.0".to_string()])
    );
    let shown: serde_json::Value =
        serde_json::from_str(&repo.ok(&["show", "1.0.0", "--json"])).unwrap();
    assert_eq!(shown["platform_version"]["waived"][0], "behind-main");
}

/// Without a remote, the remote rule is reported as skipped, not as "ok".
#[test]
fn release_without_a_remote_says_the_remote_rule_was_skipped() {
    let repo = TestRepo::without_remote();
    repo.ok(&["new", "solo", "--date", "240510"]);
    repo.commit("solo.txt", "solo\n", "SOLO-1 solo work");
    let out = repo.ok(&["release", "--platform", "1.0.0", "--dry-run"]);
    assert!(
        out.contains("  skipped  remote-mismatch  no remote to compare the kickoff with"),
        "{out}"
    );
    assert!(
        !out.contains("the local kickoff is the remote's kickoff"),
        "{out}"
    );
    assert!(out.contains("  ok       behind-main      "), "{out}");
}

// ---- leaving the slot queue ------------------------------------------------------

/// A pool of one slot: `dev1`, with the deploy command `true`.
fn one_slot_pool(kickoffs: &[&str]) -> TestRepo {
    let config = SLOTS_TOML.replace(
        r#"names = ["dev1", "dev2", "dev3", "dev4"]"#,
        r#"names = ["dev1"]"#,
    );
    slots_repo(&config, kickoffs)
}

fn slot_state(repo: &TestRepo, path: &str) -> Option<String> {
    state_file(&repo.env, &repo.origin, "refs/kickoff/state", path)
}

fn state_subjects(repo: &TestRepo) -> Vec<String> {
    repo.origin_git(&["log", "--format=%s", "refs/kickoff/state"])
        .lines()
        .map(str::to_string)
        .collect()
}

const ALPHA: &str = "kickoff-240510-alpha";
const BETA: &str = "kickoff-240510-beta";
const GAMMA: &str = "kickoff-240510-gamma";

/// `slot release` on a queued kickoff's branch acted on another kickoff's
/// slot (the one slot you hold); there was no way to leave the queue.
#[test]
fn slot_release_on_a_queued_kickoffs_branch_is_refused_and_leave_leaves() {
    let repo = one_slot_pool(&["alpha", "beta"]);
    repo.ok(&["slot", "claim", ALPHA]);
    repo.ok(&["slot", "claim", BETA, "--queue"]);
    repo.git(&["checkout", "--quiet", BETA]);
    assert_refused(
        &repo,
        &["slot", "release"],
        1,
        &[
            "kickoff-240510-beta holds no slot; it waits in the queue (position 1)",
            "`kickoff slot leave kickoff-240510-beta`",
        ],
    );
    assert!(
        slot_state(&repo, "slots/dev1.toml")
            .unwrap()
            .contains(ALPHA)
    );

    let out = repo.kickoff(&["slot", "leave"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("taken kickoff-240510-beta out of the queue (it was at position 1)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), format!("{BETA}\n"));
    assert!(slot_state(&repo, "queue.toml").is_none());
    assert!(
        slot_state(&repo, "slots/dev1.toml")
            .unwrap()
            .contains(ALPHA)
    );
    assert_eq!(
        state_subjects(&repo)[0],
        format!("kickoff state: leave the queue: {BETA} by Ada Tester")
    );
    let board: serde_json::Value =
        serde_json::from_str(&repo.ok(&["slot", "list", "--json"])).unwrap();
    assert_eq!(board["queue"], serde_json::json!([]));
}

#[test]
fn slot_leave_refuses_what_is_not_queued_or_not_yours() {
    let repo = one_slot_pool(&["alpha", "beta", "gamma"]);
    repo.ok(&["slot", "claim", ALPHA]);
    // Nothing queued yet: both a holder and an idle kickoff are refused.
    assert_refused(
        &repo,
        &["slot", "leave", ALPHA],
        1,
        &[
            "kickoff-240510-alpha is not waiting in the queue (it holds dev1)",
            "`kickoff slot release dev1`",
        ],
    );
    assert_refused(
        &repo,
        &["slot", "leave", "--kickoff", GAMMA],
        1,
        &["kickoff-240510-gamma is not waiting in the queue"],
    );
    assert_refused(
        &repo,
        &["slot", "leave", "kickoff-249999-bad"],
        2,
        &["invalid date"],
    );
    // Bob queues gamma; Ada cannot take it out without --force.
    let out = repo
        .kickoff(&["slot", "claim", GAMMA, "--queue"])
        .env("GIT_COMMITTER_NAME", "Bob")
        .env("GIT_COMMITTER_EMAIL", "bob@example.com")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_refused(
        &repo,
        &["slot", "leave", GAMMA],
        1,
        &[
            "was put in the queue by Bob <bob@example.com>, not by you",
            "--force",
        ],
    );
    let dry: serde_json::Value =
        serde_json::from_str(&repo.ok(&["slot", "leave", GAMMA, "--force", "--dry-run", "--json"]))
            .unwrap();
    assert_eq!(dry["outcome"]["result"], "left");
    assert_eq!(dry["outcome"]["position"], 1);
    assert!(slot_state(&repo, "queue.toml").unwrap().contains(GAMMA));
    repo.ok(&["slot", "leave", GAMMA, "--force"]);
    assert!(slot_state(&repo, "queue.toml").is_none());
}

/// The log subject of a promotion hid who got which slot.
#[test]
fn a_promotion_off_the_queue_is_named_in_the_state_log() {
    let repo = one_slot_pool(&["alpha", "beta"]);
    repo.ok(&["slot", "claim", ALPHA]);
    repo.ok(&["slot", "claim", BETA, "--queue"]);
    repo.ok(&["slot", "release", "dev1"]);
    assert_eq!(
        state_subjects(&repo)[0],
        format!("kickoff state: release dev1: by Ada Tester; {BETA} got dev1 off the queue")
    );
    assert!(slot_state(&repo, "slots/dev1.toml").unwrap().contains(BETA));
}

/// A refused claim reported a promotion `slot list` does not show (the
/// queue's first kickoff in an expired slot): it now shows the slot as
/// stored, expired, and who gets it next.
#[test]
fn a_refused_claim_tells_the_stored_state_and_the_pending_promotion() {
    let repo = one_slot_pool(&["alpha", "beta", "gamma"]);
    let at = |minutes: i64| format!("@{}", EPOCH + minutes * 60);
    let run = |args: &[&str], minutes: i64| {
        repo.kickoff(args)
            .env("KICKOFF_NOW", at(minutes))
            .output()
            .unwrap()
    };
    assert!(
        run(&["slot", "claim", ALPHA, "--ttl", "1h"], 0)
            .status
            .success()
    );
    assert!(run(&["slot", "claim", BETA, "--queue"], 1).status.success());
    let before = repo.snapshot();
    let out = run(&["slot", "claim", GAMMA], 61);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "dev1: {ALPHA} (Ada Tester <ada@example.com>) until"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("(expired); next in the queue, {BETA} gets it")),
        "{err}"
    );
    assert_eq!(before, repo.snapshot());
    let listed: serde_json::Value =
        serde_json::from_str(&stdout(&run(&["slot", "list", "--json"], 61))).unwrap();
    assert_eq!(listed["slots"][0]["kickoff"], ALPHA);
    assert_eq!(listed["queue"][0]["kickoff"], BETA);
}

// ---- version labels of deployments ---------------------------------------------------

/// Deploying a kickoff with no commits of its own labelled it with another
/// kickoff's platform version (the tag on the commit it shares with main).
#[test]
fn a_deployment_is_labelled_only_with_a_version_of_its_own_kickoff() {
    let repo = slots_repo(SLOTS_TOML, &[]);
    let shipped = repo.new_kickoff("shipped", "240501");
    repo.commit_pushed(&shipped, "s.txt", "SHIP-1 shipped work");
    repo.ok(&["release", "--platform", "1.4.0", "--kickoff", &shipped]);
    repo.ok(&["land", &shipped]);
    // Cut after the landing: no commits of its own yet, so its tip is the
    // commit tagged platform/v1.4.0 for the other kickoff.
    let fresh = repo.new_kickoff("fresh", "240601");
    assert_eq!(repo.rev(&fresh), repo.rev("platform/v1.4.0"));

    let record = |kickoff: &str, slot: &str| -> serde_json::Value {
        let out = repo
            .kickoff(&["deploy", kickoff, "--slot", slot])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let file = stdout(&out).trim().to_string();
        let path = format!("deployments/{file}");
        serde_json::from_str(&slot_state(&repo, &path).expect("record on origin")).unwrap()
    };
    let fresh_record = record(&fresh, "dev1");
    assert_eq!(fresh_record["kickoff"], fresh.as_str());
    assert_eq!(fresh_record["platform_version"], serde_json::Value::Null);
    let env = std::fs::read_to_string(repo.work.join(".git/kickoff/env/dev1.env")).unwrap();
    assert!(
        !env.contains("1.4.0"),
        "the fresh kickoff's env file names another kickoff's version:\n{env}"
    );
    let board: serde_json::Value =
        serde_json::from_str(&repo.ok(&["slot", "list", "--json"])).unwrap();
    assert_eq!(
        board["slots"][0]["last_deployment"]["platform_version"],
        serde_json::Value::Null
    );
    // The released kickoff's own deployment keeps its version.
    let shipped_record = record(&shipped, "dev2");
    assert_eq!(shipped_record["platform_version"], "1.4.0");
}

// ---- stale reads and --fetch -------------------------------------------------------

/// Right after a teammate's release `versions` did not show it: read commands
/// read local refs only. `--fetch` brings the team's refs first.
#[test]
fn read_commands_fetch_a_teammates_release_and_feature_branch() {
    let repo = TestRepo::new();
    let mate = repo.clone_to("mate");
    let in_mate = |args: &[&str]| {
        let out = repo.env.kickoff_cmd(&mate).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    };
    in_mate(&["new", "dashboard", "--date", "240510"]);
    repo.commit_in(&mate, "d.txt", "d\n", "DASH-1 dashboard");
    repo.git_in(
        &mate,
        &["push", "--quiet", "origin", "kickoff-240510-dashboard"],
    );
    in_mate(&["release", "--platform", "1.0.0"]);
    repo.git_in(&mate, &["switch", "--quiet", "-c", "feature/DASH-7-export"]);
    repo.commit_in(&mate, "e.txt", "e\n", "Export");
    repo.git_in(
        &mate,
        &["push", "--quiet", "origin", "feature/DASH-7-export"],
    );

    let versions = |args: &[&str]| -> Vec<String> {
        let doc: serde_json::Value = serde_json::from_str(&repo.ok(args)).unwrap();
        doc["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["version"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(versions(&["versions", "--json"]).is_empty());
    assert_eq!(versions(&["versions", "--json", "--fetch"]), ["1.0.0"]);
    assert_eq!(repo.platform_tags().0, ["v1.0.0"]);
    assert!(repo.rev("origin/feature/DASH-7-export").is_some());
    for args in [
        &["show", "1.0.0", "--fetch"][..],
        &["notes", "1.0.0", "--fetch"],
        &["list", "--fetch"],
        &["status", "kickoff-240510-dashboard", "--fetch"],
    ] {
        repo.ok(args);
    }
    // `which` names the teammate's feature branch on the remote.
    let which = repo.ok(&["which", "DASH-7", "--fetch"]);
    assert!(
        which.contains("feature branch  origin/feature/DASH-7-export"),
        "{which}"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&repo.ok(&["which", "DASH-7", "--json"])).unwrap();
    assert_eq!(
        doc["feature_branches"][0]["branch"],
        "feature/DASH-7-export"
    );
    assert_eq!(doc["feature_branches"][0]["local"], false);
    assert_eq!(doc["feature_branches"][0]["remote"], "origin");
}

/// Read commands say when the remote-tracking refs are older than a day.
#[test]
fn read_commands_warn_when_the_last_fetch_is_older_than_a_day() {
    let repo = TestRepo::new();
    repo.new_kickoff("dashboard", "240510");
    let out = repo.kickoff(&["list"]).output().unwrap();
    assert!(out.status.success());
    assert!(!stderr(&out).contains("last fetched"), "{}", stderr(&out));
    // Three days without a fetch.
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 86_400 + 60);
    for path in [
        ".git/FETCH_HEAD",
        ".git/refs/remotes/origin/main",
        ".git/packed-refs",
    ] {
        let file = repo.work.join(path);
        if file.exists() {
            std::fs::File::options()
                .write(true)
                .open(&file)
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
    }
    for args in [
        &["list"][..],
        &["status", "kickoff-240510-dashboard"],
        &["versions"],
    ] {
        let out = repo.kickoff(args).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stderr(&out)
                .contains("warning: what origin had was last fetched 3 day(s) ago; pass --fetch"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let out = repo.kickoff(&["list", "--fetch"]).output().unwrap();
    assert!(out.status.success());
    assert!(!stderr(&out).contains("last fetched"), "{}", stderr(&out));
    let out = repo.kickoff(&["list"]).output().unwrap();
    assert!(!stderr(&out).contains("last fetched"), "{}", stderr(&out));
}

// ---- shallow clones ------------------------------------------------------------------

/// `git clone --depth 1 [extra] file://<origin> <env>/<name>`: a CI checkout.
fn shallow_clone(repo: &TestRepo, name: &str, extra: &[&str]) -> TestRepo {
    let dir = repo.env.path().join(name);
    let url = format!("file://{}", repo.origin.display());
    let mut args = vec!["clone", "--quiet", "--depth", "1"];
    args.extend_from_slice(extra);
    args.extend([url.as_str(), dir.to_str().unwrap()]);
    repo.env.git(repo.env.path(), &args);
    assert!(dir.join(".git/shallow").is_file());
    TestRepo {
        env: TestEnv::new(),
        work: dir,
        origin: repo.origin.clone(),
    }
}

/// In a shallow clone `list` showed landed kickoffs as live and "13 ahead"
/// (truly 4), and `release --dry-run` claimed missing versions that main
/// holds. Commands whose answer depends on history refuse with a hint.
#[test]
fn history_commands_refuse_a_shallow_clone_with_the_unshallow_hint() {
    let repo = TestRepo::new();
    let dash = repo.new_kickoff("dashboard", "240510");
    for n in 1..=3 {
        repo.commit_pushed(&dash, &format!("d{n}.txt"), &format!("DASH-{n} work"));
    }
    repo.ok(&["release", "--platform", "1.0.0"]);
    let shallow = shallow_clone(&repo, "ci", &["--no-single-branch"]);
    for args in [
        &["list"][..],
        &["status", &dash],
        &["notes", "1.0.0"],
        &["which", "DASH-1"],
        &["show", "1.0.0"],
        &[
            "release",
            "--platform",
            "1.1.0",
            "--kickoff",
            &dash,
            "--dry-run",
        ],
        &["land", &dash, "--dry-run"],
        &["sync", &dash, "--dry-run"],
    ] {
        let err = assert_refused(
            &shallow,
            args,
            1,
            &[
                "this clone is shallow",
                "needs the whole history",
                "git fetch --unshallow origin",
            ],
        );
        assert!(!err.contains("ahead"), "{args:?}: {err}");
    }
    // Deepened, the same clone answers.
    shallow.git(&["fetch", "--quiet", "--unshallow", "origin"]);
    shallow.ok(&["list"]);
}

// ---- smaller wrong answers -----------------------------------------------------------

/// A deploy program that is not executable was reported as missing.
#[test]
fn a_deploy_program_without_execute_permission_is_named_as_such() {
    let repo = slots_repo(SLOTS_TOML, &["alpha"]);
    let config = SLOTS_TOML.replace("deploy = [\"true\"]", "deploy = [\"./deploy.sh\"]");
    repo.write("deploy.sh", "#!/bin/sh\nexit 0\n");
    repo.commit(".kickoff.toml", &config, "Deploy with a script");
    let err = assert_refused(
        &repo,
        &["deploy", ALPHA],
        2,
        &[
            "the deploy command `./deploy.sh`",
            "is not executable",
            "chmod +x",
        ],
    );
    assert!(!err.contains("does not exist"), "{err}");
    assert!(!repo.origin_refs().contains_key("refs/kickoff/state"));
}

/// A committer name with `<` gave a raw libgit2 error; git itself drops the
/// character, and so does kickoff.
#[test]
fn a_committer_name_with_angle_brackets_signs_as_git_would() {
    let repo = slots_repo(SLOTS_TOML, &["alpha"]);
    let out = repo
        .kickoff(&["slot", "claim", ALPHA])
        .env("GIT_COMMITTER_NAME", "Ada <QA> Tester")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let lease = slot_state(&repo, "slots/dev1.toml").unwrap();
    assert!(lease.contains("name = \"Ada QA Tester\""), "{lease}");
    let out = repo
        .kickoff(&["slot", "release", "dev1"])
        .env("GIT_COMMITTER_NAME", "<>")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("your git identity has no usable committer name"),
        "{}",
        stderr(&out)
    );
}

/// `release` took the kickoff only as `--kickoff` while `sync`, `status`,
/// `land` and `deploy` took it only positionally: both spellings work
/// everywhere, and giving both is a usage error.
#[test]
fn the_kickoff_is_accepted_positionally_and_as_an_option() {
    let repo = TestRepo::new();
    let dash = repo.new_kickoff("dashboard", "240510");
    repo.commit_pushed(&dash, "d.txt", "DASH-1 work");
    repo.git(&["checkout", "--quiet", "main"]);
    let out = repo.ok(&["release", &dash, "--platform", "1.0.0", "--dry-run"]);
    assert!(
        out.starts_with(&format!("tag platform/v1.0.0 on {dash}")),
        "{out}"
    );
    repo.ok(&["status", "--kickoff", &dash]);
    repo.ok(&["sync", "--kickoff", &dash, "--dry-run"]);
    repo.ok(&["land", "--kickoff", &dash, "--dry-run", "--unreleased"]);
    assert_refused(
        &repo,
        &["release", &dash, "--kickoff", &dash, "--platform", "1.0.0"],
        2,
        &["cannot be used with"],
    );
    assert_refused(
        &repo,
        &["status", &dash, "--kickoff", &dash],
        2,
        &["cannot be used with"],
    );
}

/// A shallow clone (`git clone --depth 1`, as CI makes) holds only the tags
/// of the commits it fetched, so `versions` missed both versions; and a
/// deployment's tickets came from a cut history. `versions` refuses, `--fetch` deepens the clone first, and
/// `deploy` deepens by itself: its record names every ticket of the kickoff.
#[test]
fn shallow_clones_are_deepened_by_fetch_and_deploy_or_refused() {
    let repo = slots_repo(SLOTS_TOML, &[]);
    let alpha = repo.new_kickoff("alpha", "240501");
    repo.commit_pushed(&alpha, "a1.txt", "ALPHA-1 first");
    repo.ok(&["release", "--platform", "1.0.0", &alpha]);
    // Work after the release: the tag is no longer at a tip.
    repo.commit_pushed(&alpha, "a2.txt", "ALPHA-2 after the release");
    // Main moves on before and after beta is cut: a cut history hides
    // where beta forked, and OPS-1 would pass for one of beta's tickets.
    repo.git(&["checkout", "--quiet", "main"]);
    repo.commit("ops1.txt", "1\n", "OPS-1 hotfix");
    repo.git(&["push", "--quiet", "origin", "main"]);
    let beta = repo.new_kickoff("beta", "240502");
    repo.commit_pushed(&beta, "b1.txt", "BETA-1 first");
    repo.commit_pushed(&beta, "b2.txt", "BETA-2 second");
    repo.ok(&["release", "--platform", "1.1.0", &beta, "--allow-rollback"]);
    repo.git(&["checkout", "--quiet", "main"]);
    repo.commit("ops2.txt", "2\n", "OPS-2 hotfix");
    repo.git(&["push", "--quiet", "origin", "main"]);
    let clone = |name: &str| shallow_clone(&repo, name, &[]);

    let ci = clone("ci");
    assert!(
        ci.rev("platform/v1.0.0").is_none(),
        "the cut clone lacks the tag"
    );
    assert_refused(
        &ci,
        &["versions"],
        1,
        &[
            "this clone is shallow",
            "git fetch --unshallow origin",
            "--fetch",
        ],
    );
    let out = ci.kickoff(&["versions", "--fetch"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("this clone is shallow: fetching the whole history from origin"));
    assert!(
        stdout(&out).contains("1.0.0") && stdout(&out).contains("1.1.0"),
        "{}",
        stdout(&out)
    );
    assert!(!ci.work.join(".git/shallow").exists());
    // Deepened, the history commands answer again.
    ci.ok(&["list"]);

    let ci2 = clone("ci2");
    let out = ci2
        .kickoff(&["deploy", &beta, "--slot", "dev1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("this clone is shallow: fetching the whole history from origin"));
    assert!(!ci2.work.join(".git/shallow").exists());
    let file = stdout(&out).trim().to_string();
    let record: serde_json::Value =
        serde_json::from_str(&slot_state(&repo, &format!("deployments/{file}")).unwrap()).unwrap();
    assert_eq!(
        record["tickets"],
        serde_json::json!(["BETA-1", "BETA-2"]),
        "{record}"
    );
    assert_eq!(record["platform_version"], "1.1.0", "{record}");
}

// ---- settings from main ------------------------------------------------------------

/// The settings in force are the team's: a kickoff cut before `[slots]` was
/// described saw "no QA slots are configured" from its own work tree.
#[test]
fn a_branch_cut_before_the_settings_reads_them_from_the_remotes_main() {
    let repo = TestRepo::new();
    let old = repo.new_kickoff("dashboard", "240510");
    repo.git(&["checkout", "--quiet", "main"]);
    repo.commit(".kickoff.toml", SLOTS_TOML, "Configure the QA slot pool");
    repo.git(&["push", "--quiet", "origin", "main"]);
    repo.git(&["checkout", "--quiet", &old]);
    assert!(!repo.work.join(".kickoff.toml").exists());

    let out = repo.kickoff(&["slot", "list"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let (listed, err) = (stdout(&out), stderr(&out));
    for slot in ["dev1", "dev2", "dev3", "dev4"] {
        assert!(listed.contains(slot), "{listed}");
    }
    assert!(
        err.contains("settings: .kickoff.toml from origin/main (this work tree has none)"),
        "{err}"
    );
    // Under -q the note is not printed.
    let out = repo.kickoff(&["-q", "slot", "list"]).output().unwrap();
    assert!(out.status.success());
    assert!(!stderr(&out).contains("settings:"), "{}", stderr(&out));

    // A work-tree copy with other text is named, and the team's copy still rules.
    repo.write(".kickoff.toml", "[slots]\nnames = [\"qa1\"]\n");
    let out = repo.kickoff(&["slot", "list"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("dev4") && !stdout(&out).contains("qa1"));
    assert!(
        stderr(&out).contains(
            "settings: .kickoff.toml from origin/main (the work tree's copy differs; it takes effect once it is on origin/main)"
        ),
        "{}",
        stderr(&out)
    );

    // `kickoff init` writes the work tree's copy and says which one rules.
    std::fs::remove_file(repo.work.join(".kickoff.toml")).unwrap();
    let out = repo.kickoff(&["init"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(repo.work.join(".kickoff.toml").is_file());
    assert!(
        stderr(&out).contains("from origin/main (the work tree's copy differs"),
        "{}",
        stderr(&out)
    );

    // On main, with the same copy, nothing is said.
    std::fs::remove_file(repo.work.join(".kickoff.toml")).unwrap();
    repo.git(&["checkout", "--quiet", "main"]);
    let out = repo.kickoff(&["slot", "list"]).output().unwrap();
    assert!(out.status.success());
    assert!(!stderr(&out).contains("settings:"), "{}", stderr(&out));

    // On main the work tree is main's copy, edits included; the remote's
    // differing copy is named.
    repo.write(
        ".kickoff.toml",
        &SLOTS_TOML.replace("\"dev4\"]", "\"dev4\", \"dev5\"]"),
    );
    let out = repo.kickoff(&["slot", "list"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("dev5"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains(
            "settings: .kickoff.toml from this work tree on main (origin/main's copy differs)"
        ),
        "{}",
        stderr(&out)
    );
}

/// Without the file on the remote's main, the local main's copy counts;
/// without that, the work tree's.
#[test]
fn settings_fall_back_to_the_local_main_then_the_work_tree() {
    let repo = TestRepo::new();
    let old = repo.new_kickoff("dashboard", "240510");
    repo.git(&["checkout", "--quiet", "main"]);
    // Committed on main, not pushed: origin/main has no copy.
    repo.commit(".kickoff.toml", SLOTS_TOML, "Configure the QA slot pool");
    repo.git(&["checkout", "--quiet", &old]);
    let out = repo.kickoff(&["slot", "list"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("dev4"));
    assert!(
        stderr(&out).contains("settings: .kickoff.toml from main (this work tree has none)"),
        "{}",
        stderr(&out)
    );

    // No copy on either main: the work tree's file is read, silently.
    let bare = TestRepo::new();
    bare.write(".kickoff.toml", "[slots]\nnames = [\"qa1\"]\n\n[[slots.apps]]\nname = \"web\"\nport = 80\nbase_port = 8001\n");
    let out = bare.kickoff(&["slot", "list"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("qa1"), "{}", stdout(&out));
    assert!(!stderr(&out).contains("settings:"), "{}", stderr(&out));
}

/// A broken copy on the remote's main is named as such (its branch, line and
/// key), and nothing changes: not even on a branch whose own copy is fine.
#[test]
fn a_broken_team_copy_is_refused_by_its_branch_and_line_and_changes_nothing() {
    let repo = TestRepo::new();
    repo.commit(".kickoff.toml", "[core]\npush = true\n", "Settings");
    repo.git(&["push", "--quiet", "origin", "main"]);
    repo.git(&["checkout", "--quiet", "-b", "topic"]);
    // A teammate pushes a broken copy to main.
    let mate = repo.clone_to("mate");
    repo.commit_in(
        &mate,
        ".kickoff.toml",
        "[core]\n\nmian_branch = \"trunk\"\n",
        "Rename main",
    );
    repo.git_in(&mate, &["push", "--quiet", "origin", "main"]);
    repo.git(&["fetch", "--quiet", "origin"]);
    for args in [
        &["new", "export", "--date", "240601"][..],
        &["slot", "list"],
        &["list"],
    ] {
        assert_refused(
            &repo,
            args,
            2,
            &["origin/main:.kickoff.toml:3:", "mian_branch", "hint:"],
        );
    }
}

// ---- case 10: land's count, features merged without a merge commit, slot config -----

/// `land` said one kickoff lacked main's new commits when nine did: the ones
/// cut from main without commits of their own were taken for landed ones.
#[test]
fn land_counts_every_kickoff_that_lacks_the_new_main() {
    let repo = TestRepo::new();
    let alpha = repo.new_kickoff("alpha", "240401");
    repo.commit_pushed(&alpha, "alpha.txt", "ALPHA-1 alpha");
    // Eight others: one with work of its own, six just cut, and one a
    // teammate cut and pushed (only on the remote here).
    let mut others = Vec::new();
    for (i, name) in [
        "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
    ]
    .iter()
    .enumerate()
    {
        others.push(repo.new_kickoff(name, &format!("2404{:02}", i + 2)));
    }
    repo.commit_pushed(&others[0], "b.txt", "BETA-1 b");
    let mate = repo.clone_to("mate");
    repo.git_in(&mate, &["branch", "kickoff-240420-mate", "origin/main"]);
    repo.git_in(&mate, &["push", "--quiet", "origin", "kickoff-240420-mate"]);
    repo.git(&["fetch", "--quiet", "origin"]);
    others.push("kickoff-240420-mate".into());
    repo.ok(&["release", "--platform", "1.0.0", &alpha]);

    let out = repo.kickoff(&["land", &alpha]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        repo.origin_git(&["rev-parse", "refs/heads/main"]),
        repo.rev(&alpha).unwrap()
    );
    let (listing, err) = (stdout(&out), stderr(&out));
    assert!(
        err.contains("8 live kickoff(s) now lack main's new commits"),
        "{err}"
    );
    for k in &others {
        let line = listing
            .lines()
            .find(|l| l.starts_with(k.as_str()))
            .unwrap_or_else(|| panic!("{k} not listed:\n{listing}"));
        assert!(line.contains(&format!("kickoff sync {k}")), "{line}");
    }
    assert!(!listing.contains(&format!("{alpha} ")), "{listing}");
}

/// A fast-forward-merged feature showed "open, no commits yet" and a
/// squash-merged one "open, 2 commits": both are merged, as git-town tells
/// them (the reflog's start, patch ids).
#[test]
fn features_merged_by_fast_forward_or_squash_are_merged() {
    let repo = TestRepo::new();
    let k = repo.new_kickoff("dashboard", "240510");
    let feature = |ticket: &str, slug: &str| {
        repo.ok(&["feature", ticket, slug, "--kickoff", &k, "--no-push"]);
        format!("feature/{ticket}-{slug}")
    };
    // Fast-forward: two commits, then the kickoff moves up to them.
    let ff = feature("DASH-1", "ff");
    repo.git(&["checkout", "--quiet", &ff]);
    repo.commit("ff1.txt", "1\n", "DASH-1 first");
    repo.commit("ff2.txt", "2\n", "DASH-1 second");
    repo.git(&["checkout", "--quiet", &k]);
    repo.git(&["merge", "--quiet", "--ff-only", &ff]);
    // Squash: two commits, brought in as one.
    let squash = feature("DASH-2", "squash");
    repo.git(&["checkout", "--quiet", &squash]);
    repo.commit("sq1.txt", "1\n", "DASH-2 first");
    repo.commit("sq2.txt", "2\n", "DASH-2 second");
    repo.git(&["checkout", "--quiet", &k]);
    repo.git(&["merge", "--quiet", "--squash", &squash]);
    repo.git(&["commit", "--quiet", "-m", "DASH-2 squashed"]);
    // Rebase-merged: each commit picked onto the kickoff.
    let picked = feature("DASH-3", "picked");
    repo.git(&["checkout", "--quiet", &picked]);
    let p1 = repo.commit("pk1.txt", "1\n", "DASH-3 first");
    repo.git(&["checkout", "--quiet", &k]);
    repo.git(&["cherry-pick", &p1]);
    // Still open: one cut without commits, one with an unmerged commit.
    let fresh = feature("DASH-4", "fresh");
    let open = feature("DASH-5", "open");
    repo.git(&["checkout", "--quiet", &open]);
    repo.commit("open.txt", "1\n", "DASH-5 work");
    repo.git(&["checkout", "--quiet", &k]);
    repo.git(&["push", "--quiet", "origin", &k]);

    let doc: serde_json::Value = serde_json::from_str(&repo.ok(&["status", &k, "--json"])).unwrap();
    let states: std::collections::BTreeMap<String, String> = doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: std::collections::BTreeMap<String, String> = [
        (ff.as_str(), "merged"),
        (squash.as_str(), "merged"),
        (picked.as_str(), "merged"),
        (fresh.as_str(), "open"),
        (open.as_str(), "open"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(states, expected);
    let text = repo.ok(&["status", &k]);
    assert!(text.contains("3 merged, 2 open"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains(&fresh) && l.contains("open, no commits yet")),
        "{text}"
    );
    let listed: serde_json::Value = serde_json::from_str(&repo.ok(&["list", "--json"])).unwrap();
    assert_eq!(listed["kickoffs"][0]["features"]["merged"], 3, "{listed}");
    assert_eq!(listed["kickoffs"][0]["features"]["open"], 2, "{listed}");
}

/// A URL clash was reported on the line of an app's base port; it is the
/// URL pattern's line. `[slots]` with names but no apps has its own message.
#[test]
fn slot_config_mistakes_are_named_on_their_own_line() {
    let repo = TestRepo::new();
    repo.write(
        ".kickoff.toml",
        "[slots]\nnames = [\"dev1\", \"dev2\"]\nurl = \"https://dev.example.com/{app}/\"\n\n[[slots.apps]]\nname = \"web\"\nport = 80\nbase_port = 8001\n",
    );
    let err = assert_refused(
        &repo,
        &["slot", "list"],
        2,
        &[
            ".kickoff.toml:3: invalid value for `slots.url`: URL clash: web in dev1 and web in dev2",
            "hint:",
        ],
    );
    assert!(!err.contains(":8:"), "{err}");
    // An app's own URL: its own line.
    repo.write(
        ".kickoff.toml",
        "[slots]\nnames = [\"dev1\", \"dev2\"]\n\n[[slots.apps]]\nname = \"web\"\nport = 80\nbase_port = 8001\nurl = \"https://web.example.com/\"\n",
    );
    assert_refused(
        &repo,
        &["slot", "list"],
        2,
        &[".kickoff.toml:8: invalid value for `slots.apps.url`: URL clash"],
    );
    repo.write(".kickoff.toml", "[slots]\nnames = [\"dev1\", \"dev2\"]\n");
    let err = assert_refused(
        &repo,
        &["slot", "list"],
        2,
        &[
            "invalid value for `slots.apps`: the pool has no apps; add at least one [[slots.apps]] table",
        ],
    );
    assert!(!err.contains("no QA slots are configured"), "{err}");
}
