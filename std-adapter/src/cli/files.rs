//! The `.npy` files of the commands: reading them with errors that name the file, the
//! prediction's geometry, class-index labels, and writing an output atomically.

use super::{input_err, CliError, Result};
use crate::npy::{self, Array, Data};
use segloss::{Error, Layout, Real, Target};
use std::path::{Path, PathBuf};

/// The nonzero elements of any dtype as `true`.
pub(super) fn nonzero(data: Data) -> Vec<bool> {
    match data {
        Data::Bool(v) => v,
        Data::U8(v) => v.into_iter().map(|x| x != 0).collect(),
        Data::I8(v) => v.into_iter().map(|x| x != 0).collect(),
        Data::U16(v) => v.into_iter().map(|x| x != 0).collect(),
        Data::I16(v) => v.into_iter().map(|x| x != 0).collect(),
        Data::U32(v) => v.into_iter().map(|x| x != 0).collect(),
        Data::I32(v) => v.into_iter().map(|x| x != 0).collect(),
        Data::U64(v) => v.into_iter().map(|x| x != 0).collect(),
        Data::I64(v) => v.into_iter().map(|x| x != 0).collect(),
        Data::F32(v) => v.into_iter().map(|x| x != 0.0).collect(),
        Data::F64(v) => v.into_iter().map(|x| x != 0.0).collect(),
    }
}

pub(super) fn read_npy(path: &str, what: &str) -> Result<Array> {
    npy::read(path).map_err(|e| match e {
        npy::NpyError::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
            CliError::Input(format!("{what} {path}: file not found"))
        }
        e => CliError::Input(format!("{what} {path}: {e}")),
    })
}

pub(super) fn shape_text(dims: &[usize]) -> String {
    let parts: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}

/// The prediction's logical layout: batch, classes, spatial sizes.
pub(super) struct Geometry {
    pub(super) dims: Vec<usize>,
    pub(super) batch: usize,
    pub(super) classes: usize,
    pub(super) spatial: Vec<usize>,
    pub(super) layout: Layout,
}

impl Geometry {
    pub(super) fn of(dims: &[usize], layout: Layout, path: &str) -> Result<Geometry> {
        if !(3..=5).contains(&dims.len()) {
            return input_err(format!(
                "PRED {path}: shape {} has {} axes; expected (B, C, spatial...) with 1 to 3 spatial axes{}",
                shape_text(dims),
                dims.len(),
                if layout == Layout::ChannelLast { " (channel-last: (B, spatial..., C))" } else { "" }
            ));
        }
        let (classes, spatial) = match layout {
            Layout::ChannelFirst => (dims[1], dims[2..].to_vec()),
            Layout::ChannelLast => (dims[dims.len() - 1], dims[1..dims.len() - 1].to_vec()),
        };
        Ok(Geometry {
            dims: dims.to_vec(),
            batch: dims[0],
            classes,
            spatial,
            layout,
        })
    }

    /// `(B, spatial...)`.
    pub(super) fn pixel_dims(&self) -> Vec<usize> {
        let mut d = vec![self.batch];
        d.extend(&self.spatial);
        d
    }

    /// `(B, 1, spatial...)` or `(B, spatial..., 1)`.
    pub(super) fn singleton_dims(&self) -> Vec<usize> {
        let mut d = self.pixel_dims();
        match self.layout {
            Layout::ChannelFirst => d.insert(1, 1),
            Layout::ChannelLast => d.push(1),
        }
        d
    }

    /// True for a per-pixel map's shape: `(B, spatial...)` or with a singleton channel.
    pub(super) fn is_pixel_shape(&self, dims: &[usize]) -> bool {
        dims == self.pixel_dims().as_slice() || dims == self.singleton_dims().as_slice()
    }

    pub(super) fn pixel_shape_text(&self) -> String {
        format!(
            "{} or {}",
            shape_text(&self.pixel_dims()),
            shape_text(&self.singleton_dims())
        )
    }
}

/// The multi-index of flat `index` in C order.
pub(super) fn unravel(mut index: usize, dims: &[usize]) -> String {
    let mut out = vec![0; dims.len()];
    for (o, &d) in out.iter_mut().zip(dims).rev() {
        if d > 0 {
            *o = index % d;
            index /= d;
        }
    }
    shape_text(&out)
}

/// Owned class-index labels in a type the core reads.
pub(super) enum OwnedLabels {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    I32(Vec<i32>),
    I64(Vec<i64>),
}

impl OwnedLabels {
    pub(super) fn from_data(data: Data, path: &str, dims: &[usize]) -> Result<OwnedLabels> {
        Ok(match data {
            Data::Bool(v) => OwnedLabels::U8(v.into_iter().map(u8::from).collect()),
            Data::U8(v) => OwnedLabels::U8(v),
            Data::I8(v) => OwnedLabels::I32(v.into_iter().map(i32::from).collect()),
            Data::U16(v) => OwnedLabels::U16(v),
            Data::I16(v) => OwnedLabels::I32(v.into_iter().map(i32::from).collect()),
            Data::U32(v) => OwnedLabels::U32(v),
            Data::I32(v) => OwnedLabels::I32(v),
            Data::I64(v) => OwnedLabels::I64(v),
            Data::U64(v) => {
                if let Some(i) = v.iter().position(|&x| i64::try_from(x).is_err()) {
                    return input_err(format!(
                        "TARGET {path}: label {} at index {} does not fit int64",
                        v[i],
                        unravel(i, dims)
                    ));
                }
                OwnedLabels::I64(v.into_iter().map(|x| x as i64).collect())
            }
            Data::F32(_) | Data::F64(_) => unreachable!("float targets are dense"),
        })
    }

    /// The largest label.
    pub(super) fn max_label(&self) -> Option<i64> {
        match self {
            OwnedLabels::U8(v) => v.iter().max().map(|&x| i64::from(x)),
            OwnedLabels::U16(v) => v.iter().max().map(|&x| i64::from(x)),
            OwnedLabels::U32(v) => v.iter().max().map(|&x| i64::from(x)),
            OwnedLabels::I32(v) => v.iter().max().map(|&x| i64::from(x)),
            OwnedLabels::I64(v) => v.iter().max().copied(),
        }
    }

    /// The boundary loss's signed maps of these labels.
    pub(super) fn signed<T: Real>(
        &self,
        maps: &segloss::edt::SignedMaps,
        out: &mut [T],
        ws: &mut [T],
    ) -> std::result::Result<(), Error> {
        match self {
            OwnedLabels::U8(v) => maps.run(&v[..], out, ws),
            OwnedLabels::U16(v) => maps.run(&v[..], out, ws),
            OwnedLabels::U32(v) => maps.run(&v[..], out, ws),
            OwnedLabels::I32(v) => maps.run(&v[..], out, ws),
            OwnedLabels::I64(v) => maps.run(&v[..], out, ws),
        }
    }

    pub(super) fn target<T: Real>(&self, ignore: Option<i64>) -> Target<'_, T> {
        let t = match self {
            OwnedLabels::U8(v) => Target::labels(&v[..]),
            OwnedLabels::U16(v) => Target::labels(&v[..]),
            OwnedLabels::U32(v) => Target::labels(&v[..]),
            OwnedLabels::I32(v) => Target::labels(&v[..]),
            OwnedLabels::I64(v) => Target::labels(&v[..]),
        };
        match ignore {
            Some(i) => t.with_ignore_index(i),
            None => t,
        }
    }
}

pub(super) fn to_real<T: Real>(data: Data) -> Option<Vec<T>> {
    match data {
        Data::F32(v) => Some(v.into_iter().map(|x| T::of(f64::from(x))).collect()),
        Data::F64(v) => Some(v.into_iter().map(T::of).collect()),
        _ => None,
    }
}

/// Validates `--grad-out` before any work: its folder exists and it is not a folder.
pub(super) fn check_grad_out(path: &str) -> Result<PathBuf> {
    check_out_path(path, "--grad-out")
}

/// Validates an output path before any work: its folder exists and it is not a folder.
pub(super) fn check_out_path(path: &str, flag: &str) -> Result<PathBuf> {
    let p = PathBuf::from(path);
    if p.file_name().is_none() || p.is_dir() {
        return input_err(format!("{flag} {path}: not a file path"));
    }
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return input_err(format!(
            "{flag} {path}: folder {} does not exist",
            dir.display()
        ));
    }
    Ok(p)
}

/// Writes an output array to a temporary file in the target's folder, then renames it.
pub(super) fn write_atomically<T: Real + npy::Element>(
    path: &Path,
    shape: &[usize],
    data: &[T],
) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.segloss-{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        npy::write_to(&mut file, shape, data)?;
        file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        CliError::Input(format!("{}: {e}", path.display()))
    })
}
