//! `ShardedTtlCache` against the model in `common/cache_model.rs`, on one thread; and in
//! some runs on two threads at once, each on its own keys, with the promises that hold
//! while the other thread works checked at every step and the exact accounting (every
//! accepted entry leaves exactly once, through the listener or `remove`; the statistics
//! add up) checked at the end.

#![no_main]

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use poolkit::cache::{
    CacheStats, Clock, DefaultHashBuilder, EvictionCause, ManualClock, Refused, ShardedTtlCache,
};

#[path = "../common/cache_model.rs"]
mod cache_model;

use cache_model::{
    check_build, run, CacheUnderTest, Config, DurationSel, Events, Key, Op, SteppingClock,
    TestClock, Val,
};

#[derive(Arbitrary, Debug)]
struct Input {
    config: Config,
    shards: Option<u8>,
    two_threads: bool,
    ops: Vec<Op>,
}

type Cache<C> = ShardedTtlCache<Key, Val, DefaultHashBuilder, C>;

struct Sharded<C: Clock>(Cache<C>);

impl<C: Clock + Send + Sync> CacheUnderTest for Sharded<C> {
    const MUTABLE_READS: bool = false;
    const GLOBAL_BOUNDS: bool = false;
    fn get(&mut self, k: Key) -> Option<Val> {
        self.0.get(&k)
    }
    fn get_mut_touch(&mut self, k: Key) -> Option<Val> {
        self.0.get_with(&k, Val::clone)
    }
    fn contains(&self, k: Key) -> bool {
        self.0.contains_key(&k)
    }
    fn insert(&mut self, k: Key, v: Val) -> Result<(), Refused<Key, Val>> {
        self.0.insert(k, v)
    }
    fn insert_with_ttl(&mut self, k: Key, v: Val, ttl: Duration) -> Result<(), Refused<Key, Val>> {
        self.0.insert_with_ttl(k, v, ttl)
    }
    fn get_or_insert(&mut self, k: Key, v: Val) -> Result<Val, Refused<Key, Val>> {
        self.0.get_or_insert_with(&k, || v)
    }
    fn remove(&mut self, k: Key) -> Option<Val> {
        self.0.remove(&k)
    }
    fn purge_expired(&mut self) -> usize {
        self.0.purge_expired()
    }
    fn clear(&mut self) {
        self.0.clear()
    }
    fn entries(&self) -> Vec<(Key, Val)> {
        self.0.iter().collect()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn weight(&self) -> u64 {
        self.0.weight()
    }
    fn capacity(&self) -> usize {
        self.0.capacity()
    }
    fn stats(&self) -> CacheStats {
        self.0.stats()
    }
    fn entry_budget(&self, budget: u64) -> (u64, u64) {
        let shards = self.0.shard_count() as u64;
        (budget / shards, budget.div_ceil(shards))
    }
}

fn build<K: TestClock>(input: &Input, clock: &K, events: &Events) -> Option<Cache<K>> {
    let config = &input.config;
    let log = events.clone();
    let mut builder = ShardedTtlCache::<Key, Val>::builder(config.capacity.value())
        .clock(clock.clone())
        .eviction_listener(move |k, v, cause| log.lock().unwrap().push((k, v, cause)));
    if let Some(shards) = input.shards {
        builder = builder.shards(usize::from(shards % 9));
    }
    if let Some(ttl) = config.ttl {
        builder = builder.time_to_live(ttl.duration());
    }
    if let Some(tti) = config.tti {
        builder = builder.time_to_idle(tti.duration());
    }
    if let Some(budget) = config.budget {
        builder = builder.max_weight(budget.value(), |_: &Key, v: &Val| v.weight);
    }
    let built = builder.build();
    let zero_shards: &[&str] = if input.shards.is_some_and(|s| s % 9 == 0) {
        &["shards"]
    } else {
        &[]
    };
    if !check_build(config, zero_shards, &built, |e| e.field()) {
        return None;
    }
    Some(built.unwrap())
}

/// One thread's view of its own keys: the latest entry it stored under each.
struct Mine {
    serial: u64,
    ttl: (u64, Option<u64>),
    idle: (u64, Option<u64>),
}

/// What one thread did, for the accounting at the end.
#[derive(Default)]
struct Tally {
    accepted: HashSet<u64>,
    refused: HashSet<u64>,
    removed: Vec<u64>,
    hits: u64,
    misses: u64,
}

fn deadline(c: u64, m: u64, d: Option<Duration>) -> (u64, Option<u64>) {
    match d {
        None => (u64::MAX, None),
        Some(d) if d == Duration::MAX => (u64::MAX, None),
        Some(d) => {
            let d = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
            (
                c.saturating_add(d),
                m.checked_add(d).filter(|&t| t != u64::MAX),
            )
        }
    }
}

fn surely_expired(e: &Mine, c: u64) -> bool {
    e.ttl.1.is_some_and(|h| c >= h) || e.idle.1.is_some_and(|h| c >= h)
}

/// Runs `ops` on keys `base..base + 64`, checking what holds whatever the other thread
/// does: a value returned is the latest this thread stored under the key and has not
/// surely expired; the bounds hold at every step.
fn worker(
    config: &Config,
    cache: &Cache<ManualClock>,
    clock: &ManualClock,
    ops: &[Op],
    base: Key,
    first_serial: u64,
) -> Tally {
    let mut tally = Tally::default();
    let mut mine: HashMap<Key, Mine> = HashMap::new();
    let mut serial = first_serial;
    let default_ttl = config.ttl.map(DurationSel::duration);
    let tti = config.tti.map(DurationSel::duration);
    let budget = config.budget.map(|b| b.value());
    for op in ops {
        let c = clock.now_nanos();
        let key = |k: Key| base + k % 64;
        let check_hit = |mine: &mut HashMap<Key, Mine>, k: Key, v: &Val, m: u64| {
            let e = mine
                .get_mut(&k)
                .unwrap_or_else(|| panic!("{op:?}: returned {v:?} never stored under {k}"));
            assert_eq!(e.serial, v.serial, "{op:?}: stale value under {k}");
            assert!(!surely_expired(e, c), "{op:?}: expired value returned");
            if tti.is_some() {
                e.idle = deadline(c, m, tti);
            }
        };
        match *op {
            Op::Get(k) | Op::GetMut(k) => {
                let got = cache.get(&key(k));
                let m = clock.now_nanos();
                match got {
                    Some(v) => {
                        tally.hits += 1;
                        check_hit(&mut mine, key(k), &v, m);
                    }
                    None => tally.misses += 1,
                }
            }
            Op::Contains(k) => {
                if cache.contains_key(&key(k)) {
                    let e = mine.get(&key(k)).expect("found a key never stored");
                    assert!(!surely_expired(e, c), "{op:?}: expired key found");
                }
            }
            Op::Insert(k, w) | Op::InsertWithTtl(k, w, _) | Op::GetOrInsert(k, w) => {
                serial += 1;
                let v = Val {
                    serial,
                    weight: w.value(),
                    touches: 0,
                };
                let (ttl, result) = match *op {
                    Op::InsertWithTtl(_, _, d) => (
                        Some(d.duration()),
                        cache.insert_with_ttl(key(k), v.clone(), d.duration()),
                    ),
                    Op::Insert(..) => (default_ttl, cache.insert(key(k), v.clone())),
                    _ => match cache.get_or_insert_with(&key(k), || v.clone()) {
                        Ok(got) if got.serial != serial => {
                            tally.hits += 1;
                            let m = clock.now_nanos();
                            check_hit(&mut mine, key(k), &got, m);
                            continue;
                        }
                        Ok(_) => {
                            tally.misses += 1;
                            (default_ttl, Ok(()))
                        }
                        Err(refused) => {
                            tally.misses += 1;
                            (default_ttl, Err(refused))
                        }
                    },
                };
                let m = clock.now_nanos();
                match result {
                    Ok(()) => {
                        let entry = Mine {
                            serial,
                            ttl: deadline(c, m, ttl),
                            idle: deadline(c, m, tti),
                        };
                        mine.insert(key(k), entry);
                        tally.accepted.insert(serial);
                    }
                    Err(refused) => {
                        assert_eq!((refused.key, refused.value.serial), (key(k), serial));
                        tally.refused.insert(serial);
                        mine.remove(&key(k));
                    }
                }
            }
            Op::Remove(k) => {
                if let Some(v) = cache.remove(&key(k)) {
                    let e = mine.remove(&key(k)).expect("removed a value never stored");
                    assert_eq!(e.serial, v.serial, "{op:?}: removed a stale value");
                    tally.removed.push(v.serial);
                }
            }
            Op::PurgeExpired => {
                cache.purge_expired();
            }
            Op::Clear => {
                cache.clear();
                mine.clear();
            }
            Op::Iter => {
                for (k, v) in cache.iter() {
                    if (base..base.saturating_add(64)).contains(&k) {
                        let e = mine.get(&k).expect("iter yields a key never stored");
                        assert_eq!(e.serial, v.serial, "{op:?}: iter yields a stale value");
                    }
                }
            }
            Op::Advance(d) => clock.advance(d.duration()),
            Op::StepBack(_) => {}
        }
        assert!(cache.len() <= cache.capacity(), "{op:?}: over capacity");
        if let Some(budget) = budget {
            assert!(cache.weight() <= budget, "{op:?}: over the weight budget");
        }
    }
    tally
}

fn two_threads(input: &Input) {
    let clock = ManualClock::new();
    let events: Events = Arc::new(Mutex::new(Vec::new()));
    let Some(cache) = build(input, &clock, &events) else {
        return;
    };
    let (a, b) = input.ops.split_at(input.ops.len() / 2);
    let config = &input.config;
    let (ta, tb) = std::thread::scope(|s| {
        let other = s.spawn(|| worker(config, &cache, &clock, b, 128, 1 << 40));
        let here = worker(config, &cache, &clock, a, 0, 0);
        (here, other.join().unwrap())
    });
    // Every entry still resident leaves through the listener now.
    cache.clear();
    assert_eq!((cache.len(), cache.weight()), (0, 0));
    let events = std::mem::take(&mut *events.lock().unwrap());
    let mut left: HashMap<u64, usize> = HashMap::new();
    let mut by_cause: HashMap<EvictionCause, u64> = HashMap::new();
    for (_, v, cause) in &events {
        *left.entry(v.serial).or_default() += 1;
        *by_cause.entry(*cause).or_default() += 1;
    }
    for serial in ta.removed.iter().chain(&tb.removed) {
        *left.entry(*serial).or_default() += 1;
    }
    for serial in ta.accepted.iter().chain(&tb.accepted) {
        assert_eq!(
            left.remove(serial),
            Some(1),
            "entry {serial} left {:?} times",
            left.get(serial)
        );
    }
    assert!(
        left.is_empty(),
        "values that were never accepted left the cache: {left:?}"
    );
    let s = cache.stats();
    let cause = |c| by_cause.get(&c).copied().unwrap_or(0);
    assert_eq!(
        (s.hits, s.misses),
        (ta.hits + tb.hits, ta.misses + tb.misses)
    );
    assert_eq!(
        (
            s.evicted_expired,
            s.evicted_capacity,
            s.evicted_replaced,
            s.evicted_removed
        ),
        (
            cause(EvictionCause::Expired),
            cause(EvictionCause::Capacity),
            cause(EvictionCause::Replaced),
            cause(EvictionCause::Removed) + (ta.removed.len() + tb.removed.len()) as u64,
        )
    );
    assert_eq!(s.inserts + s.updates, s.evictions(), "{s:?}");
    let refused: HashSet<_> = ta.refused.union(&tb.refused).collect();
    assert!(events.iter().all(|(_, v, _)| !refused.contains(&v.serial)));
}

fn one_thread<K: TestClock>(input: &Input, clock: K) {
    let events: Events = Arc::new(Mutex::new(Vec::new()));
    let Some(cache) = build(input, &clock, &events) else {
        return;
    };
    run(
        &input.config,
        &mut Sharded(cache),
        &clock,
        &events,
        &input.ops,
    );
}

fuzz_target!(|input: Input| {
    if input.two_threads {
        two_threads(&input);
    } else if input.config.stepping_back {
        one_thread(&input, SteppingClock::default());
    } else {
        one_thread(&input, ManualClock::new());
    }
});
