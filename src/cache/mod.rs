//! A bounded cache with per-entry time to live: what the leaking service's unbounded `map`
//! cache should have been.
//!
//! Two flavours with one behaviour:
//!
//! | type | methods | for |
//! |---|---|---|
//! | [`TtlCache`] | `&mut self` | one thread (or your own lock) |
//! | [`ShardedTtlCache`] | `&self`, `Send + Sync` | many threads; single-flight `get_or_insert_with` |
//!
//! # Bounds
//!
//! At most `capacity` entries, and optionally at most a total weight given by a weigher
//! ([`CacheBuilder::max_weight`]). All memory is reserved when the cache is built: in steady
//! state `get`, `insert`, eviction and expiry make no allocation (dhat-tested).
//!
//! # Eviction: S3-FIFO queues behind a TinyLFU admission filter
//!
//! A main FIFO with second chances (CLOCK), a small FIFO for new keys (the admission
//! window), and a count-min frequency sketch of recent accesses (4-bit counters, halved
//! after ten counted accesses per entry of capacity, then every five, so that popularity
//! fades). A hit bumps a 2-bit counter in the entry and, if it was 0, four counters in one
//! cache line of the sketch: nothing moves, nothing is allocated. When a new key arrives in
//! a full cache, the window's oldest entry moves to main if it was read meanwhile; if not,
//! it takes the place of main's victim (its oldest entry not read since the CLOCK hand last
//! passed) only if the sketch has counted it at least two more times, and is evicted
//! otherwise. So one-off scans never displace anything, a Zipf workload keeps its most
//! frequent keys, and a loop a little larger than the cache keeps all but the window's
//! entries hitting (LRU gets nothing there).
//!
//! The window's size adapts by hill climbing on the observed hit ratio (as Caffeine's
//! does): it starts at one entry, the best size for frequency-driven traces, and grows
//! when a larger one serves the trace better, as on traces where a new key is read again
//! soon after it is written (a key-value cache in front of a database). The climber is a
//! few numbers in each cache or shard: no allocation, one counter increment per hit.
//!
//! The cost is recency: a hot set that moves is followed only as fast as the sketch
//! forgets. The benchmark page has the hit ratios beside the peers, on real and synthetic
//! traces (`bench/results/hit-ratios.md`).
//!
//! # Expiry
//!
//! Each entry may have a deadline: the default time to live from the builder, or its own from
//! `insert_with_ttl` (`Duration::MAX`: never), and optionally a time to idle, renewed by each
//! read. **An expired entry is never returned**: every read checks the deadline against the
//! clock. Expired entries are also reclaimed without being read, by a hierarchical timer
//! wheel whose links are slab indices (no allocation):
//!
//! * each write (insert, or a `get_or_insert_with` miss) advances the wheel to now and
//!   examines at most 8 entries whose wheel bucket has passed, removing the expired ones;
//! * a read of an expired entry removes it; `purge_expired()` removes them all at once.
//!
//! So an expired entry stays resident until the first of: it is read; `purge_expired()`;
//! or the write sweep reaches it, which needs the wheel to pass its bucket (at most one
//! wheel resolution, 2^20 ns ≈ 1.05 ms, after its deadline) and then the writes to work
//! through the sweep backlog ahead of it, at most 8 entries per write. Until then it still
//! counts towards the bounds, so memory never exceeds them. With no writes and no reads,
//! nothing runs: call `purge_expired()` from a timer if idle memory matters.
//!
//! # Time
//!
//! Time comes from a [`Clock`]: by default the real [`SystemClock`], which reads the kernel's
//! coarse monotonic clock (one kernel tick of resolution, a few nanoseconds per read; its
//! docs say how exact expiry is with it), or [`SystemClock::precise`] for nanosecond
//! lifetimes; tests use [`ManualClock`] and never sleep. `get`, `insert`, `remove` and `get_or_insert_with` read it
//! only if some entry can expire, and at most once, except that the sharded cache reads it
//! again after taking a shard lock if that shard turned out to hold expiring entries. The
//! sharded `purge_expired`, `clear` and `iter` read it always (`iter` once per shard).
//!
//! # Hooks
//!
//! The eviction listener receives every entry that leaves, exactly once, with its
//! [`EvictionCause`]. In the concurrent cache the listener, weigher, loader and clock never
//! run under a shard lock: removed entries wait in a fixed 16-slot buffer on the stack and are
//! handed out after unlock. To recycle evicted values, pass [`recycle_into`]`(pool)` as the
//! listener: evicted values go back to a [`Pool`](crate::Pool) for the next miss (one small
//! box per return); or store [`OwnedPooled`](crate::OwnedPooled) values, which return to
//! their pool when the cache drops them, with no allocation at all.
//!
//! # Performance
//!
//! `cargo bench -p poolkit-bench --bench cache` compares both caches with `quick_cache`
//! and `lru` (get, and insert on a miss, on a Zipf trace), and `bench/tests/hit_ratio.rs`
//! measures hit ratios on Zipf and loop traces. The measured figures, with the commands
//! that produced them, are kept in one place: the benchmark page, `bench/README.md`.
//!
//! # Bad input
//!
//! | input | behaviour |
//! |---|---|
//! | capacity, weight budget, default TTL, TTI or shard count of 0 | `build()` returns [`CacheConfigError`] naming the field; `new(0)` panics |
//! | capacity of `u32::MAX` or more | `build()` returns [`CacheConfigError::CapacityTooLarge`] |
//! | `insert_with_ttl(k, v, Duration::ZERO)` | [`Refused`] with [`RefusalReason::ZeroTtl`]; the key's old entry is removed |
//! | weigher returns more than the budget | [`Refused`] with [`RefusalReason::TooHeavy`]; nothing else is evicted; the key's old entry is removed |
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use poolkit::cache::{EvictionCause, ManualClock, TtlCache};
//!
//! let clock = ManualClock::new();
//! let mut cache = TtlCache::builder(2)
//!     .time_to_live(Duration::from_secs(60))
//!     .clock(clock.clone())
//!     .build()
//!     .unwrap();
//! cache.insert("a", 1).unwrap();
//! cache.insert("b", 2).unwrap();
//! cache.insert("c", 3).unwrap(); // full: evicts one entry
//! assert_eq!(cache.len(), 2);
//! clock.advance(Duration::from_secs(60));
//! assert_eq!(cache.get("c"), None); // expired: never returned
//! assert_eq!(cache.stats().evicted_capacity, 1);
//! ```

mod clock;
mod core;
mod listener;
mod sharded;
mod stats;
mod unsync;

#[cfg(all(test, loom))]
mod loom_models;

pub use self::core::CacheConfigError;
pub use clock::{Clock, ManualClock, SystemClock};
pub use listener::{recycle_into, EvictionCause, RefusalReason, Refused};
pub use sharded::{ShardedCacheBuilder, ShardedTtlCache};
pub use stats::CacheStats;
pub use unsync::{CacheBuilder, TtlCache};

/// The default hash builder: foldhash's fast, randomly seeded hasher (several times faster
/// than std's SipHash on small keys). Not DoS resistant: pass
/// `std::collections::hash_map::RandomState` to the builder's `hasher` for adversarial keys.
///
/// # Examples
///
/// ```
/// use std::hash::BuildHasher;
/// use poolkit::cache::DefaultHashBuilder;
///
/// let hasher = DefaultHashBuilder::default();
/// assert_eq!(hasher.hash_one(42u64), hasher.hash_one(42u64));
/// ```
pub type DefaultHashBuilder = foldhash::fast::RandomState;
