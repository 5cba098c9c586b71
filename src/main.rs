//! The `bscope-chart` binary: everything lives in the library; see [`bscope_chart::cli`].

fn main() -> std::process::ExitCode {
    bscope_chart::cli::main()
}
