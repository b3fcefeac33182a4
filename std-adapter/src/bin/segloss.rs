//! The `segloss` command (see `segloss help` and `segloss_std::cli`).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = segloss_std::cli::run(&args, &mut std::io::stdout().lock(), &mut std::io::stderr());
    std::process::exit(code);
}
