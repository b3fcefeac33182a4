//! A small reader and writer of NumPy `.npy` files (format versions 1.0, 2.0 and 3.0),
//! little-endian and C order, with no dependency.
//!
//! Fortran-ordered arrays, big-endian data, object arrays and any other `descr` are refused
//! with an [`NpyError`] that says why. The header's Python dict literal is parsed by a small
//! recursive reader (strings, booleans, integers and tuples), so key order, spacing and
//! trailing commas do not matter.
//!
//! ```
//! use segloss_std::npy::{self, Data};
//! let bytes = npy::to_bytes(&[2, 3], &[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]);
//! let array = npy::from_bytes(&bytes)?;
//! assert_eq!(array.shape, [2, 3]);
//! assert!(matches!(array.data, Data::F32(ref v) if v[5] == 6.0));
//! # Ok::<(), segloss_std::npy::NpyError>(())
//! ```

use std::fmt;
use std::path::Path;

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The element type of an array, as its `descr` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    /// `|b1`.
    Bool,
    /// `|u1`.
    U8,
    /// `|i1`.
    I8,
    /// `<u2`.
    U16,
    /// `<i2`.
    I16,
    /// `<u4`.
    U32,
    /// `<i4`.
    I32,
    /// `<u8`.
    U64,
    /// `<i8`.
    I64,
    /// `<f4`.
    F32,
    /// `<f8`.
    F64,
}

impl Dtype {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Dtype::Bool | Dtype::U8 | Dtype::I8 => 1,
            Dtype::U16 | Dtype::I16 => 2,
            Dtype::U32 | Dtype::I32 | Dtype::F32 => 4,
            Dtype::U64 | Dtype::I64 | Dtype::F64 => 8,
        }
    }

    /// NumPy's name of the type (`float32`, `uint8`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Dtype::Bool => "bool",
            Dtype::U8 => "uint8",
            Dtype::I8 => "int8",
            Dtype::U16 => "uint16",
            Dtype::I16 => "int16",
            Dtype::U32 => "uint32",
            Dtype::I32 => "int32",
            Dtype::U64 => "uint64",
            Dtype::I64 => "int64",
            Dtype::F32 => "float32",
            Dtype::F64 => "float64",
        }
    }

    /// The `descr` string written for this type.
    pub fn descr(self) -> &'static str {
        match self {
            Dtype::Bool => "|b1",
            Dtype::U8 => "|u1",
            Dtype::I8 => "|i1",
            Dtype::U16 => "<u2",
            Dtype::I16 => "<i2",
            Dtype::U32 => "<u4",
            Dtype::I32 => "<i4",
            Dtype::U64 => "<u8",
            Dtype::I64 => "<i8",
            Dtype::F32 => "<f4",
            Dtype::F64 => "<f8",
        }
    }

    /// True for the integer and boolean types (class-index targets, masks).
    pub fn is_integer(self) -> bool {
        !matches!(self, Dtype::F32 | Dtype::F64)
    }

    fn parse(descr: &str) -> Result<Dtype, NpyError> {
        let bad = |why: String| Err(NpyError::Unsupported(why));
        let mut chars = descr.chars();
        let order = chars.next().unwrap_or(' ');
        let code = chars.as_str();
        let dtype = match code {
            "b1" => Dtype::Bool,
            "u1" => Dtype::U8,
            "i1" => Dtype::I8,
            "u2" => Dtype::U16,
            "i2" => Dtype::I16,
            "u4" => Dtype::U32,
            "i4" => Dtype::I32,
            "u8" => Dtype::U64,
            "i8" => Dtype::I64,
            "f4" => Dtype::F32,
            "f8" => Dtype::F64,
            _ => {
                return bad(format!(
                "dtype '{descr}' is not supported (float32, float64, bool and integer types are)"
            ))
            }
        };
        match order {
            '<' | '|' => Ok(dtype),
            '=' if cfg!(target_endian = "little") => Ok(dtype),
            '>' if dtype.size() == 1 => Ok(dtype),
            '>' => bad(format!(
                "dtype '{descr}' is big-endian; convert with arr.astype(arr.dtype.newbyteorder('<'))"
            )),
            _ => bad(format!("dtype '{descr}' has an unknown byte-order mark")),
        }
    }
}

/// The elements of an array, in C order.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    /// `bool` (any non-zero byte is true).
    Bool(Vec<bool>),
    /// `uint8`.
    U8(Vec<u8>),
    /// `int8`.
    I8(Vec<i8>),
    /// `uint16`.
    U16(Vec<u16>),
    /// `int16`.
    I16(Vec<i16>),
    /// `uint32`.
    U32(Vec<u32>),
    /// `int32`.
    I32(Vec<i32>),
    /// `uint64`.
    U64(Vec<u64>),
    /// `int64`.
    I64(Vec<i64>),
    /// `float32`.
    F32(Vec<f32>),
    /// `float64`.
    F64(Vec<f64>),
}

impl Data {
    /// The element type.
    pub fn dtype(&self) -> Dtype {
        match self {
            Data::Bool(_) => Dtype::Bool,
            Data::U8(_) => Dtype::U8,
            Data::I8(_) => Dtype::I8,
            Data::U16(_) => Dtype::U16,
            Data::I16(_) => Dtype::I16,
            Data::U32(_) => Dtype::U32,
            Data::I32(_) => Dtype::I32,
            Data::U64(_) => Dtype::U64,
            Data::I64(_) => Dtype::I64,
            Data::F32(_) => Dtype::F32,
            Data::F64(_) => Dtype::F64,
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        match self {
            Data::Bool(v) => v.len(),
            Data::U8(v) => v.len(),
            Data::I8(v) => v.len(),
            Data::U16(v) => v.len(),
            Data::I16(v) => v.len(),
            Data::U32(v) => v.len(),
            Data::I32(v) => v.len(),
            Data::U64(v) => v.len(),
            Data::I64(v) => v.len(),
            Data::F32(v) => v.len(),
            Data::F64(v) => v.len(),
        }
    }

    /// True when there is no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An array read from a `.npy` file.
#[derive(Clone, Debug, PartialEq)]
pub struct Array {
    /// The shape (empty for a scalar).
    pub shape: Vec<usize>,
    /// The elements, in C order.
    pub data: Data,
}

/// Why a `.npy` file could not be read or written.
#[derive(Debug)]
pub enum NpyError {
    /// The file could not be opened, read or written.
    Io(std::io::Error),
    /// The bytes are not a well-formed `.npy` file.
    Malformed(String),
    /// A well-formed file this reader does not take (Fortran order, big-endian, other dtypes).
    Unsupported(String),
}

impl fmt::Display for NpyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NpyError::Io(e) => write!(f, "{e}"),
            NpyError::Malformed(why) => write!(f, "not a valid .npy file: {why}"),
            NpyError::Unsupported(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for NpyError {}

impl From<std::io::Error> for NpyError {
    fn from(e: std::io::Error) -> Self {
        NpyError::Io(e)
    }
}

fn malformed<T>(why: impl Into<String>) -> Result<T, NpyError> {
    Err(NpyError::Malformed(why.into()))
}

/// Reads a `.npy` file.
pub fn read(path: impl AsRef<Path>) -> Result<Array, NpyError> {
    from_bytes(&std::fs::read(path)?)
}

/// Parses the bytes of a `.npy` file.
pub fn from_bytes(bytes: &[u8]) -> Result<Array, NpyError> {
    if bytes.len() < 8 || &bytes[..6] != MAGIC {
        return malformed("it does not start with the magic string \\x93NUMPY");
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (len_bytes, utf8) = match major {
        1 => (2, false),
        2 => (4, false),
        3 => (4, true),
        _ => {
            return Err(NpyError::Unsupported(format!(
                "format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are)"
            )))
        }
    };
    let start = 8 + len_bytes;
    let Some(len_field) = bytes.get(8..start) else {
        return malformed("the file ends inside the header length");
    };
    let header_len = len_field
        .iter()
        .rev()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    let Some(header) = start
        .checked_add(header_len)
        .and_then(|end| bytes.get(start..end))
    else {
        return malformed(format!(
            "the header is {header_len} bytes long but the file has only {} after the length field",
            bytes.len() - start
        ));
    };
    let header = if utf8 || header.is_ascii() {
        std::str::from_utf8(header).ok()
    } else {
        None
    };
    let Some(header) = header else {
        return malformed(if utf8 {
            "the header is not UTF-8"
        } else {
            "the header is not ASCII"
        });
    };
    let meta = parse_header(header)?;
    let body = &bytes[start + header_len..];
    let count = meta
        .shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d));
    let Some(needed) = count.and_then(|n| n.checked_mul(meta.dtype.size())) else {
        return malformed("the shape's element count overflows");
    };
    if body.len() != needed {
        return malformed(format!(
            "the data has {} bytes; shape {:?} of {} needs {needed}",
            body.len(),
            meta.shape,
            meta.dtype.name()
        ));
    }
    Ok(Array {
        shape: meta.shape,
        data: decode(meta.dtype, body),
    })
}

fn decode(dtype: Dtype, body: &[u8]) -> Data {
    macro_rules! le {
        ($t:ty, $n:expr) => {
            body.chunks_exact($n)
                .map(|c| {
                    let mut b = [0u8; $n];
                    b.copy_from_slice(c);
                    <$t>::from_le_bytes(b)
                })
                .collect()
        };
    }
    match dtype {
        Dtype::Bool => Data::Bool(body.iter().map(|&b| b != 0).collect()),
        Dtype::U8 => Data::U8(body.to_vec()),
        Dtype::I8 => Data::I8(body.iter().map(|&b| b as i8).collect()),
        Dtype::U16 => Data::U16(le!(u16, 2)),
        Dtype::I16 => Data::I16(le!(i16, 2)),
        Dtype::U32 => Data::U32(le!(u32, 4)),
        Dtype::I32 => Data::I32(le!(i32, 4)),
        Dtype::U64 => Data::U64(le!(u64, 8)),
        Dtype::I64 => Data::I64(le!(i64, 8)),
        Dtype::F32 => Data::F32(le!(f32, 4)),
        Dtype::F64 => Data::F64(le!(f64, 8)),
    }
}

struct Meta {
    dtype: Dtype,
    shape: Vec<usize>,
}

/// A value of the header's Python literal.
#[derive(Debug)]
enum Py {
    Str(String),
    Bool(bool),
    Int(u64),
    Tuple(Vec<Py>),
    Dict(Vec<(String, Py)>),
    /// Anything else (lists of fields of a structured dtype, ...), kept as text.
    Other(String),
}

struct PyReader<'s> {
    s: &'s [u8],
    at: usize,
}

impl PyReader<'_> {
    fn skip_ws(&mut self) {
        while self.s.get(self.at).is_some_and(|c| c.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.at).copied()
    }

    fn expect(&mut self, c: u8) -> Result<(), NpyError> {
        match self.peek() {
            Some(x) if x == c => {
                self.at += 1;
                Ok(())
            }
            Some(x) => malformed(format!(
                "header: expected '{}' at byte {}, found '{}'",
                c as char, self.at, x as char
            )),
            None => malformed(format!(
                "header: expected '{}' but the header ends",
                c as char
            )),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Py, NpyError> {
        if depth > 8 {
            return malformed("header: nested too deeply");
        }
        match self.peek() {
            Some(b'{') => {
                self.at += 1;
                let mut items = Vec::new();
                loop {
                    if self.peek() == Some(b'}') {
                        self.at += 1;
                        return Ok(Py::Dict(items));
                    }
                    let Py::Str(key) = self.value(depth + 1)? else {
                        return malformed("header: a dict key is not a string");
                    };
                    self.expect(b':')?;
                    let value = self.value(depth + 1)?;
                    items.push((key, value));
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b'}') => {}
                        _ => return malformed("header: expected ',' or '}' in the dict"),
                    }
                }
            }
            Some(open @ (b'(' | b'[')) => {
                let close = if open == b'(' { b')' } else { b']' };
                self.at += 1;
                let mut items = Vec::new();
                loop {
                    if self.peek() == Some(close) {
                        self.at += 1;
                        return Ok(if open == b'(' {
                            Py::Tuple(items)
                        } else {
                            Py::Other(format!("{items:?}"))
                        });
                    }
                    items.push(self.value(depth + 1)?);
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(c) if c == close => {}
                        _ => return malformed("header: expected ',' or a closing bracket"),
                    }
                }
            }
            Some(q @ (b'\'' | b'"')) => {
                self.at += 1;
                let start = self.at;
                while self.s.get(self.at).is_some_and(|&c| c != q) {
                    self.at += 1;
                }
                if self.at >= self.s.len() {
                    return malformed("header: unterminated string");
                }
                let text = String::from_utf8_lossy(&self.s[start..self.at]).into_owned();
                self.at += 1;
                Ok(Py::Str(text))
            }
            Some(c) if c.is_ascii_digit() => {
                let start = self.at;
                while self.s.get(self.at).is_some_and(|c| c.is_ascii_digit()) {
                    self.at += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.at]).unwrap_or("");
                // Python 2 long integers: `3L`.
                if self.s.get(self.at) == Some(&b'L') {
                    self.at += 1;
                }
                match text.parse::<u64>() {
                    Ok(n) => Ok(Py::Int(n)),
                    Err(_) => malformed(format!("header: integer {text} is too large")),
                }
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.at;
                while self
                    .s
                    .get(self.at)
                    .is_some_and(|c| c.is_ascii_alphanumeric())
                {
                    self.at += 1;
                }
                match &self.s[start..self.at] {
                    b"True" => Ok(Py::Bool(true)),
                    b"False" => Ok(Py::Bool(false)),
                    other => Ok(Py::Other(String::from_utf8_lossy(other).into_owned())),
                }
            }
            Some(b'-') => malformed("header: a negative number where none is allowed"),
            Some(c) => malformed(format!("header: unexpected character '{}'", c as char)),
            None => malformed("header: it ends where a value was expected"),
        }
    }
}

fn parse_header(header: &str) -> Result<Meta, NpyError> {
    let mut r = PyReader {
        s: header.as_bytes(),
        at: 0,
    };
    let Py::Dict(items) = r.value(0)? else {
        return malformed("header: it is not a Python dict");
    };
    if r.peek().is_some() {
        return malformed("header: unexpected text after the dict");
    }
    let get = |key: &str| items.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    let descr = match get("descr") {
        Some(Py::Str(s)) => s.clone(),
        Some(Py::Other(text)) => {
            return Err(NpyError::Unsupported(format!(
                "dtype {text} (a structured dtype) is not supported"
            )))
        }
        Some(_) => return malformed("header: 'descr' is not a string"),
        None => return malformed("header: no 'descr' key"),
    };
    let fortran = match get("fortran_order") {
        Some(Py::Bool(b)) => *b,
        Some(_) => return malformed("header: 'fortran_order' is not True or False"),
        None => return malformed("header: no 'fortran_order' key"),
    };
    let shape = match get("shape") {
        Some(Py::Tuple(dims)) => dims
            .iter()
            .map(|d| match d {
                Py::Int(n) => usize::try_from(*n)
                    .or_else(|_| malformed("header: a dimension does not fit in usize")),
                _ => malformed("header: 'shape' holds something other than integers"),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return malformed("header: 'shape' is not a tuple"),
        None => return malformed("header: no 'shape' key"),
    };
    if let Some((k, _)) = items
        .iter()
        .find(|(k, _)| !matches!(k.as_str(), "descr" | "fortran_order" | "shape"))
    {
        return malformed(format!("header: unknown key '{k}'"));
    }
    let dtype = Dtype::parse(&descr)?;
    if fortran && shape.iter().filter(|&&d| d > 1).count() > 1 {
        return Err(NpyError::Unsupported(
            "the array is in Fortran order; save it with np.save(path, np.ascontiguousarray(arr))"
                .into(),
        ));
    }
    Ok(Meta { dtype, shape })
}

/// An element type this module writes.
pub trait Element: Copy {
    /// Its dtype.
    const DTYPE: Dtype;
    /// Appends its little-endian bytes.
    fn put(self, out: &mut Vec<u8>);
}

macro_rules! element {
    ($($t:ty => $d:ident),*) => {$(
        impl Element for $t {
            const DTYPE: Dtype = Dtype::$d;
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
element!(u8 => U8, i8 => I8, u16 => U16, i16 => I16, u32 => U32, i32 => I32,
    u64 => U64, i64 => I64, f32 => F32, f64 => F64);

impl Element for bool {
    const DTYPE: Dtype = Dtype::Bool;
    fn put(self, out: &mut Vec<u8>) {
        out.push(u8::from(self));
    }
}

/// The header bytes (magic, version, length, dict, padding) of an array.
fn header_bytes(dtype: Dtype, shape: &[usize]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_text = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let dict = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
        dtype.descr(),
        shape_text
    );
    // Version 1.0 while the header length fits 16 bits, 2.0 beyond; the total header is
    // padded with spaces to a multiple of 64 bytes and ends with a newline, as NumPy does.
    let (version, len_bytes) = if dict.len() + 1 + 10 <= 65535 {
        (1u8, 2usize)
    } else {
        (2u8, 4usize)
    };
    let unpadded = 6 + 2 + len_bytes + dict.len() + 1;
    let total = unpadded.div_ceil(64) * 64;
    let header_len = total - 6 - 2 - len_bytes;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[version, 0]);
    if len_bytes == 2 {
        out.extend_from_slice(&(header_len as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header_len as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out
}

/// The bytes of a `.npy` file holding `data` with `shape` (C order).
///
/// # Panics
/// If `data.len()` is not the product of `shape`.
pub fn to_bytes<E: Element>(shape: &[usize], data: &[E]) -> Vec<u8> {
    assert_eq!(
        shape.iter().product::<usize>(),
        data.len(),
        "npy::to_bytes: the data length does not match the shape"
    );
    let mut out = header_bytes(E::DTYPE, shape);
    out.reserve(data.len() * E::DTYPE.size());
    for &x in data {
        x.put(&mut out);
    }
    out
}

/// Streams a `.npy` file holding `data` with `shape` (C order) into `out`.
pub fn write_to<E: Element>(
    out: &mut impl std::io::Write,
    shape: &[usize],
    data: &[E],
) -> std::io::Result<()> {
    if shape.iter().product::<usize>() != data.len() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} elements do not fill shape {shape:?}", data.len()),
        ));
    }
    out.write_all(&header_bytes(E::DTYPE, shape))?;
    let mut buf = Vec::with_capacity(64 * 1024);
    for chunk in data.chunks(8 * 1024) {
        buf.clear();
        for &x in chunk {
            x.put(&mut buf);
        }
        out.write_all(&buf)?;
    }
    Ok(())
}

/// Writes `data` with `shape` to a `.npy` file at `path` (created or truncated).
pub fn write<E: Element>(
    path: impl AsRef<Path>,
    shape: &[usize],
    data: &[E],
) -> Result<(), NpyError> {
    if shape.iter().product::<usize>() != data.len() {
        return Err(NpyError::Unsupported(format!(
            "{} elements do not fill shape {shape:?}",
            data.len()
        )));
    }
    std::fs::write(path, to_bytes(shape, data))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_header(version: u8, header: &str, body: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[version, 0]);
        if version == 1 {
            out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(body);
        out
    }

    fn err(bytes: &[u8]) -> String {
        match from_bytes(bytes) {
            Ok(a) => panic!("expected an error, read {a:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn round_trips_every_type_and_rank() {
        fn check<E: Element + PartialEq + std::fmt::Debug>(v: Vec<E>, wrap: fn(Vec<E>) -> Data) {
            for shape in [vec![v.len()], vec![1, v.len()], vec![v.len(), 1, 1]] {
                let bytes = to_bytes(&shape, &v);
                assert_eq!(
                    bytes.iter().position(|&b| b == b'\n').map(|p| (p + 1) % 64),
                    Some(0)
                );
                let a = from_bytes(&bytes).unwrap();
                assert_eq!(a.shape, shape);
                assert_eq!(a.data, wrap(v.clone()));
            }
        }
        check(vec![0.5f32, -1.25, f32::MAX, 1e-40], Data::F32);
        check(vec![0.1f64, -3.0, f64::MIN_POSITIVE], Data::F64);
        check(vec![0u8, 255, 7], Data::U8);
        check(vec![-128i8, 127], Data::I8);
        check(vec![65535u16, 1], Data::U16);
        check(vec![-32768i16, 5], Data::I16);
        check(vec![u32::MAX, 3], Data::U32);
        check(vec![-100i32, 255], Data::I32);
        check(vec![u64::MAX, 0], Data::U64);
        check(vec![i64::MIN, -100], Data::I64);
        check(vec![true, false, true], Data::Bool);
    }

    #[test]
    fn reads_numpy_spellings_and_versions() {
        let body: Vec<u8> = [1.0f32, 2.0].iter().flat_map(|x| x.to_le_bytes()).collect();
        for header in [
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }      \n",
            "{\"shape\": (1, 2), \"descr\": \"<f4\", \"fortran_order\": False}\n",
            "{'descr':'<f4','fortran_order':False,'shape':(2L,)}",
            // Fortran order does not matter when at most one axis exceeds 1.
            "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1), }\n",
        ] {
            for version in [1, 2, 3] {
                let a = from_bytes(&with_header(version, header, &body)).unwrap();
                assert_eq!(a.data, Data::F32(vec![1.0, 2.0]), "{header}");
            }
        }
        let scalar = with_header(
            1,
            "{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
            &2.5f64.to_le_bytes(),
        );
        assert_eq!(from_bytes(&scalar).unwrap().shape, Vec::<usize>::new());
        let zero = with_header(
            1,
            "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3), }",
            &[],
        );
        assert!(from_bytes(&zero).unwrap().data.is_empty());
    }

    #[test]
    fn writes_version_2_for_huge_headers() {
        let header = header_bytes(Dtype::F32, &vec![1usize; 30000]);
        assert_eq!(header[6], 2);
        assert_eq!(header.len() % 64, 0);
        let mut bytes = header;
        bytes.extend_from_slice(&1.5f32.to_le_bytes());
        let a = from_bytes(&bytes).unwrap();
        assert_eq!(a.shape.len(), 30000);
    }

    #[test]
    fn refuses_malformed_files() {
        let body = [0u8; 8];
        let ok_header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"".to_vec(), "magic"),
            (b"\x93NUMPZ\x01\x00".to_vec(), "magic"),
            (b"PK\x03\x04 a zip".to_vec(), "magic"),
            (b"\x93NUMPY\x01".to_vec(), "magic"),
            (b"\x93NUMPY\x01\x00\x10".to_vec(), "header length"),
            (b"\x93NUMPY\x01\x00\xff\x00{'descr'".to_vec(), "header is 255 bytes"),
            (b"\x93NUMPY\x04\x00\x00\x00".to_vec(), "version 4.0"),
            (with_header(1, "[1, 2]", &body), "not a Python dict"),
            (with_header(1, "{'descr': '<f4', 'fortran_order': False}", &body), "no 'shape'"),
            (with_header(1, "{'shape': (2,), 'fortran_order': False}", &body), "no 'descr'"),
            (with_header(1, "{'descr': '<f4', 'shape': (2,)}", &body), "no 'fortran_order'"),
            (with_header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", &body), "expected ',' or '}'"),
            (with_header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", &body), "negative"),
            (with_header(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", &body), "fortran_order"),
            (with_header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': 2}", &body), "not a tuple"),
            (with_header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': ('a',)}", &body), "other than integers"),
            (with_header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", &body), "unknown key"),
            (with_header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x", &body), "after the dict"),
            (with_header(1, "{'descr' '<f4', 'fortran_order': False, 'shape': (2,)}", &body), "expected ':'"),
            (with_header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", &body), "too large"),
            (with_header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296)}", &body), "overflows"),
            (with_header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", &body), "data has 8 bytes"),
            (with_header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", &body), "data has 8 bytes"),
            (with_header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), \u{e9}}", &body), "not ASCII"),
        ];
        for (bytes, needle) in cases {
            let e = err(&bytes);
            assert!(e.contains(needle), "{e:?} should mention {needle:?}");
        }
        assert!(from_bytes(&with_header(1, ok_header, &body)).is_ok());
    }

    #[test]
    fn refuses_unsupported_arrays_with_a_reason() {
        let body = [0u8; 16];
        let cases = [
            (
                "{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }",
                "big-endian",
            ),
            (
                "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
                "Fortran order",
            ),
            (
                "{'descr': '<f2', 'fortran_order': False, 'shape': (8,), }",
                "'<f2' is not supported",
            ),
            (
                "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
                "not supported",
            ),
            (
                "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }",
                "not supported",
            ),
            (
                "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }",
                "structured",
            ),
        ];
        for (header, needle) in cases {
            let e = err(&with_header(1, header, &body));
            assert!(e.contains(needle), "{e:?} should mention {needle:?}");
        }
        // A one-byte type has no byte order.
        let a = from_bytes(&with_header(
            1,
            "{'descr': '>u1', 'fortran_order': False, 'shape': (16,), }",
            &body,
        ));
        assert!(a.is_ok());
    }

    #[test]
    fn reports_missing_files() {
        let e = read("/nonexistent/segloss/x.npy").unwrap_err();
        assert!(matches!(e, NpyError::Io(_)));
    }
}
