//! `kickoff release`: the platform tag, its trailers, and every release rule.

mod common;
use common::*;

const DASH: &str = "kickoff-240510-dashboard";

/// A kickoff with a merged feature branch, a squash merge and a ticket in a
/// commit body, all pushed.
fn dashboard() -> TestRepo {
    let repo = TestRepo::new();
    repo.new_kickoff("dashboard", "240510");
    repo.merge_feature(DASH, "feature/DASH-101-login", &["login.txt", "form.txt"]);
    repo.commit_pushed(DASH, "reports.txt", "DASH-117: reports page (#12)");
    repo.commit_pushed(DASH, "tidy.txt", "Tidy styles\n\nPart of DASH-120.");
    repo
}

#[test]
fn release_tags_the_kickoff_with_trailers_and_pushes() {
    let repo = dashboard();
    let tip = repo.rev(DASH).unwrap();
    let base = repo.git(&["merge-base", DASH, "origin/main"]);
    let out = repo.ok(&["release", "--platform", "1.3.10", "--date", "2024-06-03"]);
    assert_eq!(out, "platform/v1.3.10\n");
    assert_eq!(
        repo.tag_format("platform/v1.3.10", "%(trailers)"),
        format!(
            "Kickoff: {DASH}\nKickoff-Base: {base}\nDeploy-Date: 2024-06-03\nTicket: DASH-101\nTicket: DASH-117\nTicket: DASH-120"
        )
    );
    assert_eq!(
        repo.tag_format("platform/v1.3.10", "%(objecttype) %(contents:subject)"),
        format!("tag platform v1.3.10: {DASH}")
    );
    assert_eq!(repo.rev("platform/v1.3.10").unwrap(), tip);
    let origin_tag = repo.origin_git(&["rev-parse", "platform/v1.3.10^{commit}"]);
    assert_eq!(origin_tag, tip);
    assert_eq!(
        repo.origin_git(&["cat-file", "-t", "platform/v1.3.10"]),
        "tag"
    );
}

#[test]
fn release_with_no_push_and_default_date() {
    let repo = dashboard();
    repo.ok(&[
        "release",
        "--platform",
        "v2.0.0",
        "--no-push",
        "--kickoff",
        DASH,
    ]);
    let today = chrono::Local::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    assert!(
        repo.tag_format("platform/v2.0.0", "%(trailers)")
            .contains(&format!("Deploy-Date: {today}"))
    );
    assert_eq!(
        repo.platform_tags(),
        (vec!["v2.0.0".to_string()], Vec::<String>::new())
    );
}

#[test]
fn release_dry_run_prints_tag_message_and_rules_and_changes_nothing() {
    let repo = dashboard();
    let before = repo.snapshot();
    let out = repo.ok(&[
        "release",
        "--platform",
        "1.3.10",
        "--date",
        "2024-06-03",
        "--dry-run",
    ]);
    assert!(
        out.contains(&format!("tag platform/v1.3.10 on {DASH}")),
        "{out}"
    );
    assert!(out.contains("then push it to origin"), "{out}");
    assert!(
        out.contains(&format!("  platform v1.3.10: {DASH}\n")),
        "{out}"
    );
    assert!(out.contains("  Ticket: DASH-117\n"), "{out}");
    assert!(out.contains("ok       rollback"), "{out}");
    assert_eq!(before, repo.snapshot());
}

#[test]
fn release_refuses_invalid_versions_with_exit_2() {
    let repo = dashboard();
    for bad in ["1.3", "v1", "x.y.z", "1.2.3+build.1", "01.2.3"] {
        assert_refused(
            &repo,
            &["release", "--platform", bad],
            2,
            &["invalid platform version"],
        );
    }
    assert_eq!(repo.platform_tags(), (vec![], vec![]));
    assert_refused(
        &repo,
        &["release", "--platform", "1.0.0", "--date", "2024-02-30"],
        2,
        &["invalid date"],
    );
    assert_refused(
        &repo,
        &["release", "--platform", "1.0.0", "--bump", "patch"],
        2,
        &["cannot be used with"],
    );
    // Missing version argument: usage error.
    // No version and no terminal: the choices are listed.
    assert_refused(
        &repo,
        &["release"],
        2,
        &[
            "which platform version?",
            "0.0.1  (patch)",
            "0.1.0  (minor)",
            "1.0.0  (major)",
            "--platform X.Y.Z or --bump",
        ],
    );
}

#[test]
fn release_refuses_an_existing_tag_locally_and_on_the_remote() {
    let repo = dashboard();
    repo.ok(&["release", "--platform", "1.0.0", "--no-push"]);
    let err = assert_refused(
        &repo,
        &["release", "--platform", "1.0.0", "--allow-second-version"],
        1,
        &["the tag platform/v1.0.0 already exists locally"],
    );
    assert!(err.contains("never replaced"), "{err}");
    assert_eq!(
        repo.platform_tags(),
        (vec!["v1.0.0".to_string()], Vec::<String>::new())
    );

    // A teammate published 1.1.0 from their clone; we do not have the tag.
    let mate = repo.clone_to("mate");
    repo.git_in(
        &mate,
        &[
            "tag",
            "-a",
            "-m",
            "by hand",
            "platform/v1.1.0",
            "origin/main",
        ],
    );
    repo.git_in(&mate, &["push", "--quiet", "origin", "platform/v1.1.0"]);
    assert_refused(
        &repo,
        &["release", "--platform", "1.1.0", "--allow-second-version"],
        1,
        &["platform/v1.1.0 already exists on origin"],
    );
    assert_eq!(
        repo.platform_tags(),
        (vec!["v1.0.0".to_string()], vec!["v1.1.0".to_string()])
    );
}

#[test]
fn release_refuses_a_version_not_greater_and_the_flag_waives_it() {
    let repo = TestRepo::new();
    let a = repo.new_kickoff("alpha", "240401");
    repo.commit_pushed(&a, "a.txt", "ALPHA-1 alpha");
    repo.ok(&["release", "--platform", "1.3.10"]);
    // Land alpha in main so the next kickoff contains it.
    repo.git(&["checkout", "--quiet", "main"]);
    repo.git(&["merge", "--quiet", "--ff-only", &a]);
    repo.git(&["push", "--quiet", "origin", "main"]);
    let b = repo.new_kickoff("beta", "240501");
    repo.commit_pushed(&b, "b.txt", "BETA-1 beta");
    for lower in ["1.3.9", "1.3.10-rc.1", "0.9.0"] {
        assert_refused(
            &repo,
            &["release", "--platform", lower],
            1,
            &[
                &format!("{lower} is not greater than the highest platform version, 1.3.10"),
                "--allow-not-greater",
            ],
        );
    }
    assert_eq!(
        repo.platform_tags(),
        (vec!["v1.3.10".to_string()], vec!["v1.3.10".to_string()])
    );
    let out = repo
        .kickoff(&["release", "--platform", "1.3.9", "--allow-not-greater"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("rule `not-greater` waived by --allow-not-greater"),
        "{}",
        stderr(&out)
    );
    assert!(
        repo.tag_format("platform/v1.3.9", "%(trailers)")
            .contains("Waived: not-greater")
    );
    assert!(repo.origin_refs().contains_key("refs/tags/platform/v1.3.9"));
}

#[test]
fn release_refuses_a_second_version_of_a_kickoff() {
    let repo = dashboard();
    repo.ok(&["release", "--platform", "1.3.10"]);
    assert_refused(
        &repo,
        &["release", "--platform", "1.3.11"],
        1,
        &[
            &format!("{DASH} already has the platform version v1.3.10"),
            "--allow-second-version",
        ],
    );
    assert_eq!(
        repo.platform_tags(),
        (vec!["v1.3.10".to_string()], vec!["v1.3.10".to_string()])
    );
    let out = repo
        .kickoff(&["release", "--bump", "patch", "--allow-second-version"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "platform/v1.3.11\n");
    assert!(stderr(&out).contains("waived by --allow-second-version"));
}

#[test]
fn prereleases_lead_to_their_release_in_semver_order() {
    let repo = dashboard();
    repo.ok(&["release", "--platform", "1.0.0-rc.1"]);
    repo.commit_pushed(DASH, "fix.txt", "DASH-130 fix from QA");
    repo.ok(&["release", "--platform", "1.0.0-rc.2"]);
    // rc.10 sorts after rc.2 by semver precedence (numeric identifiers).
    repo.ok(&["release", "--platform", "1.0.0-rc.10"]);
    repo.ok(&["release", "--bump", "patch"]);
    assert!(repo.rev("platform/v1.0.0").is_some());
    // After the release, neither another prerelease nor a lower one.
    assert_refused(
        &repo,
        &["release", "--platform", "1.0.1-rc.1"],
        1,
        &["already has the platform version v1.0.0-rc.1, v1.0.0-rc.2, v1.0.0-rc.10, v1.0.0"],
    );
    assert_refused(
        &repo,
        &["release", "--platform", "1.0.0-rc.3"],
        1,
        &["release refused by 2 rules", "not greater", "already has"],
    );
    let (local, remote) = repo.platform_tags();
    assert_eq!(
        local,
        ["v1.0.0", "v1.0.0-rc.1", "v1.0.0-rc.10", "v1.0.0-rc.2"]
    );
    assert_eq!(local, remote);
}

#[test]
fn rollback_rule_refuses_a_kickoff_cut_before_a_released_one_landed() {
    let repo = TestRepo::new();
    let a = repo.new_kickoff("alpha", "240401");
    let b = repo.new_kickoff("beta", "240402");
    repo.commit_pushed(&a, "a.txt", "ALPHA-1 alpha work");
    repo.commit_pushed(&b, "b.txt", "BETA-1 beta work");
    repo.ok(&["release", "--platform", "1.0.0", "--kickoff", &a]);
    // Land alpha: main now holds 1.0.0.
    repo.git(&["checkout", "--quiet", "main"]);
    repo.git(&["merge", "--quiet", "--ff-only", &a]);
    repo.git(&["push", "--quiet", "origin", "main"]);
    let err = assert_refused(
        &repo,
        &["release", "--platform", "1.1.0", "--kickoff", &b],
        1,
        &[
            &format!("{b} lacks the released work of v1.0.0"),
            "roll that back",
            "--allow-rollback",
        ],
    );
    assert!(err.contains(&format!("kickoff sync {b}")), "{err}");
    assert_eq!(
        repo.platform_tags(),
        (vec!["v1.0.0".to_string()], vec!["v1.0.0".to_string()])
    );
    // Beta brings main in (and pushes); now it may be released.
    repo.env.tick();
    repo.ok(&["sync", &b]);
    assert_eq!(
        repo.ok(&["release", "--platform", "1.1.0", "--kickoff", &b]),
        "platform/v1.1.0\n"
    );
}

#[test]
fn rollback_rule_can_be_waived_by_its_flag_only() {
    let repo = TestRepo::new();
    let a = repo.new_kickoff("alpha", "240401");
    let b = repo.new_kickoff("beta", "240402");
    repo.commit_pushed(&a, "a.txt", "alpha");
    repo.commit_pushed(&b, "b.txt", "beta");
    repo.ok(&["release", "--platform", "1.0.0", "--kickoff", &a]);
    // Other waivers do not waive it.
    assert_refused(
        &repo,
        &[
            "release",
            "--platform",
            "1.1.0",
            "--kickoff",
            &b,
            "--allow-not-greater",
            "--allow-second-version",
            "--allow-remote-mismatch",
        ],
        1,
        &["lacks the released work of v1.0.0"],
    );
    let out = repo
        .kickoff(&[
            "release",
            "--platform",
            "1.1.0",
            "--kickoff",
            &b,
            "--allow-rollback",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("rule `rollback` waived by --allow-rollback"));
    assert!(
        repo.tag_format("platform/v1.1.0", "%(trailers)")
            .contains("Waived: rollback")
    );
}

#[test]
fn release_refuses_a_kickoff_that_differs_from_the_remote() {
    let repo = dashboard();
    // An unpushed local commit.
    repo.commit("local.txt", "x\n", "DASH-140 local only");
    assert_refused(
        &repo,
        &["release", "--platform", "1.0.0"],
        1,
        &[
            &format!("differs from origin/{DASH}"),
            "--allow-remote-mismatch",
        ],
    );
    // A kickoff never pushed.
    repo.ok(&["new", "offline", "--date", "240601", "--no-push"]);
    assert_refused(
        &repo,
        &[
            "release",
            "--platform",
            "1.0.0",
            "--kickoff",
            "kickoff-240601-offline",
        ],
        1,
        &[
            "kickoff-240601-offline is not on origin",
            "git push -u origin kickoff-240601-offline",
        ],
    );
    assert_eq!(repo.platform_tags(), (vec![], vec![]));
    let out = repo
        .kickoff(&[
            "release",
            "--platform",
            "1.0.0",
            "--kickoff",
            DASH,
            "--allow-remote-mismatch",
            "--no-push",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("waived by --allow-remote-mismatch"));
}

#[test]
fn dry_run_of_a_refused_release_shows_the_rules_and_exits_1() {
    let repo = dashboard();
    repo.ok(&["release", "--platform", "1.0.0"]);
    let before = repo.snapshot();
    let out = repo
        .kickoff(&[
            "release",
            "--platform",
            "0.5.0",
            "--dry-run",
            "--allow-not-greater",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("waived   not-greater"), "{text}");
    assert!(text.contains("REFUSED  second-version"), "{text}");
    assert!(text.contains("  Waived: not-greater"), "{text}");
    assert_eq!(before, repo.snapshot());
}

#[test]
fn bump_picks_the_next_version_and_starts_at_zero() {
    let repo = dashboard();
    assert_eq!(
        repo.ok(&["release", "--bump", "minor", "--dry-run"])
            .lines()
            .next()
            .unwrap(),
        format!(
            "tag platform/v0.1.0 on {DASH} at {}, then push it to origin",
            &repo.rev(DASH).unwrap()[..10]
        )
    );
    repo.ok(&["release", "--platform", "1.3.10-rc.1"]);
    assert_eq!(
        repo.ok(&["release", "--bump", "patch"]),
        "platform/v1.3.10\n"
    );
}

#[test]
fn release_without_a_remote_tags_locally() {
    let repo = TestRepo::without_remote();
    repo.ok(&["new", "solo", "--date", "240510"]);
    repo.commit("s.txt", "s\n", "SOLO-1 solo");
    assert_eq!(
        repo.ok(&["release", "--platform", "0.1.0"]),
        "platform/v0.1.0\n"
    );
    assert!(
        repo.tag_format("platform/v0.1.0", "%(trailers)")
            .contains("Ticket: SOLO-1")
    );
}

#[test]
fn a_rejected_push_leaves_no_tag_behind() {
    let repo = dashboard();
    let hook = repo.origin.join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\necho 'tags are frozen' >&2\nexit 1\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = assert_refused(
        &repo,
        &["release", "--platform", "1.0.0"],
        1,
        &[
            "could not push platform/v1.0.0 to origin",
            "the local tag was removed again",
            "tags are frozen",
        ],
    );
    assert!(err.contains("--no-push"), "{err}");
    assert_eq!(repo.platform_tags(), (vec![], vec![]));
}

#[test]
fn list_and_status_show_the_platform_version() {
    let repo = dashboard();
    repo.ok(&["new", "later", "--date", "240601"]);
    repo.ok(&["release", "--platform", "1.3.10-rc.1", "--kickoff", DASH]);
    repo.ok(&["release", "--platform", "1.3.10", "--kickoff", DASH]);
    let list: serde_json::Value = serde_json::from_str(&repo.ok(&["list", "--json"])).unwrap();
    let version_of = |name: &str| {
        list["kickoffs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == name)
            .unwrap()["platform_version"]
            .clone()
    };
    assert_eq!(version_of(DASH), "1.3.10");
    assert_eq!(version_of("kickoff-240601-later"), serde_json::Value::Null);
    let text = repo.ok(&["list"]);
    assert!(text.lines().next().unwrap().contains("VERSION"), "{text}");
    let dash_line = text.lines().find(|l| l.starts_with(DASH)).unwrap();
    assert!(dash_line.contains(" 1.3.10 "), "{text}");
    let status: serde_json::Value =
        serde_json::from_str(&repo.ok(&["status", DASH, "--json"])).unwrap();
    assert_eq!(status["kickoff"]["platform_version"], "1.3.10");
    assert!(
        repo.ok(&["status", DASH])
            .contains("platform      1.3.10 (platform/v1.3.10)")
    );
    assert!(
        repo.ok(&["status", "kickoff-240601-later"])
            .contains("platform      no version yet")
    );
}
