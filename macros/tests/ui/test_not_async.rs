#[bobbin::test]
fn plain() {}

fn main() {}
