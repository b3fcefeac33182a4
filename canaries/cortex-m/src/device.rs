//! Output, exit and stack painting on a Cortex-M under QEMU (semihosting).

use cortex_m_semihosting::{debug, hio};

#[cfg(not(feature = "no-panic"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    put("panic\n");
    exit(false)
}

/// Writes `text` to the host's standard output.
pub fn put(text: &str) {
    if let Ok(mut out) = hio::hstdout() {
        let _ = out.write_all(text.as_bytes());
    }
}

/// Ends the QEMU run with success or failure.
pub fn exit(ok: bool) -> ! {
    debug::exit(if ok {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    #[allow(clippy::empty_loop)]
    loop {}
}

/// The word painted over free stack.
const PAINT: u32 = 0x5E61_0551;

/// Bytes left unpainted below the caller's stack pointer (the painter's own frame).
const PAINT_MARGIN: usize = 256;

extern "C" {
    /// The end of `.bss` and `.uninit` (cortex-m-rt): the stack may grow down to it.
    static __sheap: u32;
}

/// The lowest address the stack may reach.
fn stack_floor() -> usize {
    core::ptr::addr_of!(__sheap) as usize
}

/// Paints the free stack below the current stack pointer; returns that pointer, for
/// [`stack_used`].
#[inline(never)]
pub fn paint_stack() -> usize {
    let sp = cortex_m::register::msp::read() as usize;
    let mut at = stack_floor();
    while at + 4 <= sp - PAINT_MARGIN {
        // SAFETY: `at` is word-aligned RAM between the end of the statics and the live stack.
        unsafe { (at as *mut u32).write_volatile(PAINT) };
        at += 4;
    }
    sp
}

/// The deepest stack used below `sp` (from [`paint_stack`]) since it painted, in bytes.
#[inline(never)]
pub fn stack_used(sp: usize) -> usize {
    let mut at = stack_floor();
    while at + 4 <= sp - PAINT_MARGIN {
        // SAFETY: the same painted words as `paint_stack`'s.
        if unsafe { (at as *const u32).read_volatile() } != PAINT {
            break;
        }
        at += 4;
    }
    sp - at
}
