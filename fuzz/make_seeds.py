#!/usr/bin/env python3
"""Writes the edge-case seed corpus of every fuzz target into fuzz/seeds/<target>/.

Run from anywhere: python3 fuzz/make_seeds.py. The byte formats are those of
fuzz/src/lib.rs (Case::decode) and of each target's header comment.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
LOSSES = 36


def f32(x):
    """Bytes that Bytes::float decodes to exactly x (raw bits with the low 3 bits clear)."""
    raw = struct.unpack("<I", struct.pack("<f", x))[0]
    if raw & 7:
        raise ValueError(f"{x} has low mantissa bits set; pick another value")
    return struct.pack("<I", raw)


def case(shape, logits, labels, *, activation=0, channel_last=False, ignore=False,
         mask=None, penalty=None, weights=None, gamma=64, param=128, sel=0, ext=1,
         flags2=0, spacing=None, epoch=0, dense=None, maps=None, flags_extra=0):
    """Encodes a batch. shape = (B, C, [spatial]); values are given in full."""
    b, c, spatial = shape
    out = bytearray([b - 1, c - 1, len(spatial) - 1] + [s - 1 for s in spatial])
    flags = activation | (4 if channel_last else 0) | (8 if ignore else 0) | flags_extra
    if mask is not None:
        flags |= 16
    out.append(flags)
    n_el = b * c * prod(spatial)
    n_px = b * prod(spatial)
    assert len(logits) == n_el and len(labels) == n_px
    for x in logits:
        out += f32(x)
    out += bytes((l & 0xFF) for l in labels)
    out += bytes((0 if (mask is None or not m) else 1) for m in (mask or [True] * n_px))
    for x in (penalty or [1.0] * n_px):
        out += f32(x)
    out += bytes(weights or [16] * c)
    out += bytes([gamma, param, sel, ext])
    if spacing is not None:
        flags2 |= 1
    if dense is not None:
        flags2 |= 2
    out.append(flags2)
    out += bytes(spacing or [0] * len(spatial))
    out.append(epoch)
    if dense is not None:
        out += bytes(dense)
    for x in (maps or [0.5] * n_el):
        out += f32(x)
    return bytes(out)


def prod(xs):
    p = 1
    for x in xs:
        p *= x
    return p


def edge_cases():
    """(name, kwargs-builder) of the batch edge cases, for a loss selector."""
    cases = {}
    # one pixel, two classes
    cases["one_pixel"] = dict(shape=(1, 2, [1]), logits=[1.0, -1.0], labels=[0])
    # one pixel, one channel (binary, sigmoid)
    cases["one_pixel_binary"] = dict(shape=(1, 1, [1]), logits=[2.0], labels=[1], activation=1)
    # every pixel ignored
    cases["all_ignored"] = dict(shape=(2, 3, [2, 2]), logits=[0.5] * 24, labels=[-1] * 8,
                                ignore=True)
    # every pixel masked out
    cases["all_masked"] = dict(shape=(1, 3, [4]), logits=[0.25] * 12, labels=[0, 1, 2, 0],
                               mask=[False] * 4)
    # empty classes: only class 0 present in a 4-class batch
    cases["empty_classes"] = dict(shape=(2, 4, [3]), logits=[0.5, -0.5, 1.0] * 8,
                                  labels=[0] * 6)
    # huge logits, |z| = 1e4, correct and wrong
    cases["logits_1e4"] = dict(shape=(1, 3, [2, 2]),
                               logits=[1e4, -1e4, 1e4, -1e4, -1e4, 1e4, -1e4, 1e4,
                                       0.0, 0.0, -1e4, 1e4],
                               labels=[0, 1, 2, 0])
    # sigmoid with huge logits
    cases["sigmoid_1e4"] = dict(shape=(1, 2, [3]), logits=[1e4, -1e4, 1e4, -1e4, 1e4, -1e4],
                                labels=[0, 1, 1], activation=1)
    # subnormal logits and probabilities
    sub = struct.unpack("<f", struct.pack("<I", 8))[0]
    cases["subnormals"] = dict(shape=(1, 2, [2, 2]), logits=[sub, -sub, 0.0, sub] * 2,
                               labels=[0, 1, 1, 0])
    cases["identity_subnormal"] = dict(shape=(1, 2, [2]), logits=[sub, 1.0, 1.0, sub],
                                       labels=[1, 0], activation=2)
    # channel-last 3D with a soft dense target
    cases["dense_3d_last"] = dict(shape=(1, 2, [2, 2, 2]), logits=[0.5, -0.5] * 8,
                                  labels=[0, 1] * 4, channel_last=True,
                                  dense=[200, 250, 225, 225] * 4)
    # anisotropic spacing for the distance losses
    cases["spacing"] = dict(shape=(2, 2, [3, 4]), logits=[1.0, -1.0, 0.5, 0.0] * 12,
                            labels=[0, 1, 1, 0, 1, 1] * 4, spacing=[40, 100])
    # out-of-range label and a NaN logit (refused)
    cases["bad_label"] = dict(shape=(1, 2, [2]), logits=[0.5] * 4, labels=[0, 5])
    cases["nan_logit"] = dict(shape=(1, 2, [2]), logits=[float("nan"), 0.0, 0.0, 0.0],
                              labels=[0, 1])
    return cases


def write(target, name, data):
    d = os.path.join(HERE, "seeds", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def loss_seeds():
    for name, kw in edge_cases().items():
        for i in range(LOSSES):
            kw2 = dict(kw)
            if name == "nan_logit":
                # NaN's bits have the low bits clear only for the canonical NaN
                kw2["logits"] = [0.0] * 4
            data = case(sel=i, **kw2)
            if name == "nan_logit":
                nan = struct.pack("<I", 0x7FC00000)
                data = data[:5] + nan + data[9:]
            write("typed_losses", f"{name}_{i:02}", data)
        # differential: a head byte (even: typed loss head >> 1; odd: a generated spec)
        if name == "nan_logit":
            continue
        for t in range(8):
            write("differential", f"{name}_typed{t}", bytes([t << 1]) + case(**kw))
        for k in range(6):
            gen = bytes([1] + [(k * 53 + j * 29) % 256 for j in range(10)])
            write("differential", f"{name}_spec{k}", gen + case(**kw))


SPECS = [
    "ce", "wce(weight=[1, 2])", "topk(10)", "topk_threshold(0.3)", "focal(gamma=2)",
    "dpce", "balanced_bce(0.3)", "exp_log_ce(0.3)", "dice", "iou", "tversky(alpha=0.3, beta=0.7)",
    "focal_tversky", "focal_tversky_mean", "asym", "gdice(w_type=simple)", "pgdice", "ss",
    "mcc", "exp_log_dice", "dice_ce", "dice_focal(gamma=1, batch=true)", "dice_topk",
    "combo(0.6, 0.3)", "ell", "nnunet_soft_dice(true, false)", "nnunet_dc_and_ce(true, false)",
    "smp_dice", "paper_soft_dice", "paper_focal_tversky", "monai_focal(2)",
    "0.7*dice(include_background=false, batch=true) + 0.3*ce(ignore_index=255)",
    "dice_ce(lambda_ce=0.5, ce=ce(weight=[1, 2, 4]))",
    "dice(smooth_nr=0, smooth_dr=0, empty=exclude)",
    "0.5*dice + 0.5*focal(gamma=2) + iou + ce + tversky + mcc + ss + asym",
    "dice(", "ce(weight=[])", "dice(smooth_nr=-1)", "1e400*dice", "ce(ignore_index=1, ignore_index=2)",
    "ce(ignore_index=1) + dice(ignore_index=2)", "dcie", "dice(batch=maybe)", "ce()()", "",
    "dice ( include_background = false )", "\u00e9dice", "dice(smooth_nr=\u00e9)",
]


def spec_seeds():
    cases = edge_cases()
    for i, s in enumerate(SPECS):
        text = s.encode()
        write("spec_parser", f"spec_{i:02}", b" " + text)
        for name in ("one_pixel", "all_ignored", "empty_classes", "logits_1e4", "dense_3d_last"):
            data = case(**cases[name])
            # raw text mode: head byte with low 3 bits clear, length, text, then the batch
            write("spec_losses", f"{name}_{i:02}", bytes([0, len(text)]) + text + data)
    # generated specs: odd head byte, then generator bytes
    for i in range(8):
        write("spec_parser", f"generated_{i}", bytes([1] + [(i * 37 + k * 11) % 256 for k in range(40)]))


def npy(descr, shape, payload, version=1, fortran=False):
    shape_s = "(" + "".join(f"{d}, " if len(shape) == 1 else f"{d}, " for d in shape).rstrip(", ")
    shape_s += ",)" if len(shape) == 1 else ")"
    header = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape_s}, }}"
    hl_bytes = 2 if version == 1 else 4
    pad = (64 - (10 + (hl_bytes - 2) + len(header) + 1) % 64) % 64
    header = header + " " * pad + "\n"
    lenf = "<H" if version == 1 else "<I"
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack(lenf, len(header)) + header.encode() + payload


def npy_seeds():
    seeds = {
        "f32_2x3": npy("<f4", (2, 3), struct.pack("<6f", 0, 1, -1, 1e4, -1e4, 1e-40)),
        "f64_3": npy("<f8", (3,), struct.pack("<3d", 0.5, float("nan"), float("inf"))),
        "u8_4": npy("|u1", (4,), bytes([0, 1, 255, 7])),
        "i8_2": npy("|i1", (2,), bytes([0x80, 1])),
        "bool_3": npy("|b1", (3,), bytes([0, 1, 2])),
        "u16": npy("<u2", (2,), struct.pack("<2H", 1, 65535)),
        "i16": npy("<i2", (1,), struct.pack("<h", -5)),
        "u32": npy("<u4", (1,), struct.pack("<I", 7)),
        "i32": npy("<i4", (2, 1), struct.pack("<2i", -1, 3)),
        "u64": npy("<u8", (1,), struct.pack("<Q", 2**63)),
        "i64": npy("<i8", (1, 1, 1), struct.pack("<q", -100)),
        "scalar": npy("<f8", (), struct.pack("<d", 2.5)),
        "empty": npy("<f4", (0,), b""),
        "empty_2d": npy("<f4", (3, 0), b""),
        "v2": npy("<f4", (1,), struct.pack("<f", 1.0), version=2),
        "v3": npy("<f4", (1,), struct.pack("<f", 1.0), version=3),
        "fortran": npy("<f4", (2, 2), struct.pack("<4f", 1, 2, 3, 4), fortran=True),
        "big_endian": npy(">f4", (1,), struct.pack(">f", 1.0)),
        "short_data": npy("<f8", (4,), struct.pack("<d", 1.0)),
        "huge_shape": npy("<f8", (2**40, 2**30), b""),
        "truncated": npy("<f4", (2,), b"")[:12],
    }
    for name, data in seeds.items():
        write("npy_reader", name, data)


def edt_seeds():
    def edt(dims, flags, spacing, density, mask):
        out = bytearray([len(dims) - 1] + [d - 1 for d in dims] + [flags])
        out += bytes(spacing)
        out.append(density)
        out += bytes(0 if m else 255 for m in mask)
        return bytes(out) + bytes([64, 2] + [(i * 7) % 256 for i in range(prod(dims))])

    write("edt", "all_true_1d", edt([7], 0, [], 254, [True] * 7))
    write("edt", "all_false_2d", edt([3, 4], 0, [], 254, [False] * 12))
    write("edt", "single_zero_3d", edt([3, 3, 3], 1, [40, 40, 80], 254,
                                       [i != 13 for i in range(27)]))
    write("edt", "all_true_scipy_3d", edt([2, 3, 4], 1, [100, 40, 8], 254, [True] * 24))
    write("edt", "all_true_inf", edt([4, 4], 4, [], 254, [True] * 16))
    write("edt", "all_true_zero_sq", edt([4, 4], 8 | 16, [], 254, [True] * 16))
    write("edt", "one_pixel", edt([1], 0, [], 254, [True]))
    write("edt", "wide_17x18", edt([17, 18], 1, [40, 9], 254,
                                   [(i * 31) % 7 != 0 for i in range(17 * 18)]))
    write("edt", "tiny_spacing", edt([5, 5], 1, [4, 4], 254, [i % 6 != 0 for i in range(25)]))
    write("edt", "huge_spacing", edt([5, 5], 1, [5, 5], 254, [i % 6 != 0 for i in range(25)]))
    write("edt", "bad_spacing", edt([5], 1, [0], 254, [True] * 5))
    write("edt", "spacing_count", edt([5], 3, [40, 40], 254, [True] * 5))


if __name__ == "__main__":
    loss_seeds()
    spec_seeds()
    npy_seeds()
    edt_seeds()
