//! Terminal output: data to stdout, messages to stderr, colour only on a
//! terminal and never when `NO_COLOR` is set. A closed stdout becomes
//! [`Error::BrokenPipe`], which the CLI turns into a quiet exit.

use crate::error::{Error, Result};
use crate::sanitize;
use console::Style;
use std::borrow::Cow;
use std::io::{IsTerminal, Write};

/// `eprintln!` that never panics: a message to a closed stderr (`kickoff ... 2>&1
/// | head`) is dropped, so a broken pipe on either stream exits quietly.
macro_rules! ewriteln {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

#[derive(Debug, Clone)]
pub struct Ui {
    color_out: bool,
    color_err: bool,
    quiet: bool,
    /// Stands for ESC in text painted for stdout until [`Ui::data`] writes it:
    /// every other control character in data is escaped (see `sanitize`), and
    /// nobody can guess this marker to smuggle one through.
    esc_marker: String,
}

fn esc_marker() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("\u{e000}{:016x}\u{e001}", h.finish())
}

fn colour_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

impl Ui {
    pub fn new(quiet: bool) -> Ui {
        let allowed = colour_allowed();
        Ui {
            color_out: allowed && std::io::stdout().is_terminal(),
            color_err: allowed && std::io::stderr().is_terminal(),
            quiet,
            esc_marker: esc_marker(),
        }
    }

    /// Whether stdin and stderr are a terminal a person can answer prompts on.
    pub fn interactive(&self) -> bool {
        std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
    }

    /// Whether stderr is a terminal (progress bars go there).
    pub fn stderr_is_terminal(&self) -> bool {
        std::io::stderr().is_terminal()
    }

    pub fn color_stdout(&self) -> bool {
        self.color_out
    }

    /// Write data to stdout (add your own newlines). Credentials in URLs are
    /// redacted and control characters other than line breaks and tabs are
    /// escaped; colour painted with [`Ui::paint`] stays.
    pub fn data(&self, text: &str) -> Result<()> {
        let text = sanitize::for_terminal(text);
        let text = if text.contains(&self.esc_marker) {
            Cow::Owned(text.replace(&self.esc_marker, "\x1b"))
        } else {
            text
        };
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|_| out.flush())
            .map_err(|e| Error::io("cannot write to stdout", e))
    }

    /// Pretty JSON to stdout, followed by a newline.
    pub fn json<T: serde::Serialize>(&self, value: &T) -> Result<()> {
        let mut text = serde_json::to_string_pretty(value).expect("serializable");
        text.push('\n');
        self.data(&text)
    }

    /// A message for the person at the terminal (stderr). Every message is
    /// redacted and escaped like [`Ui::data`] before it is painted.
    pub fn info(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            ewriteln!("{}", sanitize::for_terminal(msg.as_ref()));
        }
    }

    /// A success line, green on a terminal.
    pub fn done(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            let msg = sanitize::for_terminal(msg.as_ref());
            ewriteln!("{}", self.paint_err(Style::new().green(), &msg));
        }
    }

    /// A warning: never blocks, always shown.
    pub fn warn(&self, msg: impl AsRef<str>) {
        ewriteln!(
            "{} {}",
            self.paint_err(Style::new().yellow().bold(), "warning:"),
            sanitize::for_terminal(msg.as_ref())
        );
    }

    /// A warning whose cause is an error: the warning line, then each
    /// `caused by:` line as the error report prints them.
    pub fn warn_because(&self, msg: impl AsRef<str>, err: &dyn std::error::Error) {
        self.warn(msg);
        self.causes("", Some(err));
    }

    /// The `caused by:` lines of an error's chain below a line reading `top`.
    fn causes(&self, top: &str, mut source: Option<&dyn std::error::Error>) {
        let clean = |s: &str| sanitize::for_terminal(s).into_owned();
        // Transparent wrappers repeat their inner message; skip identical lines.
        let mut last = top.to_string();
        while let Some(cause) = source {
            let text = cause.to_string();
            if text != last {
                // A cause of several lines (what a remote printed) keeps its
                // lines, indented under the first.
                ewriteln!(
                    "{} {}",
                    self.paint_err(Style::new().red(), "caused by:"),
                    clean(&text)
                        .lines()
                        .map(str::trim_end)
                        .collect::<Vec<_>>()
                        .join("\n  ")
                );
            }
            last = text;
            source = cause.source();
        }
    }

    /// One refused item of a check's report (the pre-push hook): always shown.
    pub fn refused(&self, msg: impl AsRef<str>) {
        ewriteln!(
            "{} {}",
            self.paint_err(Style::new().red().bold(), "refused:"),
            sanitize::for_terminal(msg.as_ref())
        );
    }

    /// An error line with its cause chain and hint.
    pub fn error(&self, err: &Error) {
        let clean = |s: &str| sanitize::for_terminal(s).into_owned();
        ewriteln!(
            "{} {}",
            self.paint_err(Style::new().red().bold(), "error:"),
            clean(&err.to_string())
        );
        self.causes(&err.to_string(), std::error::Error::source(err));
        if let Some(hint) = err.hint() {
            ewriteln!(
                "{} {}",
                self.paint_err(Style::new().cyan().bold(), "hint:"),
                clean(&hint)
            );
        }
    }

    /// Paint text for stdout (no-op without colour).
    pub fn paint(&self, style: Style, text: &str) -> String {
        if self.color_out {
            style
                .force_styling(true)
                .apply_to(text)
                .to_string()
                .replace('\x1b', &self.esc_marker)
        } else {
            text.to_string()
        }
    }

    fn paint_err(&self, style: Style, text: &str) -> String {
        if self.color_err {
            style.force_styling(true).apply_to(text).to_string()
        } else {
            text.to_string()
        }
    }
}

/// Render rows as an aligned text table with a header line.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    // A cell is one value: a line break in a name from the shared state or git
    // config must not start a row of its own.
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| sanitize::escape(c).into_owned()).collect())
        .collect();
    let rows = &rows[..];
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

/// Arguments as a person would type them in a shell (quoted where needed),
/// for display only: commands are always run from an argument list.
pub fn shell_words<S: AsRef<str>>(args: &[S]) -> String {
    args.iter()
        .map(|a| {
            let a = a.as_ref();
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:@+,".contains(c))
            {
                a.to_string()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::shell_words;

    #[test]
    fn shell_words_quote_only_what_needs_it() {
        assert_eq!(
            shell_words(&["./deploy.sh", "dev2.env"]),
            "./deploy.sh dev2.env"
        );
        assert_eq!(
            shell_words(&["echo", "it's here", ""]),
            r"echo 'it'\''s here' ''"
        );
        assert_eq!(shell_words(&["a;rm -rf /"]), "'a;rm -rf /'");
    }
}
