//! Size-class arithmetic: which class serves a request, which class takes
//! a returned buffer. Classes are powers of two, `min_class ..= max_class`.

/// The size classes of one [`BufPool`](super::BufPool): class `i` holds
/// buffers whose capacity is at least `min_class << i` (and below twice that).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SizeClasses {
    min_shift: u32,
    max_shift: u32,
    /// `max_size - min_size`, kept for `for_return`'s one range check.
    span: usize,
    /// How many classes there are.
    count: usize,
}

impl SizeClasses {
    /// Classes from `1 << min_shift` to `1 << max_shift` bytes.
    pub(crate) fn new(min_shift: u32, max_shift: u32) -> Self {
        debug_assert!(min_shift <= max_shift && max_shift < usize::BITS);
        SizeClasses {
            min_shift,
            max_shift,
            span: (1 << max_shift) - (1 << min_shift),
            count: (max_shift - min_shift + 1) as usize,
        }
    }

    /// How many classes there are.
    #[inline]
    pub(crate) fn count(&self) -> usize {
        self.count
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

    /// Whether `class` is a class and `capacity` exactly its size: then
    /// [`for_return`](Self::for_return) would say `class` too.
    #[inline]
    pub(crate) fn is_class_size(&self, class: usize, capacity: usize) -> bool {
        class < self.count && capacity == self.size(class)
    }

    /// The class a returned buffer of capacity `capacity` belongs to: the
    /// largest class whose size it covers (so it serves every request that
    /// class serves), or `None` when it is smaller than the smallest class or
    /// larger than the largest one (then it is freed: an oversize request's
    /// buffer is never kept).
    #[inline]
    pub(crate) fn for_return(&self, capacity: usize) -> Option<usize> {
        // One comparison: `min_size <= capacity <= max_size` (below
        // `min_size` the subtraction wraps past `span`).
        if capacity.wrapping_sub(1 << self.min_shift) > self.span {
            return None;
        }
        // floor(log2), in `min_shift ..= max_shift` now.
        let shift = (usize::BITS - 1).wrapping_sub(capacity.leading_zeros());
        Some(shift.wrapping_sub(self.min_shift) as usize)
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

    /// Sizes spread over every magnitude (a uniform `usize` is almost
    /// always above every class), powers of two and their neighbours often.
    fn sizes() -> impl proptest::strategy::Strategy<Value = usize> {
        use proptest::prelude::*;
        (0u32..usize::BITS, any::<usize>(), -1isize..=1).prop_map(|(bits, noise, nudge)| {
            let n = if noise % 4 == 0 {
                1usize << bits
            } else {
                noise & ((1usize << bits) - 1)
            };
            n.wrapping_add_signed(nudge)
        })
    }

    proptest::proptest! {
        #[test]
        fn every_request_fits_the_smallest_class_that_holds_it(
            min_shift in 0u32..20,
            span in 0u32..12,
            n in sizes(),
        ) {
            let c = SizeClasses::new(min_shift, min_shift + span);
            match c.for_request(n) {
                Some(class) => {
                    proptest::prop_assert!(class < c.count());
                    proptest::prop_assert!(c.size(class) >= n);
                    proptest::prop_assert!(class == 0 || c.size(class - 1) < n);
                }
                None => proptest::prop_assert!(n > c.max_size()),
            }
        }

        #[test]
        fn a_class_size_is_exactly_what_for_return_maps_to_that_class(
            min_shift in 0u32..20,
            span in 0u32..12,
            capacity in sizes(),
            class in proptest::prop_oneof![0usize..16, proptest::strategy::Just(usize::MAX)],
            double in 0u32..=1,
            nudge in -1isize..=1,
        ) {
            let c = SizeClasses::new(min_shift, min_shift + span);
            // Capacities at the edges of the classes too, and classes at and
            // around the top one.
            let near = (c.size(class % c.count()) << double).wrapping_add_signed(nudge);
            for capacity in [capacity, near] {
                for class in [class, c.count() - 1, c.count(), class % c.count()] {
                    let exact = class < c.count() && capacity == c.size(class);
                    proptest::prop_assert_eq!(c.is_class_size(class, capacity), exact);
                    if exact {
                        proptest::prop_assert_eq!(c.for_return(capacity), Some(class));
                    }
                }
            }
        }

        #[test]
        fn every_returned_capacity_lands_in_the_class_it_covers(
            min_shift in 0u32..20,
            span in 0u32..12,
            capacity in sizes(),
        ) {
            let c = SizeClasses::new(min_shift, min_shift + span);
            match c.for_return(capacity) {
                Some(class) => {
                    proptest::prop_assert!(class < c.count());
                    proptest::prop_assert!(c.size(class) <= capacity);
                    proptest::prop_assert!(capacity / 2 < c.size(class));
                }
                None => proptest::prop_assert!(capacity < c.size(0) || capacity > c.max_size()),
            }
        }
    }
}
