//! dhat: a `TtlCache` get that hits makes no allocation.
//!
//! Runs without the libtest harness (`harness = false` in Cargo.toml): dhat counts every
//! thread's allocations, and libtest's main thread allocates when it starts waiting for the
//! test thread, at a moment that can fall inside the measured window on a loaded machine.

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

use poolkit::cache::TtlCache;

fn a_hit_allocates_nothing() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let mut cache: TtlCache<u64, u64> = TtlCache::new(1_000);
    for k in 0..1_000 {
        cache.insert(k, k).unwrap();
    }
    let before = dhat::HeapStats::get();
    let mut sum = 0;
    for i in 0..100_000u64 {
        sum += *cache.get(&(i % 1_000)).expect("every key is resident");
    }
    let after = dhat::HeapStats::get();
    assert_eq!(sum, 100 * (999 * 1_000 / 2));
    dhat::assert_eq!(after.total_blocks - before.total_blocks, 0);
    dhat::assert_eq!(cache.stats().hits, 100_000);
}

fn main() {
    a_hit_allocates_nothing();
    println!("cache_alloc_hit: a_hit_allocates_nothing ... ok");
}
