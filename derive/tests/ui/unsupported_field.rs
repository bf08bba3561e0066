struct Config {
    retries: u8,
}

#[derive(poolkit::Reset)]
struct Request {
    user: String,
    config: Config,
}

fn main() {}
