//! Text from people kickoff does not trust, made safe to print.
//!
//! Names, reasons, versions and messages come from git config, commits, tags
//! and the shared state, which anyone with push access writes. Printed raw, an
//! escape sequence in a teammate's `user.name` repaints or clears the terminal,
//! and a line break in a slot name forges a line of a warning. So:
//!
//! - [`escape`] makes one value printable: every control character (C0, DEL,
//!   C1, and the Unicode bidirectional overrides) becomes a visible escape such
//!   as `\n` or `\x1b`, and a backslash before one stays unambiguous.
//! - [`message`] does the same for a whole message, keeping its own line
//!   breaks and tabs (the structure kickoff wrote); values inside it should
//!   have gone through [`escape`] already.
//! - [`redact`] hides credentials in URLs the way git does when it prints a
//!   remote: `https://user:***@host/...`; a user name alone in an `http(s)`
//!   URL (often a token) becomes `***`.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as it is.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

/// One value (a name, a reason, a version), with every control character made
/// visible. Unchanged (and not copied) when there is none.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_keeping(s, &[])
}

/// A whole message: like [`escape`], but its line breaks and tabs stay.
pub fn message(s: &str) -> Cow<'_, str> {
    escape_keeping(s, &['\n', '\t'])
}

fn escape_keeping<'a>(s: &'a str, keep: &[char]) -> Cow<'a, str> {
    if !s.chars().any(|c| is_unsafe(c) && !keep.contains(&c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) && !keep.contains(&c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A value for display: `Esc(name)` formats as `escape(name)`.
pub struct Esc<'a>(pub &'a str);

impl std::fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&escape(self.0))
    }
}

/// Every `scheme://userinfo@` in `s` with the secret hidden: a password
/// becomes `***` (`user:***@`); a user name alone is kept, except in `http`
/// and `https` URLs, where it is often a token and becomes `***`.
pub fn redact(s: &str) -> Cow<'_, str> {
    if !s.contains("://") || !s.contains('@') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let mut changed = false;
    while let Some(i) = rest.find("://") {
        let scheme_start = rest[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)))
            .map_or(0, |p| p + 1);
        let scheme = &rest[scheme_start..i];
        let after = &rest[i + 3..];
        // The authority ends at the first `/`, `?`, `#`, or anything that
        // cannot be in a URL; userinfo is what comes before its last `@`.
        let end = after
            .find(|c: char| "/?#".contains(c) || c.is_whitespace() || "\"'<>`".contains(c))
            .unwrap_or(after.len());
        let authority = &after[..end];
        out.push_str(&rest[..i + 3]);
        match authority.rfind('@') {
            Some(at) if !scheme.is_empty() => {
                let userinfo = &authority[..at];
                let hidden = match userinfo.split_once(':') {
                    Some((user, _)) => format!("{user}:***"),
                    None if scheme.eq_ignore_ascii_case("http")
                        || scheme.eq_ignore_ascii_case("https") =>
                    {
                        "***".to_string()
                    }
                    None => userinfo.to_string(),
                };
                changed |= hidden != userinfo;
                out.push_str(&hidden);
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(s)
    }
}

/// A message for the terminal: credentials redacted, control characters
/// other than its own line breaks and tabs escaped.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    match redact(s) {
        Cow::Borrowed(b) => message(b),
        Cow::Owned(o) => Cow::Owned(message(&o).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_show_their_control_characters() {
        assert_eq!(escape("Ada"), "Ada");
        assert!(matches!(escape("Ada"), Cow::Borrowed(_)));
        assert_eq!(escape("\x1b]0;pwned\x07Ada"), "\\x1b]0;pwned\\x07Ada");
        assert_eq!(escape("dev1\nwarning: forged"), "dev1\\nwarning: forged");
        assert_eq!(escape("a\u{9b}2J\u{202e}b"), "a\\x9b2J\\u{202e}b");
        assert_eq!(escape("tab\there\r"), "tab\\there\\r");
        assert_eq!(format!("{}", Esc("x\ny")), "x\\ny");
    }

    #[test]
    fn messages_keep_their_lines() {
        assert_eq!(message("one\n  two\tthree"), "one\n  two\tthree");
        assert_eq!(message("one\x1b[2J\n"), "one\\x1b[2J\n");
    }

    #[test]
    fn credentials_are_redacted() {
        for (input, want) in [
            (
                "differs from http://user:SECRET@127.0.0.1:8080/repo.git/kickoff-x",
                "differs from http://user:***@127.0.0.1:8080/repo.git/kickoff-x",
            ),
            (
                "fetch https://ghp_token@github.com/o/r.git failed",
                "fetch https://***@github.com/o/r.git failed",
            ),
            ("ssh://git@host/r.git", "ssh://git@host/r.git"),
            ("ssh://git:pw@host/r.git", "ssh://git:***@host/r.git"),
            ("git@github.com:o/r.git", "git@github.com:o/r.git"),
            (
                "a http://u:p@h/x and https://v:q@k?y#z",
                "a http://u:***@h/x and https://v:***@k?y#z",
            ),
            (
                "mail me at a@b.c, see http://h/x",
                "mail me at a@b.c, see http://h/x",
            ),
            ("http://u:p:w@h", "http://u:***@h"),
            ("http://u:p@w@h/", "http://u:***@h/"),
        ] {
            assert_eq!(redact(input), want, "{input}");
        }
    }

    #[test]
    fn terminal_text_is_both() {
        assert_eq!(
            for_terminal("x http://u:p@h/\x1b[31m\nnext"),
            "x http://u:***@h/\\x1b[31m\nnext"
        );
    }
}
