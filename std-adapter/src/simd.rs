//! Runtime instruction-set dispatch: the core's generic engine instantiated inside
//! `#[target_feature]` functions.
//!
//! The core writes its hot loops in a vectorisable scalar style (no calls, no branches, its
//! own polynomial `exp`/`ln`) and marks the engine `#[inline(always)]`, so each wrapper here
//! compiles the whole engine for its instruction set. Rust never contracts `a·b + c` into an
//! FMA and LLVM does not reassociate floating-point sums, so every level computes the same
//! bits as the portable build.

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

/// Defines a dispatching function and its per-level instantiations of one engine call.
macro_rules! dispatched {
    (
        $(#[$doc:meta])*
        pub fn $name:ident<$t:ident, $l:ident>($($arg:ident: $ty:ty),*) -> $ret:ty => $call:expr;
    ) => {
        $(#[$doc])*
        pub fn $name<$t: Real, $l: Loss<$t> + ?Sized>(isa: Isa, $($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,bmi1,bmi2,lzcnt,popcnt")]
                fn avx512<$t: Real, $l: Loss<$t> + ?Sized>($($arg: $ty),*) -> $ret {
                    $call
                }
                #[target_feature(enable = "avx2,fma,bmi1,bmi2,lzcnt,popcnt")]
                fn avx2<$t: Real, $l: Loss<$t> + ?Sized>($($arg: $ty),*) -> $ret {
                    $call
                }
                match isa.or_supported() {
                    // SAFETY: `or_supported` confirmed the features at run time.
                    Isa::Avx512 => return unsafe { avx512::<$t, $l>($($arg),*) },
                    // SAFETY: as above.
                    Isa::Avx2 => return unsafe { avx2::<$t, $l>($($arg),*) },
                    Isa::Portable => {}
                }
            }
            let _ = isa;
            $call
        }
    };
}

dispatched! {
    /// [`engine::accumulate`] at instruction-set level `isa` (or the best supported below).
    pub fn accumulate<T, L>(loss: &L, input: &Input<'_, T>, stats: &mut L::Stats, workspace: &mut [T]) -> Result<(), Error>
        => engine::accumulate(loss, input, stats, workspace);
}

dispatched! {
    /// [`engine::backward_with`] at instruction-set level `isa`.
    pub fn backward_with<T, L>(loss: &L, input: &Input<'_, T>, coef: &L::Coef, workspace: &[T], grad: &mut [T]) -> Result<(), Error>
        => engine::backward_with(loss, input, coef, workspace, grad);
}

dispatched! {
    /// [`engine::forward_backward`] at instruction-set level `isa`.
    pub fn forward_backward<T, L>(loss: &L, input: &Input<'_, T>, workspace: &mut [T], grad: &mut [T]) -> Result<f64, Error>
        => engine::forward_backward(loss, input, workspace, grad);
}

dispatched! {
    /// [`engine::forward`] at instruction-set level `isa`.
    pub fn forward<T, L>(loss: &L, input: &Input<'_, T>, workspace: &mut [T]) -> Result<f64, Error>
        => engine::forward(loss, input, workspace);
}

dispatched! {
    /// [`engine::backward_accepted`] at instruction-set level `isa`.
    pub fn backward_accepted<T, L>(loss: &L, input: &Input<'_, T>, coef: &L::Coef, workspace: &[T], grad: &mut [T]) -> Result<(), Error>
        => engine::backward_accepted(loss, input, coef, workspace, grad);
}
