//! segloss on std: the core's engine at the processor's best instruction set ([`simd`]),
//! across threads ([`threads`]), with owned buffers reused across calls ([`Buffers`]),
//! `.npy` I/O ([`npy`]), runtime loss specs ([`spec`], [`runtime`]) and the `segloss`
//! command ([`cli`]).

// The command instantiates every run-time loss at every instruction-set level: left out of
// this crate's own unit-test build (it would compile it a second time), and tested through
// the `segloss` binary and its public parts (`tests/cli.rs`).
#[cfg(not(test))]
pub mod cli;
pub mod edt;
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)] // intrinsics: one of the two modules that may use `unsafe`
pub mod fused_avx512;
pub mod npy;
pub mod runtime;
#[allow(unsafe_code)] // `#[target_feature]` calls: one of the two modules that may use `unsafe`
pub mod simd;
pub mod spec;
pub mod threads;
pub mod train;

use segloss::{Error, Input, Loss, Real};
use simd::Isa;

/// Owned scratch and gradient buffers that grow to the largest batch seen and are reused,
/// with the processor's best instruction set and, optionally, a thread pool.
///
/// After the first call of a given shape and loss, a call allocates nothing, on one thread
/// or on a pool (there rayon allocates one block of its job queue every 63 calls, since
/// each call sends the pool one job; see [`threads::Scratch`]).
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
#[derive(Debug)]
pub struct Buffers<T> {
    workspace: Vec<T>,
    grad: Vec<T>,
    isa: Isa,
    pool: Option<rayon::ThreadPool>,
    scratch: threads::Scratch<T>,
}

impl<T: Real> Default for Buffers<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Real> Buffers<T> {
    /// Empty buffers on one thread at the best supported instruction set; the first call
    /// sizes them.
    pub fn new() -> Self {
        Buffers {
            workspace: Vec::new(),
            grad: Vec::new(),
            isa: Isa::detect(),
            pool: None,
            scratch: threads::Scratch::new(),
        }
    }

    /// Runs on a pool of `threads` workers (split by sample or block; see [`threads`]).
    pub fn with_threads(mut self, threads: usize) -> Result<Self, rayon::ThreadPoolBuildError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()?;
        // Each worker registers with crossbeam's epoch (one allocation) the first time it
        // takes a job; doing it here keeps it out of the calls.
        pool.broadcast(|_| ());
        self.pool = Some(pool);
        Ok(self)
    }

    /// Caps the instruction set (the results are the same bits at every level).
    pub fn with_isa(mut self, isa: Isa) -> Self {
        self.isa = isa.or_supported();
        self
    }

    /// The loss value of `input`.
    pub fn forward<L: Loss<T> + Sync + ?Sized>(
        &mut self,
        loss: &L,
        input: &Input<'_, T>,
    ) -> Result<f64, Error> {
        let needed = loss.workspace_len(&input.shape());
        grow(&mut self.workspace, needed);
        let ws = &mut self.workspace[..needed];
        match &self.pool {
            Some(pool) => self.scratch.forward(pool, self.isa, loss, input, ws),
            None => simd::forward(self.isa, loss, input, ws),
        }
    }

    /// The loss value and the gradient with respect to the prediction (in the buffers).
    pub fn forward_backward<L: Loss<T> + Sync + ?Sized>(
        &mut self,
        loss: &L,
        input: &Input<'_, T>,
    ) -> Result<(f64, &[T]), Error> {
        let needed = loss.workspace_len(&input.shape());
        grow(&mut self.workspace, needed);
        let elements = input.shape().elements();
        grow(&mut self.grad, elements);
        let ws = &mut self.workspace[..needed];
        let grad = &mut self.grad[..elements];
        let value = match &self.pool {
            Some(pool) => self
                .scratch
                .forward_backward(pool, self.isa, loss, input, ws, grad)?,
            None => simd::forward_backward(self.isa, loss, input, ws, grad)?,
        };
        Ok((value, &self.grad[..elements]))
    }
}

/// Grows `v` to at least `len` elements (never shrinks, so later calls reuse it).
fn grow<T: Real>(v: &mut Vec<T>, len: usize) {
    if v.len() < len {
        v.resize(len, T::zero());
    }
}
