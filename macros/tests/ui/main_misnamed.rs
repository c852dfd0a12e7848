#[bobbin::main]
async fn start() {}

fn main() {}
