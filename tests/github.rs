//! The GitHub mirror against a fake GitHub on 127.0.0.1 (wiremock): the
//! requests kickoff makes, their order and bodies, what a second run does, and
//! what happens when GitHub is down or refuses.

mod common;

use common::*;
use serde_json::{Value, json};
use std::path::Path;
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "ghp_kickoffTestToken0123456789";

/// A fake GitHub: a wiremock server (it runs on its own thread) and the small
/// runtime that talks to it from synchronous tests.
struct FakeGitHub {
    rt: tokio::runtime::Runtime,
    server: MockServer,
}

/// One request the fake received: method, path with query, JSON body.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    body: Value,
    authorization: Option<String>,
}

impl FakeGitHub {
    fn start() -> FakeGitHub {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let server = rt.block_on(MockServer::start());
        FakeGitHub { rt, server }
    }

    fn url(&self) -> String {
        self.server.uri()
    }

    fn mount(&self, mock: Mock) {
        self.rt.block_on(mock.mount(&self.server));
    }

    /// Forget every mock and every request seen.
    fn reset(&self) {
        self.rt.block_on(self.server.reset());
    }

    fn requests(&self) -> Vec<Seen> {
        self.rt
            .block_on(self.server.received_requests())
            .unwrap_or_default()
            .into_iter()
            .map(|r| Seen {
                method: r.method.to_string(),
                path: match r.url.query() {
                    Some(q) => format!("{}?{q}", r.url.path()),
                    None => r.url.path().to_string(),
                },
                body: serde_json::from_slice(&r.body).unwrap_or(Value::Null),
                authorization: r
                    .headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string),
            })
            .collect()
    }

    /// "METHOD /path" of every request, in order.
    fn lines(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    /// Answer `verb path` with `status` and a JSON body.
    fn answer(&self, verb: &str, route: &str, status: u16, body: Value) {
        self.mount(
            Mock::given(method(verb))
                .and(path(route))
                .respond_with(ResponseTemplate::new(status).set_body_json(body)),
        );
    }

    /// Answer every `verb` request with `status` and a JSON body.
    fn answer_every(&self, verb: &str, status: u16, body: Value) {
        self.mount(
            Mock::given(method(verb))
                .respond_with(ResponseTemplate::new(status).set_body_json(body)),
        );
    }

    /// The `GET /rate_limit` and `GET /repos/acme/shop` answers of a classic token.
    fn mount_status(&self, prefix: &str) {
        self.mount(
            Mock::given(method("GET"))
                .and(path(format!("{prefix}/rate_limit")))
                .respond_with(
                    ResponseTemplate::new(200)
                        .insert_header("x-oauth-scopes", "repo, workflow")
                        .set_body_json(json!({"resources": {"core": {
                            "limit": 5000, "remaining": 4990, "used": 10, "reset": 1_900_000_000
                        }}})),
                ),
        );
        self.mount(
            Mock::given(method("GET"))
                .and(path(format!("{prefix}/repos/acme/shop")))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                    "full_name": "acme/shop", "default_branch": "main",
                    "permissions": {"admin": false, "push": true, "pull": true}
                }))),
        );
    }
}

/// The URL of a port nothing listens on: bound, noted, closed.
fn dead_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

/// The [github] section the tests use (the remote is a local path, so the
/// repository is named).
const GITHUB_TOML: &str = "[github]\nrepository = \"acme/shop\"\n";

/// A repository with `toml` committed as .kickoff.toml on main (pushed).
fn repo_with(toml: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.commit(".kickoff.toml", toml, "Configure kickoff");
    repo.git(&["push", "--quiet", "origin", "main"]);
    repo
}

/// `kickoff ARGS` talking to `fake` with the test token.
fn kickoff_gh(repo: &TestRepo, fake_url: &str, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = repo.kickoff(args);
    cmd.env("KICKOFF_GITHUB_API_URL", fake_url)
        .env("KICKOFF_GITHUB_TOKEN", TOKEN)
        .env("KICKOFF_GITHUB_MAX_WAIT", "5");
    cmd
}

/// Run and return (exit code, stdout, stderr); the token is never in either.
fn run(cmd: &mut assert_cmd::Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    let (o, e) = (stdout(&out), stderr(&out));
    assert!(
        !o.contains(TOKEN) && !e.contains(TOKEN),
        "token printed:\n{o}\n{e}"
    );
    (out.status.code().unwrap_or(-1), o, e)
}

/// The token is in no file under `dir` (work tree, .git, origin, home).
fn assert_token_in_no_file(dir: &Path) {
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
            "token written to {}",
            entry.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files
}

/// Every request carried the token in the header and never in the URL.
fn assert_token_only_in_header(fake: &FakeGitHub, token: &str) {
    for r in fake.requests() {
        assert!(!r.path.contains(token), "token in URL {}", r.path);
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Bearer {token}").as_str()),
            "{} {}",
            r.method,
            r.path
        );
    }
}

// ---- configuration -----------------------------------------------------------

#[test]
fn github_section_errors_name_file_line_and_key() {
    for (toml, needles) in [
        (
            "[github]\nrepository = \"acme/shop\"\nrelease = true\n",
            vec![".kickoff.toml:3:", "release"],
        ),
        (
            "[github]\n\nrepository = \"shop\"\n",
            vec![".kickoff.toml:3:", "github.repository", "owner/name"],
        ),
        (
            "[github]\napi_url = \"ftp://github.example.com\"\n",
            vec![".kickoff.toml:2:", "github.api_url", "http"],
        ),
    ] {
        let repo = repo_with(toml);
        assert_refused(&repo, &["github", "status"], 2, &needles);
    }
}

// ---- github status ----------------------------------------------------------------

#[test]
fn status_reports_target_token_source_scopes_permissions_and_rate_limit() {
    let fake = FakeGitHub::start();
    fake.mount_status("");
    let repo = repo_with(&format!("{GITHUB_TOML}releases = true\n"));
    let (code, out, err) = run(&mut kickoff_gh(&repo, &fake.url(), &["github", "status"]));
    assert_eq!(code, 0, "{err}");
    for needle in [
        "repository   acme/shop",
        &format!("api          {} (from KICKOFF_GITHUB_API_URL)", fake.url()),
        "token        from environment variable KICKOFF_GITHUB_TOKEN",
        "scopes       repo, workflow",
        "permissions  pull, push",
        "rate limit   4990 of 5000 left, resets 2030-03-17 17:46:40 UTC",
        "releases     on",
        "deployments  off",
    ] {
        assert!(out.contains(needle), "{needle:?} missing:\n{out}");
    }
    assert_eq!(fake.lines(), ["GET /rate_limit", "GET /repos/acme/shop"]);
    assert_token_only_in_header(&fake, TOKEN);

    let (code, out, _) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["github", "status", "--json"],
    ));
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema"], 1);
    assert_eq!(v["repository"], "acme/shop");
    assert_eq!(v["host"], "127.0.0.1");
    assert_eq!(
        v["token_source"],
        json!({"kind": "env", "name": "KICKOFF_GITHUB_TOKEN"})
    );
    assert_eq!(v["scopes"], json!(["repo", "workflow"]));
    assert_eq!(v["rate_limit"]["remaining"], 4990);
    assert_token_in_no_file(repo.env.path());
}

#[test]
fn enterprise_uses_the_api_v3_prefix_and_the_enterprise_token_first() {
    let fake = FakeGitHub::start();
    fake.mount_status("/api/v3");
    let repo = repo_with("[github]\n");
    // The repository and the host come from the remote's URL.
    repo.git(&[
        "remote",
        "set-url",
        "origin",
        "https://ghe.example.com/acme/shop.git",
    ]);
    let enterprise_token = "ghe_enterpriseToken42";
    let mut cmd = repo.kickoff(&["github", "status", "--json"]);
    cmd.env("KICKOFF_GITHUB_API_URL", format!("{}/api/v3", fake.url()))
        .env("GH_TOKEN", TOKEN)
        .env("GH_ENTERPRISE_TOKEN", enterprise_token);
    let (code, out, err) = run(&mut cmd);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["host"], "ghe.example.com");
    assert_eq!(v["enterprise"], true);
    assert_eq!(
        v["token_source"],
        json!({"kind": "env", "name": "GH_ENTERPRISE_TOKEN"})
    );
    assert_eq!(
        fake.lines(),
        ["GET /api/v3/rate_limit", "GET /api/v3/repos/acme/shop"]
    );
    assert_token_only_in_header(&fake, enterprise_token);
}

/// A `gh` on PATH that records its arguments and prints a token.
fn fake_gh(repo: &TestRepo, script: &str) -> String {
    let bin = repo.env.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let gh = bin.join("gh");
    std::fs::write(
        &gh,
        format!(
            "#!/bin/sh\necho \"$@\" > \"{}/gh-args\"\n{script}\n",
            bin.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn token_from_gh_auth_token_for_the_host() {
    let fake = FakeGitHub::start();
    fake.mount_status("");
    let repo = repo_with(GITHUB_TOML);
    let gh_token = "gho_fromTheGhCli77";
    let path_var = fake_gh(&repo, &format!("echo {gh_token}"));
    let mut cmd = repo.kickoff(&["github", "status"]);
    cmd.env("KICKOFF_GITHUB_API_URL", fake.url())
        .env("PATH", path_var);
    let (code, out, err) = run(&mut cmd);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("token        from `gh auth token`"), "{out}");
    assert!(!out.contains(gh_token) && !err.contains(gh_token));
    let args = std::fs::read_to_string(repo.env.path().join("bin/gh-args")).unwrap();
    assert_eq!(args.trim(), "auth token --hostname 127.0.0.1");
    assert_token_only_in_header(&fake, gh_token);
}

#[test]
fn no_token_is_exit_1_with_where_to_put_one() {
    let fake = FakeGitHub::start();
    let repo = repo_with(GITHUB_TOML);
    let path_var = fake_gh(&repo, "echo 'not logged in' >&2; exit 1");
    let mut cmd = repo.kickoff(&["github", "status"]);
    cmd.env("KICKOFF_GITHUB_API_URL", fake.url())
        .env("PATH", path_var);
    let (code, _, err) = run(&mut cmd);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no GitHub token for 127.0.0.1"), "{err}");
    assert!(
        err.contains("KICKOFF_GITHUB_TOKEN") && err.contains("gh auth login"),
        "{err}"
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn status_401_says_the_token_is_expired() {
    let fake = FakeGitHub::start();
    fake.mount(
        Mock::given(method("GET")).respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "message": "Bad credentials",
            "documentation_url": "https://docs.github.com/rest"
        }))),
    );
    let repo = repo_with(GITHUB_TOML);
    let (code, _, err) = run(&mut kickoff_gh(&repo, &fake.url(), &["github", "status"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("401 Bad credentials"), "{err}");
    assert!(
        err.contains("hint: the token is invalid or expired"),
        "{err}"
    );
    // 401 is not retried.
    assert_eq!(fake.lines(), ["GET /rate_limit"]);
}

#[test]
fn status_waits_on_the_rate_limit_then_retries() {
    let fake = FakeGitHub::start();
    fake.mount(
        Mock::given(method("GET"))
            .and(path("/rate_limit"))
            .respond_with(
                ResponseTemplate::new(403)
                    .insert_header("retry-after", "1")
                    .set_body_json(json!({"message": "You have exceeded a secondary rate limit"})),
            )
            .up_to_n_times(1)
            .with_priority(1),
    );
    fake.mount_status("");
    let repo = repo_with(GITHUB_TOML);
    let (code, _, err) = run(&mut kickoff_gh(&repo, &fake.url(), &["github", "status"]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("rate limit is reached; waiting 1s"), "{err}");
    assert_eq!(
        fake.lines(),
        ["GET /rate_limit", "GET /rate_limit", "GET /repos/acme/shop"]
    );
}

#[test]
fn status_retries_a_502_for_a_get() {
    let fake = FakeGitHub::start();
    fake.mount(
        Mock::given(method("GET"))
            .and(path("/repos/acme/shop"))
            .respond_with(ResponseTemplate::new(502))
            .up_to_n_times(1)
            .with_priority(1),
    );
    fake.mount_status("");
    let repo = repo_with(GITHUB_TOML);
    let (code, _, err) = run(&mut kickoff_gh(&repo, &fake.url(), &["github", "status"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        fake.lines(),
        [
            "GET /rate_limit",
            "GET /repos/acme/shop",
            "GET /repos/acme/shop"
        ]
    );
}

#[test]
fn status_with_github_down_is_exit_1_with_a_hint() {
    let repo = repo_with(GITHUB_TOML);
    let (code, _, err) = run(&mut kickoff_gh(&repo, &dead_url(), &["github", "status"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("did not answer GET /rate_limit"), "{err}");
    assert!(err.contains("hint: check the network"), "{err}");
}

#[test]
fn status_without_the_section_says_how_to_configure() {
    let repo = TestRepo::new();
    let (code, _, err) = run(&mut repo.kickoff(&["github", "status"]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("not configured") && err.contains("[github]"),
        "{err}"
    );
}

// ---- kickoff pr ----------------------------------------------------------------

/// GitHub's answer for a pull request.
fn pr_json(number: u64, head: &str, base: &str, body: &str) -> Value {
    json!({
        "number": number,
        "html_url": format!("https://github.com/acme/shop/pull/{number}"),
        "state": "open", "draft": false, "title": "t", "body": body,
        "head": {"ref": head, "sha": "0000000000000000000000000000000000000001"},
        "base": {"ref": base, "sha": "0000000000000000000000000000000000000002"}
    })
}

/// GitHub creates pull request #7 and takes its reviewers and labels.
fn answer_create_review_label(fake: &FakeGitHub, head: &str, base: &str) {
    fake.answer(
        "POST",
        "/repos/acme/shop/pulls",
        201,
        pr_json(7, head, base, ""),
    );
    let reviewers = "/repos/acme/shop/pulls/7/requested_reviewers";
    fake.answer("POST", reviewers, 201, json!({}));
    fake.answer("POST", "/repos/acme/shop/issues/7/labels", 200, json!([]));
}

/// A dry run of `pr` asked GitHub once (the lookup) and changed nothing.
fn assert_dry_run_only_looked(fake: &FakeGitHub, repo: &TestRepo, before: &Snapshot) {
    assert_eq!(
        fake.lines().len(),
        1,
        "dry run only looks: {:?}",
        fake.lines()
    );
    assert_eq!(*before, repo.snapshot(), "dry run changed nothing");
}

/// A repository with [github] configured, the kickoff `kickoff-240510-dash`
/// (pushed) and `feature/DASH-1-login` under it with one unpushed commit,
/// checked out.
fn feature_repo() -> TestRepo {
    let repo = repo_with(&format!(
        "{GITHUB_TOML}ticket_url = \"https://jira.example.com/browse/{{ticket}}\"\n"
    ));
    repo.ok(&["new", "dash", "--date", "240510"]);
    repo.ok(&["feature", "DASH-1", "login"]);
    repo.commit("login.txt", "login\n", "DASH-1 add the login form");
    repo
}

#[test]
fn pr_opens_a_feature_into_its_kickoff_then_updates_it_on_a_second_run() {
    let fake = FakeGitHub::start();
    let repo = feature_repo();
    let head = "feature/DASH-1-login";
    let base = "kickoff-240510-dash";
    fake.mount(
        Mock::given(method("GET"))
            .and(path("/repos/acme/shop/pulls"))
            .and(query_param("head", format!("acme:{head}")))
            .and(query_param("state", "open"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([]))),
    );
    answer_create_review_label(&fake, head, base);
    assert_eq!(
        repo.origin_refs().get(&format!("refs/heads/{head}")),
        repo.rev("kickoff-240510-dash").as_ref()
    );
    let (code, out, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["pr", "--reviewer", "bob", "--label", "qa"],
    ));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "https://github.com/acme/shop/pull/7\n");
    // The branch was pushed first.
    assert_eq!(
        repo.origin_refs().get(&format!("refs/heads/{head}")),
        repo.rev(head).as_ref()
    );
    let seen = fake.requests();
    assert_eq!(
        fake.lines(),
        [
            "GET /repos/acme/shop/pulls?state=open&head=acme%3Afeature%2FDASH-1-login&per_page=100",
            "POST /repos/acme/shop/pulls",
            "POST /repos/acme/shop/pulls/7/requested_reviewers",
            "POST /repos/acme/shop/issues/7/labels",
        ]
    );
    let created = &seen[1].body;
    assert_eq!(created["head"], head);
    assert_eq!(created["base"], base);
    assert_eq!(created["title"], "DASH-1 login");
    assert_eq!(created["draft"], false);
    let body = created["body"].as_str().unwrap();
    assert!(body.starts_with("<!-- kickoff:"), "{body}");
    assert!(
        body.contains("**Kickoff:** `kickoff-240510-dash` (no platform version yet)"),
        "{body}"
    );
    assert!(
        body.contains("- [DASH-1](https://jira.example.com/browse/DASH-1)"),
        "{body}"
    );
    assert!(body.contains("- no other live kickoff"), "{body}");
    assert_eq!(seen[2].body, json!({"reviewers": ["bob"]}));
    assert_eq!(seen[3].body, json!({"labels": ["qa"]}));
    assert_token_only_in_header(&fake, TOKEN);

    // Second run: GitHub now has the pull request (someone retargeted it to
    // main): kickoff updates it, and creates nothing.
    fake.reset();
    fake.answer(
        "GET",
        "/repos/acme/shop/pulls",
        200,
        json!([pr_json(7, head, "main", "<!-- kickoff: old -->\nstale")]),
    );
    fake.answer(
        "PATCH",
        "/repos/acme/shop/pulls/7",
        200,
        pr_json(7, head, base, ""),
    );
    let (code, out, err) = run(&mut kickoff_gh(&repo, &fake.url(), &["pr", "--json"]));
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["action"], "updated");
    assert_eq!(v["number"], 7);
    assert_eq!(v["pushed"], false);
    let seen = fake.requests();
    assert_eq!(seen.len(), 2, "{:?}", fake.lines());
    assert_eq!(seen[1].method, "PATCH");
    assert_eq!(seen[1].body["base"], base);
    assert!(seen[1].body.get("title").is_none());
    assert!(seen[1].body["body"].as_str().unwrap().contains("DASH-1"));
}

#[test]
fn pr_leaves_a_description_a_person_wrote() {
    let fake = FakeGitHub::start();
    let repo = feature_repo();
    let head = "feature/DASH-1-login";
    fake.answer(
        "GET",
        "/repos/acme/shop/pulls",
        200,
        json!([pr_json(7, head, "kickoff-240510-dash", "Written by hand")]),
    );
    repo.git(&["push", "--quiet", "origin", head]);
    let (code, out, err) = run(&mut kickoff_gh(&repo, &fake.url(), &["pr", "--json"]));
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["action"], "unchanged");
    assert_eq!(fake.lines().len(), 1, "{:?}", fake.lines());
}

#[test]
fn pr_for_a_kickoff_goes_into_main_with_the_conflict_forecast() {
    let fake = FakeGitHub::start();
    let repo = repo_with(GITHUB_TOML);
    let a = repo.new_kickoff("alpha", "240510");
    repo.git(&["checkout", "--quiet", "main"]);
    let b = repo.new_kickoff("beta", "240511");
    for (k, text) in [
        (&a, "DASH-7 alpha's version"),
        (&b, "DASH-8 beta's version"),
    ] {
        repo.git(&["checkout", "--quiet", k]);
        repo.commit("shared.txt", &format!("{text}\n"), text);
        repo.git(&["push", "--quiet", "origin", k]);
    }
    // Tag alpha so the description names its platform version.
    repo.git(&["checkout", "--quiet", &a]);
    repo.ok(&[
        "release",
        "--platform",
        "1.0.0",
        "--no-push",
        "--date",
        "2024-05-20",
    ]);
    fake.answer("GET", "/repos/acme/shop/pulls", 200, json!([]));
    let before = repo.snapshot();
    let (code, out, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["pr", &a, "--draft", "--dry-run"],
    ));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!(
            "create draft pull request {a} -> main: {a} (platform v1.0.0)"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("`{b}`: **conflicts** in `shared.txt`")),
        "{out}"
    );
    assert!(out.contains("- DASH-7"), "{out}");
    assert_dry_run_only_looked(&fake, &repo, &before);

    fake.mount(
        Mock::given(method("POST"))
            .and(path("/repos/acme/shop/pulls"))
            .and(body_partial_json(
                json!({"base": "main", "head": a, "draft": true}),
            ))
            .respond_with(ResponseTemplate::new(201).set_body_json(pr_json(9, &a, "main", ""))),
    );
    let (code, out, err) = run(&mut kickoff_gh(&repo, &fake.url(), &["pr", &a, "--draft"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "https://github.com/acme/shop/pull/9\n");
}

#[test]
fn pr_dry_run_prints_the_steps_the_plan_log_records_for_the_real_run() {
    let fake = FakeGitHub::start();
    let repo = feature_repo();
    let head = "feature/DASH-1-login";
    fake.answer("GET", "/repos/acme/shop/pulls", 200, json!([]));
    let before = repo.snapshot();
    let pr_args = ["pr", "--reviewer", "bob", "--label", "qa"];
    let mut dry = vec!["-q"];
    dry.extend(pr_args);
    dry.push("--dry-run");
    let (code, out, err) = run(&mut kickoff_gh(&repo, &fake.url(), &dry));
    assert_eq!(code, 0, "{err}");
    let (printed, description) = out.split_once("\ndescription:\n").expect(&out);
    assert_eq!(
        printed.lines().collect::<Vec<_>>(),
        [
            format!("push {head} to origin"),
            format!("create pull request {head} -> kickoff-240510-dash: DASH-1 login"),
            "ask bob for a review".to_string(),
            "add labels qa".to_string(),
        ]
    );
    assert!(description.contains("DASH-1"), "{description}");
    assert_dry_run_only_looked(&fake, &repo, &before);
    // --json: the same steps as data.
    dry.push("--json");
    let (_, out, _) = run(&mut kickoff_gh(&repo, &fake.url(), &dry));
    let v: Value = serde_json::from_str(&out).unwrap();
    let calls: Vec<&Value> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["call"])
        .collect();
    assert_eq!(
        calls,
        [
            &Value::Null,
            &json!("create-pull-request"),
            &json!("request-reviewers"),
            &json!("add-labels")
        ]
    );
    assert_eq!(v["steps"][0]["step"], "push");
    assert_eq!(v["steps"][1]["pr"]["head"], head);

    answer_create_review_label(&fake, head, "kickoff-240510-dash");
    let log = repo.env.path().join("plan.log");
    let (code, out, err) =
        run(kickoff_gh(&repo, &fake.url(), &pr_args).env("KICKOFF_PLAN_LOG", &log));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "https://github.com/acme/shop/pull/7\n");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        logged.lines().collect::<Vec<_>>(),
        printed.lines().collect::<Vec<_>>()
    );
    assert!(err.contains("asked bob for a review"), "{err}");
}

#[test]
fn pr_422_is_exit_1_with_github_s_reasons_and_a_hint() {
    let fake = FakeGitHub::start();
    let repo = feature_repo();
    fake.answer("GET", "/repos/acme/shop/pulls", 200, json!([]));
    fake.answer(
        "POST",
        "/repos/acme/shop/pulls",
        422,
        json!({
            "message": "Validation Failed",
            "errors": [{"resource": "PullRequest", "field": "base", "code": "invalid"}]
        }),
    );
    let (code, _, err) = run(&mut kickoff_gh(&repo, &fake.url(), &["pr"]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("422 Validation Failed (base invalid)"),
        "{err}"
    );
    assert!(
        err.contains("hint: GitHub rejected the request's content"),
        "{err}"
    );
    // POST is not retried.
    assert_eq!(fake.lines().len(), 2);
}

#[test]
fn pr_with_github_down_pushes_nothing_and_exits_1() {
    let repo = feature_repo();
    let down = dead_url();
    let before = repo.snapshot();
    let (code, _, err) = run(&mut kickoff_gh(&repo, &down, &["pr"]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("did not answer GET /repos/acme/shop/pulls"),
        "{err}"
    );
    assert_eq!(before, repo.snapshot());
}

#[test]
fn pr_refuses_a_branch_outside_the_kickoff_tree() {
    let repo = repo_with(GITHUB_TOML);
    repo.git(&["checkout", "--quiet", "-b", "experiment"]);
    repo.commit("x.txt", "x\n", "try something");
    let err = assert_refused(
        &repo,
        &["pr"],
        2,
        &["experiment is neither a kickoff nor a feature branch"],
    );
    assert!(err.contains("hint:"), "{err}");
}

// ---- releases ----------------------------------------------------------------

fn release_json(id: u64, tag: &str, prerelease: bool) -> Value {
    json!({
        "id": id, "tag_name": tag, "name": tag, "body": "", "prerelease": prerelease,
        "html_url": format!("https://github.com/acme/shop/releases/tag/{tag}")
    })
}

/// A kickoff `kickoff-240510-alpha` with a DASH-7 commit, pushed, checked out,
/// in a repository with `releases = true`.
fn release_repo() -> (TestRepo, String) {
    let repo = repo_with(&format!("{GITHUB_TOML}releases = true\n"));
    let k = repo.new_kickoff("alpha", "240510");
    repo.commit_pushed(&k, "a.txt", "DASH-7 alpha work");
    (repo, k)
}

#[test]
fn release_publishes_prerelease_then_latest_on_the_escaped_tag_route_and_backfill_updates() {
    let fake = FakeGitHub::start();
    let (repo, _) = release_repo();
    fake.mount(
        Mock::given(method("GET")).respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"})),
        ),
    );
    fake.answer(
        "POST",
        "/repos/acme/shop/releases",
        201,
        release_json(10, "platform/v1.0.0-rc.1", true),
    );
    let (code, _, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &[
            "release",
            "--platform",
            "1.0.0-rc.1",
            "--date",
            "2024-05-20",
        ],
    ));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["release", "--platform", "1.0.0", "--date", "2024-05-21"],
    ));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("published GitHub release"), "{err}");
    let seen = fake.requests();
    assert_eq!(
        fake.lines(),
        [
            "GET /repos/acme/shop/releases/tags/platform%2Fv1.0.0-rc.1",
            "POST /repos/acme/shop/releases",
            "GET /repos/acme/shop/releases/tags/platform%2Fv1.0.0",
            "POST /repos/acme/shop/releases",
        ]
    );
    let rc = &seen[1].body;
    assert_eq!(rc["tag_name"], "platform/v1.0.0-rc.1");
    assert_eq!(rc["name"], "platform v1.0.0-rc.1");
    assert_eq!(rc["prerelease"], true);
    assert_eq!(rc["make_latest"], "false");
    assert_eq!(rc["draft"], false);
    assert!(rc["body"].as_str().unwrap().contains("## DASH-7"), "{rc}");
    let fin = &seen[3].body;
    assert_eq!(fin["prerelease"], false);
    assert_eq!(fin["make_latest"], "true");

    // Backfill of the release candidate: it exists, so it is updated, and it
    // is not Latest now that 1.0.0 is out.
    fake.reset();
    fake.mount(
        Mock::given(method("GET"))
            .and(path(
                "/repos/acme/shop/releases/tags/platform%2Fv1.0.0-rc.1",
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(release_json(
                10,
                "platform/v1.0.0-rc.1",
                true,
            ))),
    );
    fake.answer(
        "PATCH",
        "/repos/acme/shop/releases/10",
        200,
        release_json(10, "platform/v1.0.0-rc.1", true),
    );
    let (code, out, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["github", "release", "v1.0.0-rc.1", "--json"],
    ));
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["action"], "updated");
    let seen = fake.requests();
    assert_eq!(seen.len(), 2, "{:?}", fake.lines());
    assert_eq!(seen[1].body["make_latest"], "false");
    assert_eq!(seen[1].body["prerelease"], true);
    // Its dry run asks GitHub (one GET) and prints the step it would run.
    let (code, out, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["github", "release", "1.0.0-rc.1", "--dry-run"],
    ));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("update the release \"platform v1.0.0-rc.1\" for platform/v1.0.0-rc.1"),
        "{out}"
    );
    assert!(
        out.contains("steps:\n  publish the GitHub release \"platform v1.0.0-rc.1\" for platform/v1.0.0-rc.1 (prerelease)\n"),
        "{out}"
    );
    assert_eq!(fake.requests().len(), 3, "{:?}", fake.lines());
    assert_token_in_no_file(repo.env.path());
}

#[test]
fn release_with_github_down_still_tags_warns_and_exits_0() {
    let (repo, k) = release_repo();
    let down = dead_url();
    let (code, out, err) = run(&mut kickoff_gh(
        &repo,
        &down,
        &["release", "--platform", "1.0.0", "--date", "2024-05-20"],
    ));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "platform/v1.0.0\n");
    assert!(
        err.contains("warning: the GitHub release for platform/v1.0.0 is not on GitHub"),
        "{err}"
    );
    assert!(err.contains("`kickoff github sync` redoes it"), "{err}");
    // The git work is complete: the tag exists here and on origin, on the kickoff.
    assert_eq!(
        repo.platform_tags(),
        (vec!["v1.0.0".into()], vec!["v1.0.0".into()])
    );
    assert_eq!(repo.rev("platform/v1.0.0"), repo.rev(&k));
}

#[test]
fn github_release_401_and_an_unpushed_tag_are_refused() {
    let fake = FakeGitHub::start();
    let (repo, _) = release_repo();
    repo.ok(&[
        "release",
        "--platform",
        "1.0.0",
        "--no-push",
        "--date",
        "2024-05-20",
    ]);
    assert_refused(
        &repo,
        &["github", "release", "1.0.0"],
        1,
        &[
            "platform/v1.0.0 is not on origin",
            "git push origin platform/v1.0.0",
        ],
    );
    repo.git(&["push", "--quiet", "origin", "platform/v1.0.0"]);
    fake.answer_every("GET", 401, json!({"message": "Bad credentials"}));
    let (code, _, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["github", "release", "1.0.0"],
    ));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("401 Bad credentials") && err.contains("expired"),
        "{err}"
    );
}

// ---- GitHub calls as plan steps ------------------------------------------------

#[test]
fn release_dry_run_shows_the_github_release_step_and_the_log_records_it() {
    let fake = FakeGitHub::start();
    let (repo, _) = release_repo();
    let before = repo.snapshot();
    let (code, out, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &[
            "-q",
            "release",
            "--platform",
            "1.0.0",
            "--date",
            "2024-05-20",
            "--dry-run",
        ],
    ));
    assert_eq!(code, 0, "{err}");
    let step = "publish the GitHub release \"platform v1.0.0\" for platform/v1.0.0 (latest)";
    assert!(out.contains(step), "{out}");
    assert!(fake.requests().is_empty(), "{:?}", fake.lines());
    assert_eq!(before, repo.snapshot());
    // --json names the call and carries what would be sent.
    let (_, out, _) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &[
            "release",
            "--platform",
            "1.0.0",
            "--date",
            "2024-05-20",
            "--dry-run",
            "--json",
        ],
    ));
    let v: Value = serde_json::from_str(&out).unwrap();
    let last = v["steps"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["step"], "github");
    assert_eq!(last["call"], "release");
    assert_eq!(last["spec"]["tag_name"], "platform/v1.0.0");
    assert_eq!(last["redo"], "kickoff github sync");
    assert!(
        last["spec"]["body"].as_str().unwrap().contains("DASH-7"),
        "{last}"
    );

    // The real run: the plan log holds the same line, after the tag's push.
    fake.mount(
        Mock::given(method("GET")).respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"})),
        ),
    );
    fake.answer(
        "POST",
        "/repos/acme/shop/releases",
        201,
        release_json(11, "platform/v1.0.0", false),
    );
    let log = repo.env.path().join("plan.log");
    let (code, _, err) = run(kickoff_gh(
        &repo,
        &fake.url(),
        &["release", "--platform", "1.0.0", "--date", "2024-05-20"],
    )
    .env("KICKOFF_PLAN_LOG", &log));
    assert_eq!(code, 0, "{err}");
    let logged = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = logged.lines().collect();
    assert_eq!(lines.len(), 3, "{logged}");
    assert!(
        lines[1].starts_with("push platform/v1.0.0 to origin"),
        "{logged}"
    );
    assert_eq!(lines[2], step);
    assert!(
        err.contains(
            "published GitHub release https://github.com/acme/shop/releases/tag/platform/v1.0.0"
        ),
        "{err}"
    );
    assert_eq!(
        seen_body(&fake, "POST", "/repos/acme/shop/releases")["tag_name"],
        "platform/v1.0.0"
    );
}

/// The body of the one request `verb path` the fake received.
fn seen_body(fake: &FakeGitHub, verb: &str, route: &str) -> Value {
    let seen: Vec<Seen> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == verb && r.path == route)
        .collect();
    assert_eq!(seen.len(), 1, "{verb} {route}: {:?}", fake.lines());
    seen[0].body.clone()
}

/// Three pushed kickoffs: alpha and beta change `shared.txt` differently,
/// gamma touches its own file. Returns (repo, alpha, beta, gamma).
fn conflicting_kickoffs() -> (TestRepo, String, String, String) {
    let repo = repo_with(GITHUB_TOML);
    let mut names = Vec::new();
    for (summary, date, file, text) in [
        ("alpha", "240510", "shared.txt", "alpha"),
        ("beta", "240511", "shared.txt", "beta"),
        ("gamma", "240512", "gamma.txt", "gamma"),
    ] {
        repo.git(&["checkout", "--quiet", "main"]);
        let k = repo.new_kickoff(summary, date);
        repo.commit(file, &format!("{text}\n"), &format!("{text} work"));
        repo.git(&["push", "--quiet", "origin", &k]);
        names.push(k);
    }
    let gamma = names.pop().unwrap();
    let beta = names.pop().unwrap();
    let alpha = names.pop().unwrap();
    (repo, alpha, beta, gamma)
}

#[test]
fn conflicts_github_posts_a_status_on_each_kickoff_tip() {
    let fake = FakeGitHub::start();
    let (repo, alpha, beta, gamma) = conflicting_kickoffs();
    // A dry run prints the statuses and posts nothing.
    let (code, out, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["conflicts", "--github", "--dry-run", "--exit-zero"],
    ));
    assert_eq!(code, 0, "{err}");
    let alpha_tip = repo.rev(&alpha).unwrap();
    assert!(
        out.contains(&format!(
            "set the GitHub status kickoff/conflicts of {alpha} ({}) to failure: conflicts with {beta}",
            &alpha_tip[..10]
        )),
        "{out}"
    );
    assert!(fake.requests().is_empty());

    fake.mount(
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 1}))),
    );
    let (code, _, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["conflicts", "--github"],
    ));
    assert_eq!(code, 3, "conflicts still exit 3: {err}");
    let tips: Vec<String> = [&alpha, &beta, &gamma]
        .iter()
        .map(|k| repo.rev(k).unwrap())
        .collect();
    assert_eq!(
        fake.lines(),
        tips.iter()
            .map(|t| format!("POST /repos/acme/shop/statuses/{t}"))
            .collect::<Vec<_>>()
    );
    let bodies: Vec<Value> = fake.requests().into_iter().map(|r| r.body).collect();
    assert_eq!(
        bodies[0],
        json!({"state": "failure", "context": "kickoff/conflicts",
               "description": format!("conflicts with {beta}")})
    );
    assert_eq!(bodies[1]["description"], format!("conflicts with {alpha}"));
    assert_eq!(bodies[2]["state"], "success");
    assert_eq!(
        bodies[2]["description"],
        "merges cleanly with the 3 other tips checked"
    );
    assert!(
        err.contains(&format!("set kickoff/conflicts on {gamma}: success")),
        "{err}"
    );
    assert_token_only_in_header(&fake, TOKEN);

    // A kickoff whose local branch is ahead of the remote's gets no status
    // (GitHub has not seen that commit), and says why.
    fake.reset();
    fake.mount(
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 1}))),
    );
    repo.git(&["checkout", "--quiet", &gamma]);
    repo.commit("gamma2.txt", "more\n", "more gamma");
    let (code, _, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["conflicts", "--github", "--exit-zero"],
    ));
    assert_eq!(code, 0, "{err}");
    assert_eq!(fake.lines().len(), 2, "{:?}", fake.lines());
    assert!(
        err.contains(&format!("{gamma}: its tip on origin")) && err.contains("push it"),
        "{err}"
    );
}

#[test]
fn conflicts_github_failures_are_warnings_and_the_radar_s_exit_code_stands() {
    let (repo, ..) = conflicting_kickoffs();
    let before = repo.snapshot();
    // 500 on every status: one warning per kickoff, naming the command that redoes it.
    let fake = FakeGitHub::start();
    fake.answer_every("POST", 500, json!({"message": "Server Error"}));
    let (code, out, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["conflicts", "--github", "--exit-zero"],
    ));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("✗"), "the matrix is printed: {out}");
    assert_eq!(
        err.matches("is not on GitHub: GitHub refused POST").count(),
        3,
        "{err}"
    );
    assert!(
        err.contains("`kickoff conflicts --github` redoes it"),
        "{err}"
    );
    assert!(err.contains("GitHub had an error"), "{err}");
    // GitHub unreachable: the first failure stops the others from waiting.
    let down = dead_url();
    let (code, _, err) = run(&mut kickoff_gh(&repo, &down, &["conflicts", "--github"]));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("did not answer POST"), "{err}");
    assert_eq!(
        err.matches("not tried, since GitHub at").count(),
        2,
        "{err}"
    );
    // 401: the hint says the token is expired.
    let fake = FakeGitHub::start();
    fake.answer_every("POST", 401, json!({"message": "Bad credentials"}));
    let (code, _, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["conflicts", "--github", "--exit-zero"],
    ));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("401 Bad credentials") && err.contains("expired"),
        "{err}"
    );
    assert_eq!(before, repo.snapshot());
    // Without [github], --github is a usage error.
    let plain = TestRepo::new();
    assert_refused(
        &plain,
        &["conflicts", "--github"],
        2,
        &["--github needs GitHub", "[github]"],
    );
}

/// Answers `PUT .../merge` as GitHub does: writes the merge commit of the
/// pull request's head into origin's main (a real merge commit), and
/// returns its sha.
struct MergeOnOrigin {
    origin: std::path::PathBuf,
    head: String,
}

impl wiremock::Respond for MergeOnOrigin {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        let git = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .arg("-C")
                .arg(&self.origin)
                .args(args)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_AUTHOR_NAME", "GitHub")
                .env("GIT_AUTHOR_EMAIL", "noreply@github.com")
                .env("GIT_COMMITTER_NAME", "GitHub")
                .env("GIT_COMMITTER_EMAIL", "noreply@github.com")
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        let tree = git(&["rev-parse", &format!("{}^{{tree}}", self.head)]);
        let merge = git(&[
            "commit-tree",
            &tree,
            "-p",
            "main",
            "-p",
            &self.head,
            "-m",
            "Merge pull request #5",
        ]);
        git(&["update-ref", "refs/heads/main", &merge]);
        ResponseTemplate::new(200).set_body_json(
            json!({"sha": merge, "merged": true, "message": "Pull Request successfully merged"}),
        )
    }
}

/// A released kickoff (1.0.0), pushed, with [github] configured.
fn landable() -> (TestRepo, String, String) {
    let (repo, k) = release_repo();
    repo.ok(&[
        "release",
        "--platform",
        "1.0.0",
        "--no-push",
        "--date",
        "2024-05-20",
    ]);
    repo.git(&["push", "--quiet", "origin", "platform/v1.0.0"]);
    let tip = repo.rev(&k).unwrap();
    (repo, k, tip)
}

#[test]
fn land_via_pr_merges_on_github_guarded_by_the_head_then_updates_main_here() {
    let fake = FakeGitHub::start();
    let (repo, k, tip) = landable();
    let mut pr = pr_json(5, &k, "main", "");
    pr["head"]["sha"] = json!(tip);
    fake.answer("GET", "/repos/acme/shop/pulls", 200, json!([pr]));
    // Dry run: GitHub is asked which pull request, nothing is merged.
    let before = repo.snapshot();
    let (code, out, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["-q", "land", &k, "--via-pr", "--dry-run"],
    ));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!(
            "merge pull request #5 ({k} into main) on GitHub with a merge commit, only if {k} is still at {}",
            &tip[..10]
        )),
        "{out}"
    );
    assert!(out.contains("through pull request #5 on GitHub"), "{out}");
    assert_eq!(before, repo.snapshot());
    assert_eq!(fake.lines().len(), 1);

    fake.mount(
        Mock::given(method("PUT"))
            .and(path("/repos/acme/shop/pulls/5/merge"))
            .respond_with(MergeOnOrigin {
                origin: repo.origin.clone(),
                head: tip.clone(),
            }),
    );
    let (code, _, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["land", &k, "--via-pr"],
    ));
    assert_eq!(code, 0, "{err}");
    let merge = repo.origin_git(&["rev-parse", "main"]);
    let merge = merge.trim();
    assert_eq!(
        repo.rev("main").as_deref(),
        Some(merge),
        "local main follows"
    );
    assert_eq!(repo.origin_git(&["rev-parse", "main^2"]).trim(), tip);
    assert!(err.contains("merged pull request #5"), "{err}");
    let put = seen_body(&fake, "PUT", "/repos/acme/shop/pulls/5/merge");
    assert_eq!(
        put,
        json!({"merge_method": "merge", "sha": tip,
               "commit_title": format!("Merge {k} (platform v1.0.0) into main")})
    );
    let lines = fake.lines();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[1].starts_with("GET /repos/acme/shop/pulls?state=open&head=acme%3A"),
        "{lines:?}"
    );
    assert_eq!(lines[2], "PUT /repos/acme/shop/pulls/5/merge");
    assert_token_in_no_file(repo.env.path());
}

#[test]
fn land_via_pr_refused_by_github_changes_nothing() {
    let fake = FakeGitHub::start();
    let (repo, k, tip) = landable();
    let mut pr = pr_json(5, &k, "main", "");
    pr["head"]["sha"] = json!(tip);
    fake.answer("GET", "/repos/acme/shop/pulls", 200, json!([pr]));
    fake.answer(
        "PUT",
        "/repos/acme/shop/pulls/5/merge",
        409,
        json!({"message": "Head branch was modified. Review and try the merge again."}),
    );
    let before = repo.snapshot();
    let (code, _, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["land", &k, "--via-pr"],
    ));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("409 Head branch was modified"), "{err}");
    assert!(err.contains("hint: the branch moved on GitHub"), "{err}");
    assert_eq!(before, repo.snapshot());
    // No pull request: refused before anything, with the command that opens one.
    fake.reset();
    fake.answer("GET", "/repos/acme/shop/pulls", 200, json!([]));
    let (code, _, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["land", &k, "--via-pr"],
    ));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("has no open pull request") && err.contains(&format!("kickoff pr {k}")),
        "{err}"
    );
    // GitHub down: exit 1, nothing changed.
    let down = dead_url();
    let (code, _, err) = run(&mut kickoff_gh(&repo, &down, &["land", &k, "--via-pr"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("hint: check the network"), "{err}");
    assert_eq!(before, repo.snapshot());
}

#[test]
fn land_says_when_github_requires_pull_requests_for_main() {
    let fake = FakeGitHub::start();
    let (repo, k, _) = landable();
    // The rules API says so: refused before the push.
    fake.answer(
        "GET",
        "/repos/acme/shop/rules/branches/main",
        200,
        json!([{"type": "pull_request", "parameters": {"required_approving_review_count": 1}}]),
    );
    let before = repo.snapshot();
    let (code, _, err) = run(&mut kickoff_gh(&repo, &fake.url(), &["land", &k]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("GitHub's rules for main require a pull request"),
        "{err}"
    );
    assert!(err.contains(&format!("kickoff land --via-pr {k}")), "{err}");
    assert_eq!(before, repo.snapshot());
    // The rules API does not tell (classic branch protection): the remote
    // rejects the push with GH006, and land says what that means.
    fake.reset();
    fake.answer(
        "GET",
        "/repos/acme/shop/rules/branches/main",
        200,
        json!([]),
    );
    repo.freeze_origin("error: GH006: Protected branch update failed for refs/heads/main.");
    let (code, _, err) = run(&mut kickoff_gh(&repo, &fake.url(), &["land", &k]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("main is protected on GitHub"), "{err}");
    assert!(
        err.contains("GH006"),
        "the remote's own line is shown: {err}"
    );
    assert!(
        err.contains(&format!(
            "hint: merge it through its pull request: `kickoff land --via-pr {k}`"
        )),
        "{err}"
    );
    assert_eq!(before.refs, repo.snapshot().refs);
}

/// A pull request node of GitHub's GraphQL answer.
fn pr_node(number: u64, head: &str, base: &str, draft: bool, review: Value, from: &str) -> Value {
    json!({
        "number": number, "url": format!("https://github.com/acme/shop/pull/{number}"),
        "isDraft": draft, "headRefName": head, "baseRefName": base,
        "reviewDecision": review, "headRepository": {"nameWithOwner": from}
    })
}

fn pr_page(nodes: Vec<Value>, next: Option<&str>) -> Value {
    json!({"data": {"repository": {"pullRequests": {
        "nodes": nodes,
        "pageInfo": {"hasNextPage": next.is_some(), "endCursor": next}
    }}}})
}

#[test]
fn list_and_status_github_show_pull_requests_from_one_request_per_page() {
    let fake = FakeGitHub::start();
    let repo = feature_repo();
    let (k, f) = ("kickoff-240510-dash", "feature/DASH-1-login");
    // Page 1: the kickoff's pull request, and a fork's branch of the same
    // name as the feature (not ours). Page 2: the feature's.
    fake.mount(
        Mock::given(method("POST"))
            .and(path("/graphql"))
            .and(body_partial_json(
                json!({"variables": {"owner": "acme", "name": "shop", "after": null}}),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(pr_page(
                vec![
                    pr_node(9, k, "main", false, json!("APPROVED"), "acme/shop"),
                    pr_node(3, f, "main", false, json!(null), "mallory/shop"),
                ],
                Some("cursor-1"),
            ))),
    );
    fake.mount(
        Mock::given(method("POST"))
            .and(path("/graphql"))
            .and(body_partial_json(
                json!({"variables": {"after": "cursor-1"}}),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(pr_page(
                vec![pr_node(
                    8,
                    f,
                    k,
                    true,
                    json!("CHANGES_REQUESTED"),
                    "acme/shop",
                )],
                None,
            ))),
    );
    let (code, out, err) = run(&mut kickoff_gh(&repo, &fake.url(), &["list", "--github"]));
    assert_eq!(code, 0, "{err}");
    let header = out.lines().next().unwrap();
    assert!(header.ends_with("PULL REQUEST"), "{out}");
    assert!(
        out.lines().nth(1).unwrap().ends_with("#9 open, approved"),
        "{out}"
    );
    assert_eq!(fake.lines(), ["POST /graphql", "POST /graphql"]);
    let query = fake.requests()[0].body["query"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        query.contains("pullRequests(states: OPEN, first: 100"),
        "{query}"
    );
    assert!(query.contains("reviewDecision"), "{query}");

    fake.reset();
    fake.mount(
        Mock::given(method("POST"))
            .and(path("/graphql"))
            .respond_with(ResponseTemplate::new(200).set_body_json(pr_page(
                vec![
                    pr_node(9, k, "main", false, json!("REVIEW_REQUIRED"), "acme/shop"),
                    pr_node(8, f, k, true, json!("CHANGES_REQUESTED"), "acme/shop"),
                ],
                None,
            ))),
    );
    let (code, out, err) = run(&mut kickoff_gh(&repo, &fake.url(), &["status", "--github"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("  pull requests\n"), "{out}");
    assert!(
        out.contains(&format!(
            "    {k}   #9 open, review required  https://github.com/acme/shop/pull/9"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("    {f}  #8 draft, changes requested")),
        "{out}"
    );
    let (code, out, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["status", "--github", "--json"],
    ));
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["kickoff"]["pull_request"]["number"], 9);
    assert_eq!(v["kickoff"]["pull_request"]["review"], "review_required");
    assert_eq!(v["features"][0]["pull_request"]["state"], "draft");
    assert_eq!(
        fake.lines().len(),
        2,
        "one request per run: {:?}",
        fake.lines()
    );
    assert_token_only_in_header(&fake, TOKEN);
}

#[test]
fn list_github_with_github_failing_warns_and_lists() {
    let repo = feature_repo();
    // Enterprise Server: GraphQL is at /api/graphql, beside /api/v3.
    let fake = FakeGitHub::start();
    fake.answer(
        "POST",
        "/api/graphql",
        401,
        json!({"message": "Bad credentials"}),
    );
    let (code, out, err) = run(&mut kickoff_gh(
        &repo,
        &format!("{}/api/v3", fake.url()),
        &["list", "--github"],
    ));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("kickoff-240510-dash"), "{out}");
    assert!(!out.contains("PULL REQUEST"), "{out}");
    assert!(
        err.contains("warning: pull requests are not shown: GitHub refused POST /graphql: 401 Bad credentials"),
        "{err}"
    );
    assert!(err.contains("expired"), "{err}");
    assert_eq!(fake.lines(), ["POST /api/graphql"]);
    // GraphQL's own errors (200 with `errors`) are GitHub's message too.
    let fake = FakeGitHub::start();
    fake.answer(
        "POST",
        "/graphql",
        200,
        json!({"data": null, "errors": [{"message": "Could not resolve to a Repository with the name 'acme/shop'."}]}),
    );
    let (code, _, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["list", "--github", "--json"],
    ));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Could not resolve to a Repository"), "{err}");
    let (code, _, err) = run(&mut kickoff_gh(&repo, &dead_url(), &["status", "--github"]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("did not answer POST /graphql"), "{err}");
}

#[test]
fn new_and_feature_pr_open_a_draft_pull_request_after_the_push() {
    let fake = FakeGitHub::start();
    let repo = repo_with(&format!(
        "{GITHUB_TOML}ticket_url = \"https://jira.example.com/browse/{{ticket}}\"\n"
    ));
    let k = "kickoff-240510-dash";
    // Dry run: the plan shows the start commit and the pull request; GitHub
    // is not asked.
    let before = repo.snapshot();
    let (code, out, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["-q", "new", "dash", "--date", "240510", "--pr", "--dry-run"],
    ));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with(&format!("create branch {k} at ")),
        "{out}"
    );
    assert!(
        lines[0].ends_with("(an empty start commit on origin/main)"),
        "{out}"
    );
    assert_eq!(
        lines[1],
        format!("push {k} to origin with upstream tracking")
    );
    assert_eq!(
        lines[2],
        format!("open a draft pull request {k} -> main on GitHub: {k}")
    );
    assert!(fake.requests().is_empty());
    assert_eq!(before.refs, repo.snapshot().refs);

    fake.answer("GET", "/repos/acme/shop/pulls", 200, json!([]));
    fake.answer(
        "POST",
        "/repos/acme/shop/pulls",
        201,
        pr_json(12, k, "main", ""),
    );
    let (code, out, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["new", "dash", "--date", "240510", "--pr"],
    ));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, format!("{k}\n"));
    assert!(err.contains("opened pull request #12"), "{err}");
    // The branch starts with an empty commit on main, and origin has it.
    let tip = repo.rev(k).unwrap();
    assert_eq!(
        repo.origin_refs().get(&format!("refs/heads/{k}")),
        Some(&tip)
    );
    assert_eq!(repo.rev(&format!("{k}^")), repo.rev("origin/main"));
    assert_eq!(
        repo.rev(&format!("{k}^{{tree}}")),
        repo.rev("origin/main^{tree}")
    );
    assert_eq!(
        fake.lines(),
        [
            format!("GET /repos/acme/shop/pulls?state=open&head=acme%3A{k}&per_page=100"),
            "POST /repos/acme/shop/pulls".to_string(),
        ]
    );
    let created = seen_body(&fake, "POST", "/repos/acme/shop/pulls");
    assert_eq!(created["head"], k);
    assert_eq!(created["base"], "main");
    assert_eq!(created["draft"], true);
    assert_eq!(created["title"], k);

    // feature --pr: into the kickoff, titled by ticket and slug, linked.
    fake.reset();
    let f = "feature/DASH-2-search";
    fake.answer("GET", "/repos/acme/shop/pulls", 200, json!([]));
    fake.answer("POST", "/repos/acme/shop/pulls", 201, pr_json(13, f, k, ""));
    let (code, _, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["feature", "DASH-2", "search", "--pr"],
    ));
    assert_eq!(code, 0, "{err}");
    let created = seen_body(&fake, "POST", "/repos/acme/shop/pulls");
    assert_eq!(created["base"], k);
    assert_eq!(created["title"], "DASH-2 search");
    assert!(
        created["body"]
            .as_str()
            .unwrap()
            .contains("- [DASH-2](https://jira.example.com/browse/DASH-2)"),
        "{created}"
    );
    assert_eq!(repo.rev(&format!("{f}^")), repo.rev(k));
    assert_eq!(
        repo.config(&format!("branch.{f}.kickoff")).as_deref(),
        Some(k)
    );
    assert_token_in_no_file(repo.env.path());
}

#[test]
fn new_pr_with_github_down_creates_the_branch_and_warns() {
    let repo = repo_with(GITHUB_TOML);
    let k = "kickoff-240510-dash";
    let (code, out, err) = run(&mut kickoff_gh(
        &repo,
        &dead_url(),
        &["new", "dash", "--date", "240510", "--pr"],
    ));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, format!("{k}\n"));
    assert!(
        err.contains(&format!(
            "warning: the pull request of {k} is not on GitHub"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("`kickoff pr {k} --draft` redoes it")),
        "{err}"
    );
    assert_eq!(
        repo.origin_refs().get(&format!("refs/heads/{k}")),
        repo.rev(k).as_ref()
    );
    // --pr without the push, or without [github], is refused before anything.
    assert_refused(
        &repo,
        &["new", "other", "--date", "240511", "--pr", "--no-push"],
        2,
        &["--no-push"],
    );
    let plain = TestRepo::new();
    assert_refused(
        &plain,
        &["new", "other", "--date", "240511", "--pr"],
        2,
        &["--pr needs GitHub"],
    );
}

/// The deployment records in origin's shared state.
fn deployment_records(repo: &TestRepo) -> Vec<Value> {
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

/// A slot pool whose deploy command is `deploy`, mirrored to GitHub, with
/// the kickoff `kickoff-240510-alpha`.
fn deploy_repo(deploy: &str) -> TestRepo {
    let config = SLOTS_TOML.replace(r#"deploy = ["true"]"#, &format!("deploy = [\"{deploy}\"]"));
    slots_repo(
        &format!("{config}\n{GITHUB_TOML}deployments = true\n"),
        &["alpha"],
    )
}

#[test]
fn deploy_mirrors_to_a_github_deployment_around_the_deploy_command() {
    let fake = FakeGitHub::start();
    let repo = deploy_repo("true");
    let k = "kickoff-240510-alpha";
    let tip = repo.rev(k).unwrap();
    let (code, out, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["-q", "deploy", k, "--dry-run"],
    ));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(needle))
            .unwrap_or_else(|| panic!("{needle:?} missing:\n{out}"))
    };
    let create = at(&format!(
        "create a GitHub deployment of {k} ({}) to the environment dev1",
        &tip[..10]
    ));
    let progress = at("mark the GitHub deployment to dev1 in progress");
    let command = at("run true to deploy");
    let record = at("record the deployment");
    let outcome = at("mark the GitHub deployment to dev1 success or failure");
    assert!(
        create < progress && progress < command && command < record && record < outcome,
        "{out}"
    );
    assert!(fake.requests().is_empty());

    fake.answer(
        "POST",
        "/repos/acme/shop/deployments",
        201,
        json!({
            "id": 42, "sha": tip, "environment": "dev1", "payload": {}
        }),
    );
    fake.answer(
        "POST",
        "/repos/acme/shop/deployments/42/statuses",
        201,
        json!({"id": 1}),
    );
    let (code, _, err) = run(&mut kickoff_gh(&repo, &fake.url(), &["deploy", k]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        fake.lines(),
        [
            "POST /repos/acme/shop/deployments",
            "POST /repos/acme/shop/deployments/42/statuses",
            "POST /repos/acme/shop/deployments/42/statuses",
        ]
    );
    let seen = fake.requests();
    let records = deployment_records(&repo);
    assert_eq!(records.len(), 1);
    let rec = &records[0];
    assert_eq!(rec["github_deployment"], 42);
    let created = &seen[0].body;
    assert_eq!(created["ref"], tip);
    assert_eq!(created["environment"], "dev1");
    assert_eq!(created["auto_merge"], false);
    assert_eq!(created["required_contexts"], json!([]));
    assert_eq!(
        created["payload"],
        json!({"kickoff": k, "platform_version": null, "tickets": ["DASH-1"], "record": rec["id"]})
    );
    assert_eq!(seen[1].body["state"], "in_progress");
    assert_eq!(
        seen[1].body["environment_url"],
        "https://frontend-dev1.dev.example.com/"
    );
    assert_eq!(seen[2].body["state"], "success");
    assert_token_in_no_file(repo.env.path());
    assert_token_only_in_header(&fake, TOKEN);

    // Giving the slot back marks its last deployment inactive.
    fake.reset();
    fake.answer(
        "POST",
        "/repos/acme/shop/deployments/42/statuses",
        201,
        json!({"id": 2}),
    );
    let (code, out, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["-q", "slot", "release", "dev1", "--dry-run"],
    ));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("mark GitHub deployment 42 (dev1) inactive"),
        "{out}"
    );
    assert!(fake.requests().is_empty());
    let (code, _, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["slot", "release", "dev1"],
    ));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        fake.lines(),
        ["POST /repos/acme/shop/deployments/42/statuses"]
    );
    assert_eq!(fake.requests()[0].body["state"], "inactive");
}

#[test]
fn a_failed_deploy_is_a_failed_github_deployment_and_github_down_changes_nothing_in_git() {
    let fake = FakeGitHub::start();
    let repo = deploy_repo("false");
    let k = "kickoff-240510-alpha";
    fake.answer(
        "POST",
        "/repos/acme/shop/deployments",
        201,
        json!({
            "id": 7, "sha": "x", "environment": "dev1", "payload": {}
        }),
    );
    fake.answer(
        "POST",
        "/repos/acme/shop/deployments/7/statuses",
        201,
        json!({"id": 1}),
    );
    let (code, _, err) = run(&mut kickoff_gh(&repo, &fake.url(), &["deploy", k]));
    assert_eq!(code, 1, "{err}");
    let seen = fake.requests();
    assert_eq!(seen.len(), 3, "{:?}", fake.lines());
    assert_eq!(seen[2].body["state"], "failure");
    assert_eq!(deployment_records(&repo)[0]["status"], "failed");

    // GitHub down: the deploy runs and is recorded as without GitHub, with
    // warnings naming `kickoff github sync`; the record has no GitHub id.
    let repo = deploy_repo("true");
    let (code, _, err) = run(&mut kickoff_gh(&repo, &dead_url(), &["deploy", k]));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: the deployment to dev1 is not on GitHub"),
        "{err}"
    );
    assert_eq!(
        err.matches("`kickoff github sync` redoes it").count(),
        3,
        "{err}"
    );
    let records = deployment_records(&repo);
    assert_eq!(records[0]["status"], "succeeded");
    assert!(
        records[0].get("github_deployment").is_none(),
        "{}",
        records[0]
    );
}

#[test]
fn github_sync_replays_releases_and_deployments_an_outage_left_out_once() {
    let config = SLOTS_TOML.to_string();
    let repo = slots_repo(
        &format!("{config}\n{GITHUB_TOML}deployments = true\nreleases = true\n"),
        &["alpha"],
    );
    let k = "kickoff-240510-alpha";
    // GitHub is down while kickoff releases and deploys: warnings, exit 0.
    let down = dead_url();
    for args in [
        vec!["release", k, "--platform", "1.0.0", "--date", "2024-05-20"],
        vec!["deploy", k],
    ] {
        let (code, _, err) = run(&mut kickoff_gh(&repo, &down, &args));
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("redoes it"), "{err}");
    }
    let record = deployment_records(&repo)[0].clone();
    let record_id = record["id"].as_str().unwrap().to_string();

    let fake = FakeGitHub::start();
    fake.answer("GET", "/repos/acme/shop/releases", 200, json!([]));
    fake.answer("GET", "/repos/acme/shop/deployments", 200, json!([]));
    let before = repo.snapshot();
    let (code, out, err) = run(&mut kickoff_gh(
        &repo,
        &fake.url(),
        &["-q", "github", "sync", "--dry-run"],
    ));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "publish the GitHub release \"platform v1.0.0\" for platform/v1.0.0 (latest)"
                .to_string(),
            format!(
                "create a GitHub deployment of {k} ({}) to the environment dev1",
                &record["commit"].as_str().unwrap()[..10]
            ),
            "mark the GitHub deployment to dev1 success".to_string(),
        ]
    );
    assert_eq!(
        fake.lines(),
        [
            "GET /repos/acme/shop/releases?per_page=100&page=1",
            "GET /repos/acme/shop/deployments?environment=dev1&per_page=100",
        ]
    );
    assert_eq!(before, repo.snapshot());

    fake.reset();
    fake.answer("GET", "/repos/acme/shop/releases", 200, json!([]));
    fake.answer("GET", "/repos/acme/shop/deployments", 200, json!([]));
    fake.answer(
        "POST",
        "/repos/acme/shop/releases",
        201,
        release_json(3, "platform/v1.0.0", false),
    );
    fake.answer(
        "POST",
        "/repos/acme/shop/deployments",
        201,
        json!({
            "id": 51, "sha": record["commit"], "environment": "dev1", "payload": {}
        }),
    );
    fake.answer(
        "POST",
        "/repos/acme/shop/deployments/51/statuses",
        201,
        json!({"id": 1}),
    );
    let (code, _, err) = run(&mut kickoff_gh(&repo, &fake.url(), &["github", "sync"]));
    assert_eq!(code, 0, "{err}");
    let lines = fake.lines();
    assert_eq!(
        &lines[2..],
        [
            "GET /repos/acme/shop/releases/tags/platform%2Fv1.0.0",
            "POST /repos/acme/shop/releases",
            "POST /repos/acme/shop/deployments",
            "POST /repos/acme/shop/deployments/51/statuses",
        ]
    );
    let created = seen_body(&fake, "POST", "/repos/acme/shop/deployments");
    assert_eq!(created["payload"]["record"], record_id.as_str());
    assert_eq!(created["environment"], "dev1");
    assert_eq!(
        seen_body(&fake, "POST", "/repos/acme/shop/deployments/51/statuses")["state"],
        "success"
    );

    // GitHub has it all now: a second sync asks and changes nothing.
    let github_has_it_all = || {
        fake.answer(
            "GET",
            "/repos/acme/shop/releases",
            200,
            json!([release_json(3, "platform/v1.0.0", false)]),
        );
        fake.answer("GET", "/repos/acme/shop/deployments", 200, json!([
            {"id": 51, "sha": record["commit"], "environment": "dev1", "payload": {"record": record_id}}
        ]));
    };
    fake.reset();
    github_has_it_all();
    let (code, _, err) = run(&mut kickoff_gh(&repo, &fake.url(), &["github", "sync"]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("nothing to replay"), "{err}");
    assert!(
        fake.lines().iter().all(|l| l.starts_with("GET ")),
        "{:?}",
        fake.lines()
    );

    // The slot is given back while GitHub is down; sync marks it inactive.
    let (code, _, err) = run(&mut kickoff_gh(&repo, &down, &["slot", "release", "dev1"]));
    assert_eq!(code, 0, "{err}");
    fake.reset();
    github_has_it_all();
    fake.answer(
        "GET",
        "/repos/acme/shop/deployments/51/statuses",
        200,
        json!([{"state": "success"}]),
    );
    fake.answer(
        "POST",
        "/repos/acme/shop/deployments/51/statuses",
        201,
        json!({"id": 2}),
    );
    let (code, _, err) = run(&mut kickoff_gh(&repo, &fake.url(), &["github", "sync"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        seen_body(&fake, "POST", "/repos/acme/shop/deployments/51/statuses")["state"],
        "inactive"
    );
    // A GitHub failure is exit 1 with GitHub's message (its job is GitHub).
    let fake = FakeGitHub::start();
    fake.answer(
        "GET",
        "/repos/acme/shop/releases",
        500,
        json!({"message": "Server Error"}),
    );
    let (code, _, err) = run(&mut kickoff_gh(&repo, &fake.url(), &["github", "sync"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("500 Server Error"), "{err}");
    assert_token_in_no_file(repo.env.path());
}
