//! `TtlCache` against the model in `common/cache_model.rs`: a fuzzed configuration (valid
//! or not), then a fuzzed sequence of operations with a clock that steps forward (a
//! `ManualClock`) or forward and back.

#![no_main]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use poolkit::cache::{CacheStats, Clock, ManualClock, Refused, TtlCache};

#[path = "../common/cache_model.rs"]
mod cache_model;

use cache_model::{
    check_build, run, CacheUnderTest, Config, Events, Key, Op, SteppingClock, TestClock, Val,
};

#[derive(Arbitrary, Debug)]
struct Input {
    config: Config,
    ops: Vec<Op>,
}

struct Single<C: Clock>(TtlCache<Key, Val, poolkit::cache::DefaultHashBuilder, C>);

impl<C: Clock> CacheUnderTest for Single<C> {
    const MUTABLE_READS: bool = true;
    const GLOBAL_BOUNDS: bool = true;
    fn get(&mut self, k: Key) -> Option<Val> {
        self.0.get(&k).cloned()
    }
    fn get_mut_touch(&mut self, k: Key) -> Option<Val> {
        self.0.get_mut(&k).map(|v| {
            v.touches += 1;
            v.clone()
        })
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
        self.0.get_or_insert_with(&k, || v).cloned()
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
        self.0.iter().map(|(k, v)| (*k, v.clone())).collect()
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
        (budget, budget)
    }
}

fn drive<K: TestClock>(input: &Input, clock: K) {
    let config = &input.config;
    let events: Events = Arc::new(Mutex::new(Vec::new()));
    let log = events.clone();
    let mut builder = TtlCache::<Key, Val>::builder(config.capacity.value())
        .clock(clock.clone())
        .eviction_listener(move |k, v, cause| log.lock().unwrap().push((k, v, cause)));
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
    if !check_build(config, &[], &built, |e| e.field()) {
        return;
    }
    let mut cache = Single(built.unwrap());
    run(config, &mut cache, &clock, &events, &input.ops);
}

fuzz_target!(|input: Input| {
    if input.config.stepping_back {
        drive(&input, SteppingClock::default());
    } else {
        drive(&input, ManualClock::new());
    }
});
