//! Bad input to the caches' constructors: errors that name the field, never an abort, and
//! panics (from the panicking shorthands) that point at the caller's line.

use std::panic;
use std::sync::Mutex;

use poolkit::cache::{CacheConfigError, ShardedTtlCache, TtlCache};

/// Runs `f`, which must panic, and returns the file and line the panic reported.
fn panic_location(f: impl FnOnce() + panic::UnwindSafe) -> (String, u32) {
    static LOCATION: Mutex<Option<(String, u32)>> = Mutex::new(None);
    static HOOK: Mutex<()> = Mutex::new(());
    let _one_at_a_time = HOOK.lock().unwrap();
    let previous = panic::take_hook();
    panic::set_hook(Box::new(|info| {
        let at = info.location().unwrap();
        *LOCATION.lock().unwrap() = Some((at.file().to_string(), at.line()));
    }));
    let result = panic::catch_unwind(f);
    panic::set_hook(previous);
    assert!(result.is_err(), "expected a panic");
    LOCATION.lock().unwrap().take().unwrap()
}

#[test]
fn new_with_zero_capacity_panics_at_the_callers_line() {
    let line = line!() + 1;
    let at = panic_location(|| drop(TtlCache::<u8, u8>::new(0)));
    assert_eq!(at, (file!().to_string(), line));
    let line = line!() + 1;
    let at = panic_location(|| drop(ShardedTtlCache::<u8, u8>::new(0)));
    assert_eq!(at, (file!().to_string(), line));
}

#[test]
fn a_capacity_too_large_to_allocate_is_an_error_not_an_abort() {
    let err = TtlCache::<u64, u64>::builder(u32::MAX as usize - 1)
        .build()
        .unwrap_err();
    assert!(matches!(err, CacheConfigError::OutOfMemory { bytes } if bytes > 1 << 30));
    assert_eq!(err.field(), "capacity");
    assert!(err.to_string().contains("could not be allocated"), "{err}");
    let err = ShardedTtlCache::<u64, u64>::builder(u32::MAX as usize - 1)
        .shards(2)
        .build()
        .unwrap_err();
    assert!(
        matches!(err, CacheConfigError::OutOfMemory { .. }),
        "{err:?}"
    );
    assert_eq!(
        TtlCache::<u64, u64>::builder(u32::MAX as usize)
            .build()
            .unwrap_err(),
        CacheConfigError::CapacityTooLarge
    );
}

/// Resident memory of this process, in bytes (Linux).
#[cfg(target_os = "linux")]
fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[cfg(target_os = "linux")]
#[test]
fn a_large_empty_cache_is_not_resident_until_filled() {
    let before = resident_bytes();
    let mut cache = TtlCache::<u64, u64>::builder(10_000_000).build().unwrap();
    let empty = resident_bytes().saturating_sub(before);
    // Reserved: 91 bytes per entry (910 MB). Written at once: the index's control bytes
    // and the ghost table, about 5 bytes per entry.
    assert!(
        empty < 80 << 20,
        "an empty 10M-entry cache made {empty} bytes resident"
    );
    for k in 0..1_000u64 {
        cache.insert(k, k).unwrap();
    }
    assert_eq!(cache.get(&999), Some(&999));
}
