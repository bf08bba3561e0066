//! Entry storage: a slab of entries addressed by `u32` index, and intrusive doubly linked
//! lists whose links are those indices. Neither allocates after the slab is created with
//! its capacity.

/// "No entry": the null link.
pub(crate) const NIL: u32 = u32::MAX;
/// "No deadline".
pub(crate) const NEVER: u64 = u64::MAX;
/// "In no timer list".
pub(crate) const NO_LIST: u16 = u16::MAX;

/// A pair of intrusive links.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Links {
    pub(crate) prev: u32,
    pub(crate) next: u32,
}

impl Links {
    const UNLINKED: Links = Links {
        prev: NIL,
        next: NIL,
    };
}

/// One cached entry and the bookkeeping a hit touches. Kept small (48 bytes with `u64`
/// keys and values) because a hit reads it: the timer data lives apart, in [`Timer`].
pub(crate) struct Entry<K, V> {
    pub(crate) key: K,
    pub(crate) value: V,
    pub(crate) hash: u64,
    pub(crate) weight: u64,
    /// Links in the eviction queue (small or main).
    pub(crate) queue: Links,
    /// Saturating access counter of S3-FIFO (0..=3).
    pub(crate) freq: u8,
    /// Whether the entry is in the main queue (else the small one).
    pub(crate) in_main: bool,
    /// Whether the entry has a deadline (its [`Timer`] is in use and filed in the wheel).
    pub(crate) timed: bool,
}

impl<K, V> Entry<K, V> {
    pub(crate) fn new(key: K, value: V, hash: u64, weight: u64, timed: bool) -> Self {
        Entry {
            key,
            value,
            hash,
            weight,
            queue: Links::UNLINKED,
            freq: 0,
            in_main: false,
            timed,
        }
    }
}

/// The timer data of the entry with the same slab index: read only for timed entries.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timer {
    /// Absolute time-to-live deadline, or [`NEVER`].
    pub(crate) expires_at: u64,
    /// Time of the last access; used only when a time to idle is configured.
    pub(crate) last_access: u64,
    /// Links in the timer wheel list `list`.
    pub(crate) links: Links,
    pub(crate) list: u16,
}

impl Timer {
    pub(crate) const UNTIMED: Timer = Timer {
        expires_at: NEVER,
        last_access: 0,
        links: Links::UNLINKED,
        list: NO_LIST,
    };

    pub(crate) fn new(expires_at: u64, now: u64) -> Self {
        Timer {
            expires_at,
            last_access: now,
            ..Timer::UNTIMED
        }
    }

    /// The instant the entry expires: the earlier of its TTL deadline and its idle deadline.
    #[inline]
    pub(crate) fn deadline(&self, tti: u64) -> u64 {
        if tti == NEVER {
            self.expires_at
        } else {
            // Capped below NEVER: an entry with a time to idle always has a deadline.
            self.expires_at
                .min(self.last_access.saturating_add(tti).min(NEVER - 1))
        }
    }
}

enum Slot<K, V> {
    Occupied(Entry<K, V>),
    Vacant { next_free: u32 },
}

// A hit reads one slot: keep a `u64 -> u64` slot within 48 bytes (it was 72 with the timer
// data inline; 64 more bytes per slot made the Zipf get+insert loop 41 % slower).
const _: () = assert!(std::mem::size_of::<Slot<u64, u64>>() <= 48);
const _: () = assert!(std::mem::size_of::<Timer>() <= 32);

/// A fixed-capacity slab. `insert` reuses vacant slots first and otherwise pushes within the
/// capacity reserved at creation, so it never reallocates. The reserved memory is written
/// (so, on most systems, made resident) only as entries first arrive.
pub(crate) struct Slab<K, V> {
    slots: Vec<Slot<K, V>>,
    /// `timers[i]` belongs to `slots[i]`; pushed with the slot, within the capacity reserved
    /// at creation.
    timers: Vec<Timer>,
    free_head: u32,
    len: usize,
}

impl<K, V> Slab<K, V> {
    /// A slab able to hold `capacity` entries without allocating again, or the number of
    /// bytes that could not be allocated.
    ///
    /// # Panics
    ///
    /// If `capacity` does not fit in a `u32` link (the builder checks this first).
    pub(crate) fn try_with_capacity(capacity: usize) -> Result<Self, usize> {
        assert!(
            capacity < NIL as usize,
            "cache capacity {capacity} exceeds the u32 index space"
        );
        let mut slots = Vec::new();
        slots
            .try_reserve_exact(capacity)
            .map_err(|_| capacity.saturating_mul(std::mem::size_of::<Slot<K, V>>()))?;
        let mut timers = Vec::new();
        timers
            .try_reserve_exact(capacity)
            .map_err(|_| capacity.saturating_mul(std::mem::size_of::<Timer>()))?;
        Ok(Slab {
            slots,
            timers,
            free_head: NIL,
            len: 0,
        })
    }

    #[cfg(test)]
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self::try_with_capacity(capacity).expect("test slab")
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Stores `entry`, with `timer` if the entry is timed; the caller has made sure there is
    /// room (`len < capacity`).
    pub(crate) fn insert(&mut self, entry: Entry<K, V>, timer: Timer) -> u32 {
        let timed = entry.timed;
        let idx = self.insert_entry(entry);
        if idx as usize == self.timers.len() {
            debug_assert!(self.timers.len() < self.timers.capacity());
            self.timers.push(Timer::UNTIMED);
        }
        if timed {
            self.timers[idx as usize] = timer;
        }
        idx
    }

    fn insert_entry(&mut self, entry: Entry<K, V>) -> u32 {
        self.len += 1;
        if self.free_head != NIL {
            let idx = self.free_head;
            let slot = &mut self.slots[idx as usize];
            match *slot {
                Slot::Vacant { next_free } => self.free_head = next_free,
                Slot::Occupied(_) => unreachable!("free list points at an occupied slot"),
            }
            *slot = Slot::Occupied(entry);
            idx
        } else {
            debug_assert!(
                self.slots.len() < self.slots.capacity(),
                "slab grew past its capacity"
            );
            self.slots.push(Slot::Occupied(entry));
            (self.slots.len() - 1) as u32
        }
    }

    /// Takes the entry at `idx` out, leaving the slot vacant.
    pub(crate) fn remove(&mut self, idx: u32) -> Entry<K, V> {
        let slot = std::mem::replace(
            &mut self.slots[idx as usize],
            Slot::Vacant {
                next_free: self.free_head,
            },
        );
        match slot {
            Slot::Occupied(e) => {
                self.free_head = idx;
                self.len -= 1;
                e
            }
            Slot::Vacant { .. } => unreachable!("removing a vacant slab slot"),
        }
    }

    #[inline]
    pub(crate) fn get(&self, idx: u32) -> &Entry<K, V> {
        match &self.slots[idx as usize] {
            Slot::Occupied(e) => e,
            Slot::Vacant { .. } => unreachable!("reading a vacant slab slot"),
        }
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, idx: u32) -> &mut Entry<K, V> {
        match &mut self.slots[idx as usize] {
            Slot::Occupied(e) => e,
            Slot::Vacant { .. } => unreachable!("reading a vacant slab slot"),
        }
    }

    #[inline]
    pub(crate) fn timer(&self, idx: u32) -> &Timer {
        &self.timers[idx as usize]
    }

    #[inline]
    pub(crate) fn timer_mut(&mut self, idx: u32) -> &mut Timer {
        &mut self.timers[idx as usize]
    }

    /// The first occupied slot at or after `from`.
    pub(crate) fn next_occupied(&self, from: u32) -> Option<u32> {
        (from as usize..self.slots.len())
            .find(|&i| matches!(self.slots[i], Slot::Occupied(_)))
            .map(|i| i as u32)
    }

    /// Occupied slots, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &Entry<K, V>)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| match s {
            Slot::Occupied(e) => Some((i as u32, e)),
            Slot::Vacant { .. } => None,
        })
    }

    /// Memory reserved for slots (entries), for bound checks in tests.
    #[cfg(test)]
    pub(crate) fn slot_capacity(&self) -> usize {
        self.slots.capacity()
    }
}

/// Which pair of links a list threads through.
pub(crate) type LinkSel<K, V> = fn(&mut Slab<K, V>, u32) -> &mut Links;

pub(crate) fn queue_links<K, V>(slab: &mut Slab<K, V>, idx: u32) -> &mut Links {
    &mut slab.get_mut(idx).queue
}

pub(crate) fn timer_links<K, V>(slab: &mut Slab<K, V>, idx: u32) -> &mut Links {
    &mut slab.timer_mut(idx).links
}

/// An intrusive doubly linked list threaded through slab entries.
#[derive(Debug, Clone, Copy)]
pub(crate) struct List {
    pub(crate) head: u32,
    pub(crate) tail: u32,
    pub(crate) len: u32,
}

impl List {
    pub(crate) const EMPTY: List = List {
        head: NIL,
        tail: NIL,
        len: 0,
    };

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.head == NIL
    }

    pub(crate) fn push_back<K, V>(&mut self, slab: &mut Slab<K, V>, idx: u32, sel: LinkSel<K, V>) {
        *sel(slab, idx) = Links {
            prev: self.tail,
            next: NIL,
        };
        if self.tail == NIL {
            self.head = idx;
        } else {
            sel(slab, self.tail).next = idx;
        }
        self.tail = idx;
        self.len += 1;
    }

    pub(crate) fn unlink<K, V>(&mut self, slab: &mut Slab<K, V>, idx: u32, sel: LinkSel<K, V>) {
        let links = std::mem::replace(sel(slab, idx), Links::UNLINKED);
        if links.prev == NIL {
            debug_assert_eq!(self.head, idx);
            self.head = links.next;
        } else {
            sel(slab, links.prev).next = links.next;
        }
        if links.next == NIL {
            debug_assert_eq!(self.tail, idx);
            self.tail = links.prev;
        } else {
            sel(slab, links.next).prev = links.prev;
        }
        self.len -= 1;
    }

    pub(crate) fn pop_front<K, V>(
        &mut self,
        slab: &mut Slab<K, V>,
        sel: LinkSel<K, V>,
    ) -> Option<u32> {
        let head = self.head;
        if head == NIL {
            return None;
        }
        self.unlink(slab, head, sel);
        Some(head)
    }

    /// Moves all of `other` to the back of `self` in O(1); `other` becomes empty.
    pub(crate) fn append<K, V>(
        &mut self,
        other: &mut List,
        slab: &mut Slab<K, V>,
        sel: LinkSel<K, V>,
    ) {
        if other.is_empty() {
            return;
        }
        if self.is_empty() {
            *self = *other;
        } else {
            sel(slab, self.tail).next = other.head;
            sel(slab, other.head).prev = self.tail;
            self.tail = other.tail;
            self.len += other.len;
        }
        *other = List::EMPTY;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slab_with(n: u32) -> Slab<u32, ()> {
        let mut s = Slab::with_capacity(n as usize);
        for i in 0..n {
            assert_eq!(s.insert(Entry::new(i, (), 0, 1, false), Timer::UNTIMED), i);
        }
        s
    }

    fn keys(list: &List, slab: &mut Slab<u32, ()>) -> Vec<u32> {
        let mut out = vec![];
        let mut i = list.head;
        while i != NIL {
            out.push(slab.get(i).key);
            i = slab.get(i).queue.next;
        }
        out
    }

    #[test]
    fn slab_reuses_vacant_slots_within_capacity() {
        let mut s = slab_with(3);
        assert_eq!(s.remove(1).key, 1);
        assert_eq!(s.len(), 2);
        assert_eq!(s.insert(Entry::new(9, (), 0, 1, false), Timer::UNTIMED), 1);
        assert_eq!(s.slot_capacity(), 3);
        assert_eq!(s.iter().map(|(_, e)| e.key).collect::<Vec<_>>(), [0, 9, 2]);
    }

    #[test]
    fn list_push_unlink_pop_append() {
        let mut s = slab_with(6);
        let (mut a, mut b) = (List::EMPTY, List::EMPTY);
        for i in 0..3 {
            a.push_back(&mut s, i, queue_links);
        }
        for i in 3..6 {
            b.push_back(&mut s, i, queue_links);
        }
        a.unlink(&mut s, 1, queue_links);
        assert_eq!(keys(&a, &mut s), [0, 2]);
        a.append(&mut b, &mut s, queue_links);
        assert!(b.is_empty());
        assert_eq!(a.len, 5);
        assert_eq!(keys(&a, &mut s), [0, 2, 3, 4, 5]);
        assert_eq!(a.pop_front(&mut s, queue_links), Some(0));
        a.unlink(&mut s, 5, queue_links);
        assert_eq!(keys(&a, &mut s), [2, 3, 4]);
        assert_eq!(a.tail, 4);
    }
}
