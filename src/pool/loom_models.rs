//! loom models of the pool's atomic protocols. Run with
//! `RUSTFLAGS="--cfg loom" cargo test --release --lib loom`.
//!
//! - `Counter`: one writer increments with load + store, readers on other
//!   threads must see a value that never goes backwards and ends exact.
//! - `SharedTier` aging: `trim` racing with pops and pushes must never free
//!   more objects than it may, never lose or duplicate one, and its counters
//!   must add up. (`ArrayQueue` itself is crossbeam's and is not modelled:
//!   loom sees each push/pop as one step, i.e. as a linearizable queue.)

use loom::sync::Arc;
use loom::thread;

use super::shared::SharedTier;
use super::stats::Counter;

#[test]
fn loom_counter_single_writer_is_monotonic_for_readers() {
    loom::model(|| {
        let counter = Arc::new(Counter::default());
        let writer = {
            let counter = Arc::clone(&counter);
            thread::spawn(move || {
                counter.bump();
                counter.bump();
            })
        };
        let first = counter.read();
        let second = counter.read();
        assert!(first <= second && second <= 2, "{first} then {second}");
        writer.join().unwrap();
        assert_eq!(counter.read(), 2);
    });
}

#[test]
fn loom_shared_trim_racing_with_reuse_frees_only_idle_objects() {
    loom::model(|| {
        let tier = Arc::new(SharedTier::new(4));
        for id in 0..3u32 {
            tier.push(id).unwrap();
        }
        assert_eq!(tier.trim(), 0); // all three are now the old generation
        tier.push(3).unwrap(); // a young one, returned after that trim
        let user = {
            let tier = Arc::clone(&tier);
            thread::spawn(move || {
                // Reuse one object, if the trim left any, and give it back.
                let id = tier.pop();
                if let Some(id) = id {
                    tier.push(id).unwrap();
                }
                id
            })
        };
        let freed = tier.trim();
        let reused = user.join().unwrap();
        // Nothing lost or duplicated: kept + freed is what went in.
        assert_eq!(tier.len() + freed, 4);
        assert_eq!(tier.trimmed(), freed as u64);
        match reused {
            // The trim ran first: all three were idle since the last trim.
            None => assert_eq!((freed, tier.len()), (3, 1)),
            // Racing with a reuse, the trim may free the reused object
            // instead of an idle one (documented), but never more objects
            // than the old generation had.
            Some(_) => assert!(freed <= 3, "freed {freed} of an old generation of 3"),
        }
        let mut left = Vec::new();
        while let Some(id) = tier.pop() {
            left.push(id);
        }
        assert!(left.iter().all(|&id| id < 4));
        // A second trim with no use in between frees everything left.
        for id in left {
            tier.push(id).unwrap();
        }
        tier.trim();
        tier.trim();
        assert_eq!(tier.len(), 0);
    });
}
