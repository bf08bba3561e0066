#[derive(poolkit::Reset)]
struct Request {
    #[reset(value = "one")]
    attempt: u32,
}

fn main() {}
