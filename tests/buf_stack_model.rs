//! proptest: `StackBuf<N>` against a `Vec<u8>` model, for random sequences
//! of writes that cross the N boundary (in one slice, byte by byte, or
//! through `fmt`), with truncations and clears in between.

use poolkit::buf::StackBuf;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Push(u8),
    Extend(Vec<u8>),
    WriteNumber(u64),
    Truncate(usize),
    Clear,
    SetFirst(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => any::<u8>().prop_map(Op::Push),
        4 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(Op::Extend),
        2 => any::<u64>().prop_map(Op::WriteNumber),
        1 => (0usize..64).prop_map(Op::Truncate),
        1 => Just(Op::Clear),
        1 => any::<u8>().prop_map(Op::SetFirst),
    ]
}

/// Applies `ops` to a `StackBuf<N>` and a `Vec<u8>`, comparing after each.
fn check<const N: usize>(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut buf = StackBuf::<N>::new();
    let mut model: Vec<u8> = Vec::new();
    // A StackBuf spills the first time its content outgrows N, and stays
    // spilled.
    let mut spilled = false;
    for (step, op) in ops.iter().enumerate() {
        match op {
            Op::Push(byte) => {
                buf.push(*byte);
                model.push(*byte);
            }
            Op::Extend(data) => {
                buf.extend_from_slice(data);
                model.extend_from_slice(data);
            }
            Op::WriteNumber(number) => {
                write!(buf, "{number}:").unwrap();
                model.extend_from_slice(format!("{number}:").as_bytes());
            }
            Op::Truncate(len) => {
                buf.truncate(*len);
                model.truncate(*len);
            }
            Op::Clear => {
                buf.clear();
                model.clear();
            }
            Op::SetFirst(byte) => {
                if let Some(first) = buf.first_mut() {
                    *first = *byte;
                }
                if let Some(first) = model.first_mut() {
                    *first = *byte;
                }
            }
        }
        spilled |= model.len() > N;
        prop_assert_eq!(&buf[..], &model[..], "N = {}, step {}: {:?}", N, step, op);
        prop_assert_eq!(buf.len(), model.len());
        prop_assert_eq!(buf.is_empty(), model.is_empty());
        prop_assert_eq!(buf.is_inline(), !spilled, "N = {}, step {}", N, step);
        prop_assert!(buf.capacity() >= buf.len());
        if buf.is_inline() {
            prop_assert_eq!(buf.capacity(), N);
        }
        prop_assert_eq!(buf.as_str().ok(), std::str::from_utf8(&model).ok());
    }
    prop_assert_eq!(buf.into_vec(), model);
    Ok(())
}

proptest! {
    #[test]
    fn stack_buf_matches_a_vec(ops in proptest::collection::vec(op(), 0..60)) {
        check::<0>(&ops)?;
        check::<1>(&ops)?;
        check::<16>(&ops)?;
        check::<64>(&ops)?;
        check::<256>(&ops)?;
    }
}
