//! Hit ratios of the cache on the traces of the issue, against LRU and quick_cache on the
//! same traces (counted after a warm-up).

#[path = "../support/traces.rs"]
mod traces;

use poolkit::cache::TtlCache;

fn ttl_cache_ratio(capacity: usize, trace: &[u64], warmup: usize) -> f64 {
    let mut cache = TtlCache::new(capacity);
    traces::hit_ratio(trace, warmup, |k| {
        if cache.get(&k).is_some() {
            true
        } else {
            cache.insert(k, k).unwrap();
            false
        }
    })
}

fn lru_ratio(capacity: usize, trace: &[u64], warmup: usize) -> f64 {
    let mut cache = lru::LruCache::new(std::num::NonZeroUsize::new(capacity).unwrap());
    traces::hit_ratio(trace, warmup, |k| {
        if cache.get(&k).is_some() {
            true
        } else {
            cache.put(k, k);
            false
        }
    })
}

fn quick_cache_ratio(capacity: usize, trace: &[u64], warmup: usize) -> f64 {
    let mut cache = quick_cache::unsync::Cache::new(capacity);
    traces::hit_ratio(trace, warmup, |k| {
        if cache.get(&k).is_some() {
            true
        } else {
            cache.insert(k, k);
            false
        }
    })
}

#[test]
fn loop_larger_than_the_cache_keeps_80_percent_hits() {
    // 2 loops of warm-up, then 10 measured loops.
    let trace = traces::looping(11_000, 11_000 * 12);
    let warmup = 11_000 * 2;
    let ours = ttl_cache_ratio(10_000, &trace, warmup);
    let lru = lru_ratio(10_000, &trace, warmup);
    let quick = quick_cache_ratio(10_000, &trace, warmup);
    println!("loop 11k/10k: TtlCache {ours:.4}, LRU {lru:.4}, quick_cache {quick:.4}");
    assert_eq!(lru, 0.0, "the trace defeats LRU");
    assert!(ours >= 0.80, "S3-FIFO hit ratio {ours}");
}

#[test]
fn zipf_is_at_least_as_good_as_lru() {
    let trace = traces::zipf(100_000, 1.0, 1_000_000, 42);
    let warmup = 100_000;
    let ours = ttl_cache_ratio(10_000, &trace, warmup);
    let lru = lru_ratio(10_000, &trace, warmup);
    let quick = quick_cache_ratio(10_000, &trace, warmup);
    println!(
        "zipf(1.0) 100k keys, 10k cache: TtlCache {ours:.4}, LRU {lru:.4}, quick_cache {quick:.4}"
    );
    assert!(ours >= lru, "TtlCache {ours} < LRU {lru}");
}
