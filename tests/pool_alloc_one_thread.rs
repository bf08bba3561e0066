//! dhat: after warm-up, 100,000 get/return round trips on one thread make no
//! heap allocation.
//!
//! Runs without the libtest harness (`harness = false` in Cargo.toml): dhat
//! counts every thread's allocations, and libtest's main thread may allocate
//! while it waits for the test thread, inside the measured window.

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

use poolkit::Pool;

fn steady_state_round_trips_allocate_nothing() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let pool = Pool::new(|| Vec::<u8>::with_capacity(4096));
    // Warm-up: the thread's cache and one buffer (plus its box).
    for _ in 0..10 {
        let mut buf = pool.get();
        buf.extend_from_slice(b"warm");
    }
    let before = dhat::HeapStats::get();
    for i in 0..100_000u32 {
        let mut buf = pool.get();
        buf.extend_from_slice(&i.to_le_bytes());
        std::hint::black_box(&buf);
    }
    let after = dhat::HeapStats::get();
    dhat::assert_eq!(after.total_blocks - before.total_blocks, 0);
    dhat::assert_eq!(after.curr_bytes, before.curr_bytes);
    // The no-pool version of the same loop allocates once per iteration:
    // the counter above would have seen it.
    for i in 0..1_000u32 {
        let mut buf = Vec::<u8>::with_capacity(4096);
        buf.extend_from_slice(&i.to_le_bytes());
        std::hint::black_box(&buf);
    }
    let no_pool = dhat::HeapStats::get();
    dhat::assert_eq!(no_pool.total_blocks - after.total_blocks, 1_000);
}

fn main() {
    steady_state_round_trips_allocate_nothing();
    println!("pool_alloc_one_thread: steady_state_round_trips_allocate_nothing ... ok");
}
