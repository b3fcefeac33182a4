//! Every loss of the runtime registry through `spec::Spec::parse` + `build`, on random spec
//! strings (generated from the registry, or raw text) and random batches, in `f32` and `f64`.
//!
//! Oracles: no panic (parse, build, `check_members`, `explain`, the engine); an accepted
//! batch gives a finite loss and gradient; a refused one leaves the gradient untouched;
//! `f32` and `f64` accept and refuse alike.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segloss::{engine, Error, Loss, Real};
use segloss_fuzz::{specgen, Bytes, Case, WIDE};
use segloss_std::spec::{BuildContext, Spec};

fn run<T: Real>(spec: &Spec, case: &Case<T>) -> Option<Result<(), Error>> {
    let ctx = BuildContext {
        penalty: Some(&case.penalty[..]),
        spacing: Some(&case.params.spacing[..]),
    };
    let loss = match spec.build(&ctx) {
        Ok(l) => l,
        Err(e) => {
            let _ = e.to_string();
            return None;
        }
    };
    let input = case.input()?;
    if let Err((i, e)) = loss.check_members(&input) {
        let _ = spec.explain(i, &e).to_string();
    }
    let mut ws = vec![T::zero(); loss.workspace_len(&input.shape()).min(1 << 24)];
    let sentinel = T::of(7.0);
    let mut grad = vec![sentinel; input.shape().elements()];
    let r = engine::forward_backward(&loss, &input, &mut ws, &mut grad);
    match r {
        Ok(v) => {
            assert!(v.is_finite(), "{}: non-finite loss {v}", spec.text());
            assert!(
                grad.iter().all(|g| g.is_finite()),
                "{}: non-finite gradient",
                spec.text()
            );
        }
        Err(_) => assert!(
            grad.iter().all(|&g| g == sentinel),
            "gradient written on error"
        ),
    }
    Some(r.map(|_| ()))
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let head = b.byte();
    let text = if head & 7 == 0 {
        // raw text: a length byte, then the text
        let n = usize::from(b.byte() % 64).min(b.rest().len());
        let rest: &[u8] = b.rest();
        let (head, tail) = rest.split_at(n);
        b = Bytes(tail);
        String::from_utf8_lossy(head).into_owned()
    } else {
        specgen::spec(&mut b)
    };
    let Ok(spec) = Spec::parse(&text) else {
        return;
    };
    let Some(case) = Case::decode(&mut b, WIDE) else {
        return;
    };
    let single = run(&spec, &case);
    let double = run(&spec, &case.widen());
    if let (Some(a), Some(b)) = (single, double) {
        assert_eq!(
            a,
            b,
            "{}: f32 and f64 disagree on the same data",
            spec.text()
        );
    }
});
