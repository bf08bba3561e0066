//! One million get/return round trips of a 4 KiB buffer, through poolkit or
//! through a bare boxed `thread_local!` pool: a fixed workload for counting
//! instructions, which (unlike time) are repeatable on a noisy machine.
//!
//! ```text
//! cargo build --release --example round_trip
//! valgrind --tool=callgrind target/release/examples/round_trip poolkit
//! valgrind --tool=callgrind target/release/examples/round_trip bare
//! ```

use std::cell::RefCell;
use std::hint::black_box;

thread_local! {
    #[allow(clippy::vec_box)] // boxed on purpose: the same storage as poolkit's
    static BARE: RefCell<Vec<Box<Vec<u8>>>> = const { RefCell::new(Vec::new()) };
}

#[inline(never)]
fn poolkit_round_trip(pool: &poolkit::Pool<Vec<u8>>) {
    let mut buf = pool.get();
    black_box(&mut *buf);
}

#[inline(never)]
fn bare_round_trip() {
    let mut buf = BARE
        .with(|p| p.borrow_mut().pop())
        .unwrap_or_else(|| Box::new(Vec::with_capacity(4096)));
    black_box(&mut *buf);
    buf.clear();
    BARE.with(|p| p.borrow_mut().push(buf));
}

fn main() {
    let which = std::env::args().nth(1).unwrap_or_else(|| "poolkit".into());
    let pool = poolkit::Pool::new(|| Vec::<u8>::with_capacity(4096));
    for _ in 0..1_000_000 {
        match which.as_str() {
            "bare" => bare_round_trip(),
            _ => poolkit_round_trip(&pool),
        }
    }
    println!("{which}: 1,000,000 round trips");
}
