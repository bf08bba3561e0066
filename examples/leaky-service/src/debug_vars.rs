//! `/debug/pools`: the live state of every pool and cache and of the heap,
//! as JSON in the shape of Go's `/debug/vars`, or in the Prometheus text
//! format through poolkit's `metrics` feature.

use metrics::{counter, gauge};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use serde_json::{json, Value};

use crate::config::ServerConfig;
use crate::counting_alloc::heap_stats;
use crate::store::Store;

/// The name the request-buffer pool is published under.
pub const BUFFER_POOL_NAME: &str = "request_buffers";
/// The name the path-string pool is published under.
pub const PATH_POOL_NAME: &str = "path_strings";
/// The name the response cache is published under.
pub const RESPONSE_CACHE_NAME: &str = "responses";

/// A Prometheus recorder owned by one server (not installed globally, so
/// that several servers can live in one process) and its renderer.
pub struct Exporter {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

impl Default for Exporter {
    fn default() -> Self {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        Self { recorder, handle }
    }
}

impl Exporter {
    /// Publishes fresh snapshots of `store` and the heap, and renders every
    /// metric in the Prometheus text format.
    pub fn render(&self, store: &Store) -> String {
        metrics::with_local_recorder(&self.recorder, || publish(store));
        self.handle.render()
    }
}

fn publish(store: &Store) {
    let heap = heap_stats();
    gauge!("service_heap_live_bytes").set(heap.live_bytes as f64);
    gauge!("service_heap_peak_live_bytes").set(heap.peak_live_bytes as f64);
    counter!("service_heap_allocations_total").absolute(heap.allocations);
    counter!("service_heap_deallocations_total").absolute(heap.deallocations);
    gauge!("service_response_cache_entries").set(store.cache_entries() as f64);
    if let Store::Pooled {
        buffers,
        paths,
        cache,
    } = store
    {
        poolkit::metrics::publish_buf_pool_stats(BUFFER_POOL_NAME, &buffers.stats());
        poolkit::metrics::publish_pool_stats(PATH_POOL_NAME, &paths.stats());
        poolkit::metrics::publish_cache_stats(
            RESPONSE_CACHE_NAME,
            &cache.stats(),
            cache.len(),
            cache.capacity(),
        );
    }
}

/// The JSON document: Go's `/debug/vars` shape (one object of named
/// variables, with `cmdline` and `memstats`), plus `pools`, `buffer_pools`
/// and `caches`, each an object of named stats.
pub fn json(store: &Store, config: &ServerConfig) -> Value {
    let mut pools = serde_json::Map::new();
    let mut buffer_pools = serde_json::Map::new();
    let mut caches = serde_json::Map::new();
    match store {
        Store::Leaky { .. } => {
            caches.insert(
                RESPONSE_CACHE_NAME.into(),
                json!({
                    "kind": "HashMap (unbounded)",
                    "entries": store.cache_entries(),
                    "capacity": null,
                    "time_to_live_secs": null,
                    "stats": null,
                }),
            );
        }
        Store::Pooled {
            buffers,
            paths,
            cache,
        } => {
            buffer_pools.insert(
                BUFFER_POOL_NAME.into(),
                json!({
                    "kind": "BufPool",
                    "request_bytes": config.buffer_bytes,
                    "max_class": buffers.max_class(),
                    "max_retained_bytes": buffers.max_retained_bytes(),
                    "thread_cache_bytes": buffers.thread_cache_bytes(),
                    "stats": buffers.stats(),
                }),
            );
            pools.insert(
                PATH_POOL_NAME.into(),
                json!({
                    "kind": "Pool<String>",
                    "local_capacity": paths.local_capacity(),
                    "shared_capacity": paths.shared_capacity(),
                    "stats": paths.stats(),
                }),
            );
            caches.insert(
                RESPONSE_CACHE_NAME.into(),
                json!({
                    "kind": "ShardedTtlCache",
                    "entries": cache.len(),
                    "capacity": cache.capacity(),
                    "time_to_live_secs": config.cache_ttl.as_secs(),
                    "stats": cache.stats(),
                }),
            );
        }
    }
    json!({
        "cmdline": std::env::args().collect::<Vec<_>>(),
        "memstats": heap_stats(),
        "mode": config.mode.name(),
        "pools": pools,
        "buffer_pools": buffer_pools,
        "caches": caches,
    })
}
