//! `kickoff completions <shell>`: a shell completion script on stdout.

use crate::commands::Global;
use crate::error::Result;

/// Print a completion script for your shell
///
/// bash:  kickoff completions bash > ~/.local/share/bash-completion/completions/kickoff
/// zsh:   kickoff completions zsh > "${fpath[1]}/_kickoff"
/// fish:  kickoff completions fish > ~/.config/fish/completions/kickoff.fish
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

pub fn run(args: CompletionsArgs, g: &Global) -> Result<()> {
    g.ui.data(&script(args.shell, (g.cli)()))
}

/// The completion script for `shell`, from the command line's definition.
pub fn script(shell: Shell, mut cli: clap::Command) -> String {
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cli, "kickoff", &mut out);
    String::from_utf8(out).expect("completion scripts are UTF-8")
}
