//! The same entry points on a target the scripts only build (riscv32imac): no output, no
//! stack painting; `scripts/edge.sh` reads the flash from the ELF.

#[cfg(not(feature = "no-panic"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    exit(false)
}

/// No output on this target.
pub fn put(text: &str) {
    let _ = text;
}

/// Stops (there is no host to hand a status to).
pub fn exit(ok: bool) -> ! {
    let _ = ok;
    #[allow(clippy::empty_loop)]
    loop {}
}

/// No painting on this target: 0.
pub fn paint_stack() -> usize {
    0
}

/// No painting on this target: 0.
pub fn stack_used(sp: usize) -> usize {
    let _ = sp;
    0
}
