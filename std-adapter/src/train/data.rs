//! Generated 2D images of small shapes on a noisy background, with their label maps.

/// Classes of the generated images: background and three kinds of small objects.
pub const CLASSES: usize = 4;

use segloss::rng::SplitMix64;

/// The classes' names, by label.
pub const CLASS_NAMES: [&str; CLASSES] = ["background", "disc", "square", "cross"];

/// The training data's draws, from the workspace's one generator
/// ([`SplitMix64`](segloss::rng::SplitMix64)) in `f32`.
#[derive(Clone, Debug)]
pub struct Rng(SplitMix64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(SplitMix64::new(seed))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `[0, 1)`.
    pub fn uniform(&mut self) -> f32 {
        self.0.uniform_f32()
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.uniform()
    }

    /// Uniform integer in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        self.0.below(n)
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f32 {
        let u = 1.0 - self.uniform(); // (0, 1]
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
    }
}

/// Images `(N, 1, S, S)` and their labels `(N, S, S)`, both flat in C order.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// Pixel intensities, image after image.
    pub images: Vec<f32>,
    /// Class labels (`0..CLASSES`), image after image.
    pub labels: Vec<u8>,
    /// Images.
    pub len: usize,
    /// Side of the square images.
    pub size: usize,
}

/// One object: its class, centre and size.
#[derive(Clone, Copy)]
struct Object {
    class: u8,
    cy: f32,
    cx: f32,
    r: f32,
}

impl Object {
    /// True when pixel `(y, x)` belongs to the object.
    fn covers(&self, y: f32, x: f32) -> bool {
        let (dy, dx) = ((y - self.cy).abs(), (x - self.cx).abs());
        match self.class {
            1 => dy * dy + dx * dx <= self.r * self.r,
            2 => dy <= self.r && dx <= self.r,
            // a plus sign: arms of half-width 1.2 and half-length r
            _ => (dy <= 1.2 && dx <= self.r) || (dx <= 1.2 && dy <= self.r),
        }
    }
}

impl Dataset {
    /// `len` images of `size × size` pixels drawn from `seed`.
    ///
    /// Each image has 1–3 discs (radius 2.5–4.5 px), 0–2 squares (half-side 2–4 px) and
    /// 0–1 crosses (arms 1.2 px wide, half-length 3–5.5 px) that do not touch, brighter than
    /// the background by 0.6–1.4, on a tilted background with Gaussian noise (σ = 0.35).
    /// Discs and squares differ only at their corners, so a model needs spatial context;
    /// the objects cover about 6 % of the pixels, crosses about 0.5 %.
    pub fn generate(len: usize, size: usize, seed: u64) -> Dataset {
        let mut rng = Rng::new(seed);
        let px = size * size;
        let mut images = vec![0.0f32; len * px];
        let mut labels = vec![0u8; len * px];
        for (image, label) in images.chunks_exact_mut(px).zip(labels.chunks_exact_mut(px)) {
            draw(&mut rng, size, image, label);
        }
        Dataset {
            images,
            labels,
            len,
            size,
        }
    }

    /// Pixels per image.
    pub fn pixels(&self) -> usize {
        self.size * self.size
    }

    /// The fraction of pixels of each class.
    pub fn class_fractions(&self) -> [f64; CLASSES] {
        let mut counts = [0usize; CLASSES];
        for &l in &self.labels {
            counts[l as usize] += 1;
        }
        counts.map(|c| c as f64 / self.labels.len().max(1) as f64)
    }
}

const NOISE: f32 = 0.25;

/// Draws one image and its labels.
fn draw(rng: &mut Rng, size: usize, image: &mut [f32], label: &mut [u8]) {
    let mut objects = [Object {
        class: 0,
        cy: 0.0,
        cx: 0.0,
        r: 0.0,
    }; 8];
    let mut placed = 0;
    let wanted = [1 + rng.below(3), rng.below(3), rng.below(2)];
    for (k, &count) in wanted.iter().enumerate() {
        let class = k as u8 + 1;
        for _ in 0..count {
            let r = match class {
                1 => rng.range(2.5, 4.5),
                2 => rng.range(2.0, 4.0),
                _ => rng.range(3.0, 5.5),
            };
            // a few tries to find room; give up on this object otherwise
            for _ in 0..50 {
                let margin = r + 1.0;
                let cy = rng.range(margin, size as f32 - margin);
                let cx = rng.range(margin, size as f32 - margin);
                let free = objects[..placed].iter().all(|o| {
                    let d = ((o.cy - cy).powi(2) + (o.cx - cx).powi(2)).sqrt();
                    d > (o.r + r) * 1.45 + 2.0
                });
                if free && placed < objects.len() {
                    objects[placed] = Object { class, cy, cx, r };
                    placed += 1;
                    break;
                }
            }
        }
    }
    let mut contrast = [0.0f32; 8];
    for c in contrast.iter_mut() {
        *c = rng.range(0.6, 1.4);
    }
    let (gy, gx) = (rng.range(-0.4, 0.4), rng.range(-0.4, 0.4));
    for y in 0..size {
        for x in 0..size {
            let i = y * size + x;
            let (fy, fx) = (y as f32 + 0.5, x as f32 + 0.5);
            let tilt = gy * (fy / size as f32 - 0.5) + gx * (fx / size as f32 - 0.5);
            let mut value = tilt + NOISE * rng.normal();
            label[i] = 0;
            for (o, &c) in objects[..placed].iter().zip(&contrast) {
                if o.covers(fy, fx) {
                    label[i] = o.class;
                    value += c;
                }
            }
            image[i] = value;
        }
    }
}
