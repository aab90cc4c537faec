"""Exact discrete search over parameter values or codes.

:func:`local_search` is best-improvement coordinate descent with an exact objective: every
move of every free entry is evaluated in one batch (the candidates form the restart axis of one
objective call), the best improving one is taken. :func:`iterated_search` adds random kicks
(iterated local search) to leave its local optima.
"""

import torch

from .objective import Objective

__all__ = ["local_search", "iterated_search"]


def local_search(model, params, objective, steps, bounds, masks=None, max_iters=400,
                 float_steps=False):
    """Best-improvement coordinate search with an exact objective.

    Every free entry of every parameter is moved by each of ``+-steps``; all those candidates
    are evaluated together (they form the restart axis of one batched ``objective`` call) and
    the best improving move is taken, until none improves or ``max_iters`` moves were made.
    When ``objective`` is an :class:`Objective` and the model has a linear readout, the
    readout's moves are evaluated in closed form (:meth:`Objective.readout_moves`) instead.

    Parameters
    ----------
    model : NeuronModel
    params : dict of tensors with a restart axis of length 1
        Values, or codes held as floats (the objective then maps codes to values).
    objective : callable
        dict of (C, ...) tensors -> (C,) exact losses.
    steps : sequence of float
        Move sizes. Without ``float_steps`` all sizes are candidates together (codes); with it
        they are tried one at a time, in the order given (floats: largest first), moving on
        when a size finds no improvement.
    bounds : (lo, hi)
        Allowed range of every entry.
    masks : dict of bool tensors, optional
        Free entries per parameter (missing or None: all).
    max_iters : int
        Most moves made.

    Returns
    -------
    (params, loss)
    """
    params, loss, _ = _coordinate_search(model, objective, params, steps, bounds, masks,
                                         max_iters, float_steps)
    return params, loss


def _coordinate_search(model, objective, params, steps, bounds, masks, max_iters, schedule):
    """:func:`local_search`, also returning the number of moves made."""
    masks = masks or {}
    params = {k: v.detach().clone().to(torch.float64) for k, v in params.items()}
    readout = model.readout if (isinstance(objective, Objective)
                                and objective.model is model) else None
    slots = _free_slots(params, masks, skip=readout)
    rmask = masks.get(readout) if readout else None
    loss = float(objective(params)[0])
    sizes = [(s,) for s in steps] if schedule else [tuple(steps)]
    moves = 0
    for size in sizes:
        deltas = [s for s in size for s in (s, -s)]
        while moves < max_iters:
            best_loss, best_move = loss, None
            if slots:
                C = len(slots) * len(deltas)
                cand = {k: v.expand(C, *v.shape[1:]).clone() for k, v in params.items()}
                row = 0
                for k, i in slots:
                    for dlt in deltas:
                        cand[k].view(C, -1)[row, i] += dlt
                        row += 1
                for k, _ in slots:
                    cand[k].clamp_(*bounds)
                losses = objective(cand)
                j = int(torch.argmin(losses))
                if float(losses[j]) < best_loss:
                    best_loss, best_move = float(losses[j]), ("cand", j, cand)
            if readout is not None:
                rl = objective.readout_moves(params, deltas)          # (P, D)
                cur = params[readout].reshape(-1)
                dl = torch.tensor(deltas, dtype=torch.float64, device=cur.device)
                moved = cur[:, None] + dl[None, :]
                ok = (moved >= bounds[0]) & (moved <= bounds[1])
                if rmask is not None:
                    ok &= rmask.reshape(-1, 1).to(ok.device)
                rl = torch.where(ok, rl, torch.full_like(rl, float("inf")))
                j = int(torch.argmin(rl))
                if float(rl.reshape(-1)[j]) < best_loss:
                    best_loss, best_move = float(rl.reshape(-1)[j]), ("readout", j, None)
            if best_move is None or not best_loss < loss - 1e-15:
                break
            kind, j, cand = best_move
            if kind == "cand":
                params = {k: v[j:j + 1].clone() for k, v in cand.items()}
            else:
                p, di = divmod(j, len(deltas))
                params[readout].view(-1)[p] += deltas[di]
            # recompute rather than trust the closed form: no drift over many moves
            loss = float(objective(params)[0])
            moves += 1
    return params, loss, moves


def iterated_search(model, params, objective, steps, bounds, masks, kicks, generator,
                    kick_size=3, max_iters=400, float_steps=False):
    """:func:`local_search`, then ``kicks`` rounds of: move two to four random free entries by
    up to ``kick_size`` of the smallest step, search again, keep the result if it is better
    (iterated local search: a way out of the search's local optima). Returns
    ``(params, loss)``."""
    params, loss = local_search(model, params, objective, steps, bounds, masks, max_iters,
                                float_steps)
    slots = _free_slots(params, masks or {})
    unit = min(steps)
    for _ in range(kicks):
        trial = {k: v.clone() for k, v in params.items()}
        m = int(torch.randint(2, 5, (1,), generator=generator))
        picks = torch.randperm(len(slots), generator=generator)[:m].tolist()
        for p in picks:
            k, i = slots[p]
            size = int(torch.randint(1, kick_size + 1, (1,), generator=generator))
            sign = 1 if bool(torch.randint(0, 2, (1,), generator=generator)) else -1
            trial[k].view(-1)[i] += sign * size * unit
            trial[k].clamp_(*bounds)
        trial, tl = local_search(model, trial, objective, steps, bounds, masks, max_iters,
                                 float_steps)
        if tl < loss:
            params, loss = trial, tl
    return params, loss


def _free_slots(params, masks, skip=None):
    """``(name, flat index)`` of every free entry (its mask true, or no mask), but ``skip``'s.
    """
    slots = []
    for k, v in params.items():
        if k == skip:
            continue
        m = masks.get(k)
        for i in range(v[0].numel()):
            if m is None or bool(m.reshape(-1)[i]):
                slots.append((k, i))
    return slots
