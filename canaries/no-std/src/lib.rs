//! A `#![no_std]` library that links the segloss core alone and calls the engine on a spread
//! of losses through C entry points (raw pointers in, so nothing is constant-folded away).
//!
//! Built as a `cdylib` for the host without `std`, `alloc` or libc: `nm -u` on the result
//! must list only the memory functions the compiler emits (`memcpy`, `memset`, `memmove`,
//! `memcmp`, `bcmp`); anything else (a `std`, `alloc` or libc symbol) means std crept in.
//!
//! With the `no-panic` feature the panic handler calls `segloss_panic_path_remains`, a
//! symbol defined nowhere: after LTO it stays referenced (undefined in `nm -u`) iff some
//! panic path of the exported entry points survived optimisation. `.ci/run` checks both;
//! `docs/validation.md` lists which core functions keep a panic path.
#![no_std]
#![allow(clippy::missing_safety_doc)]

use core::slice::{from_raw_parts, from_raw_parts_mut};
use segloss::{engine, Error, Input, Loss, Shape, Target};

#[cfg(not(feature = "no-panic"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}

#[cfg(feature = "no-panic")]
extern "C" {
    fn segloss_panic_path_remains() -> !;
}

#[cfg(feature = "no-panic")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: never called if no panic path remains; if one does, the link check fails
    // before anything runs.
    unsafe { segloss_panic_path_remains() }
}

/// A batch as C passes it: `(B, C, pixels)` channel-first logits, `u8` labels.
#[repr(C)]
pub struct Batch {
    /// Logits, `B·C·pixels`.
    pub pred: *const f32,
    /// Labels, `B·pixels`.
    pub labels: *const u8,
    /// Samples.
    pub batch: usize,
    /// Classes.
    pub classes: usize,
    /// Spatial sizes (1 to 3 of them).
    pub dims: [usize; 3],
    /// Spatial rank.
    pub rank: usize,
    /// Workspace.
    pub ws: *mut f32,
    /// Workspace length.
    pub ws_len: usize,
    /// Gradient, `B·C·pixels`.
    pub grad: *mut f32,
    /// Per-class weights (`classes` of them) or a per-pixel map, by loss.
    pub extra: *const f32,
}

/// The shape a [`Batch`] describes (its first `rank` dimensions, at most three).
fn batch_shape(b: &Batch) -> Result<Shape, Error> {
    Shape::new(
        b.batch,
        b.classes,
        b.dims.get(..b.rank.min(3)).unwrap_or(&[]),
    )
}

fn code(e: Error) -> i32 {
    match e {
        Error::EmptyShape => 1,
        Error::SpatialRank { .. } => 2,
        Error::TooManyClasses { .. } => 3,
        Error::ShapeOverflow => 4,
        Error::Length { .. } => 5,
        Error::LabelOutOfRange { .. } => 6,
        Error::NonFinite { .. } => 7,
        Error::Workspace { .. } => 8,
        _ => 99,
    }
}

#[allow(dead_code)]
/// Runs `make(extra)` on the batch; returns 0 and writes the value, or an error code.
unsafe fn run<'a, L: Loss<f32> + 'a>(
    b: &Batch,
    out: *mut f64,
    make: impl FnOnce(&'a [f32], usize) -> L,
) -> i32 {
    let shape = match batch_shape(b) {
        Ok(s) => s,
        Err(e) => return code(e),
    };
    let pred = from_raw_parts(b.pred, shape.elements());
    let labels = from_raw_parts(b.labels, shape.pixels());
    let ws = from_raw_parts_mut(b.ws, b.ws_len);
    let grad = from_raw_parts_mut(b.grad, shape.elements());
    let extra = from_raw_parts(b.extra, shape.pixels().max(shape.classes()));
    let input = match Input::new(pred, shape, Target::labels(labels).with_ignore_index(255)) {
        Ok(i) => i,
        Err(e) => return code(e),
    };
    let loss = make(extra, shape.classes());
    match engine::forward_backward(&loss, &input, ws, grad) {
        Ok(v) => {
            *out = v;
            0
        }
        Err(e) => code(e),
    }
}

macro_rules! entry {
    ($feature:literal, $name:ident, |$extra:ident, $classes:ident| $loss:expr) => {
        #[cfg(feature = $feature)]
        #[no_mangle]
        pub unsafe extern "C" fn $name(b: *const Batch, out: *mut f64) -> i32 {
            run(&*b, out, |$extra, $classes| {
                let _ = ($extra, $classes);
                $loss
            })
        }
    };
}

use segloss::losses as l;

entry!("ce", segloss_ce, |e, c| l::CrossEntropy::new());
entry!("wce", segloss_wce, |e, c| {
    l::WeightedCrossEntropy::new(l::ClassWeights::InverseFrequency)
});
entry!("topk", segloss_topk, |e, c| l::TopK::new(10.0));
entry!("topk_threshold", segloss_topk_threshold, |e, c| {
    l::TopKThreshold::new(0.3)
});
entry!("focal", segloss_focal, |e, c| l::Focal::new(2.0));
entry!("dpce", segloss_dpce, |e, c| l::Dpce::new(e));
entry!("balanced_bce", segloss_balanced_bce, |e, c| {
    l::BalancedBce::new(0.3)
});
entry!("dice", segloss_dice, |e, c| l::Dice::new());
entry!("iou", segloss_iou, |e, c| l::Iou::new());
entry!("tversky", segloss_tversky, |e, c| l::Tversky::new());
entry!("gdice", segloss_gdice, |e, c| l::GeneralizedDice::new());
entry!("mcc", segloss_mcc, |e, c| l::Mcc::new());
entry!("dice_ce", segloss_dice_ce, |e, c| l::DiceCe::new());
entry!("dice_focal", segloss_dice_focal, |e, c| l::DiceFocal::new());
entry!("combo", segloss_combo, |e, c| l::Combo::new(0.5, 0.5));
entry!(
    "boundary",
    segloss_boundary,
    |e, c| l::Boundary::<f32>::new()
);
entry!("hausdorff", segloss_hausdorff, |e, c| l::Hausdorff::new());

/// Every leaf loss of the core's catalogue, built from its descriptor with its required
/// parameters given (numbers 0.5, lists the batch's `extra` weights, maps `extra`), in
/// catalogue order: `index` picks one. One entry point over the whole list, so a loss the
/// core adds to `with_catalogue!` is in the no-std build and the no-panic check at once.
macro_rules! catalogue_entry {
    (
        distribution { $($dv:ident($dt:ty, $ds:ty)),* $(,)? }
        region { $($rv:ident($rt:ty, $rs:ty)),* $(,)? }
        boundary { $($bv:ident($bt:ty, $bs:ty)),* $(,)? }
        compound { $($ct:ty),* $(,)? }
        preset { $($p:path),* $(,)? }
    ) => {
        /// Leaf `index` of the catalogue on the batch; 0 and the value in `out`, or an
        /// error code (100: past the last leaf, so a caller walks the list until then).
        #[cfg(feature = "catalogue")]
        #[no_mangle]
        pub unsafe extern "C" fn segloss_catalogue(index: usize, b: *const Batch, out: *mut f64) -> i32 {
            leaf_at(index, &*b, out)
        }

        /// [`segloss_catalogue`] with the batch borrowed for `'a`.
        #[cfg(feature = "catalogue")]
        unsafe fn leaf_at<'a>(index: usize, b: &'a Batch, out: *mut f64) -> i32 {
            /// The element type the list's `T` stands for.
            type T = f32;
            let mut k = 0usize;
            $(
                if k == index {
                    return configured::<$dt>(b, out);
                }
                k += 1;
            )*
            $(
                if k == index {
                    return configured::<$rt>(b, out);
                }
                k += 1;
            )*
            $(
                if k == index {
                    return configured::<$bt>(b, out);
                }
                k += 1;
            )*
            let _ = k;
            100
        }
    };
}

/// Builds `L` from its descriptor's required parameters and runs it on the batch.
#[cfg(feature = "catalogue")]
unsafe fn configured<'a, L>(b: &'a Batch, out: *mut f64) -> i32
where
    L: Loss<f32> + segloss::catalogue::Configure<'a, f32> + 'a,
{
    use segloss::catalogue::{Kind, ParamDefault, Value};
    let shape = match batch_shape(b) {
        Ok(s) => s,
        Err(e) => return code(e),
    };
    let classes = shape.classes();
    let extra: &'a [f32] = from_raw_parts(b.extra, shape.pixels().max(classes));
    // Per-class weights of 1 for list parameters.
    static ONES: [f64; segloss::MAX_CLASSES] = [1.0; segloss::MAX_CLASSES];
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
            Kind::List | Kind::NumberOrList => Value::List(ONES.get(..classes).unwrap_or(&[])),
            Kind::Map => Value::Map(extra),
            Kind::Number | Kind::Integer => Value::Number(0.5),
        };
        if let Some(slot) = given.get_mut(n) {
            *slot = (p.name, value);
            n += 1;
        }
    }
    let loss = match L::from_params(given.get(..n).unwrap_or(&[])) {
        Ok(l) => l,
        Err(e) => return code(e),
    };
    run(b, out, |_, _| loss)
}

segloss::with_catalogue!(catalogue_entry);

/// The exact EDT of a mask of `dims` (unit spacing) into `out`.
#[cfg(feature = "edt")]
#[no_mangle]
pub unsafe extern "C" fn segloss_edt(
    mask: *const bool,
    dims: *const usize,
    rank: usize,
    out: *mut f32,
    ws: *mut f32,
    ws_len: usize,
) -> i32 {
    let dims = from_raw_parts(dims, rank.min(3));
    let n = dims.iter().product::<usize>();
    let mask = from_raw_parts(mask, n);
    let out = from_raw_parts_mut(out, n);
    let ws = from_raw_parts_mut(ws, ws_len);
    match segloss::edt::edt(mask, dims, &[], out, ws) {
        Ok(()) => 0,
        Err(e) => code(e),
    }
}

/// Validation only: the shape, the input, a mask, a sample view and two losses' checks.
#[cfg(feature = "validate")]
#[no_mangle]
pub unsafe extern "C" fn segloss_validate(b: *const Batch, mask: *const bool) -> i32 {
    let b = &*b;
    let shape = match batch_shape(b) {
        Ok(s) => s,
        Err(e) => return code(e),
    };
    let pred = from_raw_parts(b.pred, shape.elements());
    let labels = from_raw_parts(b.labels, shape.pixels());
    let mask = from_raw_parts(mask, shape.pixels());
    let checked = Input::new(pred, shape, Target::labels(labels))
        .and_then(|i| i.with_mask(mask))
        .and_then(|i| i.samples(0..1))
        .and_then(|i| {
            Loss::<f32>::check(&l::CrossEntropy::new(), &i)?;
            Loss::<f32>::check(&l::Dice::new(), &i)
        });
    match checked {
        Ok(()) => 0,
        Err(e) => code(e),
    }
}

/// The weights of the boundary schedule at `epoch` (region weight).
#[cfg(feature = "schedule")]
#[no_mangle]
pub extern "C" fn segloss_schedule(epoch: u64) -> f64 {
    l::Schedule::boundary().at(epoch).region
}

/// A negative control: indexing that the optimiser cannot prove in bounds keeps a panic
/// path, so the report must list it (proof that the check sees panic paths at all).
#[cfg(feature = "control")]
#[no_mangle]
pub extern "C" fn segloss_control(i: usize) -> u32 {
    [1u32, 2, 3][i]
}
