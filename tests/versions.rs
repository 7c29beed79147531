//! `versions`, `show`, `notes` and `which` on a history with merges, squash
//! merges and tickets in commit messages.

mod common;
use common::*;
use serde_json::Value;

const ALPHA: &str = "kickoff-240401-alpha";
const BETA: &str = "kickoff-240501-beta";
const GAMMA: &str = "kickoff-240601-gamma";

/// alpha: feature merge (ALPHA-1), squash merge (ALPHA-2), ticket in a body
/// (ALPHA-3); released 1.0.0 and landed. beta, cut after: feature merge
/// (BETA-1) and BETA-2, released 1.1.0-rc.1; then BETA-3 and 1.1.0. gamma:
/// live with GAMMA-1, and a local feature branch for GAMMA-2.
fn history() -> TestRepo {
    let repo = TestRepo::new();
    repo.new_kickoff("alpha", "240401");
    repo.merge_feature(ALPHA, "feature/ALPHA-1-login", &["login.txt", "form.txt"]);
    repo.commit_pushed(ALPHA, "export.txt", "ALPHA-2: export (#5)");
    repo.commit_pushed(ALPHA, "typo.txt", "Fix typo\n\nRefs ALPHA-3.");
    repo.ok(&["release", "--platform", "1.0.0", "--date", "2024-04-20"]);
    repo.git(&["checkout", "--quiet", "main"]);
    repo.git(&["merge", "--quiet", "--ff-only", ALPHA]);
    repo.git(&["push", "--quiet", "origin", "main"]);
    repo.new_kickoff("beta", "240501");
    repo.merge_feature(BETA, "feature/BETA-1", &["beta.txt"]);
    repo.commit_pushed(BETA, "beta2.txt", "BETA-2 charts");
    repo.ok(&[
        "release",
        "--platform",
        "1.1.0-rc.1",
        "--date",
        "2024-05-20",
    ]);
    repo.commit_pushed(BETA, "beta3.txt", "BETA-3 QA fix");
    repo.ok(&["release", "--platform", "1.1.0", "--date", "2024-05-25"]);
    repo.new_kickoff("gamma", "240601");
    repo.commit_pushed(GAMMA, "gamma.txt", "GAMMA-1 new page");
    repo.git(&["branch", "feature/GAMMA-2-search", GAMMA]);
    repo.git(&["config", "branch.feature/GAMMA-2-search.kickoff", GAMMA]);
    repo.git(&["checkout", "--quiet", "main"]);
    repo
}

fn json(repo: &TestRepo, args: &[&str]) -> Value {
    serde_json::from_str(&repo.ok(args)).expect("valid JSON")
}

fn json_in(repo: &TestRepo, dir: &std::path::Path, args: &[&str]) -> Value {
    let out = repo.env.kickoff_cmd(dir).args(args).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn tickets(v: &Value) -> Vec<String> {
    v["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["ticket"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn versions_lists_newest_first_with_kickoff_date_commit_and_tickets() {
    let repo = history();
    let v = json(&repo, &["versions", "--json"]);
    assert_eq!(v["schema"], 1);
    let list = v["versions"].as_array().unwrap();
    let names: Vec<&str> = list
        .iter()
        .map(|x| x["version"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["1.1.0", "1.1.0-rc.1", "1.0.0"]);
    assert_eq!(list[2]["kickoff"], ALPHA);
    assert_eq!(list[2]["deploy_date"], "2024-04-20");
    assert_eq!(list[2]["ticket_count"], 3);
    assert_eq!(list[2]["tag"], "platform/v1.0.0");
    assert_eq!(list[1]["prerelease"], true);
    assert_eq!(
        list[0]["commit"].as_str().unwrap(),
        repo.rev("platform/v1.1.0").unwrap()
    );
    let text = repo.ok(&["versions"]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("VERSION"), "{text}");
    assert!(
        lines[1].starts_with("1.1.0 ")
            && lines[1].contains(BETA)
            && lines[1].contains("2024-05-25"),
        "{text}"
    );
    assert!(
        lines[3].starts_with("1.0.0 ") && lines[3].trim_end().ends_with('3'),
        "{text}"
    );
}

#[test]
fn show_answers_both_directions_the_same_from_a_fresh_clone() {
    let repo = history();
    let fresh = repo.clone_to("fresh");
    for q in ["1.0.0", "v1.0.0", "platform/v1.0.0"] {
        let here = json(&repo, &["show", q, "--json"]);
        assert_eq!(here["kickoff"], ALPHA, "{q}");
        assert_eq!(here["platform_version"]["version"], "1.0.0");
        assert_eq!(here["landed"], true);
        assert_eq!(json_in(&repo, &fresh, &["show", q, "--json"]), here, "{q}");
    }
    let beta = json(&repo, &["show", BETA, "--json"]);
    assert_eq!(beta["platform_version"]["version"], "1.1.0");
    let all: Vec<&str> = beta["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["version"].as_str().unwrap())
        .collect();
    assert_eq!(all, ["1.1.0", "1.1.0-rc.1"]);
    assert_eq!(beta["landed"], false);
    assert_eq!(json_in(&repo, &fresh, &["show", BETA, "--json"]), beta);
    let gamma = json_in(&repo, &fresh, &["show", GAMMA, "--json"]);
    assert_eq!(gamma["platform_version"], Value::Null);
    let text = repo.ok(&["show", "1.0.0"]);
    assert!(
        text.starts_with(&format!("platform/v1.0.0 <-> {ALPHA}\n")),
        "{text}"
    );
    assert!(
        text.contains("tickets           ALPHA-1, ALPHA-2, ALPHA-3"),
        "{text}"
    );
    assert!(repo.ok(&["show", GAMMA]).contains("none yet"));
}

#[test]
fn show_refuses_unknown_and_invalid_queries() {
    let repo = history();
    assert_refused(
        &repo,
        &["show", "9.9.9"],
        1,
        &["no platform version 9.9.9", "kickoff versions"],
    );
    assert_refused(
        &repo,
        &["show", "kickoff-240101-nothing"],
        1,
        &["no kickoff named kickoff-240101-nothing"],
    );
    assert_refused(
        &repo,
        &["show", "banana"],
        2,
        &["neither a platform version nor a kickoff"],
    );
    assert_refused(&repo, &["show", "kickoff-249999-bad"], 2, &["invalid date"]);
}

#[test]
fn notes_group_tickets_from_merges_squashes_and_messages() {
    let repo = history();
    let n = json(&repo, &["notes", "1.0.0", "--json"]);
    assert_eq!(n["schema"], 1);
    assert_eq!(n["kickoff"], ALPHA);
    assert_eq!(tickets(&n), ["ALPHA-1", "ALPHA-2", "ALPHA-3"]);
    let alpha1: Vec<&str> = n["tickets"][0]["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        alpha1,
        [
            "Add login.txt",
            "Add form.txt",
            "Merge branch 'feature/ALPHA-1-login' into kickoff-240401-alpha"
        ]
    );
    // A release covers everything since the previous release, its own
    // prerelease included; the prerelease only what came after 1.0.0.
    let release = json(&repo, &["notes", "v1.1.0", "--json"]);
    assert_eq!(tickets(&release), ["BETA-1", "BETA-2", "BETA-3"]);
    assert_eq!(release["start"]["kind"], "previous-release");
    assert_eq!(release["start"]["version"], "1.0.0");
    assert_eq!(
        tickets(&json(&repo, &["notes", "1.1.0-rc.1", "--json"])),
        ["BETA-1", "BETA-2"]
    );
    let wide = json(&repo, &["notes", "1.1.0", "--since", "1.0.0", "--json"]);
    assert_eq!(tickets(&wide), ["BETA-1", "BETA-2", "BETA-3"]);
    assert_eq!(wide["since"], "1.0.0");
    assert_eq!(wide["start"]["kind"], "since");
    // A kickoff means its newest version; an unreleased one what it would ship.
    assert_eq!(
        tickets(&json(&repo, &["notes", BETA, "--json"])),
        ["BETA-1", "BETA-2", "BETA-3"]
    );
    let g = json(&repo, &["notes", GAMMA, "--json"]);
    assert_eq!(tickets(&g), ["GAMMA-1"]);
    assert_eq!(g["version"], Value::Null);
    let md = repo.ok(&["notes", "1.0.0"]);
    assert!(
        md.starts_with(&format!(
            "# platform v1.0.0 ({ALPHA})\n\nChanges since the kickoff was cut from main (the first platform version).\n\n## ALPHA-1\n\n- "
        )),
        "{md}"
    );
    assert!(
        md.contains("## ALPHA-2\n\n- ") && md.contains(" ALPHA-2: export (#5)\n"),
        "{md}"
    );
    assert!(
        md.contains("## ALPHA-3\n\n- ") && md.contains(" Fix typo\n"),
        "{md}"
    );
    assert_refused(
        &repo,
        &["notes", "1.0.0", "--since", "1.1.0"],
        2,
        &["--since 1.1.0 is not below 1.0.0"],
    );
    assert_refused(
        &repo,
        &["notes", "1.1.0", "--since", "0.5.0"],
        1,
        &["no platform version 0.5.0"],
    );
    assert_refused(
        &repo,
        &["notes", "1.1.0", "--since", "x"],
        2,
        &["invalid platform version"],
    );
}

#[test]
fn which_finds_the_first_version_or_the_unreleased_kickoff() {
    let repo = history();
    let w = json(&repo, &["which", "ALPHA-1", "--json"]);
    assert_eq!(w["released"], true);
    assert_eq!(w["first_version"], "1.0.0");
    assert_eq!(w["kickoff"], ALPHA);
    assert_eq!(w["versions"][0]["commits"].as_array().unwrap().len(), 3);
    let w = json(&repo, &["which", "BETA-2", "--json"]);
    assert_eq!(w["first_version"], "1.1.0-rc.1");
    assert_eq!(w["kickoff"], BETA);
    let w = json(&repo, &["which", "GAMMA-1", "--json"]);
    assert_eq!(w["released"], false);
    assert_eq!(w["first_version"], Value::Null);
    assert_eq!(w["unreleased"][0]["kickoff"], GAMMA);
    let w = json(&repo, &["which", "GAMMA-2", "--json"]);
    assert_eq!(w["feature_branches"][0]["branch"], "feature/GAMMA-2-search");
    assert_eq!(w["kickoff"], GAMMA);
    let text = repo.ok(&["which", "ALPHA-3"]);
    assert!(
        text.contains("first shipped   1.0.0 (platform/v1.0.0)"),
        "{text}"
    );
    assert!(repo.ok(&["which", "GAMMA-1"]).contains("not released yet"));
    assert_refused(
        &repo,
        &["which", "NOPE-9"],
        1,
        &["NOPE-9 is in no platform version"],
    );
    assert_refused(
        &repo,
        &["which", "nope"],
        2,
        &["does not match the ticket pattern"],
    );
}
