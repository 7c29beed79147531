//! Hostile input from the people and files kickoff does not trust (names,
//! commit messages, shared state, a committed link), and the settings it does
//! trust but checks: each test reproduces one attack and asserts the refusal or
//! the neutralised result, and that nothing outside the repository changed.
//! docs/security.md says what is trusted and why.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const K1: &str = "kickoff-240510-alpha";

/// A pool whose config is `SLOTS_TOML` edited by `edit`, committed after the
/// kickoff `alpha` was cut (so the kickoff's commit is `message`).
fn pool_with(edit: impl Fn(&str) -> String, message: &str) -> TestRepo {
    let repo = slots_repo(SLOTS_TOML, &[]);
    repo.git(&["branch", K1, "main"]);
    repo.commit_on(K1, "work.txt", "work\n", message);
    repo.git(&["push", "--quiet", "origin", K1]);
    repo.write(".kickoff.toml", &edit(SLOTS_TOML));
    repo
}

/// Everything in a directory tree outside the repository, with contents.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            let name = p.to_string_lossy().into_owned();
            if p.symlink_metadata().unwrap().is_dir() {
                out.extend(tree(&p));
            } else {
                out.insert(name, std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    out
}

/// The variables `sh` sees after sourcing `file` (`set -a; . file`), minus the
/// shell's own.
fn parse_with_sh(file: &Path) -> BTreeMap<String, String> {
    let out = Command::new("sh")
        .args(["-c", "set -a; . \"$1\" && env -0", "sh"])
        .arg(file)
        .env_clear()
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8(out.stdout)
        .unwrap()
        .split('\0')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| !["PWD", "SHLVL", "_", "OLDPWD"].contains(k))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The variables python-dotenv (docker compose v1's env-file parser) reads.
fn parse_with_dotenv(file: &Path) -> BTreeMap<String, String> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys; from dotenv import dotenv_values; print(json.dumps(dotenv_values(sys.argv[1])))",
        ])
        .arg(file)
        .output()
        .expect("python3 with python-dotenv (.ci/run installs python3-dotenv)");
    assert!(out.status.success(), "python-dotenv: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// docker compose v2's reading (compose-go's dotenv parser) of the one form
/// kickoff writes, `NAME='value'`: the text between the quotes, where a quote
/// after a backslash does not close the value, and no expansion inside.
fn parse_compose_v2(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (k, rest) = line.split_once('=').expect("NAME=value");
        let rest = rest.strip_prefix('\'').expect("a single-quoted value");
        let bytes = rest.as_bytes();
        let end = (0..bytes.len())
            .find(|&i| bytes[i] == b'\'' && (i == 0 || bytes[i - 1] != b'\\'))
            .expect("a closing quote");
        assert_eq!(&rest[end + 1..], "", "nothing after the value: {line:?}");
        out.insert(k.trim().to_string(), rest[..end].to_string());
    }
    out
}

/// Case 1, a loose ticket pattern: a contributor's commit message
/// `DASH-5\nINJECTED=1` once added a line to the env file.
#[test]
fn commit_message_cannot_add_env_file_lines() {
    let repo = pool_with(
        |c| format!("[naming]\nticket_pattern = \"[A-Z]+-[^ ,]+\"\n\n{c}"),
        "DASH-5\nINJECTED=1\n\nwith 'OPS-7' and $(touch /tmp/x)",
    );
    repo.git(&["add", ".kickoff.toml"]);
    repo.git(&["commit", "--quiet", "-m", "loose pattern"]);
    repo.ok(&["deploy", K1, "--slot", "dev2", "-q"]);
    let file = repo.work.join(".git/kickoff/env/dev2.env");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("KICKOFF_TICKETS='DASH-5,OPS-7'\n"), "{text}");
    let sh = parse_with_sh(&file);
    let dotenv = parse_with_dotenv(&file);
    let v2 = parse_compose_v2(&text);
    assert_eq!(sh, dotenv, "sh and python-dotenv disagree");
    assert_eq!(sh, v2, "sh and compose v2 disagree");
    assert_eq!(sh["KICKOFF_TICKETS"], "DASH-5,OPS-7");
    assert!(!sh.contains_key("INJECTED"), "{sh:?}");
    for line in text.lines().skip(1) {
        assert!(line.contains("='") && line.ends_with('\''), "{line:?}");
    }
}

/// Case 1, a URL with `&`, `$` and `#`: `sh` used to end the value at `&`
/// and compose expanded `$HOME`; every parser now reads it as written.
#[test]
fn url_with_shell_characters_reads_back_the_same_everywhere() {
    let url = "https://{app}-{slot}.dev.example.com/?x=1&y=$HOME#frag";
    let repo = pool_with(
        // Not routed by `slot routes` (which wants clean path prefixes):
        // the URL only goes into the env file.
        |c| {
            c.replace("https://{app}-{slot}.dev.example.com/", url)
                .replace("base_port = ", "route = false\nbase_port = ")
        },
        "DASH-1 work",
    );
    repo.git(&["commit", "--quiet", "-am", "odd URL"]);
    repo.ok(&["deploy", K1, "--slot", "dev1", "-q"]);
    let file = repo.work.join(".git/kickoff/env/dev1.env");
    let text = std::fs::read_to_string(&file).unwrap();
    let want = "https://frontend-dev1.dev.example.com/?x=1&y=$HOME#frag";
    for (who, vars) in [
        ("sh", parse_with_sh(&file)),
        ("python-dotenv", parse_with_dotenv(&file)),
        ("compose v2", parse_compose_v2(&text)),
    ] {
        assert_eq!(vars["FRONTEND_URL"], want, "{who}");
        assert_eq!(vars["COMPOSE_PROJECT_NAME"], "dev1", "{who}");
        assert_eq!(vars["KICKOFF_TICKETS"], "DASH-1", "{who}");
    }
}

/// Case 1, the committed config: a service name with a line break (accepted
/// because it contained `_`) and values an env file cannot hold are config
/// errors naming file, line and key, before anything changes.
#[test]
fn config_values_an_env_file_cannot_hold_are_refused() {
    for (edit, needles) in [
        (
            "[[slots.apps]]\nname = \"frontend\"\nservice = \"web_x\\nLD_PRELOAD=/tmp/evil.so\"",
            &[
                ".kickoff.toml:10: invalid value for `slots.apps.service`",
                "not a compose service name",
            ][..],
        ),
        (
            "[[slots.apps]]\nname = \"frontend\"\nurl = \"https://{app}-{slot}.dev.example.com/it's\"",
            &[
                ".kickoff.toml:10: invalid value for `slots.apps.url`",
                "a single quote, which an env file cannot hold",
            ][..],
        ),
        (
            "[[slots.apps]]\nname = \"frontend\"\nurl = \"https://{app}-{slot}.dev.example.com/a\\\\b\"",
            &["invalid value for `slots.apps.url`", "a backslash"][..],
        ),
    ] {
        let repo = pool_with(
            |c| c.replacen("[[slots.apps]]\nname = \"frontend\"", edit, 1),
            "DASH-1 work",
        );
        repo.git(&["commit", "--quiet", "-am", "hostile config"]);
        let outside = repo.env.path().join("outside");
        let before = tree(repo.env.path());
        assert_refused(&repo, &["deploy", K1, "--slot", "dev1"], 2, needles);
        assert_refused(&repo, &["slot", "list"], 2, needles);
        assert!(!repo.work.join(".git/kickoff/env").exists());
        assert!(!outside.exists());
        assert_eq!(before.len(), tree(repo.env.path()).len());
    }
}

/// Case 2: `env_dir = "../../outside"` wrote outside the work tree.
#[test]
fn env_dir_outside_the_repository_is_refused() {
    for dir in ["../../outside", "/tmp/kickoff-outside", "env/../../outside"] {
        let repo = pool_with(
            |c| {
                c.replace(
                    "deploy = [\"true\"]",
                    &format!("deploy = [\"true\"]\nenv_dir = \"{dir}\""),
                )
            },
            "DASH-1 work",
        );
        repo.git(&["commit", "--quiet", "-am", "env_dir outside"]);
        assert_refused(
            &repo,
            &["deploy", K1, "--slot", "dev1"],
            2,
            &[
                ".kickoff.toml:7: invalid value for `slots.env_dir`",
                "not a relative path inside the repository",
            ],
        );
        assert!(!repo.env.path().join("outside").exists());
        assert!(!Path::new("/tmp/kickoff-outside").exists());
    }
}

/// Case 2: a committed symbolic link at `envdir/dev1.env` (or at `envdir`)
/// made a teammate's deploy overwrite the link's target.
#[test]
fn committed_symlink_is_not_written_through() {
    for link_at in ["envdir/dev1.env", "envdir"] {
        let repo = pool_with(
            |c| {
                c.replace(
                    "deploy = [\"true\"]",
                    "deploy = [\"true\"]\nenv_dir = \"envdir\"",
                )
            },
            "DASH-1 work",
        );
        let outside = repo.env.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("dev1.env"), "precious\n").unwrap();
        std::fs::write(outside.join("victim"), "precious\n").unwrap();
        let target = if link_at == "envdir" {
            outside.clone()
        } else {
            outside.join("victim")
        };
        std::fs::create_dir_all(repo.work.join("envdir")).unwrap();
        if link_at == "envdir" {
            std::fs::remove_dir(repo.work.join("envdir")).unwrap();
        }
        std::os::unix::fs::symlink(&target, repo.work.join(link_at)).unwrap();
        repo.git(&["add", "-A"]);
        repo.git(&["commit", "--quiet", "-m", "a link"]);
        let before = tree(&outside);
        let err = assert_refused(
            &repo,
            &["deploy", K1, "--slot", "dev1"],
            1,
            &[
                "is a symbolic link; kickoff does not write through links",
                "hint:",
            ],
        );
        assert!(err.contains(link_at), "{err}");
        assert_eq!(before, tree(&outside), "outside changed ({link_at})");
        // No slot was claimed either.
        let board = repo.ok(&["slot", "list", "--json"]);
        assert!(!board.contains(K1), "{board}");
    }
}

/// Case 3: `compose_project = "shop"` gave every slot the same project, so
/// each deploy replaced the other slots' containers.
#[test]
fn one_compose_project_for_all_slots_is_refused() {
    let repo = pool_with(
        |c| {
            c.replace(
                "deploy = [\"true\"]",
                "deploy = [\"true\"]\ncompose_project = \"shop\"",
            )
        },
        "DASH-1 work",
    );
    repo.git(&["commit", "--quiet", "-am", "one project"]);
    assert_refused(
        &repo,
        &["deploy", K1, "--slot", "dev1"],
        2,
        &[
            ".kickoff.toml:7: invalid value for `slots.compose_project`",
            "the same project for every slot",
            "{slot}",
        ],
    );
    // A per-slot project is fine, by name or by number.
    for (pattern, want) in [("shop-{slot}", "shop-dev2"), ("shop{n}", "shop2")] {
        repo.write(
            ".kickoff.toml",
            &SLOTS_TOML.replace(
                "deploy = [\"true\"]",
                &format!("deploy = [\"true\"]\ncompose_project = \"{pattern}\""),
            ),
        );
        repo.git(&["commit", "--quiet", "-am", "per-slot project"]);
        repo.ok(&["deploy", K1, "--slot", "dev2", "-q"]);
        let text = std::fs::read_to_string(repo.work.join(".git/kickoff/env/dev2.env")).unwrap();
        assert!(
            text.contains(&format!("COMPOSE_PROJECT_NAME='{want}'\n")),
            "{text}"
        );
    }
}

// ---- case 5: holes in the push policy, through the real `git push` ----------------

fn hooked() -> TestRepo {
    let repo = TestRepo::new();
    repo.ok(&["hook", "install"]);
    repo
}

fn git_push(repo: &TestRepo, args: &[&str], land: bool) -> std::process::Output {
    let mut full = vec!["push"];
    full.extend_from_slice(args);
    let mut cmd = repo.env.git_cmd(&repo.work, &full);
    if land {
        cmd.env("KICKOFF_LAND", "1");
    }
    cmd.output().unwrap()
}

fn push_refused(out: &std::process::Output, needles: &[&str]) -> String {
    let err = stderr(out);
    assert!(!out.status.success(), "push went through:\n{err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
    err
}

fn push_ok(out: &std::process::Output) {
    assert!(out.status.success(), "push failed:\n{}", stderr(out));
}

/// `KICKOFF_LAND=1 git push -f origin HEAD:main` replaced main with unrelated
/// history; landing only ever needs a fast-forward.
#[test]
fn kickoff_land_allows_only_a_fast_forward_of_main() {
    let repo = hooked();
    let main = repo.rev("main").unwrap();
    repo.git(&["checkout", "--quiet", "--orphan", "elsewhere"]);
    repo.commit("evil.txt", "unrelated\n", "Unrelated history");
    let before = repo.origin_refs();
    let out = git_push(&repo, &["-f", "origin", "HEAD:main"], true);
    push_refused(&out, &["[main-protected]", "only a fast-forward"]);
    assert_eq!(before, repo.origin_refs());
    // A rewind is no fast-forward either.
    repo.git(&["checkout", "--quiet", "main"]);
    let next = repo.commit("a.txt", "a\n", "Landed work");
    push_ok(&git_push(&repo, &["origin", "main"], true));
    assert_eq!(repo.origin_refs()["refs/heads/main"], next);
    let out = git_push(
        &repo,
        &["-f", "origin", &format!("{main}:refs/heads/main")],
        true,
    );
    push_refused(&out, &["only a fast-forward"]);
    assert_eq!(repo.origin_refs()["refs/heads/main"], next);
}

/// An annotated `name` on `commit` with the message `kickoff release` writes
/// (`version` as in the subject, `vX.Y.Z`).
fn platform_tag(
    repo: &TestRepo,
    name: &str,
    version: &str,
    kickoff: &str,
    base: &str,
    commit: &str,
) {
    let message = format!(
        "platform {version}: {kickoff}\n\nKickoff: {kickoff}\nKickoff-Base: {base}\nDeploy-Date: 2024-06-03\nTicket: DASH-101\n"
    );
    repo.git(&["tag", "-a", name, "-m", &message, commit]);
}

/// An annotated `platform/v1.6.0+build.5` with every trailer was accepted,
/// then ignored by `versions`, and could not be deleted; neither could a tag
/// under `platform/` that is no version at all.
#[test]
fn platform_tags_with_build_metadata_are_refused_and_junk_may_be_deleted() {
    let repo = hooked();
    let base = repo.rev("main").unwrap();
    repo.git(&["checkout", "--quiet", "-b", "kickoff-240510-dashboard"]);
    let tip = repo.commit("k.txt", "k\n", "DASH-101 work");
    push_ok(&git_push(
        &repo,
        &["origin", "kickoff-240510-dashboard"],
        false,
    ));
    let tag = "platform/v1.6.0+build.5";
    platform_tag(
        &repo,
        tag,
        "v1.6.0+build.5",
        "kickoff-240510-dashboard",
        &base,
        &tip,
    );
    let before = repo.origin_refs();
    push_refused(
        &git_push(&repo, &["origin", tag], false),
        &["[platform-tag]", "without build metadata"],
    );
    assert_eq!(before, repo.origin_refs());
    // `kickoff release` refuses build metadata too, as bad input.
    assert_refused(
        &repo,
        &[
            "release",
            "--platform",
            "1.6.0+build.5",
            "--kickoff",
            "kickoff-240510-dashboard",
            "--no-push",
        ],
        2,
        &["build metadata"],
    );
    // Tags that got there anyway (pushed around the hook) may be deleted.
    for junk in [tag, "platform/oops"] {
        repo.origin_git(&["tag", junk, &tip]);
        push_ok(&git_push(
            &repo,
            &["origin", &format!(":refs/tags/{junk}")],
            false,
        ));
        assert!(
            !repo
                .origin_refs()
                .contains_key(&format!("refs/tags/{junk}"))
        );
    }
    // A real platform version stays immutable.
    repo.origin_git(&["tag", "platform/v1.0.0", &tip]);
    push_refused(
        &git_push(&repo, &["origin", ":refs/tags/platform/v1.0.0"], false),
        &["[platform-tag-immutable]"],
    );
    assert!(repo.origin_refs().contains_key("refs/tags/platform/v1.0.0"));
}

/// The shim passed its arguments without `--`, so a remote named `-h` made
/// the hook print its help and exit 0: the push went through unchecked.
#[test]
fn a_remote_named_like_an_option_is_still_checked() {
    let repo = hooked();
    repo.git(&["remote", "add", "--", "-h", repo.origin.to_str().unwrap()]);
    repo.git(&["branch", "wip"]);
    let before = repo.origin_refs();
    let out = git_push(&repo, &["--", "-h", "wip"], false);
    push_refused(&out, &["[branch-name]", "refs/heads/wip"]);
    assert!(!stderr(&out).contains("Usage:"), "{}", stderr(&out));
    assert_eq!(before, repo.origin_refs());
    let hook = std::fs::read_to_string(repo.work.join(".git/hooks/pre-push")).unwrap();
    assert!(hook.contains("hook pre-push -- \"$@\""), "{hook}");
}

// ---- case 6: terminal control from names, messages and shared state ------------------

const HOSTILE: &str = "Eve\x1b]0;pwned\x07\x1b[2J\u{9b}31m";

/// Neither stream carries a raw control character other than line breaks
/// and tabs, nor a line that starts like one kickoff did not write.
fn assert_inert(what: &str, out: &std::process::Output) {
    if std::env::var_os("PEEK").is_some() {
        eprintln!("== {what}\n{}{}", stdout(out), stderr(out));
    }
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        let bad: Vec<char> = text
            .chars()
            .filter(|c| c.is_control() && !matches!(c, '\n' | '\t'))
            .collect();
        assert!(bad.is_empty(), "{what}: raw {bad:?} on {stream}:\n{text}");
        assert!(
            !text.lines().any(|l| l.starts_with("warning: forged")),
            "{what}: a forged line on {stream}:\n{text}"
        );
    }
}

/// Put `files` (path, content) into origin's state ref as one more commit.
fn forge_state(repo: &TestRepo, files: &[(&str, &str)]) {
    let index = repo.env.path().join("forge-index");
    let git = |args: &[&str], input: Option<&[u8]>| -> String {
        let mut cmd = repo.env.git_cmd(&repo.origin, args);
        cmd.env("GIT_INDEX_FILE", &index);
        if input.is_some() {
            cmd.stdin(std::process::Stdio::piped());
        }
        cmd.stdout(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        if let Some(bytes) = input {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(bytes).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "git {args:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    git(&["read-tree", "refs/kickoff/state"], None);
    let mut info = Vec::new();
    for (path, content) in files {
        let blob = git(&["hash-object", "-w", "--stdin"], Some(content.as_bytes()));
        info.extend_from_slice(format!("100644 {blob}\t{path}\0").as_bytes());
    }
    git(&["update-index", "-z", "--index-info"], Some(&info));
    let tree = git(&["write-tree"], None);
    let commit = git(
        &[
            "commit-tree",
            tree.as_str(),
            "-p",
            "refs/kickoff/state",
            "-m",
            "forged",
        ],
        None,
    );
    git(&["update-ref", "refs/kickoff/state", commit.as_str()], None);
}

#[test]
fn names_and_messages_cannot_drive_the_terminal() {
    let repo = slots_repo(SLOTS_TOML, &["alpha"]);
    // A teammate whose git identity carries escape sequences cannot claim: the
    // lease would be unreadable (so look free) to everyone else.
    let before = repo.snapshot();
    let out = repo
        .kickoff(&["slot", "claim", K1, "--slot", "dev1"])
        .env("GIT_COMMITTER_NAME", HOSTILE)
        .env("GIT_AUTHOR_NAME", HOSTILE)
        .output()
        .unwrap();
    assert_inert("slot claim", &out);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Eve\\x1b]0;pwned\\x07")
            && stderr(&out).contains("control characters"),
        "{}",
        stderr(&out)
    );
    assert_eq!(before, repo.snapshot());
    repo.ok(&["slot", "claim", K1, "--slot", "dev1"]);
    // Shared state written by hand: a holder name with escapes, a reason with
    // a line break, and a slot file whose name forges a warning line.
    let lease = repo.ok(&["slot", "list", "--json"]);
    assert!(lease.contains("dev1"), "{lease}");
    let toml = format!(
        "kickoff = \"{K1}\"\nsince = \"2024-05-10T12:00:00Z\"\nuntil = \"2099-01-01T00:00:00Z\"\nvia = \"claim\"\nreason = \"x\\nwarning: forged reason\"\n\n[holder]\nname = \"Mallory\\u001b[2J\\u001b]0;pwned\\u0007\"\nemail = \"m@example.com\"\n"
    );
    forge_state(
        &repo,
        &[
            ("slots/dev2.toml", &toml),
            ("slots/dev3\nwarning: forged slot.toml", &toml),
            ("slots/dev4\x1b[2J.toml", &toml),
        ],
    );
    for args in [
        &["slot", "list"][..],
        &["slot", "list", "--json"],
        &["dashboard", "--out", "site"],
        &["deploy", K1, "--dry-run"],
    ] {
        let out = repo.kickoff(args).output().unwrap();
        assert_inert(&format!("{args:?}"), &out);
    }
    let page = std::fs::read_to_string(repo.work.join("site/index.html")).unwrap();
    assert!(!page.contains('\x1b'), "the page holds a raw ESC");

    // Commit messages and tag trailers reach `notes`, `which` and `show`.
    repo.commit_on(
        K1,
        "x.txt",
        "x\n",
        &format!("DASH-9 {HOSTILE}\n\nwarning: forged body"),
    );
    repo.git(&["push", "--quiet", "origin", K1]);
    for args in [
        &["notes", K1][..],
        &["which", "DASH-9"],
        &["status", K1],
        &["list"],
    ] {
        let out = repo.kickoff(args).output().unwrap();
        assert_inert(&format!("{args:?}"), &out);
    }
    let notes = repo.ok(&["notes", K1]);
    assert!(
        notes.contains("DASH-9 Eve\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m"),
        "{notes}"
    );
}

// ---- case 4: credentials in URLs ---------------------------------------------------------

/// Pushing a platform tag to `http://user:SECRET@host/repo.git` made the hook
/// print "... differs from http://user:SECRET@.../kickoff-...". Through a
/// real smart-HTTP remote on 127.0.0.1 (git http-backend behind a small
/// bridge), the hook now shows `user:***@`, like git itself.
#[test]
fn credentials_in_remote_urls_are_never_printed() {
    let repo = hooked();
    let server = common::git_http::GitHttp::serve(&repo.env, repo.env.path());
    let url = server.url("user:SECRET", "origin.git");
    let base = repo.rev("main").unwrap();
    let kickoff = "kickoff-240510-dashboard";
    repo.git(&["checkout", "--quiet", "-b", kickoff]);
    repo.commit("k.txt", "one\n", "DASH-101 work");
    push_ok(&git_push(&repo, &[&url, kickoff], false));
    let local = repo.commit("k.txt", "two\n", "DASH-101 more work");
    platform_tag(&repo, "platform/v1.0.0", "v1.0.0", kickoff, &base, &local);
    let before = repo.origin_refs();
    let out = git_push(&repo, &[&url, "platform/v1.0.0"], false);
    let err = push_refused(
        &out,
        &["[release-rules]", "differs from", "user:***@127.0.0.1"],
    );
    assert!(!err.contains("SECRET"), "{err}");
    assert_eq!(before, repo.origin_refs());

    // A remote that does not answer: kickoff's own error names the URL.
    let dead = format!("http://user:SECRET@127.0.0.1:{}/gone.git", {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    });
    repo.git(&["remote", "set-url", "origin", &dead]);
    for args in [
        &["list", "--fetch"][..],
        &["release", "--bump", "minor", "--dry-run"],
    ] {
        let out = repo.kickoff(args).output().unwrap();
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!text.contains("SECRET"), "{args:?}:\n{text}");
        assert!(text.contains("127.0.0.1"), "{args:?}:\n{text}");
    }
}

// ---- case 7: the dashboard server ----------------------------------------------------------

/// `kickoff dashboard --serve ADDR` in the background; the address it serves.
/// The caller kills and waits for the child.
#[allow(clippy::zombie_processes)]
fn serve(repo: &TestRepo, addr: &str) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("kickoff"));
    cmd.current_dir(&repo.work)
        .args([
            "dashboard",
            "--serve",
            addr,
            "--refresh",
            "3600",
            "--offline",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    repo.env.apply(&mut cmd);
    let mut child = cmd.spawn().unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(err.read_line(&mut line).unwrap() > 0, "server exited");
        if let Some(rest) = line.strip_prefix("serving http://") {
            let addr = rest.split('/').next().unwrap().to_string();
            return (child, addr);
        }
    }
}

fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    body
}

/// Peak memory of a process, in KiB (`VmHWM`).
fn peak_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// One client that sends a byte every few hundred milliseconds blocked every
/// other request, and a request line of 400 MB with no newline grew memory
/// to 418 MB. Now others are served meanwhile, the stalled client is cut off
/// after the head timeout, and a huge request line is refused after 16 KiB.
#[test]
fn dashboard_server_keeps_serving_while_a_client_stalls() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    let repo = slots_repo(SLOTS_TOML, &["alpha"]);
    let (mut child, addr) = serve(&repo, "127.0.0.1:0");
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");

    // The staller: a request head that never ends, one byte at a time.
    let stall_addr = addr.clone();
    let staller = std::thread::spawn(move || {
        let mut s = std::net::TcpStream::connect(&stall_addr).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nX-Slow: ").unwrap();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(15) {
            if s.write_all(b"a").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        start.elapsed()
    });
    std::thread::sleep(Duration::from_millis(500));
    let start = Instant::now();
    for _ in 0..5 {
        let page = http_get(&addr, "/");
        assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
        assert!(page.contains("QA slots"));
    }
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "5 requests beside a stalled client took {:?}",
        start.elapsed()
    );
    assert!(http_get(&addr, "/data.json").contains("\"schema\": 1"));
    let cut_after = staller.join().unwrap();
    assert!(
        cut_after < Duration::from_secs(12),
        "the stalled client was kept for {cut_after:?}"
    );

    // A request line of 64 MiB with no newline: refused early, memory flat.
    let before = peak_kib(child.id());
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let chunk = vec![b'a'; 1 << 20];
    let mut sent = 0usize;
    let _ = s.write_all(b"GET /");
    for _ in 0..64 {
        if s.write_all(&chunk).is_err() {
            break;
        }
        sent += chunk.len();
    }
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "{answer}"
    );
    assert!(
        sent < 64 << 20,
        "the server read all 64 MiB of a request line"
    );
    let grown = peak_kib(child.id()).saturating_sub(before);
    assert!(grown < 16 * 1024, "memory grew by {grown} KiB");
    // Still serving.
    assert!(http_get(&addr, "/").starts_with("HTTP/1.1 200 OK"));
    // Only GET and HEAD.
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// `--serve` without an address listens on this machine only.
#[test]
fn dashboard_serves_on_localhost_by_default() {
    let repo = slots_repo(SLOTS_TOML, &[]);
    let out = repo
        .kickoff(&["dashboard", "--serve", "--help"])
        .output()
        .unwrap();
    assert!(stdout(&out).contains("127.0.0.1:8080"), "{}", stdout(&out));
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("kickoff"));
    cmd.current_dir(&repo.work)
        .args(["dashboard", "--serve", "--offline"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    repo.env.apply(&mut cmd);
    let mut child = cmd.spawn().unwrap();
    let mut first = String::new();
    {
        use std::io::BufRead;
        let mut err = std::io::BufReader::new(child.stderr.as_mut().unwrap());
        err.read_line(&mut first).unwrap();
    }
    let _ = child.kill();
    let _ = child.wait();
    // The port may be taken on this machine; the address is what matters.
    assert!(
        first.starts_with("serving http://127.0.0.1:8080/")
            || first.contains("cannot listen on 127.0.0.1:8080"),
        "{first}"
    );
}

// ---- the same policy where `--no-verify` cannot skip it -----------------------------------

/// A repository whose bare origin runs `kickoff hook pre-receive`, and no
/// pre-push hook on the client (as after `git push --no-verify`).
fn guarded_origin() -> TestRepo {
    let repo = TestRepo::new();
    let bin = assert_cmd::cargo::cargo_bin("kickoff");
    let hook = repo.origin.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        format!("#!/bin/sh\nexec '{}' hook pre-receive\n", bin.display()),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    repo.origin_git(&["config", "receive.advertisePushOptions", "true"]);
    repo
}

#[test]
fn pre_receive_applies_the_pre_push_rules_on_the_remote() {
    let repo = guarded_origin();
    let base = repo.rev("main").unwrap();
    // Branch names.
    repo.git(&["branch", "wip"]);
    let before = repo.origin_refs();
    push_refused(
        &git_push(&repo, &["origin", "wip"], false),
        &["remote: refused: refs/heads/wip [branch-name]"],
    );
    assert_eq!(before, repo.origin_refs());
    // A kickoff and a correct platform tag arrive (objects read from the quarantine).
    let kickoff = "kickoff-240510-dashboard";
    repo.git(&["checkout", "--quiet", "-b", kickoff]);
    let tip = repo.commit("k.txt", "k\n", "DASH-101 work");
    push_ok(&git_push(&repo, &["origin", kickoff], false));
    platform_tag(&repo, "platform/v1.0.0", "v1.0.0", kickoff, &base, &tip);
    push_ok(&git_push(&repo, &["origin", "platform/v1.0.0"], false));
    // Build metadata refused; deleting the released tag refused; junk may go.
    platform_tag(
        &repo,
        "platform/v1.6.0+build.5",
        "v1.6.0+build.5",
        kickoff,
        &base,
        &tip,
    );
    push_refused(
        &git_push(&repo, &["origin", "platform/v1.6.0+build.5"], false),
        &["[platform-tag]", "without build metadata"],
    );
    push_refused(
        &git_push(&repo, &["origin", ":refs/tags/platform/v1.0.0"], false),
        &["[platform-tag-immutable]"],
    );
    repo.origin_git(&["tag", "platform/oops", &tip]);
    push_ok(&git_push(
        &repo,
        &["origin", ":refs/tags/platform/oops"],
        false,
    ));
    // Main: refused, a landing fast-forward passes, a landing force push does not.
    repo.git(&["checkout", "--quiet", "main"]);
    let next = repo.commit("a.txt", "a\n", "Landed");
    push_refused(
        &git_push(&repo, &["origin", "main"], false),
        &["[main-protected]"],
    );
    push_ok(&git_push(
        &repo,
        &["-o", "KICKOFF_LAND=1", "origin", "main"],
        false,
    ));
    assert_eq!(repo.origin_refs()["refs/heads/main"], next);
    repo.git(&["checkout", "--quiet", "--orphan", "evil"]);
    repo.commit("evil.txt", "x\n", "Unrelated");
    let before = repo.origin_refs();
    push_refused(
        &git_push(
            &repo,
            &["-f", "-o", "KICKOFF_LAND=1", "origin", "HEAD:main"],
            false,
        ),
        &["only a fast-forward"],
    );
    assert_eq!(before, repo.origin_refs());
}

#[test]
fn hook_check_applies_the_rules_to_a_range_in_ci() {
    let repo = TestRepo::new();
    let main = repo.rev("main").unwrap();
    let next = repo.commit("a.txt", "a\n", "Next");
    let zeros = "0".repeat(40);
    let check = |range: &str, r: &str, land: bool| {
        let mut cmd = repo.kickoff(&["hook", "check", "--range", range, "--ref", r]);
        if land {
            cmd.env("KICKOFF_LAND", "1");
        }
        cmd.output().unwrap()
    };
    let out = check(&format!("{main}..{next}"), "refs/heads/main", false);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("[main-protected]"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        check(&format!("{main}..{next}"), "refs/heads/main", true)
            .status
            .code(),
        Some(0)
    );
    let out = check(&format!("{next}..{main}"), "refs/heads/main", true);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("only a fast-forward"),
        "{}",
        stderr(&out)
    );
    let out = check(&format!("{zeros}..HEAD"), "refs/heads/wip", false);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("[branch-name]"), "{}", stderr(&out));
    assert_eq!(
        check(
            &format!("{zeros}..HEAD"),
            "refs/heads/feature/DASH-1",
            false
        )
        .status
        .code(),
        Some(0)
    );
    assert_refused(
        &repo,
        &[
            "hook",
            "check",
            "--range",
            "HEAD",
            "--ref",
            "refs/heads/main",
        ],
        2,
        &["is not OLD..NEW"],
    );
    assert_refused(
        &repo,
        &["hook", "check", "--range", "a..b", "--ref", "main"],
        2,
        &["not a full ref name"],
    );
}
