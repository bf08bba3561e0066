//! A producer thread takes objects and a consumer thread drops them: how many
//! returns the pool keeps, and that the ones it cannot keep are counted.

use std::sync::mpsc;
use std::sync::Arc;

use poolkit::pool::{DEFAULT_LOCAL_CAPACITY, DEFAULT_SHARED_CAPACITY};
use poolkit::{OwnedPooled, Pool, PoolStats};

const IN_FLIGHT: usize = 400;

/// One round: the producer takes `IN_FLIGHT` objects, all in flight at
/// once, and the consumer drops them. Returns the stats after the round.
fn round(pool: &Arc<Pool<Vec<u8>>>) -> PoolStats {
    let held: Vec<OwnedPooled<Vec<u8>>> = (0..IN_FLIGHT).map(|_| pool.get_owned()).collect();
    let (tx, rx) = mpsc::channel();
    let consumer = std::thread::spawn(move || {
        for buf in rx {
            drop(buf);
        }
    });
    for buf in held {
        tx.send(buf).unwrap();
    }
    drop(tx);
    consumer.join().unwrap();
    pool.stats()
}

#[test]
fn returns_beyond_what_a_consumer_can_keep_are_counted_as_dropped_full() {
    let pool = Arc::new(Pool::new(|| Vec::<u8>::with_capacity(64)));
    let s = round(&pool);
    // The consumer keeps a full cache, and the shared queue fills up; the
    // rest is dropped, and counted where users look.
    let kept = DEFAULT_LOCAL_CAPACITY + DEFAULT_SHARED_CAPACITY;
    assert_eq!(s.retained as usize, kept, "{s:?}");
    assert_eq!(s.dropped_full as usize, IN_FLIGHT - kept, "{s:?}");
    assert_eq!(s.returns, s.stored_local + s.stored_shared + s.dropped_full);
    // The producer allocates again for every dropped return, and for what
    // sits in the consumer's cache, out of its reach.
    let before = s.misses;
    let s = round(&pool);
    assert_eq!(
        (s.misses - before) as usize,
        IN_FLIGHT - DEFAULT_SHARED_CAPACITY,
        "{s:?}"
    );
}

#[test]
fn shared_capacity_sized_to_the_objects_in_flight_drops_nothing() {
    let pool = Arc::new(
        Pool::builder(|| Vec::<u8>::with_capacity(64))
            .shared_capacity(IN_FLIGHT)
            .build()
            .unwrap(),
    );
    let s = round(&pool);
    assert_eq!(s.dropped_full, 0, "{s:?}");
    let before = s.misses;
    let s = round(&pool);
    assert_eq!(s.dropped_full, 0, "{s:?}");
    // Only what the consumer's own cache keeps is out of the producer's
    // reach: one batch, as the consumer only returns.
    assert_eq!(
        (s.misses - before) as usize,
        DEFAULT_LOCAL_CAPACITY / 2,
        "{s:?}"
    );
}

/// A producer keeps `K` objects in flight to a consumer that only returns
/// them: the consumer hands them back in batches of half a cache, so the
/// factory runs at most `K` + one batch (+ 2 for the objects between the
/// two threads' hands) times, however long the pipeline runs.
#[test]
fn a_pipeline_with_k_objects_in_flight_makes_at_most_k_plus_one_batch_and_two() {
    const K: usize = 4;
    const ITEMS: usize = 20_000;
    let pool = Arc::new(Pool::new(|| Vec::<u8>::with_capacity(64)));
    let (to_consumer, from_producer) = mpsc::sync_channel::<OwnedPooled<Vec<u8>>>(K);
    let (ack, acks) = mpsc::channel::<()>();
    let consumer = std::thread::spawn(move || {
        for buf in from_producer {
            drop(buf);
            if ack.send(()).is_err() {
                break;
            }
        }
    });
    let mut in_flight = 0;
    for _ in 0..ITEMS {
        if in_flight == K {
            acks.recv().unwrap();
            in_flight -= 1;
        }
        let mut buf = pool.get_owned();
        buf.push(1);
        to_consumer.send(buf).unwrap();
        in_flight += 1;
    }
    drop(to_consumer);
    consumer.join().unwrap();
    let s = pool.stats();
    let batch = DEFAULT_LOCAL_CAPACITY / 2;
    assert!(
        s.misses as usize <= K + 2 + batch,
        "factory ran {} times for {K} in flight: {s:?}",
        s.misses
    );
    assert_eq!(s.gets as usize, ITEMS);
    assert_eq!(s.outstanding, 0);
}
