//! `kickoff demo`: the throwaway repository a newcomer runs first.
//!
//! The full demo runs once per test binary ([`demo`]); each test below checks
//! what one part of the flow left behind (branches, the hook, the slots, the
//! conflict radar).

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

/// The one full demo run these tests share: its environment, directory and output.
fn demo() -> (&'static TestEnv, PathBuf, &'static Output) {
    static RUN: OnceLock<(TestEnv, PathBuf, Output)> = OnceLock::new();
    let (env, dir, out) = RUN.get_or_init(|| {
        let env = TestEnv::new_in(Path::new(env!("CARGO_TARGET_TMPDIR")));
        let dir = env.path().join("demo");
        let out = env
            .kickoff_cmd(env.path())
            .args(["demo", dir.to_str().unwrap()])
            .output()
            .unwrap();
        (env, dir, out)
    });
    (env, dir.clone(), out)
}

fn json_of(out: &Output) -> Value {
    serde_json::from_str(&stdout(out)).expect("JSON on stdout")
}

#[test]
fn demo_without_dir_uses_a_new_kept_temp_dir() {
    let env = TestEnv::new();
    let tmp = env.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let out = env
        .kickoff_cmd(env.path())
        .env("TMPDIR", &tmp)
        .args(["demo"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let made: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert_eq!(made.len(), 1);
    let dir = made[0].as_ref().unwrap().path();
    assert!(
        stdout(&out).contains(dir.to_str().unwrap()),
        "{}",
        stdout(&out)
    );
    assert!(dir.join("work/.kickoff.toml").is_file());
}

#[test]
fn demo_refuses_a_non_empty_dir() {
    let env = TestEnv::new();
    let dir = env.path().join("busy");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("keep.txt"), "mine\n").unwrap();
    let out = env
        .kickoff_cmd(env.path())
        .args(["demo", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("is not empty"), "{}", stderr(&out));
    assert!(stderr(&out).contains("hint:"));
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(left.len(), 1, "the demo wrote into a non-empty directory");
    // A file is refused too.
    let out = env
        .kickoff_cmd(env.path())
        .args(["demo", dir.join("keep.txt").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(dir.join("keep.txt")).unwrap(),
        "mine\n"
    );
}

/// Regression: `kickoff demo | head` reported "demo step failed: broken pipe",
/// and with `2>&1` the next message to the closed stderr panicked (exit 101).
#[test]
fn demo_piped_into_head_exits_quietly() {
    let env = TestEnv::new();
    for (i, redirect) in ["", "2>&1"].iter().enumerate() {
        let dir = env.path().join(format!("demo{i}"));
        let script =
            format!(r#"set -o pipefail; "$0" demo "$1" {redirect} | head -n 1 >/dev/null"#);
        let mut cmd = std::process::Command::new("bash");
        cmd.args(["-c", &script])
            .arg(assert_cmd::cargo::cargo_bin("kickoff"))
            .arg(&dir)
            .current_dir(env.path());
        env.apply(&mut cmd);
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{redirect}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{redirect}");
    }
}

#[test]
fn demo_builds_the_flow_with_real_commits() {
    let (env, dir, out) = demo();
    let text = stdout(out);
    assert!(out.status.success(), "{text}\n{}", stderr(out));
    assert!(text.contains("Explore it:"), "{text}");
    assert!(text.contains("$ kickoff new dashboard"), "{text}");
    assert!(text.contains("feature/DASH-101-login   merged"), "{text}");
    assert!(
        text.contains("feature/DASH-102-charts  open, 1 commit(s) not in the kickoff"),
        "{text}"
    );
    let origin = dir.join("origin.git");
    let work = dir.join("work");
    let refs = refs_of(env, &origin);
    let kickoffs: Vec<&String> = refs
        .keys()
        .filter(|r| r.starts_with("refs/heads/kickoff-"))
        .collect();
    assert_eq!(kickoffs.len(), 2, "{refs:?}");
    let dash = kickoffs
        .iter()
        .find(|r| r.ends_with("-dashboard"))
        .expect("dashboard kickoff")
        .trim_start_matches("refs/heads/")
        .to_string();
    // The login feature is merged into its kickoff with a merge commit, on origin.
    let merged = env.git(
        &origin,
        &[
            "merge-base",
            "--is-ancestor",
            "feature/DASH-101-login",
            &dash,
        ],
    );
    assert_eq!(merged, "");
    let merges = env.git(&origin, &["rev-list", "--merges", "--count", &dash]);
    assert_eq!(merges, "2", "a feature merge and a sync merge");
    // The sync brought the teammate's main commit into the kickoff.
    env.git(&origin, &["merge-base", "--is-ancestor", "main", &dash]);
    assert_eq!(
        env.git(&origin, &["log", "-1", "--format=%s", &dash]),
        format!("Merge origin/main into {dash}")
    );
    // Parents are recorded in git config of the developer's clone.
    assert_eq!(
        env.git(&work, &["config", "branch.feature/DASH-102-charts.kickoff"]),
        dash
    );
    assert_eq!(
        env.git(
            &work,
            &["config", "branch.feature/DASH-102-charts.gh-merge-base"]
        ),
        dash
    );
    // The dashboard is released as 1.0.0 and landed in main.
    assert_eq!(
        env.git(&origin, &["rev-parse", "platform/v1.0.0^{commit}"]),
        env.git(&origin, &["rev-parse", &dash])
    );
    assert_eq!(
        env.git(&origin, &["rev-parse", "main"]),
        env.git(&origin, &["rev-parse", &dash])
    );
    assert!(
        env.git(
            &work,
            &["tag", "-l", "--format=%(trailers)", "platform/v1.0.0"]
        )
        .contains(&format!("Kickoff: {dash}\n")),
    );
    assert!(text.contains("$ kickoff land"), "{text}");
    // Regression: the table `land` prints after its warning came before it.
    assert!(
        text.contains("now lack main's new commits; bring main into them:\n      KICKOFF"),
        "{text}"
    );
    // The fixed demo identity, not the environment's.
    assert_eq!(
        env.git(&work, &["log", "-1", "--format=%an <%ae>", &dash]),
        "Dana Demo <dana@demo.invalid>"
    );
}

#[test]
fn the_demo_installs_the_hook_and_shows_a_refused_push() {
    let (env, dir, out) = demo();
    let text = stdout(out);
    assert!(out.status.success(), "{text}\n{}", stderr(out));
    assert!(text.contains("$ kickoff hook install"), "{text}");
    assert!(
        text.contains("refs/heads/my-experiment [branch-name]"),
        "{text}"
    );
    assert!(text.contains("git push --no-verify"), "{text}");
    let work = dir.join("work");
    let hook = std::fs::read_to_string(work.join(".git/hooks/pre-push")).unwrap();
    assert!(hook.contains("# kickoff-hook: pre-push"));
    assert!(!refs_of(env, &dir.join("origin.git")).contains_key("refs/heads/my-experiment"));
}

#[test]
fn demo_claims_a_slot_deploys_and_writes_the_dashboard() {
    let (env, dir, out) = demo();
    let text = stdout(out);
    assert!(out.status.success(), "{text}\n{}", stderr(out));
    assert!(text.contains("$ kickoff deploy kickoff-"), "{text}");
    // After the sync the deployed kickoff has moved on.
    assert!(text.contains("-dashboard (stale)"), "{text}");
    let origin = dir.join("origin.git");
    let paths = state_paths(env, &origin, "refs/kickoff/state");
    let history = env.git(&origin, &["log", "--format=%s", "refs/kickoff/state"]);
    assert!(
        history.contains("kickoff state: claim dev2: kickoff-"),
        "{history}"
    );
    // Landing the kickoff at the end of the demo gives the slot back.
    assert_eq!(
        text.contains("released QA slot dev2"),
        !paths.contains(&"slots/dev2.toml".to_string()),
        "{paths:?}\n{text}"
    );
    let record = paths
        .iter()
        .find(|p| p.starts_with("deployments/") && p.contains("-dev2-"))
        .expect("a deployment record on origin");
    let r: Value =
        serde_json::from_str(&state_file(env, &origin, "refs/kickoff/state", record).unwrap())
            .unwrap();
    assert_eq!(r["status"], "succeeded");
    assert!(r["kickoff"].as_str().unwrap().ends_with("-dashboard"));
    assert!(
        r["tickets"]
            .as_array()
            .unwrap()
            .contains(&"DASH-101".into())
    );
    let html = std::fs::read_to_string(dir.join("dashboard/index.html")).unwrap();
    assert!(html.contains("DASH-101"), "the dashboard shows the tickets");
    assert!(dir.join("dashboard/data.json").is_file());
}

#[test]
fn demo_prints_the_nginx_routes_of_its_pool_and_writes_the_compose_override() {
    let (_, dir, out) = demo();
    let text = stdout(out);
    assert!(out.status.success(), "{text}\n{}", stderr(out));
    assert!(
        text.contains("$ kickoff slot routes --format nginx"),
        "{text}"
    );
    // Every slot and app of the demo pool (4 x 3), by path.
    for (i, slot) in ["dev1", "dev2", "dev3", "dev4"].iter().enumerate() {
        for (app, base) in [("frontend", 3001), ("spring", 8081), ("django", 9001)] {
            let location = format!(
                "location /{slot}/{app}/ {{\n                  proxy_pass http://127.0.0.1:{}/;",
                base + i
            );
            assert!(text.contains(&location), "{location}\n{text}");
        }
    }
    assert!(text.contains("server_name dev.shop.invalid;"), "{text}");
    let compose =
        std::fs::read_to_string(dir.join("work/.git/kickoff/env/dev2.compose.yml")).unwrap();
    assert!(compose.contains("\"3002:3000\""), "{compose}");
    assert!(text.contains("-f compose.yml -f "), "{text}");
}

#[test]
fn demo_shows_two_kickoffs_that_conflict() {
    let (env, dir, out) = demo();
    assert!(out.status.success(), "{}", stderr(out));
    assert!(
        stdout(out).contains("$ kickoff conflicts"),
        "{}",
        stdout(out)
    );
    let out = env
        .kickoff_cmd(&dir.join("work"))
        .args(["conflicts", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let v = json_of(&out);
    let conflicting: Vec<&serde_json::Value> = v["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["conflict"] == true)
        .collect();
    assert_eq!(conflicting.len(), 1, "{v}");
    // The demo ends by landing the dashboard kickoff in main (a fast-forward),
    // so the billing kickoff now meets the dashboard's work in main.
    assert!(
        conflicting[0]["a"]["name"]
            .as_str()
            .unwrap()
            .ends_with("-billing"),
        "{v}"
    );
    assert_eq!(conflicting[0]["b"]["name"], "origin/main", "{v}");
    assert_eq!(
        conflicting[0]["paths"],
        serde_json::json!([{"path": "app/login.txt", "kind": "add/add"}])
    );
}

#[test]
fn demo_shows_the_hotfix_rule_refusing_and_sync_fixing_it() {
    let (_, _, out) = demo();
    assert!(out.status.success(), "{}", stderr(out));
    let text = stdout(out);
    let refused = text
        .find("  REFUSED  behind-main      kickoff-")
        .unwrap_or_else(|| panic!("no behind-main refusal:\n{text}"));
    assert!(
        text[refused..]
            .lines()
            .next()
            .unwrap()
            .contains("lacks 1 commit(s) of origin/main (deploying it would roll them back)"),
        "{text}"
    );
    let line = text[refused..].lines().next().unwrap();
    assert!(
        line.contains("\"Hotfix: raise the request timeout\""),
        "{line}"
    );
    let sync = text[refused..]
        .find("$ kickoff sync kickoff-")
        .expect("sync after the refusal");
    assert!(
        text[refused + sync..]
            .contains("  ok       behind-main      the kickoff contains the remote's main"),
        "{text}"
    );
}
