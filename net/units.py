"""Neuron types a converted network uses, in float and in exact integers.

A :class:`Unit` is one neuron model with its parameters: an FS neuron (K time steps, the golden
models of :mod:`sim.fs`) or an AMOS unit (K gates side by side, :mod:`sim.amos`), approximating
ReLU (analytic, scaled per layer by alpha) or SiLU (a trained parameter set from
``quant/params``). The networks (:mod:`net.snn`) call the unit's ``run_float`` /
``run_int``; the dynamics themselves are always those golden models, never a copy.

Integer formats (see :mod:`net.snn` for the whole network):

* ReLU: the neuron input is ``u = pre / alpha`` in units of the quantum 2^-K (input frac K), the
  output ``clamp(floor(u 2^K), 0, 2^K - 1)`` has frac K. FS: T = h = d = 2^(K-t); AMOS: c_i = 1,
  T_i = d_i = 2^(K-i), h_ij = 2^(K-j).
* IF (rate-coded integrate-and-fire, ReLU only, :func:`if_unit`): the input current has frac
  K (theta = 2^K is the real value 1, the layer's alpha), the output is a spike per time step
  (frac 0), over N = 2^K - 1 steps (:mod:`net.snn` runs the time steps).
* SiLU, Q-bit codes: input frac ``Q-4`` (the cores' default), output frac ``Q-4``. FS: T, h, d
  are the codes; AMOS: c and d are the codes, T and h are ``code << (Q-4)`` (units of input LSB
  x c LSB, :func:`sim.amos.codes_to_int`).
"""

from dataclasses import dataclass

import numpy as np

from common.checks import InputError
from quant.fixed import QFormat, check_Q
from quant.params import (VARIANTS, ParamError, list_shipped, load, load_published,
                          published_path, shipped_path)
from sim.fs import fs_int_bounds, fs_torch, relu_schedule

__all__ = ["Unit", "fs_unit", "amos_unit", "if_unit", "if_bounds", "CODINGS", "NEURON_ACTS",
           "UNIT_ACTS", "IF_K_MAX"]

CODINGS = ("fs", "amos", "tsc", "if")

#: Largest K of an IF unit: 2^K - 1 time steps per image.
IF_K_MAX = 16

NEURON_ACTS = ("relu", "silu")
#: Every activation a unit can replace: the digits models' two, and sigmoid (an imported model;
#: trained sets in quant/params).
UNIT_ACTS = NEURON_ACTS + ("sigmoid",)


def _amos():
    """sim.amos, or a one-line error saying it is missing (it comes from the AMOS area)."""
    try:
        import sim.amos as amos
    except ImportError:
        raise ValueError("AMOS conversion needs sim/amos.py (the AMOS golden models), which "
                         "this checkout does not have yet") from None
    return amos


def _amos_params():
    try:
        import quant.amos_params as ap
    except ImportError:
        raise ValueError("AMOS conversion needs quant/amos_params.py (the AMOS parameter "
                         "files), which this checkout does not have yet") from None
    return ap


def _missing(prefix, act, K, Q, variant=None):
    have = ", ".join(list_shipped(prefix + act + "_")) or "none"
    q = f" --Q {Q}" if Q is not None else ""
    hint = f"; make one with: python -m quant train --act {act} --K {K}{q}" if not prefix \
        else ", nor an FS set with that K to map to AMOS"
    if variant is not None:
        hint += " --spike-weight LAMBDA" if variant == "lowspike" else ""
    return InputError(f"no {prefix}{act} parameter set with K={K}"
                      + (f" Q={Q}" if Q is not None else "")
                      + (f" variant {variant}" if variant is not None else "")
                      + f" in quant/params (have: {have}){hint}")


def _fs_float_set(act, K, variant=None):
    path = shipped_path(act, K, variant=variant)
    if path.exists():
        T, h, d = load(path).values()
        return (T, h, d), f"quant/params/{path.name}"
    if variant is not None:
        return None, None          # a variant has no published stand-in
    pub = published_path(act, K)
    if pub is not None:
        _, _, _, T, h, d = load_published(pub)
        return (T, h, d), f"quant/published/{pub.name}"
    return None, None


def _fs_int_set(act, K, Q, variant=None):
    path = shipped_path(act, K, Q, variant=variant)
    if path.exists():
        ps = load(path)
        if ps.Q != Q or ps.K != K:
            raise ParamError(f"{path}: declares K={ps.K} Q={ps.Q}, expected K={K} Q={Q}")
        return tuple(np.array(p, dtype=np.int64) for p in (ps.T, ps.h, ps.d)), \
            f"quant/params/{path.name}"
    floats, source = _fs_float_set(act, K, variant)
    if floats is None:
        return None, None
    q = QFormat(Q)
    return tuple(q.quantize(p) for p in floats), f"{source} rounded to Q={Q}"


@dataclass
class Unit:
    """One neuron model with its parameters.

    Attributes
    ----------
    coding : str
        ``fs``, ``amos`` or ``if`` (integer only; its ``params`` hold ``theta``).
    act : str
        ``relu`` or ``silu``.
    K : int
        Time steps (FS) or gates (AMOS).
    Q : int or None
        Code width of an integer unit; None for a float unit. ReLU has no codes: its Q only
        marks the unit as integer.
    params : dict
        Float: ``T``, ``h``, ``d`` (+ ``c``; AMOS ``h`` is K x K) for SiLU, nothing for ReLU
        (its schedule depends on alpha). Integer: the hardware integers (``T``, ``h``, ``d``,
        AMOS ``c``, T and h in the units named in the module notes).
    frac_in, frac_out : int
        Integer unit: fraction bits of its input and output (normalized units for ReLU).
    source : str
        Where the parameters came from (a file, or "analytic").
    """

    coding: str
    act: str
    K: int
    Q: int
    params: dict
    frac_in: int = 0
    frac_out: int = 0
    source: str = ""

    @property
    def is_int(self):
        return self.Q is not None

    @property
    def steps(self):
        """IF: time steps per image, N = 2^K - 1 (FS and AMOS: 1, the unit is not stepped)."""
        return (1 << self.K) - 1 if self.coding == "if" else 1

    @property
    def label(self):
        kind = {"fs": "FS", "amos": "AMOS", "if": "IF"}[self.coding]
        return f"{kind}-{self.act} K={self.K}" + (f" Q={self.Q}" if self.is_int else " float")

    # --- float --------------------------------------------------------------------------------

    def _float_params(self, alpha):
        if self.act == "relu":
            a = float(alpha)
            w = np.array([a * 2.0 ** -t for t in range(1, self.K + 1)])
            if self.coding == "fs":
                return {"T": w, "h": w, "d": w}
            H = np.array([[w[j] if j < i else 0.0 for j in range(self.K)]
                          for i in range(self.K)])
            return {"c": np.ones(self.K), "T": w, "h": H, "d": w}
        return self.params

    def run_float(self, x, alpha=None):
        """(output, spike count) of float neurons on the float64 tensor ``x``."""
        import torch

        p = {k: torch.as_tensor(v, dtype=x.dtype, device=x.device)
             for k, v in self._float_params(alpha).items()}
        if self.coding == "fs":
            return fs_torch(x, p["T"], p["h"], p["d"])
        return _amos().amos_torch(x, p["c"], p["T"], p["h"], p["d"])

    # --- integer ------------------------------------------------------------------------------

    def int_tensors(self, device):
        import torch

        return {k: torch.tensor(np.asarray(v, dtype=np.int64), device=device)
                for k, v in self.params.items()}

    def run_int(self, x, consts):
        """(output, spike count, spike mask) of integer neurons on the int64 tensor ``x``.

        The arithmetic is that of :func:`sim.fs.fs_torch` / :func:`sim.amos.amos_torch` on
        int64 tensors: exact, as long as the bounds of :meth:`int_bounds` fit 62 bits.
        """
        import torch

        bits = []

        def spike(u):
            z = (u >= 0).to(torch.int64)
            bits.append(z)
            return z

        if self.coding == "fs":
            out, count = fs_torch(x, consts["T"], consts["h"], consts["d"], spike=spike)
        else:
            out, count = _amos().amos_torch(x, consts["c"], consts["T"], consts["h"],
                                            consts["d"], spike=spike)
        mask = torch.zeros_like(x)
        for t, z in enumerate(bits):
            mask |= z << t
        return out, count, mask

    def run_int_reference(self, x):
        """The golden integer model itself (numpy): (value, spike mask)."""
        p = self.params
        if self.coding == "fs":
            from sim.fs import fs_int
            return fs_int(x, p["T"], p["h"], p["d"])
        return _amos().amos_int(x, p["c"], p["T"], p["h"], p["d"])

    def int_bounds(self, x_lo, x_hi):
        """(out_lo, out_hi) and the largest magnitude of any intermediate, for x in range
        (IF: the value is a spike per step, and the intermediate the membrane sum)."""
        p = self.params
        if self.coding == "if":
            lo, hi = if_bounds(x_lo, x_hi, int(p["theta"]), self.steps)
            return (0, 1), max(abs(lo), abs(hi), int(p["theta"]))
        if self.coding == "fs":
            b = fs_int_bounds(x_lo, x_hi, p["T"], p["h"], p["d"])
            big = max(abs(v) for v in b["v"] + b["T"])
            return b["out"], big
        b = _amos().amos_int_bounds((x_lo, x_hi), p["c"], p["T"], p["h"], p["d"])
        big = max(abs(v) for pair in b["acc"] + b["prod_x"] for v in pair)
        return b["out"], big

    def describe(self):
        if self.coding == "if":
            return {"coding": "if", "K": self.K, "steps": self.steps,
                    "theta": int(self.params["theta"])}
        out = {"coding": self.coding, "K": self.K}
        out.update({k: np.asarray(v).tolist() for k, v in self.params.items()})
        return out


def fs_unit(act, K, Q=None, variant=None):
    """The FS neuron for ``act`` with K steps: float (Q None) or Q-bit integer.

    SiLU sets come from ``quant/params/silu_K<K>[_Q<Q>].json``; without a shipped file the
    published float set (quant/published) is used, rounded to Q-bit codes for an integer unit
    (a stand-in, worse than a trained Q-bit set). A ``variant`` (:data:`quant.params.VARIANTS`,
    e.g. ``lowspike``) takes ``quant/params/silu_K<K>_<variant>[_Q<Q>].json`` instead (its
    float set rounded to Q where there is no Q-bit one). ReLU is analytic.
    """
    K = _check_K(K)
    if act not in UNIT_ACTS:
        raise InputError(f"unknown activation {act!r} (choose from {', '.join(UNIT_ACTS)})")
    if Q is not None:
        Q = check_Q(Q)
    if variant is not None and (act != "silu" or variant not in VARIANTS):
        raise InputError(f"parameter variant {variant!r} needs --act silu and one of "
                         f"{', '.join(VARIANTS)}")
    if act == "relu":
        if Q is None:
            return Unit("fs", act, K, None, {}, source="analytic")
        s = relu_schedule(K)
        return Unit("fs", act, K, Q, {"T": s[0], "h": s[1], "d": s[2]}, frac_in=K, frac_out=K,
                    source="analytic")
    if Q is None:
        floats, source = _fs_float_set(act, K, variant)
        if floats is None:
            raise _missing("", act, K, None, variant)
        return Unit("fs", act, K, None, dict(zip("Thd", floats)), source=source)
    codes, source = _fs_int_set(act, K, Q, variant)
    if codes is None:
        raise _missing("", act, K, Q, variant)
    frac = Q - 4
    if frac < 0:
        raise InputError(f"Q={Q} codes have {frac} fraction bits; the network needs Q >= 4")
    return Unit("fs", act, K, Q, dict(zip("Thd", codes)), frac_in=frac, frac_out=frac,
                source=source)


def amos_unit(act, K, Q=None):
    """The AMOS unit for ``act`` with K gates: float (Q None) or Q-bit integer.

    SiLU: ``quant/params/amos_silu_K<K>[_Q<Q>].json``; without one, the FS set with the same K
    mapped to AMOS (c_i = 1, h_ij = h(j): the same function, :func:`sim.amos.from_fs`).
    ReLU is analytic (:func:`sim.amos.relu_params`).
    """
    K = _check_K(K)
    if act not in UNIT_ACTS:
        raise InputError(f"unknown activation {act!r} (choose from {', '.join(UNIT_ACTS)})")
    if Q is not None:
        Q = check_Q(Q)
    amos = _amos()
    if act == "relu":
        if Q is None:
            return Unit("amos", act, K, None, {}, source="analytic")
        c, T, h, d = amos.relu_params(K)
        return Unit("amos", act, K, Q, {"c": c, "T": T, "h": h, "d": d}, frac_in=K,
                    frac_out=K, source="analytic")
    ap = _amos_params()
    path = ap.amos_path(act, K, Q)
    if path.exists():
        ps = ap.load(path)
        if ps.K != K or ps.Q != Q or ps.two_input:
            raise ParamError(f"{path}: declares K={ps.K} Q={ps.Q}, expected a one-input set "
                             f"with K={K} Q={Q}")
        source = f"quant/params/{path.name}"
        if Q is None:
            c, T, h, d, _ = ps.values()
            return Unit("amos", act, K, None, {"c": c, "T": T, "h": h, "d": d}, source=source)
        raw = (ps.c, ps.T, ps.h, ps.d)
    else:
        # the FS set with the same K is an AMOS unit (c = 1, h_ij = h_j)
        if Q is None:
            floats, fsrc = _fs_float_set(act, K)
            if floats is None:
                raise _missing(ap.PREFIX, act, K, None)
            c, T, h, d = amos.from_fs(*floats, one=1.0)
            return Unit("amos", act, K, None, {"c": np.array(c), "T": np.array(T),
                                                "h": np.array(h), "d": np.array(d)},
                        source=f"{fsrc} as AMOS")
        codes, fsrc = _fs_int_set(act, K, Q)
        if codes is None:
            raise _missing(ap.PREFIX, act, K, Q)
        if Q < 4:
            raise InputError(f"c = 1 is not a Q={Q} code (needs Q >= 4)")
        raw = amos.from_fs(*(list(map(int, p)) for p in codes), one=1 << (Q - 4))
        source = f"{fsrc} as AMOS"
    frac = Q - 4
    if frac < 0:
        raise InputError(f"Q={Q} codes have {frac} fraction bits; the network needs Q >= 4")
    c, T, h, d, _ = amos.codes_to_int(*raw, frac)
    return Unit("amos", act, K, Q, {"c": c, "T": T, "h": h, "d": d}, frac_in=frac,
                frac_out=frac, source=source)


def if_unit(K, Q=None):
    """The integer rate-coded IF unit for ReLU: N = 2^K - 1 time steps, threshold theta = 2^K
    (the real value 1 of a layer whose range alpha is folded into the weights, as for the FS
    ReLU neuron), input current with K fraction bits, a spike (0/1) per step out.

    The IF network is integer only: ``Q`` None raises (it marks a float unit elsewhere; ReLU
    has no parameter codes, so any Q gives the same unit).
    """
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or not 1 <= K <= IF_K_MAX:
        raise InputError(f"IF neurons need K from 1 to {IF_K_MAX} (2^K - 1 time steps), "
                         f"not {K!r}")
    if Q is None:
        raise InputError("the IF network is an integer network only: give --Q (ReLU has no "
                         "parameter codes, any Q gives the same network)")
    K = int(K)
    return Unit("if", "relu", K, check_Q(Q), {"theta": np.int64(1 << K)}, frac_in=K,
                frac_out=0, source="threshold balancing (data-based: each layer's maximum "
                                   "ReLU input on the training split)")


def if_bounds(x_lo, x_hi, theta, steps):
    """Range of the membrane sum ``u = max(v + x, 0)`` of an IF neuron over ``steps`` steps
    with currents in [x_lo, x_hi]: (lo, hi).

    After a step the membrane is below theta, or (a current above theta fires at most once per
    step) it grows by at most ``x_hi - theta`` per step: ``B_t = max(theta - 1 + (t - 1) e,
    t e)`` with ``e = max(x_hi - theta, 0)``, ``B_0 = 0``; the sum reaches ``B_(steps-1) +
    x_hi``.
    """
    e = max(int(x_hi) - int(theta), 0)
    t = int(steps) - 1
    B = 0 if t == 0 else max(int(theta) - 1 + (t - 1) * e, t * e)
    return min(int(x_lo), 0), max(B + int(x_hi), 0)


def _check_K(K):
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or not 1 <= K <= 32:
        raise InputError(f"K must be an integer from 1 to 32, not {K!r}")
    return int(K)
