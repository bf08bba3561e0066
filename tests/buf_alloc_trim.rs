//! dhat: a burst of big buffers (1 MiB to 16 MiB, more than a thread cache
//! holds, so the shared tier keeps some too) followed by two `trim()`s
//! returns the live heap to its warm-up level.
//!
//! Runs without the libtest harness (`harness = false` in Cargo.toml): dhat
//! counts every thread's allocations.

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

use poolkit::buf::BufPool;

fn two_trims_return_a_burst_to_the_heap() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let pool = BufPool::new();
    // Warm-up: the thread's cache exists, nothing is kept.
    drop(pool.get(64));
    pool.trim();
    pool.trim();
    assert_eq!(pool.stats().retained_bytes, 0);
    let warm = dhat::HeapStats::get();

    let sizes = [
        1 << 20,
        1 << 20,
        1 << 20,
        4 << 20,
        4 << 20,
        16 << 20,
        16 << 20,
    ];
    let burst: Vec<_> = sizes
        .iter()
        .map(|&n| {
            let mut buf = pool.get(n);
            buf.extend_from_slice(b"burst");
            buf
        })
        .collect();
    drop(burst);
    let stats = pool.stats();
    assert!(stats.classes.iter().any(|c| c.retained >= 2)); // shared tier too
    let (kept_bytes, kept_buffers) = (stats.retained_bytes, stats.retained);
    assert!(kept_bytes >= 20 << 20, "{stats:?}");
    drop(stats); // its per-class vector is on the heap too
    let burst_level = dhat::HeapStats::get();
    dhat::assert!(burst_level.curr_bytes >= warm.curr_bytes + kept_bytes);

    assert_eq!(pool.trim(), 0); // marks them old
    assert_eq!(pool.stats().retained_bytes, kept_bytes);
    assert_eq!(pool.trim(), kept_buffers); // frees them
    let trimmed = dhat::HeapStats::get();
    dhat::assert_eq!(trimmed.curr_bytes, warm.curr_bytes);
    let stats = pool.stats();
    assert_eq!((stats.retained_bytes, stats.reserved_bytes), (0, 0));
}

fn main() {
    two_trims_return_a_burst_to_the_heap();
    println!("buf_alloc_trim: two_trims_return_a_burst_to_the_heap ... ok");
}
