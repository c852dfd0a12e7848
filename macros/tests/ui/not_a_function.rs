#[bobbin::test]
struct Fixture;

fn main() {}
