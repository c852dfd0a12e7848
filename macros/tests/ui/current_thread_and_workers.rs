#[bobbin::test(flavor = "current_thread", worker_threads = 2)]
async fn both() {}

fn main() {}
