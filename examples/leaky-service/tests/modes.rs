//! The service in each mode, over real loopback sockets: the pooled mode
//! reuses its buffers and stays under a stated heap ceiling whatever the
//! number of distinct keys; the leaky mode's cache and heap grow with them.
//!
//! Each test starts its own server process, so the heap figures it reads
//! are that server's alone. Every load is bounded in count, and every
//! request in time (`client::REQUEST_TIMEOUT`).

mod support;

use leaky_service::client::{self, run_load};
use leaky_service::store::BUFFER_BUDGET_BYTES;
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

/// The pooled mode's live-heap ceiling, whatever the number of keys: the
/// buffer pool's byte budget, one 1 MiB buffer per connection in flight, the
/// cache full (payload plus key and bookkeeping, rounded up to 2 × payload),
/// and 4 MiB for the runtime, sockets, the path pool and the rest:
/// 16 + 8 + 8 + 4 = 36 MiB.
const POOLED_HEAP_CEILING: u64 = BUFFER_BUDGET_BYTES as u64
    + CONNECTIONS as u64 * MIB
    + CACHE_CAPACITY * 2 * PAYLOAD_BYTES
    + 4 * MIB;

#[tokio::test]
async fn pooled_mode_reuses_buffers_and_stays_under_its_heap_ceiling_whatever_the_keys() {
    let server = start("pooled");
    let few = load(&server, 1000, FEW_KEYS).await;
    let many = load(&server, 3000, MANY_KEYS).await;
    let ceiling = POOLED_HEAP_CEILING;

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

    // Buffers are reused: 4000 requests, a handful of allocations.
    let buffers = &many["buffer_pools"]["request_buffers"]["stats"];
    let (hits, misses) = (u64_at(buffers, "/hits"), u64_at(buffers, "/misses"));
    assert_eq!(u64_at(buffers, "/gets"), 4000);
    assert!(hits >= 100 * misses, "buffer hits {hits}, misses {misses}");
    assert!(u64_at(buffers, "/retained_bytes") <= BUFFER_BUDGET_BYTES as u64);
    // So are the path strings the cache is looked up with.
    let paths = &many["pools"]["path_strings"]["stats"];
    let hits = u64_at(paths, "/local_hits") + u64_at(paths, "/shared_hits");
    let misses = u64_at(paths, "/misses");
    assert_eq!(u64_at(paths, "/gets"), 4000);
    assert!(hits >= 100 * misses, "path hits {hits}, misses {misses}");
    assert_eq!(u64_at(paths, "/outstanding"), 0);
}

#[tokio::test]
async fn leaky_mode_grows_its_cache_and_heap_with_every_distinct_key() {
    let server = start("leaky");
    let few = load(&server, 1000, FEW_KEYS).await;
    let many = load(&server, 3000, MANY_KEYS).await;

    assert_eq!(u64_at(&few, "/caches/responses/entries"), FEW_KEYS as u64);
    assert_eq!(u64_at(&many, "/caches/responses/entries"), MANY_KEYS as u64);
    assert_eq!(many["pools"], serde_json::json!({}));
    assert_eq!(many["buffer_pools"], serde_json::json!({}));
    // Every new key left its payload behind.
    let new_keys = (MANY_KEYS - FEW_KEYS) as u64;
    let growth = live_bytes(&many).saturating_sub(live_bytes(&few));
    assert!(
        growth >= new_keys * PAYLOAD_BYTES,
        "grew only {growth} bytes"
    );
    // And past what the pooled mode is held to.
    assert!(
        live_bytes(&many) > POOLED_HEAP_CEILING,
        "{}",
        live_bytes(&many)
    );
}
