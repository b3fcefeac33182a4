//! Every typed loss of the catalogue (distribution, region, presets, compounds, boundary and
//! Hausdorff losses) on arbitrary shapes, layouts, activations, labels or dense targets,
//! masks, maps and parameters, in `f32` and `f64`.
//!
//! Oracles: no panic; an accepted input gives a finite loss and a finite gradient; a
//! rejected input leaves the gradient untouched; `f32` and `f64` accept and reject alike.
//! (Formerly `distribution_losses`: its inputs decode to the same losses.) Each input also
//! runs one leaf of the core's catalogue, configured through its descriptor
//! ([`segloss_fuzz::visit_leaf`]), so every loss the core lists is fuzzed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segloss::{engine, Error, Input, Loss, Real};
use segloss_fuzz::{selected, visit_leaf, visit_loss, Bytes, Case, Info, Visit, WIDE};

struct Check<'a, T: Real> {
    input: &'a Input<'a, T>,
    outcome: Option<Result<(), Error>>,
}

impl<T: Real> Visit<T> for Check<'_, T> {
    fn visit<L: Loss<T> + Sync>(&mut self, loss: &L, info: Info) {
        let input = self.input;
        let mut ws = vec![T::zero(); loss.workspace_len(&input.shape()).min(1 << 24)];
        let sentinel = T::of(7.0);
        let mut grad = vec![sentinel; input.shape().elements()];
        let result = engine::forward_backward(loss, input, &mut ws, &mut grad);
        match result {
            Ok(v) => {
                assert!(v.is_finite(), "{}: non-finite loss {v}", info.name);
                assert!(
                    grad.iter().all(|g| g.is_finite()),
                    "{}: non-finite gradient",
                    info.name
                );
            }
            Err(_) => assert!(
                grad.iter().all(|&g| g == sentinel),
                "{}: gradient written on error",
                info.name
            ),
        }
        self.outcome = Some(result.map(|_| ()));
    }
}

/// The outcomes of the table's loss and of the catalogue's leaf.
fn run<T: Real>(case: &Case<T>) -> Option<[Option<Result<(), Error>>; 2]> {
    let input = case.input()?;
    let mut table = Check {
        input: &input,
        outcome: None,
    };
    visit_loss(selected(&case.params), case, &mut table);
    let mut leaf = Check {
        input: &input,
        outcome: None,
    };
    visit_leaf(usize::from(case.params.sel), case, &mut leaf);
    Some([table.outcome, leaf.outcome])
}

fuzz_target!(|data: &[u8]| {
    let Some(case) = Case::decode(&mut Bytes(data), WIDE) else {
        return;
    };
    let single = run(&case);
    let double = run(&case.widen());
    // The same data (widened exactly) is accepted or refused alike.
    if let (Some(a), Some(b)) = (single, double) {
        assert_eq!(a, b, "f32 and f64 disagree on the same data");
    }
});
