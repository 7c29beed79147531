//! `kickoff conflicts`: the conflict radar over live kickoffs (or given revisions).

use crate::commands::Global;
use crate::commands::Session;
use crate::config::Config;
use crate::conflict::{Engine, Options, Outcome, PairVerdict, Tip};
use crate::error::{Error, Result};
use crate::git::Repo;
use crate::kickoffs;
use serde::Serialize;

/// Check which kickoffs would conflict when merged, before anyone merges.
///
/// Every pair of live kickoffs, and each kickoff against main, gets the
/// verdict of `git merge-tree --write-tree`: merged in memory where the
/// engine models git exactly, by git itself otherwise; nothing is checked
/// out and nothing is written to the repository. Each kickoff is checked at
/// its newest known tip (the remote-tracking branch when the local one is
/// behind, both when they have diverged). Prints a matrix (✓ clean,
/// ✗ conflict, ? could not check), then the conflicted paths of each
/// conflicting pair with the kind of conflict. Verdicts are cached per pair of
/// commits in the git directory, so a second run only merges what moved.
///
/// Exit status: 3 when any pair conflicts (0 with --exit-zero), 2 when a REV
/// does not resolve, 0 otherwise.
#[derive(Debug, clap::Args)]
pub struct ConflictsArgs {
    /// Print JSON (`"schema": 1`, see docs/conflicts.md) instead of the matrix.
    #[arg(long)]
    pub json: bool,
    /// Do not check against main.
    #[arg(long)]
    pub no_main: bool,
    /// Exit 0 even when conflicts are found.
    #[arg(long)]
    pub exit_zero: bool,
    /// Neither read nor write the caches (verdicts and tree diffs).
    #[arg(long)]
    pub no_cache: bool,
    /// Fetch main and the kickoff branches from the remote first (one fetch).
    #[arg(long)]
    pub fetch: bool,
    /// Check this kickoff against main and every other live kickoff, as the
    /// pre-push hook does.
    #[arg(long, value_name = "KICKOFF", conflicts_with = "revs")]
    pub kickoff: Option<String>,
    /// Branches or revisions to check instead of the live kickoffs.
    #[arg(value_name = "REV")]
    pub revs: Vec<String>,
    /// Post the commit status `kickoff/conflicts` on each live kickoff's tip
    /// on GitHub: success, or failure naming the kickoffs it conflicts with
    /// (needs a [github] section; docs/github.md).
    #[arg(long, conflicts_with_all = ["revs", "kickoff"])]
    pub github: bool,
    /// With --github: print the statuses it would post; post nothing.
    #[arg(long, requires = "github", conflicts_with = "json")]
    pub dry_run: bool,
}

pub fn run(args: ConflictsArgs, g: &Global) -> Result<()> {
    let session = Session::open(g)?;
    let (repo, config) = (&session.repo, &session.config);
    let has_remote = repo.has_remote(&config.remote);
    if args.github {
        super::github::require_section(&session, "--github")?;
    }
    if args.fetch {
        if !has_remote {
            return Err(Error::usage_hint(
                format!("--fetch: there is no remote `{}`", config.remote),
                "add the remote, or set core.remote in .kickoff.toml",
            ));
        }
        fetch_kickoffs(repo, config)?;
    }
    let sel = match &args.kickoff {
        Some(name) => select_for_kickoff(repo, config, name, args.no_main)?,
        None => select_tips(repo, config, &args)?,
    };
    let tips = &sel.tips;
    let verdicts = if tips.len() < 2 {
        Vec::new()
    } else {
        check(repo, &sel, &args, g)?
    };
    refuse_cut_off(&verdicts)?;
    let age = if has_remote && !args.fetch {
        remote_age(repo, config)
    } else {
        None
    };
    let report = Report::new(tips, &verdicts);
    if args.json {
        let mut json = report.json();
        json.freshness = Some(JsonFreshness {
            remote: has_remote.then(|| config.remote.clone()),
            fetched: args.fetch,
            fetched_seconds_ago: age.map(|a| a.as_secs()),
            notes: sel.notes.clone(),
        });
        g.ui.json(&json)?;
    } else if tips.len() >= 2 {
        // A matrix of one revision says nothing; the message below does.
        g.ui.data(&report.text(g))?;
    }
    tell(g, &sel, &report, age, &config.remote);
    if args.github {
        super::github::post_conflict_statuses(&session, g, tips, &verdicts, args.dry_run)?;
    }
    let conflicting = report.count(Outcome::is_conflict);
    if conflicting > 0 && !args.exit_zero {
        return Err(Error::CheckFailed {
            message: format!("{conflicting} of {} pair(s) conflict", verdicts.len()),
        });
    }
    Ok(())
}

/// Pairs whose merge base lies beyond a shallow clone's cut cannot be
/// checked: refuse rather than report them as unknown.
fn refuse_cut_off(verdicts: &[PairVerdict]) -> Result<()> {
    let cut_off = verdicts
        .iter()
        .filter(|v| matches!(&v.outcome, Outcome::Unknown(r) if r.starts_with(crate::conflict::SHALLOW)))
        .count();
    if cut_off > 0 {
        return Err(Error::refused_hint(
            format!(
                "this clone is shallow: {cut_off} pair(s) have their merge base outside it, so they cannot be checked"
            ),
            "`git fetch --unshallow` fetches the whole history (or deepen with `git fetch --deepen=N`), then run again",
        ));
    }
    Ok(())
}

/// What the user should know beside the report: the selection's notes, how
/// old the remote-tracking refs are, too little to compare, uncertain pairs.
fn tell(
    g: &Global,
    sel: &Selection,
    report: &Report,
    age: Option<std::time::Duration>,
    remote: &str,
) {
    for note in &sel.notes {
        g.ui.info(note);
    }
    if let Some(age) = age {
        g.ui.info(format!(
            "remote-tracking branches of `{remote}` were fetched {} ago (`kickoff conflicts --fetch` refreshes them)",
            human_age(age)
        ));
    }
    if sel.tips.len() < 2 {
        g.ui.info("fewer than two revisions to compare: nothing to check");
    }
    let unknown = report.count(|o| matches!(o, Outcome::Unknown(_)));
    if unknown > 0 {
        g.ui.warn(format!(
            "{unknown} pair(s) could not be checked with certainty; try `git merge-tree --write-tree A B` for those"
        ));
    }
}

/// What the run compared, and what the user should know about it.
#[derive(Debug, Default)]
pub struct Selection {
    pub tips: Vec<Tip>,
    /// With `--kickoff`: how many of the first tips are that kickoff's; only
    /// their pairs with the others are checked.
    pub focus: Option<usize>,
    /// Where a kickoff was checked at another tip than its local branch.
    pub notes: Vec<String>,
}

/// The newest known tips of a kickoff: the local branch, or its
/// remote-tracking branch when the local one is behind it (or missing);
/// both when they have diverged. The note says when it is not simply the
/// local branch.
pub fn newest_tips(
    repo: &Repo,
    config: &Config,
    k: &kickoffs::Kickoff,
) -> Result<(Vec<Tip>, Option<String>)> {
    let name = k.branch();
    let remote = format!("{}/{name}", config.remote);
    Ok(match (k.local, k.remote) {
        (Some(l), None) => (vec![Tip::new(name, l)], None),
        (None, Some(r)) => (vec![Tip::new(name, r)], None),
        (None, None) => (Vec::new(), None),
        (Some(l), Some(r)) if l == r => (vec![Tip::new(name, l)], None),
        (Some(l), Some(r)) => {
            if repo.is_ancestor(l, r)? {
                let note = format!(
                    "{name}: checked at {remote} ({}), which is ahead of the local branch",
                    short(r)
                );
                (vec![Tip::new(name, r)], Some(note))
            } else if repo.is_ancestor(r, l)? {
                (vec![Tip::new(name, l)], None)
            } else {
                let note = format!(
                    "{name}: the local branch ({}) and {remote} ({}) have diverged; both are checked",
                    short(l),
                    short(r)
                );
                (vec![Tip::new(name, l), Tip::new(remote, r)], Some(note))
            }
        }
    })
}

impl Selection {
    /// The pairs to check: every pair, or the focused kickoff's tips
    /// against each other tip.
    pub fn pairs(&self) -> Vec<(Tip, Tip)> {
        let mut pairs = Vec::new();
        for (i, a) in self.tips.iter().enumerate() {
            for b in &self.tips[i + 1..] {
                if self.focus.is_none_or(|n| i < n) {
                    pairs.push((a.clone(), b.clone()));
                }
            }
        }
        pairs
    }
}

/// `--kickoff NAME`: that kickoff (newest tips) first, then main and every
/// other live kickoff.
pub fn select_for_kickoff(
    repo: &Repo,
    config: &Config,
    name: &str,
    no_main: bool,
) -> Result<Selection> {
    let known = kickoffs::all(repo, config)?;
    let Some(k) = known.iter().find(|k| k.branch() == name) else {
        return Err(Error::usage_hint(
            format!("`{name}` is not a kickoff here or on `{}`", config.remote),
            "`kickoff list` shows the kickoffs",
        ));
    };
    let (tips, note) = newest_tips(repo, config, k)?;
    let mut sel = Selection {
        focus: Some(tips.len()),
        tips,
        notes: note.into_iter().collect(),
    };
    for other in kickoffs::live(repo, config)? {
        if other.branch() != name {
            let (tips, note) = newest_tips(repo, config, &other)?;
            sel.tips.extend(tips);
            sel.notes.extend(note);
        }
    }
    if !no_main {
        if let Some((label, oid)) = main_tip(repo, config)? {
            sel.tips.push(Tip::new(label, oid));
        }
    }
    Ok(sel)
}

fn short(oid: git2::Oid) -> String {
    oid.to_string()[..10].to_string()
}

/// The tips to compare: the given revisions, or the live kickoffs, each at
/// its newest known tip; plus main unless `--no-main`. Main keeps its row
/// even when a kickoff's tip is main's commit.
pub fn select_tips(repo: &Repo, config: &Config, args: &ConflictsArgs) -> Result<Selection> {
    let mut sel = Selection::default();
    let add = |sel: &mut Selection, (tips, note): (Vec<Tip>, Option<String>)| {
        sel.tips.extend(tips);
        sel.notes.extend(note);
    };
    if args.revs.is_empty() {
        for k in kickoffs::live(repo, config)? {
            add(&mut sel, newest_tips(repo, config, &k)?);
        }
    } else {
        let known = kickoffs::all(repo, config)?;
        for rev in &args.revs {
            if sel.tips.iter().any(|t| t.label == *rev) {
                return Err(Error::usage_hint(
                    format!("revision `{rev}` is given twice"),
                    "name each revision once",
                ));
            }
            // A kickoff, even one known only on the remote, by its name.
            match known.iter().find(|k| k.branch() == *rev) {
                Some(k) => add(&mut sel, newest_tips(repo, config, k)?),
                None => sel
                    .tips
                    .push(Tip::new(rev.clone(), repo.resolve_commit(rev)?)),
            }
        }
        if sel.tips.len() < 2 && args.no_main {
            return Err(Error::usage_hint(
                "one revision and --no-main leave nothing to compare",
                "give at least two revisions, or drop --no-main",
            ));
        }
    }
    if !args.no_main {
        if let Some((label, oid)) = main_tip(repo, config)? {
            let named = |t: &Tip| t.label == label || t.label == config.main_branch;
            if !sel.tips.iter().any(named) {
                sel.tips.push(Tip::new(label, oid));
            }
        }
    }
    Ok(sel)
}

/// How long ago this clone last heard from the remote (the same measure as
/// the read commands' staleness warning: `Repo::last_heard_from`).
pub fn remote_age(repo: &Repo, config: &Config) -> Option<std::time::Duration> {
    let heard = repo.last_heard_from(&config.remote, &config.main_branch)?;
    let heard = std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(heard).ok()?);
    std::time::SystemTime::now().duration_since(heard).ok()
}

/// "42 s", "5 min", "3 h", "2 days".
pub fn human_age(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        7200..=172_799 => format!("{} h", s / 3600),
        _ => format!("{} days", s / 86_400),
    }
}

/// Fetch main and every kickoff branch from the remote into the
/// remote-tracking refs (kickoffs deleted there are pruned): one fetch.
pub fn fetch_kickoffs(repo: &Repo, config: &Config) -> Result<()> {
    let (remote, main) = (&config.remote, &config.main_branch);
    let prefix = crate::naming::KICKOFF_PREFIX;
    repo.git([
        "fetch".to_string(),
        "--quiet".into(),
        "--prune".into(),
        "--no-tags".into(),
        remote.clone(),
        format!("+refs/heads/{main}:refs/remotes/{remote}/{main}"),
        format!("+refs/heads/{prefix}*:refs/remotes/{remote}/{prefix}*"),
    ])?;
    Ok(())
}

/// Main as kickoffs are measured against it: the remote's when known.
fn main_tip(repo: &Repo, config: &Config) -> Result<Option<(String, git2::Oid)>> {
    if repo.has_remote(&config.remote) {
        if let Some(oid) = repo.remote_branch_oid(&config.remote, &config.main_branch)? {
            return Ok(Some((
                format!("{}/{}", config.remote, config.main_branch),
                oid,
            )));
        }
    }
    Ok(repo
        .branch_oid(&config.main_branch)?
        .map(|oid| (config.main_branch.clone(), oid)))
}

fn check(
    repo: &Repo,
    sel: &Selection,
    args: &ConflictsArgs,
    g: &Global,
) -> Result<Vec<PairVerdict>> {
    let pairs = sel.pairs();
    let mut options = Options::for_repo(repo)?;
    options.use_cache = !args.no_cache;
    let total = pairs.len() as u64;
    let bar = (g.ui.stderr_is_terminal() && total > 1).then(|| {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} checking pairs {pos}/{len} {wide_bar}",
            )
            .expect("valid template"),
        );
        bar
    });
    let engine = Engine::new(repo, options).on_progress(|n| {
        if let Some(b) = &bar {
            b.inc(n);
        }
    });
    let verdicts = engine.check_pairs(&pairs)?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    Ok(verdicts)
}

/// The verdicts arranged for output.
pub struct Report<'a> {
    tips: &'a [Tip],
    verdicts: &'a [PairVerdict],
}

#[derive(Serialize)]
struct JsonTip<'a> {
    name: &'a str,
    oid: String,
}

#[derive(Serialize)]
struct JsonPair<'a> {
    a: JsonTip<'a>,
    b: JsonTip<'a>,
    merge_bases: Vec<String>,
    status: &'static str,
    conflict: Option<bool>,
    paths: &'a [crate::conflict::ConflictPath],
    reason: Option<&'a str>,
    /// `engine` (decided in memory) or `git` (`git merge-tree` decided).
    decided_by: &'static str,
    cached: bool,
}

#[derive(Serialize)]
struct JsonSummary {
    pairs: usize,
    clean: usize,
    conflicting: usize,
    could_not_check: usize,
}

#[derive(Serialize)]
struct JsonFreshness {
    /// The remote whose branches were considered (null without one).
    remote: Option<String>,
    /// Whether this run fetched first.
    fetched: bool,
    /// Age of the remote-tracking branches when not fetched (null: unknown).
    fetched_seconds_ago: Option<u64>,
    /// Kickoffs checked at another tip than their local branch.
    notes: Vec<String>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    schema: u32,
    revisions: Vec<JsonTip<'a>>,
    pairs: Vec<JsonPair<'a>>,
    summary: JsonSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    freshness: Option<JsonFreshness>,
}

fn json_tip(t: &Tip) -> JsonTip<'_> {
    JsonTip {
        name: &t.label,
        oid: t.oid.to_string(),
    }
}

impl<'a> Report<'a> {
    pub fn new(tips: &'a [Tip], verdicts: &'a [PairVerdict]) -> Report<'a> {
        Report { tips, verdicts }
    }

    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.verdicts.iter().filter(|v| f(&v.outcome)).count()
    }

    fn json(&self) -> JsonReport<'_> {
        JsonReport {
            schema: 1,
            revisions: self.tips.iter().map(json_tip).collect(),
            pairs: self
                .verdicts
                .iter()
                .map(|v| JsonPair {
                    a: json_tip(&v.a),
                    b: json_tip(&v.b),
                    merge_bases: v.merge_bases.iter().map(|o| o.to_string()).collect(),
                    status: v.outcome.status(),
                    conflict: match v.outcome {
                        Outcome::Unknown(_) => None,
                        ref o => Some(o.is_conflict()),
                    },
                    paths: v.outcome.paths(),
                    reason: match &v.outcome {
                        Outcome::Unknown(r) => Some(r),
                        _ => None,
                    },
                    decided_by: if v.by_git { "git" } else { "engine" },
                    cached: v.cached,
                })
                .collect(),
            summary: JsonSummary {
                pairs: self.verdicts.len(),
                clean: self.count(Outcome::is_clean),
                conflicting: self.count(Outcome::is_conflict),
                could_not_check: self.count(|o| matches!(o, Outcome::Unknown(_))),
            },
            freshness: None,
        }
    }

    fn outcome(&self, i: usize, j: usize) -> Option<&Outcome> {
        let (a, b) = (&self.tips[i], &self.tips[j]);
        self.verdicts
            .iter()
            .find(|v| (v.a == *a && v.b == *b) || (v.a == *b && v.b == *a))
            .map(|v| &v.outcome)
    }

    /// The matrix, the legend, then the details of every conflicting or
    /// unchecked pair.
    pub fn text(&self, g: &Global) -> String {
        use console::Style;
        let n = self.tips.len();
        let num_w = n.to_string().len();
        let name_w = self
            .tips
            .iter()
            .map(|t| t.label.chars().count())
            .max()
            .unwrap_or(0)
            .max("revision".len());
        let mut out = format!("{:num_w$}  {:<name_w$}", "", "revision");
        for j in 1..=n {
            out.push_str(&format!(" {j:>num_w$}"));
        }
        out.push('\n');
        for i in 0..n {
            out.push_str(&format!(
                "{:>num_w$}  {:<name_w$}",
                i + 1,
                self.tips[i].label
            ));
            for j in 0..n {
                let (mark, style) = if i == j {
                    ("·", Style::new().dim())
                } else {
                    match self.outcome(i, j) {
                        Some(Outcome::Clean) => ("✓", Style::new().green()),
                        Some(Outcome::Conflict(_)) => ("✗", Style::new().red().bold()),
                        Some(Outcome::Unknown(_)) => ("?", Style::new().yellow()),
                        None => (" ", Style::new()),
                    }
                };
                out.push_str(&format!(" {:>w$}", "", w = num_w - 1));
                out.push_str(&g.ui.paint(style, mark));
            }
            out.push('\n');
        }
        out.push_str("\n✓ clean   ✗ conflict   ? could not check\n");
        for v in self.verdicts {
            match &v.outcome {
                Outcome::Clean => {}
                Outcome::Conflict(paths) => {
                    out.push_str(&format!(
                        "\n{} ✗ {}: {} conflicting path(s)\n",
                        v.a.label,
                        v.b.label,
                        paths.len()
                    ));
                    let width = paths
                        .iter()
                        .map(|p| p.kind.as_str().len())
                        .max()
                        .unwrap_or(0);
                    for p in paths {
                        out.push_str(&format!("  {:<width$}  {}\n", p.kind.as_str(), p.path));
                    }
                }
                Outcome::Unknown(reason) => {
                    out.push_str(&format!(
                        "\n{} ? {}: could not check: {reason}\n",
                        v.a.label, v.b.label
                    ));
                }
            }
        }
        out
    }
}
