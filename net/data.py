"""The 8x8 digits set that ships with scikit-learn, split once and for all.

1797 grey-scale images of 8x8 pixels, each pixel an integer 0..16, ten classes. The split is
stratified (every class keeps its share in both halves) and fixed by a seed, so every command and
test sees the same 1347 training and 450 test images (``test_size=0.25``, ``SPLIT_SEED``).

Pixels enter the networks as ``p / 16`` in [0, 1]; the integer models keep the integer ``p``
with 4 fraction bits, so the input layer is exact.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["Digits", "load", "SPLIT_SEED", "TEST_SIZE", "PIXEL_FRAC"]

#: Seed of the stratified train/test split. Changing it changes every figure in docs/network.md.
SPLIT_SEED = 0
#: Fraction of the 1797 images held out for testing (450 images).
TEST_SIZE = 0.25
#: Pixels are integers 0..16: value p / 16 has 4 fraction bits.
PIXEL_FRAC = 4


@dataclass(frozen=True)
class Digits:
    """The split digits set.

    Attributes
    ----------
    x_train, x_test : ndarray of int64, shape (n, 64)
        Pixel codes 0..16 (row-major 8x8 images); the real pixel value is code / 16.
    y_train, y_test : ndarray of int64, shape (n,)
        Class labels 0..9.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @staticmethod
    def to_float(x):
        """Pixel codes to the float values the ANN sees, in [0, 1]."""
        return np.asarray(x, dtype=np.float32) / float(1 << PIXEL_FRAC)


_CACHE = {}


def load(seed=SPLIT_SEED, test_size=TEST_SIZE):
    """The digits set split into train and test halves (stratified, seeded, cached)."""
    key = (seed, test_size)
    if key not in _CACHE:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        bunch = load_digits()
        x = bunch.data.astype(np.int64)
        y = bunch.target.astype(np.int64)
        if x.min() < 0 or x.max() > (1 << PIXEL_FRAC):
            raise ValueError(f"digits pixels outside 0..16: {x.min()}..{x.max()}")
        x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_size, stratify=y,
                                                  random_state=seed)
        for arr in (x_tr, x_te, y_tr, y_te):
            arr.setflags(write=False)
        _CACHE[key] = Digits(x_tr, y_tr, x_te, y_te)
    return _CACHE[key]
