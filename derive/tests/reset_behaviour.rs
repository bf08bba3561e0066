//! What `#[derive(Reset)]` generates, checked through poolkit's `Reset`.

use std::collections::HashMap;
use std::marker::PhantomData;

use poolkit::{Pool, Reset, Slots};

/// A request scratch value where every kind of field appears.
#[derive(Default, Reset)]
struct Request {
    user: String,
    query: HashMap<String, String>,
    fields: Slots<String>,
    body: Vec<u8>,
    #[reset(value = 1)]
    attempt: u32,
    #[reset(skip)]
    worker: usize,
    #[reset(value = String::from("anonymous"))]
    role: String,
}

#[test]
fn every_field_is_reset_unless_told_otherwise() {
    let mut request = Request {
        user: "alice".into(),
        query: HashMap::from([("q".into(), "rust".into())]),
        body: Vec::with_capacity(256),
        attempt: 3,
        worker: 7,
        role: "admin".into(),
        ..Request::default()
    };
    request.fields.push_with(|f| f.push_str("accept: */*"));
    request.body.extend_from_slice(b"{}");

    request.reset();

    assert_eq!(request.user, "");
    assert!(request.query.is_empty());
    assert!(request.fields.is_empty());
    assert_eq!(request.fields.retained(), 1, "Slots kept its String");
    assert!(request.body.is_empty());
    assert!(request.body.capacity() >= 256, "allocation kept");
    assert_eq!(request.attempt, 1, "value = 1");
    assert_eq!(request.worker, 7, "skip");
    assert_eq!(request.role, "anonymous", "value = String::from(..)");
}

/// The bug of the hand-written impl: a field added later and forgotten.
mod forgotten_field {
    use poolkit::Reset;

    #[derive(Default)]
    pub struct ByHand {
        pub path: String,
        pub user: String, // added later, not in `reset` below
    }
    impl Reset for ByHand {
        fn reset(&mut self) {
            self.path.reset();
        }
    }

    #[derive(Default, Reset)]
    pub struct Derived {
        pub path: String,
        pub user: String,
    }
}

#[test]
fn a_field_added_later_cannot_leak_into_the_next_request() {
    fn next_user_after<T: Reset + Default + Send + 'static>(
        set: impl Fn(&mut T),
        user: impl Fn(&T) -> String,
    ) -> String {
        let pool = Pool::new(T::default);
        set(&mut pool.get()); // first request, returned and reset
        let next = pool.get(); // second request: the same object
        assert_eq!(pool.stats().misses, 1);
        user(&next)
    }
    use forgotten_field::{ByHand, Derived};
    let leaked = next_user_after::<ByHand>(|r| r.user.push_str("alice"), |r| r.user.clone());
    assert_eq!(leaked, "alice", "the hand-written reset leaks the user");
    let derived = next_user_after::<Derived>(|r| r.user.push_str("alice"), |r| r.user.clone());
    assert_eq!(derived, "", "the derived reset does not");
}

#[derive(Reset)]
struct Tuple(String, #[reset(skip)] u8, Vec<u32>);

#[derive(Reset)]
struct Unit;

#[derive(Reset)]
struct Empty {}

#[test]
fn tuple_and_unit_structs() {
    let mut tuple = Tuple("x".into(), 9, vec![1, 2]);
    tuple.reset();
    assert_eq!((tuple.0.as_str(), tuple.1, tuple.2.len()), ("", 9, 0));
    Unit.reset();
    Empty {}.reset();
}

/// `T` is reset through `Vec<T>` (no `T: Reset` needed), `K` only appears in
/// a skipped field and `M` only in `PhantomData`-like `value` fields.
#[derive(Reset)]
struct Generic<'a, T, K, M: Default, const N: usize>
where
    T: Clone,
{
    items: Vec<T>,
    inner: Option<Box<T>>,
    scratch: Zeroed<N>,
    #[reset(skip)]
    key: K,
    #[reset(value = PhantomData)]
    marker: PhantomData<&'a M>,
}

struct Zeroed<const N: usize>([u8; N]);

impl<const N: usize> Reset for Zeroed<N> {
    fn reset(&mut self) {
        self.0.fill(0);
    }
}

#[test]
fn generic_structs_bound_only_the_fields_that_are_reset() {
    struct NotReset(u8);
    let mut value: Generic<'_, u8, NotReset, u8, 4> = Generic {
        items: vec![1, 2, 3],
        inner: Some(Box::new(5)),
        scratch: Zeroed([9; 4]),
        key: NotReset(4),
        marker: PhantomData,
    };
    value.reset();
    assert!(value.items.is_empty());
    assert!(value.inner.is_none());
    assert_eq!(value.scratch.0, [0; 4]);
    assert_eq!(value.key.0, 4, "skip");
}

/// A generic field type `W` is bounded by `W: Reset` on the impl.
#[derive(Default, Reset)]
struct Wrapper<W> {
    inner: W,
}

#[test]
fn a_generic_field_is_reset_through_its_own_impl() {
    let mut wrapped = Wrapper {
        inner: Wrapper {
            inner: String::from("deep"),
        },
    };
    wrapped.reset();
    assert_eq!(wrapped.inner.inner, "");
}

#[test]
fn heap_bytes_add_up_the_fields_that_are_reset() {
    #[derive(Reset)]
    struct Request {
        user: String,
        body: Vec<u64>,
        #[reset(skip)]
        config: Vec<u8>, // not the pool's to count
        #[reset(value = Vec::new())]
        scratch: Vec<u8>,
    }
    let request = Request {
        user: String::with_capacity(10),
        body: Vec::with_capacity(4),
        config: Vec::with_capacity(1000),
        scratch: Vec::with_capacity(1000),
    };
    // The skipped and replaced fields' 2,000 bytes are not counted.
    assert_eq!(request.config.capacity() + request.scratch.capacity(), 2000);
    assert_eq!(
        request.heap_bytes(),
        request.user.capacity() + request.body.capacity() * 8
    );
}

/// Numbers, `bool`, `char`, `Option<_>` and `Duration` need no attribute:
/// each goes back to its `Default`, beside the buffers that keep their
/// allocations.
#[derive(Reset)]
struct Plain {
    port: u16,
    bytes_seen: u64,
    keep_alive: bool,
    session: Option<String>,
    user: String,
    body: Vec<u8>,
    ratio: f64,
    delta: i32,
    grade: char,
    elapsed: std::time::Duration,
}

#[test]
fn plain_fields_reset_without_attributes() {
    let mut value = Plain {
        port: 8080,
        bytes_seen: 1 << 40,
        keep_alive: true,
        session: Some("s-1".into()),
        user: String::with_capacity(32),
        body: Vec::with_capacity(256),
        ratio: 0.75,
        delta: -3,
        grade: 'A',
        elapsed: std::time::Duration::from_millis(12),
    };
    value.user.push_str("alice");
    value.body.extend_from_slice(b"{}");

    value.reset();

    assert_eq!(
        (
            value.port,
            value.bytes_seen,
            value.keep_alive,
            &value.session
        ),
        (0, 0, false, &None)
    );
    assert_eq!((value.ratio, value.delta, value.grade), (0.0, 0, '\0'));
    assert_eq!(value.elapsed, std::time::Duration::ZERO);
    assert!(value.user.is_empty() && value.user.capacity() >= 32);
    assert!(value.body.is_empty() && value.body.capacity() >= 256);
    // Only the buffers own heap memory.
    assert_eq!(
        value.heap_bytes(),
        value.user.capacity() + value.body.capacity()
    );
}
