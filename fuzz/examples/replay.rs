//! Decodes a `typed_losses` (or `differential`, with `--differential`) input and prints the
//! batch, the loss, the value and every non-finite gradient element, in `f32` and `f64`.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example replay -- FILE [--differential]
//! [--with SPEC]`; `--with` evaluates another spec on a differential spec input's batch.

use segloss::{engine, Input, Loss, Real};
use segloss_fuzz::{selected, visit_loss, Bytes, Case, Info, Limits, Visit, LOSSES, WIDE};

struct Show<'a, T: Real>(&'a Input<'a, T>);

impl<T: Real> Visit<T> for Show<'_, T> {
    fn visit<L: Loss<T> + Sync>(&mut self, loss: &L, info: Info) {
        let input = self.0;
        let mut ws = vec![T::zero(); loss.workspace_len(&input.shape())];
        let mut grad = vec![T::zero(); input.shape().elements()];
        let r = engine::forward_backward(loss, input, &mut ws, &mut grad);
        println!("{} ({}): {r:?}", info.name, std::any::type_name::<T>());
        for (i, g) in grad.iter().enumerate() {
            if !g.is_finite() {
                println!(
                    "  grad[{i}] = {g:?} (prediction {:?})",
                    input.prediction()[i]
                );
            }
        }
    }
}

fn eval_spec<T: Real>(spec: &segloss_std::spec::Spec, case: &Case<T>) {
    let ctx = segloss_std::spec::BuildContext {
        penalty: Some(&case.penalty[..]),
        spacing: Some(&case.params.spacing[..]),
    };
    let loss = spec.build(&ctx).expect("build");
    let Some(input) = case.input() else { return };
    Show(&input).visit(
        &loss,
        Info {
            name: "spec",
            smooth: true,
        },
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = std::fs::read(&args[1]).expect("input file");
    let differential = args.iter().any(|a| a == "--differential");
    if args.iter().any(|a| a == "--spec") {
        // spec_losses: a head byte, the spec (raw or generated), then a batch
        let mut b = Bytes(&data[..]);
        let head = b.byte();
        let text = if head & 7 == 0 {
            let n = usize::from(b.byte() % 64).min(b.rest().len());
            let (t, tail) = b.rest().split_at(n);
            b = Bytes(tail);
            String::from_utf8_lossy(t).into_owned()
        } else {
            segloss_fuzz::specgen::spec(&mut b)
        };
        println!("spec: {text}");
        let Some(case) = Case::decode(&mut Bytes(b.rest()), WIDE) else {
            return;
        };
        println!("{case:#?}");
        let spec = segloss_std::spec::Spec::parse(&text).expect("spec");
        eval_spec(&spec, &case);
        eval_spec(&spec, &case.widen());
        return;
    }
    let (data, lim) = if differential {
        let mut b = Bytes(&data[..]);
        let head = b.byte();
        if head & 1 == 1 {
            let text = segloss_fuzz::specgen::spec(&mut b);
            println!("spec: {text}");
            let rest = b.rest();
            let Some(case) = Case::decode(
                &mut Bytes(rest),
                Limits {
                    batch: 3,
                    classes: 4,
                    side: 5,
                },
            ) else {
                return;
            };
            println!("{case:#?}");
            let spec = segloss_std::spec::Spec::parse(&text).expect("spec");
            eval_spec(&spec, &case);
            eval_spec(&spec, &case.widen());
            // `--with SPEC`: the same batch under another spec, to take a failure apart
            if let Some(i) = args.iter().position(|a| a == "--with") {
                let other = &args[i + 1];
                println!("with: {other}");
                let spec = segloss_std::spec::Spec::parse(other).expect("--with spec");
                eval_spec(&spec, &case);
                eval_spec(&spec, &case.widen());
            }
            return;
        }
        println!("typed loss {}", (head >> 1) % 8);
        (
            &data[1..],
            Limits {
                batch: 3,
                classes: 4,
                side: 5,
            },
        )
    } else {
        (&data[..], WIDE)
    };
    let Some(case) = Case::decode(&mut Bytes(data), lim) else {
        println!("invalid shape");
        return;
    };
    println!("{case:#?}");
    let index = if differential {
        usize::from(case.params.sel) % LOSSES
    } else {
        selected(&case.params)
    };
    if let Some(input) = case.input() {
        visit_loss(index, &case, &mut Show(&input));
    }
    let wide = case.widen();
    if let Some(input) = wide.input() {
        visit_loss(index, &wide, &mut Show(&input));
    }
}
