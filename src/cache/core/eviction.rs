//! Eviction: S3-FIFO's queues (Yang et al., SOSP 2023) behind a TinyLFU admission filter
//! (Einziger, Friedman and Manes, 2017), as W-TinyLFU does in Caffeine and moka.
//!
//! * A hit bumps a 2-bit counter in the entry and, if that counter was 0, counts the access
//!   in a frequency [`Sketch`]: nothing moves, no list is touched, nothing is allocated.
//! * A new key enters the small queue, which holds a single entry. When the next new key
//!   arrives in a full cache, the small entry moves to main if it was hit meanwhile (as in
//!   S3-FIFO); if not, it competes with main's victim (the oldest main
//!   entry whose counter is 0; CLOCK decrements the counters it passes): it takes the
//!   victim's place only if the sketch has counted it at least two more times than
//!   the victim. Otherwise it leaves, and main is untouched.
//! * Main evicts its victim outright when the small queue is empty (after a removal).
//!
//! Why these choices (the README has the figures, from `bench/tests/hit_ratio.rs`):
//!
//! * The filter keeps what has been popular: on a loop of keys a little larger than the
//!   cache every key is equally frequent, so no newcomer displaces a resident and all
//!   entries but the small one keep hitting; one-time scans of fresh keys never displace
//!   anything.
//! * A small queue of one entry: every entry a larger window holds is one the filter does
//!   not protect, and on the loop each costs a hit per turn; on Zipf and scans the
//!   size made no difference above the noise.
//! * The margin of two: with a margin of one, a halving of the sketch in the middle of a
//!   loop leaves the keys seen since one count ahead of those not yet seen, and each then
//!   displaces the next, for a whole turn, depending on where the halving fell. Zipf and
//!   scans gain from it too.
//! * The price is recency: a hot set that moves completely every 10 × capacity requests is
//!   followed more slowly than by LRU, because the old favourites keep their counts until
//!   the sketch halves them (a test with such a trace checks that it is followed at all).

use super::sketch::Sketch;
use super::slab::{queue_links, List, Slab};

/// Entries of the small queue: one (see the module docs).
const SMALL_ENTRIES: u32 = 1;
/// How many more times than main's victim a candidate must have been counted to replace it.
const ADMIT_MARGIN: u8 = 2;

/// The S3-FIFO queues and the TinyLFU admission filter.
pub(crate) struct S3Fifo {
    small: List,
    main: List,
    small_target: u32,
    sketch: Sketch,
}

impl S3Fifo {
    /// The queues for `capacity` entries, or the number of bytes that could not be
    /// allocated (for the sketch).
    pub(crate) fn try_new(capacity: usize) -> Result<Self, usize> {
        Ok(S3Fifo {
            small: List::EMPTY,
            main: List::EMPTY,
            small_target: SMALL_ENTRIES,
            sketch: Sketch::try_with_capacity(capacity)?,
        })
    }

    /// Queues a new entry, in main if `to_main` (it replaces an entry that was there), else
    /// in small, and counts the access in the sketch.
    pub(crate) fn admit<K, V>(&mut self, slab: &mut Slab<K, V>, idx: u32, to_main: bool) {
        let hash = slab.get(idx).hash;
        self.sketch.increment(hash);
        slab.get_mut(idx).in_main = to_main;
        if to_main {
            self.main.push_back(slab, idx, queue_links);
        } else {
            self.small.push_back(slab, idx, queue_links);
            if self.small.len > self.small_target {
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
        if self.main.is_empty() || self.small.len >= self.small_target {
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
