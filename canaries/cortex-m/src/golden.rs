//! The golden cases on the device: each case's spec, flattened on the host into the leaves
//! it sums (`scripts/edge/cases.py`), is built leaf by leaf from the core's catalogue
//! (`with_catalogue!`, [`Configure`]) and run forward and backward; the value and gradient
//! are the leaves' weighted sum. No allocation, no `std`: the same file runs in the
//! firmware and on the host (`canaries/cortex-m/host`), so their outputs can be compared
//! bit for bit.

use segloss::catalogue::{Configure, Describe, Kind, ParamDefault, Value};
use segloss::{engine, Activation, Error, Input, Layout, Loss, Real, Shape, Target};

/// A parameter value of a spec.
#[derive(Clone, Copy, Debug)]
pub enum Param {
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
    /// A choice.
    Word(&'static str),
    /// A list of numbers.
    List(&'static [f64]),
}

/// One leaf of a case's flattened spec.
#[derive(Clone, Copy, Debug)]
pub struct Member {
    /// Its catalogue name.
    pub loss: &'static str,
    /// Its weight in the sum.
    pub weight: f64,
    /// The parameters the spec gives it.
    pub params: &'static [(&'static str, Param)],
}

/// One golden case: the batch, the reference's value and gradient, the leaves.
#[derive(Clone, Copy, Debug)]
pub struct Case {
    /// Its name in `tests/golden`.
    pub name: &'static str,
    /// `(B, C, spatial…)`.
    pub dims: &'static [usize],
    /// The activation.
    pub activation: Activation,
    /// True for channel-last predictions.
    pub channel_last: bool,
    /// The prediction.
    pub pred: &'static [f64],
    /// Class-index labels.
    pub labels: Option<&'static [i64]>,
    /// Their ignore index.
    pub ignore_index: Option<i64>,
    /// A dense target.
    pub dense: Option<&'static [f64]>,
    /// A pixel mask.
    pub mask: Option<&'static [bool]>,
    /// The DPCE penalty map.
    pub penalty: Option<&'static [f64]>,
    /// The reference value.
    pub value: f64,
    /// The reference gradient.
    pub grad: &'static [f64],
    /// The leaves the spec sums.
    pub members: &'static [Member],
}

/// The most prediction elements a case has (`cases.py`'s `MAX_ELEMENTS`).
pub const MAX_ELEMENTS: usize = 1024;

/// Workspace elements for the distance maps of the boundary family.
pub const MAX_WORKSPACE: usize = 8 * MAX_ELEMENTS;

/// Caller-owned buffers for one element type (in static memory on the device).
pub struct Scratch<T> {
    pred: [T; MAX_ELEMENTS],
    dense: [T; MAX_ELEMENTS],
    penalty: [T; MAX_ELEMENTS],
    grad: [T; MAX_ELEMENTS],
    sum: [f64; MAX_ELEMENTS],
    workspace: [T; MAX_WORKSPACE],
}

impl<T: Real> Scratch<T> {
    /// Zeroed buffers.
    pub fn new() -> Self {
        let z = T::zero();
        Scratch {
            pred: [z; MAX_ELEMENTS],
            dense: [z; MAX_ELEMENTS],
            penalty: [z; MAX_ELEMENTS],
            grad: [z; MAX_ELEMENTS],
            sum: [0.0; MAX_ELEMENTS],
            workspace: [z; MAX_WORKSPACE],
        }
    }
}

impl<T: Real> Default for Scratch<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// What one case gave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// The value.
    pub value: f64,
    /// The checksum of the gradient's bits ([`checksum`]).
    pub grad: u64,
    /// True when value and gradient agree with the reference to the tolerance.
    pub agrees: bool,
}

/// FNV-1a over the bits of `values`.
pub fn checksum(values: &[f64]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for v in values {
        h ^= v.to_bits();
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The tests' rule (`tests/src/lib.rs`): `|got − want| ≤ rtol·|want| + atol`.
fn close(got: f64, want: f64, rtol: f64, atol: f64) -> bool {
    (got - want).abs() <= rtol * want.abs() + atol
}

/// Runs `case` in `T`; value and gradient compared with the reference to `rtol` (the
/// gradient relative to its largest element), as `tests/tests/golden.rs` does.
pub fn run<T: Real>(case: &Case, s: &mut Scratch<T>, rtol: f64) -> Result<Outcome, Error> {
    let (&batch, rest) = case.dims.split_first().ok_or(Error::EmptyShape)?;
    let (&classes, spatial) = rest.split_first().ok_or(Error::EmptyShape)?;
    let shape = Shape::new(batch, classes, spatial)?;
    let n = case.pred.len();
    let (pred, dense, penalty) = (
        s.pred.get_mut(..n).ok_or(Error::ShapeOverflow)?,
        &mut s.dense,
        &mut s.penalty,
    );
    for (p, &x) in pred.iter_mut().zip(case.pred) {
        *p = T::of(x);
    }
    let dense = match case.dense {
        Some(d) => {
            let out = dense.get_mut(..d.len()).ok_or(Error::ShapeOverflow)?;
            for (o, &x) in out.iter_mut().zip(d) {
                *o = T::of(x);
            }
            Some(&*out)
        }
        None => None,
    };
    let penalty = match case.penalty {
        Some(m) => {
            let out = penalty.get_mut(..m.len()).ok_or(Error::ShapeOverflow)?;
            for (o, &x) in out.iter_mut().zip(m) {
                *o = T::of(x);
            }
            Some(&*out)
        }
        None => None,
    };
    let target = match (case.labels, dense) {
        (Some(l), _) => match case.ignore_index {
            Some(i) => Target::labels(l).with_ignore_index(i),
            None => Target::labels(l),
        },
        (None, Some(d)) => Target::dense(d),
        (None, None) => return Err(Error::EmptyShape),
    };
    let mut input = Input::new(&*pred, shape, target)?
        .with_layout(if case.channel_last {
            Layout::ChannelLast
        } else {
            Layout::ChannelFirst
        })
        .with_activation(case.activation);
    if let Some(m) = case.mask {
        input = input.with_mask(m)?;
    }
    let sum = s.sum.get_mut(..n).ok_or(Error::ShapeOverflow)?;
    sum.fill(0.0);
    let mut value = 0.0;
    for m in case.members {
        let grad = s.grad.get_mut(..n).ok_or(Error::ShapeOverflow)?;
        let v = leaf(m, penalty, &input, &mut s.workspace, grad)?;
        value += m.weight * v;
        for (acc, g) in sum.iter_mut().zip(grad.iter()) {
            *acc += m.weight * g.wide();
        }
    }
    let scale = case.grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
    let agrees = close(value, case.value, rtol, rtol * 1e-3)
        && sum.len() == case.grad.len()
        && sum
            .iter()
            .zip(case.grad)
            .all(|(&a, &b)| close(a, b, rtol, rtol * scale));
    Ok(Outcome {
        value,
        grad: checksum(sum),
        agrees,
    })
}

/// Builds the leaf `m` (the penalty map joins a loss that requires one) and runs both passes.
fn leaf<'a, T: Real>(
    m: &Member,
    penalty: Option<&'a [T]>,
    input: &Input<'_, T>,
    workspace: &mut [T],
    grad: &mut [T],
) -> Result<f64, Error> {
    let mut given: [(&str, Value<'a, T>); 12] = [("", Value::Number(0.0)); 12];
    let mut n = 0;
    for (name, p) in m.params {
        let value = match *p {
            Param::Number(x) => Value::Number(x),
            Param::Bool(b) => Value::Bool(b),
            Param::Word(w) => Value::Word(w),
            Param::List(xs) => Value::List(xs),
        };
        let slot = given.get_mut(n).ok_or(Error::ShapeOverflow)?;
        *slot = (name, value);
        n += 1;
    }
    let given = given.get_mut(..n + 1).ok_or(Error::ShapeOverflow)?;
    dispatch(m.loss, given, n, penalty, input, workspace, grad).unwrap_or(Err(Error::EmptyShape))
}

/// Runs the catalogue's leaf named `name` (`None` if there is none).
macro_rules! leaves {
    (
        distribution { $($dn:ident($dt:ty, $ds:ty),)* }
        region { $($rn:ident($rt:ty, $rs:ty),)* }
        boundary { $($bn:ident($bt:ty, $bs:ty),)* }
        compound { $($ct:ty,)* }
        preset { $($preset:path,)* }
    ) => {
        fn dispatch<'a, T: Real>(
            name: &str,
            given: &mut [(&'a str, Value<'a, T>)],
            n: usize,
            penalty: Option<&'a [T]>,
            input: &Input<'_, T>,
            workspace: &mut [T],
            grad: &mut [T],
        ) -> Option<Result<f64, Error>> {
            $(
                if <$ds as Describe>::DESCRIPTOR.name == name {
                    return Some(build::<T, $dt>(given, n, penalty, input, workspace, grad));
                }
            )*
            $(
                if <$rs as Describe>::DESCRIPTOR.name == name {
                    return Some(build::<T, $rt>(given, n, penalty, input, workspace, grad));
                }
            )*
            $(
                if <$bs as Describe>::DESCRIPTOR.name == name {
                    return Some(build::<T, $bt>(given, n, penalty, input, workspace, grad));
                }
            )*
            None
        }
    };
}
segloss::with_catalogue!(leaves);

/// [`leaf`] for the loss type `L`: its required map from `penalty`, both passes.
fn build<'a, T: Real, L: Loss<T> + Configure<'a, T>>(
    given: &mut [(&'a str, Value<'a, T>)],
    mut n: usize,
    penalty: Option<&'a [T]>,
    input: &Input<'_, T>,
    workspace: &mut [T],
    grad: &mut [T],
) -> Result<f64, Error> {
    let map = L::DESCRIPTOR
        .params
        .iter()
        .find(|p| p.kind == Kind::Map && p.default == ParamDefault::Required);
    if let (Some(p), Some(m)) = (map, penalty) {
        if let Some(slot) = given.get_mut(n) {
            *slot = (p.name, Value::Map(m));
            n += 1;
        }
    }
    let loss = L::from_params(given.get(..n).unwrap_or(&[]))?;
    engine::forward_backward(&loss, input, workspace, grad)
}
