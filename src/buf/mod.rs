//! Byte buffers that avoid the heap on hot paths.

mod scratch;
mod stack;
mod stack_spill;

pub use scratch::{with_scratch, SCRATCH_MAX_RETAINED_CAPACITY, SCRATCH_RETAINED_BUFFERS};
pub use stack::StackBuf;
