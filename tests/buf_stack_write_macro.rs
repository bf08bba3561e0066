//! `write!(stack_buf, ..)` resolves to `StackBuf`'s own `write_fmt` whether
//! `std::fmt::Write`, `std::io::Write`, both or neither is in scope. With
//! both traits imported and no inherent method, the call is ambiguous
//! (E0034) and this file does not compile.

use std::fmt::Write as _;
use std::io::Write as _;

use poolkit::buf::StackBuf;

#[test]
fn write_macro_with_both_write_traits_in_scope() {
    // The two traits in use for other writers, as in a real module.
    let mut text = String::new();
    write!(text, "{}", 1).unwrap(); // fmt::Write
    let mut bytes: Vec<u8> = Vec::new();
    write!(bytes, "{}", 2).unwrap(); // io::Write
    assert_eq!((text.as_str(), &bytes[..]), ("1", &b"2"[..]));

    let mut key = StackBuf::<16>::new();
    write!(key, "user:{}", 42).unwrap();
    assert!(key.is_inline());
    assert_eq!(key.as_str(), Ok("user:42"));

    // Past N the text spills and keeps every byte in order.
    let field = "email";
    write!(key, ":{field}:{}", 1234567890).unwrap();
    assert!(!key.is_inline());
    assert_eq!(key.as_str(), Ok("user:42:email:1234567890"));

    // `writeln!` goes through the same method.
    writeln!(key).unwrap();
    assert_eq!(key.last(), Some(&b'\n'));
}

#[test]
fn write_macro_and_question_mark_in_a_fmt_function() {
    fn render(out: &mut StackBuf<8>, id: u32) -> std::fmt::Result {
        write!(out, "id={id}")?;
        Ok(())
    }
    let mut out = StackBuf::<8>::new();
    render(&mut out, 7).unwrap();
    assert_eq!(&out[..], b"id=7");
}

/// A `Display` error is passed on, not swallowed.
#[test]
fn a_failing_display_is_reported() {
    struct Fails;
    impl std::fmt::Display for Fails {
        fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            Err(std::fmt::Error)
        }
    }
    let mut out = StackBuf::<8>::new();
    assert!(write!(out, "{Fails}").is_err());
}
