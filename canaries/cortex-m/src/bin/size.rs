//! One loss of the catalogue, chosen at build time by `SEGLOSS_FW_LOSS` (a descriptor name
//! such as `dice_ce`, `baseline` for none, `list` to print the names), forward and backward on a fixed f32 batch of
//! 1×3×16×16 with u8 labels. Prints `size: NAME value=V grad=H stack=S` (the deepest stack
//! the call used, in bytes): `scripts/edge.sh` builds it once per loss and reads the flash
//! that the loss adds over `baseline` from the ELF.
#![no_std]
#![no_main]

use segloss::catalogue::{Configure, Describe, Kind, ParamDefault, Value};
use segloss::{engine, Input, Loss, Shape, Target};
use segloss_canary_cortex_m as fw;

/// The loss this build runs.
const CHOSEN: &str = match option_env!("SEGLOSS_FW_LOSS") {
    Some(name) => name,
    None => "baseline",
};

const CLASSES: usize = 3;
const PIXELS: usize = 16 * 16;
const ELEMENTS: usize = CLASSES * PIXELS;
/// Workspace for the losses that take one (the distance maps of the boundary family).
const WORKSPACE: usize = 4 * ELEMENTS;

/// Equality of two strings in a constant.
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The caller-owned buffers, outside the stack.
struct Buffers {
    logits: [f32; ELEMENTS],
    labels: [u8; PIXELS],
    grad: [f32; ELEMENTS],
    workspace: [f32; WORKSPACE],
}

/// Forward and backward of `loss`; the value and the gradient's checksum.
#[inline(never)]
fn run<L: Loss<f32>>(loss: &L, b: &mut Buffers) -> Result<(f64, u64), segloss::Error> {
    let shape = Shape::new(1, CLASSES, &[16, 16])?;
    let input = Input::new(&b.logits, shape, Target::labels(&b.labels))?;
    let value = engine::forward_backward(loss, &input, &mut b.workspace, &mut b.grad)?;
    Ok((value, fw::checksum(&b.grad)))
}

/// A leaf of the catalogue with its required parameters filled (weights of 1, the first
/// choice, 0.5 for a number).
fn configured<'a, L: Loss<f32> + Configure<'a, f32>>(
    b: &mut Buffers,
) -> Result<(f64, u64), segloss::Error> {
    static ONES: [f64; CLASSES] = [1.0; CLASSES];
    let mut given: [(&str, Value<'a, f32>); 4] = [("", Value::Number(0.0)); 4];
    let mut n = 0;
    for p in L::DESCRIPTOR.params {
        if p.default != ParamDefault::Required {
            continue;
        }
        let value = match p.kind {
            Kind::Bool => Value::Bool(false),
            Kind::Choice(c) | Kind::ListOr(c) => match c.first() {
                Some(w) => Value::Word(w),
                None => continue,
            },
            Kind::List | Kind::NumberOrList => Value::List(&ONES),
            // The only required maps are DPCE's penalty: a constant map of ones.
            Kind::Map => Value::Map(&fw_map::ONES),
            Kind::Number | Kind::Integer => Value::Number(0.5),
        };
        if let Some(slot) = given.get_mut(n) {
            *slot = (p.name, value);
            n += 1;
        }
    }
    let loss = L::from_params(given.get(..n).unwrap_or(&[]))?;
    run(&loss, b)
}

/// A per-pixel map of ones for the losses that need one.
mod fw_map {
    pub static ONES: [f32; super::PIXELS] = [1.0; super::PIXELS];
}

/// Runs [`CHOSEN`]: `None` when the catalogue has no loss of that name.
macro_rules! chosen {
    (
        distribution { $($dn:ident($dt:ty, $ds:ty),)* }
        region { $($rn:ident($rt:ty, $rs:ty),)* }
        boundary { $($bn:ident($bt:ty, $bs:ty),)* }
        compound { $($ct:ty,)* }
        preset { $($preset:path,)* }
    ) => {
        fn chosen<'a>(b: &mut Buffers) -> Option<Result<(f64, u64), segloss::Error>> {
            /// The element type the list's `T` stands for.
            #[allow(dead_code)]
            type T = f32;
            $(
                if const { same(CHOSEN, <$ds as Describe>::DESCRIPTOR.name) } {
                    return Some(configured::<$dt>(b));
                }
            )*
            $(
                if const { same(CHOSEN, <$rs as Describe>::DESCRIPTOR.name) } {
                    return Some(configured::<$rt>(b));
                }
            )*
            $(
                if const { same(CHOSEN, <$bs as Describe>::DESCRIPTOR.name) } {
                    return Some(configured::<$bt>(b));
                }
            )*
            $(
                if const { same(CHOSEN, <$ct as Describe>::DESCRIPTOR.name) } {
                    return Some(run(&compound::<$ct>(), b));
                }
            )*
            None
        }

        /// Prints the names [`chosen`] answers to, one line.
        fn list() {
            fw::put("names:");
            $(fw::put(" "); fw::put(<$ds as Describe>::DESCRIPTOR.name);)*
            $(fw::put(" "); fw::put(<$rs as Describe>::DESCRIPTOR.name);)*
            $(fw::put(" "); fw::put(<$bs as Describe>::DESCRIPTOR.name);)*
            $(fw::put(" "); fw::put(<$ct as Describe>::DESCRIPTOR.name);)*
            fw::put("\n");
        }
    };
}
segloss::with_catalogue!(chosen);

/// A compound of the catalogue with its defaults, as a loss of f32.
fn compound<C>() -> <C as Compound>::Of
where
    C: Compound,
{
    C::make()
}

/// The compounds by their descriptor type (`'static`, f64 for the generic ones) to the
/// f32 loss with their defaults.
trait Compound {
    /// The loss of f32 it stands for.
    type Of: Loss<f32>;
    /// With its defaults.
    fn make() -> Self::Of;
}

macro_rules! compounds {
    ($($descriptor:ty => $of:ty,)*) => {
        $(impl Compound for $descriptor {
            type Of = $of;
            fn make() -> $of {
                <$of>::default()
            }
        })*
    };
}
compounds! {
    segloss::losses::DiceCe<'static> => segloss::losses::DiceCe<'static>,
    segloss::losses::DiceFocal<'static> => segloss::losses::DiceFocal<'static>,
    segloss::losses::DiceTopK<'static> => segloss::losses::DiceTopK<'static>,
    segloss::losses::Combo<'static> => segloss::losses::Combo<'static>,
    segloss::losses::Ell<'static> => segloss::losses::Ell<'static>,
    segloss::losses::DiceBoundary<'static, 'static, f64> => segloss::losses::DiceBoundary<'static, 'static, f32>,
    segloss::losses::DiceHausdorff<'static> => segloss::losses::DiceHausdorff<'static>,
}

/// The entry point of a target the scripts only build: the linker's default `_start`.
#[cfg(not(target_arch = "arm"))]
#[no_mangle]
pub extern "C" fn _start() -> ! {
    main()
}

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
fn main() -> ! {
    static BUFFERS: fw::Once<Buffers> = fw::Once::new();
    let Some(b) = BUFFERS.take(|| Buffers {
        logits: [0.0; ELEMENTS],
        labels: [0; PIXELS],
        grad: [0.0; ELEMENTS],
        workspace: [0.0; WORKSPACE],
    }) else {
        fw::exit(false)
    };
    fw::fill_batch(2026, CLASSES, &mut b.logits, &mut b.labels);
    let sp = fw::paint_stack();
    if same(CHOSEN, "list") {
        list();
        fw::exit(true)
    }
    let result = if same(CHOSEN, "baseline") {
        Some(Ok((0.0, 0)))
    } else {
        chosen(b)
    };
    let used = fw::stack_used(sp);
    fw::put("size: ");
    fw::put(CHOSEN);
    match result {
        Some(Ok((value, grad))) => {
            fw::put(" value=");
            fw::put_hex(value.to_bits());
            fw::put(" grad=");
            fw::put_hex(grad);
            fw::put(" stack=");
            fw::put_u64(used as u64);
            fw::put("\n");
            fw::exit(true)
        }
        Some(Err(_)) => {
            fw::put(" error\n");
            fw::exit(false)
        }
        None => {
            fw::put(" unknown\n");
            fw::exit(false)
        }
    }
}
