#[derive(poolkit::Reset)]
struct Request {
    #[reset(keep)]
    user: String,
}

fn main() {}
