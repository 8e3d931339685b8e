//! size-report: measures every shipped binary (its own issue makes it real).

fn main() {
    let arg = std::env::args().nth(1);
    match arg.as_deref() {
        Some("--version" | "-V") => println!("size-report {}", env!("CARGO_PKG_VERSION")),
        _ => println!("Usage: size-report [--help] [--version]"),
    }
}
