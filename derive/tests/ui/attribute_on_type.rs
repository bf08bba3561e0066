#[derive(poolkit::Reset)]
#[reset(skip)]
struct Request {
    user: String,
}

fn main() {}
