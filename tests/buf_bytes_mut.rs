//! `PooledBytesMut`: a `BytesMut` on pooled storage that goes back when the
//! guard drops, if the `BytesMut` still owns it alone.
#![cfg(feature = "bytes")]

use std::sync::Arc;

use bytes::{Buf, BufMut, BytesMut};
use poolkit::buf::{BufPool, OwnedPooledBytesMut, PooledBytesMut};

#[test]
fn capacity_covers_the_request_and_the_storage_is_reused() {
    let pool = BufPool::new();
    for n in [0, 1, 64, 65, 1000, 4096, 100_000, 1 << 20] {
        let mut buf = pool.get_bytes_mut(n);
        assert!(buf.is_empty());
        assert!(buf.capacity() >= n, "{n}: {}", buf.capacity());
        buf.put_u64(n as u64);
        let storage = buf.as_ptr();
        drop(buf);
        let again = pool.get_bytes_mut(n);
        assert!(again.is_empty(), "cleared on return");
        assert_eq!(again.as_ptr(), storage, "{n}: the same storage again");
    }
    let stats = pool.stats();
    // 16 gets; 0, 1 and 64 B share the 64 B class: one miss per class.
    assert_eq!((stats.hits, stats.misses), (10, 6), "{stats:?}");
}

#[test]
fn a_codec_writes_and_reads_through_the_guard() {
    let pool = BufPool::new();
    let mut frame = pool.get_bytes_mut(256);
    encode(&mut frame, b"hello");
    encode(&mut frame, b"world");
    let mut read = &frame[..];
    assert_eq!(read.get_u16(), 5);
    assert_eq!(&read[..5], b"hello");
    frame.advance(7); // consumed one frame: the storage still goes back whole
    assert_eq!(&frame[2..], b"world");
    drop(frame);
    let stats = pool.stats();
    assert_eq!(stats.retained, 1);
    assert_eq!(stats.retained_bytes, 256);
}

/// A codec's `encode` takes `&mut BytesMut`.
fn encode(dst: &mut BytesMut, item: &[u8]) {
    dst.put_u16(item.len() as u16);
    dst.extend_from_slice(item);
}

#[test]
fn storage_shared_with_a_live_part_is_not_given_back() {
    let pool = BufPool::new();
    let mut buf = pool.get_bytes_mut(4096);
    buf.put_slice(b"header|body");
    let header = buf.split_to(7).freeze();
    drop(buf);
    let stats = pool.stats();
    assert_eq!((stats.retained, stats.detached), (0, 1), "{stats:?}");
    assert_eq!(&header[..], b"header|"); // untouched by the guard's drop
}

#[test]
fn storage_whole_again_after_the_parts_dropped_goes_back() {
    let pool = BufPool::new();
    let mut buf = pool.get_bytes_mut(4096);
    let storage = buf.as_ptr();
    buf.put_slice(b"header|body");
    drop(buf.split_to(7)); // a part that is gone before the guard drops
    drop(buf);
    let stats = pool.stats();
    assert_eq!((stats.retained, stats.retained_bytes), (1, 4096));
    assert_eq!(pool.get_bytes_mut(4096).as_ptr(), storage);
}

#[test]
fn grown_storage_goes_to_the_class_of_its_capacity() {
    let pool = BufPool::new();
    let mut buf = pool.get_bytes_mut(64);
    buf.put_bytes(7, 5000); // grows past 4 KiB
    let capacity = buf.capacity();
    assert!(capacity >= 5000);
    drop(buf);
    let class = 1usize << capacity.ilog2();
    let stats = pool.stats();
    let kept = stats.classes.iter().find(|c| c.size == class).unwrap();
    assert_eq!((kept.retained, kept.retained_bytes), (1, capacity));
    assert_eq!(stats.retained, 1);
}

#[test]
fn detach_keeps_the_bytes_mut_and_panics_free_the_storage() {
    let pool = BufPool::new();
    let mut buf = pool.get_bytes_mut(100);
    buf.put_slice(b"mine");
    let kept: BytesMut = PooledBytesMut::detach(buf);
    assert_eq!(&kept[..], b"mine");
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut buf = pool.get_bytes_mut(100);
        buf.put_slice(b"half-written");
        panic!("codec failed");
    }));
    assert!(result.is_err());
    let stats = pool.stats();
    assert_eq!(
        (stats.detached, stats.discarded_unwinding, stats.retained),
        (1, 1, 0)
    );
}

#[test]
fn the_owned_guard_returns_its_storage_from_another_thread() {
    let pool = Arc::new(BufPool::new());
    let mut buf: OwnedPooledBytesMut = pool.get_bytes_mut_owned(10_000);
    buf.put_slice(b"encoded here");
    let storage = buf.as_ptr();
    std::thread::spawn(move || assert_eq!(&buf[..], b"encoded here"))
        .join()
        .unwrap();
    assert_eq!(pool.stats().retained_bytes, 16 << 10);
    assert_eq!(pool.get_bytes_mut(10_000).as_ptr(), storage);
}

#[test]
fn the_budget_bounds_bytes_mut_storage_too() {
    let pool = BufPool::builder()
        .max_class(64 << 10)
        .max_retained_bytes(64 << 10)
        .thread_cache_bytes(16 << 10)
        .build()
        .unwrap();
    let burst: Vec<_> = (0..10).map(|_| pool.get_bytes_mut(16 << 10)).collect();
    drop(burst);
    let stats = pool.stats();
    assert_eq!(stats.retained_bytes, 64 << 10, "{stats:?}");
    assert!(stats.reserved_bytes <= 64 << 10);
    assert_eq!(stats.refused_budget, 6);
}

#[test]
fn a_failed_allocation_is_an_error() {
    let pool = BufPool::new();
    assert!(pool.try_get_bytes_mut(usize::MAX).is_err());
    assert!(pool.try_get_bytes_mut(isize::MAX as usize).is_err());
    assert_eq!(pool.stats().retained_bytes, 0);
}
