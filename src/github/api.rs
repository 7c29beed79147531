//! The domain verbs: what kickoff asks of GitHub, one method per question or
//! change, each naming the REST request it makes.

use super::{GitHub, GitHubError, decode};
use http::Method;
use serde::{Deserialize, Serialize};

/// `GET /rate_limit`, `resources.core`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RateLimit {
    pub limit: u64,
    pub remaining: u64,
    pub used: Option<u64>,
    /// Unix time when the window resets.
    pub reset: i64,
}

/// What the token may do, as GitHub reports it.
#[derive(Debug, Clone, Serialize)]
pub struct AccessReport {
    /// `X-OAuth-Scopes` (classic tokens and `gh` logins); `None` for
    /// fine-grained tokens and apps, which report no scopes.
    pub scopes: Option<Vec<String>>,
    /// The token's permissions on the repository (`admin`, `maintain`,
    /// `push`, `triage`, `pull`) that are granted.
    pub permissions: Vec<String>,
    /// The repository's default branch.
    pub default_branch: Option<String>,
    pub rate_limit: RateLimit,
}

#[derive(Deserialize)]
struct RateLimitBody {
    resources: RateResources,
}

#[derive(Deserialize)]
struct RateResources {
    core: RateLimit,
}

#[derive(Deserialize)]
struct RepositoryBody {
    default_branch: Option<String>,
    #[serde(default)]
    permissions: std::collections::BTreeMap<String, bool>,
}

impl GitHub {
    /// `GET /rate_limit` (scopes come in its headers), then
    /// `GET /repos/OWNER/NAME` (the token's permissions on it).
    pub fn access_report(&self) -> Result<AccessReport, GitHubError> {
        let path = "/rate_limit";
        let response = self.call(Method::GET, path, None)?;
        let scopes = response.header("x-oauth-scopes").map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        });
        let rate: RateLimitBody = decode(path, &response)?;
        let path = self.repo_path("");
        let response = self.call(Method::GET, &path, None)?;
        let repo: RepositoryBody = decode(&path, &response)?;
        Ok(AccessReport {
            scopes,
            permissions: repo
                .permissions
                .into_iter()
                .filter(|(_, granted)| *granted)
                .map(|(p, _)| p)
                .collect(),
            default_branch: repo.default_branch,
            rate_limit: rate.resources.core,
        })
    }
}

/// A pull request as kickoff reads it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PullRequest {
    pub number: u64,
    pub html_url: String,
    pub state: String,
    #[serde(default)]
    pub draft: bool,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    pub head: PrRef,
    pub base: PrRef,
    #[serde(default)]
    pub merged_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PrRef {
    #[serde(rename = "ref")]
    pub name: String,
    pub sha: String,
}

/// What a new pull request says.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NewPullRequest {
    pub title: String,
    pub head: String,
    pub base: String,
    pub body: String,
    pub draft: bool,
}

/// A change to an existing pull request; `None` leaves a field alone.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct PullRequestUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl PullRequestUpdate {
    pub fn is_empty(&self) -> bool {
        *self == PullRequestUpdate::default()
    }
}

/// A release as kickoff reads it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Release {
    pub id: u64,
    pub tag_name: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub prerelease: bool,
    #[serde(default)]
    pub html_url: String,
}

/// What a release should say.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReleaseSpec {
    pub tag_name: String,
    pub name: String,
    pub body: String,
    pub prerelease: bool,
    /// "true" or "false": whether GitHub marks it Latest.
    pub make_latest: String,
}

/// A deployment as kickoff reads it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Deployment {
    pub id: u64,
    pub sha: String,
    pub environment: String,
    #[serde(default)]
    pub payload: serde_json::Value,
}

/// What a new deployment says.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NewDeployment {
    /// The full commit id.
    #[serde(rename = "ref")]
    pub sha: String,
    pub environment: String,
    pub description: String,
    pub payload: serde_json::Value,
    pub auto_merge: bool,
    pub required_contexts: Vec<String>,
    pub transient_environment: bool,
    pub production_environment: bool,
}

/// One review of a pull request.
#[derive(Debug, Clone, Deserialize)]
struct Review {
    user: Option<Login>,
    state: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Login {
    login: String,
}

fn json_of<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("serializable")
}

impl GitHub {
    /// `GET /repos/OWNER/NAME/pulls?state=open&head=OWNER:BRANCH`: the open
    /// pull request from `branch`, if any.
    pub fn open_pull_request(&self, branch: &str) -> Result<Option<PullRequest>, GitHubError> {
        let head = format!("{}:{branch}", self.target.repository.owner);
        let path = self.repo_path(&format!(
            "/pulls?state=open&head={}&per_page=100",
            super::escape(&head)
        ));
        let response = self.call(Method::GET, &path, None)?;
        let prs: Vec<PullRequest> = decode(&path, &response)?;
        Ok(prs.into_iter().find(|p| p.head.name == branch))
    }

    /// `GET /repos/OWNER/NAME/pulls?state=all&sort=updated&direction=desc`
    /// (one page of 100): recent pull requests, newest first.
    pub fn recent_pull_requests(&self) -> Result<Vec<PullRequest>, GitHubError> {
        let path = self.repo_path("/pulls?state=all&sort=updated&direction=desc&per_page=100");
        let response = self.call(Method::GET, &path, None)?;
        decode(&path, &response)
    }

    /// `POST /repos/OWNER/NAME/pulls`.
    pub fn create_pull_request(&self, pr: &NewPullRequest) -> Result<PullRequest, GitHubError> {
        let path = self.repo_path("/pulls");
        let response = self.call(Method::POST, &path, Some(&json_of(pr)))?;
        decode(&path, &response)
    }

    /// `PATCH /repos/OWNER/NAME/pulls/NUMBER`.
    pub fn update_pull_request(
        &self,
        number: u64,
        update: &PullRequestUpdate,
    ) -> Result<PullRequest, GitHubError> {
        let path = self.repo_path(&format!("/pulls/{number}"));
        let response = self.call(Method::PATCH, &path, Some(&json_of(update)))?;
        decode(&path, &response)
    }

    /// `POST /repos/OWNER/NAME/pulls/NUMBER/requested_reviewers`.
    pub fn request_reviewers(&self, number: u64, reviewers: &[String]) -> Result<(), GitHubError> {
        let path = self.repo_path(&format!("/pulls/{number}/requested_reviewers"));
        let body = serde_json::json!({ "reviewers": reviewers });
        self.call(Method::POST, &path, Some(&body)).map(drop)
    }

    /// `POST /repos/OWNER/NAME/issues/NUMBER/labels` (adds, keeps the others).
    pub fn add_labels(&self, number: u64, labels: &[String]) -> Result<(), GitHubError> {
        let path = self.repo_path(&format!("/issues/{number}/labels"));
        let body = serde_json::json!({ "labels": labels });
        self.call(Method::POST, &path, Some(&body)).map(drop)
    }

    /// `GET /repos/OWNER/NAME/pulls/NUMBER/reviews`: the review state, from
    /// each reviewer's latest deciding review: "changes requested" when any
    /// asks for changes, "approved" when some approve, else "none".
    pub fn review_state(&self, number: u64) -> Result<&'static str, GitHubError> {
        let path = self.repo_path(&format!("/pulls/{number}/reviews?per_page=100"));
        let response = self.call(Method::GET, &path, None)?;
        let reviews: Vec<Review> = decode(&path, &response)?;
        let mut latest: std::collections::BTreeMap<String, String> = Default::default();
        for r in reviews {
            if matches!(
                r.state.as_str(),
                "APPROVED" | "CHANGES_REQUESTED" | "DISMISSED"
            ) {
                let who = r.user.map(|u| u.login).unwrap_or_default();
                latest.insert(who, r.state);
            }
        }
        Ok(if latest.values().any(|s| s == "CHANGES_REQUESTED") {
            "changes requested"
        } else if latest.values().any(|s| s == "APPROVED") {
            "approved"
        } else {
            "none"
        })
    }

    /// `PUT /repos/OWNER/NAME/pulls/NUMBER/merge` with `merge_method: merge`
    /// and the expected head `sha`: GitHub refuses (409) when the branch moved.
    pub fn merge_pull_request(
        &self,
        number: u64,
        sha: &str,
        title: &str,
    ) -> Result<String, GitHubError> {
        let path = self.repo_path(&format!("/pulls/{number}/merge"));
        let body = serde_json::json!({
            "merge_method": "merge",
            "sha": sha,
            "commit_title": title,
        });
        let response = self.call(Method::PUT, &path, Some(&body))?;
        Ok(response
            .json()
            .get("sha")
            .and_then(|s| s.as_str())
            .unwrap_or_default()
            .to_string())
    }

    /// `GET /repos/OWNER/NAME/rules/branches/BRANCH`: whether the rules for
    /// `branch` require a pull request.
    pub fn branch_requires_pull_request(&self, branch: &str) -> Result<bool, GitHubError> {
        let path = self.repo_path(&format!("/rules/branches/{}", super::escape(branch)));
        let Some(response) = self.lookup(&path)? else {
            return Ok(false);
        };
        let rules: Vec<serde_json::Value> = decode(&path, &response)?;
        Ok(rules
            .iter()
            .any(|r| r.get("type").and_then(|t| t.as_str()) == Some("pull_request")))
    }

    /// `GET /repos/OWNER/NAME/releases/tags/TAG` (the tag escaped: `platform%2Fv1.2.3`).
    pub fn release_by_tag(&self, tag: &str) -> Result<Option<Release>, GitHubError> {
        let path = self.repo_path(&format!("/releases/tags/{}", super::escape(tag)));
        match self.lookup(&path)? {
            Some(response) => decode(&path, &response).map(Some),
            None => Ok(None),
        }
    }

    /// `POST /repos/OWNER/NAME/releases` (never a draft).
    pub fn create_release(&self, spec: &ReleaseSpec) -> Result<Release, GitHubError> {
        let path = self.repo_path("/releases");
        let mut body = json_of(spec);
        body["draft"] = false.into();
        let response = self.call(Method::POST, &path, Some(&body))?;
        decode(&path, &response)
    }

    /// `PATCH /repos/OWNER/NAME/releases/ID`.
    pub fn update_release(&self, id: u64, spec: &ReleaseSpec) -> Result<Release, GitHubError> {
        let path = self.repo_path(&format!("/releases/{id}"));
        let response = self.call(Method::PATCH, &path, Some(&json_of(spec)))?;
        decode(&path, &response)
    }

    /// `POST /repos/OWNER/NAME/deployments`.
    pub fn create_deployment(&self, d: &NewDeployment) -> Result<Deployment, GitHubError> {
        let path = self.repo_path("/deployments");
        let response = self.call(Method::POST, &path, Some(&json_of(d)))?;
        decode(&path, &response)
    }

    /// `GET /repos/OWNER/NAME/deployments?environment=ENV&per_page=N`: newest first.
    pub fn deployments(&self, environment: &str, n: u32) -> Result<Vec<Deployment>, GitHubError> {
        let path = self.repo_path(&format!(
            "/deployments?environment={}&per_page={n}",
            super::escape(environment)
        ));
        let response = self.call(Method::GET, &path, None)?;
        decode(&path, &response)
    }

    /// `POST /repos/OWNER/NAME/deployments/ID/statuses`.
    pub fn deployment_status(
        &self,
        id: u64,
        state: &str,
        environment_url: Option<&str>,
        description: &str,
    ) -> Result<(), GitHubError> {
        let path = self.repo_path(&format!("/deployments/{id}/statuses"));
        let mut body = serde_json::json!({
            "state": state,
            "description": truncate(description, 140),
            "auto_inactive": false,
        });
        if let Some(url) = environment_url {
            body["environment_url"] = url.into();
        }
        self.call(Method::POST, &path, Some(&body)).map(drop)
    }

    /// `POST /repos/OWNER/NAME/statuses/SHA`.
    pub fn commit_status(
        &self,
        sha: &str,
        state: &str,
        context: &str,
        description: &str,
    ) -> Result<(), GitHubError> {
        let path = self.repo_path(&format!("/statuses/{sha}"));
        let body = serde_json::json!({
            "state": state,
            "context": context,
            "description": truncate(description, 140),
        });
        self.call(Method::POST, &path, Some(&body)).map(drop)
    }
}

/// At most `max` characters, with `…` when cut (GitHub caps descriptions).
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max - 1).collect();
    s.push('…');
    s
}

/// An open pull request as `list --github` and `status --github` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenPullRequest {
    pub number: u64,
    pub url: String,
    /// The branch it comes from (in this repository, not a fork).
    #[serde(skip)]
    pub head: String,
    pub base: String,
    /// `open` or `draft`.
    pub state: &'static str,
    /// `approved`, `changes_requested`, `review_required`, or `none` (no
    /// review is required and none decided).
    pub review: &'static str,
}

/// One page of open pull requests with their review decision: GraphQL,
/// because the REST list has no review state (one request per 100 pull
/// requests instead of one per branch).
const OPEN_PULL_REQUESTS: &str = "query($owner: String!, $name: String!, $after: String) { \
repository(owner: $owner, name: $name) { pullRequests(states: OPEN, first: 100, after: $after) { \
nodes { number url isDraft headRefName baseRefName reviewDecision headRepository { nameWithOwner } } \
pageInfo { hasNextPage endCursor } } } }";

impl GitHub {
    /// `POST /graphql`: the `data` of the answer; GraphQL's `errors` become
    /// [`GitHubError::Api`] with their messages.
    fn graphql(&self, body: &serde_json::Value) -> Result<serde_json::Value, GitHubError> {
        let request = "POST /graphql".to_string();
        let response = self.client.graphql(body)?;
        if !response.ok() {
            return Err(self.api_error(request, &response));
        }
        let mut answer = response.json();
        let errors: Vec<String> = answer
            .get("errors")
            .and_then(|e| e.as_array())
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e.get("message").and_then(|m| m.as_str()))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let data = answer.get_mut("data").map(serde_json::Value::take);
        match data {
            Some(data) if !data.is_null() && errors.is_empty() => Ok(data),
            _ => Err(GitHubError::Api {
                request,
                status: response.status,
                message: if errors.is_empty() {
                    "no data in GitHub's answer".into()
                } else {
                    errors.join("; ")
                },
                accepted_scopes: response
                    .header("x-accepted-oauth-scopes")
                    .map(str::to_string),
                rate_limited: false,
                repository: self.target.repository.to_string(),
            }),
        }
    }

    /// Every open pull request from a branch of this repository, with its
    /// review decision: one GraphQL request per 100.
    pub fn open_pull_requests(&self) -> Result<Vec<OpenPullRequest>, GitHubError> {
        let repo = &self.target.repository;
        let full_name = repo.to_string();
        let mut after: Option<String> = None;
        let mut found = Vec::new();
        loop {
            let body = serde_json::json!({
                "query": OPEN_PULL_REQUESTS,
                "variables": {"owner": repo.owner, "name": repo.name, "after": after},
            });
            let data = self.graphql(&body)?;
            let page = &data["repository"]["pullRequests"];
            for n in page["nodes"].as_array().into_iter().flatten() {
                let own = n["headRepository"]["nameWithOwner"]
                    .as_str()
                    .is_some_and(|r| r.eq_ignore_ascii_case(&full_name));
                let (Some(number), Some(head), true) =
                    (n["number"].as_u64(), n["headRefName"].as_str(), own)
                else {
                    continue;
                };
                found.push(OpenPullRequest {
                    number,
                    url: n["url"].as_str().unwrap_or_default().to_string(),
                    head: head.to_string(),
                    base: n["baseRefName"].as_str().unwrap_or_default().to_string(),
                    state: if n["isDraft"].as_bool() == Some(true) {
                        "draft"
                    } else {
                        "open"
                    },
                    review: match n["reviewDecision"].as_str() {
                        Some("APPROVED") => "approved",
                        Some("CHANGES_REQUESTED") => "changes_requested",
                        Some("REVIEW_REQUIRED") => "review_required",
                        _ => "none",
                    },
                });
            }
            after = page["pageInfo"]["endCursor"].as_str().map(str::to_string);
            if page["pageInfo"]["hasNextPage"].as_bool() != Some(true) || after.is_none() {
                return Ok(found);
            }
        }
    }
}

impl GitHub {
    /// `GET /repos/OWNER/NAME/releases?per_page=100&page=N`: the tag names of
    /// every release, a page at a time.
    pub fn release_tags(&self) -> Result<std::collections::BTreeSet<String>, GitHubError> {
        let mut tags = std::collections::BTreeSet::new();
        for page in 1.. {
            let path = self.repo_path(&format!("/releases?per_page=100&page={page}"));
            let response = self.call(Method::GET, &path, None)?;
            let releases: Vec<Release> = decode(&path, &response)?;
            let full = releases.len() == 100;
            tags.extend(releases.into_iter().map(|r| r.tag_name));
            if !full {
                break;
            }
        }
        Ok(tags)
    }

    /// `GET /repos/OWNER/NAME/deployments/ID/statuses?per_page=1`: the
    /// latest status's state (`None`: no status yet).
    pub fn latest_deployment_state(&self, id: u64) -> Result<Option<String>, GitHubError> {
        let path = self.repo_path(&format!("/deployments/{id}/statuses?per_page=1"));
        let response = self.call(Method::GET, &path, None)?;
        let statuses: Vec<serde_json::Value> = decode(&path, &response)?;
        Ok(statuses
            .first()
            .and_then(|s| s["state"].as_str())
            .map(str::to_string))
    }
}
