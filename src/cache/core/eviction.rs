//! Eviction: S3-FIFO's queues (Yang et al., SOSP 2023) behind a TinyLFU admission filter
//! (Einziger, Friedman and Manes, 2017), as W-TinyLFU does in Caffeine and moka.
//!
//! * A hit bumps a 2-bit counter in the entry and, if that counter was 0, counts the access
//!   in a frequency [`Sketch`]: nothing moves, no list is touched, nothing is allocated.
//! * A new key enters the small queue (the admission window). When a new key arrives in a
//!   full cache and the window is at its size, the window's oldest entry moves to main if
//!   it was hit meanwhile (as in S3-FIFO); if not, it competes with main's victim (the
//!   oldest main entry whose counter is 0; CLOCK decrements the counters it passes): it
//!   takes the victim's place only if the sketch has counted it at least two more times
//!   than the victim. Otherwise it leaves, and main is untouched.
//! * Main evicts its victim outright when the window is below its size.
//! * The window's size adapts by hill climbing on the hit ratio, as Caffeine sizes its
//!   window: every sample of 10 × capacity requests, the size moves by a step (at first
//!   6.25 % of capacity), in the same direction while the hit ratio does not fall, back the
//!   other way with half the step when it falls; a change of the hit ratio of 5 points or
//!   more restores the full step. It starts at one entry and the first move is down (no
//!   move: one entry is the smallest), so the window grows only after the hit ratio has
//!   fallen once. The size stays between 1 and capacity - 1. The climber is six numbers in
//!   the policy: no allocation, O(1) per sample, one counter increment per hit.
//!
//! Why these choices (the figures are in `bench/results/hit-ratios.md`, from the replay
//! harness, and in `bench/tests/hit_ratio.rs`):
//!
//! * The filter keeps what has been popular: on a loop of keys a little larger than the
//!   cache every key is equally frequent, so no newcomer displaces a resident and all
//!   entries but the window's keep hitting; one-time scans of fresh keys never displace
//!   anything.
//! * No fixed window serves every trace. On the loop every entry the window holds is one
//!   the filter does not protect, and costs a hit per turn: one entry is best. On traces
//!   where keys are read again soon after they are written and rarely after (Twitter's
//!   key-value cache), a new key must stay long enough to be read again, or it meets the
//!   filter with a count of one and leaves: a window of one entry missed 31.4 % of that
//!   trace at 1 % of its keys, against 27.1 % for LRU; the climbing window misses about
//!   24.6 %.
//! * Starting at one entry and moving down first: while the cache fills, the hit ratio
//!   rises whatever the window does, and a climber that moved up first took that rise for
//!   its own doing and grew the window past a thousand entries on Zipf, which then lost
//!   half a point. Turning back with half the step (Caffeine decays it by 2 % per sample)
//!   makes the window settle within a few samples on a stationary trace instead of
//!   wandering by a full step on noise.
//! * The margin of two: with a margin of one, a halving of the sketch in the middle of a
//!   loop leaves the keys seen since one count ahead of those not yet seen, and each then
//!   displaces the next, for a whole turn, depending on where the halving fell. Zipf and
//!   scans gain from it too.
//! * The price is recency: a hot set that moves completely every 10 × capacity requests is
//!   followed more slowly than by LRU, because the old favourites keep their counts until
//!   the sketch halves them (a test with such a trace checks that it is followed at all).

use super::sketch::Sketch;
use super::slab::{queue_links, List, Slab};

/// Entries of the small queue when the cache is built (see the module docs).
const SMALL_ENTRIES: u32 = 1;
/// Requests per sample of the window's climber, per entry of capacity (Caffeine's figure).
const CLIMB_SAMPLE_PER_ENTRY: u64 = 10;
/// The climber's full step, as a share of capacity (Caffeine's figure).
const CLIMB_STEP: f32 = 0.0625;
/// A change of the hit ratio (absolute) past which the step is restored to its full size
/// (Caffeine's figure).
const CLIMB_RESTART: f32 = 0.05;
/// When the hit ratio falls, the climber turns back with this share of its step.
const CLIMB_REVERSE: f32 = 0.5;
/// How many more times than main's victim a candidate must have been counted to replace it.
const ADMIT_MARGIN: u8 = 2;

/// The S3-FIFO queues and the TinyLFU admission filter.
pub(crate) struct S3Fifo {
    small: List,
    main: List,
    window_size: u32,
    sketch: Sketch,
    climber: Climber,
}

/// Hill climbing on the hit ratio, sizing the small queue (the admission window), as
/// Caffeine sizes its window: see the module docs. Four numbers and a few constants: no
/// allocation, O(1) per sample.
struct Climber {
    /// Hits and admissions (misses that inserted) in the current sample.
    hits: u64,
    admissions: u64,
    /// Requests per sample.
    sample: u64,
    /// The previous sample's hit ratio, or a negative number before the first sample.
    previous: f32,
    /// The next move of the window, in entries: negative shrinks it.
    step: f32,
    /// The step after a large change of the hit ratio.
    full_step: f32,
    /// The largest window: capacity - 1, so main keeps at least one entry.
    max_window: u32,
}

impl Climber {
    fn new(capacity: usize) -> Self {
        let full_step = (capacity as f32 * CLIMB_STEP).max(1.0);
        Climber {
            hits: 0,
            admissions: 0,
            sample: (capacity as u64)
                .saturating_mul(CLIMB_SAMPLE_PER_ENTRY)
                .max(1),
            previous: -1.0,
            // The first move shrinks the window, which starts at its smallest: the window
            // grows only once the hit ratio has fallen (see the module docs).
            step: -full_step,
            full_step,
            max_window: u32::try_from(capacity.saturating_sub(1))
                .unwrap_or(u32::MAX)
                .max(SMALL_ENTRIES),
        }
    }

    /// Whether the current sample is complete.
    #[inline]
    fn sample_done(&self) -> bool {
        self.hits + self.admissions >= self.sample
    }

    /// Ends a sample: the window's next size, from its current one.
    fn climb(&mut self, window: u32) -> u32 {
        let rate = self.hits as f32 / (self.hits + self.admissions) as f32;
        let first = self.previous < 0.0;
        let change = rate - self.previous;
        if change.abs() >= CLIMB_RESTART {
            self.step = self.full_step.copysign(self.step);
        }
        if change < 0.0 {
            self.step *= -CLIMB_REVERSE;
        }
        self.previous = rate;
        self.hits = 0;
        self.admissions = 0;
        if first {
            return window;
        }
        let next = (window as f32 + self.step).round();
        (next.max(SMALL_ENTRIES as f32) as u32).min(self.max_window)
    }
}

impl S3Fifo {
    /// The queues for `capacity` entries, or the number of bytes that could not be
    /// allocated (for the sketch).
    pub(crate) fn try_new(capacity: usize) -> Result<Self, usize> {
        Ok(S3Fifo {
            small: List::EMPTY,
            main: List::EMPTY,
            window_size: SMALL_ENTRIES,
            sketch: Sketch::try_with_capacity(capacity)?,
            climber: Climber::new(capacity),
        })
    }

    /// Queues a new entry, in main if `to_main` (it replaces an entry that was there), else
    /// in small, and counts the access in the sketch.
    pub(crate) fn admit<K, V>(&mut self, slab: &mut Slab<K, V>, idx: u32, to_main: bool) {
        let hash = slab.get(idx).hash;
        self.sketch.increment(hash);
        self.climber.admissions += 1;
        if self.climber.sample_done() {
            self.window_size = self.climber.climb(self.window_size);
        }
        slab.get_mut(idx).in_main = to_main;
        if to_main {
            self.main.push_back(slab, idx, queue_links);
        } else {
            self.small.push_back(slab, idx, queue_links);
            if self.small.len > self.window_size {
                // Room to spare (a full cache evicts before admitting, which keeps small
                // within its share): the oldest small entry moves on to main unfiltered.
                let oldest = self
                    .small
                    .pop_front(slab, queue_links)
                    .expect("small is non-empty");
                slab.get_mut(oldest).in_main = true;
                self.main.push_back(slab, oldest, queue_links);
            }
        }
    }

    /// Takes an entry out of its queue (removal or expiry).
    pub(crate) fn unlink<K, V>(&mut self, slab: &mut Slab<K, V>, idx: u32) {
        if slab.get(idx).in_main {
            self.main.unlink(slab, idx, queue_links);
        } else {
            self.small.unlink(slab, idx, queue_links);
        }
    }

    /// Records a hit: bumps the entry's saturating counter and, if it was 0 (the first hit
    /// since the entry arrived or the CLOCK hand last passed it), counts the access in the
    /// sketch. Moves nothing.
    ///
    /// Counting only those first hits keeps the sketch, a random memory access, off most hits
    /// of hot entries, which are not the ones the filter has to judge: a victim has a zero
    /// counter. The hit ratios did not change on the traces of `bench/tests/hit_ratio.rs`.
    #[inline]
    pub(crate) fn on_hit(&mut self, hash: u64, freq: &mut u8) {
        self.climber.hits += 1;
        if *freq == 0 {
            self.sketch.increment(hash);
        }
        if *freq < 3 {
            *freq += 1;
        }
    }

    /// Walks main's CLOCK until its oldest entry has a zero counter (decrementing the
    /// counters it passes and sending those entries to the back) and returns that entry,
    /// still queued. Main must not be empty.
    fn main_victim<K, V>(&mut self, slab: &mut Slab<K, V>) -> u32 {
        loop {
            let idx = self.main.head;
            let e = slab.get_mut(idx);
            if e.freq == 0 {
                return idx;
            }
            e.freq -= 1;
            self.main.pop_front(slab, queue_links);
            self.main.push_back(slab, idx, queue_links);
        }
    }

    /// Chooses the entry to evict for capacity and unlinks it from its queue.
    ///
    /// If the small queue is full, its entry moves to main if it was hit while in small
    /// (and main's victim is evicted), or else competes with main's victim and the loser is
    /// evicted (a tie keeps main's entry). If the small queue is not full, main's victim is
    /// evicted. Amortised O(1): every main entry passed over has its counter decremented
    /// (at most 3 times per hit).
    ///
    /// # Panics
    ///
    /// If both queues are empty (the caller evicts only from a non-empty cache).
    pub(crate) fn victim<K, V>(&mut self, slab: &mut Slab<K, V>) -> u32 {
        if self.main.is_empty() || self.small.len >= self.window_size {
            let candidate = self
                .small
                .pop_front(slab, queue_links)
                .expect("victim() on an empty cache");
            if self.main.is_empty() {
                return candidate;
            }
            let victim = self.main_victim(slab);
            let promote = slab.get(candidate).freq > 0 || {
                let seen = self.sketch.frequency(slab.get(candidate).hash);
                let rival = self.sketch.frequency(slab.get(victim).hash);
                seen >= rival.saturating_add(ADMIT_MARGIN)
            };
            if !promote {
                return candidate;
            }
            self.main.pop_front(slab, queue_links);
            let e = slab.get_mut(candidate);
            e.freq = 0;
            e.in_main = true;
            self.main.push_back(slab, candidate, queue_links);
            victim
        } else {
            let victim = self.main_victim(slab);
            self.main.pop_front(slab, queue_links);
            victim
        }
    }

    #[cfg(test)]
    pub(crate) fn queue_lens(&self) -> (u32, u32) {
        (self.small.len, self.main.len)
    }

    #[cfg(test)]
    pub(crate) fn sketch_words(&self) -> usize {
        self.sketch.words()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::core::slab::{Entry, Timer};

    fn hash(k: u64) -> u64 {
        k.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    /// Stores key `k` in `slab` and queues it as a new entry.
    fn add(slab: &mut Slab<u64, u64>, p: &mut S3Fifo, k: u64) -> u32 {
        let idx = slab.insert(Entry::new(k, k, hash(k), 1, false), Timer::UNTIMED);
        p.admit(slab, idx, false);
        idx
    }

    /// Evicts one entry as the store does and returns its key.
    fn evict(slab: &mut Slab<u64, u64>, p: &mut S3Fifo) -> u64 {
        let idx = p.victim(slab);
        slab.remove(idx).key
    }

    /// A cache of `capacity` keys driven through the policy as the store drives it.
    struct Sim {
        slab: Slab<u64, u64>,
        p: S3Fifo,
        index: std::collections::HashMap<u64, u32>,
        capacity: usize,
    }

    impl Sim {
        fn new(capacity: usize) -> Self {
            Sim {
                slab: Slab::with_capacity(capacity),
                p: S3Fifo::try_new(capacity).unwrap(),
                index: std::collections::HashMap::new(),
                capacity,
            }
        }

        /// One request: a hit, or an insert (evicting first if full).
        fn access(&mut self, k: u64) -> bool {
            if let Some(&i) = self.index.get(&k) {
                let e = self.slab.get_mut(i);
                self.p.on_hit(hash(k), &mut e.freq);
                return true;
            }
            if self.index.len() == self.capacity {
                let gone = evict(&mut self.slab, &mut self.p);
                self.index.remove(&gone);
            }
            let i = add(&mut self.slab, &mut self.p, k);
            self.index.insert(k, i);
            false
        }
    }

    #[test]
    fn the_window_grows_when_new_keys_are_read_again_soon_and_only_then() {
        // A third of the requests are for new keys, a third re-read one of the last 300
        // new keys (at random), a third are for 200 popular keys: with a window of one
        // entry most re-reads miss (the newcomer meets the filter with a count of one);
        // each entry more in the window keeps some.
        let mut sim = Sim::new(1000);
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        let mut hits = 0;
        for i in 0..400_000u64 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let k = match i % 3 {
                0 => 1_000_000 + i,
                1 if i >= 900 => 1_000_000 + i - 1 - 3 * (rng % 300),
                _ => rng % 200,
            };
            let hit = sim.access(k);
            hits += u64::from(hit && i >= 300_000);
        }
        assert!(
            sim.p.window_size >= 200,
            "window {} entries",
            sim.p.window_size
        );
        assert!(hits > 60_000, "{hits} hits in the last 100,000 requests");

        // A loop a little larger than the cache: the window stays small (the hit ratio of
        // a sample varies with where the sample starts in the loop, by 1.6 points here, and
        // the climber takes some of those falls for its own doing), and the other entries
        // hit on every turn.
        let mut sim = Sim::new(1000);
        for _ in 0..300 {
            for k in 0..1100 {
                sim.access(k);
            }
        }
        let turn = (0..1100).filter(|&k| sim.access(k)).count();
        assert!(sim.p.window_size <= 50, "window {}", sim.p.window_size);
        assert!(turn >= 950, "{turn} hits in a turn");
    }

    #[test]
    fn a_newcomer_takes_mains_place_only_if_counted_two_more_times() {
        let mut slab = Slab::with_capacity(4);
        let mut p = S3Fifo::try_new(4).unwrap();
        for k in 1..=4 {
            add(&mut slab, &mut p, k);
        }
        assert_eq!(p.queue_lens(), (1, 3), "the newest waits in small");
        // 4 (counted once) against main's victim 1 (counted once): 4 goes.
        assert_eq!(evict(&mut slab, &mut p), 4);
        add(&mut slab, &mut p, 5);
        // 5 counted twice more than 1 (three times, seen earlier): 1 goes, 5 joins main.
        p.sketch.increment(hash(5));
        p.sketch.increment(hash(5));
        assert_eq!(evict(&mut slab, &mut p), 1);
        assert_eq!(p.queue_lens(), (0, 3));
        // With small empty, main's victim goes: the oldest, 2.
        assert_eq!(evict(&mut slab, &mut p), 2);
        // Counted only one more time than the victim (3): the newcomer goes.
        add(&mut slab, &mut p, 6);
        add(&mut slab, &mut p, 7);
        p.sketch.increment(hash(7));
        assert_eq!(evict(&mut slab, &mut p), 7);
    }

    #[test]
    fn a_newcomer_read_while_in_small_joins_main_and_clock_spares_read_entries() {
        let mut slab = Slab::with_capacity(3);
        let mut p = S3Fifo::try_new(3).unwrap();
        let mut idx = [0; 4];
        for k in 1..=3 {
            idx[k as usize] = add(&mut slab, &mut p, k);
        }
        // Read 3 (in small) and 1 (main's oldest).
        for k in [3, 1] {
            let e = slab.get_mut(idx[k]);
            p.on_hit(hash(k as u64), &mut e.freq);
        }
        // 3 moves to main without meeting the filter; main's victim is 2, because 1's
        // counter buys it a second chance.
        assert_eq!(evict(&mut slab, &mut p), 2);
        assert_eq!(p.queue_lens(), (0, 2));
        // The hand spent 1's second chance and sent it behind 2, ahead of 3.
        assert_eq!(evict(&mut slab, &mut p), 1);
        assert_eq!(evict(&mut slab, &mut p), 3);
    }
}
