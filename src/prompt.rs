//! Asking the person at the terminal, and failing usefully when nobody is there.
//!
//! On a terminal a missing choice is asked with dialoguer; elsewhere (CI, pipes,
//! hooks) the command fails with exit 2 and lists the choices.

use crate::error::{Error, Result};
use crate::output::Ui;

/// Pick one of `choices`. `what` names the thing in messages ("kickoff"),
/// `flag` is the option that names it on the command line (`--kickoff`).
pub fn select(ui: &Ui, what: &str, flag: &str, choices: &[String]) -> Result<String> {
    let labelled: Vec<(String, String)> = choices.iter().map(|c| (c.clone(), c.clone())).collect();
    select_labelled(ui, what, flag, &labelled)
}

/// Pick one of `choices`, each a (value, label) pair: the label is what the
/// person reads (`1.3.11  (patch)`), the value what the command gets.
pub fn select_labelled(
    ui: &Ui,
    what: &str,
    flag: &str,
    labelled: &[(String, String)],
) -> Result<String> {
    let choices: Vec<String> = labelled.iter().map(|(_, label)| label.clone()).collect();
    if choices.is_empty() {
        return Err(Error::usage_hint(
            format!("no {what} to choose from"),
            format!("name one with {flag}"),
        ));
    }
    if !ui.interactive() {
        return Err(Error::usage_hint(
            format!("which {what}? Choose one of:\n  {}", choices.join("\n  ")),
            format!("name it with {flag} (no terminal to ask on)"),
        ));
    }
    // dialoguer's theme ends a select prompt with a colon: "Choose the kickoff:".
    let picked = dialoguer::Select::new()
        .with_prompt(format!("Choose the {what}"))
        .items(&choices)
        .default(0)
        .interact_opt()
        .map_err(Error::prompt)?;
    picked
        .map(|i| labelled[i].0.clone())
        .ok_or_else(|| Error::usage_hint("nothing chosen", format!("name the {what} with {flag}")))
}

/// Ask a yes/no question; `--yes` answers yes, no terminal answers `default_off_tty`.
pub fn confirm(ui: &Ui, yes: bool, question: &str, default_off_tty: bool) -> Result<bool> {
    if yes {
        return Ok(true);
    }
    if !ui.interactive() {
        return Ok(default_off_tty);
    }
    dialoguer::Confirm::new()
        .with_prompt(question)
        .default(true)
        .interact()
        .map_err(Error::prompt)
}
