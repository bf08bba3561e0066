//! Panics the harness provokes on purpose (from a pool's hooks), told apart from real
//! failures: libFuzzer's panic hook turns every panic into a crash, so this wraps it and
//! stays silent for a panic raised while [`expect_panic`] runs its closure.

#![allow(dead_code)]

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static EXPECTED: Cell<bool> = const { Cell::new(false) };
}

/// The message of every panic the harness provokes.
pub const PROVOKED: &str = "provoked by the fuzz harness";

/// Installs the wrapper around the current panic hook (once per process).
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let provoked = info
                .payload()
                .downcast_ref::<&str>()
                .is_some_and(|m| *m == PROVOKED);
            if !(provoked && EXPECTED.with(Cell::get)) {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, which may panic with [`PROVOKED`]; returns whether it panicked.
pub fn expect_panic(f: impl FnOnce()) -> bool {
    EXPECTED.with(|e| e.set(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    EXPECTED.with(|e| e.set(false));
    match result {
        Ok(()) => false,
        Err(payload) => {
            assert!(
                payload
                    .downcast_ref::<&str>()
                    .is_some_and(|m| *m == PROVOKED),
                "an unexpected panic"
            );
            true
        }
    }
}
