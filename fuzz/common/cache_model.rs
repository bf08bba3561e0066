//! A model of the caches' documented promises, shared by the two cache fuzz targets.
//!
//! The model does not know the eviction policy: it learns every removal from the eviction
//! listener (and from `remove`'s return value), and checks that each one is allowed. What
//! it checks after every operation:
//!
//! * bounds: `len() <= capacity`, `weight() <= budget`, and both equal the model's own
//!   count and weight of resident entries;
//! * an expired entry is never returned, and a live entry is never reported expired;
//! * a removed entry is gone; each entry reaches the listener at most once, with a cause
//!   the operation allows (`Replaced` only for the key written, `Capacity` only on a write,
//!   `Removed` only by `clear`), and an entry that leaves without the listener is caught by
//!   the count and the contents check;
//! * the statistics add up: hits and misses per lookup, evictions per cause, and
//!   `inserts + updates - evictions == len()`.
//!
//! Time is an interval. The cache reads its clock only when some entry can expire and
//! never lets time go backwards (it keeps the latest reading), so during an operation the
//! cache's "now" lies between the clock's current value `c` and the largest value it ever
//! showed `m`. An entry is *surely live* if `m` is before its deadline and *surely expired*
//! if `c` is past it; between the two, either answer is allowed.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arbitrary::Arbitrary;
use poolkit::cache::{CacheStats, Clock, EvictionCause, ManualClock, RefusalReason, Refused};

/// Keys: few of them, so that operations meet the same entries.
pub type Key = u8;

/// A value: a serial number unique per insert attempt, so each entry is told apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Val {
    pub serial: u64,
    pub weight: u64,
    pub touches: u32,
}

/// What the listener saw, in order.
pub type Events = Arc<Mutex<Vec<(Key, Val, EvictionCause)>>>;

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum WeightSel {
    One,
    Small(u8),
    Large(u32),
    NearMax(u8),
}

impl WeightSel {
    pub fn value(self) -> u64 {
        match self {
            WeightSel::One => 1,
            WeightSel::Small(w) => u64::from(w),
            WeightSel::Large(w) => u64::from(w) << 10,
            WeightSel::NearMax(d) => u64::MAX - u64::from(d),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum DurationSel {
    Zero,
    Nanos(u16),
    Millis(u16),
    Secs(u16),
    Max,
    HugeNanos(u64),
}

impl DurationSel {
    pub fn duration(self) -> Duration {
        match self {
            DurationSel::Zero => Duration::ZERO,
            DurationSel::Nanos(n) => Duration::from_nanos(u64::from(n)),
            DurationSel::Millis(n) => Duration::from_millis(u64::from(n)),
            DurationSel::Secs(n) => Duration::from_secs(u64::from(n)),
            DurationSel::Max => Duration::MAX,
            DurationSel::HugeNanos(n) => Duration::from_nanos(n),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum BudgetSel {
    Small(u8),
    Medium(u16),
    Max,
    Any(u64),
}

impl BudgetSel {
    pub fn value(self) -> u64 {
        match self {
            BudgetSel::Small(b) => u64::from(b),
            BudgetSel::Medium(b) => u64::from(b) << 8,
            BudgetSel::Max => u64::MAX,
            BudgetSel::Any(b) => b,
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum CapacitySel {
    Small(u8),
    TooLarge,
    WayTooLarge,
}

impl CapacitySel {
    pub fn value(self) -> usize {
        match self {
            CapacitySel::Small(c) => usize::from(c % 40),
            CapacitySel::TooLarge => u32::MAX as usize,
            CapacitySel::WayTooLarge => usize::MAX,
        }
    }
}

/// A cache configuration, valid or not.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct Config {
    pub capacity: CapacitySel,
    pub ttl: Option<DurationSel>,
    pub tti: Option<DurationSel>,
    pub budget: Option<BudgetSel>,
    /// Drive a `ManualClock` (forward only) or a clock that also steps back.
    pub stepping_back: bool,
}

impl Config {
    /// The fields `build()` must refuse (it names one of them), if the configuration is
    /// invalid.
    pub fn invalid_fields(&self) -> Vec<&'static str> {
        let mut fields = Vec::new();
        let capacity = self.capacity.value();
        if capacity == 0 || capacity >= u32::MAX as usize {
            fields.push("capacity");
        }
        if self.budget.map(BudgetSel::value) == Some(0) {
            fields.push("max_weight");
        }
        if self.ttl.map(DurationSel::duration) == Some(Duration::ZERO) {
            fields.push("time_to_live");
        }
        if self.tti.map(DurationSel::duration) == Some(Duration::ZERO) {
            fields.push("time_to_idle");
        }
        fields
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Op {
    Get(Key),
    GetMut(Key),
    Contains(Key),
    Insert(Key, WeightSel),
    InsertWithTtl(Key, WeightSel, DurationSel),
    GetOrInsert(Key, WeightSel),
    Remove(Key),
    PurgeExpired,
    Clear,
    Iter,
    Advance(DurationSel),
    StepBack(DurationSel),
}

/// A clock the harness can move.
pub trait TestClock: Clock + Clone + Send + Sync + 'static {
    fn forward(&self, by: Duration);
    fn back(&self, by: Duration);
    fn read(&self) -> u64;
}

impl TestClock for ManualClock {
    fn forward(&self, by: Duration) {
        self.advance(by);
    }
    fn back(&self, _by: Duration) {
        // A `ManualClock` never goes backwards.
    }
    fn read(&self) -> u64 {
        self.now_nanos()
    }
}

/// A clock that steps forward and back: the cache must treat a step back as time
/// standing still.
#[derive(Clone, Default, Debug)]
pub struct SteppingClock(Arc<AtomicU64>);

impl Clock for SteppingClock {
    fn now_nanos(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl TestClock for SteppingClock {
    fn forward(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(by))
            });
    }
    fn back(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_sub(by))
            });
    }
    fn read(&self) -> u64 {
        self.now_nanos()
    }
}

/// The operations both caches offer, as the harness calls them.
pub trait CacheUnderTest {
    /// Whether `get_mut` hands out the value in place (the single-thread cache); the
    /// concurrent cache reads it with `get_with` instead.
    const MUTABLE_READS: bool;
    /// Whether evictions for capacity happen only when the whole cache is full (not so
    /// for the sharded cache: each shard has its own share).
    const GLOBAL_BOUNDS: bool;
    fn get(&mut self, k: Key) -> Option<Val>;
    fn get_mut_touch(&mut self, k: Key) -> Option<Val>;
    fn contains(&self, k: Key) -> bool;
    fn insert(&mut self, k: Key, v: Val) -> Result<(), Refused<Key, Val>>;
    fn insert_with_ttl(&mut self, k: Key, v: Val, ttl: Duration) -> Result<(), Refused<Key, Val>>;
    fn get_or_insert(&mut self, k: Key, v: Val) -> Result<Val, Refused<Key, Val>>;
    fn remove(&mut self, k: Key) -> Option<Val>;
    fn purge_expired(&mut self) -> usize;
    fn clear(&mut self);
    fn entries(&self) -> Vec<(Key, Val)>;
    fn len(&self) -> usize;
    fn weight(&self) -> u64;
    fn capacity(&self) -> usize;
    fn stats(&self) -> CacheStats;
    /// The smallest and largest weight budget of one entry's part of the cache (its
    /// shard), out of the whole `budget`: an entry heavier than the first may be refused
    /// as too heavy, one heavier than the second must be.
    fn entry_budget(&self, budget: u64) -> (u64, u64);
}

/// When an entry expires, as an interval: `lo` is the earliest the cache may consider
/// it expired, `hi` the latest (`None`: it may never expire).
#[derive(Clone, Copy, Debug)]
struct Deadline {
    lo: u64,
    hi: Option<u64>,
}

impl Deadline {
    const NEVER: Deadline = Deadline {
        lo: u64::MAX,
        hi: None,
    };

    /// The deadline of something that starts at the cache's "now" in `[c, m]` and lasts
    /// `nanos` (`None`: forever).
    fn after(c: u64, m: u64, nanos: Option<u64>) -> Deadline {
        match nanos {
            None => Deadline::NEVER,
            Some(d) => Deadline {
                // The cache caps a finite deadline just below its "never" (u64::MAX ns),
                // so at the end of the clock's range an entry expires there.
                lo: c.saturating_add(d).min(u64::MAX - 1),
                // A deadline at the end of time may well mean "never".
                hi: m.checked_add(d).filter(|&t| t != u64::MAX),
            },
        }
    }
}

#[derive(Clone, Debug)]
struct Entry {
    val: Val,
    weight: u64,
    ttl: Deadline,
    idle: Deadline,
}

impl Entry {
    fn surely_live(&self, m: u64) -> bool {
        m < self.ttl.lo.min(self.idle.lo)
    }
    fn surely_expired(&self, c: u64) -> bool {
        self.ttl.hi.is_some_and(|h| c >= h) || self.idle.hi.is_some_and(|h| c >= h)
    }
}

fn nanos(d: Duration) -> Option<u64> {
    if d == Duration::MAX {
        None
    } else {
        Some(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }
}

/// The kinds of operation, for the causes each allows.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Read,
    Write(Key),
    Clear,
    Quiet,
}

/// The model of one cache.
pub struct Model {
    entries: HashMap<Key, Entry>,
    capacity: usize,
    budget: Option<u64>,
    default_ttl: Option<u64>,
    tti: Option<u64>,
    hits: u64,
    misses: u64,
    expired: u64,
    capacity_evictions: u64,
    replaced: u64,
    removed: u64,
    serial: u64,
}

impl Model {
    pub fn new(config: &Config) -> Model {
        Model {
            entries: HashMap::new(),
            capacity: config.capacity.value(),
            budget: config.budget.map(BudgetSel::value),
            default_ttl: config.ttl.and_then(|d| nanos(d.duration())),
            tti: config.tti.and_then(|d| nanos(d.duration())),
            hits: 0,
            misses: 0,
            expired: 0,
            capacity_evictions: 0,
            replaced: 0,
            removed: 0,
            serial: 0,
        }
    }

    fn new_val(&mut self, w: WeightSel) -> Val {
        self.serial += 1;
        Val {
            serial: self.serial,
            weight: w.value(),
            touches: 0,
        }
    }

    /// The weight the cache gives `v`: its own with a weigher, 1 without.
    fn weight_of(&self, v: &Val) -> u64 {
        if self.budget.is_some() {
            v.weight
        } else {
            1
        }
    }

    fn total_weight(&self) -> u128 {
        self.entries.values().map(|e| u128::from(e.weight)).sum()
    }

    /// Takes the listener's events for one operation out of the model, checking each.
    /// Events about the value being written (`fresh`) are returned for later.
    fn apply_events(
        &mut self,
        events: &Events,
        kind: Kind,
        m: u64,
        fresh: Option<u64>,
        op: &Op,
    ) -> (Vec<(Key, Val, EvictionCause)>, usize) {
        let taken = std::mem::take(&mut *events.lock().unwrap());
        if kind == Kind::Quiet {
            assert!(
                taken.is_empty(),
                "{op:?}: a read-only call removed {taken:?}"
            );
        }
        let mut later = Vec::new();
        let mut expired = 0;
        for (k, v, cause) in taken {
            if Some(v.serial) == fresh {
                later.push((k, v, cause));
                continue;
            }
            let entry = self.entries.remove(&k).unwrap_or_else(|| {
                panic!("{op:?}: listener got ({k}, {v:?}, {cause:?}), which is not resident")
            });
            assert_eq!(
                entry.val, v,
                "{op:?}: listener got another value of key {k}"
            );
            match cause {
                EvictionCause::Expired => {
                    assert!(
                        !entry.surely_live(m),
                        "{op:?}: live entry {k} reported expired ({entry:?}, now at most {m})"
                    );
                    self.expired += 1;
                    expired += 1;
                }
                EvictionCause::Capacity => {
                    assert!(
                        matches!(kind, Kind::Write(_)),
                        "{op:?}: capacity eviction of {k} outside a write"
                    );
                    self.capacity_evictions += 1;
                }
                EvictionCause::Replaced => {
                    assert_eq!(kind, Kind::Write(k), "{op:?}: {k} replaced by another key");
                    self.replaced += 1;
                }
                EvictionCause::Removed => {
                    assert_eq!(kind, Kind::Clear, "{op:?}: {k} removed outside clear");
                    self.removed += 1;
                }
                other => panic!("{op:?}: unknown cause {other:?}"),
            }
        }
        (later, expired)
    }

    /// Checks a value returned by a lookup of `k`, and records the read.
    fn check_returned(&mut self, k: Key, v: &Val, c: u64, m: u64, op: &Op) {
        let tti = self.tti;
        let entry = self
            .entries
            .get_mut(&k)
            .unwrap_or_else(|| panic!("{op:?}: returned {v:?}, but {k} is not resident"));
        assert_eq!(&entry.val, v, "{op:?}: returned a stale value");
        assert!(
            !entry.surely_expired(c),
            "{op:?}: returned an expired entry ({entry:?}, now at least {c})"
        );
        if tti.is_some() {
            entry.idle = Deadline::after(c, m, tti);
        }
    }

    /// Applies a write of `v` under `k` (an insert, or a `get_or_insert` miss).
    #[allow(clippy::too_many_arguments)]
    fn write<C: CacheUnderTest>(
        &mut self,
        cache: &C,
        events: &Events,
        k: Key,
        v: Val,
        ttl: Option<u64>,
        zero_ttl: bool,
        result: Result<(), Refused<Key, Val>>,
        c: u64,
        m: u64,
        op: &Op,
    ) {
        let weight = self.weight_of(&v);
        let (later, _) = self.apply_events(events, Kind::Write(k), m, Some(v.serial), op);
        assert!(
            !self.entries.contains_key(&k),
            "{op:?}: the old entry of {k} is still resident after a write (or left without the listener)"
        );
        let too_heavy = self
            .budget
            .is_some_and(|b| weight > cache.entry_budget(b).1);
        match result {
            Ok(()) => {
                assert!(!zero_ttl, "{op:?}: a zero TTL accepted");
                assert!(
                    !too_heavy,
                    "{op:?}: weight {weight} accepted over the budget"
                );
                self.entries.insert(
                    k,
                    Entry {
                        val: v,
                        weight,
                        ttl: Deadline::after(c, m, ttl),
                        idle: Deadline::after(c, m, self.tti),
                    },
                );
            }
            Err(refused) => {
                assert_eq!(refused.key, k, "{op:?}: refusal handed back another key");
                assert_eq!(
                    refused.value, v,
                    "{op:?}: refusal handed back another value"
                );
                match refused.reason {
                    RefusalReason::ZeroTtl => assert!(zero_ttl, "{op:?}: refused for zero TTL"),
                    RefusalReason::TooHeavy {
                        weight: w,
                        budget: b,
                    } => {
                        assert_eq!(w, weight, "{op:?}: refusal reports another weight");
                        assert!(w > b, "{op:?}: refused weight {w} within budget {b}");
                        let budget = self.budget.expect("refused as too heavy with no budget");
                        assert!(b <= budget, "{op:?}: refusal's budget {b} over {budget}");
                        let (least, most) = cache.entry_budget(budget);
                        assert!(
                            least <= b && b <= most,
                            "{op:?}: refusal's budget {b} is no share of {budget}"
                        );
                    }
                    other => panic!("{op:?}: unknown refusal {other:?}"),
                }
            }
        }
        for (k2, v2, cause) in later {
            // The new entry itself left during its own write.
            let entry = self
                .entries
                .remove(&k2)
                .unwrap_or_else(|| panic!("{op:?}: listener got refused value {v2:?}"));
            assert_eq!(entry.val, v2);
            match cause {
                EvictionCause::Capacity => self.capacity_evictions += 1,
                EvictionCause::Expired => {
                    assert!(
                        !entry.surely_live(m),
                        "{op:?}: fresh entry reported expired"
                    );
                    self.expired += 1;
                }
                other => panic!("{op:?}: the entry being written left with cause {other:?}"),
            }
        }
    }

    /// Checks the bounds, the contents' size and weight, and the statistics.
    fn check_state<C: CacheUnderTest>(&self, cache: &C, op: &Op) {
        let len = cache.len();
        assert_eq!(len, self.entries.len(), "{op:?}: len");
        assert!(
            len <= self.capacity,
            "{op:?}: {len} entries over capacity {}",
            self.capacity
        );
        assert_eq!(cache.capacity(), self.capacity, "{op:?}: capacity");
        let weight = cache.weight();
        assert_eq!(u128::from(weight), self.total_weight(), "{op:?}: weight");
        if let Some(budget) = self.budget {
            assert!(
                weight <= budget,
                "{op:?}: weight {weight} over budget {budget}"
            );
        }
        let s = cache.stats();
        assert_eq!(
            (s.hits, s.misses),
            (self.hits, self.misses),
            "{op:?}: hits, misses"
        );
        assert_eq!(
            (
                s.evicted_expired,
                s.evicted_capacity,
                s.evicted_replaced,
                s.evicted_removed
            ),
            (
                self.expired,
                self.capacity_evictions,
                self.replaced,
                self.removed
            ),
            "{op:?}: evictions by cause"
        );
        assert_eq!(
            i128::from(s.inserts) + i128::from(s.updates) - i128::from(s.evictions()),
            len as i128,
            "{op:?}: inserts + updates - evictions != len ({s:?})"
        );
    }

    /// Checks the live contents as `iter` shows them, at time `[c, m]`.
    fn check_contents<C: CacheUnderTest>(&self, cache: &C, c: u64, m: u64, op: &Op) {
        let seen = cache.entries();
        let mut keys = std::collections::HashSet::new();
        for (k, v) in &seen {
            assert!(keys.insert(*k), "{op:?}: iter yields {k} twice");
            let entry = self
                .entries
                .get(k)
                .unwrap_or_else(|| panic!("{op:?}: iter yields {k}, which is not resident"));
            assert_eq!(&entry.val, v, "{op:?}: iter yields a stale value of {k}");
            assert!(!entry.surely_expired(c), "{op:?}: iter yields expired {k}");
        }
        for (k, entry) in &self.entries {
            if entry.surely_live(m) {
                assert!(keys.contains(k), "{op:?}: live entry {k} missing from iter");
            }
        }
    }
}

/// Checks `build()`'s answer for `config` (`extra_invalid`: fields the caller knows to
/// be invalid too); returns whether there is a cache to go on with.
pub fn check_build<T, E: std::fmt::Display>(
    config: &Config,
    extra_invalid: &[&'static str],
    built: &Result<T, E>,
    field: impl Fn(&E) -> &'static str,
) -> bool {
    let mut invalid = config.invalid_fields();
    invalid.extend_from_slice(extra_invalid);
    match built {
        Ok(_) => {
            assert!(
                invalid.is_empty(),
                "{config:?}: invalid {invalid:?} accepted"
            );
            true
        }
        Err(e) => {
            assert!(
                invalid.contains(&field(e)),
                "{config:?}: refused for `{}` ({e}), invalid: {invalid:?}",
                field(e)
            );
            assert!(!e.to_string().is_empty());
            false
        }
    }
}

/// Runs `ops` on `cache`, one at a time, checking the model after each.
pub fn run<C: CacheUnderTest, K: TestClock>(
    config: &Config,
    cache: &mut C,
    clock: &K,
    events: &Events,
    ops: &[Op],
) {
    let mut model = Model::new(config);
    let mut max = clock.read();
    for op in ops {
        let c = clock.read();
        let m = max;
        match *op {
            Op::Get(k) | Op::GetMut(k) => {
                let touch = matches!(op, Op::GetMut(_)) && C::MUTABLE_READS;
                let got = if matches!(op, Op::GetMut(_)) {
                    cache.get_mut_touch(k)
                } else {
                    cache.get(k)
                };
                model.apply_events(events, Kind::Read, m, None, op);
                match got {
                    Some(v) => {
                        model.hits += 1;
                        if touch {
                            let entry = model.entries.get_mut(&k).expect("touched a ghost");
                            entry.val.touches += 1;
                        }
                        model.check_returned(k, &v, c, m, op);
                    }
                    None => {
                        model.misses += 1;
                        assert!(
                            !model.entries.contains_key(&k),
                            "{op:?}: a miss left {k} resident"
                        );
                    }
                }
            }
            Op::Contains(k) => {
                let found = cache.contains(k);
                model.apply_events(events, Kind::Quiet, m, None, op);
                match model.entries.get(&k) {
                    Some(e) if found => {
                        assert!(!e.surely_expired(c), "{op:?}: expired {k} found")
                    }
                    Some(e) => assert!(!e.surely_live(m), "{op:?}: live {k} not found"),
                    None => assert!(!found, "{op:?}: absent {k} found"),
                }
            }
            Op::Insert(k, w) | Op::InsertWithTtl(k, w, _) => {
                let v = model.new_val(w);
                let (ttl, zero, result) = match *op {
                    Op::InsertWithTtl(_, _, d) => {
                        let d = d.duration();
                        (
                            nanos(d),
                            d.is_zero(),
                            cache.insert_with_ttl(k, v.clone(), d),
                        )
                    }
                    _ => (model.default_ttl, false, cache.insert(k, v.clone())),
                };
                let capacity_before = model.capacity_evictions;
                let full_before = model.entries.len() >= model.capacity
                    || model.budget.is_some_and(|b| {
                        model.total_weight() + u128::from(model.weight_of(&v)) > u128::from(b)
                    });
                model.write(&*cache, events, k, v, ttl, zero, result, c, m, op);
                if C::GLOBAL_BOUNDS && model.capacity_evictions > capacity_before {
                    assert!(full_before, "{op:?}: capacity eviction with room to spare");
                }
            }
            Op::GetOrInsert(k, w) => {
                let v = model.new_val(w);
                let capacity_before = model.capacity_evictions;
                let full_before = model.entries.len() >= model.capacity
                    || model.budget.is_some_and(|b| {
                        model.total_weight() + u128::from(model.weight_of(&v)) > u128::from(b)
                    });
                let result = cache.get_or_insert(k, v.clone());
                match result {
                    Ok(got) if got.serial != v.serial => {
                        model.apply_events(events, Kind::Read, m, None, op);
                        model.hits += 1;
                        model.check_returned(k, &got, c, m, op);
                    }
                    Ok(_) => {
                        model.misses += 1;
                        let ttl = model.default_ttl;
                        model.write(&*cache, events, k, v, ttl, false, Ok(()), c, m, op);
                    }
                    Err(refused) => {
                        model.misses += 1;
                        let ttl = model.default_ttl;
                        model.write(&*cache, events, k, v, ttl, false, Err(refused), c, m, op);
                    }
                }
                if C::GLOBAL_BOUNDS && model.capacity_evictions > capacity_before {
                    assert!(full_before, "{op:?}: capacity eviction with room to spare");
                }
            }
            Op::Remove(k) => {
                let got = cache.remove(k);
                model.apply_events(events, Kind::Read, m, None, op);
                match got {
                    Some(v) => {
                        let entry = model
                            .entries
                            .remove(&k)
                            .unwrap_or_else(|| panic!("{op:?}: removed a ghost {v:?}"));
                        assert_eq!(entry.val, v, "{op:?}: removed a stale value");
                        assert!(
                            !entry.surely_expired(c),
                            "{op:?}: handed out an expired value"
                        );
                        model.removed += 1;
                    }
                    None => assert!(
                        !model.entries.contains_key(&k),
                        "{op:?}: {k} still resident after remove returned None"
                    ),
                }
            }
            Op::PurgeExpired => {
                let n = cache.purge_expired();
                let (_, expired) = model.apply_events(events, Kind::Read, m, None, op);
                assert_eq!(
                    n, expired,
                    "{op:?}: purge count differs from the listener's"
                );
                for (k, e) in &model.entries {
                    assert!(!e.surely_expired(c), "{op:?}: expired {k} survived a purge");
                }
            }
            Op::Clear => {
                cache.clear();
                model.apply_events(events, Kind::Clear, m, None, op);
                assert!(
                    model.entries.is_empty(),
                    "{op:?}: entries left without the listener"
                );
            }
            Op::Iter => {
                model.apply_events(events, Kind::Quiet, m, None, op);
            }
            Op::Advance(d) => {
                clock.forward(d.duration());
                max = max.max(clock.read());
            }
            Op::StepBack(d) => clock.back(d.duration()),
        }
        model.check_state(&*cache, op);
        model.check_contents(&*cache, clock.read(), max, op);
        // `iter` may read the clock: nothing leaves, nothing reaches the listener.
        model.apply_events(events, Kind::Quiet, max, None, op);
    }
}
