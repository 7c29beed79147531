//! Who is acting and what time it is: what every slot operation records.
//! (The store of a session and the board's reads, which take the settings,
//! are `commands::slot_service`.)

use super::Person;
use crate::error::{Error, Result};
use crate::git::Repo;
use crate::sanitize::Esc;

pub use super::clock::{NOW_ENV, now};

/// Who is acting: git's committer identity.
///
/// The identity goes into the shared state, whose readers skip a lease with
/// control characters in a name: a claim recorded under such a name would look
/// free to everyone else. So it is refused here, before anything is written.
pub fn person(repo: &Repo) -> Result<Person> {
    let sig = repo.signature()?;
    let p = Person {
        name: sig.name().unwrap_or("unknown").to_string(),
        email: sig.email().unwrap_or("unknown").to_string(),
    };
    if format!("{}{}", p.name, p.email)
        .chars()
        .any(char::is_control)
    {
        return Err(Error::usage_hint(
            format!(
                "your git identity \"{} <{}>\" holds control characters",
                Esc(&p.name),
                Esc(&p.email)
            ),
            "set a plain one: git config user.name \"Your Name\" (and user.email)",
        ));
    }
    Ok(p)
}
