//! The policies a trace is replayed through: poolkit's two caches, the Rust peers, and
//! reference policies written here from their papers (SIEVE, S3-FIFO). Every policy counts
//! entries (each key weighs 1) and inserts the key on a miss.

use std::collections::{HashMap, VecDeque};
use std::num::NonZeroUsize;

use poolkit::cache::{ShardedTtlCache, TtlCache};

/// A cache under replay: `access` looks `key` up, inserts it on a miss, and says whether it
/// was a hit.
pub trait Policy {
    /// One request.
    fn access(&mut self, key: u64) -> bool;
}

/// The shard count `ShardedTtlCache::builder` picks by default on a 2-core machine (16 per
/// core, each shard at least 128 entries), fixed here so that the figures do not depend on
/// the machine that replays.
pub fn default_shards_on_two_cores(capacity: usize) -> usize {
    32.min((capacity / 128).max(1))
}

/// The policies of the table, in column order: name and constructor.
#[allow(clippy::type_complexity)]
pub fn all() -> Vec<(&'static str, fn(usize) -> Box<dyn Policy>)> {
    vec![
        ("TtlCache", |c| Box::new(TtlCache::new(c))),
        ("ShardedTtlCache", |c| {
            Box::new(
                ShardedTtlCache::builder(c)
                    .shards(default_shards_on_two_cores(c))
                    .build()
                    .expect("valid capacity"),
            )
        }),
        ("quick_cache unsync", |c| {
            Box::new(quick_cache::unsync::Cache::<u64, ()>::new(c))
        }),
        ("quick_cache sync", |c| {
            Box::new(quick_cache::sync::Cache::<u64, ()>::new(c))
        }),
        ("LRU (lru crate)", |c| {
            Box::new(lru::LruCache::<u64, ()>::new(
                NonZeroUsize::new(c).expect("capacity >= 1"),
            ))
        }),
        ("SIEVE (harness)", |c| Box::new(Sieve::new(c))),
        ("S3-FIFO (harness)", |c| Box::new(S3Fifo::new(c))),
    ]
}

impl Policy for TtlCache<u64, ()> {
    fn access(&mut self, key: u64) -> bool {
        if self.get(&key).is_some() {
            return true;
        }
        self.insert(key, ()).expect("an unweighted entry fits");
        false
    }
}

impl Policy for ShardedTtlCache<u64, ()> {
    fn access(&mut self, key: u64) -> bool {
        if self.get(&key).is_some() {
            return true;
        }
        self.insert(key, ()).expect("an unweighted entry fits");
        false
    }
}

impl Policy for quick_cache::unsync::Cache<u64, ()> {
    fn access(&mut self, key: u64) -> bool {
        if self.get(&key).is_some() {
            return true;
        }
        self.insert(key, ());
        false
    }
}

impl Policy for quick_cache::sync::Cache<u64, ()> {
    fn access(&mut self, key: u64) -> bool {
        if self.get(&key).is_some() {
            return true;
        }
        self.insert(key, ());
        false
    }
}

impl Policy for lru::LruCache<u64, ()> {
    fn access(&mut self, key: u64) -> bool {
        if self.get(&key).is_some() {
            return true;
        }
        self.put(key, ());
        false
    }
}

const NIL: usize = usize::MAX;

struct Node {
    key: u64,
    visited: bool,
    prev: usize,
    next: usize,
}

/// SIEVE (Zhang et al., NSDI 2024): one FIFO list, a visited bit per entry, and a hand
/// that walks from the oldest entry towards the newest, clearing visited bits and evicting
/// the first unvisited entry it meets; a hit only sets the bit.
pub struct Sieve {
    capacity: usize,
    map: HashMap<u64, usize>,
    nodes: Vec<Node>,
    free: Vec<usize>,
    /// Newest entry.
    head: usize,
    /// Oldest entry.
    tail: usize,
    hand: usize,
}

impl Sieve {
    /// An empty SIEVE cache of `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Sieve {
            capacity,
            map: HashMap::with_capacity(capacity),
            nodes: Vec::with_capacity(capacity),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            hand: NIL,
        }
    }

    fn unlink(&mut self, i: usize) {
        let (prev, next) = (self.nodes[i].prev, self.nodes[i].next);
        if prev == NIL {
            self.head = next;
        } else {
            self.nodes[prev].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.nodes[next].prev = prev;
        }
    }

    fn evict(&mut self) {
        let mut i = if self.hand == NIL {
            self.tail
        } else {
            self.hand
        };
        while self.nodes[i].visited {
            self.nodes[i].visited = false;
            // Towards the newest; past it, around to the oldest.
            i = if self.nodes[i].prev == NIL {
                self.tail
            } else {
                self.nodes[i].prev
            };
        }
        self.hand = self.nodes[i].prev;
        self.unlink(i);
        self.map.remove(&self.nodes[i].key);
        self.free.push(i);
    }
}

impl Policy for Sieve {
    fn access(&mut self, key: u64) -> bool {
        if let Some(&i) = self.map.get(&key) {
            self.nodes[i].visited = true;
            return true;
        }
        if self.map.len() >= self.capacity {
            self.evict();
        }
        let node = Node {
            key,
            visited: false,
            prev: NIL,
            next: self.head,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.nodes[i] = node;
                i
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() - 1
            }
        };
        if self.head != NIL {
            self.nodes[self.head].prev = i;
        }
        self.head = i;
        if self.tail == NIL {
            self.tail = i;
        }
        self.map.insert(key, i);
        false
    }
}

/// S3-FIFO (Yang et al., SOSP 2023): a small FIFO of 10 % of the entries for new keys, a
/// main FIFO with 2-bit counters (CLOCK-like reinsertion), and a ghost FIFO of the keys
/// evicted from small (as many as main holds). A key leaving small moves to main if it was
/// hit while there; a missed key found in the ghost goes straight to main.
pub struct S3Fifo {
    small_capacity: usize,
    main_capacity: usize,
    /// Counter (0..=3) and whether in main, per resident key.
    entries: HashMap<u64, (u8, bool)>,
    small: VecDeque<u64>,
    main: VecDeque<u64>,
    /// Ghost keys with the insertion number that keeps them valid.
    ghost: HashMap<u64, u64>,
    ghost_fifo: VecDeque<(u64, u64)>,
    ghost_seq: u64,
}

impl S3Fifo {
    /// An empty S3-FIFO cache of `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        let small_capacity = (capacity / 10).max(1);
        S3Fifo {
            small_capacity,
            main_capacity: capacity.saturating_sub(small_capacity).max(1),
            entries: HashMap::with_capacity(capacity + 1),
            small: VecDeque::new(),
            main: VecDeque::new(),
            ghost: HashMap::new(),
            ghost_fifo: VecDeque::new(),
            ghost_seq: 0,
        }
    }

    fn capacity(&self) -> usize {
        self.small_capacity + self.main_capacity
    }

    fn remember(&mut self, key: u64) {
        self.ghost_seq += 1;
        self.ghost.insert(key, self.ghost_seq);
        self.ghost_fifo.push_back((key, self.ghost_seq));
        while self.ghost_fifo.len() > self.main_capacity {
            let (k, seq) = self.ghost_fifo.pop_front().expect("non-empty");
            if self.ghost.get(&k) == Some(&seq) {
                self.ghost.remove(&k);
            }
        }
    }

    fn evict_main(&mut self) {
        while let Some(k) = self.main.pop_front() {
            let e = self.entries.get_mut(&k).expect("resident");
            if e.0 > 0 {
                e.0 -= 1;
                self.main.push_back(k);
            } else {
                self.entries.remove(&k);
                return;
            }
        }
    }

    fn evict_small(&mut self) {
        while let Some(k) = self.small.pop_front() {
            let e = self.entries.get_mut(&k).expect("resident");
            if e.0 > 0 {
                *e = (0, true);
                self.main.push_back(k);
                if self.main.len() > self.main_capacity {
                    self.evict_main();
                }
            } else {
                self.entries.remove(&k);
                self.remember(k);
                return;
            }
        }
    }

    fn evict(&mut self) {
        if self.small.len() >= self.small_capacity || self.main.is_empty() {
            self.evict_small();
        } else {
            self.evict_main();
        }
    }
}

impl Policy for S3Fifo {
    fn access(&mut self, key: u64) -> bool {
        if let Some(e) = self.entries.get_mut(&key) {
            e.0 = (e.0 + 1).min(3);
            return true;
        }
        while self.entries.len() >= self.capacity() {
            self.evict();
        }
        if self.ghost.remove(&key).is_some() {
            self.entries.insert(key, (0, true));
            self.main.push_back(key);
        } else {
            self.entries.insert(key, (0, false));
            self.small.push_back(key);
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replays `keys` and returns the hits.
    fn hits(p: &mut dyn Policy, keys: &[u64]) -> Vec<bool> {
        keys.iter().map(|&k| p.access(k)).collect()
    }

    #[test]
    fn sieve_evicts_the_oldest_unvisited_and_keeps_visited_ones() {
        let mut s = Sieve::new(3);
        // 1 2 3 fill; 1 is visited; 4 evicts 2 (oldest unvisited), not 1.
        let got = hits(&mut s, &[1, 2, 3, 1, 4, 1, 2, 3]);
        assert_eq!(got, [false, false, false, true, false, true, false, false]);
    }

    #[test]
    fn s3fifo_sends_unread_newcomers_to_the_ghost_and_ghosts_to_main() {
        // Small 1 entry, main 9. Key 1 arrives, is not read, and is pushed out of small
        // once the cache is full: it becomes a ghost, and coming back it enters main, where
        // it survives a stream of one-time keys.
        let mut s = S3Fifo::new(10);
        let mut trace: Vec<u64> = (1..=11).collect();
        trace.push(1);
        trace.extend(100..120);
        trace.push(1);
        let got = hits(&mut s, &trace);
        assert!(!got[11], "1 was evicted from small");
        assert!(
            got[got.len() - 1],
            "1 came back through the ghost into main"
        );
    }

    #[test]
    fn every_policy_stays_within_its_capacity() {
        for (name, make) in all() {
            let mut p = make(50);
            // After a loop of 100 keys, at most 50 of the last 100 are resident: replaying
            // them again hits at most 50 times.
            let keys: Vec<u64> = (0..100).collect();
            hits(p.as_mut(), &keys);
            let again = hits(p.as_mut(), &keys).iter().filter(|&&h| h).count();
            assert!(again <= 50, "{name}: {again} hits from 50 entries");
        }
    }
}
