#[bobbin::main(global, start_paused)]
async fn main() {}
