#[derive(poolkit::Reset)]
struct Request {
    #[reset(value =)]
    attempt: u32,
}

fn main() {}
