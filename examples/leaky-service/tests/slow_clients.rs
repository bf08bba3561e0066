//! Slow and stalled clients cannot hold the service: a request whose headers
//! do not arrive within `--header-read-timeout-secs` loses its connection,
//! and Ctrl-C exits within `--shutdown-grace-secs` whatever the clients do,
//! while a request in flight that completes within the grace period is
//! still answered. Over loopback sockets, with short configured limits.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::Server;

/// Reads until the server closes the connection (or `limit` passes);
/// returns what was read and when the connection closed.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, Option<Instant>) {
    stream
        .set_read_timeout(Some(limit))
        .expect("set a read timeout");
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return (received, Some(Instant::now())),
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                return (received, Some(Instant::now()))
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return (received, None)
            }
            Err(e) => panic!("reading from the service: {e}"),
        }
    }
}

fn connect(server: &Server, partial_request: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    stream.write_all(partial_request).expect("send");
    stream
}

fn still_serving(server: &Server) {
    let mut stream = connect(
        server,
        b"GET /item/alive HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    let (response, closed) = read_until_closed(&mut stream, Duration::from_secs(10));
    assert!(closed.is_some(), "no complete response");
    assert!(
        response.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&response)
    );
}

#[test]
fn a_half_sent_request_is_disconnected_after_the_header_read_timeout() {
    let server = Server::start(&["--mode", "pooled", "--header-read-timeout-secs", "1"]);
    let started = Instant::now();
    let mut stalled = connect(&server, b"GET /item/1 HTTP/1.1\r\nHost: x\r\n");
    let mut idle = connect(&server, b"");
    let (_, closed) = read_until_closed(&mut stalled, Duration::from_secs(10));
    let closed = closed.expect("the half-sent request's connection stayed open for 10 s");
    let after = closed - started;
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_secs(5),
        "closed after {after:?}, with a 1 s header read timeout"
    );
    let (_, idle_closed) = read_until_closed(&mut idle, Duration::from_secs(10));
    assert!(
        idle_closed.is_some(),
        "a silent connection stayed open for 10 s"
    );
    still_serving(&server);
}

#[test]
fn ctrl_c_with_stalled_clients_exits_within_the_grace_period() {
    // A header timeout far longer than the test: only the grace period can end it.
    let mut server = Server::start(&[
        "--mode",
        "pooled",
        "--header-read-timeout-secs",
        "600",
        "--shutdown-grace-secs",
        "1",
    ]);
    let mut half_headers = connect(&server, b"GET /item/1 HTTP/1.1\r\nHost: x\r\n");
    // Headers complete, body promised and never sent: a request in flight.
    let mut half_body = connect(
        &server,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part",
    );
    still_serving(&server);
    let interrupted = Instant::now();
    server.send_interrupt();
    let (status, output) = server.wait(Duration::from_secs(5));
    let took = interrupted.elapsed();
    assert!(status.success(), "{status}: {output}");
    assert!(
        output.contains("connection(s) still open after the 1.0 s grace period"),
        "{output}"
    );
    assert!(took >= Duration::from_millis(900), "exited after {took:?}");
    for stream in [&mut half_headers, &mut half_body] {
        let (_, closed) = read_until_closed(stream, Duration::from_secs(5));
        assert!(closed.is_some(), "a connection outlived the service");
    }
}

#[test]
fn ctrl_c_lets_a_request_in_flight_finish_within_the_grace_period() {
    let mut server = Server::start(&["--mode", "leaky", "--shutdown-grace-secs", "30"]);
    let mut request = connect(
        &server,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello",
    );
    still_serving(&server);
    server.send_interrupt();
    server.read_line_containing("shutting down");
    // The rest of the body, well after the service began shutting down: a
    // service that closed its connections at once would not see it.
    std::thread::sleep(Duration::from_millis(500));
    request.write_all(b"world").expect("send the rest");
    let (response, _) = read_until_closed(&mut request, Duration::from_secs(10));
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("helloworld"), "{response}");
    let (status, output) = server.wait(Duration::from_secs(10));
    assert!(status.success(), "{status}: {output}");
    assert!(!output.contains("closed"), "{output}");
}
