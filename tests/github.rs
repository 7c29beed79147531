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
    // A port nothing listens on: bind, note it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let repo = repo_with(GITHUB_TOML);
    let url = format!("http://127.0.0.1:{port}");
    let (code, _, err) = run(&mut kickoff_gh(&repo, &url, &["github", "status"]));
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
    fake.answer(
        "POST",
        "/repos/acme/shop/pulls",
        201,
        pr_json(7, head, base, ""),
    );
    fake.answer(
        "POST",
        "/repos/acme/shop/pulls/7/requested_reviewers",
        201,
        json!({}),
    );
    fake.answer("POST", "/repos/acme/shop/issues/7/labels", 200, json!([]));
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
    assert_eq!(
        fake.lines().len(),
        1,
        "dry run only looks: {:?}",
        fake.lines()
    );
    assert_eq!(before, repo.snapshot(), "dry run changed nothing");

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
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let before = repo.snapshot();
    let (code, _, err) = run(&mut kickoff_gh(
        &repo,
        &format!("http://127.0.0.1:{port}"),
        &["pr"],
    ));
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
    assert_token_in_no_file(repo.env.path());
}

#[test]
fn release_with_github_down_still_tags_warns_and_exits_0() {
    let (repo, k) = release_repo();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, out, err) = run(&mut kickoff_gh(
        &repo,
        &format!("http://127.0.0.1:{port}"),
        &["release", "--platform", "1.0.0", "--date", "2024-05-20"],
    ));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "platform/v1.0.0\n");
    assert!(
        err.contains("warning: the GitHub release for platform/v1.0.0 is not on GitHub"),
        "{err}"
    );
    assert!(
        err.contains("`kickoff github release 1.0.0` redoes it"),
        "{err}"
    );
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
    fake.mount(Mock::given(method("GET")).respond_with(
        ResponseTemplate::new(401).set_body_json(json!({"message": "Bad credentials"})),
    ));
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
