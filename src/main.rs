fn main() {
    std::process::exit(kickoff::cli::main());
}
