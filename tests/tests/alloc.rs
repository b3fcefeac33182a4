//! A counting global allocator proves that the core's calls allocate nothing, and that
//! `segloss_std::Buffers` allocates only on the first call of a shape.
//!
//! The count is per thread (the test harness allocates on other threads meanwhile).
// A counting global allocator implements `GlobalAlloc`: the one `unsafe` of the tests.
#![allow(unsafe_code)]

use segloss::edt::Edt;
use segloss::losses::{
    Boundary, ClassWeights, CrossEntropy, Dice, DiceCe, DiceFocal, Dpce, Focal, GeneralizedDice,
    Hausdorff, Mcc, TopK, TopKThreshold, Tversky, WeightedCrossEntropy,
};
use segloss::{engine, Input, Loss, Shape, Stats, Target};
use segloss_std::Buffers;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator unchanged; only a thread-local
// counter (const-initialised, so it never allocates) is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let before = ALLOCATIONS.with(Cell::get);
    let r = f();
    (ALLOCATIONS.with(Cell::get) - before, r)
}

struct Data {
    shape: Shape,
    logits: Vec<f32>,
    labels: Vec<u8>,
    mask: Vec<bool>,
    penalty: Vec<f32>,
    weights: Vec<f64>,
}

fn data() -> Data {
    let shape = Shape::new(2, 3, &[6, 7]).unwrap();
    let logits = (0..shape.elements())
        .map(|i| ((i * 37 % 17) as f32 - 8.0) * 0.4)
        .collect();
    let labels = (0..shape.pixels())
        .map(|i| if i % 11 == 3 { 255 } else { (i * 7 % 3) as u8 })
        .collect();
    let mask = (0..shape.pixels()).map(|i| i % 13 != 0).collect();
    let penalty = (0..shape.pixels()).map(|i| (i % 5) as f32 * 0.25).collect();
    Data {
        shape,
        logits,
        labels,
        mask,
        penalty,
        weights: vec![0.5, 1.0, 2.0],
    }
}

/// Zero allocations in `forward_backward`, in the separate phases, for `loss`.
fn no_allocation<L: Loss<f32>>(name: &str, loss: &L, input: &Input<'_, f32>) {
    let mut ws = vec![0.0f32; loss.workspace_len(&input.shape())];
    let mut grad = vec![0.0f32; input.shape().elements()];
    let (n, r) = allocations(|| engine::forward_backward(loss, input, &mut ws, &mut grad));
    r.unwrap();
    assert_eq!(n, 0, "{name}: forward_backward allocated {n} times");
    let (n, r) = allocations(|| {
        let mut stats = L::Stats::default();
        engine::accumulate(loss, input, &mut stats, &mut ws)?;
        let mut other = L::Stats::default();
        other.merge(&stats);
        let done = loss.finalize(&other, &mut ws);
        engine::backward_with(loss, input, &done.coef, &ws, &mut grad)?;
        engine::forward(loss, input, &mut ws)
    });
    r.unwrap();
    assert_eq!(n, 0, "{name}: the phases allocated {n} times");
}

#[test]
fn core_calls_allocate_nothing() {
    let d = data();
    let target = Target::labels(&d.labels[..]).with_ignore_index(255);
    let input = Input::new(&d.logits, d.shape, target)
        .unwrap()
        .with_mask(&d.mask)
        .unwrap();
    no_allocation("ce", &CrossEntropy::new().with_weight(&d.weights), &input);
    no_allocation(
        "wce",
        &WeightedCrossEntropy::new(ClassWeights::InverseFrequency),
        &input,
    );
    no_allocation("topk", &TopK::new(10.0), &input);
    no_allocation("topk_threshold", &TopKThreshold::new(0.3), &input);
    no_allocation("focal", &Focal::new(2.0), &input);
    no_allocation("dpce", &Dpce::new(&d.penalty[..]), &input);
    no_allocation("dice", &Dice::new(), &input);
    no_allocation("tversky", &Tversky::new().with_batch(true), &input);
    no_allocation("gdice", &GeneralizedDice::new(), &input);
    no_allocation("mcc", &Mcc::new(), &input);
    no_allocation("dice_ce", &DiceCe::new(), &input);
    no_allocation("dice_focal", &DiceFocal::new(), &input);
    no_allocation("boundary", &Boundary::<f32>::new(), &input);
    no_allocation("hausdorff", &Hausdorff::new(), &input);

    // The exact EDT and the validation of a bad input.
    let mask: Vec<bool> = (0..6 * 7).map(|i| i % 5 != 0).collect();
    let edt = Edt::new(&[6, 7], &[1.0, 0.5]).unwrap();
    let mut out = vec![0.0f32; mask.len()];
    let mut ws = vec![0.0f32; edt.workspace_len()];
    let (n, r) = allocations(|| edt.run(&mask, &mut out, &mut ws));
    r.unwrap();
    assert_eq!(n, 0, "edt allocated {n} times");
    let (n, r) = allocations(|| {
        let bad = [f32::NAN; 6 * 42];
        let input = Input::new(&bad, d.shape, Target::labels(&d.labels[..]))?;
        engine::forward_backward(&CrossEntropy::new(), &input, &mut [], &mut [0.0; 6 * 42])
    });
    assert!(r.is_err());
    assert_eq!(n, 0, "a refused input allocated {n} times");
}

#[test]
fn buffers_allocate_only_on_the_first_call_of_a_shape() {
    let d = data();
    let target = Target::labels(&d.labels[..]).with_ignore_index(255);
    let input = Input::new(&d.logits, d.shape, target).unwrap();
    let mut buffers = Buffers::<f32>::new();
    type Call<'a> = &'a dyn Fn(&mut Buffers<f32>) -> f64;
    let losses: [(&str, Call<'_>); 4] = [
        ("topk", &|b| {
            b.forward_backward(&TopK::new(10.0), &input).unwrap().0
        }),
        ("dice_ce", &|b| {
            b.forward_backward(&DiceCe::new(), &input).unwrap().0
        }),
        ("boundary", &|b| {
            b.forward_backward(&Boundary::<f32>::new(), &input)
                .unwrap()
                .0
        }),
        ("hausdorff", &|b| {
            b.forward(&Hausdorff::new(), &input).unwrap()
        }),
    ];
    for (name, call) in losses {
        let (first, _) = allocations(|| call(&mut buffers));
        let (second, _) = allocations(|| call(&mut buffers));
        let (third, _) = allocations(|| call(&mut buffers));
        assert_eq!(
            (second, third),
            (0, 0),
            "{name}: allocated again ({first} the first time)"
        );
    }
    // A smaller batch reuses the buffers too.
    let small = input.samples(0..1).unwrap();
    let (n, r) = allocations(|| {
        buffers
            .forward_backward(&TopK::new(10.0), &small)
            .map(|r| r.0)
    });
    r.unwrap();
    assert_eq!(n, 0, "a smaller batch allocated {n} times");
}
