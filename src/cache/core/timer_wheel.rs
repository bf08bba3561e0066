//! A hierarchical timer wheel whose lists are threaded through the slab entries by index:
//! scheduling, cancelling and expiring never allocate.
//!
//! Five levels of 64 buckets. Level 0 buckets are 2^20 ns (about 1.05 ms) wide; each level
//! above is 64 times coarser (67 ms, 4.3 s, 4.6 min, 4.9 h per bucket), so level 4 spans
//! about 13 days; later deadlines wait in level 4 and are re-filed when their bucket comes
//! round. An entry is filed at the finest level whose span covers its remaining time, so
//! its bucket is reached no later than its deadline.
//!
//! [`TimerWheel::advance`] moves time forward: every bucket whose time has passed is moved
//! onto a *pending* list (at most 64 buckets per level). Moving a bucket walks its entries
//! to mark them pending, so one `advance` after a long quiet period costs up to O(entries)
//! under the shard lock; each entry is moved at most once per level, so the cost is O(1)
//! amortised per entry, not per write. Pending entries are
//! then examined a bounded number at a time by [`TimerWheel::pop_expired`]: an entry whose
//! deadline has passed is handed back for removal; one that is not due yet (a coarse bucket,
//! or a time to idle refreshed by a read) is filed again at a finer level. Each entry is
//! re-filed at most once per level on its way down, so the work is amortised O(1) per entry.
//!
//! Consequence: an entry is on the pending list at most one level-0 bucket (≈ 1.05 ms)
//! after its deadline, once time has been advanced past it.

use super::slab::{timer_links, List, Slab, NEVER, NO_LIST};

const LEVELS: usize = 5;
const BUCKETS: usize = 64;
const SHIFTS: [u32; LEVELS] = [20, 26, 32, 38, 44];
const PENDING: usize = LEVELS * BUCKETS;

/// The resolution of the wheel: width of a level-0 bucket in nanoseconds.
#[cfg(test)]
pub(crate) const RESOLUTION_NANOS: u64 = 1 << SHIFTS[0];

pub(crate) struct TimerWheel {
    /// `LEVELS * BUCKETS` buckets, then the pending list.
    lists: Box<[List; PENDING + 1]>,
    /// The time up to which buckets have been spliced onto pending.
    time: u64,
    /// Entries currently filed in the wheel (buckets or pending).
    scheduled: usize,
}

impl TimerWheel {
    /// An empty wheel; `Err` with the bytes it needed if its lists cannot be
    /// allocated.
    pub(crate) fn try_new() -> Result<Self, usize> {
        let bytes = std::mem::size_of::<[List; PENDING + 1]>();
        let mut lists = Vec::new();
        lists.try_reserve_exact(PENDING + 1).map_err(|_| bytes)?;
        lists.resize(PENDING + 1, List::EMPTY);
        let Ok(lists) = lists.into_boxed_slice().try_into() else {
            unreachable!("exactly PENDING + 1 lists")
        };
        Ok(TimerWheel {
            lists,
            time: 0,
            scheduled: 0,
        })
    }

    pub(crate) fn scheduled(&self) -> usize {
        self.scheduled
    }

    /// Files `idx` under `deadline` (which must not be [`NEVER`]).
    pub(crate) fn schedule<K, V>(&mut self, slab: &mut Slab<K, V>, idx: u32, deadline: u64) {
        debug_assert_ne!(deadline, NEVER);
        debug_assert_eq!(slab.timer(idx).list, NO_LIST);
        let delta = deadline.saturating_sub(self.time);
        let level = (0..LEVELS)
            .find(|&l| delta < (BUCKETS as u64) << SHIFTS[l])
            .unwrap_or(LEVELS - 1);
        let bucket = ((deadline >> SHIFTS[level]) as usize) & (BUCKETS - 1);
        self.file(slab, idx, level * BUCKETS + bucket);
        self.scheduled += 1;
    }

    fn file<K, V>(&mut self, slab: &mut Slab<K, V>, idx: u32, list: usize) {
        slab.timer_mut(idx).list = list as u16;
        self.lists[list].push_back(slab, idx, timer_links);
    }

    /// Takes `idx` out of the wheel if it is filed there. O(1).
    pub(crate) fn cancel<K, V>(&mut self, slab: &mut Slab<K, V>, idx: u32) {
        let list = slab.timer(idx).list;
        if list != NO_LIST {
            self.lists[list as usize].unlink(slab, idx, timer_links);
            slab.timer_mut(idx).list = NO_LIST;
            self.scheduled -= 1;
        }
    }

    /// Moves time to `now`, splicing every bucket whose time has come onto the pending list.
    /// At most `LEVELS * BUCKETS` O(1) splices; nothing if `now` is in the same level-0 bucket.
    pub(crate) fn advance<K, V>(&mut self, slab: &mut Slab<K, V>, now: u64) {
        if now <= self.time {
            return;
        }
        let prev = self.time;
        self.time = now;
        for (level, &shift) in SHIFTS.iter().enumerate() {
            let (p, c) = (prev >> shift, now >> shift);
            if p == c {
                break;
            }
            // Level 0: the buckets left behind, [p, c). Coarser levels: the buckets entered,
            // (p, c], so their entries are re-filed finer before their deadlines pass.
            let first = if level == 0 { p } else { p + 1 };
            let steps = (c - p).min(BUCKETS as u64);
            for i in 0..steps {
                let bucket = ((first + i) as usize) & (BUCKETS - 1);
                self.splice_to_pending(slab, level * BUCKETS + bucket);
            }
        }
    }

    fn splice_to_pending<K, V>(&mut self, slab: &mut Slab<K, V>, list: usize) {
        let mut taken = std::mem::replace(&mut self.lists[list], List::EMPTY);
        let mut i = taken.head;
        while i != super::slab::NIL {
            let t = slab.timer_mut(i);
            t.list = PENDING as u16;
            i = t.links.next;
        }
        self.lists[PENDING].append(&mut taken, slab, timer_links);
    }

    /// Examines pending entries, at most `*budget` of them (decrementing it), and returns the
    /// first whose deadline is at or before `now`, taken out of the wheel. Entries not yet due
    /// are filed again.
    pub(crate) fn pop_expired<K, V>(
        &mut self,
        slab: &mut Slab<K, V>,
        now: u64,
        tti: u64,
        budget: &mut usize,
    ) -> Option<u32> {
        // A caller may hold a clock reading older than the wheel's (another thread advanced
        // it): entries due by the wheel's time are due, so they are not filed again.
        let now = now.max(self.time);
        while *budget > 0 {
            let idx = self.lists[PENDING].pop_front(slab, timer_links)?;
            *budget -= 1;
            let t = slab.timer_mut(idx);
            t.list = NO_LIST;
            self.scheduled -= 1;
            let deadline = t.deadline(tti);
            if deadline <= now {
                return Some(idx);
            }
            self.schedule(slab, idx, deadline);
        }
        None
    }

    /// For an exact sweep: also moves the current level-0 bucket (whose entries may be due
    /// already) to pending, after [`advance`](Self::advance).
    pub(crate) fn flush_current<K, V>(&mut self, slab: &mut Slab<K, V>) {
        let bucket = ((self.time >> SHIFTS[0]) as usize) & (BUCKETS - 1);
        self.splice_to_pending(slab, bucket);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::core::slab::{Entry, Timer};

    /// Files entries with the given deadlines and returns the slab.
    fn setup(deadlines: &[u64]) -> (Slab<usize, ()>, TimerWheel) {
        let mut slab = Slab::with_capacity(deadlines.len());
        let mut wheel = TimerWheel::try_new().unwrap();
        for (k, &d) in deadlines.iter().enumerate() {
            let idx = slab.insert(Entry::new(k, (), 0, 1, true), Timer::new(d, 0));
            wheel.schedule(&mut slab, idx, d);
        }
        (slab, wheel)
    }

    fn drain(slab: &mut Slab<usize, ()>, wheel: &mut TimerWheel, now: u64) -> Vec<usize> {
        wheel.advance(slab, now);
        let mut out = vec![];
        let mut budget = usize::MAX;
        while let Some(i) = wheel.pop_expired(slab, now, NEVER, &mut budget) {
            out.push(slab.get(i).key);
        }
        out.sort();
        out
    }

    #[test]
    fn every_level_expires_within_one_resolution_of_its_deadline() {
        // Deadlines spread over all levels, including beyond the top level's span.
        let deadlines: Vec<u64> = (0..60).map(|i| 1u64 << i).chain([NEVER - 1]).collect();
        let (mut slab, mut wheel) = setup(&deadlines);
        let mut expired = vec![];
        let mut probes = vec![];
        // Walk time forward in irregular, growing steps.
        let mut now = 0u64;
        let mut step = 1u64;
        while expired.len() < deadlines.len() - 1 {
            now = now.saturating_add(step);
            step = step.saturating_mul(3) / 2 + 1;
            probes.push(now);
            for k in drain(&mut slab, &mut wheel, now) {
                expired.push((k, now));
            }
        }
        for &(k, at) in &expired {
            let d = deadlines[k];
            // Never early; at the latest, the first probe past the end of d's level-0 bucket.
            let bucket_end = ((d >> SHIFTS[0]) + 1) << SHIFTS[0];
            let latest = *probes.iter().find(|&&p| p >= bucket_end).unwrap();
            assert!(
                d <= at && at <= latest,
                "entry {k}: deadline {d}, expired at {at}"
            );
        }
        assert_eq!(wheel.scheduled(), 1, "only the far-future entry remains");
    }

    #[test]
    fn fine_steps_expire_within_one_resolution() {
        let deadlines: Vec<u64> = (1..200).map(|i| i * 777_777 + (i * i) % 5000).collect();
        let (mut slab, mut wheel) = setup(&deadlines);
        let mut now = 0;
        let mut left = deadlines.len();
        while left > 0 {
            now += 100_000;
            for k in drain(&mut slab, &mut wheel, now) {
                assert!(deadlines[k] <= now);
                assert!(now - deadlines[k] <= RESOLUTION_NANOS + 100_000);
                left -= 1;
            }
        }
    }

    #[test]
    fn flush_current_finds_entries_due_within_the_current_bucket() {
        let (mut slab, mut wheel) = setup(&[10, 20, RESOLUTION_NANOS - 1]);
        assert_eq!(drain(&mut slab, &mut wheel, 25), Vec::<usize>::new());
        wheel.flush_current(&mut slab);
        assert_eq!(drain(&mut slab, &mut wheel, 25), [0, 1]);
        assert_eq!(wheel.scheduled(), 1);
    }

    #[test]
    fn budget_bounds_the_work_per_call() {
        let (mut slab, mut wheel) = setup(&[5; 10]);
        wheel.advance(&mut slab, 10 * RESOLUTION_NANOS);
        let mut budget = 3;
        let mut got = 0;
        while wheel
            .pop_expired(&mut slab, 10 * RESOLUTION_NANOS, NEVER, &mut budget)
            .is_some()
        {
            got += 1;
        }
        assert_eq!((got, budget), (3, 0));
        assert_eq!(wheel.scheduled(), 7);
    }

    #[test]
    fn cancel_unlinks_from_bucket_and_pending() {
        let (mut slab, mut wheel) = setup(&[5, 5, 5]);
        wheel.cancel(&mut slab, 0);
        wheel.advance(&mut slab, RESOLUTION_NANOS * 2);
        wheel.cancel(&mut slab, 1);
        assert_eq!(drain(&mut slab, &mut wheel, RESOLUTION_NANOS * 2), [2]);
        assert_eq!(wheel.scheduled(), 0);
    }
}
