//! segloss with owned buffers: the workspace and the gradient are allocated once per shape
//! and reused by every later call.

pub mod cli;
pub mod npy;
pub mod runtime;
pub mod simd;
pub mod spec;
pub mod threads;
pub mod train;

use segloss::{engine, Error, Input, Loss, Real};

/// Owned scratch and gradient buffers that grow to the largest batch seen and are reused.
///
/// ```
/// use segloss::{losses::TopK, Input, Shape, Target};
/// let logits = vec![0.5f32; 2 * 3 * 16];
/// let labels = vec![1u8; 2 * 16];
/// let input = Input::new(&logits, Shape::new(2, 3, &[4, 4])?, Target::labels(&labels[..]))?;
/// let mut buffers = segloss_std::Buffers::new();
/// let (loss, grad) = buffers.forward_backward(&TopK::new(10.0), &input)?;
/// assert!(loss > 0.0 && grad.len() == logits.len());
/// # Ok::<(), segloss::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct Buffers<T> {
    workspace: Vec<T>,
    grad: Vec<T>,
}

impl<T: Real> Buffers<T> {
    /// Empty buffers; the first call sizes them.
    pub fn new() -> Self {
        Buffers {
            workspace: Vec::new(),
            grad: Vec::new(),
        }
    }

    /// The loss value of `input`.
    pub fn forward<L: Loss<T> + ?Sized>(
        &mut self,
        loss: &L,
        input: &Input<'_, T>,
    ) -> Result<f64, Error> {
        let ws = self.workspace_for(loss, input);
        engine::forward(loss, input, ws)
    }

    /// The loss value and the gradient with respect to the prediction (in the buffers).
    pub fn forward_backward<L: Loss<T> + ?Sized>(
        &mut self,
        loss: &L,
        input: &Input<'_, T>,
    ) -> Result<(f64, &[T]), Error> {
        let needed = loss.workspace_len(&input.shape());
        grow(&mut self.workspace, needed);
        let elements = input.shape().elements();
        grow(&mut self.grad, elements);
        let grad = &mut self.grad[..elements];
        let value = engine::forward_backward(loss, input, &mut self.workspace[..needed], grad)?;
        Ok((value, &self.grad[..elements]))
    }

    fn workspace_for<L: Loss<T> + ?Sized>(&mut self, loss: &L, input: &Input<'_, T>) -> &mut [T] {
        let needed = loss.workspace_len(&input.shape());
        grow(&mut self.workspace, needed);
        &mut self.workspace[..needed]
    }
}

/// Grows `v` to at least `len` elements (never shrinks, so later calls reuse it).
fn grow<T: Real>(v: &mut Vec<T>, len: usize) {
    if v.len() < len {
        v.resize(len, T::zero());
    }
}
