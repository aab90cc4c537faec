"""The framed TSC layer in torch: :func:`sim.tsc.framed.tsc_framed_float`, batched on any torch
device (float64, forward only, the same operations in the same order).

torch is imported when a function runs, so ``sim.tsc`` does not need it.
"""

from .spikes import check_steps, first_flags

__all__ = ["tsc_framed_torch"]


def tsc_framed_torch(weights, threshold, pos, neg, first=None, *, frame_steps, device="cpu"):
    """Framed TSC layer in torch.

    Parameters
    ----------
    weights : tensor or array_like, shape (L, M)
    threshold : float or tensor/array_like, shape (L,)
        theta > 0.
    pos, neg : tensor or array_like of bool, shape (..., T, M)
    first : array_like of bool, shape (T,), optional
        Frame starts (shared by the batch); default one frame starting at step 0.
    frame_steps : int
        N.
    device : str or torch.device

    Returns
    -------
    pos, neg : bool tensors, shape (..., T, L)
    """
    import torch

    N = check_steps(frame_steps, "frame_steps")
    f64 = dict(dtype=torch.float64, device=device)
    w = torch.as_tensor(weights, **f64)
    if w.ndim != 2 or 0 in w.shape:
        raise ValueError(f"weights must be an L x M matrix, not shape {tuple(w.shape)}")
    L, M = w.shape
    theta = torch.broadcast_to(torch.as_tensor(threshold, **f64), (L,))
    if not torch.isfinite(w).all() or not torch.isfinite(theta).all() or (theta <= 0).any():
        raise ValueError("weights must be finite and thresholds finite and > 0")
    pos = torch.as_tensor(pos, device=device).to(torch.bool)
    neg = torch.as_tensor(neg, device=device).to(torch.bool)
    if pos.shape != neg.shape or pos.ndim < 2 or pos.shape[-1] != M:
        raise ValueError(f"pos and neg must have shape (..., T, {M}), not {tuple(pos.shape)} "
                         f"and {tuple(neg.shape)}")
    T = pos.shape[-2]
    flags = first_flags(first, T)
    drive = (pos.to(torch.float64) - neg.to(torch.float64)) @ w.T
    batch = drive.shape[:-2]
    I, V, H = (torch.zeros(batch + (L,), **f64) for _ in range(3))
    on = torch.zeros(batch + (L,), dtype=torch.bool, device=device)
    done = torch.zeros_like(on)
    outs_p, outs_n = [], []
    step = 0
    for t in range(T):
        if flags[t]:
            H = V.clone()
            I = torch.zeros_like(I)
            V = torch.zeros_like(V)
            on = torch.zeros_like(on)
            done = torch.zeros_like(done)
            step = 0
        else:
            step = min(step + 1, N - 1)
        I = I + drive[..., t, :]
        V = V + I
        s = H >= theta
        fire = s & ~done
        H = H - torch.where(fire, theta, torch.zeros_like(theta))
        p = fire & ~on
        drop = on & ~s
        on = (on | fire) & ~drop
        cut = on & (step == N - 1)
        n = drop | cut
        on = on & ~cut
        done = done | n
        outs_p.append(p)
        outs_n.append(n)
    return torch.stack(outs_p, dim=-2), torch.stack(outs_n, dim=-2)
