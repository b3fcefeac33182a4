//! Tells the tests whether the build machine has AVX-512 (`cfg(segloss_avx512)`), so that a
//! test which needs it is reported as ignored, with the reason, on a machine without it
//! (the tests run where they are built).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(segloss_avx512)");
    println!("cargo::rerun-if-changed=build.rs");
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        let cross = std::env::var("TARGET").ok() != std::env::var("HOST").ok();
        if !cross && has!("avx512f") && has!("avx512bw") && has!("avx512dq") && has!("avx512vl") {
            println!("cargo::rustc-cfg=segloss_avx512");
        }
    }
}
