//! `try_with_scratch` under allocation failure, on a thread that keeps a scratch buffer
//! and on a thread's first use, with each allocation it makes failing in turn (a global
//! allocator that fails the `n`-th one, each attempt in a child process): the failure is
//! an error value, the closure does not run, the buffer the thread kept is still kept
//! (the next call allocates nothing), and the next call works.
//!
//! `harness = false`: the failing allocator is this binary's global allocator.

#[path = "support/failing_alloc.rs"]
mod failing_alloc;

use failing_alloc::{allocations_in, fail_nth};
use poolkit::buf::{try_with_scratch, with_scratch};

#[global_allocator]
static ALLOCATOR: failing_alloc::FailingAlloc = failing_alloc::FailingAlloc;

/// `try_with_scratch` for more than the thread keeps, with its `n`-th allocation
/// failing, on a thread of its own (`warm`: one scratch buffer already kept).
fn scratch_with_nth_failing(warm: bool, n: usize) -> bool {
    std::thread::spawn(move || {
        if warm {
            with_scratch(64, |buf| buf.extend_from_slice(b"warm"));
        }
        let what = format!("try_with_scratch, warm {warm}, allocation {n} failing");
        let mut called = false;
        let (result, injected) = fail_nth(n, || {
            try_with_scratch(128 * 1024, |buf| {
                called = true;
                assert!(buf.is_empty());
                buf.capacity()
            })
        });
        match result {
            Ok(capacity) => assert!(called && capacity >= 128 * 1024, "{what}"),
            Err(e) => {
                assert!(injected, "{what}: {e} with no allocation failing");
                assert!(!called, "{what}: the closure ran without its buffer");
            }
        }
        if warm {
            // The buffer kept before the failure is still kept: no allocation.
            let ((), made) = allocations_in(|| with_scratch(64, |buf| assert!(buf.is_empty())));
            assert_eq!(made, 0, "{what}: the kept scratch buffer was lost");
        }
        let len = try_with_scratch(128 * 1024, |buf| {
            buf.extend_from_slice(b"after");
            buf.len()
        });
        assert_eq!(len, Ok(5), "{what}: unusable afterwards");
        injected
    })
    .join()
    .expect("the scenario's thread")
}

fn main() {
    let mut scenarios: Vec<(String, failing_alloc::Scenario)> = Vec::new();
    for warm in [true, false] {
        scenarios.push((
            format!("try_with_scratch, warm {warm}"),
            Box::new(move |n| scratch_with_nth_failing(warm, n)),
        ));
    }
    failing_alloc::run_every_allocation_failing(scenarios);
}
