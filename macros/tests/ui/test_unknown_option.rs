#[bobbin::test(timeout = 10)]
async fn slow() {}

fn main() {}
