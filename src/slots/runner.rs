//! Running the deploy command so that kickoff always learns how it ended.
//!
//! The command runs in a process group of its own. While it runs, SIGINT,
//! SIGTERM and SIGHUP sent to kickoff (Ctrl-C reaches only kickoff's group)
//! are passed on to the command's whole group, and kickoff keeps waiting for
//! it: the outcome is then "interrupted by signal N". A second signal, or a
//! command still running [`GRACE`] after the first, gets SIGKILL. With a time
//! limit, a command that runs past it gets SIGTERM, then SIGKILL after the
//! grace time: "timed out". After an interruption or a time-out whatever is
//! left of the group is killed, so nothing runs on unseen.
//!
//! The signal handler only counts signals; the waiting loop forwards them, so
//! nothing that is not async-signal-safe happens in the handler.

use super::DeployStatus;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long a command gets to stop after SIGTERM (or a forwarded signal)
/// before SIGKILL; `KICKOFF_DEPLOY_GRACE` (seconds) overrides it.
pub const GRACE: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(20);

static RECEIVED: AtomicUsize = AtomicUsize::new(0);
static LAST_SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    LAST_SIGNAL.store(sig, Ordering::SeqCst);
    RECEIVED.fetch_add(1, Ordering::SeqCst);
}

const FORWARDED: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// While alive, SIGINT, SIGTERM and SIGHUP are counted instead of ending
/// kickoff; dropping it restores the previous handlers.
pub struct SignalGuard {
    previous: Vec<(libc::c_int, libc::sigaction)>,
}

impl SignalGuard {
    pub fn install() -> SignalGuard {
        RECEIVED.store(0, Ordering::SeqCst);
        LAST_SIGNAL.store(0, Ordering::SeqCst);
        let mut previous = Vec::new();
        for sig in FORWARDED {
            // SAFETY: a zeroed sigaction is a valid starting value; the
            // handler only touches atomics, which is async-signal-safe.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as *const () as libc::sighandler_t;
                action.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, &action, &mut old) == 0 {
                    previous.push((sig, old));
                }
            }
        }
        SignalGuard { previous }
    }

    /// The first signal received since installation, if any.
    pub fn received(&self) -> Option<i32> {
        (RECEIVED.load(Ordering::SeqCst) > 0).then(|| LAST_SIGNAL.load(Ordering::SeqCst))
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        for (sig, old) in &self.previous {
            // SAFETY: restores the action saved by `install`.
            unsafe {
                libc::sigaction(*sig, old, std::ptr::null_mut());
            }
        }
    }
}

/// How the deploy command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    pub status: DeployStatus,
    pub exit_code: Option<i32>,
    /// The signal that stopped it (forwarded by kickoff or sent by someone else).
    pub signal: Option<i32>,
    /// What went wrong, in words (`None` when it succeeded).
    pub error: Option<String>,
}

/// The usual name of a signal number.
pub fn signal_name(sig: i32) -> String {
    match sig {
        libc::SIGHUP => "SIGHUP".into(),
        libc::SIGINT => "SIGINT".into(),
        libc::SIGQUIT => "SIGQUIT".into(),
        libc::SIGKILL => "SIGKILL".into(),
        libc::SIGTERM => "SIGTERM".into(),
        libc::SIGPIPE => "SIGPIPE".into(),
        n => format!("signal {n}"),
    }
}

fn kill_group(pgid: libc::pid_t, sig: libc::c_int) {
    // SAFETY: sends a signal to the process group we created; no memory involved.
    unsafe {
        libc::kill(-pgid, sig);
    }
}

/// Whether any process of the group still exists.
fn group_alive(pgid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks for existence.
    unsafe { libc::kill(-pgid, 0) == 0 }
}

fn grace() -> Duration {
    std::env::var("KICKOFF_DEPLOY_GRACE")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(GRACE)
}

/// The deploy command: `program` with `argv[1..]`, run in the work tree with
/// `env` added; no shell, no stdin, its stdout and stderr both streamed to
/// our stderr (our stdout carries only the record).
pub fn deploy_command(
    program: &std::path::Path,
    argv: &[String],
    env: &[(String, String)],
    workdir: &std::path::Path,
) -> Command {
    use std::process::Stdio;
    let mut cmd = Command::new(program);
    cmd.args(argv.iter().skip(1))
        .current_dir(workdir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(std::io::stderr()))
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Start `cmd` in a new process group (a [`SignalGuard`] must be installed)
/// and wait for it, forwarding signals and enforcing `timeout`.
pub fn run(
    cmd: &mut Command,
    timeout: Option<Duration>,
    guard: &SignalGuard,
    on_start: impl FnOnce(i32),
) -> std::io::Result<RunOutcome> {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);
    let child = cmd.spawn()?;
    on_start(child.id() as i32);
    wait(child, timeout, guard)
}

fn wait(
    mut child: Child,
    timeout: Option<Duration>,
    guard: &SignalGuard,
) -> std::io::Result<RunOutcome> {
    let pgid = child.id() as libc::pid_t;
    let started = Instant::now();
    let grace = grace();
    let mut forwarded = 0;
    let mut interrupted: Option<i32> = None;
    let mut timed_out = false;
    let mut kill_at: Option<Instant> = None;
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break st;
        }
        let received = RECEIVED.load(Ordering::SeqCst);
        if received > forwarded {
            let sig = LAST_SIGNAL.load(Ordering::SeqCst);
            if forwarded == 0 {
                interrupted = guard.received().or(Some(sig));
                kill_group(pgid, sig);
                kill_at.get_or_insert(Instant::now() + grace);
            } else {
                kill_group(pgid, libc::SIGKILL);
            }
            forwarded = received;
        }
        if let Some(limit) = timeout {
            if !timed_out && interrupted.is_none() && started.elapsed() >= limit {
                timed_out = true;
                kill_group(pgid, libc::SIGTERM);
                kill_at = Some(Instant::now() + grace);
            }
        }
        if kill_at.is_some_and(|t| Instant::now() >= t) {
            kill_group(pgid, libc::SIGKILL);
            kill_at = None;
        }
        std::thread::sleep(POLL);
    };
    if (interrupted.is_some() || timed_out) && group_alive(pgid) {
        kill_group(pgid, libc::SIGKILL);
    }
    use std::os::unix::process::ExitStatusExt;
    let killed_by = status.signal();
    Ok(if timed_out {
        let limit = timeout.unwrap_or_default();
        RunOutcome {
            status: DeployStatus::TimedOut,
            exit_code: status.code(),
            signal: killed_by,
            error: Some(format!(
                "timed out after {}; stopped with SIGTERM",
                format_duration(limit)
            )),
        }
    } else if let Some(sig) = interrupted {
        RunOutcome {
            status: DeployStatus::Interrupted,
            exit_code: status.code(),
            signal: Some(sig),
            error: Some(format!(
                "interrupted by signal {sig} ({})",
                signal_name(sig)
            )),
        }
    } else if let Some(sig) = killed_by {
        RunOutcome {
            status: DeployStatus::Interrupted,
            exit_code: None,
            signal: Some(sig),
            error: Some(format!("killed by signal {sig} ({})", signal_name(sig))),
        }
    } else if status.success() {
        RunOutcome {
            status: DeployStatus::Succeeded,
            exit_code: status.code(),
            signal: None,
            error: None,
        }
    } else {
        RunOutcome {
            status: DeployStatus::Failed,
            exit_code: status.code(),
            signal: None,
            error: Some(match status.code() {
                Some(c) => format!("exit {c}"),
                None => "failed".into(),
            }),
        }
    })
}

/// A time limit: a positive whole number of seconds, minutes or hours
/// (`90s`, `15m`, `2h`), at most a day.
pub fn parse_timeout(input: &str) -> Result<Duration, String> {
    let s = input.trim();
    let unit = s
        .chars()
        .last()
        .filter(|c| "smh".contains(*c))
        .ok_or("it does not end with a unit s, m or h")?;
    let digits = &s[..s.len() - 1];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("it is not a whole number followed by s, m or h".into());
    }
    let n: u64 = digits.parse().map_err(|_| "the number is too large")?;
    let secs = match unit {
        's' => n,
        'm' => n.saturating_mul(60),
        _ => n.saturating_mul(3600),
    };
    if secs == 0 {
        return Err("a time limit must be longer than zero".into());
    }
    if secs > 86_400 {
        return Err("the limit is 24h".into());
    }
    Ok(Duration::from_secs(secs))
}

/// `90s`, `15m`, `2h` (the largest unit that divides it).
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s > 0 && s % 3600 == 0 {
        format!("{}h", s / 3600)
    } else if s > 0 && s % 60 == 0 {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_timeout("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_timeout("2h"), Ok(Duration::from_secs(7200)));
        for bad in ["", "0s", "-5s", "5", "1.5m", "25h", "5d", "m"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
        assert_eq!(format_duration(Duration::from_secs(120)), "2m");
        assert_eq!(format_duration(Duration::from_secs(61)), "61s");
    }

    #[test]
    fn outcomes_of_exit_codes_time_outs_and_signals() {
        let guard = SignalGuard::install();
        let ok = run(&mut Command::new("true"), None, &guard, drop).unwrap();
        assert_eq!(ok.status, DeployStatus::Succeeded);
        let failed = run(
            Command::new("sh").args(["-c", "exit 3"]),
            None,
            &guard,
            drop,
        )
        .unwrap();
        assert_eq!(
            (failed.status, failed.exit_code),
            (DeployStatus::Failed, Some(3))
        );
        let started = Instant::now();
        let slow = run(
            Command::new("sh").args(["-c", "sleep 30; exit 0"]),
            Some(Duration::from_millis(200)),
            &guard,
            drop,
        )
        .unwrap();
        assert_eq!(slow.status, DeployStatus::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(10));
        let killed = run(
            Command::new("sh").args(["-c", "kill -9 $$"]),
            None,
            &guard,
            drop,
        )
        .unwrap();
        assert_eq!(
            (killed.status, killed.signal),
            (DeployStatus::Interrupted, Some(9))
        );
    }
}
