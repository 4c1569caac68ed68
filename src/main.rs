use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use socklab::Cli;

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    match cli.command {
        Some(cmd) => socklab::run_cli(cmd, &matches),
        None => match socklab::run_gui(cli.lang, Vec::new()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("socklab: cannot open the window: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
