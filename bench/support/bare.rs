//! The bare `thread_local!` pools that the pool and buffer benchmarks (and the
//! callgrind example `examples/buf_round_trip.rs`) use as their floor: a
//! `RefCell<Vec<_>>` pop and push, with no classes, bounds, stats or aging.
//! Included with `#[path]`.
#![allow(dead_code)]

use std::cell::RefCell;

thread_local! {
    /// Stores the `Vec`s themselves: a round trip moves 24 bytes.
    static BY_VALUE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
    /// Stores boxes: a round trip moves one pointer, the faster floor on
    /// this machine (see the README's *Design*).
    #[allow(clippy::vec_box)] // the box is the point
    static BOXED: RefCell<Vec<Box<Vec<u8>>>> = const { RefCell::new(Vec::new()) };
}

/// Takes a buffer (a new one of capacity `n` if the pool is empty), hands
/// it to `work`, clears it and puts it back.
#[inline(always)]
pub fn by_value_round_trip(n: usize, work: impl FnOnce(&mut Vec<u8>)) {
    let mut buf = BY_VALUE
        .with(|p| p.borrow_mut().pop())
        .unwrap_or_else(|| Vec::with_capacity(n));
    work(&mut buf);
    buf.clear();
    BY_VALUE.with(|p| p.borrow_mut().push(buf));
}

/// [`by_value_round_trip`] through the pool of boxes.
#[inline(always)]
pub fn boxed_round_trip(n: usize, work: impl FnOnce(&mut Vec<u8>)) {
    let mut buf = BOXED
        .with(|p| p.borrow_mut().pop())
        .unwrap_or_else(|| Box::new(Vec::with_capacity(n)));
    work(&mut buf);
    buf.clear();
    BOXED.with(|p| p.borrow_mut().push(buf));
}

/// Empties both pools of this thread, so that the next size starts from
/// buffers of its own capacity.
pub fn reset() {
    BY_VALUE.with(|p| p.borrow_mut().clear());
    BOXED.with(|p| p.borrow_mut().clear());
}
