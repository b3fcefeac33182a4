//! Runtime instruction-set dispatch: the core's generic engine instantiated inside
//! `#[target_feature]` functions.
//!
//! The core writes its hot loops in a vectorisable scalar style (no calls, no branches, its
//! own polynomial `exp`/`ln`) and marks the engine `#[inline(always)]`, so each wrapper here
//! compiles the whole engine for its instruction set. Rust never contracts `a·b + c` into an
//! FMA and LLVM does not reassociate floating-point sums, so every level computes the same
//! bits as the portable build.
//!
//! One piece is written by hand: at AVX-512 on `f32` the fused kernel is
//! [`crate::fused_avx512`], intrinsics that repeat the core's operations and give its bits.

#[cfg(target_arch = "x86_64")]
use crate::fused_avx512;
use segloss::kernel::{self, Kernel, LabelGradient, LabelSums, LabelTerms};
use segloss::{engine, Error, Input, Loss, Real};
use std::sync::atomic::{AtomicU8, Ordering};

/// An instruction-set level the engine can run at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
    /// The build's baseline (SSE2 on x86-64).
    Portable,
    /// AVX2 with FMA available (not used for contraction).
    Avx2,
    /// AVX-512 F/BW/DQ/VL.
    Avx512,
}

impl Isa {
    /// The best level this processor supports, detected once per process.
    pub fn detect() -> Isa {
        static DETECTED: AtomicU8 = AtomicU8::new(u8::MAX);
        match DETECTED.load(Ordering::Relaxed) {
            0 => Isa::Portable,
            1 => Isa::Avx2,
            2 => Isa::Avx512,
            _ => {
                let isa = detect_features();
                DETECTED.store(isa as u8, Ordering::Relaxed);
                isa
            }
        }
    }

    /// This level if the processor supports it, else the best one below it.
    pub fn or_supported(self) -> Isa {
        self.min(Isa::detect())
    }

    /// The target features code at this level is compiled with (comma-separated; empty for
    /// the portable level).
    pub fn features(self) -> &'static str {
        match self {
            Isa::Portable => "",
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => AVX2_FEATURES,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => AVX512_FEATURES,
            #[cfg(not(target_arch = "x86_64"))]
            _ => "",
        }
    }
}

// The one place the levels' target features are written: what `detect_features` checks is
// what `at_isa!` enables, feature for feature (`simd::tests` keeps the two lists equal).

/// The features of [`Isa::Avx512`].
#[cfg(target_arch = "x86_64")]
const AVX512_FEATURES: &str = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,bmi1,bmi2,lzcnt,popcnt";
/// The features of [`Isa::Avx2`].
#[cfg(target_arch = "x86_64")]
const AVX2_FEATURES: &str = "avx2,fma,bmi1,bmi2,lzcnt,popcnt";

/// The best level whose every feature (`AVX512_FEATURES`, `AVX2_FEATURES`) the processor has.
fn detect_features() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        let avx2 = has!("avx2")
            && has!("fma")
            && has!("bmi1")
            && has!("bmi2")
            && has!("lzcnt")
            && has!("popcnt");
        if avx2 && has!("avx512f") && has!("avx512bw") && has!("avx512dq") && has!("avx512vl") {
            return Isa::Avx512;
        }
        if avx2 {
            return Isa::Avx2;
        }
    }
    Isa::Portable
}

/// Defines `fn name(isa: Isa, args) -> ret` that runs `body` compiled for `isa` (or the best
/// level supported below it): the body is instantiated inside one `#[target_feature]`
/// function per level, so everything it inlines (the core's `#[inline(always)]` engine)
/// compiles for that level. Every dispatch of the crate goes through here.
///
/// ```text
/// at_isa! {
///     /// docs
///     pub fn name[T: Real, L: Loss<T> + ?Sized](isa, loss: &L, ...) -> Result<f64, Error> {
///         engine::forward_on(&IsaKernel(isa), loss, ...)
///     }
/// }
/// ```
/// The first argument names the level; the body may read it (the level it runs at).
macro_rules! at_isa {
    (
        $(#[$doc:meta])*
        $vis:vis fn $name:ident[$($gen:tt)*]($isa:ident $(, $arg:ident: $ty:ty)* $(,)?) $(-> $ret:ty)? $body:block
    ) => {
        $(#[$doc])*
        #[allow(unsafe_code)] // the calls of the `#[target_feature]` instantiations below
        $vis fn $name<$($gen)*>($isa: $crate::simd::Isa $(, $arg: $ty)*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,bmi1,bmi2,lzcnt,popcnt")]
                #[allow(unused_variables)]
                fn avx512<$($gen)*>($isa: $crate::simd::Isa $(, $arg: $ty)*) $(-> $ret)? $body
                #[target_feature(enable = "avx2,fma,bmi1,bmi2,lzcnt,popcnt")]
                #[allow(unused_variables)]
                fn avx2<$($gen)*>($isa: $crate::simd::Isa $(, $arg: $ty)*) $(-> $ret)? $body
                match $isa.or_supported() {
                    // SAFETY: `or_supported` confirmed every feature of the level at run time.
                    $crate::simd::Isa::Avx512 => return unsafe { avx512($crate::simd::Isa::Avx512 $(, $arg)*) },
                    // SAFETY: as above.
                    $crate::simd::Isa::Avx2 => return unsafe { avx2($crate::simd::Isa::Avx2 $(, $arg)*) },
                    $crate::simd::Isa::Portable => {}
                }
            }
            let $isa = $crate::simd::Isa::Portable;
            let _ = $isa;
            $body
        }
    };
}
pub(crate) use at_isa;

/// The fused kernel ([`segloss::kernel`]) compiled for each level and run at `self.0` (or
/// the best supported below): one instantiation per element type and level, shared by
/// every loss.
#[derive(Clone, Copy, Debug)]
pub struct IsaKernel(pub Isa);

at_isa! {
    /// [`kernel::accumulate`] at level `isa`.
    fn core_sums[T: Real](isa, input: &Input<'_, T>, at: (usize, usize, usize), terms: LabelTerms, sums: &mut LabelSums) -> bool {
        kernel::accumulate(input, at, terms, sums)
    }
}

at_isa! {
    /// [`kernel::write`] at level `isa`.
    fn core_write[T: Real](isa, input: &Input<'_, T>, at: (usize, usize, usize), coef: &LabelGradient, dst: &mut [T]) -> bool {
        kernel::write(input, at, coef, dst)
    }
}

impl IsaKernel {
    /// Pass 2 of the block `at` into one row per class (`rows[c]` gets class `c`'s `at.2`
    /// pixels), for a block whose class rows are not contiguous in the gradient: the
    /// intrinsics kernel writes the rows directly; other levels write the block class-major
    /// into `scratch` and copy. False as [`Kernel::write`], and (having written nothing) when
    /// `rows` is not one row of at least `at.2` pixels per class.
    pub fn write_rows<T: Real>(
        &self,
        input: &Input<'_, T>,
        at: (usize, usize, usize),
        coef: &LabelGradient,
        rows: &mut [&mut [T]],
        scratch: &mut Vec<T>,
    ) -> bool {
        let classes = rows.len();
        if classes != input.shape().classes() || rows.iter().any(|r| r.len() < at.2) {
            return false;
        }
        #[cfg(target_arch = "x86_64")]
        if let (true, Some(pred)) = (self.intrinsics(), T::as_f32(input.prediction())) {
            let mut views: [&mut [f32]; kernel::MAX_KERNEL_CLASSES] = Default::default();
            let mut all = classes <= views.len();
            for (view, row) in views.iter_mut().zip(rows.iter_mut()) {
                match T::as_f32_mut(row) {
                    Some(row) => *view = row,
                    None => all = false,
                }
            }
            if all {
                let views = &mut views[..classes];
                // SAFETY: `intrinsics` confirmed AVX-512 at run time.
                return unsafe { fused_avx512::write_rows(input, pred, at, coef, views) };
            }
        }
        scratch.resize(classes * at.2, T::zero());
        let written = self.write(input, at, coef, scratch);
        for (row, part) in rows.iter_mut().zip(scratch.chunks_exact(at.2.max(1))) {
            row[..at.2].copy_from_slice(part);
        }
        written
    }

    /// True when the intrinsics kernel ([`crate::fused_avx512`]) runs at this level.
    fn intrinsics(&self) -> bool {
        cfg!(target_arch = "x86_64") && self.0.or_supported() == Isa::Avx512
    }
}

/// At AVX-512 on `f32` the kernel is [`crate::fused_avx512`] (bit-identical to the core's);
/// elsewhere the core's, compiled for the level.
impl Kernel for IsaKernel {
    fn sums<T: Real>(
        &self,
        input: &Input<'_, T>,
        at: (usize, usize, usize),
        terms: LabelTerms,
        sums: &mut LabelSums,
    ) -> bool {
        #[cfg(target_arch = "x86_64")]
        if let (true, Some(pred)) = (self.intrinsics(), T::as_f32(input.prediction())) {
            // SAFETY: `intrinsics` confirmed AVX-512 at run time.
            return unsafe { fused_avx512::sums(input, pred, at, terms, sums) };
        }
        core_sums(self.0, input, at, terms, sums)
    }

    fn write<T: Real>(
        &self,
        input: &Input<'_, T>,
        at: (usize, usize, usize),
        coef: &LabelGradient,
        dst: &mut [T],
    ) -> bool {
        #[cfg(target_arch = "x86_64")]
        if let (true, Some(pred), Some(dst)) = (
            self.intrinsics(),
            T::as_f32(input.prediction()),
            T::as_f32_mut(dst),
        ) {
            // SAFETY: `intrinsics` confirmed AVX-512 at run time.
            return unsafe { fused_avx512::write(input, pred, at, coef, dst) };
        }
        core_write(self.0, input, at, coef, dst)
    }
}

// The two passes are the only engine calls compiled per level; the others compose them
// (the same bits: finalize reads a few sums and is the same at every level), which halves
// what every loss type costs to build.

at_isa! {
    /// [`engine::accumulate`] at instruction-set level `isa` (or the best supported below).
    pub fn accumulate[T: Real, L: Loss<T> + ?Sized](isa, loss: &L, input: &Input<'_, T>, stats: &mut L::Stats, workspace: &mut [T]) -> Result<(), Error> {
        engine::accumulate_on(&IsaKernel(isa), loss, input, stats, workspace)
    }
}

at_isa! {
    /// [`engine::backward_accepted`] at instruction-set level `isa`.
    pub fn backward_accepted[T: Real, L: Loss<T> + ?Sized](isa, loss: &L, input: &Input<'_, T>, coef: &L::Coef, workspace: &[T], grad: &mut [T]) -> Result<(), Error> {
        engine::backward_accepted_on(&IsaKernel(isa), loss, input, coef, workspace, grad)
    }
}

/// [`engine::backward_with`] at instruction-set level `isa`: its checks, then
/// [`backward_accepted`].
pub fn backward_with<T: Real, L: Loss<T> + ?Sized>(
    isa: Isa,
    loss: &L,
    input: &Input<'_, T>,
    coef: &L::Coef,
    workspace: &[T],
    grad: &mut [T],
) -> Result<(), Error> {
    engine::check_backward(loss, input, workspace, grad)?;
    backward_accepted(isa, loss, input, coef, workspace, grad)
}

/// [`engine::forward_backward`] at instruction-set level `isa`: [`accumulate`], finalize,
/// [`backward_accepted`] (nothing is written into `grad` unless pass 1 succeeds).
pub fn forward_backward<T: Real, L: Loss<T> + ?Sized>(
    isa: Isa,
    loss: &L,
    input: &Input<'_, T>,
    workspace: &mut [T],
    grad: &mut [T],
) -> Result<f64, Error> {
    engine::forward_backward_by(
        loss,
        input,
        workspace,
        grad,
        |l, i, s, w| accumulate(isa, l, i, s, w),
        |l, i, c, w, g| backward_accepted(isa, l, i, c, w, g),
    )
}

/// [`engine::forward`] at instruction-set level `isa`: [`accumulate`] and finalize.
pub fn forward<T: Real, L: Loss<T> + ?Sized>(
    isa: Isa,
    loss: &L,
    input: &Input<'_, T>,
    workspace: &mut [T],
) -> Result<f64, Error> {
    let mut stats = L::Stats::default();
    accumulate(isa, loss, input, &mut stats, workspace)?;
    Ok(loss.finalize(&stats, workspace).value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The features `at_isa!` enables per level, read from this file, are the ones
    /// `AVX512_FEATURES` / `AVX2_FEATURES` name and `detect_features` checks.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_levels_features_are_written_once() {
        let source = include_str!("simd.rs");
        for (level, features) in [("avx512", AVX512_FEATURES), ("avx2", AVX2_FEATURES)] {
            let enable = format!("#[target_feature(enable = \"{features}\")]\n                #[allow(unused_variables)]\n                fn {level}<");
            assert!(
                source.contains(&enable),
                "at_isa! enables other features than {level}'s"
            );
            for f in features.split(',') {
                assert!(
                    source.contains(&format!("has!(\"{f}\")")),
                    "{f} is not detected"
                );
            }
        }
        let attributes = source
            .lines()
            .filter(|l| l.trim_start().starts_with("#[target_feature("));
        assert_eq!(attributes.count(), 2, "a target_feature outside at_isa!");
    }
}
