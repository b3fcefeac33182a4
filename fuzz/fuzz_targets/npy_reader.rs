//! The `.npy` reader on arbitrary bytes (half of the inputs get a well-formed magic and
//! header prefix so the fuzzer reaches the data).
//!
//! Oracles: no panic, no huge allocation (libFuzzer's -rss_limit_mb / -malloc_limit_mb);
//! an accepted array has as many elements as its shape says, and writing it back and
//! reading again gives the same array.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segloss_std::npy::{from_bytes, to_bytes, Array, Data};

fn roundtrip(a: &Array) -> Vec<u8> {
    let s = &a.shape[..];
    match &a.data {
        Data::Bool(v) => to_bytes(s, v),
        Data::U8(v) => to_bytes(s, v),
        Data::I8(v) => to_bytes(s, v),
        Data::U16(v) => to_bytes(s, v),
        Data::I16(v) => to_bytes(s, v),
        Data::U32(v) => to_bytes(s, v),
        Data::I32(v) => to_bytes(s, v),
        Data::U64(v) => to_bytes(s, v),
        Data::I64(v) => to_bytes(s, v),
        Data::F32(v) => to_bytes(s, v),
        Data::F64(v) => to_bytes(s, v),
    }
}

fuzz_target!(|data: &[u8]| {
    let owned;
    let bytes = match data.split_first() {
        Some((&b, rest)) if b & 1 == 1 => {
            // magic, version 1.0, header length, then the fuzzer's header text and data
            let mut v = b"\x93NUMPY\x01\x00".to_vec();
            let hl = rest
                .iter()
                .position(|&c| c == b'\n')
                .map_or(rest.len(), |p| p + 1);
            v.extend_from_slice(&(hl as u16).to_le_bytes());
            v.extend_from_slice(rest);
            owned = v;
            &owned[..]
        }
        _ => data,
    };
    if let Ok(a) = from_bytes(bytes) {
        let n = a.shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        assert_eq!(
            n,
            Some(a.data.len()),
            "shape {:?} vs {} elements",
            a.shape,
            a.data.len()
        );
        let back = from_bytes(&roundtrip(&a)).expect("a written array reads back");
        assert_eq!(back.shape, a.shape);
        let same = match (&a.data, &back.data) {
            (Data::F32(x), Data::F32(y)) => {
                x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits())
            }
            (Data::F64(x), Data::F64(y)) => {
                x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits())
            }
            (x, y) => x == y,
        };
        assert!(same, "round trip changed the data");
    }
});
