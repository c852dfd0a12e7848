#[bobbin::test(worker_threads = 2, worker_threads = 3)]
async fn twice() {}

fn main() {}
