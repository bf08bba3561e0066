//! dhat: after warm-up, get/return round trips of a default `BufPool` at
//! every size class (64 B to 16 MiB) make no heap allocation on one thread.
//!
//! Runs without the libtest harness (`harness = false` in Cargo.toml): dhat
//! counts every thread's allocations, and libtest's main thread may allocate
//! while it waits for the test thread, inside the measured window.

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

use poolkit::buf::BufPool;

/// Every class of the default pool, and a request inside each (not only
/// its exact size).
fn requests(pool: &BufPool) -> Vec<usize> {
    let mut sizes = Vec::new();
    let mut size = pool.min_class();
    while size <= pool.max_class() {
        sizes.push(size);
        sizes.push(size / 2 + 1);
        size *= 2;
    }
    sizes
}

fn steady_state_round_trips_at_every_class_allocate_nothing() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let pool = BufPool::new();
    let requests = requests(&pool);
    assert_eq!(requests.len(), 2 * 19); // 64 B ..= 16 MiB
                                        // Warm-up: the thread's cache and one buffer per class.
    for _ in 0..3 {
        for &n in &requests {
            let mut buf = pool.get(n);
            buf.extend_from_slice(b"warm");
        }
    }
    let warm = pool.stats();
    let before = dhat::HeapStats::get();
    for round in 0..1_000u32 {
        for &n in &requests {
            let mut buf = pool.get(n);
            buf.extend_from_slice(&round.to_le_bytes());
            buf.extend_from_slice(b"sixteen bytes");
            std::hint::black_box(&buf);
        }
    }
    let after = dhat::HeapStats::get();
    dhat::assert_eq!(after.total_blocks - before.total_blocks, 0);
    dhat::assert_eq!(after.curr_bytes, before.curr_bytes);
    let stats = pool.stats();
    let round_trips = 1_000 * requests.len() as u64;
    assert_eq!(stats.hits - warm.hits, round_trips, "{stats:?}");
    assert_eq!(stats.misses, warm.misses, "{stats:?}");
    // The counter sees an allocation when there is one: the no-pool loop.
    let before = dhat::HeapStats::get();
    for &n in &requests[..10] {
        std::hint::black_box(Vec::<u8>::with_capacity(n));
    }
    let no_pool = dhat::HeapStats::get();
    dhat::assert_eq!(no_pool.total_blocks - before.total_blocks, 10);
}

fn main() {
    steady_state_round_trips_at_every_class_allocate_nothing();
    println!(
        "buf_alloc_one_thread: steady_state_round_trips_at_every_class_allocate_nothing ... ok"
    );
}
