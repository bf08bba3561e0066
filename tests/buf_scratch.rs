//! `with_scratch` behaviour through the public API: cleared buffers,
//! reuse, distinct buffers when nested, panic safety, bounded retention.

use std::panic::{catch_unwind, AssertUnwindSafe};

use poolkit::buf::{
    try_with_scratch, with_scratch, SCRATCH_MAX_RETAINED_CAPACITY, SCRATCH_RETAINED_BUFFERS,
};

/// The address of the buffer `with_scratch(min_capacity, ..)` lends.
fn lent_address(min_capacity: usize) -> *const u8 {
    with_scratch(min_capacity, |buf| buf.as_ptr())
}

#[test]
fn lends_an_empty_buffer_with_the_requested_capacity() {
    for min_capacity in [0, 1, 100, 4096, 100_000] {
        with_scratch(min_capacity, |buf| {
            assert!(buf.is_empty());
            assert!(buf.capacity() >= min_capacity);
            buf.extend_from_slice(b"left behind");
        });
    }
    with_scratch(10, |buf| assert!(buf.is_empty()));
}

#[test]
fn the_next_call_reuses_the_allocation() {
    let first = lent_address(1024);
    for _ in 0..10 {
        assert_eq!(lent_address(1024), first);
        assert_eq!(lent_address(10), first);
    }
}

#[test]
fn nested_calls_get_distinct_buffers_and_each_keeps_its_bytes() {
    fn nest(depth: usize, seen: &mut Vec<*const u8>) {
        if depth == 0 {
            return;
        }
        with_scratch(64, |buf| {
            buf.extend_from_slice(&[depth as u8; 3]);
            assert!(
                !seen.contains(&buf.as_ptr()),
                "depth {depth} got a lent buffer"
            );
            seen.push(buf.as_ptr());
            nest(depth - 1, seen);
            assert_eq!(&buf[..], &[depth as u8; 3]);
            seen.pop();
        });
    }
    // Deeper than the retained count: the extra levels allocate, still
    // distinct.
    nest(SCRATCH_RETAINED_BUFFERS + 3, &mut Vec::new());
    nest(SCRATCH_RETAINED_BUFFERS + 3, &mut Vec::new());
}

#[test]
fn nested_calls_at_the_retained_depth_reuse_their_buffers() {
    fn addresses(depth: usize, out: &mut Vec<*const u8>) {
        if depth == 0 {
            return;
        }
        with_scratch(256, |buf| {
            out.push(buf.as_ptr());
            addresses(depth - 1, out);
        });
    }
    let mut first = Vec::new();
    addresses(SCRATCH_RETAINED_BUFFERS, &mut first);
    let mut second = Vec::new();
    addresses(SCRATCH_RETAINED_BUFFERS, &mut second);
    first.sort();
    second.sort();
    assert_eq!(first, second);
}

#[test]
fn a_panic_inside_leaves_the_scratch_usable() {
    let before = lent_address(128);
    let result = catch_unwind(AssertUnwindSafe(|| {
        with_scratch(128, |buf| {
            buf.extend_from_slice(b"half written");
            with_scratch(128, |_inner| panic!("inside a nested scratch"));
        })
    }));
    assert!(result.is_err());
    // Both buffers came back cleared; nesting still hands out distinct ones.
    with_scratch(128, |outer| {
        assert!(outer.is_empty());
        with_scratch(128, |inner| {
            assert!(inner.is_empty());
            assert_ne!(outer.as_ptr(), inner.as_ptr());
        });
    });
    assert_eq!(lent_address(128), before);
}

#[test]
fn a_buffer_lent_to_a_panicking_closure_comes_back() {
    // On a new thread the free list starts empty, so a capacity of exactly
    // 1000 can only come from the buffer the panicking closure grew.
    std::thread::spawn(|| {
        let result = catch_unwind(|| {
            with_scratch(0, |buf| {
                buf.reserve_exact(1000);
                buf.push(1);
                panic!("while holding the scratch buffer");
            })
        });
        assert!(result.is_err());
        with_scratch(0, |buf| {
            assert!(buf.is_empty());
            assert_eq!(buf.capacity(), 1000);
        });
    })
    .join()
    .unwrap();
}

#[test]
fn a_buffer_grown_past_the_limit_is_not_kept() {
    let small = lent_address(64);
    with_scratch(64, |buf| {
        assert_eq!(buf.as_ptr(), small);
        buf.resize(SCRATCH_MAX_RETAINED_CAPACITY + 1, 7);
    });
    // The grown buffer was freed, and no buffer of over the limit is lent
    // out again from the free list.
    with_scratch(0, |buf| {
        assert!(buf.capacity() <= SCRATCH_MAX_RETAINED_CAPACITY);
        assert!(buf.is_empty());
    });
    // A request over the limit is served, and not kept either.
    let huge = SCRATCH_MAX_RETAINED_CAPACITY * 2;
    with_scratch(huge, |buf| assert!(buf.capacity() >= huge));
    with_scratch(0, |buf| {
        assert!(buf.capacity() <= SCRATCH_MAX_RETAINED_CAPACITY)
    });
}

#[test]
fn a_buffer_swapped_out_by_the_closure_is_simply_gone() {
    let stolen = with_scratch(32, |buf| {
        buf.extend_from_slice(b"mine now");
        std::mem::take(buf)
    });
    assert_eq!(stolen, b"mine now");
    with_scratch(32, |buf| {
        assert!(buf.is_empty() && buf.capacity() >= 32);
        assert_ne!(buf.as_ptr(), stolen.as_ptr());
    });
}

#[test]
fn every_thread_has_its_own_scratch() {
    let here = lent_address(512) as usize;
    let there = std::thread::spawn(|| {
        with_scratch(512, |outer| {
            outer.push(1);
            lent_address(512) as usize
        })
    })
    .join()
    .unwrap();
    assert_ne!(here, there);
}

#[test]
fn an_impossible_size_is_an_error_or_a_panic_naming_it_and_breaks_nothing() {
    let mut called = false;
    let error = try_with_scratch(usize::MAX, |_| called = true).unwrap_err();
    assert!(!called);
    assert!(error.to_string().contains("capacity"), "{error}");
    let panic = catch_unwind(|| with_scratch(usize::MAX, |_| ())).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.contains(&format!("{} bytes", usize::MAX)),
        "{message}"
    );
    assert_eq!(try_with_scratch(64, |buf| buf.capacity() >= 64), Ok(true));
}
