"""The spike with its triangle pseudo-derivative and Q-bit fake quantization
(quant.surrogate)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from quant.fixed import QFormat  # noqa: E402
from quant.surrogate import fake_quant, heaviside, triangle_spike  # noqa: E402


def test_triangle_spike_forward_and_derivative():
    u = torch.tensor([-2.0, -0.5, 0.0, 0.25, 1.0, 3.0], requires_grad=True)
    z = triangle_spike(1.0)(u)
    assert z.tolist() == [0, 0, 1, 1, 1, 1]          # Theta(0) = 1
    assert torch.equal(z, heaviside(u.detach()))
    z.sum().backward()
    # max(0, 1 - |u|/w) / w with w = 1
    assert u.grad.tolist() == pytest.approx([0, 0.5, 1.0, 0.75, 0, 0])
    u2 = torch.tensor([0.1], requires_grad=True)
    triangle_spike(0.5)(u2).sum().backward()
    assert u2.grad.item() == pytest.approx((1 - 0.1 / 0.5) / 0.5)
    with pytest.raises(ValueError, match="width must be positive, not 0"):
        triangle_spike(0)


@pytest.mark.parametrize("Q", [2, 4, 8, 12])
def test_fake_quant_matches_qformat_and_passes_gradient(Q):
    q = QFormat(Q)
    rng = np.random.default_rng(Q)
    x = np.concatenate([rng.uniform(-10, 10, 2000),
                        (np.arange(-20, 20) + 0.5) * q.lsb,     # ties: to even
                        [8.0, -8.0, 100.0, -100.0, q.value_max + q.lsb / 2]])
    t = torch.tensor(x, requires_grad=True)
    y = fake_quant(t, q)
    assert np.array_equal(y.detach().numpy(), q.round_trip(x))
    y.sum().backward()
    assert np.all(t.grad.numpy() == 1.0)
