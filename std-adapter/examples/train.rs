//! Trains a small convolutional segmentation network on generated images of small shapes,
//! with a custom compound loss declared in a few lines, and prints the training loss and the
//! held-out Dice per class after every epoch. `--loss SPEC` trains with any loss of the
//! library instead; `--benchmark` trains the same model once per loss of the paper and
//! prints a table of held-out Dice and NSD.
//!
//! ```sh
//! cargo run --release --example train
//! cargo run --release --example train -- --loss "0.5*dice(include_background=false) + 0.5*focal"
//! cargo run --release --example train -- --benchmark
//! ```
//!
//! Everything is plain Rust on the CPU: the data (`segloss_std::train::data`), the network's
//! forward and backward passes and Adam (`train::model`), the loss and its gradient
//! (segloss), the metrics (`segloss::metrics`) and the PNG (`train::png`).

use segloss::losses::{CrossEntropy, DpcePenalty};
use segloss::{region_loss, Loss};
use segloss_std::spec::{BuildContext, Spec};
use segloss_std::train::{png, Config, Evaluation, Trainer, CLASSES, CLASS_NAMES};
use std::time::Instant;

// ---------------------------------------------------------------------------------------
// The custom loss: a Tversky loss that weighs misses above false alarms (small objects are
// easy to miss), fused with cross entropy into one two-pass loss.
// ---------------------------------------------------------------------------------------

region_loss! {
    /// Tversky with false negatives weighted `beta`, false positives `1 − beta`.
    pub struct MissAverse { beta: 0.7, smooth: 1.0 }
    require beta >= 0 && beta <= 1;
    loss = 1 - (tp + smooth) / (tp + (1 - beta) * fp + beta * fn + smooth);
}

#[derive(Loss)]
struct SmallObjects<'w> {
    #[loss(weight = 0.5)]
    region: MissAverse<'w>,
    #[loss(weight = 0.5)]
    ce: CrossEntropy<'w>,
}

fn custom() -> SmallObjects<'static> {
    SmallObjects {
        region: MissAverse::new().with_include_background(false),
        ce: CrossEntropy::new(),
    }
}

// ---------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------

const USAGE: &str = "usage: train [--loss SPEC] [--epochs N] [--threads N] [--seed S] [--lr LR]
             [--size N] [--width N] [--png PATH] [--benchmark [--only NAME,...]]

  --loss SPEC    custom (the default: the loss declared in this example) or a loss spec of
                 the library (`segloss losses` lists them), e.g. \"dice_ce\",
                 \"0.7*dice + 0.3*ce\", \"focal(gamma=2)\", \"dpce\", \"hausdorff\";
                 dice_boundary and dice_hausdorff follow their weight schedule epoch by
                 epoch unless given an epoch
  --epochs N     training epochs (default 15)
  --threads N    threads of the forward and backward passes (default: all cores)
  --seed S       seed of the images, the initial weights and the batch order (2026)
  --lr LR        Adam's step size (0.01; constant, then a cosine decay over the last third)
  --size N       image side in pixels (48);  --width N  channels of the hidden layers (16)
  --png PATH     where to write image | ground truth | prediction (default target/train.png)
  --benchmark    train once per loss of the paper and print a table
  --only A,B     with --benchmark: only the rows with these names";

/// The loss `--loss` takes besides specs: the one this example declares.
const CUSTOM: &str = "custom";

struct Args {
    loss: String,
    epochs: usize,
    threads: usize,
    seed: u64,
    lr: f32,
    size: usize,
    width: usize,
    png: String,
    benchmark: bool,
    only: Option<Vec<String>>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        loss: "custom".into(),
        epochs: 15,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        seed: Config::default().seed,
        lr: Config::default().lr,
        size: Config::default().size,
        width: Config::default().width,
        png: "target/train.png".into(),
        benchmark: false,
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--loss" => args.loss = value()?,
            "--epochs" => args.epochs = value()?.parse().map_err(|e| format!("--epochs: {e}"))?,
            "--threads" => {
                args.threads = value()?.parse().map_err(|e| format!("--threads: {e}"))?
            }
            "--seed" => args.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--lr" => args.lr = value()?.parse().map_err(|e| format!("--lr: {e}"))?,
            "--size" => args.size = value()?.parse().map_err(|e| format!("--size: {e}"))?,
            "--width" => args.width = value()?.parse().map_err(|e| format!("--width: {e}"))?,
            "--png" => args.png = value()?,
            "--benchmark" => args.benchmark = true,
            "--only" => args.only = Some(value()?.split(',').map(str::to_string).collect()),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    if args.loss != CUSTOM {
        Spec::parse(&args.loss).map_err(|e| format!("--loss: {e}"))?;
    }
    Ok(args)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.max(1))
        .build()
        .expect("a thread pool");
    // Everything runs on the pool's threads, warmed first: after its first step a training
    // step then allocates nothing (tests/train_alloc.rs).
    pool.broadcast(|_| ());
    let result = pool.install(|| {
        if args.benchmark {
            benchmark(&args)
        } else {
            single(&args)
        }
    });
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn config(args: &Args) -> Config {
    Config {
        seed: args.seed,
        lr: args.lr,
        size: args.size,
        width: args.width,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------
// One training run
// ---------------------------------------------------------------------------------------

fn single(args: &Args) -> Result<(), String> {
    let start = Instant::now();
    let mut trainer = Trainer::new(config(args));
    let c = trainer.config;
    let fractions = trainer.train.class_fractions();
    println!(
        "data: {} training + {} held-out images of {}x{} px, generated (seed {}); pixels: {}",
        c.train_images,
        c.test_images,
        c.size,
        c.size,
        c.seed,
        (0..CLASSES)
            .map(|k| format!("{} {:.1}%", CLASS_NAMES[k], 100.0 * fractions[k]))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "model: 4 conv 3x3 (dilation 1, 2, 4, 1) x {} channels + 1x1 head, {} parameters; \
         Adam lr {}, batch {}, {} thread(s), loss kernels {:?}",
        c.width,
        trainer.net.param_count(),
        c.lr,
        c.batch,
        rayon::current_num_threads(),
        trainer.isa()
    );
    let label = if args.loss == "custom" {
        "custom: 0.5 * MissAverse (Tversky, beta 0.7, foreground) + 0.5 * CE".to_string()
    } else {
        args.loss.clone()
    };
    println!("loss: {label}");
    let before = trainer.evaluate().map_err(|e| e.to_string())?;
    print_epoch(0, None, &before, start);
    let last = run(
        &mut trainer,
        &args.loss,
        args.epochs,
        |epoch, loss, eval| print_epoch(epoch, Some(loss), eval, start),
    )?;
    println!(
        "held-out after {} epochs: mean Dice {:.3} (untrained {:.3}), NSD@{}px {:.3}, HD95 {:.2} px",
        args.epochs,
        last.mean_dice(),
        before.mean_dice(),
        c.tau,
        last.mean_nsd(),
        last.mean_hd95()
    );
    let (w, h, rgb) = trainer.picture(4, 3);
    if let Some(dir) = std::path::Path::new(&args.png).parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&args.png, png::encode_rgb(w, h, &rgb))
        .map_err(|e| format!("{}: {e}", args.png))?;
    println!(
        "wrote {} (image | ground truth | prediction; disc red, square green, cross blue) in {:.1} s",
        args.png,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn print_epoch(epoch: usize, loss: Option<f64>, e: &Evaluation, start: Instant) {
    let loss = loss.map_or("      -".to_string(), |l| format!("{l:7.4}"));
    let per_class: Vec<String> = (1..CLASSES)
        .map(|k| format!("{} {:.3}", CLASS_NAMES[k], e.dice[k]))
        .collect();
    println!(
        "epoch {epoch:2}  loss {loss}  held-out Dice {} | mean {:.3}  NSD {:.3}  ({:.1} s)",
        per_class.join("  "),
        e.mean_dice(),
        e.mean_nsd(),
        start.elapsed().as_secs_f64()
    );
}

/// Trains `trainer` for `epochs` epochs with the loss named `name`; calls `report` after
/// every epoch and returns the last evaluation.
fn run(
    trainer: &mut Trainer,
    name: &str,
    epochs: usize,
    mut report: impl FnMut(usize, f64, &Evaluation),
) -> Result<Evaluation, String> {
    let mut last = None;
    let mut on_epoch = |e: usize, loss: f64, eval: Evaluation| {
        report(e, loss, &eval);
        last = Some(eval);
    };
    match name {
        "custom" => {
            let loss = custom();
            fit(trainer, epochs, |_, _| &loss, &mut on_epoch)?
        }
        text => {
            let spec = Spec::parse(text).map_err(|e| e.to_string())?;
            if spec.follows_schedule() {
                // Dice + boundary / HD: the weights of the schedule at each epoch.
                let specs = (0..epochs)
                    .map(|e| Spec::parse_at_epoch(text, e as u64))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| e.to_string())?;
                let losses = specs
                    .iter()
                    .map(|s| s.build::<f32>(&BuildContext::default()))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| e.to_string())?;
                fit(trainer, epochs, |e, _| &losses[e], &mut on_epoch)?
            } else if spec.needs_penalty() {
                // DPCE: the penalty maps of all training images, then one fused loss per
                // (fixed) batch, each borrowing its batch's maps.
                let penalty = penalty_maps(trainer)?;
                let per_batch = penalty.len() / trainer.batches();
                let losses = penalty
                    .chunks(per_batch)
                    .map(|p| {
                        spec.build(&BuildContext {
                            penalty: Some(p),
                            spacing: None,
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| e.to_string())?;
                fit(trainer, epochs, |_, k| &losses[k], &mut on_epoch)?
            } else {
                let loss = spec
                    .build::<f32>(&BuildContext::default())
                    .map_err(|e| e.to_string())?;
                fit(trainer, epochs, |_, _| &loss, &mut on_epoch)?
            }
        }
    }
    last.ok_or_else(|| "no epoch ran".to_string())
}

/// The training loop: `epochs` epochs of `loss_for(epoch, batch)`, an evaluation after each.
fn fit<'l, L: Loss<f32> + ?Sized + 'l>(
    trainer: &mut Trainer,
    epochs: usize,
    loss_for: impl Fn(usize, usize) -> &'l L,
    on_epoch: &mut impl FnMut(usize, f64, Evaluation),
) -> Result<(), String> {
    let base = trainer.config.lr;
    for e in 0..epochs {
        // the step size: constant for two thirds of the run, then a cosine decay
        let tail = (3.0 * e as f32 / epochs as f32 - 2.0).max(0.0);
        trainer.set_lr(base * 0.5 * (1.0 + (std::f32::consts::PI * tail).cos()));
        let loss = trainer
            .epoch(|k| loss_for(e, k))
            .map_err(|err| err.to_string())?;
        let eval = trainer.evaluate().map_err(|err| err.to_string())?;
        on_epoch(e + 1, loss, eval);
    }
    Ok(())
}

/// The DPCE penalty maps of every training image, `(N, H, W)`.
fn penalty_maps(trainer: &Trainer) -> Result<Vec<f32>, String> {
    let n = trainer.config.size;
    let maps = DpcePenalty::new(trainer.train.len, &[n, n], &[]).map_err(|e| e.to_string())?;
    let mut out = vec![0.0f32; trainer.train.labels.len()];
    let mut ws = vec![0.0f32; maps.workspace_len()];
    maps.run(&trainer.train.labels[..], &mut out, &mut ws)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// The loss benchmark
// ---------------------------------------------------------------------------------------

/// The losses of the paper (and the custom one), by family: (name, family, loss). Region
/// losses (alone and in compounds) run over the foreground classes
/// (`include_background=false`, as nnU-Net): with MONAI's default (background included) they
/// collapse to all-background on these images, which the last row shows.
const LOSSES: &[(&str, &str, &str)] = &[
    ("CE", "distribution", "ce"),
    ("WCE", "distribution", "wce(inverse_frequency)"),
    ("TopK", "distribution", "topk(10)"),
    ("Focal", "distribution", "focal(gamma=2)"),
    ("DPCE", "distribution", "dpce"),
    ("SS", "region", "ss(include_background=false)"),
    ("Dice", "region", "dice(include_background=false)"),
    ("IoU", "region", "iou(include_background=false)"),
    (
        "Tversky",
        "region",
        "tversky(alpha=0.3, beta=0.7, include_background=false)",
    ),
    ("GDice", "region", "gdice(include_background=false)"),
    (
        "Focal Tversky",
        "region",
        "focal_tversky(alpha=0.3, beta=0.7, include_background=false)",
    ),
    ("Asym", "region", "asym(include_background=false)"),
    ("pGDice", "region", "pgdice(include_background=false)"),
    ("MCC", "region", "mcc(include_background=false)"),
    ("Boundary", "boundary", "boundary"),
    ("HD", "boundary", "hausdorff"),
    (
        "Combo",
        "compound",
        "combo(0.5, 0.5, dice=dice(include_background=false))",
    ),
    (
        "ELL",
        "compound",
        "ell(dice=exp_log_dice(include_background=false))",
    ),
    (
        "Dice+CE",
        "compound",
        "dice_ce(dice=dice(include_background=false))",
    ),
    (
        "Dice+Focal",
        "compound",
        "dice_focal(dice=dice(include_background=false))",
    ),
    (
        "Dice+TopK",
        "compound",
        "dice_topk(dice=dice(include_background=false))",
    ),
    (
        "Dice+Boundary",
        "compound",
        "dice_boundary(dice=dice(include_background=false))",
    ),
    (
        "Dice+HD",
        "compound",
        "dice_hausdorff(dice=dice(include_background=false))",
    ),
    ("custom", "compound", "custom"),
    ("Dice, with background", "region", "dice"),
];

fn benchmark(args: &Args) -> Result<(), String> {
    let cfg = config(args);
    let rows: Vec<_> = LOSSES
        .iter()
        .filter(|(name, _, _)| match &args.only {
            Some(only) => only.iter().any(|x| x.eq_ignore_ascii_case(name)),
            None => true,
        })
        .collect();
    println!(
        "benchmark: {} losses, each trains the same network from the same initial weights on the \
         same {} images for {} epochs (seed {}, Adam lr {}, batch {}); held-out: {} images, \
         metrics after the last epoch",
        rows.len(),
        cfg.train_images,
        args.epochs,
        cfg.seed,
        cfg.lr,
        cfg.batch,
        cfg.test_images
    );
    let header = format!(
        "| loss | family | spec | Dice {} | Dice {} | Dice {} | mean Dice | NSD@{}px | HD95 (px) | time |",
        CLASS_NAMES[1], CLASS_NAMES[2], CLASS_NAMES[3], cfg.tau
    );
    let mut table = vec![
        header,
        "|---|---|---|---|---|---|---|---|---|---|".to_string(),
    ];
    for (name, family, spec) in rows {
        let start = Instant::now();
        let mut trainer = Trainer::new(cfg);
        let eval = run(&mut trainer, spec, args.epochs, |_, _, _| {})?;
        let row = format!(
            "| {name} | {family} | `{spec}` | {} | {} | {} | **{}** | {} | {} | {:.0} s |",
            fmt(eval.dice[1]),
            fmt(eval.dice[2]),
            fmt(eval.dice[3]),
            fmt(eval.mean_dice()),
            fmt(eval.mean_nsd()),
            fmt_hd(eval.mean_hd95()),
            start.elapsed().as_secs_f64()
        );
        eprintln!("{row}");
        table.push(row);
    }
    println!("{}", table.join("\n"));
    Ok(())
}

fn fmt(v: f64) -> String {
    if v.is_nan() {
        "–".into()
    } else {
        format!("{v:.3}")
    }
}

fn fmt_hd(v: f64) -> String {
    if v.is_nan() {
        "–".into()
    } else {
        format!("{v:.2}")
    }
}
