#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Writes the small .npz fixtures of spk-convert's ctest test and the npz fuzz seeds: a toy
# "state dict" (conv 3x3, conv3d, linear layers, biases, an int64 counter) saved the way a
# PyTorch user would, with np.savez (stored) and np.savez_compressed (deflate). Fixed seed.
# Run from the repository root: /usr/bin/python3 tests/data/make_npz.py
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def toy_state_dict():
    rng = np.random.default_rng(9)
    f32 = lambda *shape: rng.standard_normal(shape).astype(np.float32)
    return {
        "conv1.weight": f32(6, 3, 3, 3),                      # 3x3 conv -> pattern (fkw)
        "conv1.bias": f32(6),                                 # 1-D -> kept dense
        "bn1.num_batches_tracked": np.array(7, dtype=np.int64),  # int64 -> skipped
        "conv3d.weight": f32(8, 2, 3, 3, 3),                  # conv3d -> kgs
        "fc1.weight": f32(10, 12),                            # linear -> bcr / bsr / csr
        "fc1.bias": f32(10).astype(np.float16),               # float16 member
        "fc2.weight": np.asfortranarray(f32(5, 8)),           # Fortran-ordered member
    }


def main():
    out = os.path.join(HERE, "npz")
    os.makedirs(out, exist_ok=True)
    sd = toy_state_dict()
    np.savez(os.path.join(out, "toy_model.npz"), **sd)
    np.savez_compressed(os.path.join(out, "toy_model_compressed.npz"), **sd)
    # A float64 weight: spk-convert must name the member and the dtype when asked to prune it.
    np.savez(os.path.join(out, "float64_weight.npz"), **{"fc.weight": np.ones((4, 4))})
    # A lone .npy matrix: the converter takes .npy files too (member name = file stem).
    np.save(os.path.join(out, "linear.npy"), np.random.default_rng(10).standard_normal((16, 9)).astype(np.float32))



def fuzz_seeds():
    """Small archives seeding tests/fuzz/corpus/npz (the fuzzer adds what it finds)."""
    out = os.path.join(HERE, "..", "fuzz", "corpus", "npz")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(11)
    small = {"w": rng.standard_normal((2, 3)).astype(np.float32), "b": np.arange(3, dtype=np.float16)}
    np.savez(os.path.join(out, "seed_stored.npz"), **small)
    np.savez_compressed(os.path.join(out, "seed_deflate.npz"), **small)
    np.savez(os.path.join(out, "seed_empty_archive.npz"))
    np.savez(os.path.join(out, "seed_scalar_empty.npz"), s=np.float32(1.5), e=np.zeros((0, 4), np.float32))
    np.savez(os.path.join(out, "seed_fortran.npz"), f=np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))


if __name__ == "__main__":
    main()
    fuzz_seeds()
