//! The conflict radar, differentially against `git merge-tree --write-tree`:
//! one small repository per conflict kind (and per clean merge that looks
//! like a conflict), a generated history compared pair by pair, then the CLI.

mod common;
use common::*;
use kickoff::conflict::{Engine, Options, Outcome, Tip};
use std::collections::BTreeSet;
use std::path::Path;

// ---- building repositories ---------------------------------------------------

/// A change to make in a work tree before committing.
#[derive(Clone)]
enum Op<'a> {
    Write(&'a str, &'a str),
    WriteBytes(&'a str, &'a [u8]),
    Delete(&'a str),
    Move(&'a str, &'a str),
    Symlink(&'a str, &'a str),
    Exec(&'a str),
}
use Op::*;

fn apply(env: &TestEnv, dir: &Path, ops: &[Op<'_>]) {
    for op in ops {
        match op {
            Write(p, c) => write_file(dir, p, c),
            WriteBytes(p, c) => {
                let full = dir.join(p);
                std::fs::create_dir_all(full.parent().unwrap()).unwrap();
                std::fs::write(full, c).unwrap();
            }
            Delete(p) => {
                env.git(dir, &["rm", "-q", "-r", "--", p]);
            }
            Move(from, to) => {
                if let Some(parent) = dir.join(to).parent() {
                    std::fs::create_dir_all(parent).unwrap();
                }
                env.git(dir, &["mv", "--", from, to]);
            }
            Symlink(p, target) => {
                let full = dir.join(p);
                let _ = std::fs::remove_file(&full);
                std::os::unix::fs::symlink(target, full).unwrap();
            }
            Exec(p) => {
                use std::os::unix::fs::PermissionsExt;
                let full = dir.join(p);
                let mut perm = std::fs::metadata(&full).unwrap().permissions();
                perm.set_mode(0o755);
                std::fs::set_permissions(full, perm).unwrap();
            }
        }
    }
}

fn commit_all(env: &TestEnv, dir: &Path, msg: &str) -> String {
    env.git(dir, &["add", "-A"]);
    env.tick();
    env.git(dir, &["commit", "-q", "--allow-empty", "-m", msg]);
    env.git(dir, &["rev-parse", "HEAD"])
}

/// A repository with `base` on main, then branch `a` and branch `b` from it.
struct Scenario {
    env: TestEnv,
    dir: std::path::PathBuf,
    a: String,
    b: String,
}

fn scenario(base: &[Op<'_>], a: &[Op<'_>], b: &[Op<'_>]) -> Scenario {
    let env = TestEnv::new();
    let dir = env.path().join("repo");
    env.git(
        env.path(),
        &["init", "-q", "-b", "main", dir.to_str().unwrap()],
    );
    apply(&env, &dir, base);
    commit_all(&env, &dir, "base");
    env.git(&dir, &["checkout", "-q", "-b", "a"]);
    apply(&env, &dir, a);
    let a = commit_all(&env, &dir, "side a");
    env.git(&dir, &["checkout", "-q", "-b", "b", "main"]);
    apply(&env, &dir, b);
    let b = commit_all(&env, &dir, "side b");
    env.git(&dir, &["checkout", "-q", "main"]);
    Scenario { env, dir, a, b }
}

// ---- the two verdicts ----------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Clean,
    Conflict(BTreeSet<String>),
    Unknown(String),
}

/// git's verdict: exit status of `merge-tree --write-tree` and its
/// `--name-only` list. Run in a throwaway copy of the object store's
/// alternates so the repository under test gains no objects.
fn git_verdict(env: &TestEnv, dir: &Path, a: &str, b: &str) -> Verdict {
    let quarantine = tempfile::tempdir().unwrap();
    let objects = dir.join(".git/objects");
    let mut cmd = env.git_cmd(
        dir,
        &[
            "merge-tree",
            "--write-tree",
            "--name-only",
            "--no-messages",
            "-z",
            a,
            b,
        ],
    );
    cmd.env("GIT_OBJECT_DIRECTORY", quarantine.path())
        .env("GIT_ALTERNATE_OBJECT_DIRECTORIES", &objects);
    let out = cmd.output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut fields = text.split('\0');
    let _tree = fields.next();
    let paths: BTreeSet<String> = fields
        .take_while(|f| !f.is_empty())
        .map(str::to_string)
        .collect();
    match out.status.code() {
        Some(0) => {
            assert!(paths.is_empty(), "clean merge listed paths {paths:?}");
            Verdict::Clean
        }
        Some(1) => Verdict::Conflict(paths),
        other => panic!(
            "git merge-tree {a} {b} failed ({other:?}): {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

fn engine_verdicts(dir: &Path, pairs: &[(String, String)]) -> Vec<Verdict> {
    engine_decisions(dir, pairs)
        .into_iter()
        .map(|(v, _)| v)
        .collect()
}

/// The engine's verdicts and whether git decided each.
fn engine_decisions(dir: &Path, pairs: &[(String, String)]) -> Vec<(Verdict, bool)> {
    let repo = kickoff::git::Repo::discover(dir).unwrap();
    let mut options = Options::for_repo(&repo).unwrap();
    options.use_cache = false;
    let tips: Vec<(Tip, Tip)> = pairs
        .iter()
        .map(|(a, b)| {
            (
                Tip::from_oid(a.parse().unwrap()),
                Tip::from_oid(b.parse().unwrap()),
            )
        })
        .collect();
    Engine::new(&repo, options)
        .check_pairs(&tips)
        .unwrap()
        .into_iter()
        .map(|v| {
            let by_git = v.by_git;
            let verdict = match v.outcome {
                Outcome::Clean => Verdict::Clean,
                Outcome::Conflict(p) => Verdict::Conflict(p.into_iter().map(|c| c.path).collect()),
                Outcome::Unknown(r) => Verdict::Unknown(r),
            };
            (verdict, by_git)
        })
        .collect()
}

fn conflict(paths: &[&str]) -> Verdict {
    Verdict::Conflict(paths.iter().map(|p| p.to_string()).collect())
}

const TEN: &str = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n";

fn replace_line(text: &str, n: usize, with: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            if i == n {
                format!("{with}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

// ---- one scenario per kind, as a table ---------------------------------------------

/// `TEN` with line `n` (from 0) replaced, for the table below.
fn ten_with(n: usize, with: &str) -> &'static str {
    Box::leak(replace_line(TEN, n, with).into_boxed_str())
}

/// `TEN` with two lines replaced.
fn ten_with2(n: usize, with: &str, m: usize, with2: &str) -> &'static str {
    Box::leak(replace_line(&replace_line(TEN, n, with), m, with2).into_boxed_str())
}

/// Twenty distinct lines; `rewritten(k)` changes the first `k` of them, so a
/// rename with `rewritten(k)` is about (20 - k) / 20 similar.
fn twenty() -> String {
    (1..=20)
        .map(|i| format!("line {i} of a file long enough\n"))
        .collect()
}

fn rewritten(k: usize) -> &'static str {
    let text: String = twenty()
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i < k {
                format!("rewritten {i} entirely\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    Box::leak(text.into_boxed_str())
}

/// What a scenario must give.
enum Expect {
    Clean,
    /// The conflicted paths; `{a}` and `{b}` stand for the sides' labels.
    Conflict(&'static [&'static str]),
    /// Whatever git says (the case exists to compare with git).
    AsGit,
}

/// Who must decide: the engine in memory, or `git merge-tree` (the engine
/// does not model the case exactly).
#[derive(Debug, PartialEq)]
enum By {
    Engine,
    Git,
}

struct Case {
    name: &'static str,
    base: Vec<Op<'static>>,
    a: Vec<Op<'static>>,
    b: Vec<Op<'static>>,
    /// Repository settings (`git config`) before checking.
    config: &'static [(&'static str, &'static str)],
    /// `.git/info/attributes`.
    info_attributes: Option<&'static str>,
    expect: Expect,
    by: By,
}

fn case(
    name: &'static str,
    base: Vec<Op<'static>>,
    a: Vec<Op<'static>>,
    b: Vec<Op<'static>>,
    expect: Expect,
) -> Case {
    Case {
        name,
        base,
        a,
        b,
        config: &[],
        info_attributes: None,
        expect,
        by: By::Engine,
    }
}

impl Case {
    fn by_git(mut self) -> Case {
        self.by = By::Git;
        self
    }
    fn config(mut self, config: &'static [(&'static str, &'static str)]) -> Case {
        self.config = config;
        self
    }
    fn info_attributes(mut self, text: &'static str) -> Case {
        self.info_attributes = Some(text);
        self
    }
}

fn cases() -> Vec<Case> {
    use Expect::*;
    let bin = |s: &'static [u8]| WriteBytes("logo.bin", s);
    vec![
        case(
            "content conflict on the same line",
            vec![Write("f.txt", TEN)],
            vec![Write("f.txt", ten_with(4, "FIVE"))],
            vec![Write("f.txt", ten_with(4, "cinq"))],
            Conflict(&["f.txt"]),
        ),
        case(
            "adjacent lines conflict like git",
            vec![Write("f.txt", TEN)],
            vec![Write("f.txt", ten_with(4, "FIVE"))],
            vec![Write("f.txt", ten_with(5, "SIX"))],
            Conflict(&["f.txt"]),
        ),
        case(
            "neighbouring lines with one between merge cleanly",
            vec![Write("f.txt", TEN)],
            vec![Write("f.txt", ten_with(3, "FOUR"))],
            vec![Write("f.txt", ten_with(5, "SIX"))],
            Clean,
        ),
        case(
            "separate hunks in one file merge cleanly",
            vec![Write("f.txt", TEN)],
            vec![Write("f.txt", ten_with2(0, "ONE", 2, "THREE"))],
            vec![Write("f.txt", ten_with2(7, "EIGHT", 9, "TEN"))],
            Clean,
        ),
        case(
            "identical changes on both sides merge cleanly",
            vec![Write("f.txt", TEN), Write("f2.txt", "gone\n")],
            vec![
                Write("f.txt", ten_with(4, "FIVE")),
                Write("new.txt", "same\n"),
                Delete("f2.txt"),
            ],
            vec![
                Write("f.txt", ten_with(4, "FIVE")),
                Write("new.txt", "same\n"),
                Delete("f2.txt"),
            ],
            Clean,
        ),
        case(
            "modify/delete",
            vec![Write("dir/f.txt", TEN), Write("dir/keep.txt", "k\n")],
            vec![Delete("dir/f.txt")],
            vec![Write("dir/f.txt", ten_with(1, "TWO"))],
            Conflict(&["dir/f.txt"]),
        ),
        case(
            "add/add different conflicts and identical is clean",
            vec![Write("README", "r\n")],
            vec![Write("new.txt", "ours\n"), Write("same.txt", "x\n")],
            vec![Write("new.txt", "theirs\n"), Write("same.txt", "x\n")],
            Conflict(&["new.txt"]),
        ),
        case(
            "rename/rename to two names",
            vec![Write("old.txt", TEN)],
            vec![Move("old.txt", "left.txt")],
            vec![Move("old.txt", "right.txt")],
            Conflict(&["left.txt", "old.txt", "right.txt"]),
        ),
        case(
            "rename/delete",
            vec![Write("old.txt", TEN), Write("other.txt", "o\n")],
            vec![Move("old.txt", "moved/new.txt")],
            vec![Delete("old.txt")],
            Conflict(&["moved/new.txt"]),
        ),
        case(
            "rename with edits against an edit merges cleanly",
            vec![Write("src/old.txt", TEN)],
            vec![
                Move("src/old.txt", "lib/new.txt"),
                Write("lib/new.txt", ten_with(0, "ONE")),
            ],
            vec![Write("src/old.txt", ten_with(8, "NINE"))],
            Clean,
        ),
        case(
            "rename with edits against a clashing edit conflicts at the new name",
            vec![Write("src/old.txt", TEN)],
            vec![
                Move("src/old.txt", "lib/new.txt"),
                Write("lib/new.txt", ten_with(8, "nine!")),
            ],
            vec![Write("src/old.txt", ten_with(8, "NINE"))],
            Conflict(&["lib/new.txt"]),
        ),
        case(
            "both rename to the same name with edits",
            vec![Write("a.txt", TEN)],
            vec![Move("a.txt", "b.txt"), Write("b.txt", ten_with(0, "ONE"))],
            vec![Move("a.txt", "b.txt"), Write("b.txt", ten_with(9, "TEN"))],
            Clean,
        ),
        case(
            "rename on one side, untouched on the other",
            vec![Write("docs/guide.md", TEN), Write("docs/other.md", "o\n")],
            vec![Move("docs/guide.md", "docs/manual.md")],
            vec![Write("docs/other.md", "o\np\n")],
            Clean,
        ),
        case(
            "a rename clear of the similarity threshold (60%) follows the edit",
            vec![Write("old.txt", Box::leak(twenty().into_boxed_str()))],
            vec![Delete("old.txt"), Write("new.txt", rewritten(8))],
            vec![Write(
                "old.txt",
                Box::leak(
                    twenty()
                        .replace("line 20 of", "LINE 20 of")
                        .into_boxed_str(),
                ),
            )],
            Clean,
        ),
        case(
            "a rename close to the similarity threshold (50%) gets git's verdict",
            vec![Write("old.txt", Box::leak(twenty().into_boxed_str()))],
            vec![Delete("old.txt"), Write("new.txt", rewritten(10))],
            vec![Write(
                "old.txt",
                Box::leak(
                    twenty()
                        .replace("line 20 of", "LINE 20 of")
                        .into_boxed_str(),
                ),
            )],
            AsGit,
        )
        .by_git(),
        case(
            "directory rename with a file added there gets git's verdict",
            vec![Write("old/one.txt", TEN), Write("old/two.txt", "two\n2\n")],
            vec![
                Move("old/one.txt", "new/one.txt"),
                Move("old/two.txt", "new/two.txt"),
            ],
            vec![Write("old/three.txt", "three\n")],
            Conflict(&["new/three.txt"]),
        )
        .by_git(),
        case(
            "file/directory added on both sides",
            vec![Write("README", "r\n")],
            vec![Write("thing", "a file\n")],
            vec![Write("thing/inside.txt", "a directory\n")],
            Conflict(&["thing~{a}"]),
        ),
        case(
            "file/directory with a modified file",
            vec![Write("p", "keep\n"), Write("other", "o\n")],
            vec![Delete("p"), Write("p/x", "in a dir\n")],
            vec![Write("p", "keep\nmore\n")],
            Conflict(&["p~{b}"]),
        ),
        case(
            "file replaced by a directory on one side only is clean",
            vec![Write("p", "keep\n"), Write("other", "o\n")],
            vec![Delete("p"), Write("p/x", "in a dir\n")],
            vec![Write("other", "o\nmore\n")],
            Clean,
        ),
        case(
            "binary changed on both sides",
            vec![bin(b"PNG\0base"), Write("t.txt", "t\n")],
            vec![bin(b"PNG\0ours")],
            vec![bin(b"PNG\0theirs")],
            Conflict(&["logo.bin"]),
        ),
        case(
            "binary changed on one side is clean",
            vec![bin(b"PNG\0base"), Write("t.txt", "t\n")],
            vec![bin(b"PNG\0ours")],
            vec![Write("t.txt", "t\nu\n")],
            Clean,
        ),
        case(
            "mode change against a content change is clean",
            vec![Write("run.sh", TEN)],
            vec![Exec("run.sh")],
            vec![Write("run.sh", ten_with(2, "THREE"))],
            Clean,
        ),
        case(
            "mode change on both sides with clashing content",
            vec![Write("run.sh", TEN)],
            vec![Exec("run.sh"), Write("run.sh", ten_with(2, "3"))],
            vec![Write("run.sh", ten_with(2, "THREE"))],
            Conflict(&["run.sh"]),
        ),
        case(
            "symlinks retargeted differently conflict",
            vec![Symlink("current", "v1"), Write("v1", "1\n")],
            vec![Symlink("current", "v2")],
            vec![Symlink("current", "v3")],
            Conflict(&["current"]),
        ),
        case(
            "symlink retargeted identically is clean",
            vec![Symlink("current", "v1"), Write("v1", "1\n")],
            vec![Symlink("current", "v2")],
            vec![Symlink("current", "v2"), Write("v1", "one\n")],
            Clean,
        ),
        case(
            "file turned symlink against an edit",
            vec![Write("config", TEN)],
            vec![Delete("config"), Symlink("config", "elsewhere")],
            vec![Write("config", ten_with(0, "ONE"))],
            Conflict(&["config", "config~{b}"]),
        ),
        case(
            "disjoint changes and deletions on both sides are clean",
            vec![Write("a/x", TEN), Write("b/y", TEN), Write("gone", "g\n")],
            vec![Write("a/x", ten_with(1, "2")), Delete("gone")],
            vec![
                Write("b/y", ten_with(1, "2")),
                Delete("gone"),
                Write("a/new", "n\n"),
            ],
            Clean,
        ),
        // Attributes, as git reads them from the checked-out .gitattributes.
        case(
            "merge=union is clean where text would conflict",
            vec![
                Write(".gitattributes", "*.log merge=union\n"),
                Write("x.log", TEN),
            ],
            vec![Write("x.log", ten_with(4, "A"))],
            vec![Write("x.log", ten_with(4, "B"))],
            Clean,
        ),
        case(
            "merge=union of binary contents conflicts",
            vec![
                Write(".gitattributes", "*.bin merge=union\n"),
                bin(b"PNG\0base"),
            ],
            vec![bin(b"PNG\0ours")],
            vec![bin(b"PNG\0theirs")],
            Conflict(&["logo.bin"]),
        ),
        case(
            "merge=binary conflicts where text would merge",
            vec![
                Write(".gitattributes", "Cargo.lock merge=binary\n"),
                Write("Cargo.lock", TEN),
            ],
            vec![Write("Cargo.lock", ten_with(0, "A"))],
            vec![Write("Cargo.lock", ten_with(9, "B"))],
            Conflict(&["Cargo.lock"]),
        ),
        case(
            "-merge conflicts where text would merge",
            vec![
                Write(".gitattributes", "*.gen -merge\n"),
                Write("x.gen", TEN),
            ],
            vec![Write("x.gen", ten_with(0, "A"))],
            vec![Write("x.gen", ten_with(9, "B"))],
            Conflict(&["x.gen"]),
        ),
        case(
            "the binary macro unsets merge",
            vec![
                Write(".gitattributes", "*.dat binary\n"),
                Write("x.dat", TEN),
            ],
            vec![Write("x.dat", ten_with(0, "A"))],
            vec![Write("x.dat", ten_with(9, "B"))],
            Conflict(&["x.dat"]),
        ),
        case(
            "a deeper .gitattributes overrides the top one",
            vec![
                Write(".gitattributes", "*.md merge=union\n"),
                Write("docs/.gitattributes", "*.md merge=binary\n"),
                Write("docs/a.md", TEN),
                Write("b.md", TEN),
            ],
            vec![
                Write("docs/a.md", ten_with(0, "A")),
                Write("b.md", ten_with(4, "A")),
            ],
            vec![
                Write("docs/a.md", ten_with(9, "B")),
                Write("b.md", ten_with(4, "B")),
            ],
            Conflict(&["docs/a.md"]),
        ),
        case(
            "attributes that merely mention merge change nothing",
            vec![
                Write(
                    ".gitattributes",
                    "# merge=binary would be wrong here\nmerge-notes.txt text\n",
                ),
                Write("merge-notes.txt", TEN),
            ],
            vec![Write("merge-notes.txt", ten_with(0, "A"))],
            vec![Write("merge-notes.txt", ten_with(9, "B"))],
            Clean,
        ),
        case(
            "conflict-marker-size changes no verdict",
            vec![
                Write(".gitattributes", "*.txt conflict-marker-size=32\n"),
                Write("f.txt", TEN),
            ],
            vec![Write("f.txt", ten_with(4, "A"))],
            vec![Write("f.txt", ten_with(4, "B"))],
            Conflict(&["f.txt"]),
        ),
        case(
            "info/attributes override the tree's",
            vec![
                Write(".gitattributes", "*.log merge=binary\n"),
                Write("x.log", TEN),
            ],
            vec![Write("x.log", ten_with(0, "A"))],
            vec![Write("x.log", ten_with(9, "B"))],
            Clean,
        )
        .info_attributes("*.log merge=text\n"),
        case(
            "a configured merge driver is run by git",
            vec![
                Write(".gitattributes", "*.log merge=keep\n"),
                Write("x.log", TEN),
            ],
            vec![Write("x.log", ten_with(4, "A"))],
            vec![Write("x.log", ten_with(4, "B"))],
            Clean,
        )
        .config(&[("merge.keep.driver", "true")])
        .by_git(),
        case(
            "merge.default names the driver of unspecified paths",
            vec![Write("x.txt", TEN)],
            vec![Write("x.txt", ten_with(0, "A"))],
            vec![Write("x.txt", ten_with(9, "B"))],
            Conflict(&["x.txt"]),
        )
        .config(&[("merge.default", "binary")]),
        case(
            "diff.algorithm is honoured in content merges",
            vec![Write("f.txt", TEN)],
            vec![Write("f.txt", ten_with(4, "FIVE"))],
            vec![Write("f.txt", ten_with(6, "SEVEN"))],
            Clean,
        )
        .config(&[("diff.algorithm", "patience")]),
    ]
}

/// Build a case, compare the engine with git in both directions, and both
/// with the expected verdict; `Err` says what differs.
fn run_case(c: &Case) -> Result<(), String> {
    let s = scenario(&c.base, &c.a, &c.b);
    for (k, v) in c.config {
        s.env.git(&s.dir, &["config", k, v]);
    }
    if let Some(text) = c.info_attributes {
        std::fs::create_dir_all(s.dir.join(".git/info")).unwrap();
        std::fs::write(s.dir.join(".git/info/attributes"), text).unwrap();
    }
    let pairs = vec![(s.a.clone(), s.b.clone()), (s.b.clone(), s.a.clone())];
    let ours = engine_decisions(&s.dir, &pairs);
    for ((a, b), (mine, by_git)) in pairs.iter().zip(&ours) {
        let git = git_verdict(&s.env, &s.dir, a, b);
        if *mine != git {
            return Err(format!("engine {mine:?}, git {git:?} ({a} + {b})"));
        }
        let by = if *by_git { By::Git } else { By::Engine };
        if by != c.by {
            return Err(format!("decided by {by:?}, expected {:?}", c.by));
        }
    }
    let git = git_verdict(&s.env, &s.dir, &s.a, &s.b);
    let expected = match c.expect {
        Expect::Clean => Verdict::Clean,
        Expect::Conflict(paths) => Verdict::Conflict(
            paths
                .iter()
                .map(|p| p.replace("{a}", &s.a).replace("{b}", &s.b))
                .collect(),
        ),
        Expect::AsGit => git.clone(),
    };
    if git != expected {
        return Err(format!("git says {git:?}, the table {expected:?}"));
    }
    Ok(())
}

#[test]
fn every_scenario_gets_gits_verdict() {
    let cases = cases();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(c) = cases.get(i) else { break };
                    if let Err(why) = run_case(c) {
                        failures.lock().unwrap().push(format!("{}: {why}", c.name));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} case(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn fast_forward_and_identical_tips_are_clean() {
    let s = scenario(&[Write("f", "1\n")], &[Write("f", "2\n")], &[]);
    let main = s.env.git(&s.dir, &["rev-parse", "main"]);
    for (a, b) in [(&main, &s.a), (&s.a, &main), (&s.a, &s.a)] {
        let ours = engine_verdicts(&s.dir, &[(a.clone(), b.clone())]);
        assert_eq!(ours[0], git_verdict(&s.env, &s.dir, a, b));
        assert_eq!(ours[0], Verdict::Clean);
    }
}

/// Criss-cross: two merge bases with different trees, which merge trivially
/// into git's virtual base.
#[test]
fn criss_cross_history() {
    let s = scenario(
        &[Write("f", TEN), Write("g", TEN)],
        &[Write("f", &replace_line(TEN, 0, "A1"))],
        &[Write("g", &replace_line(TEN, 9, "B1"))],
    );
    let (env, dir) = (&s.env, &s.dir);
    // Each side merges the other's first commit: two merge bases.
    env.git(dir, &["checkout", "-q", "a"]);
    env.tick();
    env.git(dir, &["merge", "-q", "--no-edit", &s.b]);
    write_file(
        dir,
        "f",
        &replace_line(&replace_line(TEN, 0, "A1"), 3, "A2"),
    );
    let a2 = commit_all(env, dir, "a2");
    env.git(dir, &["checkout", "-q", "b"]);
    env.tick();
    env.git(dir, &["merge", "-q", "--no-edit", &s.a]);
    write_file(
        dir,
        "f",
        &replace_line(&replace_line(TEN, 0, "A1"), 3, "B2"),
    );
    let b2 = commit_all(env, dir, "b2");
    let bases = env.git(dir, &["merge-base", "--all", &a2, &b2]);
    assert_eq!(bases.lines().count(), 2, "two merge bases");
    let git = git_verdict(env, dir, &a2, &b2);
    assert_eq!(git, conflict(&["f"]));
    let ours = engine_verdicts(dir, &[(a2.clone(), b2.clone()), (b2.clone(), a2.clone())]);
    assert_eq!(ours, [git, git_verdict(env, dir, &b2, &a2)]);

    // Two more commits that do not touch f's third line: clean for both.
    write_file(
        dir,
        "g",
        &replace_line(&replace_line(TEN, 9, "B1"), 5, "B3"),
    );
    let b3 = commit_all(env, dir, "b3");
    env.git(dir, &["checkout", "-q", "a"]);
    let ours = engine_verdicts(dir, &[(a2.clone(), b3.clone())]);
    assert_eq!(ours[0], git_verdict(env, dir, &a2, &b3));
}

/// Criss-cross whose merge bases conflict with each other: git's virtual base
/// holds conflict markers; git decides.
#[test]
fn criss_cross_with_conflicting_bases_gets_gits_verdict() {
    let s = scenario(
        &[Write("f", TEN)],
        &[Write("f", &replace_line(TEN, 4, "A1"))],
        &[Write("f", &replace_line(TEN, 4, "B1"))],
    );
    let (env, dir) = (&s.env, &s.dir);
    env.git(dir, &["checkout", "-q", "a"]);
    env.tick();
    env.git(dir, &["merge", "-q", "-s", "ours", "--no-edit", &s.b]);
    write_file(dir, "g", "a side\n");
    let a2 = commit_all(env, dir, "a2");
    env.git(dir, &["checkout", "-q", "b"]);
    env.tick();
    env.git(dir, &["merge", "-q", "-s", "ours", "--no-edit", &s.a]);
    write_file(dir, "h", "b side\n");
    let b2 = commit_all(env, dir, "b2");
    assert_eq!(
        env.git(dir, &["merge-base", "--all", &a2, &b2])
            .lines()
            .count(),
        2
    );
    let ours = engine_verdicts(dir, &[(a2.clone(), b2.clone())]);
    assert_eq!(ours[0], git_verdict(env, dir, &a2, &b2));
}

// ---- a generated history, pair by pair ---------------------------------------------

/// xorshift64*: a small seeded generator, so a failing history can be rebuilt.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const WORDS: &[&str] = &[
    "    }",
    "",
    "    return x;",
    "    x += 1;",
    "}",
    "    if (x) {",
    "        y();",
    "    // note",
    "alpha",
    "beta",
    "gamma",
    "delta",
    "    let z = 0;",
    "fn step() {",
];

fn random_text(rng: &mut Rng, lines: usize) -> String {
    (0..lines)
        .map(|_| {
            if rng.chance(40) {
                format!("{}\n", WORDS[rng.below(WORDS.len())])
            } else {
                format!("line {}\n", rng.below(1000))
            }
        })
        .collect()
}

fn edit_text(rng: &mut Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(lines.len().max(1));
        match rng.below(4) {
            0 if lines.len() > 3 => {
                lines.remove(at);
            }
            1 => lines.insert(at, format!("added {}", rng.below(1000))),
            2 => lines.insert(at, WORDS[rng.below(WORDS.len())].to_string()),
            _ => {
                if let Some(l) = lines.get_mut(at) {
                    *l = format!("changed {}", rng.below(1000));
                }
            }
        }
    }
    lines.iter().map(|l| format!("{l}\n")).collect()
}

type Tree = std::collections::BTreeMap<String, String>;

/// Emit one commit of the whole tree in `git fast-import` syntax.
fn emit(out: &mut String, branch: &str, mark: usize, from: Option<usize>, time: i64, tree: &Tree) {
    let msg = format!("commit {mark}");
    out.push_str(&format!(
        "commit refs/heads/{branch}\nmark :{mark}\ncommitter Ada <ada@example.com> {time} +0000\ndata {}\n{msg}\n",
        msg.len()
    ));
    if let Some(f) = from {
        out.push_str(&format!("from :{f}\n"));
    }
    out.push_str("deleteall\n");
    for (path, text) in tree {
        out.push_str(&format!(
            "M 100644 inline {path}\ndata {}\n{text}\n",
            text.len()
        ));
    }
}

fn mutate(rng: &mut Rng, tree: &mut Tree, hot: &[String]) {
    for _ in 0..2 + rng.below(5) {
        let keys: Vec<String> = tree.keys().cloned().collect();
        let path = if rng.chance(60) && !hot.is_empty() {
            hot[rng.below(hot.len())].clone()
        } else {
            keys[rng.below(keys.len())].clone()
        };
        let Some(text) = tree.get(&path).cloned() else {
            continue;
        };
        match rng.below(100) {
            0..=4 => {
                // Rename, usually with an edit.
                tree.remove(&path);
                let text = if rng.chance(50) {
                    edit_text(rng, &text)
                } else {
                    text
                };
                tree.insert(format!("moved/{}", path.replace('/', "_")), text);
            }
            5..=7 => {
                tree.remove(&path);
            }
            8..=10 => {
                tree.insert(
                    format!("new/file{}.txt", rng.below(30)),
                    random_text(rng, 8),
                );
            }
            _ => {
                tree.insert(path, edit_text(rng, &text));
            }
        }
    }
}

fn generated_history(seed: u64) -> (TestEnv, std::path::PathBuf, Vec<String>) {
    let mut rng = Rng(seed);
    let env = TestEnv::new();
    let dir = env.path().join("repo");
    env.git(
        env.path(),
        &["init", "-q", "-b", "main", dir.to_str().unwrap()],
    );
    let mut tree = Tree::new();
    for i in 0..40 {
        let lines = 30 + rng.below(30);
        tree.insert(
            format!("src/d{}/f{i}.rs", i % 5),
            random_text(&mut rng, lines),
        );
    }
    let hot: Vec<String> = tree.keys().take(8).cloned().collect();
    let mut stream = String::new();
    let mut time = EPOCH;
    let mut main_marks = vec![1];
    emit(&mut stream, "main", 1, None, time, &tree);
    let mut main_trees = vec![tree.clone()];
    let mut mark = 1;
    for _ in 0..5 {
        mutate(&mut rng, &mut tree, &hot);
        mark += 1;
        time += 60;
        emit(&mut stream, "main", mark, Some(mark - 1), time, &tree);
        main_marks.push(mark);
        main_trees.push(tree.clone());
    }
    let mut branches = vec!["main".to_string()];
    for b in 0..10 {
        let cut = rng.below(main_marks.len());
        let mut t = main_trees[cut].clone();
        let mut from = main_marks[cut];
        let name = format!("kickoff-{b}");
        for _ in 0..1 + rng.below(3) {
            mutate(&mut rng, &mut t, &hot);
            mark += 1;
            time += 60;
            emit(&mut stream, &name, mark, Some(from), time, &t);
            from = mark;
        }
        branches.push(name);
    }
    let mut child = env
        .git_cmd(&dir, &["fast-import", "--quiet"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stream.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    criss_cross(&env, &dir, &branches);
    let oids = branches
        .iter()
        .map(|b| env.git(&dir, &["rev-parse", b]))
        .collect();
    (env, dir, oids)
}

/// Pairs of branches merge each other's tip (conflicts resolved with
/// `-X ours`), which gives them two merge bases: criss-cross histories.
fn criss_cross(env: &TestEnv, dir: &Path, branches: &[String]) {
    env.git(dir, &["checkout", "-q", "-f", "main"]);
    for pair in [(1, 2), (3, 4), (5, 6)] {
        let (x, y) = (&branches[pair.0], &branches[pair.1]);
        let (tx, ty) = (
            env.git(dir, &["rev-parse", x]),
            env.git(dir, &["rev-parse", y]),
        );
        for (branch, other) in [(x, &ty), (y, &tx)] {
            env.git(dir, &["checkout", "-q", "-f", branch]);
            env.tick();
            let merged = env
                .git_output(dir, &["merge", "-q", "-X", "ours", "--no-edit", other])
                .status
                .success();
            if !merged {
                env.git(dir, &["merge", "--abort"]);
            }
        }
    }
    env.git(dir, &["checkout", "-q", "-f", "main"]);
}

#[test]
fn generated_histories_match_git_pair_by_pair() {
    let (mut same, mut unknown, mut conflicts, mut criss) = (0, 0, 0, 0);
    // KICKOFF_DIFF_SEEDS=N runs N histories instead of 3 (for deeper checks).
    let seeds: u64 = std::env::var("KICKOFF_DIFF_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    for seed in (1..=seeds).map(|n| 0x5eed_0000_u64 + n) {
        let (env, dir, tips) = generated_history(seed);
        let mut pairs = Vec::new();
        for (i, a) in tips.iter().enumerate() {
            for b in &tips[i + 1..] {
                pairs.push((a.clone(), b.clone()));
            }
        }
        let ours = engine_verdicts(&dir, &pairs);
        for ((a, b), mine) in pairs.iter().zip(ours) {
            if env
                .git(&dir, &["merge-base", "--all", a, b])
                .lines()
                .count()
                > 1
            {
                criss += 1;
            }
            if let Verdict::Unknown(why) = &mine {
                eprintln!("seed {seed:#x}: {a} + {b} could not be checked: {why}");
                unknown += 1;
                continue;
            }
            let git = git_verdict(&env, &dir, a, b);
            assert_eq!(
                mine, git,
                "seed {seed:#x}: engine and git disagree on {a} + {b}"
            );
            if matches!(git, Verdict::Conflict(_)) {
                conflicts += 1;
            }
            same += 1;
        }
    }
    eprintln!(
        "generated histories: {same} pairs identical to git ({conflicts} conflicting), {unknown} could not be checked; {criss} pairs with several merge bases"
    );
    assert!(
        conflicts > 20 && same - conflicts > 20,
        "the histories exercise both verdicts"
    );
    assert_eq!(unknown, 0, "every pair gets a verdict");
}

// ---- the command -----------------------------------------------------------------

/// origin/main with `shared.txt`; alpha and beta change its line 2
/// differently (conflict); gamma changes another file (clean with all).
fn radar_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.commit("shared.txt", TEN, "Shared file");
    repo.commit("other.txt", TEN, "Other file");
    repo.git(&["push", "-q", "origin", "main"]);
    for (name, path, line) in [
        ("kickoff-240510-alpha", "shared.txt", "TWO from alpha"),
        ("kickoff-240511-beta", "shared.txt", "TWO from beta"),
        ("kickoff-240512-gamma", "other.txt", "TWO from gamma"),
    ] {
        repo.git(&["branch", name, "main"]);
        repo.commit_on(name, path, &replace_line(TEN, 1, line), "Kickoff work");
    }
    repo
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(out)))
}

/// Everything in the object store: counts, and every file under objects/
/// with its size and a digest of its bytes.
fn object_store(repo: &TestRepo) -> (String, Vec<String>) {
    let counts = repo.git(&["count-objects", "-v"]);
    let mut files = Vec::new();
    let root = repo.work.join(".git/objects");
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                // Name and every byte (FNV-1a), so a rewritten file shows.
                let bytes = std::fs::read(&p).unwrap();
                let digest = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                    (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
                });
                let name = p.strip_prefix(&root).unwrap().display().to_string();
                files.push(format!("{name} {} {digest:016x}", bytes.len()));
            }
        }
    }
    files.sort();
    (counts, files)
}

#[test]
fn matrix_lists_pairs_and_conflicting_paths_and_exits_3() {
    let repo = radar_repo();
    let out = repo.kickoff(&["conflicts"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "   revision             1 2 3 4
1  kickoff-240510-alpha · ✗ ✓ ✓
2  kickoff-240511-beta  ✗ · ✓ ✓
3  kickoff-240512-gamma ✓ ✓ · ✓
4  origin/main          ✓ ✓ ✓ ·

✓ clean   ✗ conflict   ? could not check

kickoff-240510-alpha ✗ kickoff-240511-beta: 1 conflicting path(s)
  content  shared.txt
"
    );
    assert!(
        stderr(&out).contains("1 of 6 pair(s) conflict"),
        "{}",
        stderr(&out)
    );
    repo.kickoff(&["conflicts", "--exit-zero"]).assert().code(0);
}

#[test]
fn json_reports_names_oids_merge_bases_and_paths() {
    let repo = radar_repo();
    let out = repo.kickoff(&["conflicts", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let v = json_of(&out);
    assert_eq!(v["schema"], 1);
    assert_eq!(v["revisions"].as_array().unwrap().len(), 4);
    let pairs = v["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 6);
    let ab = &pairs[0];
    assert_eq!(ab["a"]["name"], "kickoff-240510-alpha");
    assert_eq!(ab["b"]["name"], "kickoff-240511-beta");
    assert_eq!(ab["a"]["oid"], repo.rev("kickoff-240510-alpha").unwrap());
    assert_eq!(ab["b"]["oid"], repo.rev("kickoff-240511-beta").unwrap());
    let base = repo.git(&[
        "merge-base",
        "--all",
        "kickoff-240510-alpha",
        "kickoff-240511-beta",
    ]);
    assert_eq!(ab["merge_bases"], serde_json::json!([base]));
    assert_eq!(ab["status"], "conflict");
    assert_eq!(ab["conflict"], true);
    assert_eq!(
        ab["paths"],
        serde_json::json!([{"path": "shared.txt", "kind": "content"}])
    );
    for p in &pairs[1..] {
        assert_eq!(p["conflict"], false, "{p}");
        assert_eq!(p["paths"], serde_json::json!([]));
    }
    assert_eq!(v["summary"]["conflicting"], 1);
    assert_eq!(v["summary"]["clean"], 5);
}

#[test]
fn no_main_and_explicit_revisions() {
    let repo = radar_repo();
    let out = repo
        .kickoff(&["conflicts", "--json", "--no-main"])
        .output()
        .unwrap();
    let v = json_of(&out);
    assert_eq!(v["revisions"].as_array().unwrap().len(), 3);
    assert_eq!(v["pairs"].as_array().unwrap().len(), 3);

    let out = repo
        .kickoff(&[
            "conflicts",
            "--json",
            "--no-main",
            "kickoff-240510-alpha",
            "kickoff-240512-gamma",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json_of(&out);
    assert_eq!(v["pairs"].as_array().unwrap().len(), 1);
    assert_eq!(v["pairs"][0]["conflict"], false);

    // Any revision git resolves; main is added unless --no-main.
    let beta_parent = format!("{}~0", repo.rev("kickoff-240511-beta").unwrap());
    let out = repo
        .kickoff(&["conflicts", "--json", "kickoff-240510-alpha", &beta_parent])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let v = json_of(&out);
    let names: Vec<&str> = v["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["kickoff-240510-alpha", beta_parent.as_str(), "origin/main"]
    );
}

#[test]
fn bad_revision_is_refused_and_changes_nothing() {
    let repo = radar_repo();
    let before = object_store(&repo);
    assert_refused(
        &repo,
        &["conflicts", "kickoff-240510-alpha", "no-such-branch"],
        2,
        &["no-such-branch"],
    );
    assert_refused(
        &repo,
        &["conflicts", "--no-main", "kickoff-240510-alpha"],
        2,
        &["nothing to compare"],
    );
    assert_refused(
        &repo,
        &["conflicts", "kickoff-240510-alpha", "kickoff-240510-alpha"],
        2,
        &["given twice"],
    );
    assert!(
        !repo.work.join(".git/kickoff").exists(),
        "no cache for refused runs"
    );
    assert_eq!(before, object_store(&repo));
}

#[test]
fn checking_writes_no_object_and_touches_no_ref_or_file() {
    let repo = radar_repo();
    // Content merges and an add/add of a binary file run, and nothing is written.
    repo.commit_on("kickoff-240510-alpha", "bin.dat", "x\0alpha", "Binary");
    repo.commit_on("kickoff-240511-beta", "bin.dat", "x\0beta", "Binary");
    repo.git(&["gc", "-q"]);
    repo.commit_on(
        "kickoff-240512-gamma",
        "loose.txt",
        "loose object\n",
        "Loose",
    );
    let before = (object_store(&repo), repo.snapshot());
    let out = repo.kickoff(&["conflicts", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(
        json_of(&out)["pairs"][0]["paths"],
        serde_json::json!([
            {"path": "bin.dat", "kind": "add/add"},
            {"path": "shared.txt", "kind": "content"}
        ])
    );
    assert_eq!(before, (object_store(&repo), repo.snapshot()));
    assert_eq!(repo.git(&["status", "--porcelain", "--ignored"]), "");
}

#[test]
fn cache_lives_in_the_git_dir_and_only_moved_pairs_are_recomputed() {
    let repo = radar_repo();
    let cached = |out: &std::process::Output| -> Vec<(String, String, bool)> {
        json_of(out)["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["a"]["name"].as_str().unwrap().to_string(),
                    p["b"]["name"].as_str().unwrap().to_string(),
                    p["cached"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let first = repo.kickoff(&["conflicts", "--json"]).output().unwrap();
    assert!(cached(&first).iter().all(|p| !p.2));
    let file = repo.work.join(".git/kickoff/conflicts-cache.json");
    assert!(file.exists());
    let second = repo.kickoff(&["conflicts", "--json"]).output().unwrap();
    assert!(cached(&second).iter().all(|p| p.2));
    assert_eq!(json_of(&first)["summary"], json_of(&second)["summary"]);

    // gamma moves and now clashes with alpha: only gamma's pairs are merged again.
    repo.commit_on(
        "kickoff-240512-gamma",
        "shared.txt",
        &replace_line(TEN, 1, "gamma"),
        "Clash",
    );
    let third = repo.kickoff(&["conflicts", "--json"]).output().unwrap();
    for (a, b, was_cached) in cached(&third) {
        let involves_gamma = a.contains("gamma") || b.contains("gamma");
        assert_eq!(was_cached, !involves_gamma, "{a} {b}");
    }
    assert_eq!(json_of(&third)["summary"]["conflicting"], 3);

    // A corrupt cache is ignored and rebuilt with the same verdicts.
    std::fs::write(&file, "{ definitely not a cache").unwrap();
    let fourth = repo.kickoff(&["conflicts", "--json"]).output().unwrap();
    assert!(cached(&fourth).iter().all(|p| !p.2));
    assert_eq!(json_of(&third)["summary"], json_of(&fourth)["summary"]);
    assert!(serde_json::from_slice::<serde_json::Value>(&std::fs::read(&file).unwrap()).is_ok());
}

#[test]
fn tree_diffs_are_stored_reused_by_exact_tree_and_rebuilt_when_damaged() {
    use kickoff::conflict::diff_cache::DiffCache;
    let repo = radar_repo();
    let file = repo.work.join(".git/kickoff/conflicts-diffs.bin");
    let pair_cache = repo.work.join(".git/kickoff/conflicts-cache.json");
    let pairs = |extra: &[&str]| -> Vec<serde_json::Value> {
        let mut args = vec!["conflicts", "--json", "--exit-zero"];
        args.extend_from_slice(extra);
        let out = repo.kickoff(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let mut pairs = json_of(&out)["pairs"].as_array().unwrap().clone();
        for p in &mut pairs {
            p.as_object_mut().unwrap().remove("cached");
        }
        pairs
    };
    let stored = || {
        let lib = kickoff::git::Repo::discover(&repo.work).unwrap();
        let fingerprint = Options::for_repo(&lib).unwrap().fingerprint();
        (lib, DiffCache::load(&repo.work.join(".git"), &fingerprint))
    };
    let tree_of = |rev: &str| -> git2::Oid {
        repo.git(&["rev-parse", &format!("{rev}^{{tree}}")])
            .trim()
            .parse()
            .unwrap()
    };

    let first = pairs(&[]);
    assert_eq!(first, pairs(&["--no-cache"]));
    let (_, cache) = stored();
    let reference = cache.reference().expect("a reference tree is stored");
    assert_eq!(reference, tree_of("main"), "the common merge base");
    let old_gamma = tree_of("kickoff-240512-gamma");
    assert!(cache.get(reference, old_gamma).is_some());

    // gamma moves: its new tree is a new key, diffed afresh; the reference
    // and the other trees' diffs are reused; verdicts equal a cacheless run.
    repo.commit_on(
        "kickoff-240512-gamma",
        "shared.txt",
        &replace_line(TEN, 1, "gamma"),
        "Clash",
    );
    let new_gamma = tree_of("kickoff-240512-gamma");
    assert!(stored().1.get(reference, new_gamma).is_none());
    let moved = pairs(&[]);
    assert_eq!(moved, pairs(&["--no-cache"]));
    assert_ne!(moved, first);
    let (lib, cache) = stored();
    assert_eq!(cache.reference(), Some(reference));
    assert_eq!(
        cache.get(reference, new_gamma).as_deref(),
        Some(&lib.tree_changes(reference, new_gamma).unwrap())
    );

    // A damaged file (one byte changed) is ignored and written again.
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(&file, &bytes).unwrap();
    assert_eq!(stored().1.reference(), None, "damaged file not trusted");
    std::fs::remove_file(&pair_cache).unwrap();
    assert_eq!(pairs(&[]), moved);
    let (lib, cache) = stored();
    let reference = cache.reference().expect("rewritten");
    assert_eq!(
        cache.get(reference, new_gamma).as_deref(),
        Some(&lib.tree_changes(reference, new_gamma).unwrap())
    );

    // --no-cache writes neither file.
    std::fs::remove_dir_all(repo.work.join(".git/kickoff")).unwrap();
    pairs(&["--no-cache"]);
    assert!(!file.exists() && !pair_cache.exists());
}

#[test]
fn cache_is_shared_by_linked_worktrees() {
    let repo = radar_repo();
    let linked = repo.env.path().join("linked");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "--detach",
        linked.to_str().unwrap(),
    ]);
    let out = repo
        .env
        .kickoff_cmd(&linked)
        .args(["conflicts", "--exit-zero"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(repo.work.join(".git/kickoff/conflicts-cache.json").exists());
    assert!(!linked.join("kickoff").exists());
    assert_eq!(repo.git_in(&linked, &["status", "--porcelain"]), "");
}

#[test]
fn nothing_to_compare_exits_0() {
    let repo = TestRepo::new();
    let out = repo.kickoff(&["conflicts"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nothing to check"),
        "{}",
        stderr(&out)
    );
    // Regression: a one-revision matrix of main alone was printed.
    assert_eq!(stdout(&out), "");
}

#[test]
fn pairs_the_engine_cannot_model_get_gits_verdict_and_the_object_store_is_unchanged() {
    let repo = TestRepo::new();
    repo.commit("old/one.txt", TEN, "One");
    repo.commit("old/two.txt", "two\n", "Two");
    repo.git(&["push", "-q", "origin", "main"]);
    repo.git(&["branch", "kickoff-240510-move", "main"]);
    repo.git(&["branch", "kickoff-240511-add", "main"]);
    repo.git(&["checkout", "-q", "kickoff-240510-move"]);
    repo.git(&["mv", "old", "new"]);
    repo.git(&["commit", "-q", "-m", "Move the directory"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_on(
        "kickoff-240511-add",
        "old/three.txt",
        "three\n",
        "Add a file",
    );
    let before = object_store(&repo);
    let out = repo
        .kickoff(&["conflicts", "--json", "--no-main", "--exit-zero"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(before, object_store(&repo), "git's merge wrote no object");
    let v = json_of(&out);
    let pair = &v["pairs"][0];
    assert_eq!(pair["status"], "conflict", "{pair}");
    assert_eq!(pair["decided_by"], "git", "{pair}");
    assert_eq!(pair["paths"][0]["path"], "new/three.txt", "{pair}");
    assert_eq!(v["summary"]["could_not_check"], 0);
    // git's verdict is cached like any other.
    let again = repo
        .kickoff(&["conflicts", "--json", "--no-main", "--exit-zero"])
        .output()
        .unwrap();
    let v = json_of(&again);
    assert_eq!(v["pairs"][0]["cached"], true, "{v}");
    assert_eq!(v["pairs"][0]["status"], "conflict");
    assert_eq!(before, object_store(&repo));
}

#[test]
fn unrelated_histories_are_reported_with_their_reason_and_do_not_fail_the_run() {
    let repo = TestRepo::new();
    repo.commit("a.txt", TEN, "One");
    repo.git(&["push", "-q", "origin", "main"]);
    repo.git(&["branch", "kickoff-240510-one", "main"]);
    repo.commit_on("kickoff-240510-one", "a.txt", "changed\n", "Change");
    repo.git(&["checkout", "-q", "--orphan", "kickoff-240511-other"]);
    repo.git(&["rm", "-q", "-rf", "."]);
    repo.commit("b.txt", "b\n", "Unrelated root");
    repo.git(&["checkout", "-q", "main"]);
    let out = repo
        .kickoff(&[
            "conflicts",
            "--json",
            "--no-main",
            "kickoff-240510-one",
            "kickoff-240511-other",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("could not be checked"),
        "{}",
        stderr(&out)
    );
    let v = json_of(&out);
    let pair = &v["pairs"][0];
    assert_eq!(pair["status"], "could-not-check");
    assert_eq!(pair["conflict"], serde_json::Value::Null);
    assert!(
        pair["reason"]
            .as_str()
            .unwrap()
            .contains("no common history"),
        "{pair}"
    );
    assert_eq!(v["summary"]["could_not_check"], 1);
}

// ---- freshness: each kickoff at its newest known tip ------------------------------

const ALPHA: &str = "kickoff-240510-alpha";
const BETA: &str = "kickoff-240511-beta";

/// main with `shared.txt` on origin; ALPHA pushed with a harmless commit,
/// then a teammate pushed a commit to ALPHA that changes line 2 of
/// `shared.txt` (fetched here only when `fetch`); BETA, local, changes
/// line 2 too. Returns the teammate's clone.
fn teammate_moved_alpha(repo: &TestRepo, fetch: bool) -> std::path::PathBuf {
    repo.commit("shared.txt", TEN, "Shared file");
    repo.git(&["push", "-q", "origin", "main"]);
    repo.git(&["branch", ALPHA, "main"]);
    repo.commit_on(ALPHA, "alpha.txt", "a\n", "Alpha starts");
    repo.git(&["push", "-q", "origin", ALPHA]);
    let mate = repo.clone_to("mate");
    repo.env.git(&mate, &["checkout", "-q", ALPHA]);
    commit_in(
        &repo.env,
        &mate,
        "shared.txt",
        &replace_line(TEN, 1, "TWO from alpha"),
        "Alpha edits shared",
    );
    repo.env.git(&mate, &["push", "-q", "origin", ALPHA]);
    if fetch {
        repo.git(&["fetch", "-q", "origin"]);
    }
    repo.git(&["branch", BETA, "main"]);
    repo.commit_on(
        BETA,
        "shared.txt",
        &replace_line(TEN, 1, "TWO from beta"),
        "Beta edits shared",
    );
    mate
}

fn pair_status<'v>(v: &'v serde_json::Value, a: &str, b: &str) -> &'v serde_json::Value {
    v["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            let (x, y) = (
                p["a"]["name"].as_str().unwrap(),
                p["b"]["name"].as_str().unwrap(),
            );
            (x == a && y == b) || (x == b && y == a)
        })
        .map(|p| &p["status"])
        .unwrap_or_else(|| panic!("no pair {a} {b} in {v}"))
}

#[test]
fn a_stale_local_kickoff_is_checked_at_its_newer_remote_tip() {
    let repo = TestRepo::new();
    teammate_moved_alpha(&repo, true);
    let out = repo
        .kickoff(&["conflicts", "--json", "--no-main", "--exit-zero"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json_of(&out);
    assert_eq!(pair_status(&v, ALPHA, BETA), "conflict", "{v}");
    let notes = v["freshness"]["notes"].to_string();
    assert!(notes.contains(&format!("origin/{ALPHA}")), "{notes}");
    // Without --exit-zero the conflict fails the run, and the text says why.
    let out = repo.kickoff(&["conflicts", "--no-main"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("ahead of the local branch"),
        "{}",
        stderr(&out)
    );
    // The hook's hint runs the same check, and finds the same conflict.
    let out = repo
        .kickoff(&["conflicts", "--kickoff", BETA])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("{ALPHA} ✗ {BETA}"))
            || stdout(&out).contains(&format!("{BETA} ✗ {ALPHA}")),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_kickoff_known_only_on_the_remote_can_be_named() {
    let repo = TestRepo::new();
    teammate_moved_alpha(&repo, true);
    repo.git(&["branch", "-q", "-D", ALPHA]);
    let out = repo
        .kickoff(&[
            "conflicts",
            "--json",
            "--no-main",
            "--exit-zero",
            ALPHA,
            BETA,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json_of(&out);
    assert_eq!(pair_status(&v, ALPHA, BETA), "conflict", "{v}");
}

#[test]
fn diverged_local_and_remote_tips_are_both_checked_and_said_so() {
    let repo = TestRepo::new();
    teammate_moved_alpha(&repo, true);
    // The local ALPHA gains its own commit: it and origin's have diverged.
    repo.commit_on(ALPHA, "alpha.txt", "a\nlocal\n", "Local alpha work");
    let out = repo
        .kickoff(&["conflicts", "--json", "--no-main", "--exit-zero"])
        .output()
        .unwrap();
    let v = json_of(&out);
    let names: Vec<&str> = v["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    let remote = format!("origin/{ALPHA}");
    assert!(
        names.contains(&ALPHA) && names.contains(&remote.as_str()),
        "{names:?}"
    );
    assert_eq!(pair_status(&v, ALPHA, BETA), "clean", "{v}");
    assert_eq!(pair_status(&v, &remote, BETA), "conflict", "{v}");
    assert!(
        v["freshness"]["notes"].to_string().contains("diverged"),
        "{v}"
    );
}

#[test]
fn fetch_first_sees_a_teammates_push_and_the_age_is_shown_otherwise() {
    let repo = TestRepo::new();
    teammate_moved_alpha(&repo, false);
    let before = repo
        .kickoff(&["conflicts", "--json", "--no-main", "--exit-zero"])
        .output()
        .unwrap();
    let v = json_of(&before);
    assert_eq!(
        pair_status(&v, ALPHA, BETA),
        "clean",
        "not fetched yet: {v}"
    );
    assert!(v["freshness"]["fetched_seconds_ago"].is_u64(), "{v}");
    let text = repo.kickoff(&["conflicts", "--no-main"]).output().unwrap();
    assert!(
        stderr(&text).contains("were fetched") && stderr(&text).contains("--fetch"),
        "{}",
        stderr(&text)
    );
    let out = repo
        .kickoff(&["conflicts", "--json", "--no-main", "--exit-zero", "--fetch"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json_of(&out);
    assert_eq!(pair_status(&v, ALPHA, BETA), "conflict", "{v}");
    assert_eq!(v["freshness"]["fetched"], true);
}

#[test]
fn main_keeps_its_row_when_a_kickoff_sits_on_mains_commit() {
    let repo = radar_repo();
    repo.git(&["branch", "kickoff-240513-fresh", "origin/main"]);
    let out = repo
        .kickoff(&["conflicts", "--exit-zero"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("kickoff-240513-fresh"), "{text}");
    assert!(text.contains("origin/main"), "{text}");
}

#[test]
fn hook_in_block_mode_refuses_a_push_conflicting_with_a_teammates_newer_tip() {
    let repo = TestRepo::new();
    teammate_moved_alpha(&repo, false);
    repo.kickoff(&["hook", "install"]).assert().success();
    repo.write(".kickoff.toml", "[hook]\nconflicts = \"block\"\n");
    // The remote-tracking refs look old: the hook fetches before checking.
    let _ = std::fs::remove_file(repo.work.join(".git/FETCH_HEAD"));
    let origin_before = repo.origin_refs();
    let out = repo.env.git_output(&repo.work, &["push", "origin", BETA]);
    let err = stderr(&out);
    assert!(!out.status.success(), "the push went through:\n{err}");
    assert!(
        err.contains("[conflicts]") && err.contains(ALPHA) && err.contains("shared.txt"),
        "{err}"
    );
    assert!(
        err.contains(&format!("kickoff conflicts --kickoff {BETA}")),
        "{err}"
    );
    assert_eq!(
        repo.origin_refs(),
        origin_before,
        "nothing reached the remote"
    );
    // The hint runs the same check and finds the same conflict.
    let hint = repo
        .kickoff(&["conflicts", "--kickoff", BETA])
        .output()
        .unwrap();
    assert_eq!(hint.status.code(), Some(3), "{}", stderr(&hint));
}

#[test]
fn hook_does_not_fetch_when_the_remote_tracking_refs_are_fresh() {
    let repo = TestRepo::new();
    teammate_moved_alpha(&repo, false);
    repo.kickoff(&["hook", "install"]).assert().success();
    repo.write(
        ".kickoff.toml",
        "[hook]\nconflicts = \"block\"\nrefresh_after = \"1h\"\n",
    );
    // A fetch a moment ago (of main only): the teammate's push is unknown.
    repo.git(&["fetch", "-q", "origin", "main"]);
    let out = repo.env.git_output(&repo.work, &["push", "origin", BETA]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        repo.rev(&format!("origin/{ALPHA}")),
        repo.rev(ALPHA),
        "no fetch"
    );
}

#[test]
fn a_shallow_clone_is_refused_with_the_unshallow_hint() {
    let repo = radar_repo();
    repo.git(&[
        "push",
        "-q",
        "origin",
        "kickoff-240510-alpha",
        "kickoff-240511-beta",
    ]);
    let shallow = repo.env.path().join("shallow");
    let url = format!("file://{}", repo.origin.display());
    repo.env.git(
        repo.env.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--no-single-branch",
            &url,
            shallow.to_str().unwrap(),
        ],
    );
    let out = repo
        .env
        .kickoff_cmd(&shallow)
        .args(["conflicts", "--no-main"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("shallow") && err.contains("git fetch --unshallow"),
        "{err}"
    );
    assert!(!err.contains("no common history"), "{err}");
}
