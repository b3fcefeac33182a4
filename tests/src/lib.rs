//! The test support of the workspace: every loss of the catalogue as a test subject (typed
//! and run-time), the golden-vector runner, finite differences, thread pools and
//! tolerances.
//!
//! What is generic is instantiated here, once, behind functions of `f32` and `f64`: the
//! engine of every loss compiles in this library instead of in every test file that runs
//! it, which is most of what the test binaries used to spend their build time on.

pub mod eval;
pub mod golden;
pub mod losses;

pub use eval::{Dispatch, Eval};
pub use losses::{LossData, Subject};
pub use segloss::rng::SplitMix64;

/// Rayon pools of 1, 2 and 3 threads, built once per process.
pub fn pools() -> &'static [rayon::ThreadPool] {
    static POOLS: std::sync::OnceLock<Vec<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOLS.get_or_init(|| {
        [1, 2, 3]
            .map(|n| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .expect("a thread pool")
            })
            .into()
    })
}

/// True when `got` is within `rtol · |want| + atol` of `want`.
pub fn close(got: f64, want: f64, rtol: f64, atol: f64) -> bool {
    (got - want).abs() <= rtol * want.abs() + atol
}

/// The instruction-set levels this processor runs, each once (the best detected last).
pub fn isa_levels() -> Vec<segloss_std::simd::Isa> {
    use segloss_std::simd::Isa;
    [Isa::Portable, Isa::Avx2, Isa::Avx512]
        .into_iter()
        .filter(|&isa| isa.or_supported() == isa)
        .collect()
}
