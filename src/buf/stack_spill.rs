//! Where a [`StackBuf`](super::StackBuf) puts its bytes when they outgrow
//! the inline space.

/// The buffer a spilled `StackBuf` writes into.
pub(super) type Spill = Vec<u8>;

/// An empty buffer with capacity at least `min_capacity`.
#[inline]
pub(super) fn take(min_capacity: usize) -> Spill {
    Vec::with_capacity(min_capacity)
}

/// The spilled bytes as a plain `Vec<u8>`, without copying.
#[inline]
pub(super) fn detach(spilled: Spill) -> Vec<u8> {
    spilled
}
