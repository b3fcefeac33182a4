//! Training a small segmentation network on the CPU with segloss's losses, and nothing else:
//! generated images ([`data`]), a plain-Rust convolutional network with its own forward and
//! backward passes and Adam ([`model`]), held-out metrics from [`segloss::metrics`], and a
//! PNG of the predictions ([`png`]). `examples/train.rs` drives it; `docs/training.md`
//! describes the setup and the loss benchmark.
//!
//! After the first step (which sizes the loss's workspace) a training step allocates
//! nothing, provided it runs on a thread of a rayon pool (`pool.install(|| ...)`; a job
//! injected from outside a pool allocates in rayon's queue) whose threads have been warmed
//! with `pool.broadcast(|_| ())` (each thread registers once with crossbeam-epoch, a small
//! allocation, when it first takes a job from a queue). `tests/train_alloc.rs` checks it
//! with a counting allocator, for every kind of loss and for the evaluation.
//!
//! ```no_run
//! use segloss::losses::DiceCe;
//! use segloss_std::train::{Config, Trainer};
//! let mut trainer = Trainer::new(Config::default());
//! let loss = DiceCe::new();
//! for epoch in 0..3 {
//!     let mean = trainer.epoch(|_batch| &loss).unwrap();
//!     let eval = trainer.evaluate().unwrap();
//!     println!("epoch {epoch}: loss {mean:.4}, Dice {:.3}", eval.mean_dice());
//! }
//! ```

pub mod data;
pub mod model;
pub mod png;

pub use data::{Dataset, Rng, CLASSES, CLASS_NAMES};
pub use model::{Adam, Layer, Net, Scratch};

use crate::simd::{self, Isa};
use rayon::prelude::*;
use segloss::metrics::LabelMaps;
use segloss::{Error, Input, Loss, Shape, Target};

/// What to train on and how.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// Side of the square images.
    pub size: usize,
    /// Training images (a multiple of `batch`: the batches are fixed groups of images).
    pub train_images: usize,
    /// Held-out images.
    pub test_images: usize,
    /// Images per step.
    pub batch: usize,
    /// Channels of the hidden layers.
    pub width: usize,
    /// Adam's step size.
    pub lr: f32,
    /// Seed of the data, the initial weights and the batch order.
    pub seed: u64,
    /// Tolerance of the normalised surface Dice, in pixels.
    pub tau: f64,
}

impl Default for Config {
    /// 256 training and 64 held-out images of 48×48 pixels, batches of 8, 16 channels,
    /// step 1e-2, NSD at 1 pixel.
    fn default() -> Self {
        Config {
            size: 48,
            train_images: 256,
            test_images: 64,
            batch: 8,
            width: 16,
            lr: 1e-2,
            seed: 2026,
            tau: 1.0,
        }
    }
}

/// Held-out metrics: per class, the mean over images where the metric is defined (MONAI's
/// NaN-skipping mean; see [`segloss::metrics`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// Dice per class (MONAI's `ignore_empty`: images without the class are left out).
    pub dice: [f64; CLASSES],
    /// Normalised surface Dice at [`Config::tau`] per foreground class (NaN for the
    /// background); an image where the class is only predicted or only true counts 0.
    pub nsd: [f64; CLASSES],
    /// HD95 in pixels per foreground class, over the images with the class in both maps.
    pub hd95: [f64; CLASSES],
}

impl Evaluation {
    /// The mean Dice of the foreground classes.
    pub fn mean_dice(&self) -> f64 {
        mean(&self.dice[1..])
    }

    /// The mean NSD of the foreground classes.
    pub fn mean_nsd(&self) -> f64 {
        mean(&self.nsd[1..])
    }

    /// The mean HD95 of the foreground classes.
    pub fn mean_hd95(&self) -> f64 {
        mean(&self.hd95[1..])
    }
}

/// The mean of the values that are not NaN (NaN if none).
fn mean(values: &[f64]) -> f64 {
    let (sum, count) = values
        .iter()
        .filter(|v| !v.is_nan())
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if count == 0 {
        f64::NAN
    } else {
        sum / count as f64
    }
}

/// The data, the network, the optimiser and every buffer a step and an evaluation need.
pub struct Trainer {
    /// The configuration.
    pub config: Config,
    /// The network being trained.
    pub net: Net,
    /// The training images.
    pub train: Dataset,
    /// The held-out images.
    pub test: Dataset,
    adam: Adam,
    scratch: Vec<Scratch>,
    logits: Vec<f32>,
    grad: Vec<f32>,
    param_grad: Vec<f32>,
    loss_ws: Vec<f32>,
    pred: Vec<u8>,
    metric_ws: Vec<f64>,
    order: Vec<usize>,
    rng: Rng,
    isa: Isa,
}

impl Trainer {
    /// Generates the data (training and held-out sets from different seeds), initialises the
    /// network and allocates every buffer.
    ///
    /// Panics if `train_images` is not a positive multiple of `batch`.
    pub fn new(config: Config) -> Trainer {
        assert!(
            config.batch > 0
                && config.train_images.is_multiple_of(config.batch)
                && config.train_images > 0,
            "train_images must be a positive multiple of batch"
        );
        let train = Dataset::generate(config.train_images, config.size, config.seed);
        let test = Dataset::generate(config.test_images, config.size, config.seed ^ 0x7E57);
        let net = Net::new(config.width, CLASSES, config.size, config.seed ^ 0x1417);
        let px = config.size * config.size;
        let elements = config.batch * CLASSES * px;
        // the metrics' workspace for one image (a blank pair of label maps sizes it)
        let blank = vec![0u8; px];
        let one = Shape::new(1, CLASSES, &[config.size; 2]).expect("a valid image size");
        let metric_len = LabelMaps::new(&blank[..], &blank[..], one, &[])
            .expect("blank maps are valid")
            .workspace_len();
        Trainer {
            adam: Adam::new(net.param_count(), config.lr),
            scratch: (0..config.batch).map(|_| net.scratch()).collect(),
            logits: vec![0.0; elements],
            grad: vec![0.0; elements],
            param_grad: vec![0.0; net.param_count()],
            loss_ws: Vec::new(),
            pred: vec![0; config.test_images * px],
            metric_ws: vec![0.0; metric_len],
            order: (0..config.train_images / config.batch).collect(),
            rng: Rng::new(config.seed ^ 0x0BDE),
            isa: Isa::detect(),
            config,
            net,
            train,
            test,
        }
    }

    /// Batches per epoch.
    pub fn batches(&self) -> usize {
        self.order.len()
    }

    /// The shape `(B, C, H, W)` of a batch of logits.
    pub fn batch_shape(&self) -> Shape {
        let c = &self.config;
        Shape::new(c.batch, CLASSES, &[c.size, c.size]).expect("a valid batch shape")
    }

    /// The labels `(B, H, W)` of training batch `k` (images `k·B .. (k+1)·B`).
    pub fn batch_labels(&self, k: usize) -> &[u8] {
        let len = self.config.batch * self.train.pixels();
        &self.train.labels[k * len..(k + 1) * len]
    }

    /// Sets Adam's step size (for a schedule).
    pub fn set_lr(&mut self, lr: f32) {
        self.adam.lr = lr;
    }

    /// The instruction set the loss runs at.
    pub fn isa(&self) -> Isa {
        self.isa
    }

    /// One optimisation step on training batch `k` with `loss`: the forward pass (images in
    /// parallel), the loss's value and `∂L/∂logits` (segloss, SIMD-dispatched), the backward
    /// pass (images in parallel), the per-image gradients summed in image order, an Adam
    /// update. Returns the loss value.
    pub fn step<L: Loss<f32> + ?Sized>(&mut self, loss: &L, k: usize) -> Result<f64, Error> {
        let shape = self.batch_shape();
        let px = self.train.pixels();
        let b = self.config.batch;
        let images = &self.train.images[k * b * px..(k + 1) * b * px];
        let labels = &self.train.labels[k * b * px..(k + 1) * b * px];
        let net = &self.net;
        self.scratch
            .par_iter_mut()
            .zip(self.logits.par_chunks_mut(CLASSES * px))
            .zip(images.par_chunks(px))
            .for_each(|((s, out), image)| net.forward(image, s, out));
        let input = Input::new(&self.logits, shape, Target::labels(labels))?;
        let needed = loss.workspace_len(&shape);
        if self.loss_ws.len() < needed {
            self.loss_ws.resize(needed, 0.0);
        }
        let ws = &mut self.loss_ws[..needed];
        let value = simd::forward_backward(self.isa, loss, &input, ws, &mut self.grad)?;
        self.scratch
            .par_iter_mut()
            .zip(self.grad.par_chunks(CLASSES * px))
            .for_each(|(s, g)| net.backward(s, g));
        self.param_grad.fill(0.0);
        for s in &self.scratch {
            for (a, g) in self.param_grad.iter_mut().zip(&s.grad) {
                *a += g;
            }
        }
        self.adam.step(&mut self.net.params, &self.param_grad);
        Ok(value)
    }

    /// One epoch: every training batch once, in an order shuffled from the seed, batch `k`
    /// trained with `loss_for(k)`. Returns the mean loss over the batches.
    pub fn epoch<'l, L: Loss<f32> + ?Sized + 'l>(
        &mut self,
        loss_for: impl Fn(usize) -> &'l L,
    ) -> Result<f64, Error> {
        // Fisher–Yates
        for i in (1..self.order.len()).rev() {
            let j = self.rng.below(i + 1);
            self.order.swap(i, j);
        }
        let mut total = 0.0;
        for i in 0..self.order.len() {
            let k = self.order[i];
            total += self.step(loss_for(k), k)?;
        }
        Ok(total / self.order.len() as f64)
    }

    /// Predicts the held-out images (arg-max of the logits) and measures Dice, NSD and HD95
    /// against their labels.
    pub fn evaluate(&mut self) -> Result<Evaluation, Error> {
        let px = self.test.pixels();
        let b = self.config.batch;
        let net = &self.net;
        let images = self.test.images.chunks(b * px);
        for (images, pred) in images.zip(self.pred.chunks_mut(b * px)) {
            self.scratch
                .par_iter_mut()
                .zip(self.logits.par_chunks_mut(CLASSES * px))
                .zip(images.par_chunks(px))
                .zip(pred.par_chunks_mut(px))
                .for_each(|(((s, out), image), pred)| {
                    net.forward(image, s, out);
                    argmax(out, pred);
                });
        }
        let n = self.config.size;
        let shape = Shape::new(self.test.len, CLASSES, &[n, n])?;
        let maps = LabelMaps::new(&self.pred[..], &self.test.labels[..], shape, &[])?;
        let mut sums = [[(0.0f64, 0usize); CLASSES]; 3];
        let mut add = |metric: usize, class: usize, v: f64| {
            if !v.is_nan() {
                let (s, count) = &mut sums[metric][class];
                *s += v;
                *count += 1;
            }
        };
        for image in 0..self.test.len {
            let overlap = maps.overlap(image)?;
            for (c, counts) in overlap.classes().iter().enumerate() {
                add(0, c, counts.dice(true));
                if c > 0 {
                    let surface = maps.surface(image, c, &mut self.metric_ws)?;
                    add(1, c, surface.nsd(self.config.tau)?);
                    add(2, c, surface.hd95());
                }
            }
        }
        let means = sums
            .map(|per_class| per_class.map(|(s, n)| if n == 0 { f64::NAN } else { s / n as f64 }));
        Ok(Evaluation {
            dice: means[0],
            nsd: means[1],
            hd95: means[2],
        })
    }

    /// The held-out predictions of the last [`Trainer::evaluate`], `(N, H, W)`.
    pub fn predictions(&self) -> &[u8] {
        &self.pred
    }

    /// An RGB picture of the first `count` held-out images, one per row: the image, the
    /// ground truth and the prediction of the last [`Trainer::evaluate`], each magnified
    /// `scale` times. Returns `(width, height, rgb)`.
    pub fn picture(&self, count: usize, scale: usize) -> (usize, usize, Vec<u8>) {
        let count = count.min(self.test.len);
        let (n, gap) = (self.config.size, 4);
        let side = n * scale;
        let (width, height) = (3 * side + 4 * gap, count * side + (count + 1) * gap);
        let mut rgb = vec![255u8; width * height * 3];
        let px = n * n;
        for row in 0..count {
            let image = &self.test.images[row * px..(row + 1) * px];
            let truth = &self.test.labels[row * px..(row + 1) * px];
            let pred = &self.pred[row * px..(row + 1) * px];
            for panel in 0..3 {
                let (x0, y0) = (gap + panel * (side + gap), gap + row * (side + gap));
                for y in 0..side {
                    for x in 0..side {
                        let i = (y / scale) * n + x / scale;
                        let color = match panel {
                            0 => {
                                let g = ((image[i] + 1.0) / 3.0 * 255.0).clamp(0.0, 255.0) as u8;
                                [g, g, g]
                            }
                            1 => PALETTE[truth[i] as usize % CLASSES],
                            _ => PALETTE[pred[i] as usize % CLASSES],
                        };
                        let at = ((y0 + y) * width + x0 + x) * 3;
                        rgb[at..at + 3].copy_from_slice(&color);
                    }
                }
            }
        }
        (width, height, rgb)
    }
}

/// Colours of the classes in [`Trainer::picture`]: background, disc, square, cross.
pub const PALETTE: [[u8; 3]; CLASSES] =
    [[30, 30, 30], [235, 85, 60], [80, 190, 90], [80, 140, 240]];

/// The class of largest logit of every pixel of one image's logits `(C, H, W)`.
fn argmax(logits: &[f32], pred: &mut [u8]) {
    let px = pred.len();
    for (i, p) in pred.iter_mut().enumerate() {
        let mut best = (0, f32::NEG_INFINITY);
        for c in 0..CLASSES {
            let v = logits[c * px + i];
            if v > best.1 {
                best = (c, v);
            }
        }
        *p = best.0 as u8;
    }
}
