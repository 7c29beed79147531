//! `kickoff release`: give a kickoff its platform version, an annotated tag
//! `platform/vX.Y.Z` whose trailers record the mapping, after the release rules.

use crate::commands::Global;
use crate::commands::Session;
use crate::error::Result;
use crate::git::git2::Oid;
use crate::kickoffs::{self, Kickoff};
use crate::naming;
use crate::plan::{GitHubCall, Plan, Step, short};
use crate::release::catalog::{self, Catalog};
use crate::release::{
    self, Bump, PlatformVersion, ReleaseError, Rule, RuleViolation, TagMessage, Verdict, Waivers,
    tickets,
};
use chrono::NaiveDate;

/// Give a kickoff its public platform version: tag its tip `platform/vX.Y.Z`.
///
/// The annotated tag records the kickoff, the base it was cut from, the deploy
/// date and every ticket in the kickoff as git trailers, then is pushed. The
/// release rules run first: the tag is new (locally and on the remote), the
/// version is greater than every other, the kickoff has no version yet (a
/// prerelease may be followed by its release or a later prerelease), it
/// contains every earlier platform version and the remote's main as of now
/// (a hotfix on main would otherwise be rolled back by deploying the
/// kickoff), and it matches the remote's kickoff. A refused release changes nothing; a rule is waived only by the
/// flag that names it.
#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    /// The version: X.Y.Z or X.Y.Z-pre (`1.3.10`, `v1.3.10-rc.1`, `platform/v1.3.10`).
    ///
    /// Without --platform or --bump, a terminal asks which next version to use.
    #[arg(long, value_name = "X.Y.Z", conflicts_with = "bump")]
    pub platform: Option<String>,
    /// Pick the next version after the highest existing one.
    #[arg(long, value_enum)]
    pub bump: Option<Bump>,
    /// The kickoff to release [default: the current branch's kickoff].
    #[arg(long, value_name = "K")]
    pub kickoff: Option<String>,
    /// The kickoff, as a positional argument like other commands take it.
    #[arg(value_name = "KICKOFF", conflicts_with = "kickoff")]
    pub kickoff_arg: Option<String>,
    /// Deploy date for the `Deploy-Date` trailer, YYYY-MM-DD or YYMMDD [default: today].
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// Print the tag, its message and the rule checks; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: print the plan as JSON.
    #[arg(long, requires = "dry_run")]
    pub json: bool,
    /// Create the tag locally only.
    #[arg(long)]
    pub no_push: bool,
    /// Waive the rule that the version is greater than every existing one.
    #[arg(long)]
    pub allow_not_greater: bool,
    /// Waive the rule that a kickoff has only one platform version.
    #[arg(long)]
    pub allow_second_version: bool,
    /// Waive the rule that the kickoff contains every earlier platform version.
    #[arg(long)]
    pub allow_rollback: bool,
    /// Waive the rule that the kickoff contains the remote's main (hotfixes).
    #[arg(long)]
    pub allow_behind_main: bool,
    /// Waive the rule that the local kickoff matches the remote's.
    #[arg(long)]
    pub allow_remote_mismatch: bool,
}

impl ReleaseArgs {
    pub fn waivers(&self) -> Waivers {
        let mut rules = Vec::new();
        for (on, rule) in [
            (self.allow_not_greater, Rule::NotGreater),
            (self.allow_second_version, Rule::SecondVersion),
            (self.allow_rollback, Rule::Rollback),
            (self.allow_behind_main, Rule::BehindMain),
            (self.allow_remote_mismatch, Rule::RemoteMismatch),
        ] {
            if on {
                rules.push(rule);
            }
        }
        Waivers::new(rules)
    }
}

/// What `release` will do, decided before anything changes.
#[derive(Debug, Clone)]
pub struct ReleasePlan {
    pub version: PlatformVersion,
    pub kickoff: Kickoff,
    pub commit: Oid,
    pub message: TagMessage,
    pub verdict: Verdict,
    /// Every violation found, waived or not, for the rule listing.
    pub violations: Vec<RuleViolation>,
    pub push: Option<String>,
    /// The remote the remote rules were checked against (`None`: no remote).
    pub remote: Option<String>,
    /// The GitHub Release to publish after the push (`releases = true`).
    pub github: Option<crate::github::api::ReleaseSpec>,
}

pub fn run(args: ReleaseArgs, g: &Global) -> Result<()> {
    let explicit = match &args.platform {
        Some(p) => Some(PlatformVersion::parse(p)?),
        None => None,
    };
    let date = match &args.date {
        Some(d) => naming::parse_date(d)?,
        None => chrono::Local::now().date_naive(),
    };
    let session = Session::open(g)?;
    super::fresh::require_full_history(&session, "release")?;
    let plan = plan(&session, g, &args, explicit, date)?;
    if args.dry_run {
        print_plan(g, &plan, args.json)?;
        return plan.verdict.into_result().map(drop).map_err(Into::into);
    }
    execute(&session, g, plan)
}

pub fn plan(
    s: &Session,
    g: &Global,
    args: &ReleaseArgs,
    explicit: Option<PlatformVersion>,
    date: NaiveDate,
) -> Result<ReleasePlan> {
    let (repo, cfg) = (&s.repo, &s.config);
    let remote = s.has_remote().then(|| cfg.remote.clone());
    let catalog = match &remote {
        Some(r) => {
            repo.fetch_branches(r, &cfg.main_branch)?;
            Catalog::with_remote(repo, r)?.0
        }
        None => Catalog::local(repo)?,
    };
    let kickoff = super::resolve_kickoff(
        repo,
        cfg,
        &g.ui,
        args.kickoff.as_deref().or(args.kickoff_arg.as_deref()),
        "--kickoff",
    )?;
    let version = match (explicit, args.bump) {
        (Some(v), _) => v,
        (None, Some(bump)) => release::next_version(catalog.versions(), bump),
        (None, None) => ask_version(g, &catalog)?,
    };
    let commit = kickoff.tip();
    let main = kickoffs::require_main_tip(repo, cfg)?;
    let main_name = kickoffs::main_ref_name(repo, cfg)?;
    let base = repo.merge_base(commit, main)?;
    let commits = repo.commits_between(&[commit], &[main])?;
    let notes = tickets::collect(&commits, &cfg.ticket_pattern);
    let remote_view = remote.as_deref().map(|r| (r, kickoff.remote));
    let facts = catalog::gather_facts(
        repo,
        &catalog,
        &version,
        &kickoff.name,
        commit,
        remote_view,
        Some((main_name.as_str(), main)),
        true,
    )?;
    let violations = release::check_release(&facts);
    let verdict = Verdict::new(violations.clone(), &args.waivers());
    let message = TagMessage {
        version: version.clone(),
        kickoff: kickoff.name.clone(),
        base,
        deploy_date: Some(date),
        tickets: notes.ticket_names(),
        waived: verdict.waived_rules(),
    };
    let push = remote.clone().filter(|_| !args.no_push);
    let github = match push {
        Some(_) => super::github::planned_release(s, &catalog, &version, commit, &message)?,
        None => None,
    };
    Ok(ReleasePlan {
        github,
        version,
        kickoff,
        commit,
        message,
        verdict,
        violations,
        push,
        remote,
    })
}

/// No version given: offer the next patch, minor and major versions on a
/// terminal; elsewhere fail (exit 2) listing them.
fn ask_version(g: &Global, catalog: &Catalog) -> Result<PlatformVersion> {
    let choices: Vec<(String, String)> = [
        (Bump::Patch, "patch"),
        (Bump::Minor, "minor"),
        (Bump::Major, "major"),
    ]
    .into_iter()
    .map(|(b, label)| {
        let v = release::next_version(catalog.versions(), b).to_string();
        (v.clone(), format!("{v}  ({label})"))
    })
    .collect();
    let picked = crate::prompt::select_labelled(
        &g.ui,
        "platform version",
        "--platform X.Y.Z or --bump patch|minor|major",
        &choices,
    )?;
    Ok(PlatformVersion::parse(&picked)?)
}

/// The rule checks, one line per rule.
pub fn rule_lines(plan: &ReleasePlan) -> String {
    let mut s = String::new();
    for rule in Rule::ALL {
        if rule == Rule::RemoteMismatch && plan.remote.is_none() {
            s.push_str(&format!(
                "  skipped  {:<16} no remote to compare the kickoff with\n",
                rule.key()
            ));
            continue;
        }
        let found: Vec<&RuleViolation> = plan
            .violations
            .iter()
            .filter(|v| v.rule() == rule)
            .collect();
        if found.is_empty() {
            s.push_str(&format!(
                "  ok       {:<16} {}\n",
                rule.key(),
                rule.describe()
            ));
            continue;
        }
        for v in found {
            let waived = plan.verdict.waived.contains(v);
            let (state, extra) = match (waived, rule.flag()) {
                (true, Some(flag)) => ("waived", format!(" (waived by {flag})")),
                _ => ("REFUSED", String::new()),
            };
            s.push_str(&format!("  {state:<8} {:<16} {v}{extra}\n", rule.key()));
        }
    }
    s
}

impl ReleasePlan {
    /// The steps: tag the kickoff, then push the tag (a failed push removes
    /// the tag again).
    pub fn steps(&self) -> Plan {
        let tag = self.version.tag_name();
        let mut plan = Plan::new();
        plan.push(Step::Tag {
            name: tag.clone(),
            commit: self.commit,
            on: self.kickoff.name.to_string(),
            message: self.message.render(),
        });
        if let Some(remote) = &self.push {
            plan.push(Step::Push {
                remote: remote.clone(),
                refspecs: vec![format!("refs/tags/{tag}:refs/tags/{tag}")],
                what: tag,
                set_upstream: false,
                env: Vec::new(),
                hint: Some("fix the remote, or tag locally only with --no-push".into()),
            });
        }
        if let Some(spec) = &self.github {
            plan.push(Step::GitHub {
                call: GitHubCall::Release { spec: spec.clone() },
                redo: Some("kickoff github sync".into()),
            });
        }
        plan
    }

    /// The one-line summary `--dry-run` starts with.
    fn summary(&self) -> String {
        let then = match &self.push {
            Some(r) => format!(", then push it to {r}"),
            None => ", not pushed".into(),
        };
        format!(
            "tag {} on {} at {}{then}",
            self.version.tag_name(),
            self.kickoff.name,
            short(self.commit)
        )
    }
}

fn print_plan(g: &Global, plan: &ReleasePlan, json: bool) -> Result<()> {
    let mut text = String::from("\nmessage:\n");
    for line in plan.message.render().lines() {
        text.push_str(format!("  {line}").trim_end());
        text.push('\n');
    }
    text.push_str("\nrules:\n");
    text.push_str(&rule_lines(plan));
    super::show_plan_with(g, &plan.summary(), &plan.steps(), &text, json)
}

fn execute(s: &Session, g: &Global, plan: ReleasePlan) -> Result<()> {
    if !plan.verdict.allowed() {
        return Err(ReleaseError::Refused(plan.verdict.blocking).into());
    }
    for v in &plan.verdict.waived {
        let flag = v.rule().flag().unwrap_or_default();
        g.ui.warn(format!("rule `{}` waived by {flag}: {v}", v.rule().key()));
    }
    let tag = plan.version.tag_name();
    super::run_plan(s, g, &plan.steps())?;
    g.ui.info(format!("{} ticket(s) in {tag}", plan.message.tickets.len()));
    if plan.push.is_none() && s.has_remote() {
        g.ui.info(format!(
            "not pushed; share it with `git push {} {tag}`",
            s.config.remote
        ));
    }
    g.ui.info(format!(
        "next: deploy it, then `kickoff land {}` merges it into {}",
        plan.kickoff.name, s.config.main_branch
    ));
    g.ui.data(&format!("{tag}\n"))
}
