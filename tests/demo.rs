//! `kickoff demo`: the throwaway repository a newcomer runs first.

mod common;
use common::*;

#[test]
fn demo_builds_the_flow_with_real_commits() {
    let env = TestEnv::new();
    let dir = env.path().join("demo");
    let out = env
        .kickoff_cmd(env.path())
        .args(["demo", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    assert!(text.contains("Explore it:"), "{text}");
    assert!(text.contains("$ kickoff new dashboard"), "{text}");
    assert!(text.contains("feature/DASH-101-login   merged"), "{text}");
    assert!(
        text.contains("feature/DASH-102-charts  open, 1 commit(s) not in the kickoff"),
        "{text}"
    );
    let origin = dir.join("origin.git");
    let work = dir.join("work");
    let refs = refs_of(&env, &origin);
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
