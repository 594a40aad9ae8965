//! The `valet-mail-sink` binary announces its port and writes received mail into its directory.
mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::{Client, TestResult};

/// Kills the sink process when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_prints_its_address_and_writes_eml_and_json_files() -> TestResult {
    let dir = common::temp_dir("bin");
    let mut sink = Running(
        Command::new(env!("CARGO_BIN_EXE_valet-mail-sink"))
            .args(["--listen", "127.0.0.1:0", "--dir"])
            .arg(&dir)
            .stdout(Stdio::piped())
            .spawn()?,
    );
    let mut line = String::new();
    BufReader::new(sink.0.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or(line.clone())?
        .parse()?;

    let mut client = Client::connect(addr).await;
    let code = client
        .send_mail(
            "a@x.test",
            &["Alice@x.test"],
            "Subject: Via binary\r\n\r\nhi\r\n",
        )
        .await;
    assert_eq!(code, 250);
    assert_eq!(
        common::file_names(&dir)?,
        ["1-Alice@x.test.eml", "1-Alice@x.test.json"]
    );
    let eml = std::fs::read_to_string(dir.join("1-Alice@x.test.eml"))?;
    assert!(eml.starts_with("Subject: Via binary\r\n"));
    drop(sink);
    std::fs::remove_dir_all(dir)?;
    Ok(())
}
