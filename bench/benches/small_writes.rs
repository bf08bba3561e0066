//! Small formatted writes (`StackBuf` against `format!`, `Vec` and
//! `SmallVec`), spilling past the inline space, and scoped scratch
//! (`with_scratch` against a fresh `Vec`).
//!
//! Run: `cargo bench -p poolkit-bench --bench small_writes`
//! (short: `-- --warm-up-time 1 --measurement-time 3`), or one group:
//! `cargo bench -p poolkit-bench --bench small_writes -- small_key`.
//!
//! Every `small_key` row builds the same 20-byte key, `user:{id}:{field}`
//! with a 9-digit id and a 5-byte field, hands the bytes to `black_box` and
//! drops the buffer; rows differ only in the buffer.

use std::fmt::Write as _;
use std::hint::black_box;
use std::io::Write as _;

use criterion::{criterion_group, criterion_main, Criterion};
use poolkit::buf::{with_scratch, StackBuf};
use smallvec::SmallVec;

const ID: u64 = 123_456_789;
const FIELD: &str = "email";
const KEY_LEN: usize = 20;

fn small_key(c: &mut Criterion) {
    let mut group = c.benchmark_group("small_key");
    group.bench_function("format", |b| {
        b.iter(|| {
            let key = format!("user:{}:{}", black_box(ID), black_box(FIELD));
            debug_assert_eq!(key.len(), KEY_LEN);
            black_box(key.as_bytes());
        })
    });
    group.bench_function("Vec::new", |b| {
        b.iter(|| {
            let mut key = Vec::new();
            write!(key, "user:{}:{}", black_box(ID), black_box(FIELD)).unwrap();
            black_box(&key[..]);
        })
    });
    group.bench_function("Vec::with_capacity_32", |b| {
        b.iter(|| {
            let mut key = Vec::with_capacity(32);
            write!(key, "user:{}:{}", black_box(ID), black_box(FIELD)).unwrap();
            black_box(&key[..]);
        })
    });
    group.bench_function("SmallVec_256", |b| {
        b.iter(|| {
            let mut key = SmallVec::<[u8; 256]>::new();
            write!(key, "user:{}:{}", black_box(ID), black_box(FIELD)).unwrap();
            black_box(&key[..]);
        })
    });
    group.bench_function("StackBuf_256_io", |b| {
        b.iter(|| {
            let mut key = StackBuf::<256>::new();
            std::io::Write::write_fmt(
                &mut key,
                format_args!("user:{}:{}", black_box(ID), black_box(FIELD)),
            )
            .unwrap();
            black_box(&key[..]);
        })
    });
    group.bench_function("StackBuf_256_fmt", |b| {
        b.iter(|| {
            let mut key = StackBuf::<256>::new();
            std::fmt::Write::write_fmt(
                &mut key,
                format_args!("user:{}:{}", black_box(ID), black_box(FIELD)),
            )
            .unwrap();
            black_box(&key[..]);
        })
    });
    group.bench_function("StackBuf_32_fmt", |b| {
        b.iter(|| {
            let mut key = StackBuf::<32>::new();
            std::fmt::Write::write_fmt(
                &mut key,
                format_args!("user:{}:{}", black_box(ID), black_box(FIELD)),
            )
            .unwrap();
            black_box(&key[..]);
        })
    });
    group.bench_function("String_fmt_write", |b| {
        b.iter(|| {
            let mut key = String::new();
            key.write_fmt(format_args!("user:{}:{}", black_box(ID), black_box(FIELD)))
                .unwrap();
            black_box(key.as_bytes());
        })
    });
    group.finish();
}

/// The same small use of the buffer in every `scratch` row: a 64-byte
/// record into a buffer asked for with `capacity` bytes.
#[inline(always)]
fn write_record(buf: &mut Vec<u8>, capacity: usize) {
    debug_assert!(buf.is_empty() && buf.capacity() >= capacity);
    buf.extend_from_slice(black_box(&[b'r'; 64]));
    black_box(&buf[..]);
}

fn scratch(c: &mut Criterion) {
    let mut group = c.benchmark_group("scratch");
    for (size, name) in [(256, "256B"), (4096, "4KiB"), (64 * 1024, "64KiB")] {
        group.bench_function(format!("{name}/Vec::with_capacity"), |b| {
            b.iter(|| {
                let mut buf = Vec::with_capacity(black_box(size));
                write_record(&mut buf, size);
            })
        });
        group.bench_function(format!("{name}/with_scratch"), |b| {
            b.iter(|| with_scratch(black_box(size), |buf| write_record(buf, size)))
        });
    }
    group.finish();
}

/// A 100-byte record into 64 bytes of inline space: every row spills (or,
/// for `Vec`, allocates) once per iteration.
fn spill(c: &mut Criterion) {
    const RECORD: [u8; 100] = [b'r'; 100];
    let mut group = c.benchmark_group("spill_100B_past_64");
    group.bench_function("Vec::new", |b| {
        b.iter(|| {
            let mut buf = Vec::new();
            buf.extend_from_slice(&black_box(RECORD)[..50]);
            buf.extend_from_slice(&black_box(RECORD)[50..]);
            black_box(&buf[..]);
        })
    });
    group.bench_function("SmallVec_64", |b| {
        b.iter(|| {
            let mut buf = SmallVec::<[u8; 64]>::new();
            buf.extend_from_slice(&black_box(RECORD)[..50]);
            buf.extend_from_slice(&black_box(RECORD)[50..]);
            black_box(&buf[..]);
        })
    });
    group.bench_function("StackBuf_64", |b| {
        b.iter(|| {
            let mut buf = StackBuf::<64>::new();
            buf.extend_from_slice(&black_box(RECORD)[..50]);
            buf.extend_from_slice(&black_box(RECORD)[50..]);
            black_box(&buf[..]);
        })
    });
    group.finish();
}

criterion_group!(benches, small_key, scratch, spill);
criterion_main!(benches);
