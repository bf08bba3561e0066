//! Warm get / write 16 bytes / return round trips of a 4 KiB buffer through
//! a `BufPool` (`bufpool`), the process-wide pool (`buf_get`), or the bare
//! `thread_local!` pools that the benchmarks use as their floor, storing
//! boxes (`bare`) or the `Vec`s themselves (`bare_by_value`): a fixed
//! workload for counting instructions, which (unlike time) are repeatable
//! on a noisy machine.
//!
//! ```text
//! cargo build --profile bench --example buf_round_trip
//! valgrind --tool=callgrind target/release/examples/buf_round_trip bufpool 100000
//! valgrind --tool=callgrind target/release/examples/buf_round_trip bare 100000
//! ```
//!
//! `.ci/instruction-budget` runs each contestant at two round-trip counts
//! and divides the difference by the extra round trips, so that start-up
//! and the first (cold) round trip cancel out. The wall time per round trip
//! is printed too, a quick A/B check only (the figures that count come from
//! `cargo bench -p poolkit-bench --bench buf`).
//!
//! Every contestant is measured the same way: the round trip is inlined
//! into one loop of the same shape (`run`), poolkit's code through the
//! bench profile's thin LTO and single codegen unit, the floor's through
//! `#[inline(always)]`. A floor behind a call while the pool is inlined
//! (or the reverse) would count the call on one side only. The size comes
//! through `black_box`, as a caller's size would come at run time.

use std::hint::black_box;
use std::time::Instant;

use poolkit::buf::BufPool;

#[path = "../bench/support/bare.rs"]
mod bare;

const SIZE: usize = 4096;
const DEFAULT_ROUND_TRIPS: usize = 1_000_000;
const USAGE: &str = "usage: buf_round_trip [bufpool|buf_get|bare|bare_by_value] [round_trips]";

/// The same use of the buffer for every contestant: 16 bytes written, then
/// handed to `black_box` so that the write cannot be skipped.
#[inline(always)]
fn write_16(buf: &mut Vec<u8>) {
    buf.resize(16, 0xAB);
    black_box(&mut buf[..]);
}

/// The loop every contestant runs in; one copy per contestant, with the
/// round trip inlined into it.
#[inline(never)]
fn run(round_trips: usize, mut round_trip: impl FnMut()) {
    for _ in 0..round_trips {
        round_trip();
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "bufpool".into());
    let round_trips = match args.next().map(|n| n.parse::<usize>()) {
        None => DEFAULT_ROUND_TRIPS,
        Some(Ok(n)) => n,
        Some(Err(error)) => {
            eprintln!("{USAGE}: {error}");
            std::process::exit(2);
        }
    };
    let size = black_box(SIZE);
    let pool = BufPool::new();
    let start = Instant::now();
    match which.as_str() {
        "bufpool" => run(round_trips, || {
            let mut buf = pool.get(size);
            write_16(&mut buf);
        }),
        "buf_get" => run(round_trips, || {
            let mut buf = poolkit::buf::get(size);
            write_16(&mut buf);
        }),
        "bare" => run(round_trips, || bare::boxed_round_trip(size, write_16)),
        "bare_by_value" => run(round_trips, || bare::by_value_round_trip(size, write_16)),
        other => {
            eprintln!("{USAGE}: unknown contestant {other:?}");
            std::process::exit(2);
        }
    }
    let per_trip = start.elapsed().as_secs_f64() * 1e9 / round_trips.max(1) as f64;
    println!("{which}: {round_trips} round trips, {per_trip:.1} ns each");
}
