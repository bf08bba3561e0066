//! dhat: the leak from the story, shown not to happen. An insert-only stream of 1,000,000
//! distinct keys into a 10,000-entry cache keeps live heap bytes flat after warm-up.
//!
//! Runs without the libtest harness (`harness = false` in Cargo.toml): dhat counts every
//! thread's allocations, and libtest's main thread allocates when it starts waiting for the
//! test thread, at a moment that can fall inside the measured window on a loaded machine.

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

use poolkit::cache::TtlCache;

fn a_million_distinct_keys_keep_live_memory_flat() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let mut cache: TtlCache<u64, u64> = TtlCache::new(10_000);
    for k in 0..10_000u64 {
        cache.insert(k, k).unwrap();
    }
    let warm = dhat::HeapStats::get();
    for k in 10_000..1_000_000u64 {
        cache.insert(k, k).unwrap();
        if k % 100_000 == 0 {
            let now = dhat::HeapStats::get();
            dhat::assert_eq!(now.curr_bytes, warm.curr_bytes);
        }
    }
    let end = dhat::HeapStats::get();
    dhat::assert_eq!(end.curr_bytes, warm.curr_bytes);
    dhat::assert_eq!(end.max_bytes, warm.max_bytes, "no transient growth either");
    dhat::assert_eq!(cache.len(), 10_000);
}

fn main() {
    a_million_distinct_keys_keep_live_memory_flat();
    println!("cache_alloc_leak: a_million_distinct_keys_keep_live_memory_flat ... ok");
}
