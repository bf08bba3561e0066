//! `Slots<String>` against a `Vec<String>` model: any sequence of pushes,
//! truncations and clears shows the same elements, never a stale one, and
//! keeps at most `max_retained` slots after a clear.

use poolkit::{Reset, Slots};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    PushWith(String),
    Push(String),
    AppendToLast(String),
    Truncate(usize),
    Clear,
    Reset,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => "[a-z]{0,12}".prop_map(Op::PushWith),
        1 => "[a-z]{0,12}".prop_map(Op::Push),
        1 => "[a-z]{1,4}".prop_map(Op::AppendToLast),
        1 => (0usize..8).prop_map(Op::Truncate),
        1 => Just(Op::Clear),
        1 => Just(Op::Reset),
    ]
}

proptest! {
    #[test]
    fn slots_behave_like_a_vec_that_keeps_its_strings(
        max_retained in 0usize..6,
        ops in proptest::collection::vec(op(), 0..60),
    ) {
        let mut slots = Slots::<String>::with_max_retained(max_retained);
        let mut model: Vec<String> = Vec::new();
        for op in ops {
            match op {
                Op::PushWith(text) => {
                    let pushed = slots.push_with(|s| {
                        assert!(s.is_empty(), "a spare slot must come reset, got {s:?}");
                        s.push_str(&text);
                    });
                    prop_assert_eq!(pushed.as_str(), text.as_str());
                    model.push(text);
                }
                Op::Push(text) => {
                    slots.push(text.clone());
                    model.push(text);
                }
                Op::AppendToLast(text) => {
                    if let Some(last) = slots.as_mut_slice().last_mut() {
                        last.push_str(&text);
                        model.last_mut().unwrap().push_str(&text);
                    }
                }
                Op::Truncate(len) => {
                    let retained = slots.retained();
                    slots.truncate(len);
                    model.truncate(len);
                    prop_assert_eq!(slots.retained(), retained, "truncate keeps every slot");
                }
                Op::Clear | Op::Reset => {
                    let retained = slots.retained();
                    if matches!(op, Op::Clear) { slots.clear() } else { slots.reset() }
                    model.clear();
                    prop_assert_eq!(slots.retained(), retained.min(max_retained));
                }
            }
            prop_assert_eq!(slots.as_slice(), model.as_slice());
            prop_assert_eq!(slots.len(), model.len());
            prop_assert!(slots.retained() >= slots.len());
        }
    }
}
