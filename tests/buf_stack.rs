//! `StackBuf<N>` behaviour through the public API: the N / N+1 boundary,
//! spilling, the traits, the stated size.

use std::collections::HashSet;
use std::io::Write as _;

use poolkit::buf::{BufPool, PooledBuf, StackBuf};

#[test]
fn exactly_n_bytes_stay_inline_and_one_more_spills() {
    fn check<const N: usize>() {
        let data: Vec<u8> = (0..=N).map(|i| i as u8).collect();
        // One slice of N bytes, then one more byte.
        let mut buf = StackBuf::<N>::new();
        buf.extend_from_slice(&data[..N]);
        assert!(buf.is_inline(), "N = {N}: N bytes must stay inline");
        assert_eq!(buf.capacity(), N);
        buf.push(data[N]);
        assert!(!buf.is_inline(), "N = {N}: byte N + 1 must spill");
        assert_eq!(&buf[..], &data[..]);
        assert!(buf.capacity() >= (N + 1).max(2 * N));
        // One slice of N + 1 bytes at once.
        let mut buf = StackBuf::<N>::new();
        buf.extend_from_slice(&data);
        assert!(!buf.is_inline());
        assert_eq!(&buf[..], &data[..]);
        // Byte by byte.
        let mut buf = StackBuf::<N>::new();
        for (i, &byte) in data.iter().enumerate() {
            buf.push(byte);
            assert_eq!(buf.is_inline(), i < N, "N = {N}, after {} bytes", i + 1);
        }
        assert_eq!(&buf[..], &data[..]);
    }
    check::<0>();
    check::<1>();
    check::<7>();
    check::<8>();
    check::<31>();
    check::<256>();
    check::<1000>();
}

#[test]
fn a_write_that_straddles_the_boundary_keeps_every_byte_in_order() {
    let mut buf = StackBuf::<10>::new();
    buf.extend_from_slice(b"0123456");
    buf.extend_from_slice(b"789abc");
    assert!(!buf.is_inline());
    assert_eq!(&buf[..], b"0123456789abc");
    buf.extend_from_slice(b"def");
    assert_eq!(buf.as_str(), Ok("0123456789abcdef"));
}

#[test]
fn clear_and_truncate_keep_the_storage() {
    let mut buf = StackBuf::<4>::new();
    buf.extend_from_slice(b"abcdef");
    let capacity = buf.capacity();
    buf.truncate(2);
    assert_eq!(&buf[..], b"ab");
    buf.truncate(10);
    assert_eq!(&buf[..], b"ab");
    buf.clear();
    assert!(buf.is_empty() && !buf.is_inline());
    assert_eq!(buf.capacity(), capacity);
    buf.extend_from_slice(b"xy");
    assert_eq!(&buf[..], b"xy");

    let mut inline = StackBuf::<4>::new();
    inline.extend_from_slice(b"abc");
    inline.truncate(1);
    inline.extend_from_slice(b"z");
    assert_eq!(&inline[..], b"az");
    assert!(inline.is_inline());
}

#[test]
fn formatted_writes_through_both_write_traits() {
    let mut fmt_key = StackBuf::<32>::new();
    std::fmt::Write::write_fmt(&mut fmt_key, format_args!("user:{}:{}", 1234567, "email")).unwrap();
    let mut io_key = StackBuf::<32>::new();
    std::io::Write::write_fmt(&mut io_key, format_args!("user:{}:{}", 1234567, "email")).unwrap();
    assert_eq!(fmt_key.as_str(), Ok("user:1234567:email"));
    assert_eq!(fmt_key, io_key);
    assert_eq!(io_key.write(b"!").unwrap(), 1);
    io_key.flush().unwrap();
    assert_eq!(&io_key[..], b"user:1234567:email!");
}

#[test]
fn as_str_reports_invalid_utf8() {
    let mut buf = StackBuf::<4>::new();
    buf.extend_from_slice("日本".as_bytes()); // 6 bytes: spills
    assert_eq!(buf.as_str(), Ok("日本"));
    buf.truncate(4); // cuts the second character
    assert_eq!(buf.as_str().unwrap_err().valid_up_to(), 3);
}

#[test]
fn slices_traits_and_conversions() {
    let mut buf = StackBuf::<8>::new();
    buf.extend(b"abc".iter());
    buf.extend([b'd']);
    buf[0] = b'A';
    buf.as_mut()[1] = b'B';
    assert_eq!(buf.as_ref(), b"ABcd");
    assert_eq!(&buf, &b"ABcd"[..]);
    assert_eq!(
        format!("{buf:?}"),
        r#"StackBuf { inline: true, bytes: "ABcd" }"#
    );
    // Equal bytes are equal (and hash alike) whatever the storage.
    let mut spilled = StackBuf::<2>::new();
    spilled.extend_from_slice(b"ABcd");
    assert_eq!(buf, spilled);
    #[allow(clippy::mutable_key_type)] // the hash and equality use the bytes only
    let set: HashSet<StackBuf<8>> = [buf].into_iter().collect();
    assert!(set.contains(&b"ABcd"[..]));
    assert_eq!(Vec::from(spilled), b"ABcd".to_vec());
    let mut inline = StackBuf::<8>::default();
    inline.push(0x80);
    assert_eq!(inline.into_vec(), vec![0x80]);
    assert_eq!(
        format!("{:?}", StackBuf::<1>::new()),
        r#"StackBuf { inline: true, bytes: "" }"#
    );
}

#[test]
#[cfg(target_pointer_width = "64")]
fn size_is_n_plus_a_tag_byte_rounded_to_8_plus_16() {
    use std::mem::size_of;
    fn stated(n: usize) -> usize {
        (n + 1).div_ceil(8) * 8 + 16
    }
    assert_eq!(size_of::<StackBuf<8>>(), stated(8));
    assert_eq!(size_of::<StackBuf<16>>(), stated(16));
    assert_eq!(size_of::<StackBuf<24>>(), stated(24));
    assert_eq!(size_of::<StackBuf<30>>(), stated(30));
    assert_eq!(size_of::<StackBuf<64>>(), stated(64));
    assert_eq!(size_of::<StackBuf<255>>(), stated(255));
    assert_eq!(size_of::<StackBuf<256>>(), 280);
    assert_eq!(size_of::<StackBuf<1000>>(), stated(1000));
}

#[test]
fn is_send_and_sync() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<StackBuf<64>>();
}

/// A pool of its own for one test, so that other tests' buffers do not
/// show in its stats.
/// A pool that lives for the whole test process, so guards can borrow it
/// for `'static`. Each is kept in a static list as well, so that it stays
/// reachable and LeakSanitizer (the CI's ASan run) does not report it.
fn leaked_pool() -> &'static BufPool {
    static KEPT: std::sync::Mutex<Vec<&'static BufPool>> = std::sync::Mutex::new(Vec::new());
    let pool: &'static BufPool = Box::leak(Box::new(BufPool::new()));
    KEPT.lock().unwrap_or_else(|e| e.into_inner()).push(pool);
    pool
}

#[test]
fn spills_into_the_given_pool_and_gives_the_buffer_back_on_drop() {
    let pool = leaked_pool();
    let mut buf = StackBuf::<16>::new_in(pool);
    buf.extend_from_slice(&[7; 16]);
    assert_eq!(pool.stats().gets, 0, "no pool use while inline");
    buf.push(8);
    let stats = pool.stats();
    assert_eq!((stats.gets, stats.misses), (1, 1));
    // 2 × N = 32: the 64-byte class, the smallest by default.
    assert_eq!(buf.capacity(), 64);
    drop(buf);
    assert_eq!(pool.stats().retained, 1);
    // The next spill reuses it.
    let mut again = StackBuf::<16>::new_in(pool);
    again.extend_from_slice(&[1; 17]);
    let stats = pool.stats();
    assert_eq!((stats.hits, stats.retained), (1, 0));
}

#[test]
fn a_large_first_write_takes_a_buffer_big_enough_at_once() {
    let pool = leaked_pool();
    let mut buf = StackBuf::<16>::new_in(pool);
    buf.extend_from_slice(b"head");
    buf.extend_from_slice(&[0; 5000]);
    assert_eq!(buf.len(), 5004);
    assert_eq!(buf.capacity(), 8192); // one get of the 8 KiB class, no regrowth
    assert_eq!(pool.stats().gets, 1);
}

#[test]
fn into_pooled_hands_over_the_spilled_buffer_or_copies_inline_bytes() {
    let pool = leaked_pool();
    let mut spilled = StackBuf::<4>::new_in(pool);
    spilled.extend_from_slice(b"spilled");
    let address = spilled.as_ptr();
    let pooled: PooledBuf<'static> = spilled.into_pooled();
    assert_eq!(pooled.as_ptr(), address, "no copy");
    assert_eq!(&pooled[..], b"spilled");
    assert!(std::ptr::eq(PooledBuf::pool(&pooled), pool));
    drop(pooled);

    let mut inline = StackBuf::<64>::new_in(pool);
    inline.extend_from_slice(b"inline");
    let pooled = inline.into_pooled();
    assert_eq!(&pooled[..], b"inline");
    assert_eq!(pooled.as_ptr(), address, "the pool's warm buffer");
    assert_eq!(pool.stats().hits, 1);
}

#[test]
fn into_vec_detaches_a_spilled_buffer_without_copying() {
    let pool = leaked_pool();
    let mut spilled = StackBuf::<4>::new_in(pool);
    spilled.extend_from_slice(b"spilled");
    let address = spilled.as_ptr();
    let vec = spilled.into_vec();
    assert_eq!(vec.as_ptr(), address);
    assert_eq!(vec, b"spilled");
    assert_eq!(pool.stats().retained, 0);
}
