//! `kickoff conflicts`: the conflict radar over live kickoffs (or given revisions).

use crate::cli::Global;
use crate::commands::Session;
use crate::config::Config;
use crate::conflict::{Engine, Options, Outcome, PairVerdict, Tip};
use crate::error::{Error, Result};
use crate::git::Repo;
use crate::kickoffs;
use serde::Serialize;

/// Check which kickoffs would conflict when merged, before anyone merges.
///
/// Every pair of live kickoffs, and each kickoff against main, is merged in
/// memory exactly as `git merge-tree --write-tree` would: nothing is checked
/// out and nothing is written to the repository. Prints a matrix (✓ clean,
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
    /// Branches or revisions to check instead of the live kickoffs.
    #[arg(value_name = "REV")]
    pub revs: Vec<String>,
}

pub fn run(args: ConflictsArgs, g: &Global) -> Result<()> {
    let session = Session::open(g)?;
    let tips = select_tips(&session.repo, &session.config, &args)?;
    let verdicts = if tips.len() < 2 {
        Vec::new()
    } else {
        check(&session.repo, &tips, &args, g)?
    };
    let report = Report::new(&tips, &verdicts);
    if args.json {
        g.ui.json(&report.json())?;
    } else if tips.len() >= 2 {
        // A matrix of one revision says nothing; the message below does.
        g.ui.data(&report.text(g))?;
    }
    if tips.len() < 2 {
        g.ui.info("fewer than two revisions to compare: nothing to check");
    }
    let unknown = report.count(|o| matches!(o, Outcome::Unknown(_)));
    if unknown > 0 {
        g.ui.warn(format!(
            "{unknown} pair(s) could not be checked with certainty; try `git merge-tree --write-tree A B` for those"
        ));
    }
    let conflicting = report.count(Outcome::is_conflict);
    if conflicting > 0 && !args.exit_zero {
        return Err(Error::CheckFailed {
            message: format!("{conflicting} of {} pair(s) conflict", verdicts.len()),
        });
    }
    Ok(())
}

/// The tips to compare: the given revisions, or the live kickoffs; plus main
/// unless `--no-main` (and unless a given revision already is main's tip).
pub fn select_tips(repo: &Repo, config: &Config, args: &ConflictsArgs) -> Result<Vec<Tip>> {
    let mut tips: Vec<Tip> = Vec::new();
    if args.revs.is_empty() {
        for k in kickoffs::live(repo, config)? {
            tips.push(Tip::new(k.branch(), k.tip()));
        }
    } else {
        for rev in &args.revs {
            let oid = repo.resolve_commit(rev)?;
            if tips.iter().any(|t| t.label == *rev) {
                return Err(Error::usage_hint(
                    format!("revision `{rev}` is given twice"),
                    "name each revision once",
                ));
            }
            tips.push(Tip::new(rev.clone(), oid));
        }
        if tips.len() < 2 && args.no_main {
            return Err(Error::usage_hint(
                "one revision and --no-main leave nothing to compare",
                "give at least two revisions, or drop --no-main",
            ));
        }
    }
    if !args.no_main {
        if let Some((label, oid)) = main_tip(repo, config)? {
            if !tips.iter().any(|t| t.oid == oid) {
                tips.push(Tip::new(label, oid));
            }
        }
    }
    Ok(tips)
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

fn check(repo: &Repo, tips: &[Tip], args: &ConflictsArgs, g: &Global) -> Result<Vec<PairVerdict>> {
    let mut options = Options::for_repo(repo)?;
    options.use_cache = !args.no_cache;
    let total = (tips.len() * (tips.len() - 1) / 2) as u64;
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
    let verdicts = engine.check_matrix(tips)?;
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
struct JsonReport<'a> {
    schema: u32,
    revisions: Vec<JsonTip<'a>>,
    pairs: Vec<JsonPair<'a>>,
    summary: JsonSummary,
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
