//! The `bscope-chart` binary: everything lives in the library; see [`bscope_chart::cli`].

/// mimalloc instead of glibc's malloc: rendering is allocation-heavy (template values, YAML
/// trees, JSON Schema nodes), and glibc spent a quarter of a render in malloc/free and kept
/// handing memory back to the kernel only to fault it in again. Measured with `make bench`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    bscope_chart::cli::main()
}
