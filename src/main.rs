use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = opsdeck::cli::Cli::parse();
    let no_color = opsdeck::theme::no_color_from_env();
    opsdeck::cli::main_with(
        cli,
        opsdeck::paths::Paths::platform(),
        std::env::var_os("OPSDECK_CONFIG"),
        no_color,
    )
}
