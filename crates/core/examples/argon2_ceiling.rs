//! The argon2id ceiling of password logins: how many `PasswordHash::verify` calls one thread does per
//! second with the production parameters (argon2id v19, m = 19456 KiB, t = 2, p = 1). A login verifies
//! one password, so a server with one core cannot sign in more users per second than this.
//!
//! ```sh
//! cargo run --release --locked -p valet-core --example argon2_ceiling -- 10   # seconds (default 10)
//! taskset -c 0 target/release/examples/argon2_ceiling 10                     # pinned, as in bench/flows.sh
//! ```
//!
//! Prints `argon2id_verifications_per_second=<float>` (wall clock, for scripts), then
//! `argon2id_verifications_per_cpu_second=<float>` (this thread's own CPU time from `/proc`, which other
//! processes on the same CPU do not inflate) and a line for people.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use valet_core::password::{Password, PasswordHash};

/// The server's allocator (see `crates/server/src/main.rs`): its huge pages make argon2 about 12 %
/// faster here, and a ceiling measured without them would flatter the server.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let seconds = match std::env::args().nth(1).map(|a| a.parse::<f64>()) {
        None => 10.0,
        Some(Ok(s)) if s > 0.0 && s.is_finite() => s,
        Some(_) => {
            eprintln!("usage: argon2_ceiling [seconds > 0, default 10]");
            return ExitCode::from(2);
        }
    };
    let password = Password::new("argon2 ceiling benchmark password");
    let hash = match PasswordHash::create(&password) {
        Ok(hash) => hash,
        Err(e) => {
            eprintln!("cannot hash: {e}");
            return ExitCode::FAILURE;
        }
    };
    // One untimed verification: page faults of the first 19 MiB allocation, cold caches.
    if !hash.verify(&password) {
        eprintln!("the password does not verify against its own hash");
        return ExitCode::FAILURE;
    }
    let budget = Duration::from_secs_f64(seconds);
    let cpu_before = thread_cpu_seconds();
    let start = Instant::now();
    let mut verified: u64 = 0;
    while start.elapsed() < budget {
        if !black_box(&hash).verify(black_box(&password)) {
            eprintln!("a verification failed");
            return ExitCode::FAILURE;
        }
        verified += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = thread_cpu_seconds()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let rate = verified as f64 / elapsed;
    println!("argon2id_verifications_per_second={rate:.2}");
    if let Some(cpu) = cpu.filter(|c| *c > 0.0) {
        println!(
            "argon2id_verifications_per_cpu_second={:.2}",
            verified as f64 / cpu
        );
    }
    println!(
        "{verified} verifications in {elapsed:.2} s ({} CPU s) on one thread: {rate:.2}/s, {:.2} ms each ({})",
        cpu.map_or_else(|| "?".to_owned(), |c| format!("{c:.2}")),
        1000.0 / rate,
        hash.as_str().split('$').nth(3).unwrap_or("?"),
    );
    ExitCode::SUCCESS
}

/// utime + stime of the calling thread, from `/proc/thread-self/stat` (in USER_HZ = 100 ticks/s).
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // The command name (field 2) may hold spaces; the fields after it start with field 3.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}
