//! Starts the real `leaky-service` binary on a loopback port and stops it.
//! Each test file uses part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A server process on `127.0.0.1:<some free port>`, killed when dropped.
pub struct Server {
    child: Child,
    stdout: BufReader<ChildStdout>,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Server {
    /// Starts `leaky-service --addr 127.0.0.1:0` with `args`, and reads the
    /// port from its first line of output.
    pub fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_leaky-service"))
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the service binary starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut first_line = String::new();
        stdout
            .read_line(&mut first_line)
            .expect("the service prints where it listens");
        let addr = first_line
            .split_whitespace()
            .find_map(|word| word.strip_prefix("http://"))
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("no address in `{first_line}`"));
        Server {
            child,
            stdout,
            addr,
        }
    }

    /// Sends SIGINT (what Ctrl-C sends) and waits up to `limit` for the
    /// process to exit; returns its status and the rest of its output.
    pub fn interrupt(mut self, limit: Duration) -> (ExitStatus, String) {
        self.send_interrupt();
        self.wait(limit)
    }

    /// Sends SIGINT (what Ctrl-C sends), and returns at once.
    pub fn send_interrupt(&mut self) {
        let sent = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
    }

    /// Reads the service's output up to a line containing `text`, and
    /// returns that line.
    pub fn read_line_containing(&mut self, text: &str) -> String {
        loop {
            let mut line = String::new();
            let read = self.stdout.read_line(&mut line).expect("read output");
            assert!(read > 0, "the output ended before a line with `{text}`");
            if line.contains(text) {
                return line;
            }
        }
    }

    /// Waits up to `limit` for the process to exit; returns its status and
    /// the rest of its output.
    pub fn wait(mut self, limit: Duration) -> (ExitStatus, String) {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "the service did not stop within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).expect("read output");
        (status, rest)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
