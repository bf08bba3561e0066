//! dhat: after warm-up, 100,000 get/return round trips on each of 2 threads
//! sharing one pool make no heap allocation.
//!
//! Runs without the libtest harness (`harness = false` in Cargo.toml): dhat
//! counts every thread's allocations, and libtest's main thread may allocate
//! while it waits for the test thread, inside the measured window.

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

use std::sync::Barrier;
use std::thread;

use poolkit::Pool;

fn steady_state_round_trips_on_two_threads_allocate_nothing() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let pool = Pool::new(|| Vec::<u8>::with_capacity(4096));
    let warmed = Barrier::new(3);
    let measured = Barrier::new(3);
    let done = Barrier::new(3);
    // Threads exit only after the last snapshot: thread exit itself allocates
    // (the thread-id free list), which is not the pool's doing.
    let release = Barrier::new(3);
    let (before, after) = thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..10 {
                    drop(pool.get());
                }
                warmed.wait();
                measured.wait();
                for i in 0..100_000u32 {
                    let mut buf = pool.get();
                    buf.extend_from_slice(&i.to_le_bytes());
                    std::hint::black_box(&buf);
                }
                done.wait();
                release.wait();
            });
        }
        warmed.wait();
        let before = dhat::HeapStats::get();
        measured.wait();
        done.wait();
        let after = dhat::HeapStats::get();
        release.wait();
        (before, after)
    });
    dhat::assert_eq!(after.total_blocks - before.total_blocks, 0);
    dhat::assert_eq!(after.curr_bytes, before.curr_bytes);
    let stats = pool.stats();
    dhat::assert_eq!(stats.gets, 200_020);
    dhat::assert_eq!(stats.misses, 2);
}

fn main() {
    steady_state_round_trips_on_two_threads_allocate_nothing();
    println!(
        "pool_alloc_two_threads: steady_state_round_trips_on_two_threads_allocate_nothing ... ok"
    );
}
