//! `kickoff demo [DIR]`: a throwaway repository that walks the whole flow.
//!
//! The demo is a list of named steps ([`STEPS`]); each runs real `git` and
//! real `kickoff` commands (this very executable, with `-C`) and prints what
//! it ran and what came back. Later features add their own steps to the list.
//!
//! Every child process gets a fixed identity and a neutral git setup through
//! its own environment (`GIT_AUTHOR_*`, `GIT_COMMITTER_*`, `GIT_CONFIG_*`);
//! the user's git config is never written.

use crate::commands::Global;
use crate::error::{Error, Result};
use crate::output::shell_words;
use chrono::{Days, NaiveDate};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Build a throwaway repository with a bare origin and walk the whole kickoff
/// flow in it with real commits: init, new, feature, merges, sync, release,
/// land, list, status.
///
/// Prints every command it runs and how to explore the result. DIR must be
/// empty or absent; without DIR a new temporary directory is created and kept.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where to build the demo (must be empty or not exist yet)
    /// [default: a new temporary directory].
    #[arg(id = "demo_dir", value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// One named step of the demo.
pub struct Step {
    /// Short identifier, printed in the step header.
    pub name: &'static str,
    /// What the step shows, in one line.
    pub about: &'static str,
    pub run: fn(&mut Demo) -> Result<()>,
}

/// The steps, in order. Add new steps where they belong in the workflow.
pub const STEPS: &[Step] = &[
    Step {
        name: "setup",
        about: "a bare `origin` and a developer clone with one commit on main",
        run: step_setup,
    },
    Step {
        name: "init",
        about: "write .kickoff.toml with the defaults, describe four QA slots x three apps and a harmless deploy script, commit them to main",
        run: step_init,
    },
    Step {
        name: "hook",
        about: "install the pre-push hook; a badly named branch is refused at push time",
        run: step_hook,
    },
    Step {
        name: "new",
        about: "cut two kickoff branches from the remote's main",
        run: step_new,
    },
    Step {
        name: "features",
        about: "one feature branch per ticket under the kickoffs, with commits",
        run: step_features,
    },
    Step {
        name: "merge",
        about: "merge finished features back into their kickoff",
        run: step_merge,
    },
    Step {
        name: "slots",
        about: "claim a QA slot for the dashboard kickoff; every clone sees who holds it",
        run: step_slots,
    },
    Step {
        name: "deploy",
        about: "deploy the kickoff to its slot with a harmless deploy script; the record is shared",
        run: step_deploy,
    },
    Step {
        name: "routes",
        about: "the reverse proxy for every slot and app, routed by path, written from the same pool (nginx)",
        run: step_routes,
    },
    Step {
        name: "main-moves",
        about: "a teammate hotfixes main and pushes it",
        run: step_main_moves,
    },
    Step {
        name: "hotfix-rule",
        about: "releasing the dashboard kickoff now would roll the hotfix back: the behind-main rule refuses and names it",
        run: step_hotfix_rule,
    },
    Step {
        name: "sync",
        about: "bring the remote's main into the dashboard kickoff with a merge commit; the rule passes",
        run: step_sync,
    },
    Step {
        name: "dashboard",
        about: "a teammate sees the slots (the kickoff moved on: stale); write the QA dashboard",
        run: step_dashboard,
    },
    Step {
        name: "conflicts",
        about: "billing adds the login page dashboard already has: the radar shows the clash before anyone merges",
        run: step_conflicts,
    },
    Step {
        name: "list",
        about: "the live kickoffs: age, ahead/behind main, features merged/open",
        run: step_list,
    },
    Step {
        name: "status",
        about: "one kickoff in detail: base, upstream, each feature's merge state",
        run: step_status,
    },
    Step {
        name: "release",
        about: "give the dashboard kickoff its platform version, then read the mapping back",
        run: step_release,
    },
    Step {
        name: "land",
        about: "after the deployment, land the released kickoff in main",
        run: step_land,
    },
];

/// The state the steps share: where things are, and the clock of the story.
pub struct Demo {
    pub root: PathBuf,
    pub origin: PathBuf,
    /// The developer's clone.
    pub work: PathBuf,
    /// A teammate's clone.
    pub mate: PathBuf,
    pub exe: PathBuf,
    pub today: NaiveDate,
    /// Kickoff branch names, filled by the `new` step.
    pub kickoffs: Vec<String>,
    ui: crate::output::Ui,
}

pub fn run(args: DemoArgs, g: &Global) -> Result<()> {
    let root = prepare_dir(args.dir.as_deref().map(|d| g.dir.join(d)))?;
    let exe =
        std::env::current_exe().map_err(|e| Error::io("cannot find the kickoff executable", e))?;
    let ui = g.ui.clone();
    let mut demo = Demo {
        origin: root.join("origin.git"),
        work: root.join("work"),
        mate: root.join("teammate"),
        root,
        exe,
        today: chrono::Local::now().date_naive(),
        kickoffs: Vec::new(),
        ui,
    };
    demo.say(&format!(
        "kickoff demo in {}\n(a throwaway repository; delete the directory when done)\n",
        demo.root.display()
    ))?;
    let total = STEPS.len();
    for (i, step) in STEPS.iter().enumerate() {
        demo.say(&format!(
            "\n[{}/{total}] {}: {}\n",
            i + 1,
            step.name,
            step.about
        ))?;
        (step.run)(&mut demo).map_err(|e| match e {
            // A reader that went away (`kickoff demo | head`) ends the demo quietly.
            Error::BrokenPipe => Error::BrokenPipe,
            e => Error::failed(
                format!("demo step `{}` failed", step.name),
                Some(format!(
                    "the repository is left as it is in {} for a look",
                    demo.root.display()
                )),
                e,
            ),
        })?;
    }
    let work = demo.work.display().to_string();
    demo.say(&format!(
        "\nDone. Explore it:\n  cd {work}\n  git log --graph --oneline --all\n  kickoff list\n  kickoff conflicts\n  kickoff status {}\n  kickoff versions\n  kickoff notes 1.0.0\n  git config --get-regexp '^branch\\..*\\.kickoff$'\n",
        demo.kickoffs.first().map(String::as_str).unwrap_or("")
    ))
}

/// The directory to build in: DIR when empty or absent, else a new kept temp dir.
fn prepare_dir(dir: Option<PathBuf>) -> Result<PathBuf> {
    let Some(dir) = dir else {
        let tmp = tempfile::Builder::new()
            .prefix("kickoff-demo-")
            .tempdir()
            .map_err(|e| Error::io("cannot create a temporary directory", e))?;
        return Ok(tmp.keep());
    };
    if dir.exists() {
        if !dir.is_dir() {
            return Err(Error::usage_hint(
                format!("{} exists and is not a directory", dir.display()),
                "name a new or empty directory, or leave DIR out for a temporary one",
            ));
        }
        let non_empty = std::fs::read_dir(&dir)
            .map_err(|e| Error::io(format!("cannot read {}", dir.display()), e))?
            .next()
            .is_some();
        if non_empty {
            return Err(Error::usage_hint(
                format!("{} is not empty", dir.display()),
                "name a new or empty directory, or leave DIR out for a temporary one",
            ));
        }
    } else {
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    }
    dir.canonicalize()
        .map_err(|e| Error::io(format!("cannot resolve {}", dir.display()), e))
}

impl Demo {
    /// Print a line of the story.
    pub fn say(&mut self, text: &str) -> Result<()> {
        self.ui.data(text)
    }

    /// A date `days` before today, as `YYYY-MM-DD`.
    pub fn days_ago(&self, days: u64) -> String {
        (self.today - Days::new(days))
            .format("%Y-%m-%d")
            .to_string()
    }

    /// Run `git` in `dir`, print the command line and its output.
    pub fn git(&mut self, dir: &Path, args: &[&str]) -> Result<String> {
        let mut cmd = Command::new("git");
        cmd.current_dir(dir).args(args);
        let shown = format!("git {}", shell_words(args));
        self.run_child(cmd, dir, &shown)
    }

    /// Run `kickoff -C <work> ...` (this executable), print the command and its output.
    pub fn kickoff(&mut self, args: &[&str]) -> Result<String> {
        self.kickoff_in(&self.work.clone(), args)
    }

    pub fn kickoff_in(&mut self, dir: &Path, args: &[&str]) -> Result<String> {
        let (cmd, shown) = self.kickoff_cmd(dir, args);
        self.run_child(cmd, dir, &shown)
    }

    /// Run a kickoff command that the story expects to be refused (exit 1),
    /// print it and its refusal; any other outcome fails the demo.
    pub fn kickoff_refused(&mut self, args: &[&str]) -> Result<String> {
        let dir = self.work.clone();
        let (cmd, shown) = self.kickoff_cmd(&dir, args);
        self.run_child_expecting(cmd, &dir, &shown, 1)
    }

    fn kickoff_cmd(&self, dir: &Path, args: &[&str]) -> (Command, String) {
        let mut cmd = Command::new(&self.exe);
        cmd.current_dir(&self.root).arg("-C").arg(dir).args(args);
        (cmd, format!("kickoff {}", shell_words(args)))
    }

    /// Write a file and commit it in `dir` (quietly; the commit line is printed).
    pub fn commit(&mut self, dir: &Path, path: &str, content: &str, message: &str) -> Result<()> {
        let full = dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io(format!("cannot create {}", parent.display()), e))?;
        }
        std::fs::write(&full, content)
            .map_err(|e| Error::io(format!("cannot write {}", full.display()), e))?;
        self.git(dir, &["add", "--", path])?;
        self.git(dir, &["commit", "--quiet", "-m", message])?;
        Ok(())
    }

    fn run_child(&mut self, cmd: Command, dir: &Path, shown: &str) -> Result<String> {
        self.run_child_expecting(cmd, dir, shown, 0)
    }

    fn run_child_expecting(
        &mut self,
        mut cmd: Command,
        dir: &Path,
        shown: &str,
        expected: i32,
    ) -> Result<String> {
        isolate(&mut cmd);
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::io(format!("cannot run {shown}"), e))?;
        let place = dir
            .strip_prefix(&self.root)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| dir.display().to_string());
        let mut text = format!("  {place}$ {shown}\n");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        // Messages first, then data: commands say what they did and then print
        // the result (`land` warns, then lists the kickoffs that lag behind).
        for line in String::from_utf8_lossy(&out.stderr)
            .lines()
            .chain(stdout.lines())
        {
            text.push_str("      ");
            text.push_str(line);
            text.push('\n');
        }
        self.say(&text)?;
        if out.status.code() != Some(expected) {
            return Err(Error::refused(format!(
                "`{shown}` exited with {} (the demo expects {expected})",
                out.status
                    .code()
                    .map_or_else(|| "a signal".into(), |c| c.to_string())
            )));
        }
        Ok(stdout)
    }
}

/// The environment of every process the demo starts: a fixed identity, no
/// signing, `main` as the default branch, no inherited repository, no colour.
fn isolate(cmd: &mut Command) {
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_AUTHOR_DATE",
        "GIT_COMMITTER_DATE",
    ] {
        cmd.env_remove(var);
    }
    let config = [
        ("init.defaultBranch", "main"),
        ("commit.gpgSign", "false"),
        ("tag.gpgSign", "false"),
        ("core.hooksPath", ".git/hooks"),
        ("advice.detachedHead", "false"),
        ("merge.log", "false"),
    ];
    cmd.env("GIT_CONFIG_COUNT", config.len().to_string());
    for (i, (k, v)) in config.iter().enumerate() {
        cmd.env(format!("GIT_CONFIG_KEY_{i}"), k)
            .env(format!("GIT_CONFIG_VALUE_{i}"), v);
    }
    cmd.env("GIT_AUTHOR_NAME", "Dana Demo")
        .env("GIT_AUTHOR_EMAIL", "dana@demo.invalid")
        .env("GIT_COMMITTER_NAME", "Dana Demo")
        .env("GIT_COMMITTER_EMAIL", "dana@demo.invalid")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_EDITOR", "true")
        .env("NO_COLOR", "1");
}

fn path_arg(p: &Path) -> Result<String> {
    p.to_str()
        .map(str::to_string)
        .ok_or_else(|| Error::usage(format!("{} is not valid UTF-8", p.display())))
}

// ---- the steps ---------------------------------------------------------------------

fn step_setup(d: &mut Demo) -> Result<()> {
    let root = d.root.clone();
    let (origin, work) = (path_arg(&d.origin)?, path_arg(&d.work)?);
    d.git(&root, &["init", "--quiet", "--bare", "-b", "main", &origin])?;
    d.git(&root, &["init", "--quiet", "-b", "main", &work])?;
    let w = d.work.clone();
    d.git(&w, &["remote", "add", "origin", &origin])?;
    d.commit(
        &w,
        "README.md",
        "# shop\n\nThe product every kickoff changes.\n",
        "Initial commit",
    )?;
    d.commit(
        &w,
        "app/settings.txt",
        "theme = light\nlocale = en\n",
        "Add app settings",
    )?;
    d.git(&w, &["push", "--quiet", "-u", "origin", "main"])?;
    Ok(())
}

fn step_init(d: &mut Demo) -> Result<()> {
    let w = d.work.clone();
    d.kickoff(&["init"])?;
    d.git(&w, &["add", ".kickoff.toml"])?;
    d.git(&w, &["commit", "--quiet", "-m", "Add kickoff settings"])?;
    describe_slot_pool(d)?;
    d.git(&w, &["push", "--quiet", "origin", "main"])?;
    Ok(())
}

fn step_hook(d: &mut Demo) -> Result<()> {
    let w = d.work.clone();
    d.kickoff(&["hook", "install"])?;
    d.git(&w, &["branch", "my-experiment"])?;
    d.say("  (the next push is meant to be refused)\n")?;
    if d.git(&w, &["push", "origin", "my-experiment"]).is_ok() {
        return Err(Error::refused(
            "the pre-push hook let the branch `my-experiment` through",
        ));
    }
    let on_origin = d.git(&w, &["ls-remote", "--heads", "origin", "my-experiment"])?;
    if !on_origin.trim().is_empty() {
        return Err(Error::refused("`my-experiment` reached origin"));
    }
    d.say("  origin did not receive my-experiment; every later push here goes through the hook\n")?;
    d.git(&w, &["branch", "--quiet", "-D", "my-experiment"])?;
    Ok(())
}

fn step_new(d: &mut Demo) -> Result<()> {
    let w = d.work.clone();
    let (first, second) = (d.days_ago(14), d.days_ago(3));
    let a = d.kickoff(&["new", "dashboard", "--date", &first])?;
    d.git(&w, &["checkout", "--quiet", "main"])?;
    let b = d.kickoff(&["new", "billing", "--date", &second])?;
    d.kickoffs = vec![a.trim().to_string(), b.trim().to_string()];
    Ok(())
}

fn step_features(d: &mut Demo) -> Result<()> {
    let w = d.work.clone();
    let (dash, bill) = (d.kickoffs[0].clone(), d.kickoffs[1].clone());
    for (kickoff, branch, file, content, message) in [
        (
            &dash,
            "feature/DASH-101-login",
            "app/login.txt",
            "login form\n",
            "DASH-101 Add the login form",
        ),
        (
            &dash,
            "feature/DASH-102-charts",
            "app/charts.txt",
            "sales chart\n",
            "DASH-102 Add the sales chart",
        ),
        (
            &bill,
            "feature/BILL-7-invoices",
            "app/invoices.txt",
            "invoice list\n",
            "BILL-7 List invoices",
        ),
    ] {
        let (ticket, slug) = branch
            .trim_start_matches("feature/")
            .rsplit_once('-')
            .expect("ticket-slug");
        d.kickoff(&["feature", ticket, slug, "--kickoff", kickoff])?;
        d.commit(&w, file, content, message)?;
        d.git(&w, &["push", "--quiet", "origin", branch])?;
    }
    Ok(())
}

fn step_merge(d: &mut Demo) -> Result<()> {
    let w = d.work.clone();
    let dash = d.kickoffs[0].clone();
    d.git(&w, &["switch", "--quiet", &dash])?;
    d.git(
        &w,
        &[
            "merge",
            "--quiet",
            "--no-ff",
            "--no-edit",
            "feature/DASH-101-login",
        ],
    )?;
    d.git(&w, &["push", "--quiet", "origin", &dash])?;
    Ok(())
}

fn step_main_moves(d: &mut Demo) -> Result<()> {
    let (root, origin, mate) = (d.root.clone(), path_arg(&d.origin)?, d.mate.clone());
    d.git(&root, &["clone", "--quiet", &origin, &path_arg(&mate)?])?;
    d.commit(
        &mate,
        "app/settings.txt",
        "theme = light\nlocale = en\ntimeout = 30\n",
        "Hotfix: raise the request timeout",
    )?;
    d.git(&mate, &["push", "--quiet", "origin", "main"])?;
    Ok(())
}

fn step_hotfix_rule(d: &mut Demo) -> Result<()> {
    let dash = d.kickoffs[0].clone();
    d.kickoff_refused(&[
        "release",
        "--platform",
        "1.0.0",
        "--kickoff",
        &dash,
        "--dry-run",
    ])?;
    Ok(())
}

fn step_sync(d: &mut Demo) -> Result<()> {
    let dash = d.kickoffs[0].clone();
    d.kickoff(&["sync", &dash])?;
    d.kickoff(&[
        "release",
        "--platform",
        "1.0.0",
        "--kickoff",
        &dash,
        "--dry-run",
    ])?;
    Ok(())
}

fn step_list(d: &mut Demo) -> Result<()> {
    d.kickoff(&["list"])?;
    Ok(())
}

fn step_status(d: &mut Demo) -> Result<()> {
    let dash = d.kickoffs[0].clone();
    d.kickoff(&["status", &dash])?;
    Ok(())
}

fn step_release(d: &mut Demo) -> Result<()> {
    let dash = d.kickoffs[0].clone();
    let today = d.days_ago(0);
    d.kickoff(&[
        "release",
        "--platform",
        "1.0.0",
        "--kickoff",
        &dash,
        "--date",
        &today,
    ])?;
    d.kickoff(&["versions"])?;
    d.kickoff(&["show", "1.0.0"])?;
    d.kickoff(&["notes", "1.0.0"])?;
    Ok(())
}

fn step_land(d: &mut Demo) -> Result<()> {
    let w = d.work.clone();
    let (dash, bill) = (d.kickoffs[0].clone(), d.kickoffs[1].clone());
    d.git(&w, &["switch", "--quiet", &bill])?;
    d.git(
        &w,
        &[
            "merge",
            "--quiet",
            "--no-ff",
            "--no-edit",
            "feature/BILL-7-invoices",
        ],
    )?;
    d.git(&w, &["push", "--quiet", "origin", &bill])?;
    d.git(&w, &["switch", "--quiet", &dash])?;
    d.kickoff(&["land", &dash])?;
    d.kickoff(&["which", "DASH-101"])?;
    Ok(())
}

fn step_conflicts(d: &mut Demo) -> Result<()> {
    let w = d.work.clone();
    let bill = d.kickoffs[1].clone();
    d.git(&w, &["switch", "--quiet", &bill])?;
    d.commit(
        &w,
        "app/login.txt",
        "login form with an invoices link\n",
        "BILL-9 Login page with an invoices link",
    )?;
    d.git(&w, &["push", "--quiet", "origin", &bill])?;
    d.kickoff(&["conflicts", "--exit-zero"])?;
    Ok(())
}

// ---- QA slots ------------------------------------------------------------------------

/// The pool the demo configures: dev1..dev4, each running three apps.
const DEMO_SLOTS: &str = r#"
[slots]
names = ["dev1", "dev2", "dev3", "dev4"]
lease = "3d"
url = "https://dev.shop.invalid/{slot}/{app}/"
deploy = ["./deploy.sh", "{env_file}", "{compose_file}"]

[[slots.apps]]
name = "frontend"
port = 3000
base_port = 3001

[[slots.apps]]
name = "spring"
port = 8080
base_port = 8081

[[slots.apps]]
name = "django"
port = 8000
base_port = 9001
"#;

/// A deploy script that only says what a real one would do.
const DEMO_DEPLOY: &str = "#!/bin/sh\n# A real deploy would run: docker compose -f compose.yml -f \"$2\" --env-file \"$1\" up -d\nset -e\n. \"$1\"\necho \"would start $KICKOFF_KICKOFF ($KICKOFF_IMAGE_TAG) as compose project $COMPOSE_PROJECT_NAME\"\necho \"with docker compose -f compose.yml -f $2 --env-file $1 up -d\"\necho \"frontend on :$FRONTEND_PORT, spring on :$SPRING_PORT, django on :$DJANGO_PORT\"\n";

/// Add the QA slot pool and a harmless deploy script to main (before the hook
/// is installed: after that, main only moves through `kickoff land`).
fn describe_slot_pool(d: &mut Demo) -> Result<()> {
    let w = d.work.clone();
    let config_path = w.join(crate::config::FILE_NAME);
    let mut config = std::fs::read_to_string(&config_path)
        .map_err(|e| Error::io(format!("cannot read {}", config_path.display()), e))?;
    config.push_str(DEMO_SLOTS);
    d.commit(
        &w,
        crate::config::FILE_NAME,
        &config,
        "Describe the QA slot pool",
    )?;
    let script = w.join("deploy.sh");
    std::fs::write(&script, DEMO_DEPLOY)
        .map_err(|e| Error::io(format!("cannot write {}", script.display()), e))?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io(format!("cannot make {} executable", script.display()), e))?;
    }
    d.git(&w, &["add", "deploy.sh"])?;
    d.git(&w, &["commit", "--quiet", "-m", "Add the deploy script"])?;
    Ok(())
}

fn step_slots(d: &mut Demo) -> Result<()> {
    let dash = d.kickoffs[0].clone();
    d.kickoff(&[
        "slot",
        "claim",
        &dash,
        "--slot",
        "dev2",
        "--reason",
        "QA of the dashboard",
    ])?;
    d.kickoff(&["slot", "list"])?;
    Ok(())
}

fn step_deploy(d: &mut Demo) -> Result<()> {
    let dash = d.kickoffs[0].clone();
    d.kickoff(&["deploy", &dash])?;
    Ok(())
}

fn step_routes(d: &mut Demo) -> Result<()> {
    d.kickoff(&["slot", "routes", "--format", "nginx"])?;
    d.say("  the same for caddy, haproxy or json; --out FILE writes it, --check reports drift\n")
}

fn step_dashboard(d: &mut Demo) -> Result<()> {
    // The teammate's clone sees the same state: it travels through the remote.
    let mate = d.mate.clone();
    d.kickoff_in(&mate, &["slot", "list"])?;
    let out = d.root.join("dashboard");
    let out_arg = path_arg(&out)?;
    d.kickoff(&["dashboard", "--out", &out_arg])?;
    d.say(&format!(
        "  open {} in a browser (no network needed), or serve it: kickoff -C {} dashboard --out {} --serve 127.0.0.1:8080\n",
        out.join("index.html").display(),
        d.work.display(),
        out.display()
    ))
}
