#[bobbin::main]
fn main() {}
