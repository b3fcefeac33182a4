//! A training run on the device: a 1×1 convolution head (3 classes over 2 features per
//! pixel: the intensity and its square) trained with Dice + CE (`segloss::losses::DiceCe`,
//! background excluded from the Dice) by gradient descent on 16×16 images of a bright disc
//! and a dimmer square on a dark, noisy background. No allocator is linked; every buffer is
//! static. Prints the loss of each step and the instructions it took (SysTick under QEMU's
//! `-icount shift=0`, where virtual time counts instructions; SysTick's ticks per instruction
//! calibrated on a loop of known length), then `train: loss A -> B in N steps, about I instructions per step`;
//! exits with failure unless the loss fell to half of its first value.
#![no_std]
#![no_main]

use cortex_m::peripheral::syst::SystClkSource;
use segloss::losses::{Dice, DiceCe};
use segloss::rng::SplitMix64;
use segloss::{engine, Input, Shape, Target};
use segloss_canary_cortex_m as fw;

const BATCH: usize = 2;
const CLASSES: usize = 3;
const FEATURES: usize = 2;
const SIDE: usize = 16;
const PIXELS: usize = SIDE * SIDE;
const STEPS: usize = 40;
const LEARNING_RATE: f32 = 2.0;
/// Iterations of the calibration loop (`cortex_m::asm::delay`: two instructions each).
const CALIBRATION: u32 = 1_000_000;

/// Static buffers: the batch, the logits and their gradient.
struct Buffers {
    features: [[f32; PIXELS]; BATCH * FEATURES],
    labels: [u8; BATCH * PIXELS],
    logits: [f32; BATCH * CLASSES * PIXELS],
    grad: [f32; BATCH * CLASSES * PIXELS],
}

/// The head: `logit_c = Σ_k w[c][k]·feature_k + b[c]`.
struct Head {
    w: [[f32; FEATURES]; CLASSES],
    b: [f32; CLASSES],
}

/// Draws image `i` of the batch: a disc (class 1, intensity 1) and a square (class 2,
/// intensity 0.5) at random places, background 0, Gaussian-ish noise of 0.15.
fn draw(rng: &mut SplitMix64, i: usize, b: &mut Buffers) {
    let (cx, cy, r) = (4 + rng.below(8), 4 + rng.below(8), 2 + rng.below(2));
    let (sx, sy, side) = (rng.below(12), rng.below(12), 3 + rng.below(2));
    for y in 0..SIDE {
        for x in 0..SIDE {
            let (dx, dy) = (x.abs_diff(cx), y.abs_diff(cy));
            let class = if dx * dx + dy * dy <= r * r {
                1
            } else if (sx..sx + side).contains(&x) && (sy..sy + side).contains(&y) {
                2
            } else {
                0
            };
            let level = [0.0, 1.0, 0.5][class];
            let noise = (rng.uniform() + rng.uniform() + rng.uniform() - 1.5) * 0.3;
            let v = (level + noise) as f32;
            let p = y * SIDE + x;
            if let Some(l) = b.labels.get_mut(i * PIXELS + p) {
                *l = class as u8;
            }
            if let Some(f) = b.features.get_mut(i * FEATURES) {
                f[p] = v;
            }
            if let Some(f) = b.features.get_mut(i * FEATURES + 1) {
                f[p] = v * v;
            }
        }
    }
}

/// The head's logits for the batch, class-major per sample.
fn forward(head: &Head, b: &mut Buffers) {
    for i in 0..BATCH {
        for c in 0..CLASSES {
            let out = b.logits.chunks_exact_mut(PIXELS).nth(i * CLASSES + c);
            let (Some(out), Some(w), Some(&bias)) = (out, head.w.get(c), head.b.get(c)) else {
                continue;
            };
            out.fill(bias);
            for (k, &wk) in w.iter().enumerate() {
                if let Some(f) = b.features.get(i * FEATURES + k) {
                    for (o, &x) in out.iter_mut().zip(f) {
                        *o += wk * x;
                    }
                }
            }
        }
    }
}

/// One gradient-descent step on the head from the logits' gradient.
fn update(head: &mut Head, b: &Buffers) {
    for c in 0..CLASSES {
        let (mut gw, mut gb) = ([0.0f32; FEATURES], 0.0f32);
        for i in 0..BATCH {
            let Some(g) = b.grad.chunks_exact(PIXELS).nth(i * CLASSES + c) else {
                continue;
            };
            gb += g.iter().sum::<f32>();
            for (k, gwk) in gw.iter_mut().enumerate() {
                if let Some(f) = b.features.get(i * FEATURES + k) {
                    *gwk += g.iter().zip(f).map(|(a, x)| a * x).sum::<f32>();
                }
            }
        }
        if let (Some(w), Some(bias)) = (head.w.get_mut(c), head.b.get_mut(c)) {
            for (wk, gk) in w.iter_mut().zip(gw) {
                *wk -= LEARNING_RATE * gk;
            }
            *bias -= LEARNING_RATE * gb;
        }
    }
}

#[cortex_m_rt::entry]
fn main() -> ! {
    static BUFFERS: fw::Once<Buffers> = fw::Once::new();
    let (Some(b), Some(mut core)) = (
        BUFFERS.take(|| Buffers {
            features: [[0.0; PIXELS]; BATCH * FEATURES],
            labels: [0; BATCH * PIXELS],
            logits: [0.0; BATCH * CLASSES * PIXELS],
            grad: [0.0; BATCH * CLASSES * PIXELS],
        }),
        cortex_m::Peripherals::take(),
    ) else {
        fw::exit(false)
    };
    core.SYST.set_clock_source(SystClkSource::Core);
    core.SYST.set_reload(0x00FF_FFFF);
    core.SYST.clear_current();
    core.SYST.enable_counter();
    let start = cortex_m::peripheral::SYST::get_current();
    cortex_m::asm::delay(CALIBRATION);
    let calibration =
        u64::from(start.wrapping_sub(cortex_m::peripheral::SYST::get_current()) & 0x00FF_FFFF);
    let loss = DiceCe {
        dice: Dice::new().with_include_background(false),
        ..DiceCe::new()
    };
    let mut head = Head {
        w: [[0.0; FEATURES]; CLASSES],
        b: [0.0; CLASSES],
    };
    let mut rng = SplitMix64::new(2026);
    let (mut first, mut last, mut ticks) = (f64::NAN, f64::NAN, 0u64);
    for step in 0..STEPS {
        for i in 0..BATCH {
            draw(&mut rng, i, b);
        }
        let start = cortex_m::peripheral::SYST::get_current();
        forward(&head, b);
        let Ok(shape) = Shape::new(BATCH, CLASSES, &[SIDE, SIDE]) else {
            fw::exit(false)
        };
        let Ok(input) = Input::new(&b.logits, shape, Target::labels(&b.labels)) else {
            fw::exit(false)
        };
        let Ok(value) = engine::forward_backward(&loss, &input, &mut [], &mut b.grad) else {
            fw::exit(false)
        };
        update(&mut head, b);
        let end = cortex_m::peripheral::SYST::get_current();
        // SysTick counts down, 24 bits.
        ticks += u64::from(start.wrapping_sub(end) & 0x00FF_FFFF);
        if step == 0 {
            first = value;
        }
        last = value;
        fw::put("step ");
        fw::put_u64(step as u64);
        fw::put(" loss x1e6 ");
        fw::put_u64((value * 1e6) as u64);
        fw::put("\n");
    }
    // `delay(n)` runs n + 1 iterations of `subs; bne`.
    let per_step = ticks * 2 * (u64::from(CALIBRATION) + 1) / calibration.max(1) / STEPS as u64;
    fw::put("train: loss x1e6 ");
    fw::put_u64((first * 1e6) as u64);
    fw::put(" -> ");
    fw::put_u64((last * 1e6) as u64);
    fw::put(" in ");
    fw::put_u64(STEPS as u64);
    fw::put(" steps, about ");
    fw::put_u64(per_step);
    fw::put(" instructions per step\n");
    fw::exit(last < 0.5 * first)
}
