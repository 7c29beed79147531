//! `kickoff slot`, `kickoff deploy` and `kickoff dashboard`: leases, the
//! queue, deployment records and the refusals, read back from the state ref.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;

const K1: &str = "kickoff-240510-alpha";
const K2: &str = "kickoff-240510-beta";
const K3: &str = "kickoff-240510-gamma";
const K4: &str = "kickoff-240510-delta";
const K5: &str = "kickoff-240510-omega";

fn json(cmd: impl std::borrow::BorrowMut<assert_cmd::Command>) -> Value {
    serde_json::from_str(&ok(cmd)).expect("JSON on stdout")
}

/// A lease file on origin, parsed.
fn lease(repo: &TestRepo, slot: &str) -> Option<toml::Value> {
    state_file(
        &repo.env,
        &repo.origin,
        "refs/kickoff/state",
        &format!("slots/{slot}.toml"),
    )
    .map(|t| toml::from_str(&t).unwrap())
}

fn at(minutes: i64) -> String {
    format!("@{}", EPOCH + minutes * 60)
}

#[test]
fn claim_list_release_round_trip() {
    let repo = pool();
    let out = ok(repo.kickoff(&["slot", "claim", K1, "--reason", "QA round 1"]));
    assert_eq!(out, "dev1\n");
    let l = lease(&repo, "dev1").expect("dev1 leased on origin");
    assert_eq!(l["kickoff"].as_str(), Some(K1));
    assert_eq!(l["holder"]["email"].as_str(), Some("ada@example.com"));
    assert_eq!(l["reason"].as_str(), Some("QA round 1"));
    // Local ref, tracking ref and origin agree.
    let refs = repo.refs();
    let origin = repo.origin_refs();
    assert_eq!(refs["refs/kickoff/state"], origin["refs/kickoff/state"]);
    assert_eq!(
        refs["refs/kickoff/remotes/origin/state"],
        origin["refs/kickoff/state"]
    );

    let board = json(repo.kickoff(&["slot", "list", "--json"]));
    assert_eq!(board["schema"], 1);
    let slots = board["slots"].as_array().unwrap();
    assert_eq!(slots.len(), 4);
    assert_eq!(slots[0]["status"], "held");
    assert_eq!(slots[0]["kickoff"], K1);
    assert_eq!(slots[1]["status"], "free");
    assert_eq!(slots[2]["apps"][1]["port"], 8083);
    assert_eq!(
        slots[2]["apps"][2]["url"],
        "https://django-dev3.dev.example.com/"
    );
    let text = ok(repo.kickoff(&["slot", "list"]));
    assert!(text.contains("dev1  held"), "{text}");
    assert!(
        text.contains("https://spring-dev4.dev.example.com/"),
        "{text}"
    );

    // A teammate sees it after a fetch, and only without --offline.
    let mate = repo.clone_to("mate");
    let offline = json(
        repo.env
            .kickoff_cmd(&mate)
            .args(["slot", "list", "--json", "--offline"]),
    );
    assert_eq!(offline["slots"][0]["status"], "free");
    let online = json(repo.env.kickoff_cmd(&mate).args(["slot", "list", "--json"]));
    assert_eq!(online["slots"][0]["kickoff"], K1);

    ok(repo.kickoff(&["slot", "release", "dev1"]));
    assert!(lease(&repo, "dev1").is_none());
    let history = repo.origin_git(&["log", "--format=%s", "refs/kickoff/state"]);
    assert_eq!(
        history.lines().collect::<Vec<_>>(),
        [
            "kickoff state: release dev1: by Ada Tester",
            &format!("kickoff state: claim any slot: {K1} by Ada Tester"),
        ]
    );
}

#[test]
fn full_pool_refuses_with_holders_then_queue_is_promoted() {
    let repo = pool();
    for k in [K1, K2, K3, K4] {
        ok(repo.kickoff(&["slot", "claim", k]));
    }
    let err = assert_refused(
        &repo,
        &["slot", "claim", K5],
        1,
        &[
            "every slot is taken",
            "dev3: kickoff-240510-gamma (Ada Tester <ada@example.com>) until",
            "hint:",
            "--queue",
        ],
    );
    assert!(err.contains("dev4"), "{err}");
    let q = json(repo.kickoff(&["slot", "claim", K5, "--queue", "--json"]));
    assert_eq!(q["outcome"]["result"], "queued");
    assert_eq!(q["outcome"]["position"], 1);
    let board = json(repo.kickoff(&["slot", "list", "--json"]));
    assert_eq!(board["queue"][0]["kickoff"], K5);
    // Queuing twice is refused.
    assert_refused(
        &repo,
        &["slot", "claim", K5, "--queue"],
        1,
        &["already waiting"],
    );
    ok(repo.kickoff(&["slot", "release", "dev3"]));
    let l = lease(&repo, "dev3").unwrap();
    assert_eq!(l["kickoff"].as_str(), Some(K5));
    assert_eq!(l["via"].as_str(), Some("queue"));
    assert!(state_file(&repo.env, &repo.origin, "refs/kickoff/state", "queue.toml").is_none());
}

#[test]
fn named_slot_held_is_refused_and_one_slot_per_kickoff() {
    let repo = pool();
    ok(repo.kickoff(&["slot", "claim", K1, "--slot", "dev2"]));
    assert_refused(
        &repo,
        &["slot", "claim", K2, "--slot", "dev2"],
        1,
        &["dev2 is held by kickoff-240510-alpha", "until"],
    );
    assert_refused(
        &repo,
        &["slot", "claim", K1, "--slot", "dev3"],
        1,
        &[
            "kickoff-240510-alpha already holds dev2",
            "release it first",
        ],
    );
    // Claiming what you hold changes nothing and says so.
    let before = repo.origin_refs();
    let out = repo.kickoff(&["slot", "claim", K1]).output().unwrap();
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("already holds dev2"),
        "{}",
        stderr(&out)
    );
    assert_eq!(before, repo.origin_refs());
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let repo = pool();
    ok(repo.kickoff(&["slot", "claim", K1]));
    assert_refused(
        &repo,
        &["slot", "claim", K2, "--slot", "dev9"],
        2,
        &["no slot named \"dev9\"", "dev1, dev2, dev3, dev4"],
    );
    assert_refused(&repo, &["slot", "release", "dev9"], 2, &["dev9"]);
    assert_refused(&repo, &["slot", "renew", "dev9"], 2, &["dev9"]);
    assert_refused(&repo, &["deploy", K2, "--slot", "dev9"], 2, &["dev9"]);
    assert_refused(
        &repo,
        &["slot", "claim", K2, "--ttl", "-3d"],
        2,
        &["invalid lease time \"-3d\"", "cannot be negative", "hint:"],
    );
    assert_refused(
        &repo,
        &["slot", "claim", K2, "--ttl", "forever"],
        2,
        &["invalid lease time \"forever\""],
    );
    assert_refused(
        &repo,
        &["slot", "renew", "dev1", "--ttl", "0d"],
        2,
        &["longer than zero"],
    );
    assert_refused(&repo, &["deploy", K2, "--ttl", "forever"], 2, &["forever"]);
    assert_refused(&repo, &["slot", "release", "dev2"], 1, &["dev2 is free"]);
    assert_refused(
        &repo,
        &["slot", "claim", K2, "--reason", "two\nlines"],
        2,
        &["--reason must be one line"],
    );
    assert_refused(
        &repo,
        &["slot", "claim", "kickoff-240510-nope"],
        1,
        &["no kickoff named kickoff-240510-nope"],
    );
}

#[test]
fn port_clash_in_config_is_refused_with_file_line_and_key() {
    let repo = pool();
    ok(repo.kickoff(&["slot", "claim", K1]));
    let clash = SLOTS_TOML.replace("base_port = 8081", "base_port = 3003");
    repo.commit(".kickoff.toml", &clash, "Clashing ports");
    let err = assert_refused(
        &repo,
        &["slot", "list"],
        2,
        &[
            ".kickoff.toml:16: invalid value for `slots.apps.base_port`",
            "port clash: spring in dev1 and frontend in dev3 would both get port 3003",
            "hint:",
        ],
    );
    assert!(!err.contains("caused by"), "{err}");
    assert_refused(&repo, &["slot", "claim", K2], 2, &["port clash"]);
    assert_refused(&repo, &["deploy", K2], 2, &["port clash"]);
}

#[test]
fn no_pool_configured_is_a_usage_error() {
    let repo = TestRepo::new();
    assert_refused(
        &repo,
        &["slot", "list"],
        2,
        &["no QA slots are configured", "[slots]"],
    );
    assert_refused(&repo, &["dashboard", "--out", "site"], 2, &["no QA slots"]);
}

/// Regression: a [slots] section without `names` ignored every other key, so
/// `lease = "forever"` passed unnoticed (and `kickoff list` ran on).
#[test]
fn slot_keys_without_slot_names_are_a_config_error() {
    let repo = TestRepo::new();
    repo.commit(
        ".kickoff.toml",
        "[slots]\nlease = \"forever\"\n",
        "Slots without names",
    );
    for args in [&["slot", "list"][..], &["list"]] {
        assert_refused(
            &repo,
            args,
            2,
            &[
                ".kickoff.toml:2: invalid value for `slots.names`",
                "`slots.lease` is set but there are no slot names",
                "hint:",
            ],
        );
    }
}

#[test]
fn expired_lease_is_taken_over_and_the_takeover_recorded() {
    let repo = pool();
    ok(repo
        .kickoff(&["slot", "claim", K1, "--slot", "dev1", "--ttl", "1h"])
        .env("KICKOFF_NOW", at(0)));
    let board = json(
        repo.kickoff(&["slot", "list", "--json"])
            .env("KICKOFF_NOW", at(61)),
    );
    assert_eq!(board["slots"][0]["status"], "expired");
    // Not yet expired: refused. Expired: taken over by another person.
    let mut early = repo.kickoff(&["slot", "claim", K2, "--slot", "dev1"]);
    early.env("KICKOFF_NOW", at(59));
    assert_eq!(early.output().unwrap().status.code(), Some(1));
    let out = repo
        .kickoff(&["slot", "claim", K2, "--slot", "dev1"])
        .env("KICKOFF_NOW", at(61))
        .env("GIT_COMMITTER_NAME", "Bob Builder")
        .env("GIT_COMMITTER_EMAIL", "bob@example.com")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("taken over (recorded)"),
        "{}",
        stderr(&out)
    );
    let l = lease(&repo, "dev1").unwrap();
    assert_eq!(l["kickoff"].as_str(), Some(K2));
    assert_eq!(l["via"].as_str(), Some("takeover"));
    assert_eq!(l["took_over_from"]["kickoff"].as_str(), Some(K1));
    assert_eq!(
        l["took_over_from"]["holder"]["email"].as_str(),
        Some("ada@example.com")
    );
}

#[test]
fn release_and_renew_of_another_persons_slot_need_force() {
    let repo = pool();
    ok(repo
        .kickoff(&["slot", "claim", K1, "--slot", "dev2", "--ttl", "1d"])
        .env("KICKOFF_NOW", at(0)));
    let before = repo.origin_refs();
    let out = repo
        .kickoff(&["slot", "release", "dev2"])
        .env("GIT_COMMITTER_EMAIL", "bob@example.com")
        .env("KICKOFF_NOW", at(1))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("held by Ada Tester"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(before, repo.origin_refs());

    ok(repo
        .kickoff(&["slot", "renew", "dev2", "--ttl", "2d"])
        .env("KICKOFF_NOW", at(60)));
    let l = lease(&repo, "dev2").unwrap();
    assert_eq!(l["until"].as_str(), Some("2024-05-12T13:00:00Z"));

    ok(repo
        .kickoff(&["slot", "release", "dev2", "--force"])
        .env("GIT_COMMITTER_EMAIL", "bob@example.com"));
    assert!(lease(&repo, "dev2").is_none());
}

#[test]
fn dry_run_changes_nothing() {
    let repo = pool();
    let before = repo.snapshot();
    let out = repo
        .kickoff(&["slot", "claim", K1, "--dry-run"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("dry run: nothing changed\nwould have claimed dev1"),
        "{}",
        stderr(&out)
    );
    let out = repo.kickoff(&["deploy", K1, "--dry-run"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("FRONTEND_PORT='3001'"),
        "{}",
        stderr(&out)
    );
    // Same first line as every other command's dry run.
    assert!(
        stderr(&out).starts_with("dry run: nothing changed\n"),
        "{}",
        stderr(&out)
    );
    assert_eq!(before, repo.snapshot());
    assert!(!repo.work.join(".git/kickoff/env/dev1.env").exists());
}

/// A deploy script that records its arguments and environment.
fn deploy_script(repo: &TestRepo, exit: i32) {
    let script = format!(
        "#!/bin/sh\necho \"deploying $KICKOFF_KICKOFF to $KICKOFF_SLOT\"\nprintf '%s\\n' \"$@\" > \"$KICKOFF_ENV_FILE.args\"\nenv | grep '^KICKOFF_' | sort > \"$KICKOFF_ENV_FILE.vars\"\nexit {exit}\n"
    );
    repo.write("deploy.sh", &script);
    std::fs::set_permissions(
        repo.work.join("deploy.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let config = SLOTS_TOML.replace(
        "deploy = [\"true\"]",
        "deploy = [\"./deploy.sh\", \"{env_file}\", \"{slot}\", \"{image_tag}\"]",
    );
    repo.write(".kickoff.toml", &config);
}

fn records(repo: &TestRepo) -> Vec<Value> {
    state_paths(&repo.env, &repo.origin, "refs/kickoff/state")
        .into_iter()
        .filter(|p| p.starts_with("deployments/"))
        .map(|p| {
            serde_json::from_str(
                &state_file(&repo.env, &repo.origin, "refs/kickoff/state", &p).unwrap(),
            )
            .unwrap()
        })
        .collect()
}

#[test]
fn deploy_claims_writes_the_env_file_runs_the_command_and_records() {
    let repo = pool();
    deploy_script(&repo, 0);
    let tip = repo.rev(&format!("origin/{K2}")).unwrap();
    // Released elsewhere: the tag is only on the remote; deploy fetches it.
    repo.origin_git(&[
        "tag",
        "-a",
        "platform/v1.4.0",
        "-m",
        &format!("platform v1.4.0: {K2}"),
        "-m",
        &format!("Kickoff: {K2}"),
        &tip,
    ]);
    let out = repo
        .kickoff(&["deploy", K2, "--slot", "dev3"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("deploying kickoff-240510-beta to dev3"),
        "{err}"
    );
    let file = stdout(&out).trim().to_string();
    assert!(file.ends_with(".json") && file.contains("-dev3-"), "{file}");

    let env_file = repo.work.join(".git/kickoff/env/dev3.env");
    let env = std::fs::read_to_string(&env_file).unwrap();
    for line in [
        "COMPOSE_PROJECT_NAME='dev3'",
        "FRONTEND_PORT='3003'",
        "SPRING_PORT='8083'",
        "DJANGO_URL='https://django-dev3.dev.example.com/'",
        &format!("KICKOFF_COMMIT='{tip}'"),
        &format!("SPRING_IMAGE_TAG='{K2}-{}'", &tip[..12]),
        "KICKOFF_PLATFORM_VERSION='1.4.0'",
        "KICKOFF_TICKETS='DASH-2'",
    ] {
        assert!(env.lines().any(|l| l == line), "{line} missing:\n{env}");
    }
    let args = std::fs::read_to_string(repo.work.join(".git/kickoff/env/dev3.env.args")).unwrap();
    assert_eq!(
        args,
        format!("{}\ndev3\n{K2}-{}\n", env_file.display(), &tip[..12])
    );
    let vars = std::fs::read_to_string(repo.work.join(".git/kickoff/env/dev3.env.vars")).unwrap();
    assert!(vars.contains("KICKOFF_SLOT=dev3"), "{vars}");

    let recs = records(&repo);
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(r["slot"], "dev3");
    assert_eq!(r["kickoff"], K2);
    assert_eq!(r["commit"], tip.as_str());
    assert_eq!(r["platform_version"], "1.4.0");
    assert_eq!(r["tickets"], serde_json::json!(["DASH-2"]));
    assert_eq!(r["status"], "succeeded");
    assert_eq!(r["exit_code"], 0);
    assert_eq!(r["who"]["name"], "Ada Tester");
    assert!(file.ends_with(&format!("{}.json", r["id"].as_str().unwrap())));
    assert_eq!(
        lease(&repo, "dev3").unwrap()["via"].as_str(),
        Some("deploy")
    );

    // Deploying again reuses the slot; the kickoff moving on makes it stale.
    ok(repo.kickoff(&["deploy", K2]));
    assert_eq!(records(&repo).len(), 2);
    let board = json(repo.kickoff(&["slot", "list", "--json"]));
    assert_eq!(board["slots"][2]["stale"], false);
    repo.commit_on(K2, "more.txt", "more\n", "DASH-9 more");
    repo.git(&["push", "--quiet", "origin", K2]);
    let board = json(repo.kickoff(&["slot", "list", "--json"]));
    assert_eq!(board["slots"][2]["stale"], true);
    assert_eq!(
        board["slots"][2]["last_deployment"]["platform_version"],
        "1.4.0"
    );
    let text = ok(repo.kickoff(&["slot", "list"]));
    assert!(text.contains("v1.4.0 (stale)"), "{text}");
}

#[test]
fn failed_deploy_is_recorded_as_failed_and_gives_the_slot_back() {
    let repo = pool();
    deploy_script(&repo, 3);
    let out = repo.kickoff(&["deploy", K1]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("the deploy command failed (exit 3)"), "{err}");
    assert!(err.contains("recorded as failed"), "{err}");
    let recs = records(&repo);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["status"], "failed");
    assert_eq!(recs[0]["exit_code"], 3);
    // The slot it claimed for itself is free again: leases as before.
    assert!(lease(&repo, "dev1").is_none());

    // A slot held before a failed deploy stays held.
    ok(repo.kickoff(&["slot", "claim", K1, "--slot", "dev2"]));
    let out = repo.kickoff(&["deploy", K1]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(records(&repo).len(), 2);
    assert_eq!(lease(&repo, "dev2").unwrap()["kickoff"].as_str(), Some(K1));
}

#[test]
fn missing_deploy_command_is_refused_before_anything_changes() {
    let repo = pool();
    let config = SLOTS_TOML.replace("deploy = [\"true\"]", "deploy = [\"./no-such-deploy\"]");
    repo.commit(".kickoff.toml", &config, "Missing deploy script");
    assert_refused(
        &repo,
        &["deploy", K1],
        2,
        &[
            "the deploy command `./no-such-deploy` does not exist",
            "slots.deploy",
        ],
    );
    let config = SLOTS_TOML.replace("deploy = [\"true\"]\n", "");
    repo.commit(".kickoff.toml", &config, "No deploy command");
    assert_refused(
        &repo,
        &["deploy", K1],
        2,
        &["no deploy command is configured"],
    );
    assert!(!repo.origin_refs().contains_key("refs/kickoff/state"));
}

#[test]
fn names_are_passed_as_arguments_never_through_a_shell() {
    let repo = pool();
    deploy_script(&repo, 0);
    let config = SLOTS_TOML.replace(
        "deploy = [\"true\"]",
        "deploy = [\"./deploy.sh\", \"$(touch pwned) {kickoff}; touch pwned2\"]",
    );
    repo.write(".kickoff.toml", &config);
    ok(repo.kickoff(&["deploy", K1]));
    let args = std::fs::read_to_string(repo.work.join(".git/kickoff/env/dev1.env.args")).unwrap();
    assert_eq!(args, format!("$(touch pwned) {K1}; touch pwned2\n"));
    assert!(!repo.work.join("pwned").exists() && !repo.work.join("pwned2").exists());
}

#[test]
fn dashboard_writes_html_and_json() {
    let repo = pool();
    ok(repo.kickoff(&["deploy", K1]));
    ok(repo.kickoff(&["dashboard", "--out", "site"]));
    let html = std::fs::read_to_string(repo.work.join("site/index.html")).unwrap();
    assert!(html.contains("name=\"viewport\""));
    assert!(html.contains(K1));
    assert!(
        !html.contains("<script"),
        "no script: the page needs no network"
    );
    assert!(!html.contains("http://") || !html.contains("src=\"http"));
    let data: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.work.join("site/data.json")).unwrap())
            .unwrap();
    assert_eq!(data["schema"], 1);
    assert_eq!(data["deployments"].as_array().unwrap().len(), 1);
    assert_eq!(data["deployments"][0]["kickoff"], K1);
    assert_eq!(data["slots"][0]["kickoff"], K1);
}

#[test]
fn dashboard_serves_and_refreshes_from_the_state() {
    use std::io::{BufRead, BufReader, Read, Write};
    let repo = pool();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("kickoff"));
    child
        .current_dir(&repo.work)
        .args(["dashboard", "--serve", "127.0.0.1:0", "--refresh", "0"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    repo.env.apply(&mut child);
    let mut child = child.spawn().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(err.read_line(&mut line).unwrap() > 0, "server exited");
        if let Some(rest) = line.strip_prefix("serving http://") {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    let get = |path: &str| {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut body = String::new();
        s.read_to_string(&mut body).unwrap();
        body
    };
    let page = get("/");
    assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
    assert!(page.contains("QA slots"), "{page}");
    assert!(!page.contains(K4), "{page}");
    // A teammate claims a slot; the next request shows it.
    let mate = repo.clone_to("mate");
    ok(repo.env.kickoff_cmd(&mate).args(["slot", "claim", K4]));
    let page = get("/");
    assert!(
        page.contains(K4),
        "the served page did not refresh:\n{page}"
    );
    let data = get("/data.json");
    assert!(data.contains("\"schema\": 1"), "{data}");
    assert!(get("/nope").starts_with("HTTP/1.1 404"));
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn state_commits_are_plain_files_fsck_clean() {
    let repo = pool();
    ok(repo.kickoff(&["deploy", K1]));
    ok(repo.kickoff(&["slot", "claim", K2, "--queue"]));
    let paths = state_paths(&repo.env, &repo.origin, "refs/kickoff/state");
    assert!(paths.contains(&"slots/dev1.toml".to_string()), "{paths:?}");
    assert!(paths.contains(&"slots/dev2.toml".to_string()), "{paths:?}");
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("deployments/") && p.ends_with(".json"))
    );
    assert_fsck_clean(&repo.env, &repo.work);
    assert_fsck_clean(&repo.env, &repo.origin);
    let _ = Path::new("");
}

// ---- the dashboard in a real browser --------------------------------------------

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium(env: &TestEnv, extra: &[&str], url: &str) -> std::process::Output {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)"
    );
    let profile = env.path().join("chromium-profile");
    let mut cmd = std::process::Command::new(CHROMIUM);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(url)
    .env("HOME", env.path().join("home"))
    .stdin(std::process::Stdio::null());
    let out = cmd.output().expect("run chromium");
    assert!(out.status.success(), "chromium failed:\n{}", stderr(&out));
    out
}

/// The text a person reads in a piece of rendered DOM: tags dropped,
/// entities decoded, white space collapsed.
fn visible_text(html: &str) -> String {
    let no_style = regex::Regex::new(r"(?s)<style.*?</style>").unwrap();
    let tags = regex::Regex::new(r"(?s)<[^>]*>").unwrap();
    let without_style = no_style.replace_all(html, " ");
    let text = tags.replace_all(&without_style, " ");
    let text = text
        .replace("&middot;", "·")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The element with `id` in the DOM (sections, list items, the log table).
fn element<'a>(dom: &'a str, tag: &str, id: &str) -> &'a str {
    let start = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in the rendered page"));
    let start = dom[..start].rfind('<').unwrap();
    let end = dom[start..].find(&format!("</{tag}>")).unwrap() + start;
    &dom[start..end]
}

#[test]
fn dashboard_in_headless_chromium_shows_held_free_expired_and_queued_slots() {
    let repo = pool();
    let t0 = at(0);
    let run = |args: &[&str]| ok(repo.kickoff(args).env("KICKOFF_NOW", &t0));
    run(&[
        "slot",
        "claim",
        K1,
        "--slot",
        "dev1",
        "--ttl",
        "3d",
        "--reason",
        "QA round 1",
    ]);
    run(&["deploy", K1]);
    run(&["slot", "claim", K2, "--slot", "dev2", "--ttl", "1h"]);
    run(&["slot", "claim", K3, "--slot", "dev1", "--queue"]);
    // Two hours later: dev2's lease has run out, dev3 and dev4 are free.
    ok(repo
        .kickoff(&["dashboard", "--out", "site"])
        .env("KICKOFF_NOW", at(120)));
    let index = repo.work.join("site/index.html");
    let url = format!("file://{}", index.display());
    let dom = stdout(&chromium(&repo.env, &["--dump-dom"], &url));

    let dev1 = visible_text(element(&dom, "section", "slot-dev1"));
    for seen in [
        "dev1 held",
        K1,
        "held by Ada Tester",
        "since 2024-05-10 12:00 UTC",
        "until 2024-05-13 12:00 UTC",
        "reason QA round 1",
        "tickets DASH-1",
        "succeeded",
        "frontend :3001",
    ] {
        assert!(dev1.contains(seen), "dev1 card lacks {seen:?}: {dev1}");
    }
    let dev2 = visible_text(element(&dom, "section", "slot-dev2"));
    assert!(dev2.contains("dev2 expired"), "{dev2}");
    assert!(dev2.contains(K2), "{dev2}");
    assert!(dev2.contains("expired 2024-05-10 13:00 UTC"), "{dev2}");
    assert!(dev2.contains("deployed nothing yet"), "{dev2}");
    for free in ["slot-dev3", "slot-dev4"] {
        let t = visible_text(element(&dom, "section", free));
        assert!(t.contains("free"), "{t}");
        assert!(!t.contains("held by"), "{t}");
    }
    let queued = visible_text(element(&dom, "li", "queue-1"));
    assert_eq!(
        queued,
        format!("{K3} · Ada Tester · waiting since 2024-05-10 12:00 UTC for dev1")
    );
    let log = visible_text(element(&dom, "table", "log"));
    assert!(log.contains(&format!("dev1 {K1}")), "{log}");
    assert!(log.contains("DASH-1 Ada Tester succeeded"), "{log}");

    // A phone-sized screenshot; docs/dashboard.png is made this way
    // (KICKOFF_DOCS_SCREENSHOT=<path> copies it there).
    let shot = repo.env.path().join("dashboard.png");
    chromium(
        &repo.env,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=412,1500",
        ],
        &url,
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000);
    if let Some(dest) = std::env::var_os("KICKOFF_DOCS_SCREENSHOT") {
        std::fs::copy(&shot, dest).unwrap();
    }
}

#[test]
fn landing_a_kickoff_releases_its_slot_and_queue_place() {
    let repo = pool();
    ok(repo.kickoff(&["slot", "claim", K1, "--slot", "dev1"]));
    ok(repo.kickoff(&["slot", "claim", K2, "--slot", "dev2"]));
    ok(repo.kickoff(&[
        "release",
        "--platform",
        "1.0.0",
        "--kickoff",
        K1,
        "--date",
        "2024-05-10",
    ]));
    let out = repo.kickoff(&["land", K1]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("released QA slot dev1"),
        "{}",
        stderr(&out)
    );
    assert!(
        lease(&repo, "dev1").is_none(),
        "dev1 still held after landing"
    );
    // Only the landed kickoff's slot is given back.
    assert_eq!(lease(&repo, "dev2").unwrap()["kickoff"].as_str(), Some(K2));
}

#[test]
fn landing_without_push_leaves_the_slot_held() {
    let repo = pool();
    ok(repo.kickoff(&["slot", "claim", K1, "--slot", "dev1"]));
    ok(repo.kickoff(&[
        "release",
        "--platform",
        "1.0.0",
        "--kickoff",
        K1,
        "--date",
        "2024-05-10",
    ]));
    let out = repo.kickoff(&["land", K1, "--no-push"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("stays held"), "{}", stderr(&out));
    assert_eq!(lease(&repo, "dev1").unwrap()["kickoff"].as_str(), Some(K1));
}

#[test]
fn release_and_renew_default_to_the_current_kickoffs_slot_or_the_one_you_hold() {
    let repo = pool();
    ok(repo.kickoff(&["slot", "claim", K1, "--slot", "dev3"]));
    ok(repo
        .kickoff(&["slot", "claim", K2, "--slot", "dev4"])
        .env("GIT_COMMITTER_EMAIL", "bob@example.com"));
    // On K1's branch: its slot.
    repo.git(&["switch", "--quiet", K1]);
    let out = ok(repo.kickoff(&["slot", "renew", "--ttl", "1d"]));
    assert_eq!(out, "dev3\n");
    repo.git(&["switch", "--quiet", "main"]);
    // On main: the one slot you hold (Bob holds dev4, Ada dev3).
    let out = ok(repo
        .kickoff(&["slot", "release"])
        .env("GIT_COMMITTER_EMAIL", "bob@example.com"));
    assert_eq!(out, "dev4\n");
    assert!(lease(&repo, "dev4").is_none());
    assert!(lease(&repo, "dev3").is_some());
    // Holding nothing: refused, nothing changed.
    let before = repo.origin_refs();
    let out = repo
        .kickoff(&["slot", "release"])
        .env("GIT_COMMITTER_EMAIL", "carol@example.com")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("you hold no slot"),
        "{}",
        stderr(&out)
    );
    assert_eq!(before, repo.origin_refs());
}

#[test]
fn unreachable_remote_fails_reads_work_offline_and_changes_nothing() {
    let repo = pool();
    ok(repo.kickoff(&["slot", "claim", K1]));
    let gone = repo.env.path().join("gone.git");
    repo.git(&["remote", "set-url", "origin", gone.to_str().unwrap()]);
    let err = assert_refused(&repo, &["slot", "list"], 1, &["cannot fetch", "--offline"]);
    assert!(err.contains("hint:"), "{err}");
    assert_refused(&repo, &["slot", "claim", K2], 1, &["cannot fetch"]);
    assert_refused(&repo, &["slot", "release", "dev1"], 1, &["cannot fetch"]);
    // The state as last fetched is still readable.
    let board = json(repo.kickoff(&["slot", "list", "--json", "--offline"]));
    assert_eq!(board["slots"][0]["kickoff"], K1);
    ok(repo.kickoff(&["dashboard", "--out", "site", "--offline"]));
}

#[test]
fn dashboard_serve_tells_a_bad_address_from_a_busy_port() {
    let repo = pool();
    let out_dir = repo.env.path().join("site");
    let out = out_dir.to_str().unwrap();
    // Not an address: bad input, exit 2.
    assert_refused(
        &repo,
        &["dashboard", "--out", out, "--serve", "nowhere"],
        2,
        &["is not an address to listen on", "HOST:PORT"],
    );
    // A valid address someone else holds: refused, exit 1.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    assert_refused(
        &repo,
        &["dashboard", "--out", out, "--serve", &addr],
        1,
        &["cannot listen on", "pick a free port"],
    );
    assert!(!out_dir.exists(), "a refused dashboard wrote files");
}
