//! Size-class arithmetic: which class serves a request, which class takes
//! a returned buffer. Classes are powers of two, `min_class ..= max_class`.

/// The size classes of one [`BufPool`](super::BufPool): class `i` holds
/// buffers whose capacity is at least `min_class << i` (and below twice that).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SizeClasses {
    min_shift: u32,
    max_shift: u32,
}

impl SizeClasses {
    /// Classes from `1 << min_shift` to `1 << max_shift` bytes.
    pub(crate) fn new(min_shift: u32, max_shift: u32) -> Self {
        debug_assert!(min_shift <= max_shift && max_shift < usize::BITS);
        SizeClasses {
            min_shift,
            max_shift,
        }
    }

    /// How many classes there are.
    #[inline]
    pub(crate) fn count(&self) -> usize {
        (self.max_shift - self.min_shift + 1) as usize
    }

    /// The capacity a buffer made for class `class` gets.
    #[inline]
    pub(crate) fn size(&self, class: usize) -> usize {
        1 << (self.min_shift as usize + class)
    }

    /// The largest class's size.
    #[inline]
    pub(crate) fn max_size(&self) -> usize {
        1 << self.max_shift
    }

    /// The smallest class whose buffers all hold `min_capacity` bytes, or
    /// `None` when the request is above the top class.
    #[inline]
    pub(crate) fn for_request(&self, min_capacity: usize) -> Option<usize> {
        // ceil(log2(n)) for n >= 2; requests up to the smallest class share it.
        let shift = if min_capacity <= 1 {
            0
        } else {
            usize::BITS - (min_capacity - 1).leading_zeros()
        };
        if shift > self.max_shift {
            return None;
        }
        Some(shift.saturating_sub(self.min_shift) as usize)
    }

    /// The class a returned buffer of capacity `capacity` belongs to: the
    /// largest class whose size it covers (so it serves every request that
    /// class serves), or `None` when it is smaller than the smallest class or
    /// larger than the largest one (then it is freed: an oversize request's
    /// buffer is never kept).
    #[inline]
    pub(crate) fn for_return(&self, capacity: usize) -> Option<usize> {
        if capacity == 0 || capacity > self.max_size() {
            return None;
        }
        let shift = usize::BITS - 1 - capacity.leading_zeros(); // floor(log2)
        if shift < self.min_shift || shift > self.max_shift {
            return None;
        }
        Some((shift - self.min_shift) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_up_to_a_power_of_two() {
        let c = SizeClasses::new(6, 24);
        assert_eq!(c.count(), 19);
        assert_eq!(c.for_request(0), Some(0));
        assert_eq!(c.for_request(64), Some(0));
        assert_eq!(c.for_request(65), Some(1));
        assert_eq!(c.for_request(4096), Some(6));
        assert_eq!(c.for_request(1 << 24), Some(18));
        assert_eq!(c.for_request((1 << 24) + 1), None);
        assert_eq!(c.for_request(usize::MAX), None);
    }

    #[test]
    fn returns_round_down() {
        let c = SizeClasses::new(6, 24);
        assert_eq!(c.for_return(0), None);
        assert_eq!(c.for_return(63), None);
        assert_eq!(c.for_return(64), Some(0));
        assert_eq!(c.for_return(127), Some(0));
        assert_eq!(c.for_return(5000), Some(6));
        assert_eq!(c.for_return((1 << 24) - 1), Some(17));
        assert_eq!(c.for_return(1 << 24), Some(18));
        assert_eq!(c.for_return((1 << 24) + 1), None);
        assert_eq!(c.for_return(usize::MAX), None);
    }
}
