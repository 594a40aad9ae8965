//! `valet-mail-sink`: runs the test SMTP server (RFC 5321) from the command line, for test
//! harnesses in other languages. It prints `listening on ADDR` once ready and writes each received
//! RFC 5322 message as `<dir>/<n>-<recipient>.eml`, with its decoded parts (RFC 2045) beside it in
//! `<dir>/<n>-<recipient>.json`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use valet_mail_sink::MailSink;

#[derive(Parser)]
#[command(about = "A test SMTP server that writes every received message into a directory")]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Directory that receives `<n>-<recipient>.eml` and `.json` files (created if missing).
    #[arg(long)]
    dir: PathBuf,
    /// Require AUTH with this user name (needs --password).
    #[arg(long, requires = "password")]
    user: Option<String>,
    #[arg(long, requires = "user")]
    password: Option<String>,
    /// Largest accepted message in bytes.
    #[arg(long, default_value_t = 10 * 1024 * 1024)]
    max_size: usize,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let mut builder = MailSink::builder()
        .listen(args.listen)
        .dir(args.dir)
        .max_size(args.max_size);
    if let (Some(user), Some(password)) = (args.user, args.password) {
        builder = builder.auth(user, password);
    }
    let sink = builder.start().await?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {}", sink.addr())?;
    stdout.flush()?;
    drop(stdout);
    tokio::signal::ctrl_c().await?;
    Ok(())
}
