//! A `BufPool` whose byte budget cannot hold one buffer of its largest
//! class is a configuration error naming `max_retained_bytes`, not a pool
//! that silently keeps nothing of its top classes.

use poolkit::buf::{BufConfigError, BufPool};

#[test]
fn a_budget_below_the_top_class_is_refused_with_its_name() {
    // The default top class is 16 MiB.
    let error = BufPool::builder()
        .max_retained_bytes(1 << 20)
        .build()
        .unwrap_err();
    assert_eq!(error.field(), "max_retained_bytes");
    assert_eq!(
        error,
        BufConfigError::BudgetBelowMaxClass {
            max_retained_bytes: 1 << 20,
            max_class: 16 << 20,
        }
    );
    let message = error.to_string();
    assert!(
        message.contains("`max_retained_bytes` (1048576)"),
        "{message}"
    );
    assert!(message.contains("`max_class` (16777216)"), "{message}");

    // One byte short of the class is refused too.
    let error = BufPool::builder()
        .max_class(64 << 10)
        .max_retained_bytes((64 << 10) - 1)
        .build()
        .unwrap_err();
    assert_eq!(error.field(), "max_retained_bytes");
}

#[test]
fn a_budget_of_exactly_the_top_class_keeps_one_buffer_of_it() {
    let pool = BufPool::builder()
        .max_class(1 << 20)
        .max_retained_bytes(1 << 20)
        .build()
        .unwrap();
    let burst: Vec<_> = (0..4).map(|_| pool.get(1 << 20)).collect();
    drop(burst);
    let stats = pool.stats();
    assert_eq!(stats.retained_bytes, 1 << 20, "{stats:?}");
    assert_eq!(stats.refused_budget, 3, "{stats:?}");
    // The kept one serves the next request of that class.
    drop(pool.get(1 << 20));
    assert_eq!(pool.stats().hits, 1);
}

#[test]
fn a_zero_budget_is_accepted_and_keeps_nothing() {
    let pool = BufPool::builder().max_retained_bytes(0).build().unwrap();
    drop(pool.get(16 << 20));
    assert_eq!(pool.stats().retained_bytes, 0);
}
