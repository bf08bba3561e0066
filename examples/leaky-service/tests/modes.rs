//! The service in each mode, over real loopback sockets: the pooled mode
//! reuses its buffers and stays under a stated heap ceiling whatever the
//! number of distinct keys; the leaky mode's cache and heap grow with them.
//!
//! Each test starts its own server process, so the heap figures it reads
//! are that server's alone. Every load is bounded in count, and every
//! request in time (`client::REQUEST_TIMEOUT`).

mod support;

use leaky_service::client::{self, run_load};
use leaky_service::LoadConfig;
use serde_json::Value;
use support::Server;

const MIB: u64 = 1 << 20;
/// The response size per key: large enough that a cache entry per key shows.
const PAYLOAD_BYTES: u64 = 16 * 1024;
const CACHE_CAPACITY: u64 = 256;
const CONNECTIONS: usize = 8;
/// Phase one: few keys. Phase two: ten times as many, far above the cache bound.
const FEW_KEYS: usize = 300;
const MANY_KEYS: usize = 3000;

fn server_args(mode: &str) -> Vec<String> {
    [
        "--mode",
        mode,
        "--payload-bytes",
        &PAYLOAD_BYTES.to_string(),
        "--cache-capacity",
        &CACHE_CAPACITY.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn start(mode: &str) -> Server {
    let args = server_args(mode);
    Server::start(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// Sends `requests` requests spread over `keys` keys, all answered 200, and
/// returns `/debug/pools` afterwards.
async fn load(server: &Server, requests: usize, keys: usize) -> Value {
    let report = run_load(&LoadConfig {
        addr: server.addr,
        requests,
        keys,
        connections: CONNECTIONS,
    })
    .await
    .expect("the load runs");
    assert_eq!((report.ok, report.failed), (requests, 0));
    client::debug_pools(server.addr)
        .await
        .expect("/debug/pools")
}

fn live_bytes(vars: &Value) -> u64 {
    vars["memstats"]["live_bytes"]
        .as_u64()
        .expect("memstats.live_bytes")
}

fn u64_at(vars: &Value, pointer: &str) -> u64 {
    vars.pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("no number at {pointer} in {vars}"))
}

/// The pooled mode's live-heap ceiling: every buffer the pool may keep
/// (`threads × local_capacity + shared_capacity`) plus one per connection in
/// flight, the cache full of entries (payload plus key and bookkeeping,
/// rounded up to 2 × payload), and 4 MiB for the runtime, sockets and the
/// rest. With 2 runtime threads: (2 × 2 + 8 + 8) MiB + 8 MiB + 4 MiB = 32 MiB.
fn pooled_heap_ceiling(vars: &Value) -> u64 {
    let pool = &vars["pools"]["request_buffers"];
    let buffer_bytes = u64_at(pool, "/object_bytes");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let buffers = threads * u64_at(pool, "/local_capacity")
        + u64_at(pool, "/shared_capacity")
        + CONNECTIONS as u64;
    buffers * buffer_bytes + CACHE_CAPACITY * 2 * PAYLOAD_BYTES + 4 * MIB
}

#[tokio::test]
async fn pooled_mode_reuses_buffers_and_stays_under_its_heap_ceiling_whatever_the_keys() {
    let server = start("pooled");
    let few = load(&server, 1000, FEW_KEYS).await;
    let many = load(&server, 3000, MANY_KEYS).await;
    let ceiling = pooled_heap_ceiling(&many);

    for vars in [&few, &many] {
        let entries = u64_at(vars, "/caches/responses/entries");
        assert!(entries <= CACHE_CAPACITY, "cache over its bound: {entries}");
        assert!(
            live_bytes(vars) <= ceiling,
            "live heap {} over {ceiling}",
            live_bytes(vars)
        );
    }
    assert_eq!(u64_at(&many, "/caches/responses/entries"), CACHE_CAPACITY);
    assert!(
        u64_at(&many, "/caches/responses/stats/evicted_capacity")
            >= (MANY_KEYS as u64) - CACHE_CAPACITY
    );

    // Buffers are reused: 4000 requests, a handful of factory calls.
    let pool = &many["pools"]["request_buffers"]["stats"];
    let hits = u64_at(pool, "/local_hits") + u64_at(pool, "/shared_hits");
    let misses = u64_at(pool, "/misses");
    assert_eq!(u64_at(pool, "/gets"), 4000);
    assert!(hits >= 100 * misses, "hits {hits}, misses {misses}");
    assert!(u64_at(pool, "/retained") <= ceiling / (1 << 20));
    assert_eq!(u64_at(pool, "/outstanding"), 0);
}

#[tokio::test]
async fn leaky_mode_grows_its_cache_and_heap_with_every_distinct_key() {
    let server = start("leaky");
    let few = load(&server, 1000, FEW_KEYS).await;
    let many = load(&server, 3000, MANY_KEYS).await;

    assert_eq!(u64_at(&few, "/caches/responses/entries"), FEW_KEYS as u64);
    assert_eq!(u64_at(&many, "/caches/responses/entries"), MANY_KEYS as u64);
    assert_eq!(many["pools"], serde_json::json!({}));
    // Every new key left its payload behind.
    let new_keys = (MANY_KEYS - FEW_KEYS) as u64;
    let growth = live_bytes(&many).saturating_sub(live_bytes(&few));
    assert!(
        growth >= new_keys * PAYLOAD_BYTES,
        "grew only {growth} bytes"
    );
    // And past what the pooled mode is held to.
    assert!(live_bytes(&many) > CACHE_CAPACITY * 2 * PAYLOAD_BYTES + 24 * MIB);
}
