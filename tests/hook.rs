//! The pre-push hook, driven by the real `git push` against a local bare
//! remote with the hook installed. Every refusal reads the remote's refs back
//! to prove that nothing arrived.

mod common;
use common::*;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const KICKOFF: &str = "kickoff-240510-dashboard";
const OTHER_KICKOFF: &str = "kickoff-240601-billing";

/// A repository with the hook installed.
fn hooked() -> TestRepo {
    let repo = TestRepo::new();
    repo.kickoff(&["hook", "install"]).assert().success();
    repo
}

fn push(repo: &TestRepo, args: &[&str]) -> Output {
    let mut full = vec!["push"];
    full.extend_from_slice(args);
    repo.env.git_output(&repo.work, &full)
}

fn push_in(repo: &TestRepo, dir: &Path, args: &[&str]) -> Output {
    let mut full = vec!["push"];
    full.extend_from_slice(args);
    repo.env.git_output(dir, &full)
}

/// Assert a push went through; returns stderr.
fn pushed(out: &Output) -> String {
    assert!(out.status.success(), "push failed:\n{}", stderr(out));
    stderr(out)
}

/// Assert the hook refused a push, naming every needle and the bypass.
fn refused(out: &Output, needles: &[&str]) -> String {
    let err = stderr(out);
    assert!(!out.status.success(), "push went through:\n{err}");
    for n in needles.iter().chain(&["git push --no-verify", "refused"]) {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
    err
}

fn on_origin(repo: &TestRepo, full_ref: &str) -> Option<String> {
    repo.origin_refs().get(full_ref).cloned()
}

fn branch(repo: &TestRepo, name: &str) {
    repo.git(&["branch", name]);
}

fn config(repo: &TestRepo, text: &str) {
    repo.write(".kickoff.toml", text);
}

#[test]
fn branch_names_are_refused_and_allowed() {
    let repo = hooked();
    for bad in [
        "wip",
        "kickoff-240231-bad-date",
        "feature/dash-1",
        "Feature/DASH-1",
    ] {
        branch(&repo, bad);
        let err = refused(&push(&repo, &["origin", bad]), &[bad, "[branch-name]"]);
        assert!(
            err.contains("kickoff new") || err.contains("kickoff feature"),
            "{err}"
        );
        assert_eq!(on_origin(&repo, &format!("refs/heads/{bad}")), None);
    }
    for good in [KICKOFF, "feature/DASH-1", "feature/DASH-2-login-form"] {
        branch(&repo, good);
        pushed(&push(&repo, &["origin", good]));
        assert!(on_origin(&repo, &format!("refs/heads/{good}")).is_some());
    }
    // The local side may be any revision the user typed; the remote name decides.
    repo.commit("x.txt", "x\n", "Second commit");
    refused(
        &push(&repo, &["origin", "HEAD~:refs/heads/wip2"]),
        &["wip2"],
    );
    pushed(&push(&repo, &["origin", "HEAD~:refs/heads/feature/DASH-8"]));
    assert_eq!(
        on_origin(&repo, "refs/heads/feature/DASH-8"),
        repo.rev("HEAD~")
    );
    assert_eq!(on_origin(&repo, "refs/heads/wip2"), None);
    // A refused ref stops the whole push: the good one beside it stays home too.
    branch(&repo, "feature/DASH-3");
    refused(&push(&repo, &["origin", "feature/DASH-3", "wip"]), &["wip"]);
    assert_eq!(on_origin(&repo, "refs/heads/feature/DASH-3"), None);
    // The allow-list and the ticket pattern come from .kickoff.toml.
    config(
        &repo,
        "[hook]\nallow_branches = [\"release/*\", \"re:^wip$\"]\n[naming]\nticket_pattern = \"[a-z]+-[0-9]+\"\n",
    );
    branch(&repo, "release/2024");
    pushed(&push(
        &repo,
        &["origin", "release/2024", "wip", "feature/dash-1"],
    ));
    assert!(on_origin(&repo, "refs/heads/release/2024").is_some());
    assert!(on_origin(&repo, "refs/heads/wip").is_some());
    assert!(on_origin(&repo, "refs/heads/feature/dash-1").is_some());
    branch(&repo, "release/a/b");
    refused(&push(&repo, &["origin", "release/a/b"]), &["release/a/b"]);
    config(&repo, "[hook]\ncheck_branch_names = false\n");
    pushed(&push(&repo, &["origin", "release/a/b"]));
}

#[test]
fn main_is_protected_unless_landing_or_allowed() {
    let repo = hooked();
    let before = on_origin(&repo, "refs/heads/main");
    let c1 = repo.commit("a.txt", "a\n", "Direct to main");
    refused(
        &push(&repo, &["origin", "main"]),
        &["refs/heads/main", "[main-protected]", "kickoff land"],
    );
    assert_eq!(on_origin(&repo, "refs/heads/main"), before);
    // A push to another ref name that lands on main is still a push to main.
    refused(
        &push(&repo, &["origin", "HEAD:refs/heads/main"]),
        &["[main-protected]"],
    );
    // `kickoff land` pushes with KICKOFF_LAND=1.
    let out = repo
        .env
        .git_cmd(&repo.work, &["push", "origin", "main"])
        .env("KICKOFF_LAND", "1")
        .output()
        .unwrap();
    pushed(&out);
    assert_eq!(on_origin(&repo, "refs/heads/main"), Some(c1));
    // Deleting main is refused even when landing.
    let out = repo
        .env
        .git_cmd(&repo.work, &["push", "origin", ":main"])
        .env("KICKOFF_LAND", "1")
        .output()
        .unwrap();
    refused(&out, &["deleting `main`"]);
    assert!(on_origin(&repo, "refs/heads/main").is_some());
    config(&repo, "[hook]\nallow_main_push = true\n");
    let c2 = repo.commit("b.txt", "b\n", "Allowed direct push");
    pushed(&push(&repo, &["origin", "main"]));
    assert_eq!(on_origin(&repo, "refs/heads/main"), Some(c2));
}

#[test]
fn kickoff_branches_are_not_force_pushed_or_deleted() {
    let repo = hooked();
    repo.git(&["checkout", "--quiet", "-b", KICKOFF]);
    repo.commit("k.txt", "one\n", "Kickoff work");
    pushed(&push(&repo, &["origin", KICKOFF]));
    let two = repo.commit("k.txt", "two\n", "More kickoff work");
    pushed(&push(&repo, &["origin", KICKOFF]));
    assert_eq!(
        on_origin(&repo, &format!("refs/heads/{KICKOFF}")),
        Some(two.clone())
    );
    repo.git(&["reset", "--quiet", "--hard", "HEAD~"]);
    let rewritten = repo.commit("k.txt", "rewritten\n", "Rewritten");
    refused(
        &push(&repo, &["--force", "origin", KICKOFF]),
        &["[kickoff-rewrite]", "force-pushing", "git merge origin/"],
    );
    refused(
        &push(&repo, &["origin", &format!("+{KICKOFF}")]),
        &["[kickoff-rewrite]"],
    );
    refused(
        &push(&repo, &["origin", &format!(":{KICKOFF}")]),
        &["deleting the kickoff branch"],
    );
    assert_eq!(
        on_origin(&repo, &format!("refs/heads/{KICKOFF}")),
        Some(two)
    );
    config(&repo, "[hook]\nallow_kickoff_rewrite = true\n");
    pushed(&push(&repo, &["--force", "origin", KICKOFF]));
    assert_eq!(
        on_origin(&repo, &format!("refs/heads/{KICKOFF}")),
        Some(rewritten)
    );
}

#[test]
fn deletions() {
    let repo = hooked();
    branch(&repo, "feature/DASH-5");
    pushed(&push(&repo, &["origin", "feature/DASH-5"]));
    // Deleting a feature branch, or a badly named one someone pushed with --no-verify, is fine.
    branch(&repo, "junk");
    pushed(&push(&repo, &["--no-verify", "origin", "junk"]));
    pushed(&push(
        &repo,
        &["origin", "--delete", "feature/DASH-5", "junk"],
    ));
    assert_eq!(on_origin(&repo, "refs/heads/feature/DASH-5"), None);
    assert_eq!(on_origin(&repo, "refs/heads/junk"), None);
    refused(
        &push(&repo, &["origin", "--delete", "main"]),
        &["[main-protected]"],
    );
    assert!(on_origin(&repo, "refs/heads/main").is_some());
}

/// An annotated platform tag message as `kickoff release` writes it.
fn tag_message(version: &str, kickoff: &str, base: &str) -> String {
    format!(
        "platform {version}: {kickoff}\n\nKickoff: {kickoff}\nKickoff-Base: {base}\nDeploy-Date: 2024-06-03\nTicket: DASH-101\n"
    )
}

fn annotated_tag(repo: &TestRepo, name: &str, message: &str, commit: &str) {
    repo.git(&["tag", "-a", name, "-m", message, commit]);
}

#[test]
fn platform_tags() {
    let repo = hooked();
    let base = repo.rev("main").unwrap();
    repo.git(&["checkout", "--quiet", "-b", KICKOFF]);
    let shipped = repo.commit("k.txt", "one\n", "DASH-101 work");
    pushed(&push(&repo, &["origin", KICKOFF]));

    // A correct tag arrives.
    annotated_tag(
        &repo,
        "platform/v1.0.0",
        &tag_message("v1.0.0", KICKOFF, &base),
        &shipped,
    );
    pushed(&push(&repo, &["origin", "platform/v1.0.0"]));
    assert!(on_origin(&repo, "refs/tags/platform/v1.0.0").is_some());

    let cases: &[(&str, &str, Option<String>, &str)] = &[
        (
            "platform/v1.1",
            "[platform-tag]",
            Some(tag_message("v1.1", KICKOFF, &base)),
            "semantic version",
        ),
        ("platform/v1.1.0", "[platform-tag]", None, "lightweight"),
        (
            "platform/v1.2.0",
            "[platform-tag]",
            Some("platform v1.2.0\n\nno trailers here\n".into()),
            "Kickoff, Kickoff-Base, Deploy-Date",
        ),
        (
            "platform/v1.3.0",
            "[platform-tag]",
            Some(tag_message("v1.3.0", "kickoff-240701-nowhere", &base)),
            "no branch here or on the remote",
        ),
        (
            "platform/v0.9.0",
            "[release-rules]",
            Some(tag_message("v0.9.0", KICKOFF, &base)),
            "not greater",
        ),
    ];
    for (name, rule, message, needle) in cases {
        match message {
            Some(m) => annotated_tag(&repo, name, m, &shipped),
            None => {
                repo.git(&["tag", name, &shipped]);
            }
        }
        refused(&push(&repo, &["origin", name]), &[name, rule, needle]);
        assert_eq!(
            on_origin(&repo, &format!("refs/tags/{name}")),
            None,
            "{name}"
        );
    }

    // A tag on a commit that is not on its kickoff.
    let stray = repo.commit_on("main", "stray.txt", "x\n", "Not on the kickoff");
    annotated_tag(
        &repo,
        "platform/v1.4.0",
        &tag_message("v1.4.0", KICKOFF, &base),
        &stray,
    );
    refused(
        &push(&repo, &["origin", "platform/v1.4.0"]),
        &["not on its kickoff"],
    );

    // A release that lacks an earlier release would roll it back.
    repo.git(&["checkout", "--quiet", "-b", OTHER_KICKOFF, &base]);
    let other = repo.commit("o.txt", "o\n", "Other work");
    pushed(&push(&repo, &["origin", OTHER_KICKOFF]));
    annotated_tag(
        &repo,
        "platform/v2.0.0",
        &tag_message("v2.0.0", OTHER_KICKOFF, &base),
        &other,
    );
    refused(
        &push(&repo, &["origin", "platform/v2.0.0"]),
        &["[release-rules]", "roll that back", "v1.0.0", "rollback"],
    );
    assert_eq!(on_origin(&repo, "refs/tags/platform/v2.0.0"), None);
    // ... unless the tag records that the rule was waived: then it is a warning.
    repo.git(&["tag", "-d", "platform/v2.0.0"]);
    let waived = format!(
        "{}Waived: rollback\n",
        tag_message("v2.0.0", OTHER_KICKOFF, &base)
    );
    annotated_tag(&repo, "platform/v2.0.0", &waived, &other);
    let err = pushed(&push(&repo, &["origin", "platform/v2.0.0"]));
    assert!(err.contains("warning:") && err.contains("waived"), "{err}");
    assert!(on_origin(&repo, "refs/tags/platform/v2.0.0").is_some());

    // Released tags neither move nor disappear.
    repo.git(&[
        "tag",
        "-f",
        "-a",
        "platform/v1.0.0",
        "-m",
        &tag_message("v1.0.0", KICKOFF, &base),
        &shipped,
    ]);
    let moved = push(&repo, &["--force", "origin", "refs/tags/platform/v1.0.0"]);
    refused(&moved, &["[platform-tag-immutable]", "moving"]);
    refused(
        &push(&repo, &["origin", ":refs/tags/platform/v1.0.0"]),
        &["[platform-tag-immutable]", "deleting"],
    );
    let before = repo.origin_refs();
    assert!(before.contains_key("refs/tags/platform/v1.0.0"));
    // Other tags are not the hook's business.
    repo.git(&["tag", "v-anything", &shipped]);
    pushed(&push(&repo, &["origin", "v-anything"]));
}

#[test]
fn pushing_to_a_url_instead_of_a_remote_name() {
    let repo = hooked();
    let url = format!("file://{}", repo.origin.display());
    branch(&repo, "wip");
    refused(&push(&repo, &[&url, "wip"]), &["[branch-name]"]);
    refused(
        &push(&repo, &[repo.origin.to_str().unwrap(), "wip"]),
        &["[branch-name]"],
    );
    assert_eq!(on_origin(&repo, "refs/heads/wip"), None);
    branch(&repo, "feature/DASH-7");
    pushed(&push(&repo, &[&url, "feature/DASH-7"]));
    assert!(on_origin(&repo, "refs/heads/feature/DASH-7").is_some());
}

/// Run `kickoff hook pre-push` directly with `input` on stdin.
fn pre_push_direct(repo: &TestRepo, args: &[&str], input: &[u8]) -> Output {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("kickoff"));
    cmd.current_dir(&repo.work)
        .arg("hook")
        .arg("pre-push")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    repo.env.apply(&mut cmd);
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Writing fails with a broken pipe unless the hook reads everything.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().expect("the hook read all of stdin");
    out
}

#[test]
fn empty_push_and_bad_input() {
    let repo = hooked();
    let origin = repo.origin.to_str().unwrap().to_string();
    // Nothing to push: git may not even ask; asked directly, an empty list passes.
    pushed(&push(&repo, &["origin", "main"]));
    let out = pre_push_direct(&repo, &["origin", &origin], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Malformed stdin is bad input (exit 2), read to its end anyway.
    let mut junk = b"this is not a push line\n".repeat(20_000);
    junk.extend_from_slice(b"\n");
    let out = pre_push_direct(&repo, &["origin", &origin], &junk);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("line 1"), "{}", stderr(&out));
    // Missing arguments are bad usage (exit 2); stdin is still drained.
    let out = pre_push_direct(&repo, &["origin"], &junk);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // A refusal is exit 3.
    let main = repo.rev("main").unwrap();
    let zero = "0".repeat(40);
    let line = format!("refs/heads/wip {main} refs/heads/wip {zero}\n");
    let out = pre_push_direct(&repo, &["origin", &origin], line.as_bytes());
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    // An invalid .kickoff.toml blocks with the file, line and key named (exit 2).
    config(&repo, "[hook]\nconflicts = \"loud\"\n");
    let out = pre_push_direct(&repo, &["origin", &origin], line.as_bytes());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(".kickoff.toml:2"), "{}", stderr(&out));
}

#[test]
fn a_thousand_refs_in_one_push() {
    let repo = hooked();
    let main = repo.rev("main").unwrap();
    let mut updates = String::new();
    for i in 0..1000 {
        updates.push_str(&format!("create refs/heads/feature/LOAD-{i} {main}\n"));
    }
    let mut cmd = repo.env.git_cmd(&repo.work, &["update-ref", "--stdin"]);
    cmd.stdin(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(updates.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    // One bad name among them refuses all of them.
    branch(&repo, "zz-bad");
    let out = push(
        &repo,
        &[
            "origin",
            "refs/heads/feature/*:refs/heads/feature/*",
            "zz-bad",
        ],
    );
    refused(&out, &["zz-bad"]);
    assert!(!repo.origin_refs().keys().any(|r| r.contains("LOAD-")));
    pushed(&push(
        &repo,
        &["origin", "refs/heads/feature/*:refs/heads/feature/*"],
    ));
    let arrived = repo
        .origin_refs()
        .keys()
        .filter(|r| r.contains("LOAD-"))
        .count();
    assert_eq!(arrived, 1000);
}

#[test]
fn no_verify_bypasses_the_hook() {
    let repo = hooked();
    branch(&repo, "wip");
    refused(&push(&repo, &["origin", "wip"]), &["wip"]);
    pushed(&push(&repo, &["--no-verify", "origin", "wip"]));
    assert!(on_origin(&repo, "refs/heads/wip").is_some());
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode()
}

#[test]
fn an_existing_hook_is_kept_through_install_and_uninstall() {
    let repo = TestRepo::new();
    let hook = repo.work.join(".git/hooks/pre-push");
    let log = repo.env.path().join("old-hook.log");
    let old = format!(
        "#!/bin/sh\n# the team's own hook\nprintf 'args: %s %s\\n' \"$1\" \"$2\" >> '{}'\ncat >> '{}'\nif [ -f '{}.block' ]; then exit 1; fi\n",
        log.display(),
        log.display(),
        log.display()
    );
    std::fs::write(&hook, &old).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o750)).unwrap();
    }
    let before_mode = mode(&hook);

    // Dry runs change nothing.
    let out = repo
        .kickoff(&["hook", "install", "--dry-run"])
        .output()
        .unwrap();
    assert!(stdout(&out).contains("rename"), "{}", stdout(&out));
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), old);

    repo.kickoff(&["hook", "install"]).assert().success();
    let status = repo
        .kickoff(&["hook", "status", "--json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(json["schema"], 1);
    assert_eq!(json["installed"], true);
    assert_eq!(json["current"], true);
    assert!(
        json["chained"]
            .as_str()
            .unwrap()
            .ends_with("pre-push.kickoff-chained")
    );

    // Both run, the old one with the same arguments and lines.
    branch(&repo, "feature/DASH-1");
    pushed(&push(&repo, &["origin", "feature/DASH-1"]));
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("args: origin "), "{logged}");
    assert!(logged.contains("refs/heads/feature/DASH-1 "), "{logged}");
    // kickoff refuses first: the old hook does not run.
    std::fs::remove_file(&log).unwrap();
    branch(&repo, "wip");
    refused(&push(&repo, &["origin", "wip"]), &["wip"]);
    assert!(!log.exists());
    // The old hook still refuses on its own.
    std::fs::write(repo.env.path().join("old-hook.log.block"), "").unwrap();
    branch(&repo, "feature/DASH-2");
    assert!(!push(&repo, &["origin", "feature/DASH-2"]).status.success());
    assert_eq!(on_origin(&repo, "refs/heads/feature/DASH-2"), None);

    // Installing again is a no-op; uninstall puts the old hook back byte for byte.
    repo.kickoff(&["hook", "install"]).assert().success();
    let out = repo
        .kickoff(&["hook", "uninstall", "--dry-run"])
        .output()
        .unwrap();
    assert!(stdout(&out).contains("rename"), "{}", stdout(&out));
    repo.kickoff(&["hook", "uninstall"]).assert().success();
    assert_eq!(std::fs::read(&hook).unwrap(), old.as_bytes());
    assert_eq!(mode(&hook), before_mode);
    assert!(
        !repo
            .work
            .join(".git/hooks/pre-push.kickoff-chained")
            .exists()
    );
    // Uninstalling again leaves the team's hook alone.
    repo.kickoff(&["hook", "uninstall"]).assert().success();
    assert_eq!(std::fs::read(&hook).unwrap(), old.as_bytes());
}

#[test]
fn install_and_uninstall_without_an_earlier_hook() {
    let repo = TestRepo::new();
    let hooks = repo.work.join(".git/hooks");
    let listing = || {
        let mut v: Vec<_> = std::fs::read_dir(&hooks)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        v.sort();
        v
    };
    let before = listing();
    let out = repo.kickoff(&["hook", "status"]).output().unwrap();
    assert!(stdout(&out).contains("not installed"), "{}", stdout(&out));
    repo.kickoff(&["hook", "install", "--dry-run"])
        .assert()
        .success();
    assert_eq!(listing(), before);
    repo.kickoff(&["hook", "install"]).assert().success();
    let shim = std::fs::read_to_string(hooks.join("pre-push")).unwrap();
    assert!(shim.starts_with("#!/bin/sh\n# kickoff-hook: pre-push\n"));
    let bin = assert_cmd::cargo::cargo_bin("kickoff")
        .canonicalize()
        .unwrap();
    assert!(
        shim.contains(&format!("kickoff_bin='{}'", bin.display())),
        "{shim}"
    );
    let out = repo.kickoff(&["hook", "status"]).output().unwrap();
    assert!(
        stdout(&out).contains("installed, current"),
        "{}",
        stdout(&out)
    );
    // An outdated shim (another kickoff recorded) is reported and updated.
    std::fs::write(
        hooks.join("pre-push"),
        shim.replace(&bin.display().to_string(), "/old/kickoff"),
    )
    .unwrap();
    let out = repo.kickoff(&["hook", "status"]).output().unwrap();
    assert!(stdout(&out).contains("outdated"), "{}", stdout(&out));
    repo.kickoff(&["hook", "install"]).assert().success();
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-push")).unwrap(),
        shim
    );
    // A shim that lost its executable bit is skipped by git: reported and fixed.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let hook = hooks.join("pre-push");
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = repo.kickoff(&["hook", "status"]).output().unwrap();
        assert!(stdout(&out).contains("not executable"), "{}", stdout(&out));
        repo.kickoff(&["hook", "install"]).assert().success();
        assert_eq!(mode(&hook) & 0o111, 0o111);
    }
    repo.kickoff(&["hook", "uninstall"]).assert().success();
    assert_eq!(listing(), before);
}

#[test]
fn core_hooks_path_is_honoured() {
    let repo = TestRepo::new();
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    repo.kickoff(&["hook", "install"]).assert().success();
    assert!(repo.work.join(".githooks/pre-push").exists());
    assert!(!repo.work.join(".git/hooks/pre-push").exists());
    let out = repo
        .kickoff(&["hook", "status", "--json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        json["path"]
            .as_str()
            .unwrap()
            .ends_with(".githooks/pre-push"),
        "{json}"
    );
    branch(&repo, "wip");
    refused(&push(&repo, &["origin", "wip"]), &["[branch-name]"]);
    assert_eq!(on_origin(&repo, "refs/heads/wip"), None);
    repo.kickoff(&["hook", "uninstall"]).assert().success();
    assert!(!repo.work.join(".githooks/pre-push").exists());
}

#[test]
fn a_linked_worktree_shares_the_hook() {
    let repo = TestRepo::new();
    let wt = repo.env.path().join("linked");
    repo.git(&[
        "worktree",
        "add",
        "--quiet",
        "-b",
        "feature/DASH-9",
        wt.to_str().unwrap(),
    ]);
    repo.env
        .kickoff_cmd(&wt)
        .args(["hook", "install"])
        .assert()
        .success();
    assert!(repo.work.join(".git/hooks/pre-push").exists());
    repo.git_in(&wt, &["branch", "wip"]);
    refused(&push_in(&repo, &wt, &["origin", "wip"]), &["[branch-name]"]);
    pushed(&push_in(&repo, &wt, &["origin", "feature/DASH-9"]));
    assert!(on_origin(&repo, "refs/heads/feature/DASH-9").is_some());
    assert_eq!(on_origin(&repo, "refs/heads/wip"), None);
}

/// `git push` under `env -i PATH=/usr/bin:/bin`, the way a GUI client may run it.
fn bare_env_push(repo: &TestRepo, args: &[&str]) -> Output {
    let empty = repo.env.path().join("gitconfig-empty");
    Command::new("/usr/bin/git")
        .current_dir(&repo.work)
        .arg("push")
        .args(args)
        .stdin(Stdio::null())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", repo.env.path().join("home"))
        .env("GIT_CONFIG_GLOBAL", &empty)
        .env("GIT_CONFIG_SYSTEM", &empty)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap()
}

#[test]
fn the_hook_runs_with_a_bare_environment() {
    let repo = hooked();
    branch(&repo, "wip");
    refused(
        &bare_env_push(&repo, &["origin", "wip"]),
        &["[branch-name]"],
    );
    assert_eq!(on_origin(&repo, "refs/heads/wip"), None);
    branch(&repo, "feature/DASH-4");
    pushed(&bare_env_push(&repo, &["origin", "feature/DASH-4"]));
    assert!(on_origin(&repo, "refs/heads/feature/DASH-4").is_some());
    // The heavier paths too: a kickoff (ancestry, conflict engine) and a
    // platform tag (release rules read the remote with /usr/bin/git).
    let base = repo.rev("main").unwrap();
    repo.git(&["checkout", "--quiet", "-b", KICKOFF]);
    let tip = repo.commit("k.txt", "one\n", "Kickoff work");
    pushed(&bare_env_push(&repo, &["origin", KICKOFF]));
    annotated_tag(
        &repo,
        "platform/v1.0.0",
        &tag_message("v1.0.0", KICKOFF, &base),
        &tip,
    );
    pushed(&bare_env_push(&repo, &["origin", "platform/v1.0.0"]));
    assert!(on_origin(&repo, "refs/tags/platform/v1.0.0").is_some());
    repo.git(&["reset", "--quiet", "--hard", "HEAD~"]);
    repo.commit("k.txt", "rewritten\n", "Rewritten");
    refused(
        &bare_env_push(&repo, &["--force", "origin", KICKOFF]),
        &["[kickoff-rewrite]"],
    );
    assert_eq!(
        on_origin(&repo, &format!("refs/heads/{KICKOFF}")),
        Some(tip)
    );
    repo.git(&["checkout", "--quiet", "main"]);

    // The recorded program is gone and kickoff is not on PATH: a clear failure.
    let hook = repo.work.join(".git/hooks/pre-push");
    let shim = std::fs::read_to_string(&hook).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("kickoff")
        .canonicalize()
        .unwrap();
    std::fs::write(
        &hook,
        shim.replace(&bin.display().to_string(), "/nonexistent/kickoff"),
    )
    .unwrap();
    branch(&repo, "feature/DASH-6");
    let out = bare_env_push(&repo, &["origin", "feature/DASH-6"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("cannot find the kickoff program"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("/nonexistent/kickoff"),
        "{}",
        stderr(&out)
    );
    assert_eq!(on_origin(&repo, "refs/heads/feature/DASH-6"), None);
    // ... and with kickoff on PATH the shim falls back to it.
    let path = format!("{}:/usr/bin:/bin", bin.parent().unwrap().display());
    let out = repo
        .env
        .git_cmd(&repo.work, &["push", "origin", "feature/DASH-6"])
        .env("PATH", path)
        .output()
        .unwrap();
    pushed(&out);
}

/// Two kickoffs that change the same line of the same file.
fn conflicting_kickoffs(repo: &TestRepo) {
    repo.commit("shared.txt", "base\n", "Shared file");
    repo.git(&["push", "--quiet", "--no-verify", "origin", "main"]);
    repo.git(&["checkout", "--quiet", "-b", OTHER_KICKOFF]);
    repo.commit("shared.txt", "billing\n", "Billing edit");
    pushed(&push(repo, &["origin", OTHER_KICKOFF]));
    repo.git(&["checkout", "--quiet", "-b", KICKOFF, "main"]);
    repo.commit("shared.txt", "dashboard\n", "Dashboard edit");
}

#[test]
fn conflicts_warn_by_default_block_when_configured() {
    let repo = hooked();
    conflicting_kickoffs(&repo);
    config(&repo, "[hook]\nconflicts = \"block\"\n");
    refused(
        &push(&repo, &["origin", KICKOFF]),
        &["[conflicts]", OTHER_KICKOFF, "shared.txt"],
    );
    assert_eq!(on_origin(&repo, &format!("refs/heads/{KICKOFF}")), None);
    config(&repo, "[hook]\nconflicts = \"off\"\n");
    let err = pushed(&push(&repo, &["origin", KICKOFF]));
    assert!(!err.contains("[conflicts]"), "{err}");
    // Default: warn, and the push goes through.
    std::fs::remove_file(repo.work.join(".kickoff.toml")).unwrap();
    repo.commit("other.txt", "x\n", "More dashboard");
    let err = pushed(&push(&repo, &["origin", KICKOFF]));
    assert!(
        err.contains("warning:") && err.contains("[conflicts]"),
        "{err}"
    );
    assert!(
        err.contains(OTHER_KICKOFF) && err.contains("shared.txt"),
        "{err}"
    );
    assert_eq!(
        on_origin(&repo, &format!("refs/heads/{KICKOFF}")),
        repo.rev(KICKOFF)
    );
}

#[test]
fn a_release_made_by_kickoff_passes_the_hook() {
    let repo = hooked();
    repo.git(&["checkout", "--quiet", "-b", KICKOFF]);
    repo.commit("k.txt", "one\n", "DASH-101 work");
    pushed(&push(&repo, &["origin", KICKOFF]));
    let out = repo
        .kickoff(&[
            "release",
            "--platform",
            "1.0.0-rc.1",
            "--kickoff",
            KICKOFF,
            "--date",
            "2024-06-03",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(on_origin(&repo, "refs/tags/platform/v1.0.0-rc.1").is_some());

    // A tag pushed together with the kickoff commits it tags.
    let base = repo.rev("main").unwrap();
    let next = repo.commit("k.txt", "two\n", "DASH-102 work");
    annotated_tag(
        &repo,
        "platform/v1.0.0",
        &tag_message("v1.0.0", KICKOFF, &base),
        &next,
    );
    let err = pushed(&push(&repo, &["origin", KICKOFF, "platform/v1.0.0"]));
    assert!(!err.contains("refused"), "{err}");
    assert!(on_origin(&repo, "refs/tags/platform/v1.0.0").is_some());
}

#[test]
fn install_refuses_when_a_chained_hook_is_in_the_way() {
    let repo = TestRepo::new();
    let hooks = repo.work.join(".git/hooks");
    std::fs::write(hooks.join("pre-push"), "#!/bin/sh\nexit 0\n").unwrap();
    std::fs::write(
        hooks.join("pre-push.kickoff-chained"),
        "#!/bin/sh\nexit 1\n",
    )
    .unwrap();
    let err = assert_refused(
        &repo,
        &["hook", "install"],
        1,
        &["is not kickoff's", "pre-push.kickoff-chained", "hint:"],
    );
    assert!(err.contains("move that file away"), "{err}");
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-push")).unwrap(),
        "#!/bin/sh\nexit 0\n"
    );
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-push.kickoff-chained")).unwrap(),
        "#!/bin/sh\nexit 1\n"
    );
    // Outside a repository there is nothing to install into.
    let elsewhere = repo.env.path().join("not-a-repo");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let out = repo
        .env
        .kickoff_cmd(&elsewhere)
        .args(["hook", "install"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("not inside a git repository"));
    assert!(std::fs::read_dir(&elsewhere).unwrap().next().is_none());
}

#[test]
fn kickoffs_own_pushes_pass_the_hook() {
    let repo = hooked();
    repo.kickoff(&["new", "dashboard", "--date", "240510"])
        .assert()
        .success();
    assert!(on_origin(&repo, &format!("refs/heads/{KICKOFF}")).is_some());
    repo.kickoff(&["feature", "DASH-1", "login", "--kickoff", KICKOFF])
        .assert()
        .success();
    repo.commit("login.txt", "form\n", "DASH-1 Login form");
    pushed(&push(&repo, &["origin", "feature/DASH-1-login"]));
    // A teammate moves main; sync merges it into the kickoff and pushes.
    let mate = repo.clone_to("mate");
    let fresh = repo.commit_in(&mate, "team.txt", "team\n", "Team work");
    repo.git_in(&mate, &["push", "--quiet", "origin", "main"]);
    let out = repo.kickoff(&["sync", KICKOFF]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let tip = on_origin(&repo, &format!("refs/heads/{KICKOFF}")).unwrap();
    repo.git(&["fetch", "--quiet", "origin"]);
    repo.git(&["merge-base", "--is-ancestor", &fresh, &tip]);
}

#[test]
fn refusal_report_snapshot() {
    let repo = hooked();
    let origin = repo.origin.to_str().unwrap().to_string();
    let main = repo.rev("main").unwrap();
    let zero = "0".repeat(40);
    let input = format!(
        "wip {main} refs/heads/wip {zero}\n\
         main {main} refs/heads/main {main}\n\
         HEAD {main} refs/heads/feature/DASH-1 {zero}\n\
         (delete) {zero} refs/tags/platform/v1.0.0 {main}\n"
    );
    let out = pre_push_direct(&repo, &["origin", &origin], input.as_bytes());
    assert_eq!(out.status.code(), Some(3));
    insta::assert_snapshot!(stderr(&out), @r"
    refused: refs/heads/wip [branch-name]
      `wip` is not main, a kickoff or a feature branch
      fix: expected kickoff-YYMMDD-summary (`kickoff new <summary>`) or feature/<TICKET>[-slug] with a ticket matching `[A-Z][A-Z0-9]+-[0-9]+` (`kickoff feature <TICKET> [<slug>]`); rename it with `git branch -m <new-name>` and push that, or allow the name with `hook.allow_branches` in .kickoff.toml
    refused: refs/tags/platform/v1.0.0 [platform-tag-immutable]
      deleting the platform tag `platform/v1.0.0` on the remote
      fix: a released version stays mapped to its kickoff; release a new version instead (`kickoff release --bump patch`)
    error: push refused by the kickoff pre-push hook: 2 problem(s)
    hint: fix what is listed above; if you are sure, bypass the hook once with `git push --no-verify`
    ");
}

#[test]
fn the_committed_shim_runs_kickoff_from_path() {
    let repo = TestRepo::new();
    let shim = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("hooks/pre-push")).unwrap();
    let dir = repo.work.join("githooks");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("pre-push"), shim).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join("pre-push"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
    repo.git(&["config", "core.hooksPath", "githooks"]);
    let bin = assert_cmd::cargo::cargo_bin("kickoff");
    let path = format!("{}:/usr/bin:/bin", bin.parent().unwrap().display());
    branch(&repo, "wip");
    let out = repo
        .env
        .git_cmd(&repo.work, &["push", "origin", "wip"])
        .env("PATH", &path)
        .output()
        .unwrap();
    refused(&out, &["[branch-name]"]);
    assert_eq!(on_origin(&repo, "refs/heads/wip"), None);
    let status = repo
        .kickoff(&["hook", "status", "--json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(json["installed"], true);
    assert_eq!(json["recorded_binary"], serde_json::Value::Null);
}

#[test]
fn kickoff_land_goes_through_main_protection() {
    let repo = hooked();
    repo.kickoff(&["new", "dashboard", "--date", "240510"])
        .assert()
        .success();
    let tip = repo.commit("k.txt", "one\n", "DASH-1 work");
    pushed(&push(&repo, &["origin", KICKOFF]));
    let out = repo
        .kickoff(&["release", "--platform", "1.0.0", "--kickoff", KICKOFF])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // By hand, main stays protected ...
    refused(
        &push(&repo, &["origin", &format!("{KICKOFF}:refs/heads/main")]),
        &["[main-protected]"],
    );
    assert_ne!(on_origin(&repo, "refs/heads/main"), Some(tip.clone()));
    // ... and `kickoff land` goes through it.
    let out = repo.kickoff(&["land", KICKOFF]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(on_origin(&repo, "refs/heads/main"), Some(tip));
}
