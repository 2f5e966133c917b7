"""Sparse relatives of softmax, written once against the array API (NumPy is one namespace).

α-entmax maps scores ``z`` to ``p_i = [(α - 1) z_i - τ]_+ ** (1 / (α - 1))`` with the
threshold ``τ`` that makes ``p`` sum to 1 (Peters, Niculae & Martins 2019): α = 2 is
sparsemax (the Euclidean projection onto the simplex, Martins & Astudillo 2016), α → 1
softmax. Entries below the threshold get exact zeros.

- sparsemax and 1.5-entmax find the support by sorting each slice, then compute ``τ`` as
  an unevaluated pair ``τ_hi + τ_lo`` from compensated sums over the support (1.5-entmax:
  one Newton step on the pair), so that ``z_i - τ`` keeps full relative accuracy even for
  entries just above the threshold;
- general α bisects on ``τ`` (``n_iter`` halvings of the bracket), then normalizes.

Rows are ``(rows, n)`` arrays in the work dtype (float64 where the library has it); the
special values are those of softmax. The vector–Jacobian products need only the output:
``g = p ** (2 - α)`` on the support, ``dz = g dy - g (g·dy) / sum(g)``.
"""

from __future__ import annotations

import math

from . import numerics as nm

#: kind -> α of the exact (sort-based) maps
EXACT_ALPHA = {"sparsemax": 2.0, "entmax15": 1.5}


def work(xp, dtype):
    """float64 where the library has it (exact enough for the support search and the
    float32 results, and the double-word threshold makes float64 results exact)."""
    return getattr(xp, "float64", dtype)


# ------------------------------------------------------------------ the forward maps


def _special(xp, x2):
    """The slice maxima (0 where not finite), and the results of the slices whose maximum
    is not finite: NaN slices NaN, +inf entries share the mass, all -inf slices 0."""
    dt = x2.dtype
    m = xp.max(x2, axis=-1, keepdims=True)
    finite = xp.isfinite(m)
    zero = nm.full(xp, 0, dt, x2)
    is_inf = x2 == math.inf
    k = nm.count(xp, is_inf, (1,), dt)
    res = xp.where(is_inf, 1 / xp.where(k > 0, k, nm.full(xp, 1, dt, x2)), zero)
    res = xp.where(xp.isnan(m), nm.full(xp, math.nan, dt, x2), res)
    return xp.where(finite, m, zero), finite, res


def _support_sparsemax(xp, q):
    """Which entries of each row of ``q`` (max 0, no value below -4) sparsemax keeps."""
    z = xp.flip(xp.sort(q, axis=-1), axis=-1)
    k = xp.arange(1, q.shape[-1] + 1, dtype=q.dtype, device=nm.device(q))
    cond = 1 + k * z > xp.cumulative_sum(z, axis=-1)
    return _prefix_support(xp, q, z, cond)


def _support_entmax15(xp, xs):
    """Which entries of each row of ``xs`` (= q / 2: max 0, none below -2) 1.5-entmax
    keeps: the largest ``k`` with ``τ_k <= xs_(k)`` (Peters et al., Algorithm 2)."""
    z = xp.flip(xp.sort(xs, axis=-1), axis=-1)
    k = xp.arange(1, xs.shape[-1] + 1, dtype=xs.dtype, device=nm.device(xs))
    mean = xp.cumulative_sum(z, axis=-1) / k
    var = xp.cumulative_sum(z * z, axis=-1) / k - mean * mean
    delta = 1 / k - var
    tau = mean - xp.sqrt(xp.where(delta > 0, delta, nm.full(xp, 0, z.dtype, z)))
    return _prefix_support(xp, xs, z, tau <= z)


def _prefix_support(xp, q, z, cond):
    """The entries at or above the value of the last sorted position where ``cond``
    holds (ties at the boundary go together); the first position always holds."""
    n = q.shape[-1]
    pos = xp.arange(n, device=nm.device(q))
    last = xp.max(xp.where(cond, pos, xp.zeros_like(pos)), axis=-1, keepdims=True)
    kth = xp.take_along_axis(z, last, axis=-1) if hasattr(xp, "take_along_axis") else \
        nm.pick(xp, z, last[:, 0])[:, None]
    return q >= kth


def _dd_div(xp, a, a_lo, k):
    """``(a + a_lo) / k`` as a pair (``k`` a positive integer-valued array)."""
    h = a / k
    p = h * k
    rem = (a - p) - nm.two_prod_err(xp, h, k, p)
    return h, (rem + a_lo) / k


def _sparsemax_rows(xp, q, q_lo):
    """Sparsemax of rows ``q + q_lo`` (finite, max 0, none below -4)."""
    sup = _support_sparsemax(xp, q)
    zero = nm.full(xp, 0, q.dtype, q)
    k = nm.count(xp, sup, (1,), q.dtype)
    s, s_lo = nm.sum2(xp, xp.where(sup, q, zero), (1,), xp.where(sup, q_lo, zero))
    a, a_lo = nm.two_sum(s, nm.full(xp, -1, q.dtype, q))
    tau, tau_lo = _dd_div(xp, a, a_lo + s_lo, k)
    p = ((q - tau) - tau_lo) + q_lo
    return xp.where(xp.logical_and(sup, p > 0), p, zero)


def _entmax15_rows(xp, q, q_lo):
    """1.5-entmax of rows ``q + q_lo`` (finite, max 0, none below -4)."""
    dt = q.dtype
    zero = nm.full(xp, 0, dt, q)
    xs, xs_lo = q / 2, q_lo / 2
    sup = _support_entmax15(xp, xs)
    k = nm.count(xp, sup, (1,), dt)
    s, s_lo = nm.sum2(xp, xp.where(sup, xs, zero), (1,), xp.where(sup, xs_lo, zero))
    mu, mu_lo = _dd_div(xp, s, s_lo, k)
    d = xp.where(sup, ((xs - mu) - mu_lo) + xs_lo, zero)
    delta = 1 / k - xp.sum(d * d, axis=-1, keepdims=True) / k
    r = xp.sqrt(xp.where(delta > 0, delta, zero))
    tau, tau_lo = nm.two_sum(mu, -r)
    tau_lo = tau_lo + mu_lo
    # one Newton step on f(τ) = sum (xs - τ)_+^2 - 1, with f in double-word: δ above
    # cancels (var ≈ 1/k), the step recovers the threshold to the last bit
    u, u_lo = _above(xp, xs, xs_lo, tau, tau_lo, sup)
    sq = u * u
    f, f_lo = nm.sum2(xp, sq, (1,), nm.two_prod_err(xp, u, u, sq) + 2 * u * u_lo)
    step = ((f - 1) + f_lo) / (2 * xp.sum(u, axis=-1, keepdims=True))
    tau, tau_lo = nm.two_sum(tau, step + tau_lo)
    u, u_lo = _above(xp, xs, xs_lo, tau, tau_lo, sup)
    # the square of the pair, rounded once
    sq = u * u
    p = sq + (nm.two_prod_err(xp, u, u, sq) + 2 * u * u_lo)
    return xp.where(u + u_lo > 0, p, zero)


def _above(xp, x, x_lo, tau, tau_lo, sup):
    """``x - τ`` on the support as a pair (0 elsewhere)."""
    zero = nm.full(xp, 0, x.dtype, x)
    u, e = nm.two_sum(x, -tau)
    return xp.where(sup, u, zero), xp.where(sup, (e - tau_lo) + x_lo, zero)


def _bisect_rows(xp, q, alpha, n_iter, live):
    """α-entmax of rows ``q`` (max 0; -inf where masked) by bisection on the threshold of
    ``(α - 1) q``; ``alpha`` of shape (rows, 1), every α > 1; ``live`` how many entries
    take part in each row."""
    dt = q.dtype
    zero = nm.full(xp, 0, dt, q)
    am1 = alpha - 1
    qq = am1 * q
    beta = 1 / am1

    def mass(tau):
        u = qq - tau
        return xp.where(u > 0, (xp.where(u > 0, u, zero)) ** beta, zero)

    # the threshold lies in [max - 1, max - (1/n)^(α-1)]: the top entry alone has mass 1
    # at the first, every entry at most 1/n at the second
    lo = nm.full(xp, -1, dt, q)
    width = 1 - (1 / live) ** am1
    for _ in range(n_iter):
        width = width / 2
        mid = lo + width
        lo = xp.where(xp.sum(mass(mid), axis=-1, keepdims=True) >= 1, mid, lo)
    p = mass(lo)
    return p / xp.sum(p, axis=-1, keepdims=True)


def _softmax_rows(xp, q, q_lo):
    e = nm.terms(xp, q, q_lo)
    return e / xp.sum(e, axis=-1, keepdims=True)


def _live(xp, x2):
    """How many entries of each row take part (at least 1: the bracket's width)."""
    n = nm.count(xp, x2 > -math.inf, (1,), x2.dtype)
    return xp.where(n > 0, n, nm.full(xp, 1, x2.dtype, n))


def entmax_rows(xp, x2, kind, *, alpha=None, n_iter=50):
    """The map of rows ``x2`` (rows, n), in ``x2``'s dtype; masked entries are -inf.

    ``kind`` is "sparsemax", "entmax15" or "entmax" (then ``alpha``, a number or an array
    of shape (rows, 1), every α >= 1; rows with α = 1 are softmax).
    """
    dt = x2.dtype
    rows, n = x2.shape
    if rows * n == 0:
        return xp.zeros(x2.shape, dtype=dt, device=nm.device(x2))
    m0, finite, special = _special(xp, x2)
    # slices whose maximum is not finite have their results already: zeros stand in
    x2 = xp.where(finite, x2, nm.full(xp, 0, dt, x2))
    q, q_lo = nm.shift_by(xp, x2, m0, 1.0)
    if kind == "entmax":
        if isinstance(alpha, float):
            res = _softmax_rows(xp, q, q_lo) if alpha == 1.0 else \
                _bisect_rows(xp, q, alpha, n_iter, _live(xp, x2))
        else:  # per-row α; rows with α = 1 are softmax's
            one = alpha == 1
            res = _bisect_rows(xp, q, xp.where(one, nm.full(xp, 2, dt, alpha), alpha),
                               n_iter, _live(xp, x2))
            res = xp.where(one, _softmax_rows(xp, q, q_lo), res)
        return xp.where(finite, res, special)
    # strictly below every threshold (sparsemax's is >= -1, 1.5-entmax's >= -2 in q),
    # so that the sums over sorted prefixes see no -inf
    floor = nm.full(xp, -4, dt, q)
    below = q < floor
    q = xp.where(below, floor, q)
    q_lo = xp.where(below, nm.full(xp, 0, dt, q), q_lo)
    res = (_sparsemax_rows if kind == "sparsemax" else _entmax15_rows)(xp, q, q_lo)
    return xp.where(finite, res, special)


# ------------------------------------------------------------------------ gradients


def _weights(xp, y, alpha):
    """``g = p ** (2 - α)`` on the support, 0 elsewhere (the Jacobian is
    ``diag(g) - g gᵀ / sum(g)``)."""
    zero = nm.full(xp, 0, y.dtype, y)
    pos = y > 0
    if isinstance(alpha, float) and alpha == 2.0:
        return xp.astype(pos, y.dtype)
    if isinstance(alpha, float) and alpha == 1.5:
        return xp.sqrt(xp.where(pos, y, zero))
    return xp.where(pos, xp.where(pos, y, zero) ** (2 - alpha), zero)


def entmax_vjp(xp, y, dy, alpha):
    """``dz`` of rows: the output ``y`` (rows, n), the cotangent ``dy``, ``alpha`` a number
    or (rows, 1). Rows with nothing in the support (all 0) give 0."""
    g = _weights(xp, y, alpha)
    gs = xp.sum(g, axis=-1, keepdims=True)
    gs = xp.where(gs > 0, gs, nm.full(xp, 1, y.dtype, y))
    gd = g * dy
    return gd - g * (xp.sum(gd, axis=-1, keepdims=True) / gs)


def entmax_alpha_vjp(xp, y, dy, alpha):
    """``d loss / d α`` per row (rows, 1), from the output ``y`` and cotangent ``dy``:
    ``dp/dα = β² (p - ĝ) - β (p log p - ĝ Σ p log p)`` with ``β = 1 / (α - 1)`` and
    ``ĝ = g / sum(g)``."""
    zero = nm.full(xp, 0, y.dtype, y)
    pos = y > 0
    g = _weights(xp, y, alpha)
    gs = xp.sum(g, axis=-1, keepdims=True)
    gh = g / xp.where(gs > 0, gs, nm.full(xp, 1, y.dtype, y))
    plogp = xp.where(pos, y * xp.log(xp.where(pos, y, nm.full(xp, 1, y.dtype, y))), zero)
    beta = 1 / (alpha - 1)
    dp = beta * beta * (y - gh) - beta * (plogp - gh * xp.sum(plogp, axis=-1, keepdims=True))
    return xp.sum(dy * dp, axis=-1, keepdims=True)


# -------------------------------------------------------------- Fenchel–Young losses


def tsallis(xp, p, alpha):
    """``Ω_α(p) = (sum p^α - 1) / (α (α - 1))`` per row (rows,), the negative Tsallis
    α-entropy (α = 1: the negative Shannon entropy ``sum p log p``)."""
    zero = nm.full(xp, 0, p.dtype, p)
    pos = p > 0
    pp = xp.where(pos, p, nm.full(xp, 1, p.dtype, p))
    if alpha == 1.0:
        return xp.sum(xp.where(pos, p * xp.log(pp), zero), axis=-1)
    if alpha == 2.0:
        s = xp.sum(p * p, axis=-1)
    else:
        s = xp.sum(xp.where(pos, pp ** alpha, zero), axis=-1)
    return (s - 1) / (alpha * (alpha - 1))


def fenchel_young_rows(xp, z2, y2, p2, alpha):
    """``L(z; y) = <p - y, z> + Ω(y) - Ω(p)`` per row (rows,), with ``p`` the map of
    ``z``: 0 when ``p == y``, and ``+inf`` when ``y`` puts mass on a -inf score.

    ``z`` is shifted by its finite row maximum (the inner product is shift-invariant
    up to ``m (sum p - sum y)``, added back), and ``0 * inf`` terms (``p == y`` at an
    infinite score) count 0.
    """
    zero = nm.full(xp, 0, z2.dtype, z2)
    m = xp.max(xp.where(xp.isfinite(z2), z2, zero), axis=-1, keepdims=True)
    d = p2 - y2
    inner = xp.sum(xp.where(d != 0, d * (z2 - m), zero), axis=-1)
    inner = inner + m[:, 0] * (xp.sum(p2, axis=-1) - xp.sum(y2, axis=-1))
    return inner + tsallis(xp, y2, alpha) - tsallis(xp, p2, alpha)


# --------------------------------------------------------------- whole computations


def _slices(xp, a, axes, w):
    """``a`` in ``w`` as rows (rows, n) over ``axes``, and what :func:`_unslice` needs."""
    a2, moved, order = nm.to_last(xp, xp.astype(a, w), axes)
    return xp.reshape(a2, (-1, a2.shape[-1])), (tuple(a2.shape), moved, order)


def _unslice(xp, r2, how):
    shape, moved, order = how
    return nm.from_last(xp, xp.reshape(r2, shape), moved, order)


def alpha_rows(xp, alpha, shape, axes, w):
    """``alpha`` (a number, or an array broadcastable to the slices' shape with the
    reduced axes kept as 1) as a number or rows (rows, 1)."""
    if isinstance(alpha, float):
        return alpha
    kept = nm.reduced_shape(shape, axes, True)
    a = xp.broadcast_to(xp.astype(alpha, w), kept)
    return _slices(xp, a, axes, w)[0]


def entmax_nd(xp, x, axes, kind, *, where=None, alpha=None, n_iter=50):
    """sparsemax / entmax15 / entmax of ``x`` over ``axes`` (validated input), in ``x``'s
    dtype; entries where ``where`` is False take no part (0)."""
    dt = x.dtype
    if nm.size(x.shape) == 0:
        return xp.zeros(x.shape, dtype=dt, device=nm.device(x))
    if not axes:  # one entry per slice: 1, unless NaN, -inf or masked out
        one = entmax_nd(xp, xp.expand_dims(x, axis=0), (0,), kind,
                        where=None if where is None else xp.expand_dims(where, axis=0),
                        alpha=alpha if isinstance(alpha, float) else
                        xp.expand_dims(alpha, axis=0), n_iter=n_iter)
        return xp.squeeze(one, axis=0)
    w = work(xp, dt)
    xw = xp.astype(x, w)
    if where is not None:
        xw = xp.where(where, xw, nm.full(xp, -math.inf, w, xw))
    x2, how = _slices(xp, xw, axes, w)
    a = alpha_rows(xp, alpha, tuple(x.shape), axes, w) if kind == "entmax" else None
    res = entmax_rows(xp, x2, kind, alpha=a, n_iter=n_iter)
    return xp.astype(_unslice(xp, res, how), dt)


def entmax_vjp_nd(xp, y, dy, axes, alpha, *, alpha_grad=False):
    """``dx`` from the forward's output ``y`` and the cotangent ``dy`` over ``axes``, and
    with ``alpha_grad`` the gradient of ``alpha`` (its shape; 0-d for a number)."""
    dt = y.dtype
    if nm.size(y.shape) == 0 or not axes:
        dx = xp.zeros(y.shape, dtype=dt, device=nm.device(y))
        if not alpha_grad:
            return dx
        shape = () if isinstance(alpha, float) else tuple(alpha.shape)
        return dx, xp.zeros(shape, dtype=dt, device=nm.device(y))
    w = work(xp, dt)
    y2, how = _slices(xp, y, axes, w)
    d2 = _slices(xp, dy, axes, w)[0]
    a = alpha_rows(xp, alpha, tuple(y.shape), axes, w)
    dx = xp.astype(_unslice(xp, entmax_vjp(xp, y2, d2, a), how), dt)
    if not alpha_grad:
        return dx
    da = entmax_alpha_vjp(xp, y2, d2, a)  # (rows, 1)
    kept = nm.reduced_shape(tuple(y.shape), axes, True)
    da = xp.reshape(da, kept)  # the rows are the other axes, in order
    if isinstance(alpha, float):
        return dx, xp.astype(xp.sum(da), dt)
    return dx, xp.astype(nm.unbroadcast(xp, da, tuple(alpha.shape)), dt)


def fenchel_young_nd(xp, z, target, ax, *, kind, alpha, n_iter, target_kind, weight,
                     ignore_index, ls, reduction, where, return_grad, map_rows=None):
    """The Fenchel–Young loss of the map ``kind`` (validated input; classes along
    ``ax``), with cross_entropy's options: per-sample weights ``weight[y]`` (class
    indices) or ``sum_c weight_c y_c`` (probabilities), ``ignore_index``, label smoothing
    over the classes that take part, and the reduction (``mean``: by the total weight of
    the counted samples, or by their number for probability targets). ``map_rows(xp, z2,
    kind, alpha=, n_iter=)`` computes the map of rows (:func:`entmax_rows` by default; the
    native backend passes its kernels)."""
    dt = z.dtype
    w = work(xp, dt)
    zero = nm.full(xp, 0, w, z)
    n_classes = z.shape[ax]
    z2 = xp.moveaxis(xp.astype(z, w), ax, -1)
    moved_shape = tuple(z2.shape)
    z2 = xp.reshape(z2, (-1, n_classes))
    rows = z2.shape[0]
    dev = nm.device(z)
    live = xp.ones((rows, n_classes), dtype=xp.bool, device=dev) if where is None else \
        xp.reshape(xp.moveaxis(where, ax, -1), (-1, n_classes))
    z2 = xp.where(live, z2, nm.full(xp, -math.inf, w, z2))
    p2 = (map_rows or entmax_rows)(xp, z2, kind, alpha=alpha, n_iter=n_iter)
    wv = None if weight is None else xp.astype(weight, w)
    if target_kind == "index":
        t = xp.reshape(target, (-1,))
        counted = xp.ones((rows,), dtype=xp.bool, device=dev) if ignore_index is None \
            else t != ignore_index
        ys = xp.where(counted, t, xp.zeros_like(t))
        y2 = xp.astype(xp.arange(n_classes, device=dev) == ys[:, None], w)
        omega = xp.ones((rows,), dtype=w, device=dev) if wv is None else xp.take(wv, ys, axis=0)
        omega = xp.where(counted, omega, zero)
        denom = xp.sum(omega)
    else:
        y2 = xp.reshape(xp.moveaxis(xp.astype(target, w), ax, -1), (-1, n_classes))
        omega = xp.ones((rows,), dtype=w, device=dev) if wv is None else \
            xp.sum(y2 * wv, axis=-1)
        denom = float(rows)
    if ls > 0:
        n_live = xp.sum(xp.astype(live, w), axis=-1, keepdims=True)
        y2 = xp.where(live, (1 - ls) * y2 + ls / n_live, zero)
    a = EXACT_ALPHA.get(kind, alpha)
    per = fenchel_young_rows(xp, z2, y2, p2, a)
    per = xp.where(omega != 0, omega * per, zero)
    loss, scale = nm.reduce_loss(xp, per, reduction, denom, moved_shape[:-1])
    loss = xp.astype(loss, dt)
    if not return_grad:
        return loss
    g = xp.where(live, (p2 - y2) * (omega * scale)[:, None], zero)
    return loss, xp.astype(xp.moveaxis(xp.reshape(g, moved_shape), -1, ax), dt)
