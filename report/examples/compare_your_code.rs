//! Compare your own hot path, before and after, with `poolkit_report`: the
//! same table, dhat profiles and charts as the allocation report.
//!
//! ```text
//! cargo run --release -p poolkit-report --example compare_your_code
//! cargo run --release -p poolkit-report --example compare_your_code -- --quick --out /tmp/mine
//! ```
//!
//! Copy this file into your project as `examples/alloc_compare.rs`, add the
//! report as a dev-dependency (`poolkit-report = "0.1"` under
//! `[dev-dependencies]`), replace the two closures with your code (the usual
//! version and the improved one) and run `cargo run --release --example
//! alloc_compare`. Call `probe.tick()` once per operation so the chart has an
//! x axis.

use std::fmt::Write as _;
use std::hint::black_box;

use poolkit_report::{Alloc, Report};

#[global_allocator]
static ALLOC: Alloc = Alloc; // counts every allocation while a scenario runs

fn main() -> std::process::ExitCode {
    let mut report = Report::from_args(); // --quick, --out DIR, --list, names
    let lines: u64 = if report.is_quick() { 1_000 } else { 100_000 };
    report.scenario(
        "log lines",
        "format! per line -> one String reused",
        move |probe| {
            for i in 0..lines {
                black_box(format!("request {i} served in {} us", i % 250));
                probe.tick();
            }
        },
        move |probe| {
            let mut line = String::with_capacity(64);
            for i in 0..lines {
                line.clear();
                let _ = write!(line, "request {i} served in {} us", i % 250);
                black_box(&line);
                probe.tick();
            }
        },
    );
    report.run()
}
