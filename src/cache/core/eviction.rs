//! S3-FIFO eviction (Yang et al., SOSP 2023): a small probationary FIFO, a main FIFO with
//! CLOCK-style second chances, and a ghost FIFO of recently evicted key hashes.
//!
//! * A hit only bumps a 2-bit counter in the entry: nothing moves, no list is touched.
//! * New keys enter the small queue (about 3 % of the entries). When the small queue is
//!   over its share, its oldest entry either moves to main (it was hit at least once) or
//!   leaves the cache and its hash enters the ghost queue.
//! * A key whose hash is in the ghost queue skips the small queue and goes to main: this is
//!   what survives a loop larger than the cache (LRU and SIEVE get 0 % there).
//! * Main evicts its oldest entry whose counter is 0, decrementing counters as it passes.
//!
//! The ghost is a direct-mapped table of hash fingerprints with a quarter of the capacity in
//! slots (rounded up to a power of two): one memory access per use, never allocates after
//! creation. It replaced an exact FIFO ghost (ring + hash table) that cost three hash-table
//! probes per miss for the same hit ratios (loop 82.0 %, Zipf 79.0 %).

use super::slab::{queue_links, List, Slab};

/// Share of the entry capacity given to the small (probationary) queue, in percent.
/// Measured on the traces of `bench/tests/hit_ratio.rs` (after warm-up): small 3 % gives
/// loop 82.0 %, Zipf 79.0 %; the paper's 10 % gives loop 76 %, Zipf 78.4 %.
const SMALL_PERCENT: usize = 3;
/// Ghost slots, in percent of the entry capacity (before rounding up to a power of two).
/// 25 % (4,096 slots for 10,000 entries): loop 82.0 %, Zipf 79.0 %; 50 %: 81.6 %, 78.9 %;
/// 100 %: 78.9 %, 78.6 %.
const GHOST_PERCENT: usize = 25;

/// Recently evicted key hashes: a direct-mapped table of 32-bit fingerprints, one memory
/// access per operation. A newer hash landing on the same slot overwrites an older one, so
/// the table forgets old entries at random rather than strictly oldest-first; a false
/// match (two hashes with the same slot and fingerprint) only admits a key to the main
/// queue. Fixed size: never allocates after creation.
pub(crate) struct Ghost {
    slots: Box<[u32]>,
    mask: usize,
}

impl Ghost {
    /// A ghost of about `capacity` slots (rounded up to a power of two), or the number of
    /// bytes that could not be allocated.
    pub(crate) fn try_with_capacity(capacity: usize) -> Result<Self, usize> {
        let slots = capacity.max(1).next_power_of_two();
        let mut table = Vec::new();
        table
            .try_reserve_exact(slots)
            .map_err(|_| slots.saturating_mul(std::mem::size_of::<u32>()))?;
        table.resize(slots, 0);
        Ok(Ghost {
            slots: table.into_boxed_slice(),
            mask: slots - 1,
        })
    }

    #[inline]
    fn slot_and_fingerprint(&self, hash: u64) -> (usize, u32) {
        // Slot from the low bits, fingerprint from the high ones; never 0 (= empty).
        ((hash as usize) & self.mask, ((hash >> 32) as u32) | 1)
    }

    /// Records `hash`, overwriting whatever shared its slot.
    #[inline]
    pub(crate) fn push(&mut self, hash: u64) {
        let (slot, fp) = self.slot_and_fingerprint(hash);
        self.slots[slot] = fp;
    }

    /// Whether `hash` was recorded (and not yet overwritten); forgets it if so.
    #[inline]
    pub(crate) fn take(&mut self, hash: u64) -> bool {
        let (slot, fp) = self.slot_and_fingerprint(hash);
        if self.slots[slot] == fp {
            self.slots[slot] = 0;
            true
        } else {
            false
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.slots.iter().filter(|&&s| s != 0).count()
    }

    #[cfg(test)]
    fn with_capacity(capacity: usize) -> Self {
        Self::try_with_capacity(capacity).expect("test ghost")
    }
}

/// The S3-FIFO queues.
pub(crate) struct S3Fifo {
    small: List,
    main: List,
    small_target: u32,
    pub(crate) ghost: Ghost,
}

impl S3Fifo {
    /// The queues for `capacity` entries, or the number of bytes that could not be
    /// allocated (for the ghost).
    pub(crate) fn try_new(capacity: usize) -> Result<Self, usize> {
        let small = (capacity * SMALL_PERCENT / 100).max(1);
        Ok(S3Fifo {
            small: List::EMPTY,
            main: List::EMPTY,
            small_target: small as u32,
            ghost: Ghost::try_with_capacity(capacity * GHOST_PERCENT / 100)?,
        })
    }

    /// Queues a new entry: in main if `to_main` or its hash is a ghost, else in small.
    pub(crate) fn admit<K, V>(&mut self, slab: &mut Slab<K, V>, idx: u32, to_main: bool) {
        let hash = slab.get(idx).hash;
        let main = to_main || self.ghost.take(hash);
        slab.get_mut(idx).in_main = main;
        if main {
            self.main.push_back(slab, idx, queue_links);
        } else {
            self.small.push_back(slab, idx, queue_links);
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

    /// Records a hit: bumps the saturating counter. Moves nothing.
    #[inline]
    pub(crate) fn on_hit(freq: &mut u8) {
        if *freq < 3 {
            *freq += 1;
        }
    }

    /// Chooses the entry to evict for capacity and unlinks it from its queue.
    ///
    /// Amortised O(1): every entry passed over is either promoted out of small (once per
    /// stay) or has its counter decremented (at most 3 times per hit).
    ///
    /// # Panics
    ///
    /// If both queues are empty (the caller evicts only from a non-empty cache).
    pub(crate) fn victim<K, V>(&mut self, slab: &mut Slab<K, V>) -> u32 {
        loop {
            if self.small.len >= self.small_target || self.main.is_empty() {
                let idx = self
                    .small
                    .pop_front(slab, queue_links)
                    .expect("victim() on an empty cache");
                let e = slab.get_mut(idx);
                if e.freq > 0 {
                    e.freq = 0;
                    e.in_main = true;
                    self.main.push_back(slab, idx, queue_links);
                } else {
                    let hash = e.hash;
                    self.ghost.push(hash);
                    return idx;
                }
            } else {
                let idx = self
                    .main
                    .pop_front(slab, queue_links)
                    .expect("main is non-empty");
                let e = slab.get_mut(idx);
                if e.freq > 0 {
                    e.freq -= 1;
                    self.main.push_back(slab, idx, queue_links);
                } else {
                    return idx;
                }
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn queue_lens(&self) -> (u32, u32) {
        (self.small.len, self.main.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ghost_remembers_the_latest_hash_of_each_slot_and_nothing_else() {
        let mut g = Ghost::with_capacity(5);
        assert_eq!(g.slots.len(), 8, "rounded up to a power of two");
        g.push(0xAAAA_0000_0000_0003);
        assert!(g.take(0xAAAA_0000_0000_0003));
        assert!(!g.take(0xAAAA_0000_0000_0003), "take forgets");
        // Same slot (low bits 3), different fingerprint: the newer one wins.
        g.push(0xAAAA_0000_0000_0003);
        g.push(0xBBBB_0000_0000_0003);
        assert!(
            !g.take(0xAAAA_0000_0000_0003),
            "an overwritten hash is forgotten"
        );
        assert!(
            g.take(0xBBBB_0000_0000_0003),
            "the newest hash of a slot is remembered"
        );
        // Many hashes: exactly the last one pushed into each slot is remembered.
        let hashes: Vec<u64> = (0..10_000u64)
            .map(|h| h.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        for &h in &hashes {
            g.push(h);
        }
        let mut last_in_slot = [None; 8];
        for &h in &hashes {
            last_in_slot[(h & 7) as usize] = Some(h);
        }
        let remembered: Vec<u64> = hashes.iter().copied().filter(|&h| g.take(h)).collect();
        let mut expected: Vec<u64> = last_in_slot.iter().flatten().copied().collect();
        expected.sort_unstable();
        let mut got = remembered.clone();
        got.sort_unstable();
        got.dedup();
        assert_eq!(got, expected);
        assert_eq!(remembered.len(), expected.len(), "each remembered once");
    }
}
