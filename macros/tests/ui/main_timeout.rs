#[bobbin::main(timeout_ms = 5)]
async fn main() {}
