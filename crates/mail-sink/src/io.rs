//! Line-oriented SMTP transport: CRLF lines and numbered replies (RFC 5321 §2.3.8, §4.2).

use std::io;
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A client silent this long is dropped, so a forgotten connection cannot pin a task forever.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

pub(crate) enum Line {
    Text(String),
    /// The line was longer than allowed; it has been read and thrown away.
    TooLong,
    Eof,
}

pub(crate) struct Io<R, W> {
    reader: R,
    writer: W,
}

impl<R: AsyncBufRead + Unpin, W: AsyncWrite + Unpin> Io<R, W> {
    pub(crate) fn new(reader: R, writer: W) -> Self {
        Self { reader, writer }
    }

    pub(crate) async fn reply(&mut self, code: u16, text: &str) -> io::Result<()> {
        self.writer
            .write_all(format!("{code} {text}\r\n").as_bytes())
            .await?;
        self.writer.flush().await
    }

    /// A multiline reply: every line but the last has a hyphen after the code (RFC 5321 §4.2.1).
    pub(crate) async fn reply_lines(&mut self, code: u16, lines: &[String]) -> io::Result<()> {
        let mut out = String::new();
        for (i, line) in lines.iter().enumerate() {
            let sep = if i + 1 == lines.len() { ' ' } else { '-' };
            out.push_str(&format!("{code}{sep}{line}\r\n"));
        }
        self.writer.write_all(out.as_bytes()).await?;
        self.writer.flush().await
    }

    /// One line without its CRLF (a bare LF is tolerated), at most `limit` bytes.
    pub(crate) async fn read_line(&mut self, limit: usize) -> io::Result<Line> {
        let mut buf = Vec::new();
        if self.read_chunk(&mut buf, limit).await? == 0 {
            return Ok(Line::Eof);
        }
        if !buf.ends_with(b"\n") {
            self.discard_line().await?;
            return Ok(Line::TooLong);
        }
        let text = String::from_utf8_lossy(&buf);
        Ok(Line::Text(text.trim_end_matches(['\r', '\n']).to_owned()))
    }

    /// Appends up to `limit` bytes, stopping after the first LF; 0 means end of stream.
    pub(crate) async fn read_chunk(
        &mut self,
        buf: &mut Vec<u8>,
        limit: usize,
    ) -> io::Result<usize> {
        let limit = u64::try_from(limit).unwrap_or(u64::MAX);
        let mut bounded = (&mut self.reader).take(limit);
        let read = bounded.read_until(b'\n', buf);
        match tokio::time::timeout(IDLE_TIMEOUT, read).await {
            Ok(result) => result,
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "SMTP client idle")),
        }
    }

    async fn discard_line(&mut self) -> io::Result<()> {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let n = self.read_chunk(&mut buf, 8192).await?;
            if n == 0 || buf.ends_with(b"\n") {
                return Ok(());
            }
        }
    }
}
