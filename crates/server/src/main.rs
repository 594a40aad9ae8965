//! The `valet` binary: parse the command line, load the configuration once, run the command.

use std::process::ExitCode;

use clap::Parser;
use valet_server::cli::Cli;
use valet_server::config::{Config, SecretEnv};
use valet_server::{commands, logging};

/// mimalloc rather than glibc's malloc: it backs large blocks with transparent huge pages, and each
/// hashing thread's 19 MiB of argon2 memory is one (`valet_core::password`); with 4 KiB pages a
/// verification's random reads through it miss the TLB, and logins ran 7–10 % slower (bench/).
/// The `argon2_ceiling` example uses the same allocator, so the ceiling the benchmark compares
/// logins with is this one.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let secrets = SecretEnv {
        master_key: std::env::var("VALET_MASTER_KEY")
            .ok()
            .filter(|v| !v.is_empty()),
        admin_password: std::env::var("VALET_ADMIN_PASSWORD")
            .ok()
            .filter(|v| !v.is_empty()),
    };
    let config = match Config::load(&cli.global, secrets) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("valet: {e}");
            return ExitCode::from(2);
        }
    };
    logging::init(config.log_format, &config.log_filter);
    match commands::run(cli.command, config, cli.global.json, !cli.global.no_migrate).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("valet: {e}");
            ExitCode::FAILURE
        }
    }
}
