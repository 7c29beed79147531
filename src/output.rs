//! Terminal output: data to stdout, messages to stderr, colour only on a
//! terminal and never when `NO_COLOR` is set. A closed stdout becomes
//! [`Error::BrokenPipe`], which the CLI turns into a quiet exit.

use crate::error::{Error, Result};
use console::Style;
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

    /// Write data to stdout as it is (add your own newlines).
    pub fn data(&self, text: &str) -> Result<()> {
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

    /// A message for the person at the terminal (stderr).
    pub fn info(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            ewriteln!("{}", msg.as_ref());
        }
    }

    /// A success line, green on a terminal.
    pub fn done(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            ewriteln!("{}", self.paint_err(Style::new().green(), msg.as_ref()));
        }
    }

    /// A warning: never blocks, always shown.
    pub fn warn(&self, msg: impl AsRef<str>) {
        ewriteln!(
            "{} {}",
            self.paint_err(Style::new().yellow().bold(), "warning:"),
            msg.as_ref()
        );
    }

    /// One refused item of a check's report (the pre-push hook): always shown.
    pub fn refused(&self, msg: impl AsRef<str>) {
        ewriteln!(
            "{} {}",
            self.paint_err(Style::new().red().bold(), "refused:"),
            msg.as_ref()
        );
    }

    /// An error line with its cause chain and hint.
    pub fn error(&self, err: &Error) {
        ewriteln!(
            "{} {err}",
            self.paint_err(Style::new().red().bold(), "error:")
        );
        let mut source = std::error::Error::source(err);
        // Transparent wrappers repeat their inner message; skip identical lines.
        let mut last = err.to_string();
        while let Some(cause) = source {
            let text = cause.to_string();
            if text != last {
                // A cause of several lines (what a remote printed) keeps its
                // lines, indented under the first.
                ewriteln!(
                    "{} {}",
                    self.paint_err(Style::new().red(), "caused by:"),
                    text.lines()
                        .map(str::trim_end)
                        .collect::<Vec<_>>()
                        .join("\n  ")
                );
            }
            last = text;
            source = cause.source();
        }
        if let Some(hint) = err.hint() {
            ewriteln!(
                "{} {hint}",
                self.paint_err(Style::new().cyan().bold(), "hint:")
            );
        }
    }

    /// Paint text for stdout (no-op without colour).
    pub fn paint(&self, style: Style, text: &str) -> String {
        if self.color_out {
            style.force_styling(true).apply_to(text).to_string()
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
