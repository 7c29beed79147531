//! `kickoff list` and `kickoff status`: tables, JSON schemas, refusals.

mod common;
use common::*;
use serde_json::{Value, json};

const DASH: &str = "kickoff-240510-dashboard";
const BILL: &str = "kickoff-240601-billing";

struct Scene {
    repo: TestRepo,
    dash_tip: String,
    login: String,
    charts: String,
    fresh: String,
    bill_tip: String,
    main: String,
}

/// dashboard: DASH-1 merged (merge commit), DASH-2 open with a commit,
/// DASH-3 cut but without commits; main moved on after the kickoff.
/// billing: created and pushed by a teammate, only on the remote here.
fn scene() -> Scene {
    let repo = TestRepo::new();
    new_kickoff(&repo, "dashboard", "240510");
    for (t, slug) in [
        ("DASH-1", "login"),
        ("DASH-2", "charts"),
        ("DASH-3", "fresh"),
    ] {
        repo.kickoff(&["feature", t, slug, "--kickoff", DASH])
            .assert()
            .success();
    }
    repo.git(&["checkout", "--quiet", "feature/DASH-1-login"]);
    let login = repo.commit("login.txt", "l\n", "DASH-1 Login");
    repo.git(&["checkout", "--quiet", "feature/DASH-2-charts"]);
    let charts = repo.commit("charts.txt", "c\n", "DASH-2 Charts");
    repo.git(&["checkout", "--quiet", DASH]);
    repo.env.tick();
    repo.git(&[
        "merge",
        "--quiet",
        "--no-ff",
        "--no-edit",
        "feature/DASH-1-login",
    ]);
    repo.git(&["push", "--quiet", "origin", DASH, "feature/DASH-1-login"]);
    let dash_tip = repo.rev(DASH).unwrap();
    let fresh = repo.rev("feature/DASH-3-fresh").unwrap();
    repo.git(&["checkout", "--quiet", "main"]);
    let mate = repo.clone_to("mate");
    repo.env
        .kickoff_cmd(&mate)
        .args(["new", "billing", "--date", "240601"])
        .assert()
        .success();
    let bill_tip = repo.commit_in(&mate, "bill.txt", "b\n", "BILL-1 Billing");
    repo.git_in(&mate, &["push", "--quiet", "origin", BILL]);
    repo.git_in(&mate, &["checkout", "--quiet", "main"]);
    let main = repo.commit_in(&mate, "fix.txt", "f\n", "Fix on main");
    repo.git_in(&mate, &["push", "--quiet", "origin", "main"]);
    repo.git(&["fetch", "--quiet", "origin"]);
    Scene {
        repo,
        dash_tip,
        login,
        charts,
        fresh,
        bill_tip,
        main,
    }
}

fn age(date: &str) -> i64 {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    (chrono::Local::now().date_naive() - d).num_days()
}

fn json_of(repo: &TestRepo, args: &[&str]) -> Value {
    let out = repo.kickoff(args).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

fn time(repo: &TestRepo, oid: &str) -> String {
    let secs: i64 = repo
        .git(&["log", "-1", "--format=%ct", oid])
        .parse()
        .unwrap();
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[test]
fn list_json_schema() {
    let s = scene();
    let r = &s.repo;
    let doc = json_of(r, &["list", "--json"]);
    let expected = json!({
        "schema": 1,
        "main": {"branch": "main", "ref": "refs/remotes/origin/main", "oid": s.main},
        "kickoffs": [
            {
                "name": DASH, "date": "2024-05-10", "summary": "dashboard",
                "age_days": age("2024-05-10"),
                "local": s.dash_tip, "remote": s.dash_tip, "tip": s.dash_tip,
                "merged": false, "ahead": 2, "behind": 1,
                "features": {"merged": 1, "open": 2},
                "last_commit": time(r, &s.dash_tip),
                "platform_version": null,
            },
            {
                "name": BILL, "date": "2024-06-01", "summary": "billing",
                "age_days": age("2024-06-01"),
                "local": null, "remote": s.bill_tip, "tip": s.bill_tip,
                "merged": false, "ahead": 1, "behind": 1,
                "features": {"merged": 0, "open": 0},
                "last_commit": time(r, &s.bill_tip),
                "platform_version": null,
            }
        ]
    });
    assert_eq!(doc, expected, "{doc:#}");
}

#[test]
fn list_table_and_all() {
    let s = scene();
    let r = &s.repo;
    let out = r.kickoff(&["list"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("KICKOFF"), "{text}");
    let dash: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        &dash[..6],
        [
            DASH,
            "2024-05-10",
            &format!("{}d", age("2024-05-10")),
            "2",
            "1",
            "1/2"
        ]
    );
    assert!(
        lines[2].starts_with(&format!("{BILL} (remote only)")),
        "{text}"
    );

    // Land billing on main: it leaves the live list, --all shows it merged.
    r.git(&["merge", "--quiet", "--ff-only", "origin/main"]);
    r.git(&[
        "merge",
        "--quiet",
        "--no-ff",
        "--no-edit",
        &format!("origin/{BILL}"),
    ]);
    r.git(&["push", "--quiet", "origin", "main"]);
    r.git(&["fetch", "--quiet", "origin"]);
    let doc = json_of(r, &["list", "--json"]);
    let names: Vec<&str> = doc["kickoffs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [DASH]);
    let doc = json_of(r, &["list", "--all", "--json"]);
    let bill = &doc["kickoffs"][1];
    assert_eq!(bill["name"], BILL);
    assert_eq!(bill["merged"], true);
    assert_eq!(bill["ahead"], 0);
    let text = stdout(&r.kickoff(&["list", "--all"]).output().unwrap());
    assert!(text.lines().next().unwrap().ends_with("STATE"), "{text}");
    assert!(text.lines().nth(2).unwrap().ends_with("merged"), "{text}");
}

#[test]
fn status_json_schema_and_report() {
    let s = scene();
    let r = &s.repo;
    r.git(&["checkout", "--quiet", "feature/DASH-2-charts"]);
    // From a feature branch, status means its kickoff.
    let doc = json_of(r, &["status", "--json"]);
    let base = r.git(&["merge-base", DASH, "origin/main"]);
    let expected = json!({
        "schema": 1,
        "main": {"branch": "main", "ref": "refs/remotes/origin/main", "oid": s.main},
        "kickoff": {
            "name": DASH, "date": "2024-05-10", "summary": "dashboard",
            "age_days": age("2024-05-10"),
            "local": s.dash_tip, "remote": s.dash_tip, "tip": s.dash_tip,
            "merged": false, "ahead": 2, "behind": 1,
            "features": {"merged": 1, "open": 2},
            "last_commit": time(r, &s.dash_tip),
            "platform_version": null,
        },
        "base": base,
        "upstream": {"remote": "origin", "state": "in-sync", "ahead": 0, "behind": 0},
        "features": [
            {"name": "feature/DASH-1-login", "ticket": "DASH-1", "local": s.login, "remote": s.login,
             "tip": s.login, "state": "merged", "ahead": 0, "behind": 1, "last_commit": time(r, &s.login),
             "parent_source": "config"},
            {"name": "feature/DASH-2-charts", "ticket": "DASH-2", "local": s.charts, "remote": base,
             "tip": s.charts, "state": "open", "ahead": 1, "behind": 2, "last_commit": time(r, &s.charts),
             "parent_source": "config"},
            {"name": "feature/DASH-3-fresh", "ticket": "DASH-3", "local": s.fresh, "remote": s.fresh,
             "tip": s.fresh, "state": "open", "ahead": 0, "behind": 2, "last_commit": time(r, &s.fresh),
             "parent_source": "config"},
        ]
    });
    assert_eq!(doc, expected, "{doc:#}");

    // An unpushed commit shows in the upstream state and the report.
    r.commit_on(DASH, "more.txt", "m\n", "More");
    let doc = json_of(r, &["status", DASH, "--json"]);
    assert_eq!(
        doc["upstream"],
        json!({"remote": "origin", "state": "ahead", "ahead": 1, "behind": 0})
    );
    let text = stdout(&r.kickoff(&["status", DASH]).output().unwrap());
    assert!(text.starts_with(&format!("{DASH}  (live)\n")), "{text}");
    assert!(text.contains("3 ahead, 1 behind origin/main"), "{text}");
    assert!(
        text.contains("1 ahead of origin/kickoff-240510-dashboard (not pushed)"),
        "{text}"
    );
    assert!(text.contains("feature/DASH-1-login   merged"), "{text}");
    assert!(
        text.contains("feature/DASH-2-charts  open, 1 commit(s) not in the kickoff"),
        "{text}"
    );
    assert!(
        text.contains("feature/DASH-3-fresh   open, no commits yet"),
        "{text}"
    );

    let doc = json_of(r, &["status", BILL, "--json"]);
    assert_eq!(doc["upstream"]["state"], "remote-only");
    assert_eq!(doc["features"], json!([]));
}

#[test]
fn list_and_status_without_a_remote() {
    let repo = TestRepo::without_remote();
    let out = repo.kickoff(&["list"]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains("no live kickoffs"),
        "{}",
        stderr(&out)
    );
    new_kickoff(&repo, "offline", "240510");
    let doc = json_of(&repo, &["list", "--json"]);
    assert_eq!(doc["main"]["ref"], "refs/heads/main");
    assert_eq!(doc["kickoffs"][0]["remote"], Value::Null);
    let doc = json_of(&repo, &["status", "kickoff-240510-offline", "--json"]);
    assert_eq!(
        doc["upstream"],
        json!({"remote": null, "state": "no-remote", "ahead": 0, "behind": 0})
    );
}

#[test]
fn status_and_list_refusals() {
    let s = scene();
    let r = &s.repo;
    assert_refused(r, &["status"], 2, &["which kickoff?", DASH, BILL]);
    assert_refused(
        r,
        &["status", "kickoff-240511-nope"],
        1,
        &["no kickoff named"],
    );
    assert_refused(r, &["status", "DASH-1"], 2, &["not a kickoff branch name"]);
    r.git(&["checkout", "--quiet", "--detach", "main"]);
    assert_refused(r, &["status"], 2, &["HEAD is detached"]);
    let out = r
        .env
        .kickoff_cmd(&r.env.path().join("home"))
        .args(["list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not inside a git repository"));
    let out = r
        .env
        .kickoff_cmd(&r.origin)
        .args(["list", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("bare repository"));
}

#[test]
fn list_refuses_a_repository_without_main() {
    let repo = TestRepo::without_remote();
    repo.git(&["branch", "-m", "main", "trunk"]);
    assert_refused(&repo, &["list"], 1, &["no branch `main`"]);
}

#[test]
fn status_on_a_terminal_asks_which_kickoff() {
    let s = scene();
    let (code, screen) = kickoff_on_pty(&s.repo, &["status", "--json"], "\x1b[B\r");
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("Choose the kickoff:"), "{screen}");
    assert!(
        screen.contains(&format!("\"name\": \"{BILL}\"")),
        "{screen}"
    );
}

/// A kickoff landed in main by fast-forward is merged; a kickoff cut later
/// from that very commit, without commits of its own, is live.
#[test]
fn kickoff_landed_by_fast_forward_is_merged() {
    let repo = TestRepo::new();
    let k = new_kickoff(&repo, "dashboard", "240510");
    repo.commit_on(&k, "d.txt", "d\n", "DASH-1 Work");
    repo.git(&["push", "--quiet", "origin", &k]);
    let out = repo
        .kickoff(&[
            "release",
            "--platform",
            "1.0.0",
            "--kickoff",
            &k,
            "--date",
            "2024-06-03",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // Land by fast-forward: main becomes the kickoff's tip.
    repo.git(&["merge", "--quiet", "--ff-only", &k]);
    repo.git(&["push", "--quiet", "origin", "main"]);
    let next = new_kickoff(&repo, "next", "240601");
    let doc = json_of(&repo, &["list", "--all", "--json"]);
    let state: Vec<(&str, bool)> = doc["kickoffs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["name"].as_str().unwrap(), k["merged"].as_bool().unwrap()))
        .collect();
    assert_eq!(state, [(k.as_str(), true), (next.as_str(), false)]);
    assert_refused(&repo, &["sync", &k], 1, &["already merged"]);
}

/// Run `kickoff feature` in a teammate's clone, commit there and push.
fn mate_feature(repo: &TestRepo, mate: &std::path::Path, args: &[&str], file: &str) -> String {
    let mut full = vec!["feature"];
    full.extend_from_slice(args);
    repo.env.kickoff_cmd(mate).args(&full).assert().success();
    let branch = repo.git_in(mate, &["branch", "--show-current"]);
    let tip = repo.commit_in(mate, file, "x\n", &format!("{} work", args[0]));
    repo.git_in(mate, &["push", "--quiet", "origin", &branch]);
    tip
}

fn features_of(doc: &Value) -> Vec<(String, String)> {
    doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["parent_source"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Feature branches a teammate cut and pushed have no recorded parent in this
/// clone: after a fetch, list and status attribute each to the kickoff its
/// history leads to; an unrelated or ambiguous branch is left out, and a
/// recorded parent wins over history.
#[test]
fn teammates_features_are_attributed_from_history() {
    let s = scene();
    let r = &s.repo;
    let mate = r.clone_to("mate2");
    // Cut from dashboard and from billing (a kickoff only on the remote here).
    let dash7 = mate_feature(r, &mate, &["DASH-7", "mate", "--kickoff", DASH], "d7.txt");
    mate_feature(r, &mate, &["BILL-2", "--kickoff", BILL], "b2.txt");
    // Cut from dashboard, but recorded under billing in this clone below.
    mate_feature(r, &mate, &["BILL-3", "moved", "--kickoff", DASH], "b3.txt");
    // Cut from main: it shares no kickoff's commits.
    r.git_in(
        &mate,
        &[
            "checkout",
            "--quiet",
            "-b",
            "feature/DASH-8-stray",
            "origin/main",
        ],
    );
    r.commit_in(&mate, "d8.txt", "x\n", "DASH-8 stray");
    r.git_in(
        &mate,
        &["push", "--quiet", "origin", "feature/DASH-8-stray"],
    );
    // Cut from dashboard, then billing merged in: both kickoffs lead to it.
    mate_feature(r, &mate, &["DASH-9", "both", "--kickoff", DASH], "d9.txt");
    r.git_in(
        &mate,
        &["merge", "--quiet", "--no-edit", &format!("origin/{BILL}")],
    );
    r.git_in(&mate, &["push", "--quiet", "origin", "feature/DASH-9-both"]);

    // Before the fetch this clone knows none of them.
    let doc = json_of(r, &["list", "--json"]);
    assert_eq!(
        doc["kickoffs"][0]["features"],
        json!({"merged": 1, "open": 2})
    );
    r.git(&["fetch", "--quiet", "origin"]);
    r.git(&["config", "branch.feature/BILL-3-moved.kickoff", BILL]);

    let doc = json_of(r, &["list", "--json"]);
    assert_eq!(doc["kickoffs"][0]["name"], DASH);
    assert_eq!(
        doc["kickoffs"][0]["features"],
        json!({"merged": 1, "open": 3})
    );
    assert_eq!(doc["kickoffs"][1]["name"], BILL);
    assert_eq!(
        doc["kickoffs"][1]["features"],
        json!({"merged": 0, "open": 2})
    );

    let doc = json_of(r, &["status", DASH, "--json"]);
    let own = |n: &str| (n.to_string(), "config".to_string());
    assert_eq!(
        features_of(&doc),
        [
            own("feature/DASH-1-login"),
            own("feature/DASH-2-charts"),
            own("feature/DASH-3-fresh"),
            ("feature/DASH-7-mate".to_string(), "history".to_string()),
        ]
    );
    let d7 = &doc["features"][3];
    assert_eq!(d7["local"], Value::Null);
    assert_eq!(d7["remote"], dash7.as_str());
    assert_eq!(d7["state"], "open");
    assert_eq!(d7["ahead"], 1);
    let doc = json_of(r, &["status", BILL, "--json"]);
    assert_eq!(
        features_of(&doc),
        [
            ("feature/BILL-2".to_string(), "history".to_string()),
            ("feature/BILL-3-moved".to_string(), "config".to_string()),
        ]
    );

    let text = stdout(&r.kickoff(&["status", DASH]).output().unwrap());
    assert!(
        text.contains(
            "feature/DASH-7-mate    open, 1 commit(s) not in the kickoff  (remote only)  (parent inferred from history)"
        ),
        "{text}"
    );
    assert!(
        !text.contains("DASH-8") && !text.contains("DASH-9"),
        "{text}"
    );
    assert!(
        text.contains("feature/DASH-1-login   merged\n"),
        "a recorded parent is not marked: {text}"
    );

    // Once the teammate merges their feature, it counts as merged here.
    r.git_in(&mate, &["checkout", "--quiet", DASH]);
    r.git_in(
        &mate,
        &[
            "merge",
            "--quiet",
            "--no-ff",
            "--no-edit",
            "origin/feature/DASH-7-mate",
        ],
    );
    r.git_in(&mate, &["push", "--quiet", "origin", DASH]);
    r.git(&["fetch", "--quiet", "origin"]);
    r.git(&["checkout", "--quiet", DASH]);
    r.git(&["merge", "--quiet", "--ff-only", &format!("origin/{DASH}")]);
    let doc = json_of(r, &["list", "--json"]);
    assert_eq!(
        doc["kickoffs"][0]["features"],
        json!({"merged": 2, "open": 2})
    );
}
