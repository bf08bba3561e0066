//! A small HTTP/1.1 client over real sockets, and the load driver built on it.
//!
//! Just enough HTTP for this service: keep-alive requests, responses with a
//! `Content-Length` or a chunked body. Everything it reads is bounded (header
//! lines, header count, body size) and every request has a time limit.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::config::LoadConfig;

/// The longest header line read.
const MAX_LINE_BYTES: usize = 8 * 1024;
/// The most header lines read.
const MAX_HEADERS: usize = 64;
/// The largest body read.
const MAX_BODY_BYTES: usize = 16 << 20;
/// How long one request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A response: its status code and body.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status code, e.g. 200.
    pub status: u16,
    /// The whole body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One keep-alive connection to the server.
pub struct Connection {
    stream: BufReader<TcpStream>,
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

impl Connection {
    /// Connects to `addr`.
    pub async fn open(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::new(stream),
        })
    }

    /// Sends `GET path` and reads the response.
    pub async fn get(&mut self, path: &str) -> io::Result<HttpResponse> {
        let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
        self.send_raw(request.as_bytes()).await
    }

    /// Sends `bytes` as they are (a request, well-formed or not) and reads
    /// one response, within [`REQUEST_TIMEOUT`].
    pub async fn send_raw(&mut self, bytes: &[u8]) -> io::Result<HttpResponse> {
        tokio::time::timeout(REQUEST_TIMEOUT, async {
            self.stream.get_mut().write_all(bytes).await?;
            self.read_response().await
        })
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no response in time"))?
    }

    async fn read_line(&mut self) -> io::Result<String> {
        let mut line = Vec::new();
        let read = (&mut self.stream)
            .take(MAX_LINE_BYTES as u64)
            .read_until(b'\n', &mut line)
            .await?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        if !line.ends_with(b"\n") {
            return Err(invalid("header line too long"));
        }
        String::from_utf8(line)
            .map(|line| line.trim_end().to_owned())
            .map_err(|_| invalid("header line is not UTF-8"))
    }

    async fn read_response(&mut self) -> io::Result<HttpResponse> {
        let status_line = self.read_line().await?;
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| invalid(format!("bad status line `{status_line}`")))?;
        let mut content_length = None;
        let mut chunked = false;
        for _ in 0..=MAX_HEADERS {
            let line = self.read_line().await?;
            if line.is_empty() {
                let body = match (chunked, content_length) {
                    (true, _) => self.read_chunked().await?,
                    (false, Some(length)) => self.read_exact(length).await?,
                    (false, None) => Vec::new(),
                };
                return Ok(HttpResponse { status, body });
            }
            let (name, value) = line.split_once(':').ok_or_else(|| invalid("bad header"))?;
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                content_length = Some(value.parse().map_err(|_| invalid("bad content-length"))?);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            }
        }
        Err(invalid("too many headers"))
    }

    async fn read_exact(&mut self, length: usize) -> io::Result<Vec<u8>> {
        if length > MAX_BODY_BYTES {
            return Err(invalid(format!(
                "body of {length} bytes is over the client's limit"
            )));
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await?;
        Ok(body)
    }

    async fn read_chunked(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let size_line = self.read_line().await?;
            let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| invalid("bad chunk size"))?;
            if body.len() + size > MAX_BODY_BYTES {
                return Err(invalid("chunked body over the client's limit"));
            }
            let chunk = self.read_exact(size).await?;
            body.extend_from_slice(&chunk);
            let _crlf = self.read_line().await?;
            if size == 0 {
                return Ok(body);
            }
        }
    }
}

/// Sends `GET path` on a fresh connection.
pub async fn get(addr: SocketAddr, path: &str) -> io::Result<HttpResponse> {
    Connection::open(addr).await?.get(path).await
}

/// Reads the server's `/debug/pools` as JSON.
pub async fn debug_pools(addr: SocketAddr) -> io::Result<Value> {
    let response = get(addr, "/debug/pools").await?;
    if response.status != 200 {
        return Err(invalid(format!(
            "/debug/pools answered {}",
            response.status
        )));
    }
    serde_json::from_slice(&response.body).map_err(|e| invalid(e.to_string()))
}

/// What a load run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadReport {
    /// Requests answered with 200.
    pub ok: usize,
    /// Requests answered with another status.
    pub failed: usize,
    /// How long the run took.
    pub elapsed: Duration,
}

/// Sends `config.requests` requests for `/item/key-{i % keys}` over
/// `config.connections` keep-alive connections, and stops at the first
/// connection error.
pub async fn run_load(config: &LoadConfig) -> io::Result<LoadReport> {
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(config.connections);
    for first in 0..config.connections {
        let config = config.clone();
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(config.addr).await?;
            let (mut ok, mut failed) = (0, 0);
            for i in (first..config.requests).step_by(config.connections) {
                let response = connection
                    .get(&format!("/item/key-{}", i % config.keys))
                    .await?;
                if response.status == 200 {
                    ok += 1;
                } else {
                    failed += 1;
                }
            }
            io::Result::Ok((ok, failed))
        }));
    }
    let (mut ok, mut failed) = (0, 0);
    for task in tasks {
        let (task_ok, task_failed) = task.await.map_err(io::Error::other)??;
        ok += task_ok;
        failed += task_failed;
    }
    Ok(LoadReport {
        ok,
        failed,
        elapsed: started.elapsed(),
    })
}
