//! The exact distance transform across threads: [`segloss::edt::Edt`]'s rows and lines split
//! into tasks on the current rayon pool.
//!
//! Every voxel's distance is computed by exactly one task, by the core's code for its row or
//! line, so the result has the bits of [`Edt::run`] whatever the thread count. The first
//! pass takes whole rows; each later pass takes its lines [`COLUMNS`] at a time (the lines of
//! an axis pass are the columns of its blocks' rows, so a task holds one slice of each row).
//!
//! ```
//! use segloss::edt::Edt;
//! let edt = Edt::new(&[20, 30, 40], &[2.0, 1.0, 0.5])?;
//! let mask: Vec<bool> = (0..edt.grid().len()).map(|i| i % 97 != 0).collect();
//! let mut threaded = vec![0.0f32; mask.len()];
//! segloss_std::edt::run(&edt, &mask, &mut threaded)?;
//! let mut single = vec![0.0f32; mask.len()];
//! edt.run(&mask, &mut single, &mut vec![0.0; edt.workspace_len()])?;
//! assert_eq!(threaded, single);
//! # Ok::<(), segloss::Error>(())
//! ```

use rayon::prelude::*;
use segloss::edt::{AxisPass, Edt};
use segloss::{Buffer, Error, Real};

/// Lines per task of an axis pass (a multiple of the core's 16-line transposes).
pub const COLUMNS: usize = 256;

/// Voxels per task of the first pass (rounded to whole rows).
const FIRST_PASS_VOXELS: usize = 1 << 14;

/// [`Edt::run`] on the current rayon pool, with a workspace per task allocated here.
pub fn run<T: Real>(edt: &Edt, mask: &[bool], out: &mut [T]) -> Result<(), Error> {
    let len = edt.grid().len();
    for (what, got) in [(Buffer::Mask, mask.len()), (Buffer::PixelMap, out.len())] {
        if got != len {
            return Err(Error::Length {
                what,
                expected: len,
                got,
            });
        }
    }
    let row = edt.row_len();
    let rows_per_task = (FIRST_PASS_VOXELS / row).max(1);
    let chunk = row * rows_per_task;
    let nonzero = |i: usize| mask.get(i).copied().unwrap_or(false);
    let seen = out
        .par_chunks_mut(chunk)
        .enumerate()
        .map(|(t, rows)| edt.first_rows(nonzero, t * chunk, rows))
        .reduce(|| false, |a, b| a | b);
    if !seen {
        edt.fill_no_zero(out);
        return Ok(());
    }
    let passes: Vec<AxisPass> = edt.axis_passes().collect();
    if passes.is_empty() {
        out.par_chunks_mut(chunk).for_each(|part| edt.root(part));
        return Ok(());
    }
    for pass in &passes {
        let mut tasks = column_tasks(out, pass);
        tasks.par_iter_mut().try_for_each_init(
            || vec![T::zero(); edt.workspace_len()],
            |ws, rows| edt.columns(pass, rows, ws),
        )?;
    }
    Ok(())
}

/// The tasks of one axis pass: for each block of `out` and each run of [`COLUMNS`] columns,
/// the slices of that run in each of the block's `n` rows.
fn column_tasks<'a, T>(out: &'a mut [T], pass: &AxisPass) -> Vec<Vec<&'a mut [T]>> {
    let (n, stride) = (pass.n, pass.stride.max(1));
    let runs = stride.div_ceil(COLUMNS);
    let mut tasks = Vec::new();
    for block in out.chunks_exact_mut((n * stride).max(1)) {
        let first = tasks.len();
        tasks.extend((0..runs).map(|_| Vec::with_capacity(n)));
        for row in block.chunks_exact_mut(stride) {
            for (task, run) in tasks[first..].iter_mut().zip(row.chunks_mut(COLUMNS)) {
                task.push(run);
            }
        }
    }
    tasks
}
