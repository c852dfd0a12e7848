#[bobbin::main(global, worker_threads = 2)]
async fn main() {}
