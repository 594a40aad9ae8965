//! The DATA body: read up to the lone `.` line, undo dot-stuffing (RFC 5321 §4.5.2), enforce the
//! size limit (§4.5.3.1.10) without dropping the connection.

use std::io;

use tokio::io::{AsyncBufRead, AsyncWrite};

use crate::io::Io;

const CHUNK: usize = 8192;

pub(crate) enum Body {
    Complete(Vec<u8>),
    /// The client sent more than the limit; it was read to the end and thrown away.
    TooLarge,
}

pub(crate) async fn read_body<R, W>(io: &mut Io<R, W>, max_size: usize) -> io::Result<Body>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut body = Vec::new();
    let mut too_large = false;
    let mut at_line_start = true;
    let mut chunk = Vec::with_capacity(CHUNK);
    loop {
        chunk.clear();
        if io.read_chunk(&mut chunk, CHUNK).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed in DATA",
            ));
        }
        let line_ends = chunk.ends_with(b"\n");
        if at_line_start && line_ends && (chunk == b".\r\n" || chunk == b".\n") {
            break;
        }
        let content = match chunk.strip_prefix(b".") {
            Some(unstuffed) if at_line_start => unstuffed,
            _ => &chunk[..],
        };
        if body.len() + content.len() > max_size {
            too_large = true;
            body = Vec::new();
        } else if !too_large {
            body.extend_from_slice(content);
        }
        at_line_start = line_ends;
    }
    Ok(if too_large {
        Body::TooLarge
    } else {
        Body::Complete(body)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::BufReader;

    async fn read(input: &'static [u8], max: usize) -> io::Result<Body> {
        let mut io = Io::new(BufReader::new(input), tokio::io::sink());
        read_body(&mut io, max).await
    }

    #[tokio::test]
    async fn a_leading_dot_is_removed_and_the_lone_dot_ends_the_body() {
        let body = read(b"Subject: x\r\n\r\n..hidden\r\n.\r\nNOOP\r\n", 1000).await;
        assert!(matches!(body, Ok(Body::Complete(b)) if b == b"Subject: x\r\n\r\n.hidden\r\n"));
    }

    #[tokio::test]
    async fn a_dot_inside_a_line_is_kept() {
        let body = read(b"a.b\r\n.\r\n", 1000).await;
        assert!(matches!(body, Ok(Body::Complete(b)) if b == b"a.b\r\n"));
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_read_to_the_end_and_refused() {
        let body = read(b"0123456789\r\n0123456789\r\n.\r\n", 15).await;
        assert!(matches!(body, Ok(Body::TooLarge)));
    }

    #[tokio::test]
    async fn a_connection_closed_inside_data_is_an_error() {
        assert!(read(b"unterminated\r\n", 1000).await.is_err());
    }
}
