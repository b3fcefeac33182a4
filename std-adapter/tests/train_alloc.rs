//! After its first step, a training step of `segloss_std::train` allocates nothing: forward
//! and backward of the network on two rayon threads, the loss (a `#[derive(Loss)]` compound,
//! runtime spec compounds, losses with a workspace, the boundary losses), Adam, and the
//! held-out evaluation (Dice, NSD, HD95). A counting global allocator sees every thread.
//!
//! One test function only: the counter is global, so no other test may run beside it.
//! Run it with `--nocapture` to see the counts.
// A counting global allocator implements `GlobalAlloc`: the one `unsafe` of the tests.
#![allow(unsafe_code)]

use segloss::losses::{CrossEntropy, DiceBoundary, DpcePenalty, Hausdorff, Schedule, Tversky};
use segloss::Loss;
use segloss_std::spec::{BuildContext, Spec};
use segloss_std::train::{Config, Trainer};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[derive(Loss)]
struct Custom<'w> {
    #[loss(weight = 0.6)]
    region: Tversky<'w>,
    #[loss(weight = 0.4)]
    ce: CrossEntropy<'w>,
}

/// Allocations during `f` (after a warm-up call of the same `f`).
fn allocations_after_warm_up(mut f: impl FnMut()) -> usize {
    f();
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for _ in 0..3 {
        f();
    }
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

#[test]
fn training_steps_allocate_nothing_after_the_first() {
    let config = Config {
        size: 24,
        train_images: 16,
        test_images: 6,
        batch: 4,
        width: 6,
        ..Config::default()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    // Each rayon thread registers once with crossbeam-epoch (its deques' memory reclamation)
    // when it first takes a job from a queue; a broadcast makes every thread do it now
    // rather than whenever it first steals during a step.
    pool.broadcast(|_| ());
    pool.install(|| {
        let mut trainer = Trainer::new(config);
        let n = trainer.batches();
        let custom = Custom {
            region: Tversky::new().with_alpha(0.3).with_beta(0.7),
            ce: CrossEntropy::new(),
        };
        let specs = [
            "0.7*dice(include_background=false) + 0.3*ce",
            "dice_topk",
            "focal",
        ];
        let specs: Vec<Spec> = specs.iter().map(|s| Spec::parse(s).unwrap()).collect();
        let fused: Vec<_> = specs
            .iter()
            .map(|s| s.build::<f32>(&BuildContext::default()).unwrap())
            .collect();
        // DPCE: one fused loss per batch, each borrowing its batch's penalty maps
        let dpce = Spec::parse("dpce").unwrap();
        let maps = DpcePenalty::new(trainer.train.len, &[24, 24], &[]).unwrap();
        let mut penalty = vec![0.0f32; trainer.train.labels.len()];
        let mut ws = vec![0.0f32; maps.workspace_len()];
        maps.run(&trainer.train.labels[..], &mut penalty, &mut ws)
            .unwrap();
        let per_batch: Vec<_> = penalty
            .chunks(penalty.len() / n)
            .map(|p| {
                dpce.build(&BuildContext {
                    penalty: Some(p),
                    spacing: None,
                })
                .unwrap()
            })
            .collect();
        let dice_boundary = DiceBoundary::<f32>::new().at_epoch(&Schedule::boundary(), 40);
        let hausdorff = Hausdorff::new();

        let mut k = 0;
        let mut count = |trainer: &mut Trainer, loss: &dyn Fn(&mut Trainer, usize)| {
            allocations_after_warm_up(|| {
                loss(trainer, k % n);
                k += 1;
            })
        };
        let results = [
            (
                "derive compound",
                count(&mut trainer, &|t, k| {
                    t.step(&custom, k).unwrap();
                }),
            ),
            (
                "spec dice + ce",
                count(&mut trainer, &|t, k| {
                    t.step(&fused[0], k).unwrap();
                }),
            ),
            (
                "spec dice_topk",
                count(&mut trainer, &|t, k| {
                    t.step(&fused[1], k).unwrap();
                }),
            ),
            (
                "spec focal",
                count(&mut trainer, &|t, k| {
                    t.step(&fused[2], k).unwrap();
                }),
            ),
            (
                "spec dpce",
                count(&mut trainer, &|t, k| {
                    t.step(&per_batch[k], k).unwrap();
                }),
            ),
            (
                "dice + boundary",
                count(&mut trainer, &|t, k| {
                    t.step(&dice_boundary, k).unwrap();
                }),
            ),
            (
                "hausdorff",
                count(&mut trainer, &|t, k| {
                    t.step(&hausdorff, k).unwrap();
                }),
            ),
            (
                "epoch",
                count(&mut trainer, &|t, _| {
                    t.epoch(|_| &custom).unwrap();
                }),
            ),
            (
                "evaluation",
                count(&mut trainer, &|t, _| {
                    t.evaluate().unwrap();
                }),
            ),
        ];
        for (what, allocations) in results {
            println!("{what}: {allocations} allocations in 3 calls after the first");
        }
        assert!(
            results.iter().all(|(_, a)| *a == 0),
            "allocations after warm-up: {results:?}"
        );
    });
}
