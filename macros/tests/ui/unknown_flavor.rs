#[bobbin::main(flavor = "single")]
async fn main() {}
