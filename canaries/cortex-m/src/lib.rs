//! What the Cortex-M firmware binaries share: the panic handler, output over semihosting
//! without `core::fmt` (so the no-panic build links), the stack painter and the batches.
//!
//! The binaries: `size` (one loss of the catalogue, chosen at build time, on a fixed batch:
//! its flash and its deepest stack) and `golden` (the golden cases of `cases.rs`, generated
//! on the host by `scripts/edge/cases.py`, run by [`golden`]).
//! `scripts/edge.sh` builds and runs them under QEMU (`docs/edge.md`).
#![no_std]

pub mod golden;

#[cfg(target_arch = "arm")]
mod device;
#[cfg(target_arch = "arm")]
pub use device::{exit, paint_stack, put, stack_used};

#[cfg(not(target_arch = "arm"))]
mod bare;
#[cfg(not(target_arch = "arm"))]
pub use bare::{exit, paint_stack, put, stack_used};

use segloss::rng::SplitMix64;

#[cfg(feature = "no-panic")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    extern "C" {
        /// Defined nowhere: a reference to it means a panic path remains.
        fn segloss_panic_path_remains() -> !;
    }
    // SAFETY: never runs; the link fails if this handler is reachable.
    unsafe { segloss_panic_path_remains() }
}

/// Writes `x` in decimal.
pub fn put_u64(mut x: u64) {
    let mut digits = [0u8; 20];
    let mut n = 0;
    loop {
        if let Some(d) = digits.get_mut(n) {
            *d = b'0' + (x % 10) as u8;
        }
        n += 1;
        x /= 10;
        if x == 0 || n == digits.len() {
            break;
        }
    }
    let mut text = [0u8; 20];
    for (t, d) in text
        .iter_mut()
        .zip(digits.get(..n).unwrap_or(&[]).iter().rev())
    {
        *t = *d;
    }
    put(core::str::from_utf8(text.get(..n).unwrap_or(&[])).unwrap_or("?"));
}

/// Writes `x` as 16 hexadecimal digits.
pub fn put_hex(x: u64) {
    let mut text = [0u8; 16];
    for (i, t) in text.iter_mut().enumerate() {
        let nibble = (x >> (60 - 4 * i)) & 0xF;
        *t = b"0123456789abcdef"
            .get(nibble as usize)
            .copied()
            .unwrap_or(b'?');
    }
    put(core::str::from_utf8(&text).unwrap_or("?"));
}

/// FNV-1a over the bits of `values`: one word that changes with any bit of any value.
pub fn checksum<T: Copy + Into<f64>>(values: &[T]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &v in values {
        h ^= v.into().to_bits();
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Fills `logits` with uniform values in `[-3, 3)` and `labels` with classes below
/// `classes` (the fixed batch of the `size` binary), from `seed`.
pub fn fill_batch(seed: u64, classes: usize, logits: &mut [f32], labels: &mut [u8]) {
    let mut rng = SplitMix64::new(seed);
    for z in logits.iter_mut() {
        *z = (rng.uniform() * 6.0 - 3.0) as f32;
    }
    for y in labels.iter_mut() {
        *y = rng.below(classes) as u8;
    }
}

/// A static that hands out `&'static mut` to its value once: the firmware's caller-owned
/// buffers, outside the stack (cortex-m's `singleton!` without the Cortex-M dependency).
pub struct Once<T> {
    taken: core::sync::atomic::AtomicBool,
    cell: core::cell::UnsafeCell<core::mem::MaybeUninit<T>>,
}

// SAFETY: the value is reachable only through the one `&mut` that `take` hands out.
unsafe impl<T: Send> Sync for Once<T> {}

impl<T> Once<T> {
    /// Empty.
    pub const fn new() -> Self {
        Once {
            taken: core::sync::atomic::AtomicBool::new(false),
            cell: core::cell::UnsafeCell::new(core::mem::MaybeUninit::uninit()),
        }
    }

    /// The value `init` makes, the first time; `None` after.
    pub fn take(&'static self, init: impl FnOnce() -> T) -> Option<&'static mut T> {
        if self.taken.swap(true, core::sync::atomic::Ordering::AcqRel) {
            return None;
        }
        // SAFETY: the flag was clear, so no other reference to the cell exists or will.
        Some(unsafe { (*self.cell.get()).write(init()) })
    }
}

impl<T> Default for Once<T> {
    fn default() -> Self {
        Self::new()
    }
}
