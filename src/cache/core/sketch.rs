//! A count-min frequency sketch with 4-bit counters and periodic halving: the popularity
//! estimate behind the admission filter of [`S3Fifo`](super::eviction::S3Fifo) (TinyLFU,
//! Einziger, Friedman and Manes, 2017).
//!
//! * The table is an array of `u64` words, each holding sixteen 4-bit counters, grouped in
//!   blocks of eight words (64 bytes, one cache line). A key uses one block only: its four
//!   counters (one per row) sit in four different pairs of words of that block, so an
//!   increment or an estimate touches one cache line.
//! * The estimate is the smallest of the key's four counters: hash collisions can only make
//!   it too high, and the minimum over four independent positions rarely is. An increment
//!   raises only the counters equal to that minimum (conservative update).
//! * Counters saturate at 15. After `sample` increments (ten per entry of capacity) every
//!   counter is halved, so old popularity fades and a new hot set can displace an old one.
//!   The halving halves the increment count too (as Caffeine's reset does), so after the
//!   first one a halving comes every `sample / 2` increments (five per entry). Only counted
//!   increments advance it: admissions and first hits (see `S3Fifo`), not every access.
//!
//! The table has two words per entry of capacity (rounded up to a power of two, at least one
//! block): 32 counters, 16 to 32 bytes per entry. Half that (Caffeine's size) lowered the hit
//! ratio on Zipf and on scans, and made it vary more with the hash seed. It is allocated zeroed once, when the cache is built,
//! and never grows: its size is fixed by the capacity.

/// Words per block: 8 × 8 bytes = one 64-byte cache line.
const BLOCK_WORDS: usize = 8;
/// The low bit of every 4-bit counter cleared: what remains of a word shifted right by one.
const HALVE_MASK: u64 = 0x7777_7777_7777_7777;
/// Increments between two halvings, per entry of capacity.
const SAMPLE_PER_ENTRY: usize = 10;

pub(crate) struct Sketch {
    table: Box<[u64]>,
    /// Number of blocks - 1 (a power of two minus one).
    block_mask: usize,
    /// Increments since the last halving (halved with the counters).
    additions: usize,
    /// Increments that trigger a halving.
    sample: usize,
}

impl Sketch {
    /// A sketch for a cache of `capacity` entries, or the number of bytes that could not be
    /// allocated.
    pub(crate) fn try_with_capacity(capacity: usize) -> Result<Self, usize> {
        let words = capacity
            .saturating_mul(2)
            .max(BLOCK_WORDS)
            .checked_next_power_of_two()
            .ok_or(usize::MAX)?;
        let bytes = words.saturating_mul(std::mem::size_of::<u64>());
        let table = zeroed_table(words).ok_or(bytes)?;
        Ok(Sketch {
            table,
            block_mask: words / BLOCK_WORDS - 1,
            additions: 0,
            sample: capacity.max(1).saturating_mul(SAMPLE_PER_ENTRY),
        })
    }

    /// The block of `hash` and, for each of the four rows, the word index and the counter's
    /// bit shift in it.
    #[inline]
    fn positions(&self, hash: u64) -> [(usize, u32); 4] {
        // Re-mix: the cache's hasher may be a weak one (the identity for integers), and the
        // block and the counters must not follow the bits the hash table uses.
        let h = (hash ^ (hash >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let h = h ^ (h >> 32);
        let block = (h as usize & self.block_mask) * BLOCK_WORDS;
        let hi = (h >> 32) as u32;
        let mut out = [(0, 0); 4];
        for (row, slot) in out.iter_mut().enumerate() {
            // 5 bits per row: which word of the row's pair (1), which counter (4).
            let bits = hi >> (row * 5);
            let word = block + row * 2 + (bits & 1) as usize;
            let shift = ((bits >> 1) & 15) * 4;
            *slot = (word, shift);
        }
        out
    }

    /// Counts one access to the key of `hash`; halves every counter every `sample`
    /// increments.
    ///
    /// Conservative update: only the key's smallest counters grow (the others are already
    /// inflated by collisions), which keeps the estimates of rare keys closer to the truth.
    #[inline]
    pub(crate) fn increment(&mut self, hash: u64) {
        let pos = self.positions(hash);
        let min = pos
            .iter()
            .map(|&(word, shift)| (self.table[word] >> shift) & 15)
            .min()
            .unwrap_or(0);
        if min == 15 {
            return;
        }
        for (word, shift) in pos {
            let w = &mut self.table[word];
            if (*w >> shift) & 15 == min {
                *w += 1 << shift;
            }
        }
        self.additions += 1;
        if self.additions >= self.sample {
            self.halve();
        }
    }

    /// The estimated number of recent accesses to the key of `hash` (0..=15).
    #[inline]
    pub(crate) fn frequency(&self, hash: u64) -> u8 {
        self.positions(hash)
            .iter()
            .map(|&(word, shift)| ((self.table[word] >> shift) & 15) as u8)
            .min()
            .unwrap_or(0)
    }

    /// Halves every counter (O(table), once per `sample` increments).
    fn halve(&mut self) {
        for w in self.table.iter_mut() {
            *w = (*w >> 1) & HALVE_MASK;
        }
        self.additions /= 2;
    }

    #[cfg(test)]
    pub(crate) fn words(&self) -> usize {
        self.table.len()
    }
}

/// A table of `words` zeroed counters, or `None` if the memory cannot be had.
///
/// Zeroed memory straight from the allocator (`calloc`): for a large table the
/// system maps zero pages on first write, so an empty cache is not resident
/// (`tests/cache_bad_input.rs`: 302 MB resident for an empty 10 M-entry cache
/// when the table was zeroed by writing). std's zeroed allocations
/// (`vec![0; n]`) abort on failure, and its fallible ones do not zero without
/// writing, hence this one `unsafe` call.
#[allow(unsafe_code)]
fn zeroed_table(words: usize) -> Option<Box<[u64]>> {
    let layout = std::alloc::Layout::array::<u64>(words).ok()?;
    if layout.size() == 0 {
        return Some(Box::default());
    }
    // SAFETY: `layout` has a non-zero size (checked above).
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<u64>();
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` was allocated by the global allocator with the layout of
    // `[u64; words]` (so `Box`'s deallocation matches it), is aligned for `u64`,
    // and all `words` elements are initialised: zero bytes are a valid `u64`.
    // The box takes sole ownership; nothing else holds the pointer.
    Some(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, words)) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(k: u64) -> u64 {
        k.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    #[test]
    fn counts_saturate_at_15_and_keys_stay_apart() {
        let mut s = Sketch::try_with_capacity(1_000).unwrap();
        assert_eq!(s.words(), 2_048, "two words per entry, a power of two");
        for _ in 0..3 {
            s.increment(hash(1));
        }
        for _ in 0..40 {
            s.increment(hash(2));
        }
        assert_eq!(s.frequency(hash(1)), 3);
        assert_eq!(s.frequency(hash(2)), 15, "saturates");
        assert_eq!(s.frequency(hash(3)), 0);
        // A thousand other keys once each: estimates are upper bounds, and rarely off.
        for k in 100..1_100 {
            s.increment(hash(k));
        }
        assert!(s.frequency(hash(1)) >= 3);
        let wrong = (100..1_100).filter(|&k| s.frequency(hash(k)) != 1).count();
        assert!(wrong < 20, "{wrong} of 1000 estimates off");
    }

    #[test]
    fn counters_halve_after_ten_increments_per_entry() {
        let mut s = Sketch::try_with_capacity(8).unwrap();
        assert_eq!(s.sample, 80);
        for _ in 0..12 {
            s.increment(hash(7));
        }
        assert_eq!(s.frequency(hash(7)), 12);
        // 67 more increments of other keys: 79 in all, no halving yet.
        for k in 0..67 {
            s.increment(hash(1_000 + k));
        }
        assert!(s.frequency(hash(7)) >= 12);
        let before = s.frequency(hash(7));
        s.increment(hash(5_000)); // the 80th
        assert_eq!(s.frequency(hash(7)), before / 2, "halved");
        assert_eq!(s.additions, 40, "the count is halved too");
        // So the next halving comes 40 increments later, not 80.
        let before = s.frequency(hash(7));
        for k in 0..39 {
            s.increment(hash(10_000 + k));
        }
        assert_eq!(s.frequency(hash(7)), before, "39 more: not yet");
        s.increment(hash(20_000));
        assert_eq!(s.frequency(hash(7)), before / 2, "halved again after 40");
    }

    #[test]
    fn a_table_that_cannot_be_allocated_is_an_error() {
        // More than the address space, whatever the system's overcommit policy.
        assert!(Sketch::try_with_capacity(1 << 60).is_err());
        assert!(Sketch::try_with_capacity(usize::MAX).is_err());
    }
}
