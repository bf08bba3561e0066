//! The buffer workloads of the allocation report (`poolkit::buf`): the story's
//! handler with a 1 MiB buffer per request, messages encoded on one thread and
//! consumed on another, and small formatted keys.
//!
//! Each pair does the same work in both variants (the same bytes written and
//! read, the same lookups); only where the memory comes from changes. Every
//! result is passed to `black_box`, so nothing is optimized away.

use std::collections::HashMap;
use std::hint::black_box;
use std::rc::Rc;

use poolkit::buf::StackBuf;
use poolkit_report::Probe;

/// Reads a buffer eight bytes at a time: what a handler does with a body.
fn checksum(bytes: &[u8]) -> u64 {
    let mut words = bytes.chunks_exact(8);
    let mut sum = 0u64;
    for word in &mut words {
        let mut array = [0u8; 8];
        array.copy_from_slice(word);
        sum = sum.rotate_left(7) ^ u64::from_le_bytes(array);
    }
    for &byte in words.remainder() {
        sum = sum.rotate_left(7) ^ u64::from(byte);
    }
    sum
}

/// The buffer the story's handler allocates for every request.
const HANDLER_BUFFER: usize = 1 << 20;
/// The smallest request body of the 1 MiB workload.
const MIN_BODY: usize = 16 << 10;

/// Request `i`'s body length: spread over 16 KiB up to the whole buffer.
fn body_len(i: u64) -> usize {
    let spread = (HANDLER_BUFFER - MIN_BODY) as u64;
    MIN_BODY + (i.wrapping_mul(7919 * 4096) % spread) as usize
}

/// The story's handler: every request gets a 1 MiB buffer, the request body
/// (16 KiB to 1 MiB) is read into it and the handler reads it back. Before:
/// `Vec::with_capacity(1 MiB)` per request (Go's `make([]byte, 1<<20)`);
/// after: `poolkit::buf::get(1 MiB)`, the process-wide buffer pool. Both
/// write and read the same bytes.
pub fn megabyte_handler(quick: bool) -> crate::Workload {
    let requests: u64 = if quick { 100 } else { 2_000 };
    // The bytes arriving on the wire, allocated before the profiler starts.
    let wire: Rc<Vec<u8>> = Rc::new(
        (0..HANDLER_BUFFER)
            .map(|i| (i.wrapping_mul(31) % 251) as u8)
            .collect(),
    );
    let wire_with = wire.clone();
    crate::Workload {
        name: "1 MiB per request",
        change: "Vec::with_capacity(1 MiB) per request -> poolkit::buf::get(1 MiB)",
        without: Box::new(move |probe: &mut Probe| {
            for request in 0..requests {
                let mut buf = Vec::with_capacity(HANDLER_BUFFER);
                buf.extend_from_slice(&wire[..body_len(request)]);
                black_box(checksum(&buf));
                probe.tick();
            }
        }),
        with: Box::new(move |probe: &mut Probe| {
            for request in 0..requests {
                let mut buf = poolkit::buf::get(HANDLER_BUFFER);
                buf.extend_from_slice(&wire_with[..body_len(request)]);
                black_box(checksum(&buf));
                probe.tick();
            }
        }),
    }
}

/// Room reserved for one encoded message.
const MESSAGE_ROOM: usize = 1024;
/// Messages in flight at most: the channel's bound.
const IN_FLIGHT: usize = 64;

/// Encodes message `i`: an 8-byte id, a 4-byte length and a payload of 200 to
/// 999 bytes.
fn encode(i: u64, out: &mut Vec<u8>) {
    let payload = 200 + (i.wrapping_mul(37) % 800) as usize;
    out.extend_from_slice(&i.to_le_bytes());
    out.extend_from_slice(&(payload as u32).to_le_bytes());
    out.extend((0..payload).map(|k| (k as u8) ^ (i as u8)));
}

/// Runs `messages` messages through a bounded channel: this thread encodes
/// each one with `make` and sends it as `Bytes`; a second thread reads it
/// and drops it. Ticks once per message sent.
fn produce_and_consume(
    probe: &mut Probe,
    messages: u64,
    mut make: impl FnMut(u64) -> bytes::Bytes,
) {
    let (sender, receiver) = std::sync::mpsc::sync_channel::<bytes::Bytes>(IN_FLIGHT);
    std::thread::scope(|scope| {
        let consumer = scope.spawn(move || {
            let mut sum = 0u64;
            for message in receiver {
                sum ^= checksum(&message);
            } // each message is dropped here, on the consumer thread
            sum
        });
        for i in 0..messages {
            if sender.send(make(i)).is_err() {
                break; // the consumer is gone: it panicked, and join says so
            }
            probe.tick();
        }
        drop(sender);
        black_box(consumer.join().ok());
    });
}

/// Messages encoded on one thread and consumed on another. Before: a fresh
/// `Vec` per message, sent as `Bytes::from(vec)`; after: a pooled buffer
/// from `poolkit::buf::get`, sent as `PooledBuf::freeze(buf)`, whose storage
/// goes back to the pool when the consumer drops it.
pub fn cross_thread_messages(quick: bool) -> crate::Workload {
    let messages: u64 = if quick { 5_000 } else { 100_000 };
    crate::Workload {
        name: "messages across threads",
        change: "a fresh Vec per message -> a pooled buffer frozen into Bytes (PooledBuf::freeze)",
        without: Box::new(move |probe: &mut Probe| {
            produce_and_consume(probe, messages, |i| {
                let mut message = Vec::with_capacity(MESSAGE_ROOM);
                encode(i, &mut message);
                bytes::Bytes::from(message)
            });
        }),
        with: Box::new(move |probe: &mut Probe| {
            produce_and_consume(probe, messages, |i| {
                let mut message = poolkit::buf::get(MESSAGE_ROOM);
                encode(i, &mut message);
                poolkit::buf::PooledBuf::freeze(message)
            });
        }),
    }
}

/// Users with a session in the lookup table (half the keys looked up miss).
const USERS: u64 = 1_000;

/// Small formatted keys: every lookup formats a key like
/// `user:123:session:11` (about 20 bytes) and looks it up in a map. Before:
/// `format!` (a `String` per key); after: a `StackBuf<64>` on the stack.
/// Both hash and compare the same bytes.
pub fn formatted_keys(quick: bool) -> crate::Workload {
    let lookups: u64 = if quick { 20_000 } else { 200_000 };
    let table: Rc<HashMap<String, u64>> = Rc::new(
        (0..USERS)
            .map(|user| (format!("user:{user}:session:{}", user % 16), user))
            .collect(),
    );
    let table_with = table.clone();
    let user_of = |i: u64| i.wrapping_mul(7919) % (2 * USERS);
    crate::Workload {
        name: "formatted keys",
        change: "format! per key -> a StackBuf<64> on the stack",
        without: Box::new(move |probe: &mut Probe| {
            let mut found = 0u64;
            for i in 0..lookups {
                let user = user_of(i);
                let key = format!("user:{user}:session:{}", user % 16);
                found += table.get(key.as_str()).copied().unwrap_or(0);
                probe.tick();
            }
            black_box(found);
        }),
        with: Box::new(move |probe: &mut Probe| {
            let mut found = 0u64;
            for i in 0..lookups {
                let user = user_of(i);
                let mut key = StackBuf::<64>::new();
                if write!(key, "user:{user}:session:{}", user % 16).is_ok() {
                    if let Ok(key) = key.as_str() {
                        found += table_with.get(key).copied().unwrap_or(0);
                    }
                }
                probe.tick();
            }
            black_box(found);
        }),
    }
}
