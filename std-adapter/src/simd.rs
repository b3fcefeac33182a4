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
    /// The best level this processor supports.
    pub fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512dq")
                && std::arch::is_x86_feature_detected!("avx512vl")
            {
                return Isa::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Isa::Avx2;
            }
        }
        Isa::Portable
    }

    /// This level if the processor supports it, else the best one below it.
    pub fn or_supported(self) -> Isa {
        self.min(Isa::detect())
    }
}

/// The fused kernel ([`segloss::kernel`]) compiled for each level and run at `self.0` (or
/// the best supported below): one instantiation per element type and level, shared by
/// every loss.
#[derive(Clone, Copy, Debug)]
pub struct IsaKernel(pub Isa);

/// Defines a method of [`IsaKernel`] that runs one call of the core's kernel compiled for
/// the level.
macro_rules! core_kernel_method {
    ($name:ident($($arg:ident: $ty:ty),*) => $call:path) => {
        fn $name<T: Real>(&self, $($arg: $ty),*) -> bool {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,bmi1,bmi2,lzcnt,popcnt")]
                fn avx512<T: Real>($($arg: $ty),*) -> bool {
                    $call($($arg),*)
                }
                #[target_feature(enable = "avx2,fma,bmi1,bmi2,lzcnt,popcnt")]
                fn avx2<T: Real>($($arg: $ty),*) -> bool {
                    $call($($arg),*)
                }
                match self.0.or_supported() {
                    // SAFETY: `or_supported` confirmed the features at run time.
                    Isa::Avx512 => return unsafe { avx512::<T>($($arg),*) },
                    // SAFETY: as above.
                    Isa::Avx2 => return unsafe { avx2::<T>($($arg),*) },
                    Isa::Portable => {}
                }
            }
            $call($($arg),*)
        }
    };
}

impl IsaKernel {
    core_kernel_method!(core_sums(input: &Input<'_, T>, at: (usize, usize, usize), terms: LabelTerms, sums: &mut LabelSums)
        => kernel::accumulate);
    core_kernel_method!(core_write(input: &Input<'_, T>, at: (usize, usize, usize), coef: &LabelGradient, dst: &mut [T])
        => kernel::write);

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
        self.core_sums(input, at, terms, sums)
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
        self.core_write(input, at, coef, dst)
    }
}

/// Defines a dispatching function and its per-level instantiations of one engine call.
macro_rules! dispatched {
    (
        $(#[$doc:meta])*
        pub fn $name:ident<$t:ident, $l:ident>($($arg:ident: $ty:ty),*) -> $ret:ty,
            with $k:ident => $call:expr;
    ) => {
        $(#[$doc])*
        pub fn $name<$t: Real, $l: Loss<$t> + ?Sized>(isa: Isa, $($arg: $ty),*) -> $ret {
            let $k = IsaKernel(isa);
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,bmi1,bmi2,lzcnt,popcnt")]
                fn avx512<$t: Real, $l: Loss<$t> + ?Sized>($k: IsaKernel, $($arg: $ty),*) -> $ret {
                    $call
                }
                #[target_feature(enable = "avx2,fma,bmi1,bmi2,lzcnt,popcnt")]
                fn avx2<$t: Real, $l: Loss<$t> + ?Sized>($k: IsaKernel, $($arg: $ty),*) -> $ret {
                    $call
                }
                match isa.or_supported() {
                    // SAFETY: `or_supported` confirmed the features at run time.
                    Isa::Avx512 => return unsafe { avx512::<$t, $l>($k, $($arg),*) },
                    // SAFETY: as above.
                    Isa::Avx2 => return unsafe { avx2::<$t, $l>($k, $($arg),*) },
                    Isa::Portable => {}
                }
            }
            $call
        }
    };
}

dispatched! {
    /// [`engine::accumulate`] at instruction-set level `isa` (or the best supported below).
    pub fn accumulate<T, L>(loss: &L, input: &Input<'_, T>, stats: &mut L::Stats, workspace: &mut [T]) -> Result<(), Error>,
        with kernel => engine::accumulate_on(&kernel, loss, input, stats, workspace);
}

dispatched! {
    /// [`engine::backward_with`] at instruction-set level `isa`.
    pub fn backward_with<T, L>(loss: &L, input: &Input<'_, T>, coef: &L::Coef, workspace: &[T], grad: &mut [T]) -> Result<(), Error>,
        with kernel => engine::backward_with_on(&kernel, loss, input, coef, workspace, grad);
}

dispatched! {
    /// [`engine::forward_backward`] at instruction-set level `isa`.
    pub fn forward_backward<T, L>(loss: &L, input: &Input<'_, T>, workspace: &mut [T], grad: &mut [T]) -> Result<f64, Error>,
        with kernel => engine::forward_backward_on(&kernel, loss, input, workspace, grad);
}

dispatched! {
    /// [`engine::forward`] at instruction-set level `isa`.
    pub fn forward<T, L>(loss: &L, input: &Input<'_, T>, workspace: &mut [T]) -> Result<f64, Error>,
        with kernel => engine::forward_on(&kernel, loss, input, workspace);
}

dispatched! {
    /// [`engine::backward_accepted`] at instruction-set level `isa`.
    pub fn backward_accepted<T, L>(loss: &L, input: &Input<'_, T>, coef: &L::Coef, workspace: &[T], grad: &mut [T]) -> Result<(), Error>,
        with kernel => engine::backward_accepted_on(&kernel, loss, input, coef, workspace, grad);
}
