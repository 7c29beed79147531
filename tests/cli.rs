//! Command-line surface shared by the core commands: completion scripts and
//! `.kickoff.toml` errors as the binary reports them.

mod common;
use common::*;

#[test]
fn completions_for_each_shell() {
    let env = TestEnv::new();
    for (shell, marker) in [
        ("bash", "complete -F _kickoff"),
        ("zsh", "#compdef kickoff"),
        ("fish", "complete -c kickoff"),
    ] {
        let out = env
            .kickoff_cmd(env.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(script.contains(marker), "{shell}:\n{script}");
        for sub in ["feature", "sync", "list", "status", "demo", "completions"] {
            assert!(script.contains(sub), "{shell} lacks {sub}");
        }
        if shell == "bash" {
            // The script is valid bash.
            let path = env.path().join("kickoff.bash");
            std::fs::write(&path, &script).unwrap();
            let check = std::process::Command::new("bash")
                .arg("-n")
                .arg(&path)
                .output()
                .unwrap();
            assert!(check.status.success(), "{}", stderr(&check));
        }
    }
    let out = env
        .kickoff_cmd(env.path())
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("possible values: bash, zsh, fish"));
}

#[test]
fn config_errors_name_file_line_and_key() {
    let repo = TestRepo::new();
    new_kickoff(&repo, "dashboard", "240510");
    repo.write(
        ".kickoff.toml",
        "[core]\nremote = \"origin\"\nmian_branch = \"main\"\n",
    );
    for args in [
        &["list"][..],
        &["status", "kickoff-240510-dashboard"],
        &["feature", "DASH-1", "--kickoff", "kickoff-240510-dashboard"],
        &["sync", "kickoff-240510-dashboard"],
    ] {
        let err = assert_refused(&repo, args, 2, &[".kickoff.toml:3:", "mian_branch"]);
        assert!(err.contains("hint:"), "{err}");
    }
    repo.write(".kickoff.toml", "[core]\npush = true\n[naming\n");
    assert_refused(&repo, &["list", "--json"], 2, &[".kickoff.toml:3:"]);
    repo.write(".kickoff.toml", "[naming]\n\nticket_pattern = \"[A-\"\n");
    assert_refused(
        &repo,
        &["feature", "DASH-1"],
        2,
        &[".kickoff.toml:3: invalid value for `naming.ticket_pattern`"],
    );
}

#[test]
fn config_main_branch_and_remote_are_used() {
    let repo = TestRepo::new();
    repo.git(&["branch", "-m", "main", "trunk"]);
    repo.git(&["push", "--quiet", "-u", "origin", "trunk"]);
    repo.git(&["remote", "rename", "origin", "upstream"]);
    repo.write(
        ".kickoff.toml",
        "[core]\nmain_branch = \"trunk\"\nremote = \"upstream\"\n",
    );
    repo.kickoff(&["new", "dash", "--date", "240510"])
        .assert()
        .success();
    let out = repo.kickoff(&["list", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["main"]["ref"], "refs/remotes/upstream/trunk");
    assert_eq!(doc["kickoffs"][0]["remote"], doc["kickoffs"][0]["local"]);
}

#[test]
fn core_commands_refuse_outside_a_repository_and_in_a_bare_one() {
    let repo = TestRepo::new();
    new_kickoff(&repo, "dashboard", "240510");
    let origin_before = repo.origin_refs();
    let outside = repo.env.path().join("home");
    for args in [
        &["feature", "DASH-1", "--kickoff", "kickoff-240510-dashboard"][..],
        &["sync", "kickoff-240510-dashboard"],
        &["sync", "--continue"],
        &["sync", "--abort"],
        &["list"],
        &["status", "kickoff-240510-dashboard", "--json"],
    ] {
        let out = repo.env.kickoff_cmd(&outside).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("not inside a git repository"),
            "{args:?}"
        );
        assert!(stderr(&out).contains("hint:"), "{args:?}");
        let out = repo
            .env
            .kickoff_cmd(&repo.origin)
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("bare repository"), "{args:?}");
    }
    assert_eq!(origin_before, repo.origin_refs());
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}

#[test]
fn list_and_status_fetch_first_when_asked() {
    let repo = TestRepo::new();
    let k = new_kickoff(&repo, "dashboard", "240510");
    let mate = repo.clone_to("mate");
    repo.git_in(&mate, &["checkout", "--quiet", &k]);
    let theirs = repo.commit_in(&mate, "m.txt", "m\n", "Mate's work");
    repo.git_in(&mate, &["push", "--quiet", "origin", &k]);
    let json = |args: &[&str]| -> serde_json::Value {
        let out = repo.kickoff(args).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // Without --fetch: what the last fetch saw.
    let doc = json(&["status", &k, "--json"]);
    assert_eq!(doc["upstream"]["state"], "in-sync");
    let doc = json(&["status", &k, "--json", "--fetch"]);
    assert_eq!(doc["upstream"]["state"], "behind");
    assert_eq!(doc["kickoff"]["remote"], theirs.as_str());
    let doc = json(&["list", "--json", "--fetch"]);
    assert_eq!(doc["kickoffs"][0]["remote"], theirs.as_str());
}

/// Regression: an unreachable remote printed git's failure with no next step.
#[test]
fn an_unreachable_remote_is_refused_with_a_hint() {
    let repo = TestRepo::new();
    new_kickoff(&repo, "dashboard", "240510");
    let gone = repo.env.path().join("gone.git");
    repo.git(&["remote", "set-url", "origin", gone.to_str().unwrap()]);
    for args in [
        &["new", "billing", "--date", "240512"][..],
        &["feature", "DASH-1", "--kickoff", "kickoff-240510-dashboard"],
        &["sync", "kickoff-240510-dashboard"],
        &["list", "--fetch"],
    ] {
        assert_refused(
            &repo,
            args,
            1,
            &[
                "does not appear to be a git repository",
                "hint: check that the remote is reachable",
            ],
        );
    }
}

/// Regression: on a detached HEAD, `status` and `sync` said "name the kickoff
/// with KICKOFF" while the other commands said "the KICKOFF argument".
#[test]
fn a_detached_head_gets_the_same_refusal_from_every_command() {
    let repo = TestRepo::new();
    let k = new_kickoff(&repo, "dashboard", "240510");
    repo.git(&["switch", "--quiet", "--detach", &k]);
    for (args, flag) in [
        (&["status"][..], "the KICKOFF argument"),
        (&["sync"], "the KICKOFF argument"),
        (&["land"], "the KICKOFF argument"),
        (&["feature", "DASH-1"], "--kickoff"),
        (&["release", "--platform", "1.0.0"], "--kickoff"),
    ] {
        assert_refused(
            &repo,
            args,
            2,
            &[
                "HEAD is detached, so no kickoff is implied",
                &k,
                &format!("hint: name the kickoff with {flag}, or check out"),
            ],
        );
    }
}

/// Regression: `-C`, `--yes` and `--quiet` were mixed in among each
/// command's own options; they now sit under their own heading, last.
#[test]
fn every_help_lists_the_global_options_under_their_own_heading() {
    let env = TestEnv::new();
    let commands: &[&[&str]] = &[
        &[],
        &["init"],
        &["new"],
        &["feature"],
        &["sync"],
        &["list"],
        &["status"],
        &["release"],
        &["versions"],
        &["show"],
        &["which"],
        &["notes"],
        &["land"],
        &["conflicts"],
        &["hook", "install"],
        &["hook", "pre-push"],
        &["slot", "claim"],
        &["slot", "release"],
        &["slot", "renew"],
        &["slot", "routes"],
        &["deploy"],
        &["dashboard"],
        &["demo"],
        &["completions"],
    ];
    for cmd in commands {
        for flag in ["-h", "--help"] {
            let out = env
                .kickoff_cmd(env.path())
                .args(*cmd)
                .arg(flag)
                .output()
                .unwrap();
            let help = stdout(&out);
            assert!(out.status.success(), "{cmd:?} {flag}: {}", stderr(&out));
            let (own, global) = help
                .split_once("\nGlobal options:\n")
                .unwrap_or_else(|| panic!("{cmd:?} {flag}: no global heading:\n{help}"));
            for option in ["-C <DIR>", "--yes", "--quiet"] {
                assert!(global.contains(option), "{cmd:?} {flag} lacks {option}");
                assert!(
                    !own.contains(option),
                    "{cmd:?} {flag}: {option} is misplaced"
                );
            }
        }
    }
}

/// Regression: `-C` with a missing directory said so but gave no next step.
#[test]
fn a_missing_dash_c_directory_is_bad_usage_with_a_hint() {
    let repo = TestRepo::new();
    let missing = repo.env.path().join("missing");
    assert_refused(
        &repo,
        &["-C", missing.to_str().unwrap(), "new", "dashboard"],
        2,
        &[
            "missing is not a directory",
            "hint: give -C an existing directory",
        ],
    );
    assert!(!missing.exists());
}

/// Regression: a `core.remote` naming no remote of the repository silently
/// turned off every fetch and push.
#[test]
fn a_core_remote_that_does_not_exist_is_warned_about() {
    let repo = TestRepo::new();
    repo.write(".kickoff.toml", "[core]\nremote = \"upstream\"\n");
    let out = repo
        .kickoff(&["new", "dash", "--date", "240510"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "warning: there is no remote `upstream` (core.remote), so nothing is fetched or pushed; this repository has: origin."
        ),
        "{}",
        stderr(&out)
    );
    // As it said: the branch exists here only.
    assert!(repo.refs().contains_key("refs/heads/kickoff-240510-dash"));
    assert!(
        !repo
            .origin_refs()
            .contains_key("refs/heads/kickoff-240510-dash")
    );
    // A repository without any remote is a normal setup: no warning.
    let solo = TestRepo::without_remote();
    let out = solo.kickoff(&["list"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
}

/// Regression: the bare-repository refusal printed the path with a trailing
/// slash (`origin.git/ is a bare repository`).
#[test]
fn the_bare_repository_refusal_names_the_path_as_given() {
    let repo = TestRepo::new();
    let out = repo
        .env
        .kickoff_cmd(&repo.origin)
        .arg("list")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let expected = format!(
        "error: {} is a bare repository; kickoff needs a work tree\n",
        repo.origin.canonicalize().unwrap().display()
    );
    assert!(stderr(&out).starts_with(&expected), "{}", stderr(&out));
}

/// Regression: `--json` was described four different ways; every one now
/// names the schema version and the document that describes it.
#[test]
fn every_json_option_names_its_schema_and_document() {
    let env = TestEnv::new();
    for cmd in [
        &["list"][..],
        &["status"],
        &["versions"],
        &["show"],
        &["which"],
        &["notes"],
        &["conflicts"],
        &["hook", "status"],
        &["slot", "list"],
        &["slot", "claim"],
        &["slot", "release"],
        &["slot", "renew"],
        &["slot", "routes"],
        &["deploy"],
    ] {
        let out = env
            .kickoff_cmd(env.path())
            .args(cmd)
            .arg("--help")
            .output()
            .unwrap();
        let help = stdout(&out);
        // The description follows the flag on its line or on the next one.
        let line: String = help
            .lines()
            .skip_while(|l| !l.trim_start().starts_with("--json"))
            .take(2)
            .collect();
        assert!(
            line.contains("JSON (`\"schema\": 1`, see docs/"),
            "{cmd:?}: {line:?}"
        );
    }
}
