//! Model-based test: random operation sequences against a reference model, with a clock
//! moved by hand, forwards and backwards. Both flavours run through the same storage core
//! and are held to the same model. Checked after every operation:
//! * a returned value is the model's live value (never expired, removed or replaced);
//! * every entry that leaves reaches the listener exactly once, with the right cause;
//! * `len` and weight equal the model's resident entries and never exceed their bounds;
//! * after `purge_expired` nothing expired is resident;
//! * the stats add up to what the model counted;
//! * a refused insert removes nothing but the key's previous entry (no sweep, no eviction);
//! * time never goes back for the cache: once it has read a time, an earlier clock reading
//!   is treated as that time (entries never un-expire).
//!
//! The model does not predict *which* entry S3-FIFO evicts for capacity: it accepts any
//! resident entry reported with cause `Capacity` and checks everything else exactly.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use poolkit::cache::{
    CacheStats, Clock, DefaultHashBuilder, EvictionCause, RefusalReason, ShardedTtlCache, TtlCache,
};
use proptest::prelude::*;

/// A clock set by the test, which may step back, and which counts its reads (so the model
/// knows which times the cache has seen).
#[derive(Clone, Default)]
struct ModelClock {
    nanos: Arc<AtomicU64>,
    reads: Arc<AtomicUsize>,
}

impl ModelClock {
    fn get(&self) -> u64 {
        self.nanos.load(Ordering::SeqCst)
    }
    fn set(&self, nanos: u64) {
        self.nanos.store(nanos, Ordering::SeqCst);
    }
    fn take_reads(&self) -> usize {
        self.reads.swap(0, Ordering::SeqCst)
    }
}

impl Clock for ModelClock {
    fn now_nanos(&self) -> u64 {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.nanos.load(Ordering::SeqCst)
    }
}

type Events = Arc<Mutex<Vec<(u8, u32, EvictionCause)>>>;

#[derive(Debug, Clone)]
enum Op {
    Insert(u8, u32),
    InsertTtl(u8, u32, u64),
    Get(u8),
    GetOrInsert(u8, u32),
    Contains(u8),
    Remove(u8),
    Advance(u64),
    StepBack(u64),
    Purge,
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..24u8, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
        4 => (0..24u8, any::<u32>(), 0..40u64).prop_map(|(k, v, t)| Op::InsertTtl(k, v, t)),
        6 => (0..24u8).prop_map(Op::Get),
        2 => (0..24u8, any::<u32>()).prop_map(|(k, v)| Op::GetOrInsert(k, v)),
        1 => (0..24u8).prop_map(Op::Contains),
        2 => (0..24u8).prop_map(Op::Remove),
        3 => (0..30u64).prop_map(Op::Advance),
        1 => (0..30u64).prop_map(Op::StepBack),
        1 => Just(Op::Purge),
        1 => Just(Op::Clear),
    ]
}

#[derive(Debug, Clone, Copy)]
struct Config {
    capacity: usize,
    ttl_ms: Option<u64>,
    tti_ms: Option<u64>,
    max_weight: Option<u64>,
    shards: usize,
}

fn config() -> impl Strategy<Value = Config> {
    (
        1..12usize,
        prop::option::of(1..50u64),
        prop::option::of(1..50u64),
        prop::option::of(1..40u64),
        1..4usize,
    )
        .prop_map(|(capacity, ttl_ms, tti_ms, max_weight, shards)| Config {
            capacity,
            ttl_ms,
            tti_ms,
            max_weight,
            shards,
        })
}

/// Weight of a value under the weigher (when one is configured).
fn weigh(v: u32) -> u64 {
    u64::from(v % 7) + 1
}

const MS: u64 = 1_000_000;

/// One resident entry of the model.
#[derive(Debug, Clone, Copy)]
struct ModelEntry {
    value: u32,
    expires_at: u64,
    last_access: u64,
}

struct Model {
    cfg: Config,
    /// The time of the current operation as the cache sees it: the clock, or the latest
    /// time the cache has read if that is later.
    now: u64,
    /// The latest time the cache has read.
    floor: u64,
    entries: HashMap<u8, ModelEntry>,
    stats: CacheStats,
}

impl Model {
    fn deadline(&self, e: &ModelEntry) -> u64 {
        match self.cfg.tti_ms {
            Some(tti) => e.expires_at.min(e.last_access + tti * MS),
            None => e.expires_at,
        }
    }

    fn live(&self, k: u8) -> Option<u32> {
        let e = self.entries.get(&k)?;
        (self.deadline(e) > self.now).then_some(e.value)
    }

    fn weight(&self) -> u64 {
        self.entries
            .values()
            .map(|e| {
                if self.cfg.max_weight.is_some() {
                    weigh(e.value)
                } else {
                    1
                }
            })
            .sum()
    }

    /// Applies listener events; `allowed` says which non-capacity, non-expiry cause is
    /// legitimate for which key during this operation.
    fn apply_events(
        &mut self,
        events: Vec<(u8, u32, EvictionCause)>,
        allowed: &dyn Fn(u8, EvictionCause) -> bool,
    ) {
        for (k, v, cause) in events {
            let e = self
                .entries
                .remove(&k)
                .unwrap_or_else(|| panic!("listener got {k} ({cause:?}) which is not resident"));
            assert_eq!(e.value, v, "listener got a wrong value for {k}");
            let expired = self.deadline(&e) <= self.now;
            match cause {
                EvictionCause::Expired => assert!(expired, "{k} reported expired while live"),
                EvictionCause::Capacity => {}
                EvictionCause::Replaced | EvictionCause::Removed => {
                    assert!(!expired, "{k} reported {cause:?} but it had expired");
                    assert!(allowed(k, cause), "unexpected {cause:?} of {k}");
                }
                other => panic!("unknown cause {other:?}"),
            }
            self.stats.record(cause);
        }
    }
}

trait StatsExt {
    fn record(&mut self, cause: EvictionCause);
}

impl StatsExt for CacheStats {
    fn record(&mut self, cause: EvictionCause) {
        match cause {
            EvictionCause::Expired => self.evicted_expired += 1,
            EvictionCause::Capacity => self.evicted_capacity += 1,
            EvictionCause::Replaced => self.evicted_replaced += 1,
            EvictionCause::Removed => self.evicted_removed += 1,
            other => panic!("unknown cause {other:?}"),
        }
    }
}

/// The operations both flavours offer, so one model drives both.
trait Subject {
    fn insert(&mut self, k: u8, v: u32) -> Result<(), RefusalReason>;
    fn insert_ttl(&mut self, k: u8, v: u32, ttl: Duration) -> Result<(), RefusalReason>;
    fn get(&mut self, k: u8) -> Option<u32>;
    fn get_or_insert(&mut self, k: u8, v: u32) -> Result<u32, RefusalReason>;
    fn contains(&self, k: u8) -> bool;
    fn remove(&mut self, k: u8) -> Option<u32>;
    fn purge(&mut self) -> usize;
    fn clear(&mut self);
    fn len(&self) -> usize;
    fn weight(&self) -> u64;
    fn stats(&self) -> CacheStats;
    fn live(&self) -> Vec<(u8, u32)>;
}

impl Subject for TtlCache<u8, u32, DefaultHashBuilder, ModelClock> {
    fn insert(&mut self, k: u8, v: u32) -> Result<(), RefusalReason> {
        TtlCache::insert(self, k, v).map_err(|r| r.reason)
    }
    fn insert_ttl(&mut self, k: u8, v: u32, ttl: Duration) -> Result<(), RefusalReason> {
        self.insert_with_ttl(k, v, ttl).map_err(|r| r.reason)
    }
    fn get(&mut self, k: u8) -> Option<u32> {
        TtlCache::get(self, &k).copied()
    }
    fn get_or_insert(&mut self, k: u8, v: u32) -> Result<u32, RefusalReason> {
        self.get_or_insert_with(&k, || v)
            .copied()
            .map_err(|r| r.reason)
    }
    fn contains(&self, k: u8) -> bool {
        self.contains_key(&k)
    }
    fn remove(&mut self, k: u8) -> Option<u32> {
        TtlCache::remove(self, &k)
    }
    fn purge(&mut self) -> usize {
        self.purge_expired()
    }
    fn clear(&mut self) {
        TtlCache::clear(self)
    }
    fn len(&self) -> usize {
        TtlCache::len(self)
    }
    fn weight(&self) -> u64 {
        TtlCache::weight(self)
    }
    fn stats(&self) -> CacheStats {
        TtlCache::stats(self)
    }
    fn live(&self) -> Vec<(u8, u32)> {
        self.iter().map(|(k, v)| (*k, *v)).collect()
    }
}

impl Subject for ShardedTtlCache<u8, u32, DefaultHashBuilder, ModelClock> {
    fn insert(&mut self, k: u8, v: u32) -> Result<(), RefusalReason> {
        ShardedTtlCache::insert(self, k, v).map_err(|r| r.reason)
    }
    fn insert_ttl(&mut self, k: u8, v: u32, ttl: Duration) -> Result<(), RefusalReason> {
        self.insert_with_ttl(k, v, ttl).map_err(|r| r.reason)
    }
    fn get(&mut self, k: u8) -> Option<u32> {
        ShardedTtlCache::get(self, &k)
    }
    fn get_or_insert(&mut self, k: u8, v: u32) -> Result<u32, RefusalReason> {
        self.get_or_insert_with(&k, || v).map_err(|r| r.reason)
    }
    fn contains(&self, k: u8) -> bool {
        self.contains_key(&k)
    }
    fn remove(&mut self, k: u8) -> Option<u32> {
        ShardedTtlCache::remove(self, &k)
    }
    fn purge(&mut self) -> usize {
        self.purge_expired()
    }
    fn clear(&mut self) {
        ShardedTtlCache::clear(self)
    }
    fn len(&self) -> usize {
        ShardedTtlCache::len(self)
    }
    fn weight(&self) -> u64 {
        ShardedTtlCache::weight(self)
    }
    fn stats(&self) -> CacheStats {
        ShardedTtlCache::stats(self)
    }
    fn live(&self) -> Vec<(u8, u32)> {
        self.iter().collect()
    }
}

fn build_unsync(
    cfg: Config,
    clock: &ModelClock,
    events: &Events,
) -> TtlCache<u8, u32, DefaultHashBuilder, ModelClock> {
    let log = events.clone();
    let mut b = TtlCache::builder(cfg.capacity)
        .clock(clock.clone())
        .eviction_listener(move |k, v, c| log.lock().unwrap().push((k, v, c)));
    if let Some(t) = cfg.ttl_ms {
        b = b.time_to_live(Duration::from_millis(t));
    }
    if let Some(t) = cfg.tti_ms {
        b = b.time_to_idle(Duration::from_millis(t));
    }
    if let Some(w) = cfg.max_weight {
        b = b.max_weight(w, |_, v| weigh(*v));
    }
    b.build().unwrap()
}

fn build_sharded(
    cfg: Config,
    clock: &ModelClock,
    events: &Events,
) -> ShardedTtlCache<u8, u32, DefaultHashBuilder, ModelClock> {
    let log = events.clone();
    let mut b = ShardedTtlCache::builder(cfg.capacity)
        .shards(cfg.shards)
        .clock(clock.clone())
        .eviction_listener(move |k, v, c| log.lock().unwrap().push((k, v, c)));
    if let Some(t) = cfg.ttl_ms {
        b = b.time_to_live(Duration::from_millis(t));
    }
    if let Some(t) = cfg.tti_ms {
        b = b.time_to_idle(Duration::from_millis(t));
    }
    if let Some(w) = cfg.max_weight {
        b = b.max_weight(w, |_, v| weigh(*v));
    }
    b.build().unwrap()
}

/// Runs `ops` against `cache` and the model. `weight_budget` is the largest weight a single
/// entry may have (the whole budget, or one shard's share).
fn run(
    cfg: Config,
    ops: &[Op],
    cache: &mut dyn Subject,
    clock: &ModelClock,
    events: &Events,
    weight_budget: Option<u64>,
) {
    let mut m = Model {
        cfg,
        now: 0,
        floor: 0,
        entries: HashMap::new(),
        stats: CacheStats::default(),
    };
    let take = |events: &Events| std::mem::take(&mut *events.lock().unwrap());
    clock.take_reads();
    for op in ops {
        // The cache read the clock during the previous operation: it has seen that time.
        if clock.take_reads() > 0 {
            m.floor = m.now;
        }
        m.now = m.floor.max(clock.get());
        match *op {
            Op::Insert(k, v) | Op::InsertTtl(k, v, _) | Op::GetOrInsert(k, v) => {
                let ttl_ms = match *op {
                    Op::InsertTtl(_, _, t) => Some(t),
                    _ => cfg.ttl_ms,
                };
                let was_live = m.live(k);
                let result = match *op {
                    Op::Insert(..) => cache.insert(k, v).map(|()| v),
                    Op::InsertTtl(_, _, t) => {
                        cache.insert_ttl(k, v, Duration::from_millis(t)).map(|()| v)
                    }
                    _ => cache.get_or_insert(k, v),
                };
                let is_get_or_insert = matches!(op, Op::GetOrInsert(..));
                if is_get_or_insert {
                    if let Some(old) = was_live {
                        assert_eq!(result, Ok(old), "get_or_insert must return the live value");
                        m.stats.hits += 1;
                        if let Some(e) = m.entries.get_mut(&k) {
                            e.last_access = m.now;
                        }
                        m.apply_events(take(events), &|_, _| false);
                        continue;
                    }
                    m.stats.misses += 1;
                }
                let evs = take(events);
                let others: Vec<_> = evs.iter().filter(|e| e.0 != k).copied().collect();
                m.apply_events(evs, &|key, cause| {
                    key == k && cause == EvictionCause::Replaced
                });
                let too_heavy = weight_budget.is_some_and(|b| weigh(v) > b);
                let expected = if ttl_ms == Some(0) {
                    Err(RefusalReason::ZeroTtl)
                } else if too_heavy {
                    Err(RefusalReason::TooHeavy {
                        weight: weigh(v),
                        budget: weight_budget.unwrap(),
                    })
                } else {
                    Ok(v)
                };
                assert_eq!(result, expected, "{op:?}");
                if result.is_err() {
                    // Refusal comes before the sweep and before any eviction.
                    assert!(others.is_empty(), "a refused insert removed {others:?}");
                }
                assert!(
                    !m.entries.contains_key(&k),
                    "the old entry of {k} must be gone"
                );
                if result.is_ok() {
                    if was_live.is_some() {
                        m.stats.updates += 1;
                    } else {
                        m.stats.inserts += 1;
                    }
                    let expires_at = ttl_ms.map_or(u64::MAX, |t| m.now + t * MS);
                    m.entries.insert(
                        k,
                        ModelEntry {
                            value: v,
                            expires_at,
                            last_access: m.now,
                        },
                    );
                }
            }
            Op::Get(k) => {
                let expected = m.live(k);
                let got = cache.get(k);
                assert_eq!(got, expected, "get({k}) at {}", m.now);
                if got.is_some() {
                    m.stats.hits += 1;
                    m.entries.get_mut(&k).unwrap().last_access = m.now;
                } else {
                    m.stats.misses += 1;
                }
                m.apply_events(take(events), &|_, _| false);
            }
            Op::Contains(k) => {
                assert_eq!(cache.contains(k), m.live(k).is_some());
                assert!(take(events).is_empty());
            }
            Op::Remove(k) => {
                let expected = m.live(k);
                assert_eq!(cache.remove(k), expected, "remove({k}) at {}", m.now);
                if expected.is_some() {
                    // Handed back to the caller, not to the listener.
                    m.entries.remove(&k);
                    m.stats.evicted_removed += 1;
                }
                m.apply_events(take(events), &|_, _| false);
                assert!(!m.entries.contains_key(&k));
            }
            Op::Advance(ms) => clock.set(clock.get() + ms * MS),
            Op::StepBack(ms) => clock.set(clock.get().saturating_sub(ms * MS)),
            Op::Purge => {
                let n = cache.purge();
                let evs = take(events);
                assert_eq!(n, evs.len());
                m.apply_events(evs, &|_, _| false);
                let now = m.now;
                assert!(
                    m.entries.values().all(|e| m.deadline(e) > now),
                    "purge left an expired entry resident"
                );
            }
            Op::Clear => {
                cache.clear();
                m.apply_events(take(events), &|_, cause| cause == EvictionCause::Removed);
                assert!(m.entries.is_empty());
            }
        }
        assert_eq!(
            cache.len(),
            m.entries.len(),
            "resident entries after {op:?}"
        );
        assert!(cache.len() <= cfg.capacity);
        if cfg.max_weight.is_some() {
            assert_eq!(cache.weight(), m.weight());
        }
        if let Some(w) = cfg.max_weight {
            assert!(cache.weight() <= w);
        }
        assert_eq!(cache.stats(), m.stats, "stats after {op:?}");
    }
    if clock.take_reads() > 0 {
        m.floor = m.now;
    }
    m.now = m.floor.max(clock.get());
    let mut live = cache.live();
    live.sort();
    let mut expected: Vec<(u8, u32)> = m
        .entries
        .keys()
        .filter_map(|&k| m.live(k).map(|v| (k, v)))
        .collect();
    expected.sort();
    assert_eq!(live, expected, "iteration yields exactly the live entries");
}

proptest! {
    // 256 cases by default; PROPTEST_CASES=n for a longer soak.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn single_thread_cache_matches_the_model(cfg in config(), ops in prop::collection::vec(op(), 1..200)) {
        let clock = ModelClock::default();
        let events = Events::default();
        let mut cache = build_unsync(cfg, &clock, &events);
        run(cfg, &ops, &mut cache, &clock, &events, cfg.max_weight);
    }

    #[test]
    fn sharded_cache_matches_the_model(cfg in config(), ops in prop::collection::vec(op(), 1..200)) {
        let clock = ModelClock::default();
        let events = Events::default();
        let mut cache = build_sharded(cfg, &clock, &events);
        // Each shard gets an even share of the budget: the largest entry one key's shard
        // accepts is its share. Keys are spread by hash, so only check against the smallest
        // share, which every shard has at least.
        let shards = cfg.shards.min(cfg.capacity).min(cfg.max_weight.map_or(usize::MAX, |w| w as usize));
        let share = cfg.max_weight.map(|w| w / shards as u64);
        if cfg.max_weight.is_some() && share != cfg.max_weight.map(|w| w.div_ceil(shards as u64)) {
            // Uneven shares: which share a key gets depends on its hash; skip weighted runs.
            return Ok(());
        }
        run(cfg, &ops, &mut cache, &clock, &events, share);
    }
}
