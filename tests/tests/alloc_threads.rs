//! A counting global allocator (over all threads) shows that `segloss_std::Buffers` on a
//! thread pool allocates nothing after the first call of a shape and loss, but for rayon's
//! job queue: each call sends the pool one job, and the queue takes a new block every 63
//! jobs, so any 20 calls allocate at most once.
//!
//! The count is global because the pool's threads do the work; this binary holds one test,
//! so the harness has nothing else running while it counts.
// A counting global allocator implements `GlobalAlloc`: the one `unsafe` of the tests.
#![allow(unsafe_code)]

use segloss::losses::{Dice, DiceCe, Focal, TopK};
use segloss::{Input, Shape, Target};
use segloss_std::Buffers;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only an atomic
// counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Calls measured after the first two of each loss and shape.
const CALLS: usize = 20;

/// Logits and labels of `batch` samples of 3 classes and 24·32·32 pixels: two of the
/// kernel's reduction blocks per sample, so one sample splits by block.
fn data(batch: usize) -> (Shape, Vec<f32>, Vec<u8>) {
    let shape = Shape::new(batch, 3, &[24, 32, 32]).unwrap();
    let logits = (0..shape.elements())
        .map(|i| ((i * 37 % 17) as f32 - 8.0) * 0.4)
        .collect();
    let labels = (0..shape.pixels())
        .map(|i| if i % 11 == 3 { 255 } else { (i * 7 % 3) as u8 })
        .collect();
    (shape, logits, labels)
}

/// Allocations made (on any thread) by `CALLS` calls of `call`, after two that size the
/// buffers.
fn allocations_after_warm_up(
    buffers: &mut Buffers<f32>,
    call: impl Fn(&mut Buffers<f32>),
) -> usize {
    call(buffers);
    call(buffers);
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for _ in 0..CALLS {
        call(buffers);
    }
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

#[test]
fn pooled_buffers_allocate_only_on_the_first_call() {
    let mut buffers = Buffers::<f32>::new().with_threads(2).unwrap();
    for batch in [1, 2] {
        let (shape, logits, labels) = data(batch);
        let target = Target::labels(&labels[..]).with_ignore_index(255);
        let input = Input::new(&logits, shape, target).unwrap();
        let mut counts = Vec::new();
        let mut run = |name: &str, n: usize| counts.push((name.to_string(), n));
        // The fused kernel: by block for one sample, by sample (pass 2) for two.
        run(
            "dice_ce",
            allocations_after_warm_up(&mut buffers, |b| {
                b.forward_backward(&DiceCe::new(), &input).unwrap();
            }),
        );
        run(
            "focal(2)",
            allocations_after_warm_up(&mut buffers, |b| {
                b.forward_backward(&Focal::new(2.0), &input).unwrap();
            }),
        );
        run(
            "dice forward",
            allocations_after_warm_up(&mut buffers, |b| {
                b.forward(&Dice::new(), &input).unwrap();
            }),
        );
        // The tile path by sample (per-sample statistics), and a loss with a workspace
        // (sequential inside the pool).
        run(
            "focal(1)",
            allocations_after_warm_up(&mut buffers, |b| {
                b.forward_backward(&Focal::new(1.0), &input).unwrap();
            }),
        );
        run(
            "topk",
            allocations_after_warm_up(&mut buffers, |b| {
                b.forward_backward(&TopK::new(10.0), &input).unwrap();
            }),
        );
        for (name, n) in counts {
            assert!(
                n <= 1,
                "{name}, batch {batch}: {n} allocations in {CALLS} calls after the first two"
            );
        }
    }
}
