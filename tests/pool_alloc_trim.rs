//! dhat: a burst of 10,000 objects out at once, returned, then two `trim()`s:
//! live heap bytes go back to where they were after warm-up.
//!
//! Runs without the libtest harness (`harness = false` in Cargo.toml): dhat
//! counts every thread's allocations, and libtest's main thread may allocate
//! while it waits for the test thread, inside the measured window.

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

use poolkit::Pool;

fn burst_memory_returns_after_two_trims() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let pool = Pool::builder(|| Vec::<u8>::with_capacity(4096))
        .local_capacity(64)
        .shared_capacity(16_384)
        .build()
        .unwrap();
    let mut burst = Vec::with_capacity(10_000);
    // Warm-up: steady traffic of one request at a time.
    for _ in 0..100 {
        drop(pool.get());
    }
    let warm = dhat::HeapStats::get();

    for _ in 0..10_000 {
        burst.push(pool.get());
    }
    burst.clear(); // all 10,000 returned: the pool keeps what fits
    let peak = dhat::HeapStats::get();
    let retained = pool.stats().retained;
    dhat::assert!(retained >= 10_000 - 1);
    dhat::assert!(peak.curr_bytes > warm.curr_bytes + 10_000 * 4096);

    pool.trim(); // the burst's objects become old
    pool.trim(); // unused since: freed
    let trimmed = dhat::HeapStats::get();
    // The one buffer warm-up kept was also idle for two trims and went too:
    // the pool can only drop below the warm-up level, never stay above it.
    dhat::assert!(trimmed.curr_bytes <= warm.curr_bytes);
    let retained = pool.stats().retained;
    dhat::assert_eq!(retained, 0);
    // Steady traffic resumes with one allocation, back at the warm-up level.
    drop(pool.get());
    let resumed = dhat::HeapStats::get();
    dhat::assert_eq!(resumed.curr_bytes, warm.curr_bytes);
}

fn main() {
    burst_memory_returns_after_two_trims();
    println!("pool_alloc_trim: burst_memory_returns_after_two_trims ... ok");
}
