fn main() {
    glovebox_cli::run()
}
