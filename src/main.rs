fn main() {
    std::process::exit(envparity::cli::main());
}
