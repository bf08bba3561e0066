//! Compare your own hot path, before and after, in about ten lines.
use poolkit::report::{Alloc, Report};
use std::hint::black_box;

#[global_allocator]
static ALLOC: Alloc = Alloc;

fn main() -> std::process::ExitCode {
    let mut report = Report::from_args();
    let lines = if report.is_quick() { 100 } else { 10_000 };
    report.scenario(
        "greeting",
        "format! per line → one reused String",
        move |probe| {
            for i in 0..lines {
                black_box(format!("hello {i}"));
                probe.tick();
            }
        },
        move |probe| {
            let mut line = String::with_capacity(32);
            for i in 0..lines {
                line.clear();
                std::fmt::Write::write_fmt(&mut line, format_args!("hello {i}")).unwrap();
                black_box(&line);
                probe.tick();
            }
        },
    );
    report.run()
}
