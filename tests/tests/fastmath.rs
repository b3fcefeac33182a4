//! The core's vectorisable f32 `exp`/`ln`/`ln_1p` against f64 references over dense sweeps.

use segloss::fastmath::{exp_f32, exp_nonpositive_f32, exp_softmax_f32, ln_1p_f32, ln_f32};

/// Distance in units in the last place between two f32.
fn ulps(a: f32, b: f32) -> u32 {
    let key = |x: f32| {
        let i = x.to_bits() as i32;
        if i < 0 {
            i32::MIN - i
        } else {
            i
        }
    };
    key(a).abs_diff(key(b))
}

#[test]
fn nonpositive_exp_is_within_a_few_ulp_and_flushes_below_the_normal_range() {
    let mut worst = 0;
    let mut x = -90.0f32;
    while x <= 0.0 {
        let want = (x as f64).exp() as f32;
        let got = exp_nonpositive_f32(x);
        if x >= -87.33 {
            worst = worst.max(ulps(got, want));
        } else {
            assert_eq!(got, 0.0, "x = {x}");
        }
        x += 0.000_31;
    }
    assert!(worst <= 3, "exp_nonpositive: {worst} ulp");
    assert_eq!(exp_nonpositive_f32(0.0), 1.0);
    assert_eq!(exp_nonpositive_f32(-0.0), 1.0);
    assert_eq!(exp_nonpositive_f32(-f32::MAX), 0.0);
}

#[test]
fn softmax_exp_is_within_two_ulp_and_flushes_below_two_to_the_minus_125() {
    let mut worst = 0;
    let mut x = -90.0f32;
    while x <= 0.0 {
        let got = exp_softmax_f32(x);
        if x >= -86.64 {
            worst = worst.max(ulps(got, (x as f64).exp() as f32));
        } else {
            assert_eq!(got, 0.0, "x = {x}");
        }
        x += 0.000_29;
    }
    // Arguments from −1e-8 to −79 on a log scale (the other classes of a confident pixel).
    for k in 0..1980 {
        let x = -(10f32.powf(-8.0 + k as f32 * 0.005));
        worst = worst.max(ulps(exp_softmax_f32(x), (x as f64).exp() as f32));
    }
    assert!(worst <= 2, "exp_softmax: {worst} ulp");
    assert_eq!(exp_softmax_f32(0.0), 1.0);
    assert_eq!(exp_softmax_f32(-0.0), 1.0);
    assert_eq!(exp_softmax_f32(-f32::MAX), 0.0);
}

#[test]
fn exp_is_within_a_few_ulp_over_its_range() {
    let mut worst = 0;
    let mut x = -103.9f32;
    while x < 88.7 {
        let want = (x as f64).exp() as f32;
        let got = exp_f32(x);
        if want >= f32::MIN_POSITIVE {
            worst = worst.max(ulps(got, want));
        } else {
            assert!(
                (got - want).abs() <= 2.0 * f32::from_bits(1),
                "x = {x}: {got} vs {want}"
            );
        }
        x += 0.000_37;
    }
    assert!(worst <= 3, "exp: {worst} ulp");
    assert_eq!(exp_f32(-1e4), 0.0);
    assert_eq!(exp_f32(-105.0), 0.0);
    assert_eq!(exp_f32(89.0), f32::INFINITY);
    assert_eq!(exp_f32(0.0), 1.0);
}

#[test]
fn ln_is_within_a_few_ulp_over_positive_floats() {
    let mut worst = 0;
    let mut bits = 1u32; // from the smallest subnormal up, every 997th float
    while bits < f32::INFINITY.to_bits() {
        let x = f32::from_bits(bits);
        let want = (x as f64).ln() as f32;
        worst = worst.max(ulps(ln_f32(x), want));
        bits += 997;
    }
    assert!(worst <= 3, "ln: {worst} ulp");
    assert_eq!(ln_f32(0.0), f32::NEG_INFINITY);
    assert_eq!(ln_f32(1.0), 0.0);
    assert!(ln_f32(-1.0).is_nan());
}

#[test]
fn ln_of_negatives_and_nans_is_nan_without_overflow() {
    // Negatives of magnitude below about 0.7 (and -0) have bit patterns that once made the
    // exponent split overflow (a panic in debug builds, found by the differential fuzzer
    // through the kernel's softmax of NaN logits).
    assert_eq!(ln_f32(-0.0), f32::NEG_INFINITY);
    for x in [-0.5f32, -1e-30, -f32::MIN_POSITIVE, -1e-45, -0.7, -f32::MAX] {
        assert!(ln_f32(x).is_nan(), "ln({x})");
    }
    for bits in [0x7fc0_0000u32, 0xffc0_0000, 0x7f80_0001, 0xff80_0001] {
        assert!(ln_f32(f32::from_bits(bits)).is_nan(), "ln of NaN {bits:#x}");
    }
}

#[test]
fn ln_1p_is_accurate_for_small_and_unit_arguments() {
    let mut worst = 0;
    let mut bits = 1u32;
    while bits <= 1.0f32.to_bits() {
        let x = f32::from_bits(bits);
        let want = (x as f64).ln_1p() as f32;
        worst = worst.max(ulps(ln_1p_f32(x), want));
        bits += 991;
    }
    assert!(worst <= 4, "ln_1p: {worst} ulp");
}
