//! `Slots<T>` through the public API, inside a `Pool`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use poolkit::{Pool, Slots};

#[test]
fn a_pooled_slots_keeps_its_strings_and_shows_nothing_stale() {
    let pool = Pool::new(Slots::<String>::new);
    let mut fields = pool.get();
    for word in "alice 200 /login".split(' ') {
        fields.push_with(|f| f.push_str(word));
    }
    let buffers: Vec<*const u8> = fields.iter().map(|f| f.as_ptr()).collect();
    drop(fields);

    let mut fields = pool.get();
    assert!(fields.is_empty(), "reset on return");
    assert_eq!(fields.retained(), 3, "the Strings were kept");
    for word in "bob 404".split(' ') {
        fields.push_with(|f| f.push_str(word));
    }
    assert_eq!(fields.as_slice(), ["bob", "404"], "nothing of alice");
    let reused: Vec<*const u8> = fields.iter().map(|f| f.as_ptr()).collect();
    assert_eq!(reused, buffers[..2], "the same String buffers");
}

#[test]
fn index_past_the_elements_panics_at_the_caller() {
    let mut slots = Slots::<String>::new();
    slots.push_with(|s| s.push('a'));
    slots.push_with(|s| s.push('b'));
    slots.truncate(1); // slot 1 is now spare: not indexable
    let location = Arc::new(Mutex::new(None));
    let seen = location.clone();
    let this_thread = std::thread::current().id();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == this_thread {
            *seen.lock().unwrap() = info.location().map(|l| l.file().to_owned());
        }
    }));
    let result = catch_unwind(AssertUnwindSafe(|| slots[1].len()));
    std::panic::set_hook(previous);
    assert!(result.is_err());
    // `#[track_caller]`: the panic names this file, not poolkit's.
    assert_eq!(location.lock().unwrap().as_deref(), Some(file!()));
}
