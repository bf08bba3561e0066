//! The leaking cache from the story: a service caches rendered responses by key. The usual
//! code uses an unbounded `HashMap` (it grows with every distinct key and never gives memory
//! back); the poolkit version uses a `TtlCache` bounded to 10,000 entries (1,000 for
//! `--quick`) with a 30 s TTL,
//! whose values are pooled buffers (`OwnedPooled`): an evicted or expired response returns
//! its buffer to the pool when the cache drops it, and the next miss renders into it.

#[path = "../../../bench/support/traces.rs"]
mod traces;

use std::collections::HashMap;
use std::hint::black_box;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use poolkit::cache::{ManualClock, TtlCache};
use poolkit::Pool;
use poolkit_report::Probe;

/// Size of one rendered response.
const RESPONSE_BYTES: usize = 512;
/// Popular keys (Zipf-distributed requests over them).
const HOT_KEYS: usize = 20_000;
/// The bound of the poolkit cache (a tenth of it for the quick run, so that the short
/// stream still fills it many times over).
const CAPACITY: usize = 10_000;

/// The request stream: 70 % of requests over `HOT_KEYS` popular keys (Zipf 1.0), 30 % for
/// keys never seen before (session tokens, query strings: the long tail that leaks).
fn request_stream(requests: usize) -> Vec<u64> {
    let hot = traces::zipf(HOT_KEYS, 1.0, requests, 11);
    let mut rng = traces::SplitMix64(5);
    hot.into_iter()
        .enumerate()
        .map(|(i, k)| {
            if rng.next_u64() % 10 < 3 {
                (1 << 40) + i as u64
            } else {
                k
            }
        })
        .collect()
}

/// Renders a response for `key` into `buf` (no allocation if `buf` has the room).
fn render(key: u64, buf: &mut Vec<u8>) {
    buf.extend((0..RESPONSE_BYTES).map(|i| (key as u8) ^ (i as u8)));
}

/// What the handler does with a response: read it.
fn send(body: &[u8]) {
    black_box(
        body.iter()
            .fold(0u64, |h, &b| h.rotate_left(5) ^ u64::from(b)),
    );
}

/// The leaking-cache workload for the allocation report.
pub fn leaking_cache(quick: bool) -> crate::Workload {
    let requests = if quick { 30_000 } else { 1_000_000 };
    let capacity = if quick { CAPACITY / 10 } else { CAPACITY };
    let stream = Rc::new(request_stream(requests));
    let stream_with = stream.clone();
    crate::Workload {
        name: "response cache",
        change: "an unbounded HashMap cache -> a bounded TtlCache of pooled buffers",
        without: Box::new(move |probe: &mut Probe| {
            let mut cache: HashMap<u64, Vec<u8>> = HashMap::new();
            for &key in stream.iter() {
                let body = cache.entry(key).or_insert_with(|| {
                    let mut buf = Vec::with_capacity(RESPONSE_BYTES);
                    render(key, &mut buf);
                    buf
                });
                send(body);
                probe.tick();
            }
            black_box(cache.len());
        }),
        with: Box::new(move |probe: &mut Probe| {
            let clock = ManualClock::new();
            let pool = Arc::new(Pool::new(|| Vec::<u8>::with_capacity(RESPONSE_BYTES)));
            let mut cache = TtlCache::builder(capacity)
                .time_to_live(Duration::from_secs(30))
                .clock(clock.clone())
                .build()
                .expect("valid cache configuration");
            for &key in stream_with.iter() {
                // One request per millisecond of simulated time.
                clock.advance(Duration::from_millis(1));
                let body = cache
                    .get_or_insert_with(&key, || {
                        let mut buf = pool.get_owned();
                        render(key, &mut buf);
                        buf
                    })
                    .expect("a response is never refused: no weigher, TTL > 0");
                send(body);
                probe.tick();
            }
            black_box(cache.len());
        }),
    }
}
