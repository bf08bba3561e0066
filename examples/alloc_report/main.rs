//! The allocation report: realistic hot paths run without and with poolkit
//! under dhat's heap profiler; prints heap allocations, bytes allocated and
//! peak live bytes for each, side by side.
//!
//! ```text
//! cargo run --release --example alloc_report            # full run
//! cargo run --release --example alloc_report -- --quick # small, for CI
//! ```
//!
//! Each (workload, variant) runs in a child process of its own, so that the
//! peak live bytes of one never hide behind another's.

mod cache_workload;

use std::fmt::Write as _;
use std::hint::black_box;
use std::io::Write as _;
use std::process::{Command, ExitCode};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// One hot path, written twice: the way it is usually written and with
/// poolkit. Each closure runs the whole stream of requests once.
pub struct Workload {
    /// Row label.
    pub name: &'static str,
    /// The usual version, without poolkit.
    pub without: Box<dyn Fn()>,
    /// The same work with poolkit.
    pub with: Box<dyn Fn()>,
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
        without: Box::new(move || {
            for request in 0..requests {
                let mut body = Vec::new();
                render(&mut body, request);
                send(&body);
            }
        }),
        with: Box::new(move || {
            let pool = poolkit::Pool::new(|| Vec::<u8>::with_capacity(4096));
            for request in 0..requests {
                let mut body = pool.get();
                render(&mut body, request);
                send(&body);
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
        without: Box::new(move || {
            let mut text = String::with_capacity(128);
            for i in 0..lines {
                line_text(i, &mut text);
                let fields: Vec<String> = text.split(' ').map(str::to_owned).collect();
                black_box(&fields);
            }
        }),
        with: Box::new(move || {
            let pool = poolkit::Pool::new(Fields::default);
            let mut text = String::with_capacity(128);
            for i in 0..lines {
                line_text(i, &mut text);
                let mut fields = pool.get();
                for field in text.split(' ') {
                    fields.push(field);
                }
                black_box(fields.as_slice());
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
    ]
}

/// What dhat saw while one closure ran.
struct Measured {
    allocations: u64,
    bytes: u64,
    peak_live: u64,
}

fn measure(run: &dyn Fn()) -> Measured {
    let _profiler = dhat::Profiler::builder().testing().build();
    let before = dhat::HeapStats::get();
    run();
    let after = dhat::HeapStats::get();
    Measured {
        allocations: after.total_blocks - before.total_blocks,
        bytes: after.total_bytes - before.total_bytes,
        // The profiler started with this closure, so its peak is this run's.
        peak_live: after.max_bytes as u64 - before.curr_bytes as u64,
    }
}

/// Child mode: `--child <index> <with|without> [--quick]` prints one line.
fn child(args: &[String]) -> ExitCode {
    let quick = args.iter().any(|a| a == "--quick");
    let index: usize = args[2].parse().expect("workload index");
    let list = workloads(quick);
    let workload = &list[index];
    let run = if args[3] == "with" {
        &workload.with
    } else {
        &workload.without
    };
    let m = measure(run.as_ref());
    println!("{} {} {}", m.allocations, m.bytes, m.peak_live);
    ExitCode::SUCCESS
}

fn run_child(index: usize, variant: &str, quick: bool) -> Measured {
    let exe = std::env::current_exe().expect("path of this example");
    let mut cmd = Command::new(exe);
    cmd.args(["--child", &index.to_string(), variant]);
    if quick {
        cmd.arg("--quick");
    }
    let out = cmd.output().expect("run the measurement child");
    assert!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let line = text.lines().last().expect("a result line");
    let nums: Vec<u64> = line
        .split_whitespace()
        .map(|n| n.parse().expect("number"))
        .collect();
    Measured {
        allocations: nums[0],
        bytes: nums[1],
        peak_live: nums[2],
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ratio(before: u64, after: u64) -> String {
    if after == 0 {
        "all saved".to_string()
    } else {
        format!("{:.1}x fewer", before as f64 / after as f64)
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        return child(&args);
    }
    let quick = args.iter().any(|a| a == "--quick");
    let names: Vec<&str> = workloads(quick).iter().map(|w| w.name).collect();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "poolkit allocation report{} (dhat heap profiler; each row in its own process)\n",
        if quick { " --quick" } else { "" }
    );
    let _ = writeln!(
        out,
        "{:<22} {:<9} {:>13} {:>16} {:>16}   allocations saved",
        "workload", "variant", "allocations", "bytes allocated", "peak live bytes",
    );
    for (index, name) in names.iter().enumerate() {
        let without = run_child(index, "without", quick);
        let with = run_child(index, "with", quick);
        for (variant, m) in [("no pool", &without), ("poolkit", &with)] {
            let _ = writeln!(
                out,
                "{:<22} {:<9} {:>13} {:>16} {:>16}   {}",
                if variant == "no pool" { name } else { "" },
                variant,
                thousands(m.allocations),
                thousands(m.bytes),
                thousands(m.peak_live),
                if variant == "poolkit" {
                    ratio(without.allocations, with.allocations)
                } else {
                    String::new()
                }
            );
        }
    }
    ExitCode::SUCCESS
}
