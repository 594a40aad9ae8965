//! A raw SMTP client for tests: sends lines, reads whole replies (RFC 5321 §4.2).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub struct Client {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

/// A reply: its code and the text of each of its lines.
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Client {
    /// Connects and checks the 220 greeting.
    pub async fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr)
            .await
            .unwrap_or_else(|e| panic!("connect {addr}: {e}"));
        let (reader, writer) = stream.into_split();
        let mut client = Client {
            reader: BufReader::new(reader),
            writer,
        };
        assert_eq!(client.reply().await.code, 220);
        client
    }

    pub async fn send(&mut self, raw: &str) {
        self.writer
            .write_all(raw.as_bytes())
            .await
            .unwrap_or_else(|e| panic!("send: {e}"));
    }

    /// Sends one command line and returns the reply.
    pub async fn cmd(&mut self, line: &str) -> Reply {
        self.send(&format!("{line}\r\n")).await;
        self.reply().await
    }

    pub async fn code(&mut self, line: &str) -> u16 {
        self.cmd(line).await.code
    }

    pub async fn reply(&mut self) -> Reply {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let read = self
                .reader
                .read_line(&mut line)
                .await
                .unwrap_or_else(|e| panic!("read: {e}"));
            assert!(read >= 4, "connection closed or short reply: {line:?}");
            let code = line[..3]
                .parse()
                .unwrap_or_else(|e| panic!("reply code in {line:?}: {e}"));
            lines.push(line[4..].trim_end().to_owned());
            if line.as_bytes()[3] == b' ' {
                return Reply { code, lines };
            }
        }
    }

    /// EHLO, MAIL, RCPT, DATA with `body` (already dot-stuffed), returning the final reply code.
    pub async fn send_mail(&mut self, from: &str, to: &[&str], body: &str) -> u16 {
        assert_eq!(self.code("EHLO client.test").await, 250);
        assert_eq!(self.code(&format!("MAIL FROM:<{from}>")).await, 250);
        for to in to {
            assert_eq!(self.code(&format!("RCPT TO:<{to}>")).await, 250);
        }
        assert_eq!(self.code("DATA").await, 354);
        self.send(body).await;
        self.cmd(".").await.code
    }
}

/// A path for a fresh directory under the system temp dir (not created).
pub fn temp_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!(
        "valet-test-mail-sink-{name}-{}-{n}",
        std::process::id()
    ))
}

/// The names of the files in `dir`, sorted.
pub fn file_names(dir: &PathBuf) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        names.push(entry?.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}
