//! What an exited thread's cache becomes. Alone in its own test binary so no
//! other test's threads take thread ids meanwhile: thread ids (and so thread
//! caches) are shared by every pool in the process.

use std::sync::Arc;
use std::thread;

use poolkit::Pool;

#[test]
fn exited_threads_never_take_the_pool_past_its_bound() {
    let pool = Arc::new(
        Pool::builder(Vec::<u8>::new)
            .local_capacity(4)
            .shared_capacity(2)
            .build()
            .unwrap(),
    );
    for round in 0..40u64 {
        // `join` (unlike the end of `thread::scope`) waits until the thread
        // has really exited, thread-local destructors included, so its id is
        // free again when the next worker starts.
        let p = Arc::clone(&pool);
        thread::spawn(move || {
            let burst: Vec<_> = (0..10).map(|_| p.get()).collect();
            drop(burst);
        })
        .join()
        .unwrap();
        // One worker alive at a time: each one inherits the exited worker's
        // cache, so the pool never holds more than one cache plus the queue.
        let stats = pool.stats();
        assert!(stats.retained <= 4 + 2, "round {round}: {stats:?}");
        // Every worker after the first reused the 4 objects its predecessor
        // left in the cache it inherited, and the batch of 2 in the shared
        // tier: one get takes the batch (a shared hit), the next takes the
        // batch's other object from the cache (a local hit).
        assert_eq!(stats.local_hits, round * 5);
        assert_eq!(stats.shared_hits, round);
        assert_eq!(stats.thread_caches, 1);
    }
}
