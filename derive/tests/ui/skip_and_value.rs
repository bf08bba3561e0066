#[derive(poolkit::Reset)]
struct Request {
    #[reset(skip, value = 0)]
    attempt: u32,
}

fn main() {}
