#[derive(poolkit::Reset)]
enum State {
    Idle,
    Busy(String),
}

fn main() {}
