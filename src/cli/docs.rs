//! Shell completion scripts and the manual page, generated from the argument definitions
//! themselves so they cannot fall behind the command line.

use clap::CommandFactory;

use super::Cli;
use crate::error::{Error, Result};

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "envparity", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The manual page, roff: the main page, or with `subcommand` that command's own page
/// (`envparity-check(1)`) with all its options.
pub fn man_page(subcommand: Option<&str>) -> Result<Vec<u8>> {
    let command = Cli::command();
    let command = match subcommand {
        None => command,
        Some(name) => {
            let Some(sub) = command.find_subcommand(name) else {
                return Err(Error::msg(format!(
                    "no subcommand `{name}`; `envparity --help` lists them"
                )));
            };
            let full = format!("envparity-{}", sub.get_name());
            let sub = sub
                .clone()
                .bin_name(format!("envparity {}", sub.get_name()));
            return render(clap_mangen::Man::new(sub).title(full));
        }
    };
    render(clap_mangen::Man::new(command))
}

fn render(man: clap_mangen::Man) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    man.render(&mut out)
        .map_err(|e| Error::msg(format!("cannot render the manual page: {e}")))?;
    Ok(out)
}
