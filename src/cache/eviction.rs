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
//! The ghost queue holds up to half the capacity in hashes, in a fixed ring plus a hash
//! table reserved at twice that size, so it never allocates after creation.

use hashbrown::HashTable;

use super::slab::{queue_links, List, Slab};

/// Share of the entry capacity given to the small (probationary) queue, in percent.
/// Measured on the traces of `tests/cache_hit_ratio.rs` (after warm-up), small/ghost at
/// 3 %/50 % gives loop 81.5 %, Zipf 79.0 %; at the paper's 10 %/90 %, loop 76.3 %, Zipf 78.4 %.
const SMALL_PERCENT: usize = 3;
/// Ghost capacity, in percent of the entry capacity.
const GHOST_PERCENT: usize = 50;

/// A FIFO of recently evicted key hashes with O(1) membership.
pub(crate) struct Ghost {
    ring: Vec<u64>,
    /// Indices into `ring`, hashed by the hash they point at.
    table: HashTable<u32>,
    next: usize,
}

impl Ghost {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Ghost {
            ring: Vec::with_capacity(capacity),
            // Twice the live maximum (+16 for tiny tables): tombstones are then always
            // cleaned by an in-place rehash, never by growing.
            table: HashTable::with_capacity(2 * capacity + 16),
            next: 0,
        }
    }

    /// Records `hash`, forgetting the oldest one if full.
    pub(crate) fn push(&mut self, hash: u64) {
        let Ghost { ring, table, next } = self;
        // Forget an older record of the same hash so the table holds one per hash.
        if let Ok(e) = table.find_entry(hash, |&p| ring[p as usize] == hash) {
            e.remove();
        }
        let pos = *next;
        if pos < ring.len() {
            let old = ring[pos];
            if let Ok(e) = table.find_entry(old, |&p| p as usize == pos) {
                e.remove();
            }
            ring[pos] = hash;
        } else {
            debug_assert!(ring.len() < ring.capacity());
            ring.push(hash);
        }
        table.insert_unique(hash, pos as u32, |&p| ring[p as usize]);
        *next = if pos + 1 == ring.capacity() {
            0
        } else {
            pos + 1
        };
    }

    /// Whether `hash` was recorded (and not yet forgotten); forgets it if so.
    pub(crate) fn take(&mut self, hash: u64) -> bool {
        let ring = &self.ring;
        match self.table.find_entry(hash, |&p| ring[p as usize] == hash) {
            Ok(e) => {
                e.remove();
                true
            }
            Err(_) => false,
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    #[cfg(test)]
    fn reserved(&self) -> (usize, usize) {
        (self.ring.capacity(), self.table.allocation_size())
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
    pub(crate) fn new(capacity: usize) -> Self {
        let small = (capacity * SMALL_PERCENT / 100).max(1);
        S3Fifo {
            small: List::EMPTY,
            main: List::EMPTY,
            small_target: small as u32,
            ghost: Ghost::with_capacity(capacity * GHOST_PERCENT / 100),
        }
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
    fn ghost_forgets_oldest_and_stays_within_reserve() {
        let mut g = Ghost::with_capacity(4);
        let reserved = g.reserved();
        for round in 0..100u64 {
            for h in 0..6u64 {
                g.push(round * 1000 + h);
            }
            assert!(g.len() <= 4);
        }
        assert_eq!(g.reserved(), reserved, "the ghost never grows");
        assert!(g.take(99_005) && g.take(99_002));
        assert!(!g.take(99_001), "older than the last 4 pushes");
        assert!(!g.take(99_005), "take forgets");
    }

    #[test]
    fn ghost_keeps_one_record_per_hash() {
        let mut g = Ghost::with_capacity(3);
        g.push(7);
        g.push(7);
        g.push(8);
        assert_eq!(g.len(), 2);
        assert!(g.take(7));
        assert!(!g.take(7));
    }
}
