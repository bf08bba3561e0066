//! A global allocator that fails one chosen allocation: the `n`-th one made after
//! [`fail_nth`] arms it, on any thread. It also counts allocations, so a test can check
//! that a path allocated nothing. Used by the allocation-failure tests (one per file, each
//! its own binary with `harness = false`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

/// Forwards to the system allocator, except for the one allocation chosen to fail.
pub struct FailingAlloc;

static ARMED: AtomicBool = AtomicBool::new(false);
static COUNTDOWN: AtomicUsize = AtomicUsize::new(0);
static INJECTED: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
/// Only allocations of at least this many bytes count towards the `n`-th.
static MIN_SIZE: AtomicUsize = AtomicUsize::new(0);

fn should_fail(size: usize) -> bool {
    ALLOCATIONS.fetch_add(1, SeqCst);
    if !ARMED.load(SeqCst) || size < MIN_SIZE.load(SeqCst) {
        return false;
    }
    if COUNTDOWN.fetch_sub(1, SeqCst) == 1 {
        ARMED.store(false, SeqCst);
        INJECTED.store(true, SeqCst);
        return true;
    }
    false
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, or
// returns null, which `GlobalAlloc` allows for any allocation that fails.
unsafe impl GlobalAlloc for FailingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if should_fail(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if should_fail(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A failed `realloc` returns null and leaves the old block as it was.
        if should_fail(new_size) {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded unchanged; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through this allocator, with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Like [`fail_nth`], counting only allocations of at least `min_size` bytes.
#[allow(dead_code)] // not every test file uses it
pub fn fail_nth_sized<R>(n: usize, min_size: usize, f: impl FnOnce() -> R) -> (R, bool) {
    MIN_SIZE.store(min_size, SeqCst);
    let outcome = fail_nth(n, f);
    MIN_SIZE.store(0, SeqCst);
    outcome
}

/// Runs `f` with the `n`-th allocation it makes (counting from 1) failing; returns its
/// result and whether that allocation was reached (so failed).
pub fn fail_nth<R>(n: usize, f: impl FnOnce() -> R) -> (R, bool) {
    assert!(n > 0);
    INJECTED.store(false, SeqCst);
    COUNTDOWN.store(n, SeqCst);
    ARMED.store(true, SeqCst);
    let result = f();
    ARMED.store(false, SeqCst);
    (result, INJECTED.swap(false, SeqCst))
}

/// How many allocations `f` makes (on all threads while it runs).
#[allow(dead_code)] // not every test file uses it
pub fn allocations_in<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let before = ALLOCATIONS.load(SeqCst);
    let result = f();
    (result, ALLOCATIONS.load(SeqCst) - before)
}

/// A path to test: called with `n`, it runs the path with its `n`-th allocation failing,
/// checks what must hold, and returns whether that allocation was reached.
pub type Scenario = Box<dyn Fn(usize) -> bool>;

const WHICH: &str = "POOLKIT_ALLOC_FAILURE_SCENARIO";
const NTH: &str = "POOLKIT_ALLOC_FAILURE_NTH";
/// A child's exit code when the path made fewer than `n` allocations.
const PAST_THE_LAST: i32 = 10;

/// Fails every allocation of every scenario in turn, each attempt in a child process of
/// its own (this same binary, told what to do by environment variables), so that an
/// abort is reported with the scenario and the allocation that caused it while the rest
/// still run. Exits with failure if any attempt failed.
pub fn run_every_allocation_failing(scenarios: Vec<(String, Scenario)>) {
    if let (Ok(which), Ok(n)) = (std::env::var(WHICH), std::env::var(NTH)) {
        let (_, run) = scenarios
            .iter()
            .find(|(name, _)| *name == which)
            .unwrap_or_else(|| panic!("no scenario `{which}`"));
        let reached = run(n.parse().expect("a number"));
        std::process::exit(if reached { 0 } else { PAST_THE_LAST });
    }
    let exe = std::env::current_exe().expect("this test binary");
    let mut failures = Vec::new();
    for (name, _) in &scenarios {
        let mut n = 1;
        loop {
            let output = std::process::Command::new(&exe)
                .env(WHICH, name)
                .env(NTH, n.to_string())
                .env("RUST_BACKTRACE", "1")
                .output()
                .expect("the attempt's process starts");
            match output.status.code() {
                Some(0) => {}
                Some(PAST_THE_LAST) => break,
                _ => {
                    let stderr = String::from_utf8_lossy(&output.stderr);
                    let first = stderr
                        .lines()
                        .find(|l| !l.trim().is_empty())
                        .unwrap_or("")
                        .to_owned();
                    let place = stderr
                        .lines()
                        .find(|l| l.contains("poolkit::") && !l.contains("failing_alloc"))
                        .unwrap_or("")
                        .trim()
                        .to_owned();
                    let place = place.split_once(": ").map_or(place.as_str(), |(_, p)| p);
                    failures.push((name.clone(), format!("{first} in {place}"), n));
                }
            }
            n += 1;
            assert!(n < 500, "{name}: more than 500 allocations");
        }
        assert!(n > 1, "{name}: made no allocation to fail");
        println!("{name}: each of its {} allocations failed in turn", n - 1);
    }
    if !failures.is_empty() {
        // One line per scenario and place, with the allocations that failed there.
        let mut grouped: Vec<(String, String, Vec<usize>)> = Vec::new();
        for (name, what, n) in failures {
            match grouped.last_mut() {
                Some((last_name, last_what, ns)) if *last_name == name && *last_what == what => {
                    ns.push(n)
                }
                _ => grouped.push((name, what, vec![n])),
            }
        }
        for (name, what, ns) in &grouped {
            let (first, last) = (ns[0], ns[ns.len() - 1]);
            println!(
                "ABORTED {name}, allocation {first}..={last} ({} of them): {what}",
                ns.len()
            );
        }
        std::process::exit(1);
    }
    println!(
        "every allocation of {} scenarios failed in turn: all handled",
        scenarios.len()
    );
}
