//! A small fully convolutional network in plain Rust: 3×3 convolutions (some dilated) with
//! ReLU and a 1×1 head, its forward and backward passes, and Adam.
//!
//! Tensors are channel-first `(C, H, W)` per image, `f32`. The loops run along image rows,
//! so the compiler vectorises them (an `axpy` per kernel tap in the forward pass and the
//! input gradient, lane-interleaved dot products for the weight gradient).

use super::data::Rng;
use crate::simd::{at_isa, Isa};

/// One convolution: `cout` filters of `k × k` taps over `cin` channels, spaced `dilation`
/// pixels apart, zero padding that keeps the image size ("same"), an optional ReLU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layer {
    /// Input channels.
    pub cin: usize,
    /// Output channels.
    pub cout: usize,
    /// Kernel side: 3 or 1.
    pub k: usize,
    /// Distance between taps.
    pub dilation: usize,
    /// ReLU after the convolution.
    pub relu: bool,
    /// Offset of the weights `(cout, cin, k, k)` in the parameter vector.
    weights: usize,
    /// Offset of the biases `(cout)` in the parameter vector.
    bias: usize,
}

impl Layer {
    fn weight_len(&self) -> usize {
        self.cout * self.cin * self.k * self.k
    }

    /// The taps: `(index within the kernel, row offset, column offset)`.
    fn taps(&self) -> impl Iterator<Item = (usize, isize, isize)> {
        let (k, d) = (self.k as isize, self.dilation as isize);
        (0..k * k).map(move |t| (t as usize, (t / k - k / 2) * d, (t % k - k / 2) * d))
    }
}

/// Zero border around every stored image: the largest tap offset (dilation 4), so every tap
/// of every layer is one multiply-add over a contiguous range.
pub const PAD: usize = 4;

/// The network: layers and one flat parameter vector.
#[derive(Clone, Debug)]
pub struct Net {
    /// The layers, input first.
    pub layers: Vec<Layer>,
    /// Every weight and bias, layer after layer.
    pub params: Vec<f32>,
    /// Image side (the network keeps the size).
    pub size: usize,
    isa: Isa,
}

impl Net {
    /// `1 → width` (3×3) `→ width` (3×3, dilation 2) `→ width` (3×3, dilation 4)
    /// `→ width` (3×3) `→ classes` (1×1): a 17×17 receptive field, He-initialised from
    /// `seed`.
    pub fn new(width: usize, classes: usize, size: usize, seed: u64) -> Net {
        let plan = [
            (1, width, 3, 1, true),
            (width, width, 3, 2, true),
            (width, width, 3, 4, true),
            (width, width, 3, 1, true),
            (width, classes, 1, 1, false),
        ];
        let mut layers = Vec::new();
        let mut len = 0;
        for (cin, cout, k, dilation, relu) in plan {
            let mut layer = Layer {
                cin,
                cout,
                k,
                dilation,
                relu,
                weights: len,
                bias: 0,
            };
            layer.bias = len + layer.weight_len();
            len = layer.bias + cout;
            layers.push(layer);
        }
        let mut params = vec![0.0f32; len];
        let mut rng = Rng::new(seed);
        for l in &layers {
            let std = (2.0 / (l.cin * l.k * l.k) as f32).sqrt();
            let std = if l.relu { std } else { std * 0.5 };
            for w in &mut params[l.weights..l.weights + l.weight_len()] {
                *w = std * rng.normal();
            }
        }
        Net {
            layers,
            params,
            size,
            isa: Isa::detect(),
        }
    }

    /// The same network computing at instruction-set level `isa` (or the best supported
    /// below it); the results are the same bits at every level.
    pub fn with_isa(mut self, isa: Isa) -> Net {
        self.isa = isa.or_supported();
        self
    }

    /// Parameters (weights and biases).
    pub fn param_count(&self) -> usize {
        self.params.len()
    }

    /// Classes the head predicts.
    pub fn classes(&self) -> usize {
        self.layers.last().map_or(0, |l| l.cout)
    }

    /// Per-image buffers for [`Net::forward`] and [`Net::backward`].
    pub fn scratch(&self) -> Scratch {
        let area = self.geometry().area;
        let widest = self.layers.iter().map(|l| l.cin.max(l.cout)).max();
        let widest = widest.unwrap_or(1);
        Scratch {
            acts: self
                .layers
                .iter()
                .map(|l| vec![0.0; l.cin * area])
                .collect(),
            delta: [vec![0.0; widest * area], vec![0.0; widest * area]],
            grad: vec![0.0; self.params.len()],
        }
    }

    fn geometry(&self) -> Geometry {
        let side = self.size + 2 * PAD;
        Geometry {
            n: self.size,
            side,
            area: side * side,
            band: PAD * side..(PAD + self.size) * side,
            span: PAD * side + PAD..(PAD + self.size - 1) * side + PAD + self.size,
        }
    }

    /// The logits `(classes, H, W)` of one image `(1, H, W)`; keeps the activations in
    /// `s` for [`Net::backward`].
    pub fn forward(&self, image: &[f32], s: &mut Scratch, logits: &mut [f32]) {
        forward_at_isa(self.isa, self, image, s, logits);
    }

    /// The gradient of the loss with respect to every parameter into `s.grad`, from
    /// `∂L/∂logits` of the image [`Net::forward`] last ran on with `s`.
    pub fn backward(&self, s: &mut Scratch, dlogits: &[f32]) {
        backward_at_isa(self.isa, self, s, dlogits);
    }

    fn layer_params(&self, l: &Layer) -> (&[f32], &[f32]) {
        self.params[l.weights..l.bias + l.cout].split_at(l.weight_len())
    }
}

at_isa! {
    /// [`forward_at`] compiled for level `isa`, as [`simd`](crate::simd) runs the loss: the
    /// same loops, vectorised 4, 8 or 16 wide. Rust does not fuse `a·b + c` on its own and the
    /// lane order is fixed, so every level computes the same bits.
    fn forward_at_isa[](isa, net: &Net, image: &[f32], s: &mut Scratch, logits: &mut [f32]) {
        forward_at(net, image, s, logits)
    }
}

at_isa! {
    /// [`backward_at`] compiled for level `isa`.
    fn backward_at_isa[](isa, net: &Net, s: &mut Scratch, dlogits: &[f32]) {
        backward_at(net, s, dlogits)
    }
}

/// Where an image lives in a stored channel: `side × side` values, the image in the middle
/// with a zero border of [`PAD`]; `band` is the rows that hold image pixels (their border
/// columns included), `span` runs from the first image pixel to the last. A tap shifts
/// `span` by at most `PAD` rows and columns, which stays inside the channel.
struct Geometry {
    n: usize,
    side: usize,
    area: usize,
    band: std::ops::Range<usize>,
    span: std::ops::Range<usize>,
}

impl Geometry {
    /// The flat offset of tap `(dy, dx)`.
    fn offset(&self, dy: isize, dx: isize) -> isize {
        dy * self.side as isize + dx
    }

    /// Zeroes the border columns inside the band of every channel of `x`.
    fn clear_border(&self, x: &mut [f32]) {
        for channel in x.chunks_exact_mut(self.area) {
            for row in channel[self.band.clone()].chunks_exact_mut(self.side) {
                row[..PAD].fill(0.0);
                row[PAD + self.n..].fill(0.0);
            }
        }
    }

    /// The image rows of one stored channel.
    fn rows<'a>(&self, channel: &'a [f32]) -> impl Iterator<Item = &'a [f32]> + 'a {
        let (n, side) = (self.n, self.side);
        channel[self.band.clone()]
            .chunks_exact(side)
            .map(move |r| &r[PAD..PAD + n])
    }

    fn rows_mut<'a>(&self, channel: &'a mut [f32]) -> impl Iterator<Item = &'a mut [f32]> + 'a {
        let (n, side) = (self.n, self.side);
        channel[self.band.clone()]
            .chunks_exact_mut(side)
            .map(move |r| &mut r[PAD..PAD + n])
    }
}

#[inline(always)]
fn forward_at(net: &Net, image: &[f32], s: &mut Scratch, logits: &mut [f32]) {
    let g = net.geometry();
    for (dst, src) in g.rows_mut(&mut s.acts[0]).zip(image.chunks_exact(g.n)) {
        dst.copy_from_slice(src);
    }
    let last = net.layers.len() - 1;
    for (i, l) in net.layers.iter().enumerate() {
        let (w, b) = net.layer_params(l);
        let (inputs, outputs) = s.acts.split_at_mut(i + 1);
        // the head writes into a spare buffer, then the logits are cut out of it
        let y = if i == last {
            &mut s.delta[0][..l.cout * g.area]
        } else {
            &mut outputs[0][..]
        };
        conv_forward(l, w, b, &inputs[i], y, &g);
        g.clear_border(y);
        if l.relu {
            for v in y.iter_mut() {
                *v = v.max(0.0);
            }
        }
        if i == last {
            let channels = y
                .chunks_exact(g.area)
                .zip(logits.chunks_exact_mut(g.n * g.n));
            for (src, dst) in channels {
                for (d, r) in dst.chunks_exact_mut(g.n).zip(g.rows(src)) {
                    d.copy_from_slice(r);
                }
            }
        }
    }
}

#[inline(always)]
fn backward_at(net: &Net, s: &mut Scratch, dlogits: &[f32]) {
    let g = net.geometry();
    let Scratch { acts, delta, grad } = s;
    let [d0, d1] = delta;
    // `dy` holds ∂L/∂(output of layer i) with a zero border, after its ReLU was undone.
    let (mut dy, mut dx): (&mut Vec<f32>, &mut Vec<f32>) = (d0, d1);
    let head = net.layers.len() - 1;
    dy[..net.layers[head].cout * g.area].fill(0.0);
    for (src, dst) in dlogits
        .chunks_exact(g.n * g.n)
        .zip(dy.chunks_exact_mut(g.area))
    {
        for (r, d) in src.chunks_exact(g.n).zip(g.rows_mut(dst)) {
            d.copy_from_slice(r);
        }
    }
    for (i, l) in net.layers.iter().enumerate().rev() {
        let out = &mut dy[..l.cout * g.area];
        if l.relu {
            // the gradient passes where the output was positive (never on the border)
            for (d, &a) in out.iter_mut().zip(&acts[i + 1]) {
                if a <= 0.0 {
                    *d = 0.0;
                }
            }
        }
        let (gw, gb) = grad[l.weights..l.bias + l.cout].split_at_mut(l.weight_len());
        conv_grad_params(l, &acts[i], out, gw, gb, &g);
        if i > 0 {
            let (w, _) = net.layer_params(l);
            conv_grad_input(l, w, out, &mut dx[..l.cin * g.area], &g);
            std::mem::swap(&mut dy, &mut dx);
        }
    }
}

/// Per-image buffers: every layer's input, two gradient buffers and the parameter gradient.
#[derive(Clone, Debug)]
pub struct Scratch {
    acts: Vec<Vec<f32>>,
    delta: [Vec<f32>; 2],
    /// `∂L/∂params` of the last [`Net::backward`].
    pub grad: Vec<f32>,
}

/// `y = b + w ⊛ x` over the band of every output channel (the border gets garbage, which
/// the caller clears).
#[inline(always)]
fn conv_forward(l: &Layer, w: &[f32], b: &[f32], x: &[f32], y: &mut [f32], g: &Geometry) {
    let band = g.span.clone();
    for (o, yo) in y.chunks_exact_mut(g.area).enumerate() {
        let out = &mut yo[band.clone()];
        out.fill(b[o]);
        for (i, xi) in x.chunks_exact(g.area).enumerate() {
            for (t, dy, dx) in l.taps() {
                let wv = w[(o * l.cin + i) * l.k * l.k + t];
                let start = (band.start as isize + g.offset(dy, dx)) as usize;
                let inp = &xi[start..start + out.len()];
                for (a, &v) in out.iter_mut().zip(inp) {
                    *a += wv * v;
                }
            }
        }
    }
}

/// `∂L/∂w` and `∂L/∂b` of one image (overwritten), from its input `x` and `dy = ∂L/∂y`
/// (zero on the border).
#[inline(always)]
fn conv_grad_params(
    l: &Layer,
    x: &[f32],
    dy: &[f32],
    gw: &mut [f32],
    gb: &mut [f32],
    g: &Geometry,
) {
    let band = g.span.clone();
    for (o, dyo) in dy.chunks_exact(g.area).enumerate() {
        let d = &dyo[band.clone()];
        gb[o] = dot(d, None);
        for (i, xi) in x.chunks_exact(g.area).enumerate() {
            for (t, dr, dc) in l.taps() {
                let start = (band.start as isize + g.offset(dr, dc)) as usize;
                gw[(o * l.cin + i) * l.k * l.k + t] = dot(d, Some(&xi[start..start + d.len()]));
            }
        }
    }
}

/// `∂L/∂x` of one image (overwritten): the transposed convolution of `dy` (zero on the
/// border); the border of `dx` gets garbage, which the ReLU mask of the layer below clears.
#[inline(always)]
fn conv_grad_input(l: &Layer, w: &[f32], dy: &[f32], dx: &mut [f32], g: &Geometry) {
    let band = g.span.clone();
    dx.fill(0.0);
    for (i, dxi) in dx.chunks_exact_mut(g.area).enumerate() {
        for (o, dyo) in dy.chunks_exact(g.area).enumerate() {
            let d = &dyo[band.clone()];
            for (t, dr, dc) in l.taps() {
                let wv = w[(o * l.cin + i) * l.k * l.k + t];
                let start = (band.start as isize + g.offset(dr, dc)) as usize;
                for (a, &v) in dxi[start..start + d.len()].iter_mut().zip(d) {
                    *a += wv * v;
                }
            }
        }
    }
}

/// Independent accumulators of the dot products: the compiler keeps them in vector
/// registers (a plain `f32` sum is a serial chain it may not reorder).
const LANES: usize = 16;

/// Lane groups summed independently, to overlap the additions' latency.
const GROUPS: usize = 4;

/// `Σ a·b` (or `Σ a` without `b`) in `GROUPS × LANES` interleaved partial sums.
#[inline(always)]
fn dot(a: &[f32], b: Option<&[f32]>) -> f32 {
    const BLOCK: usize = LANES * GROUPS;
    let mut acc = [[0.0f32; LANES]; GROUPS];
    let mut ca = a.chunks_exact(BLOCK);
    match b {
        Some(b) => {
            let mut cb = b.chunks_exact(BLOCK);
            for (x, y) in (&mut ca).zip(&mut cb) {
                let x: &[f32; BLOCK] = x.try_into().expect("a whole block");
                let y: &[f32; BLOCK] = y.try_into().expect("a whole block");
                for (j, group) in acc.iter_mut().enumerate() {
                    for (k, s) in group.iter_mut().enumerate() {
                        *s += x[j * LANES + k] * y[j * LANES + k];
                    }
                }
            }
            for (k, (&x, &y)) in ca.remainder().iter().zip(cb.remainder()).enumerate() {
                acc[k / LANES][k % LANES] += x * y;
            }
        }
        None => {
            for x in &mut ca {
                let x: &[f32; BLOCK] = x.try_into().expect("a whole block");
                for (j, group) in acc.iter_mut().enumerate() {
                    for (k, s) in group.iter_mut().enumerate() {
                        *s += x[j * LANES + k];
                    }
                }
            }
            for (k, &x) in ca.remainder().iter().enumerate() {
                acc[k / LANES][k % LANES] += x;
            }
        }
    }
    acc.iter().flatten().sum()
}

/// Adam (Kingma and Ba) with bias correction.
#[derive(Clone, Debug)]
pub struct Adam {
    m: Vec<f32>,
    v: Vec<f32>,
    t: i32,
    /// Step size.
    pub lr: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
}

impl Adam {
    /// Adam for `len` parameters with step size `lr`, β = (0.9, 0.999), ε = 1e-8.
    pub fn new(len: usize, lr: f32) -> Adam {
        Adam {
            m: vec![0.0; len],
            v: vec![0.0; len],
            t: 0,
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }

    /// One update of `params` from their gradient.
    pub fn step(&mut self, params: &mut [f32], grad: &[f32]) {
        self.t += 1;
        let c1 = 1.0 - self.beta1.powi(self.t);
        let c2 = 1.0 - self.beta2.powi(self.t);
        let step = self.lr * c2.sqrt() / c1;
        let items = params
            .iter_mut()
            .zip(grad)
            .zip(&mut self.m)
            .zip(&mut self.v);
        for (((p, &g), m), v) in items {
            *m = self.beta1 * *m + (1.0 - self.beta1) * g;
            *v = self.beta2 * *v + (1.0 - self.beta2) * g * g;
            *p -= step * *m / (v.sqrt() + self.eps * c2.sqrt());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The analytic gradient of `Σ logits · r` (a fixed random `r`) against central
    /// differences, for a few parameters of every layer.
    #[test]
    fn backward_matches_finite_differences() {
        let n = 9;
        let mut net = Net::new(3, 2, n, 5);
        let mut rng = Rng::new(9);
        let image: Vec<f32> = (0..n * n).map(|_| rng.normal()).collect();
        let r: Vec<f32> = (0..2 * n * n).map(|_| rng.normal()).collect();
        let mut s = net.scratch();
        let mut logits = vec![0.0f32; 2 * n * n];
        let objective = |net: &Net, s: &mut Scratch, logits: &mut Vec<f32>| {
            net.forward(&image, s, logits);
            logits
                .iter()
                .zip(&r)
                .map(|(a, b)| (a * b) as f64)
                .sum::<f64>()
        };
        objective(&net, &mut s, &mut logits);
        net.backward(&mut s, &r);
        let grad = s.grad.clone();
        let layers = net.layers.clone();
        let mut checked = 0;
        for l in &layers {
            for p in [l.weights, l.weights + l.weight_len() / 2, l.bias] {
                let h = 1e-2f32;
                let keep = net.params[p];
                net.params[p] = keep + h;
                let up = objective(&net, &mut s, &mut logits);
                net.params[p] = keep - h;
                let down = objective(&net, &mut s, &mut logits);
                net.params[p] = keep;
                let fd = (up - down) / (2.0 * h as f64);
                let g = grad[p] as f64;
                assert!(
                    (fd - g).abs() <= 2e-2 * fd.abs().max(1.0),
                    "param {p}: backward {g}, finite differences {fd}"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 15);
    }
}
