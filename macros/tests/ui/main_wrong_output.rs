#[bobbin::main]
async fn main() -> Result<(), String> {
    5
}
