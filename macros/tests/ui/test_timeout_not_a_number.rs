#[bobbin::test(timeout_ms = "ten")]
async fn slow() {}

fn main() {}
