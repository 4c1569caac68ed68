use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use socklab::Cli;

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli.start(&matches),
        Err(e) => e.exit(),
    }
}
