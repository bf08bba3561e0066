//! One million `BufPool` get/return round trips (16 bytes written into a
//! 4 KiB buffer), or the same through a bare `thread_local!` pool storing
//! boxes (`bare`) or the `Vec`s themselves (`bare_by_value`): a
//! fixed workload for counting instructions, which (unlike time) are
//! repeatable on a noisy machine.
//!
//! ```text
//! cargo build --release --example buf_round_trip
//! valgrind --tool=callgrind target/release/examples/buf_round_trip bufpool
//! valgrind --tool=callgrind target/release/examples/buf_round_trip bare
//! valgrind --tool=callgrind target/release/examples/buf_round_trip bare_by_value
//! ```
//!
//! A second argument sets the number of round trips (default 1,000,000);
//! the wall time per round trip is printed, a quick A/B check only (the
//! figures that count come from `cargo bench -p poolkit-bench --bench buf`).

use std::hint::black_box;
use std::time::Instant;

use poolkit::buf::BufPool;

#[path = "../bench/support/bare.rs"]
mod bare;

const SIZE: usize = 4096;
const DEFAULT_ROUND_TRIPS: usize = 1_000_000;

#[inline(never)]
fn bufpool_round_trip(pool: &BufPool) {
    let mut buf = pool.get(SIZE);
    buf.resize(16, 0xAB);
    black_box(&mut buf[..]);
}

#[inline(never)]
fn bare_round_trip() {
    bare::boxed_round_trip(SIZE, write_16);
}

#[inline(never)]
fn bare_by_value_round_trip() {
    bare::by_value_round_trip(SIZE, write_16);
}

#[inline(always)]
fn write_16(buf: &mut Vec<u8>) {
    buf.resize(16, 0xAB);
    black_box(&mut buf[..]);
}

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "bufpool".into());
    let round_trips = match args.next().map(|n| n.parse::<usize>()) {
        None => DEFAULT_ROUND_TRIPS,
        Some(Ok(n)) => n,
        Some(Err(error)) => {
            eprintln!("usage: buf_round_trip [bufpool|bare|bare_by_value] [round_trips]: {error}");
            std::process::exit(2);
        }
    };
    let pool = BufPool::new();
    let start = Instant::now();
    for _ in 0..round_trips {
        match which.as_str() {
            "bare" => bare_round_trip(),
            "bare_by_value" => bare_by_value_round_trip(),
            _ => bufpool_round_trip(&pool),
        }
    }
    let elapsed = start.elapsed();
    let per_trip = elapsed.as_secs_f64() * 1e9 / round_trips.max(1) as f64;
    println!("{which}: {round_trips} round trips, {per_trip:.1} ns each");
}
