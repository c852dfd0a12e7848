#[bobbin::main(crate = bobbin)]
async fn main() {}
