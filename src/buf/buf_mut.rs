//! `bytes::BufMut` for the buffer guards, so codecs that write into any
//! `BufMut` write straight into a pooled buffer.
//!
//! `BufMut` is an `unsafe trait`; this is the only module of `buf` allowed
//! `unsafe`, and every impl forwards to `Vec<u8>`'s own `BufMut` impl on the
//! vector the guard owns, adding no state of its own.

use bytes::buf::UninitSlice;
use bytes::BufMut;

use super::{OwnedPooledBuf, PooledBuf};

macro_rules! forward_buf_mut {
    ($($guard:ident$(<$lt:lifetime>)?),*) => {$(
        // SAFETY: `BufMut`'s contract (`chunk_mut` is writable uninitialized
        // memory, `advance_mut(n)` after writing `n` bytes there makes them
        // part of the buffer, `remaining_mut` never lies) is met by
        // `Vec<u8>`'s impl, and each method below calls that impl on the
        // guard's vector, which only these calls touch in between.
        unsafe impl$(<$lt>)? BufMut for $guard$(<$lt>)? {
            #[inline]
            fn remaining_mut(&self) -> usize {
                (**self).remaining_mut()
            }

            #[inline]
            unsafe fn advance_mut(&mut self, cnt: usize) {
                // SAFETY: the caller upholds `advance_mut`'s contract for
                // this guard, whose `chunk_mut` is the vector's `chunk_mut`;
                // so it holds for the vector too.
                unsafe { (**self).advance_mut(cnt) }
            }

            #[inline]
            fn chunk_mut(&mut self) -> &mut UninitSlice {
                (**self).chunk_mut()
            }

            #[inline]
            fn put_slice(&mut self, src: &[u8]) {
                (**self).extend_from_slice(src);
            }

            #[inline]
            fn put_bytes(&mut self, val: u8, cnt: usize) {
                (**self).put_bytes(val, cnt);
            }
        }
    )*};
}

forward_buf_mut!(PooledBuf<'a>, OwnedPooledBuf);

#[cfg(all(test, not(loom)))]
mod tests {
    use bytes::BufMut;

    use crate::buf::BufPool;

    #[test]
    fn writes_through_buf_mut() {
        fn encode(out: &mut impl BufMut) {
            out.put_u32(0xdead_beef);
            out.put_slice(b"xy");
            out.put_bytes(b'-', 3);
        }
        let pool = BufPool::new();
        let mut buf = pool.get(4);
        encode(&mut buf);
        assert_eq!(&buf[..], b"\xde\xad\xbe\xefxy---");
        assert!(buf.remaining_mut() > 0);
    }
}
