//! The allocation report, the README's first command: realistic hot paths
//! run before (the usual code) and after (with poolkit), each in processes
//! of its own, through the public [`poolkit_report`] API.
//!
//! ```text
//! cargo run --release -p poolkit-report --example alloc_report            # full run
//! cargo run --release -p poolkit-report --example alloc_report -- --quick # small, for CI
//! cargo run --release -p poolkit-report --example alloc_report -- --help  # flags
//! ```
//!
//! Writes `report.json`, one dhat profile per (workload, variant) and one SVG
//! chart per workload to `target/poolkit-report/` and prints the table.
//!
//! The workloads: response bodies (`Vec<u8>` per request -> `Pool`), parsed
//! lines (`Vec<String>` per line -> a pooled value keeping its strings), the
//! leaking response cache (`HashMap` -> `TtlCache`, `cache_workload.rs`), and
//! in `buf_workloads.rs` a 1 MiB buffer per request (-> `poolkit::buf::get`),
//! messages handed from one thread to another (-> a pooled buffer frozen into
//! `Bytes`, poolkit's `bytes` feature) and small formatted keys
//! (`format!` -> `StackBuf`).

mod buf_workloads;
mod cache_workload;

use std::fmt::Write as _;
use std::hint::black_box;
use std::process::ExitCode;

use poolkit_report::{Alloc, Probe, Report};

#[global_allocator]
static ALLOC: Alloc = Alloc;

/// One hot path, written twice: the way it is usually written and with
/// poolkit. Each closure runs the whole stream of requests once and ticks
/// the probe once per request.
pub struct Workload {
    /// Row label.
    pub name: &'static str,
    /// What changed, in one line.
    pub change: &'static str,
    /// The usual version, without poolkit.
    pub without: Box<dyn FnMut(&mut Probe)>,
    /// The same work with poolkit.
    pub with: Box<dyn FnMut(&mut Probe)>,
}

/// Response bodies: every request renders a small JSON body into a byte
/// buffer. The usual code makes a fresh `Vec` that grows (and reallocates) as
/// it is written; with a pool, a warm buffer is reused.
fn response_bodies(quick: bool) -> Workload {
    let requests: u64 = if quick { 2_000 } else { 50_000 };
    fn render(body: &mut Vec<u8>, request: u64) {
        let mut line = [0u8; 64];
        body.extend_from_slice(b"{\"request\":");
        body.extend_from_slice(format_u64(request, &mut line));
        body.extend_from_slice(b",\"items\":[");
        for item in 0..40u64 {
            if item > 0 {
                body.push(b',');
            }
            body.extend_from_slice(b"{\"id\":");
            body.extend_from_slice(format_u64(request * 40 + item, &mut line));
            body.extend_from_slice(b",\"name\":\"item\"}");
        }
        body.extend_from_slice(b"]}");
    }
    fn send(body: &[u8]) {
        black_box(body.iter().fold(0u64, |h, &b| h.rotate_left(5) ^ b as u64));
    }
    Workload {
        name: "response bodies",
        change: "a fresh, growing Vec<u8> per request -> a pooled buffer (Pool<Vec<u8>>)",
        without: Box::new(move |probe: &mut Probe| {
            for request in 0..requests {
                let mut body = Vec::new();
                render(&mut body, request);
                send(&body);
                probe.tick();
            }
        }),
        with: Box::new(move |probe: &mut Probe| {
            let pool = poolkit::Pool::new(|| Vec::<u8>::with_capacity(4096));
            for request in 0..requests {
                let mut body = pool.get();
                render(&mut body, request);
                send(&body);
                probe.tick();
            }
        }),
    }
}

/// Formats without allocating, so the workload's allocations are the
/// buffers', not the formatting's.
fn format_u64(mut n: u64, buf: &mut [u8; 64]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// Parsed lines: a log processor splits each input line into an owned
/// `String` per field. With a pool, a [`Fields`] value is reused, strings and
/// all: its reset forgets the fields but keeps every string's buffer.
fn parsed_lines(quick: bool) -> Workload {
    let lines: u64 = if quick { 2_000 } else { 50_000 };
    fn line_text(i: u64, out: &mut String) {
        out.clear();
        let _ = write!(
            out,
            "2026-11-26T10:00:{:02} host{} GET /api/v1/items/{} 200 {}",
            i % 60,
            i % 7,
            i,
            i * 3
        );
    }
    Workload {
        name: "parsed lines",
        change: "a Vec<String> per line -> a pooled value that keeps its strings",
        without: Box::new(move |probe: &mut Probe| {
            let mut text = String::with_capacity(128);
            for i in 0..lines {
                line_text(i, &mut text);
                let fields: Vec<String> = text.split(' ').map(str::to_owned).collect();
                black_box(&fields);
                probe.tick();
            }
        }),
        with: Box::new(move |probe: &mut Probe| {
            let pool = poolkit::Pool::new(Fields::default);
            let mut text = String::with_capacity(128);
            for i in 0..lines {
                line_text(i, &mut text);
                let mut fields = pool.get();
                for field in text.split(' ') {
                    fields.push(field);
                }
                black_box(fields.as_slice());
                probe.tick();
            }
        }),
    }
}

/// Owned fields whose strings survive a reset: the usual way to pool a
/// "vector of strings" without freeing the strings each time.
#[derive(Default)]
struct Fields {
    strings: Vec<String>,
    used: usize,
}

impl Fields {
    fn push(&mut self, field: &str) {
        if self.used == self.strings.len() {
            self.strings.push(String::new());
        }
        let slot = &mut self.strings[self.used];
        slot.clear();
        slot.push_str(field);
        self.used += 1;
    }

    fn as_slice(&self) -> &[String] {
        &self.strings[..self.used]
    }
}

impl poolkit::Reset for Fields {
    fn reset(&mut self) {
        // Only the used fields are visible, so forgetting them is a full
        // reset; their buffers stay for the next line.
        self.used = 0;
    }
}

fn workloads(quick: bool) -> Vec<Workload> {
    vec![
        response_bodies(quick),
        parsed_lines(quick),
        cache_workload::leaking_cache(quick),
        buf_workloads::megabyte_handler(quick),
        buf_workloads::cross_thread_messages(quick),
        buf_workloads::formatted_keys(quick),
    ]
}

fn main() -> ExitCode {
    let mut report = Report::from_args();
    report.title("poolkit allocation report: each hot path before and after poolkit");
    for workload in workloads(report.is_quick()) {
        report.scenario(
            workload.name,
            workload.change,
            workload.without,
            workload.with,
        );
    }
    report.run()
}
