//! Guards act like their value: printed, compared, hashed, borrowed, read
//! and written exactly as the value is, without `&*guard`.

// Clippy's `mutable_key_type` flags any guard used as a key because the pool
// it refers to has interior mutability; a guard's `Hash`, `Eq` and `Ord` read
// only the value (see `src/pool/guard_traits.rs`), so the lint does not apply.
#![allow(clippy::mutable_key_type)]

use std::borrow::{Borrow, BorrowMut};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{Read, Write};
use std::sync::Arc;

use poolkit::{OwnedPooled, Pool, Pooled};

fn owned(pool: &Arc<Pool<String>>, text: &str) -> OwnedPooled<String> {
    let mut guard = pool.get_owned();
    guard.push_str(text);
    guard
}

#[test]
fn a_guard_prints_as_its_value() {
    let pool = Pool::new(String::new);
    let mut name = pool.get();
    name.push_str("alice");
    assert_eq!(format!("{name}"), "alice");
    assert_eq!(
        format!("[{name:>7}]"),
        "[  alice]",
        "format flags reach the value"
    );
    assert_eq!(name.to_string(), "alice");
    let arc = Arc::new(Pool::new(String::new));
    assert_eq!(format!("{}", owned(&arc, "bob")), "bob");
}

#[test]
fn guards_in_a_hash_set_are_found_by_value() {
    let pool = Arc::new(Pool::new(String::new));
    let mut seen: HashSet<OwnedPooled<String>> = HashSet::new();
    assert!(seen.insert(owned(&pool, "alice")));
    assert!(seen.insert(owned(&pool, "bob")));
    assert!(
        !seen.insert(owned(&pool, "alice")),
        "equal values are one key"
    );
    assert_eq!(seen.len(), 2);
    // Looked up with a plain `&String`, through `Borrow<String>`.
    assert!(seen.contains(&String::from("alice")));
    assert!(!seen.contains(&String::from("carol")));

    let counts_pool = Pool::new(String::new);
    let mut counts: HashMap<Pooled<'_, String>, u32> = HashMap::new();
    for word in ["a", "b", "a"] {
        let mut key = counts_pool.get();
        key.push_str(word);
        *counts.entry(key).or_default() += 1;
    }
    assert_eq!(counts[&String::from("a")], 2);
    assert_eq!(counts[&String::from("b")], 1);
}

#[test]
fn guards_compare_and_sort_by_value() {
    let pool = Pool::new(String::new);
    let make = |text: &str| {
        let mut guard = pool.get();
        guard.push_str(text);
        guard
    };
    let (a, b, also_a) = (make("apple"), make("banana"), make("apple"));
    assert!(a == also_a && a != b);
    assert!(a < b);
    assert!(b > a);
    assert!(a <= also_a);
    assert!(a >= also_a);
    // Each operator is forwarded on its own: check the false cases too.
    assert!(!a.lt(&also_a) && !a.gt(&also_a) && !b.le(&a) && !a.ge(&b));
    assert_eq!(a.cmp(&b), std::cmp::Ordering::Less);
    assert_eq!(b.partial_cmp(&a), Some(std::cmp::Ordering::Greater));

    let mut sorted = vec![make("pear"), make("fig"), make("kiwi")];
    sorted.sort();
    let order: Vec<&str> = sorted.iter().map(|g| g.as_str()).collect();
    assert_eq!(order, ["fig", "kiwi", "pear"]);
    let set: BTreeSet<Pooled<'_, String>> = sorted.into_iter().collect();
    assert_eq!(set.first().map(|g| g.as_str()), Some("fig"));

    let floats = Pool::builder_with_reset(|| 0.0f64, |x| *x = 0.0)
        .build()
        .unwrap();
    let mut nan = floats.get();
    *nan = f64::NAN;
    let one = {
        let mut g = floats.get();
        *g = 1.0;
        g
    };
    assert_eq!(nan.partial_cmp(&one), None, "NaN stays unordered");
    assert!(nan != nan);
}

#[test]
fn guards_borrow_as_their_value() {
    fn length<S: Borrow<String>>(s: S) -> usize {
        s.borrow().len()
    }
    fn shout<S: BorrowMut<String>>(mut s: S) -> S {
        s.borrow_mut().make_ascii_uppercase();
        s
    }
    fn first_byte<S: AsRef<Vec<u8>>>(s: &S) -> Option<u8> {
        s.as_ref().first().copied()
    }
    let pool = Arc::new(Pool::new(String::new));
    assert_eq!(length(owned(&pool, "four")), 4);
    assert_eq!(*shout(owned(&pool, "hey")), "HEY");
    let bytes = Pool::new(Vec::<u8>::new);
    let mut body = bytes.get();
    body.push(7);
    assert_eq!(first_byte(&body), Some(7));
}

#[test]
fn guards_read_and_write_through_their_value() {
    fn render(out: &mut impl Write, id: u32) -> std::io::Result<()> {
        write!(out, "{{\"id\":{id}}}")?;
        out.flush()
    }
    let bodies = Arc::new(Pool::new(Vec::<u8>::new));
    let mut body = bodies.get_owned();
    render(&mut body, 42).unwrap();
    body.write_all(b"\n").unwrap();
    assert_eq!(&body[..], b"{\"id\":42}\n");

    let cursors = Pool::builder_with_reset(
        || std::io::Cursor::new(Vec::<u8>::new()),
        |c| {
            c.get_mut().clear();
            c.set_position(0);
        },
    )
    .build()
    .unwrap();
    let mut input = cursors.get();
    input.get_mut().extend_from_slice(b"line one");
    let mut text = String::new();
    input.read_to_string(&mut text).unwrap();
    assert_eq!(text, "line one");
}
