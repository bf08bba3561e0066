//! poolkit's `metrics` feature, read back through `metrics-util`'s debugging
//! recorder: every documented name, label and value.
//!
//! It lives in this package rather than in poolkit's own tests because the
//! Prometheus exporter already builds `metrics-util` here: the debugging
//! recorder adds no crate to build, while a poolkit dev-dependency would be
//! compiled by the README's first command (`cargo run --example ...` builds
//! dev-dependencies too).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::thread;

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use metrics_util::MetricKind;
use poolkit::{Pool, TtlCache};

/// Publishes through a fresh debugging recorder; returns
/// `"counter name{label=value,...}" -> value` for every metric.
fn published(publish: impl FnOnce()) -> BTreeMap<String, f64> {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, publish);
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _unit, _description, value)| {
            let (kind, key) = key.into_parts();
            let kind = match kind {
                MetricKind::Counter => "counter",
                MetricKind::Gauge => "gauge",
                MetricKind::Histogram => "histogram",
            };
            let labels: Vec<String> = key
                .labels()
                .map(|label| format!("{}={}", label.key(), label.value()))
                .collect();
            let value = match value {
                DebugValue::Counter(n) => n as f64,
                DebugValue::Gauge(x) => x.0,
                DebugValue::Histogram(_) => f64::NAN,
            };
            (
                format!("{kind} {}{{{}}}", key.name(), labels.join(",")),
                value,
            )
        })
        .collect()
}

fn expect(actual: &BTreeMap<String, f64>, expected: &[(&str, f64)]) {
    let expected: BTreeMap<String, f64> = expected
        .iter()
        .map(|(name, value)| (name.to_string(), *value))
        .collect();
    assert_eq!(actual, &expected);
}

#[test]
fn pool_stats_are_published_under_their_documented_names() {
    let pool = Arc::new(Pool::new(Vec::<u8>::new));
    let first = pool.get_owned(); // miss 1; this thread gets a cache (1)

    // A thread that returns gets a cache of its own (2), which keeps the object.
    thread::spawn(move || drop(first)).join().unwrap();
    drop(pool.get()); // miss 2: this thread's cache and the depot are empty
    drop(pool.get()); // local hit 1
    let held = pool.get(); // local hit 2, outstanding
    pool.put(Vec::with_capacity(16)); // a put, stored locally, 16 heap bytes

    // Retained: the put here and the object in the other thread's cache.
    let publish = || poolkit::metrics::publish_pool_stats("buffers", &pool.stats());
    let metrics = published(publish);
    expect(
        &metrics,
        &[
            ("counter poolkit_pool_gets_total{pool=buffers}", 4.0),
            (
                "counter poolkit_pool_hits_total{pool=buffers,tier=local}",
                2.0,
            ),
            (
                "counter poolkit_pool_hits_total{pool=buffers,tier=shared}",
                0.0,
            ),
            ("counter poolkit_pool_misses_total{pool=buffers}", 2.0),
            ("counter poolkit_pool_returns_total{pool=buffers}", 4.0),
            ("counter poolkit_pool_puts_total{pool=buffers}", 1.0),
            (
                "counter poolkit_pool_stored_total{pool=buffers,tier=local}",
                4.0,
            ),
            (
                "counter poolkit_pool_stored_total{pool=buffers,tier=shared}",
                0.0,
            ),
            (
                "counter poolkit_pool_dropped_total{pool=buffers,reason=rejected}",
                0.0,
            ),
            (
                "counter poolkit_pool_dropped_total{pool=buffers,reason=full}",
                0.0,
            ),
            (
                "counter poolkit_pool_dropped_total{pool=buffers,reason=budget}",
                0.0,
            ),
            (
                "counter poolkit_pool_dropped_total{pool=buffers,reason=hook_panic}",
                0.0,
            ),
            (
                "counter poolkit_pool_dropped_total{pool=buffers,reason=unwinding}",
                0.0,
            ),
            ("counter poolkit_pool_detached_total{pool=buffers}", 0.0),
            ("counter poolkit_pool_trimmed_total{pool=buffers}", 0.0),
            ("gauge poolkit_pool_retained_objects{pool=buffers}", 2.0),
            ("gauge poolkit_pool_thread_caches{pool=buffers}", 2.0),
            // The put's 16 bytes; the other kept `Vec` is empty.
            ("gauge poolkit_pool_retained_bytes{pool=buffers}", 16.0),
            ("gauge poolkit_pool_outstanding_objects{pool=buffers}", 1.0),
        ],
    );
    drop(held);
}

#[test]
fn cache_stats_are_published_under_their_documented_names() {
    let mut cache = TtlCache::new(2);
    cache.insert("a", 1).unwrap();
    cache.insert("a", 2).unwrap(); // replaced
    cache.insert("b", 3).unwrap();
    assert_eq!(cache.get("a"), Some(&2));
    assert_eq!(cache.get("z"), None);
    cache.insert("c", 4).unwrap(); // a capacity eviction
    cache.remove("c"); // removed
    let stats = cache.stats();
    let metrics = published(|| {
        poolkit::metrics::publish_cache_stats("names", &stats, cache.len(), cache.capacity())
    });
    expect(
        &metrics,
        &[
            ("counter poolkit_cache_hits_total{cache=names}", 1.0),
            ("counter poolkit_cache_misses_total{cache=names}", 1.0),
            ("counter poolkit_cache_inserts_total{cache=names}", 3.0),
            ("counter poolkit_cache_updates_total{cache=names}", 1.0),
            (
                "counter poolkit_cache_evictions_total{cache=names,cause=expired}",
                0.0,
            ),
            (
                "counter poolkit_cache_evictions_total{cache=names,cause=capacity}",
                1.0,
            ),
            (
                "counter poolkit_cache_evictions_total{cache=names,cause=replaced}",
                1.0,
            ),
            (
                "counter poolkit_cache_evictions_total{cache=names,cause=removed}",
                1.0,
            ),
            ("gauge poolkit_cache_entries{cache=names}", 1.0),
            ("gauge poolkit_cache_capacity_entries{cache=names}", 2.0),
        ],
    );
}

#[test]
fn publishing_twice_sets_totals_instead_of_adding_them() {
    let pool: Pool<String> = Pool::new(String::new);
    drop(pool.get());
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        poolkit::metrics::publish_pool_stats("p", &pool.stats());
        poolkit::metrics::publish_pool_stats("p", &pool.stats());
    });
    let gets = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .find(|(key, ..)| key.key().name() == "poolkit_pool_gets_total")
        .map(|(.., value)| value);
    assert_eq!(gets, Some(DebugValue::Counter(1)));
}

#[test]
fn buffer_pool_stats_are_published_under_their_documented_names() {
    let pool = poolkit::buf::BufPool::builder()
        .min_class(1024)
        .max_class(4096)
        .build()
        .unwrap();
    drop(pool.get(1000)); // a miss in the 1 KiB class
    drop(pool.get(1000)); // a hit
    drop(pool.get(3000)); // a miss in the 4 KiB class
    drop(pool.get(10_000)); // above the top class: oversize, freed on return
    let stats = pool.stats();
    let metrics = published(|| poolkit::metrics::publish_buf_pool_stats("bytes", &stats));
    let named = |name: &str| metrics[name];
    assert_eq!(
        named("counter poolkit_buf_pool_gets_total{pool=bytes}"),
        4.0
    );
    assert_eq!(
        named("counter poolkit_buf_pool_hits_total{pool=bytes}"),
        1.0
    );
    assert_eq!(
        named("counter poolkit_buf_pool_misses_total{pool=bytes}"),
        2.0
    );
    assert_eq!(
        named("counter poolkit_buf_pool_oversize_total{pool=bytes}"),
        1.0
    );
    assert_eq!(
        named("counter poolkit_buf_pool_dropped_total{pool=bytes,reason=rejected}"),
        1.0
    );
    assert_eq!(
        named("counter poolkit_buf_pool_dropped_total{pool=bytes,reason=budget}"),
        0.0
    );
    assert_eq!(
        named("counter poolkit_buf_pool_dropped_total{pool=bytes,reason=full}"),
        0.0
    );
    assert_eq!(
        named("counter poolkit_buf_pool_dropped_total{pool=bytes,reason=unwinding}"),
        0.0
    );
    assert_eq!(
        named("counter poolkit_buf_pool_detached_total{pool=bytes}"),
        0.0
    );
    assert_eq!(
        named("counter poolkit_buf_pool_trimmed_total{pool=bytes}"),
        0.0
    );
    assert_eq!(
        named("gauge poolkit_buf_pool_retained_buffers{pool=bytes}"),
        2.0
    );
    assert_eq!(
        named("gauge poolkit_buf_pool_retained_bytes{pool=bytes}"),
        stats.retained_bytes as f64
    );
    assert!(stats.retained_bytes >= 1024 + 4096);
    assert_eq!(
        named("gauge poolkit_buf_pool_reserved_bytes{pool=bytes}"),
        stats.reserved_bytes as f64
    );
    assert_eq!(
        named("gauge poolkit_buf_pool_max_retained_bytes{pool=bytes}"),
        stats.max_retained_bytes as f64
    );
    // Per class (1, 2 and 4 KiB): gets, misses and kept bytes.
    assert_eq!(
        named("counter poolkit_buf_pool_class_gets_total{pool=bytes,class_bytes=1024}"),
        2.0
    );
    assert_eq!(
        named("counter poolkit_buf_pool_class_misses_total{pool=bytes,class_bytes=1024}"),
        1.0
    );
    assert_eq!(
        named("counter poolkit_buf_pool_class_gets_total{pool=bytes,class_bytes=2048}"),
        0.0
    );
    assert_eq!(
        named("counter poolkit_buf_pool_class_misses_total{pool=bytes,class_bytes=4096}"),
        1.0
    );
    assert_eq!(
        named("gauge poolkit_buf_pool_class_retained_bytes{pool=bytes,class_bytes=4096}"),
        stats.classes[2].retained_bytes as f64
    );
    assert_eq!(metrics.len(), 14 + 3 * 3, "{metrics:#?}");
}
