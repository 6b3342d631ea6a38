"""TP2: computational graphs, activations and losses, the small network library, XOR and parity.

Questions (the ids of ``rubrics/tp2.yaml``):

* ``tp2_ex1``: exercise 1, one neuron f = act(w . x + b) by hand, for each
  activation: f, df/db, df/dw, df/dx (public: the exercise's numbers;
  hidden: other x, w, b, so that z may be negative);
* ``tp2_ex2``: exercise 2, a layer of two sigmoids and the MSE;
* ``tp2_activations``: every activation's forward and backward and
  ``mse_loss`` on random arrays (hidden: other shapes, magnitudes, alpha, slope);
* ``tp2_layers``: ``Dense``, ``Concatenate`` and ``Network.loss_and_grads``;
* ``tp2_training``: the losses MSE / SVM / CCE, the regularizers, ``BGD`` and
  two epochs of ``fit``;
* ``tp2_xor``: XOR with both architectures and N-input parity, trained by ``fit``.

Conventions as in q1.py: ``run`` copies its inputs; gradients under ``d<name>``
with the numeric gradient of the submission's own forward under
``d<name>_num`` (diagnosis only). Networks are described by a list of layer
specs, ``["dense", units, activation]`` or ``["concat"]``, and get their
parameters from the case (``p<i>_W``, ``p<i>_b`` for layer i), so that the
checks do not depend on the initialisation.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np

from ..compare import compare_gradients, compare_values, numeric_gradient, validate
from .base import Arrays, Case, Check, Impl, Measure
from .common import both_signs, compare_all_gradients, edge, nonzero_normal, numeric_gradients, scalar, scalar_gradient

#: Exercise 1: x, w, b of the lab (z = w . x + b = 0.69).
EX1 = {"x": np.array([2.8, -1.8]), "w": np.array([1.45, -0.35]), "b": np.array(-4.0)}
#: Exercise 2: x, W (rows: the two neurons), b, and the target of the MSE.
EX2 = {
    "x": np.array([-3.1, 1.5]),
    "W": np.array([[-0.2, 2.0], [-0.5, -0.3]]),
    "b": np.array([-4.0, -1.0]),
    "t": np.array([0.0, 0.0]),
}
#: The activations of the checks, with their parameter (None: no parameter).
ACTIVATIONS = {"sigmoid": None, "tanh": None, "elu": "alpha", "leaky_relu": "slope"}
#: Activations whose derivative is computed from the output: inputs are kept within
#: +-CLIP so that 1 - out (or 1 - out**2) keeps float64 precision far below the tolerances.
CLIP = 6.0


# ---------------------------------------------------------------------------
# Exercises 1 and 2
# ---------------------------------------------------------------------------


def _act(impl: Impl, name: str, case: Case) -> tuple[Callable, Callable]:
    """forward(z) and backward(dout, cache) of activation ``name``, with the case's parameter if any."""
    fwd = getattr(impl.layers, f"{name}_forward")
    bwd = getattr(impl.layers, f"{name}_backward")
    param = ACTIVATIONS[name]
    if param and param in case.params:
        value = float(case.params[param])
        return (lambda z: fwd(z, value)), bwd
    return fwd, bwd


def _ex1_case(name: str) -> Callable[[np.random.Generator, bool], Case]:
    """x (d,), w (d,), b () a scalar (public: the lab's EX1, d = 2); params: none."""

    def make(rng: np.random.Generator, hidden: bool) -> Case:
        if not hidden:
            return Case({k: v.copy() for k, v in EX1.items()})
        d = int(rng.integers(2, 5))
        x, w = rng.uniform(-3, 3, d), rng.uniform(-2, 2, d)
        z = float(rng.choice([-1, 1])) * rng.uniform(0.1, 2.0)  # either side of the kink, away from it
        return Case({"x": x, "w": w, "b": np.array(z - float(x @ w))})

    return make


def _ex1_run(name: str) -> Callable[[Impl, Case], Arrays]:
    def run(impl: Impl, case: Case) -> Arrays:
        fwd, bwd = _act(impl, name, case)
        x, w, b = case.copy("x"), case.copy("w"), case.copy("b")
        z = np.array([[x @ w + b]])
        f, cache = fwd(z)
        dz = np.asarray(bwd(np.ones_like(z), cache), dtype=np.float64).reshape(-1)
        if dz.size != 1:
            raise ValueError(f"{name}_backward returned {dz.size} values for one input")
        return {"f": np.asarray(f).reshape(()), "df_db": dz.reshape(()), "df_dw": dz[0] * x, "df_dx": dz[0] * w}

    return run


def _ex2_case(rng: np.random.Generator, hidden: bool) -> Case:
    """x (d,), W (m, d), b (m,), t (m,) the MSE target (public: the lab's EX2, d = m = 2); params: none."""
    if not hidden:
        return Case({k: v.copy() for k, v in EX2.items()})
    d, m = int(rng.integers(2, 5)), int(rng.integers(2, 4))
    return Case(
        {
            "x": rng.uniform(-3, 3, d),
            "W": rng.uniform(-2, 2, (m, d)),
            "b": rng.uniform(-3, 3, m),
            "t": rng.uniform(-1, 1, m).round(1),
        }
    )


def _ex2_forward(impl: Impl, case: Case) -> Arrays:
    x, W, b, t = case.copy("x"), case.copy("W"), case.copy("b"), case.copy("t")
    z = x[None, :] @ W.T + b
    a, _ = impl.layers.sigmoid_forward(z)
    loss, _ = impl.layers.mse_loss(a, t[None, :])
    return {"z": z[0], "a": np.asarray(a)[0], "loss": scalar(loss)}


TP2_EX2_FORWARD = Check(
    id="tp2_ex2_forward",
    question="tp2_ex2",
    title="ej. 2: z, las salidas sigmoides y el MSE / exercise 2: z, the sigmoid outputs and the MSE",
    make_case=_ex2_case,
    run=_ex2_forward,
    compare=compare_values(["z", "a", "loss"]),
    tolerance=1e-9,
    calls=("layers.sigmoid_forward", "layers.mse_loss"),
)


def _ex2_backward(impl: Impl, case: Case) -> Arrays:
    x, W, b, t = case.copy("x"), case.copy("W"), case.copy("b"), case.copy("t")

    def loss_of(W_, b_, x_):
        a_, _ = impl.layers.sigmoid_forward(x_[None, :] @ W_.T + b_)
        return impl.layers.mse_loss(a_, t[None, :])[0]

    a, cache = impl.layers.sigmoid_forward(x[None, :] @ W.T + b)
    _, da = impl.layers.mse_loss(a, t[None, :])
    dz = np.asarray(impl.layers.sigmoid_backward(da, cache))[0]
    return {
        "dW": np.outer(dz, x),
        "db": dz,
        "dx": dz @ W,
        "dW_num": scalar_gradient(lambda: loss_of(W, b, x), W),
        "db_num": scalar_gradient(lambda: loss_of(W, b, x), b),
        "dx_num": scalar_gradient(lambda: loss_of(W, b, x), x),
    }


TP2_EX2_BACKWARD = Check(
    id="tp2_ex2_backward",
    question="tp2_ex2",
    title="ej. 2: dL/dW, dL/db, dL/dx / exercise 2: dL/dW, dL/db, dL/dx",
    make_case=_ex2_case,
    run=_ex2_backward,
    compare=compare_gradients({"dW": "dW_num", "db": "db_num", "dx": "dx_num"}),
    tolerance=1e-8,
    calls=("layers.sigmoid_backward", "layers.mse_loss"),
)


# ---------------------------------------------------------------------------
# Activations and mse_loss on arrays
# ---------------------------------------------------------------------------


def _act_case(name: str) -> Callable[[np.random.Generator, bool], Case]:
    """x clipped to +-CLIP and dout, one shape (public (4, 5)); params alpha / slope (hidden only)."""
    # Public: (4, 5) inputs of order 1 and the default alpha / slope. Hidden: other shapes,
    # magnitudes 1e-2..3 (clipped to +-CLIP), and alpha in 0.2..2, slope in 0.01..0.3.

    def make(rng: np.random.Generator, hidden: bool) -> Case:
        params = {}
        if hidden:
            shape = tuple(int(s) for s in rng.integers(2, 6, size=int(rng.integers(1, 4))))
            scale = float(10 ** rng.uniform(-2, math.log10(3)))
            # the first hidden draw keeps the default alpha / slope (a wrong default shows there)
            if ACTIVATIONS[name] == "alpha" and edge(hidden, (False, True, True)):
                params["alpha"] = float(rng.uniform(0.2, 2.0))
            elif ACTIVATIONS[name] == "slope" and edge(hidden, (False, True, True)):
                params["slope"] = float(rng.uniform(0.01, 0.3))
        else:
            shape, scale = (4, 5), 1.5
        x = np.clip(nonzero_normal(rng, shape, scale), -CLIP, CLIP)
        if hidden:
            x = both_signs(x)
        return Case({"x": x, "dout": rng.standard_normal(shape)}, params)

    return make


def _act_forward(name: str) -> Callable[[Impl, Case], Arrays]:
    def run(impl: Impl, case: Case) -> Arrays:
        fwd, _ = _act(impl, name, case)
        out, _ = fwd(case.copy("x"))
        return {"out": out}

    return run


def _act_backward(name: str) -> Callable[[Impl, Case], Arrays]:
    def run(impl: Impl, case: Case) -> Arrays:
        fwd, bwd = _act(impl, name, case)
        x, dout = case.copy("x"), case.copy("dout")
        _, cache = fwd(x)
        dx = bwd(dout, cache)
        h = 1e-6 * max(float(np.abs(case["x"]).max()), 1e-3)
        return {"dx": dx, "dx_num": numeric_gradient(lambda v: fwd(v)[0], case.copy("x"), dout, h=h)}

    return run


def _mse_case(rng: np.random.Generator, hidden: bool) -> Case:
    """x (N, D) predictions and y (N, D) targets; params: none."""
    if hidden:
        # one sample or several, one output or several
        n, d = (
            edge(hidden, (1, int(rng.integers(2, 9)), int(rng.integers(2, 9)))),
            edge(hidden, (3, 1, int(rng.integers(2, 6)))),
        )
        scale = float(10 ** rng.uniform(-2, 2))
    else:
        n, d, scale = 4, 3, 1.0
    return Case({"x": scale * rng.standard_normal((n, d)), "y": scale * rng.standard_normal((n, d))})


def _mse_run(impl: Impl, case: Case) -> Arrays:
    y = case.copy("y")
    loss, dx = impl.layers.mse_loss(case.copy("x"), y)
    num = numeric_gradient(lambda v: impl.layers.mse_loss(v, y)[0], case.copy("x"), np.array(1.0))
    return {"loss": scalar(loss), "dx": dx, "dx_num": num}


TP2_MSE_LOSS = Check(
    id="tp2_mse_loss",
    question="tp2_activations",
    title="mse_loss: costo y dx (MSE del curso) / loss and dx (the course's MSE)",
    make_case=_mse_case,
    run=_mse_run,
    compare=compare_all_gradients,
    tolerance=1e-9,  # a mean of squares in float64
    calls=("layers.mse_loss",),
    conventions=("batch_sum",),  # the course's 2 (S - Y) as well as the exact 2 (S - Y) / N
)


# ---------------------------------------------------------------------------
# Networks: building from specs, and a trusted numpy forward / trainer
# ---------------------------------------------------------------------------


def _np_act(name: str, z: np.ndarray) -> np.ndarray:
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return 0.5 * (1 + np.tanh(0.5 * z))
    if name == "relu":
        return np.maximum(z, 0)
    if name == "linear":
        return z
    raise ValueError(f"no trusted forward for activation {name!r}")


def _dims(spec: list, input_dim: int) -> list[tuple[int, int] | None]:
    """(d_in, units) for each dense layer, None for a concatenation."""
    out, width = [], input_dim
    for item in spec:
        if item[0] == "dense":
            out.append((width, int(item[1])))
            width = int(item[1])
        else:
            out.append(None)
            width += input_dim
    return out


def _init_params(rng: np.random.Generator, spec: list, input_dim: int, bias: float = 0.0) -> Arrays:
    """Glorot-uniform weights (as Dense draws them) and biases of spread ``bias``."""
    arrays = {}
    for i, dims in enumerate(_dims(spec, input_dim)):
        if dims is None:
            continue
        limit = math.sqrt(6.0 / sum(dims))
        arrays[f"p{i}_W"] = rng.uniform(-limit, limit, dims)
        arrays[f"p{i}_b"] = bias * rng.standard_normal(dims[1])
    return arrays


def trusted_forward(params: Arrays, spec: list, x: np.ndarray) -> np.ndarray:
    """The network's output computed here, on the trusted side, from returned parameters."""
    h = np.asarray(x, dtype=np.float64)
    for i, item in enumerate(spec):
        if item[0] == "dense":
            h = _np_act(item[2], h @ params[f"p{i}_W"].astype(np.float64) + params[f"p{i}_b"].astype(np.float64))
        else:
            h = np.concatenate([x, h], axis=1)
    return h


def trusted_train(params: Arrays, spec: list, x: np.ndarray, y: np.ndarray, lr: float, epochs: int) -> Arrays:
    """Full-batch gradient descent on the course's MSE (mean over examples of the sum over outputs).

    Written here independently of reference/: the XOR cases use it to keep
    only initialisations from which training reaches 100%.
    """
    p = {k: v.copy() for k, v in params.items()}
    for _ in range(epochs):
        hs, outs = [x], []
        h = x
        for i, item in enumerate(spec):
            if item[0] == "dense":
                h = _np_act(item[2], h @ p[f"p{i}_W"] + p[f"p{i}_b"])
            else:
                h = np.concatenate([x, h], axis=1)
            outs.append(h)
            hs.append(h)
        d = 2 * (h - y) / h.shape[0]
        for i in range(len(spec) - 1, -1, -1):
            item = spec[i]
            if item[0] == "dense":
                a = outs[i]
                dz = d * (1 - a * a) if item[2] == "tanh" else d
                gW, gb = hs[i].T @ dz, dz.sum(axis=0)
                d = dz @ p[f"p{i}_W"].T
                p[f"p{i}_W"] -= lr * gW
                p[f"p{i}_b"] -= lr * gb
            else:
                d = d[:, x.shape[1]:]
    return p


#: The lab's activation classes for the spec names.
ACTIVATION_CLASSES = {"tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "ReLU", "linear": "Linear"}


def _build(impl: Impl, spec: list, input_dim: int, case: Case | None = None):
    """A Network of the submission, built from ``spec`` with the lab's calls, with the case's parameters.

    ``Input(d)`` first (layer 0, no parameters), then ``Dense(units, activations.Tanh())`` /
    ``Concatenate(d)``: the parameters of spec item i are layer i + 1's.
    """
    M, Ly, A = impl.network_models, impl.network_layers, impl.network_activations
    net = M.Network(seed=0)
    net.add(Ly.Input(input_dim))
    for item in spec:
        if item[0] == "dense":
            net.add(Ly.Dense(int(item[1]), getattr(A, ACTIVATION_CLASSES[item[2]])()))
        else:
            net.add(Ly.Concatenate(input_dim))
    if case is not None:
        for i, layer in enumerate(net.layers[1:]):
            for k in ("W", "b"):
                if f"p{i}_{k}" in case.arrays:
                    layer.params[k] = case.copy(f"p{i}_{k}")
    return net


def _reg(impl: Impl, case: Case):
    kind = case.params.get("reg")
    if not kind:
        return None
    return getattr(impl.network_regularizers, kind)(float(case["lam"]))


def _loss(impl: Impl, case: Case):
    return getattr(impl.network_losses, case["loss"])()


def _param_outputs(net, prefix: str) -> Arrays:
    out = {}
    for i, layer in enumerate(net.layers[1:]):
        for k, v in layer.params.items():
            out[f"{prefix}{i}_{k}"] = np.array(v, copy=True)
    return out


# ---------------------------------------------------------------------------
# Dense and Concatenate
# ---------------------------------------------------------------------------


def _dense_case(rng: np.random.Generator, hidden: bool) -> Case:
    """h (N, D), W (D, M), b (M,), dout (N, M); params activation."""
    if hidden:
        # a batch of one, then batches of several (a mean where a sum is due shows only there)
        n, d, m = (
            edge(hidden, (1, int(rng.integers(2, 7)), int(rng.integers(2, 7)))),
            int(rng.integers(1, 6)),
            int(rng.integers(1, 6)),
        )
        act = str(rng.choice(["sigmoid", "tanh", "relu", "linear"]))
        scale = float(10 ** rng.uniform(-1, 0.5))
    else:
        n, d, m, act, scale = 4, 3, 5, "tanh", 1.0
    return Case(
        {
            "h": scale * rng.standard_normal((n, d)),
            "W": rng.standard_normal((d, m)) / math.sqrt(d),
            "b": 0.5 * rng.standard_normal(m),
            "dout": rng.standard_normal((n, m)),
        },
        {"activation": act},
    )


def _dense(impl: Impl, case: Case):
    layer = impl.network_layers.Dense(case["W"].shape[1], case["activation"], input_dim=case["W"].shape[0])
    layer.build(case["W"].shape[0], case["W"].shape[0], np.random.default_rng(0))
    layer.params["W"], layer.params["b"] = case.copy("W"), case.copy("b")
    return layer


def _dense_forward(impl: Impl, case: Case) -> Arrays:
    out, _ = _dense(impl, case).forward(case.copy("h"), case.copy("h"))
    return {"out": out}


TP2_DENSE_FORWARD = Check(
    id="tp2_dense_forward",
    question="tp2_layers",
    title="Dense forward (tanh; oculto: otras activaciones / hidden: other activations)",
    make_case=_dense_case,
    run=_dense_forward,
    compare=compare_values(["out"]),
    tolerance=1e-9,
    calls=("network.layers.Dense.forward",),
)


def _dense_backward(impl: Impl, case: Case) -> Arrays:
    layer = _dense(impl, case)
    h, dout = case.copy("h"), case.copy("dout")
    _, cache = layer.forward(h, h)
    dh, _, grads = layer.backward(dout, cache)
    out = {"dh": dh, "dW": grads["W"], "db": grads["b"]}
    out["dh_num"] = numeric_gradient(lambda v: layer.forward(v, v)[0], case.copy("h"), dout)
    for k in ("W", "b"):
        out[f"d{k}_num"] = numeric_gradient(lambda _: layer.forward(h, h)[0], layer.params[k], dout)
    return out


TP2_DENSE_BACKWARD = Check(
    id="tp2_dense_backward",
    question="tp2_layers",
    title="Dense backward: dh, dW, db",
    make_case=_dense_case,
    run=_dense_backward,
    compare=compare_gradients({"dh": "dh_num", "dW": "dW_num", "db": "db_num"}),
    tolerance=1e-8,
    calls=("network.layers.Dense.forward", "network.layers.Dense.backward"),
)


def _concat_case(rng: np.random.Generator, hidden: bool) -> Case:
    """h (N, K), x (N, D), dout (N, D + K); params: none."""
    if hidden:
        n, d, k = int(rng.integers(1, 7)), int(rng.integers(1, 5)), int(rng.integers(1, 5))
    else:
        n, d, k = 4, 2, 3
    return Case(
        {"h": rng.standard_normal((n, k)), "x": rng.standard_normal((n, d)), "dout": rng.standard_normal((n, d + k))}
    )


def _concat(impl: Impl, case: Case):
    layer = impl.network_layers.Concatenate()
    layer.build(case["h"].shape[1], case["x"].shape[1], np.random.default_rng(0))
    return layer


def _concat_forward(impl: Impl, case: Case) -> Arrays:
    out, _ = _concat(impl, case).forward(case.copy("h"), case.copy("x"))
    return {"out": out}


TP2_CONCATENATE_FORWARD = Check(
    id="tp2_concatenate_forward",
    question="tp2_layers",
    title="Concatenate forward: [x, h] (la entrada primero / the input first)",
    make_case=_concat_case,
    run=_concat_forward,
    compare=compare_values(["out"]),
    tolerance=1e-12,  # a copy: exact
    calls=("network.layers.Concatenate.forward",),
)


def _concat_backward(impl: Impl, case: Case) -> Arrays:
    layer = _concat(impl, case)
    h, x, dout = case.copy("h"), case.copy("x"), case.copy("dout")
    _, cache = layer.forward(h, x)
    dh, dx, _ = layer.backward(dout, cache)
    return {
        "dh": dh,
        "dx": dx,
        "dh_num": numeric_gradient(lambda v: layer.forward(v, x)[0], case.copy("h"), dout),
        "dx_num": numeric_gradient(lambda v: layer.forward(h, v)[0], case.copy("x"), dout),
    }


TP2_CONCATENATE_BACKWARD = Check(
    id="tp2_concatenate_backward",
    question="tp2_layers",
    title="Concatenate backward: el gradiente dividido en dh y dx / the gradient split into dh and dx",
    make_case=_concat_case,
    run=_concat_backward,
    compare=compare_gradients({"dh": "dh_num", "dx": "dx_num"}),
    tolerance=1e-12,  # slices: exact
    calls=("network.layers.Concatenate.backward",),
)


# ---------------------------------------------------------------------------
# Whole networks: gradients and two epochs of fit
# ---------------------------------------------------------------------------

#: Dense(tanh) -> Concatenate -> Dense(sigmoid) -> Dense(linear): every kind of layer and a
#: concatenation in the middle, so a gradient of the input part that leaks back shows.
NET_SPEC = [["dense", 4, "tanh"], ["concat"], ["dense", 3, "sigmoid"], ["dense", 2, "linear"]]


def _net_case(rng: np.random.Generator, hidden: bool) -> Case:
    """X (N, D), p{i}_W, p{i}_b per NET_SPEC layer, y (N, C) for MSE else (N,); params loss, reg, lam, lr, epochs."""
    if hidden:
        n, d = int(rng.integers(3, 9)), int(rng.integers(2, 5))
        loss = str(rng.choice(["MSE", "SVM", "CCE"]))
        reg = str(rng.choice(["L2", "L1"]))
        lam = float(10 ** rng.uniform(-2, 0))
    else:
        n, d, loss, reg, lam = 5, 3, "MSE", "L2", 0.3
    c = NET_SPEC[-1][1]
    arrays = {"X": rng.standard_normal((n, d)), **_init_params(rng, NET_SPEC, d, bias=0.3)}
    if loss == "MSE":
        arrays["y"] = rng.standard_normal((n, c))
    else:
        arrays["y"] = rng.integers(0, c, size=n)
    return Case(arrays, {"loss": loss, "reg": reg, "lam": lam, "lr": 0.5, "epochs": 2})


def _net_grads(impl: Impl, case: Case) -> Arrays:
    d = case["X"].shape[1]
    net = _build(impl, case.params.get("spec", NET_SPEC), d, case)
    X, y = case.copy("X"), case.copy("y")
    loss, reg = _loss(impl, case), _reg(impl, case)
    value, grads = net.loss_and_grads(X, y, loss, reg)
    out = {"loss": scalar(value)}
    for i, g in enumerate(grads[1:]):
        for k, v in (g or {}).items():
            out[f"d{i}_{k}"] = np.array(v, copy=True)
    for i, layer in enumerate(net.layers[1:]):
        for k, p in layer.params.items():
            out[f"d{i}_{k}_num"] = scalar_gradient(lambda: net.loss_and_grads(X, y, loss, reg)[0], p)
    return out


TP2_NETWORK_GRADS = Check(
    id="tp2_network_grads",
    question="tp2_layers",
    title="Network.loss_and_grads: Dense-Concatenate-Dense-Dense con regularizador / with a regularizer",
    make_case=_net_case,
    run=_net_grads,
    compare=compare_all_gradients,
    tolerance=1e-8,
    calls=("network.models.Network.loss_and_grads", "network.models.Network.backward"),
    conventions=("batch_sum",),  # the course's 2 (S - Y) as well as the exact 2 (S - Y) / N
)


def _fit_epochs(impl: Impl, case: Case) -> Arrays:
    """``fit`` for 2 epochs in full batch (the shuffled order does not change the mean gradient)."""
    d = case["X"].shape[1]
    net = _build(impl, case.params.get("spec", NET_SPEC), d, case)
    opt = impl.network_optimizers.SGD(lr=float(case["lr"]), bs=None)
    history = net.fit(
        case.copy("X"),
        case.copy("y"),
        epochs=int(case["epochs"]),
        loss=_loss(impl, case),
        opt=opt,
        reg=_reg(impl, case),
    )
    return {**_param_outputs(net, "p"), "history_loss": np.asarray(history["loss"], dtype=np.float64)}


TP2_FIT_EPOCHS = Check(
    id="tp2_fit_epochs",
    question="tp2_training",
    title="Network.fit: 2 épocas de batch completo con regularizador / 2 full-batch epochs with a regularizer",
    make_case=_net_case,
    run=_fit_epochs,
    compare=compare_values(),
    tolerance=1e-8,
    calls=("network.models.Network.fit",),
    conventions=("batch_sum",),  # the course's 2 (S - Y) as well as the exact 2 (S - Y) / N
)


# ---------------------------------------------------------------------------
# Losses, regularizers, the optimizer
# ---------------------------------------------------------------------------


def _loss_case(kind: str) -> Callable[[np.random.Generator, bool], Case]:
    """pred (N, C); target (N, C) for MSE, else labels (N,) or one-hot (N, C); params loss."""

    def make(rng: np.random.Generator, hidden: bool) -> Case:
        if hidden:
            n, c = int(rng.integers(2, 9)), int(rng.integers(2, 7))
            scale = float(10 ** rng.uniform(-1, 1))
            coded = bool(rng.integers(0, 2))
        else:
            n, c, scale, coded = 5, 4, 1.0, False
        arrays = {"pred": scale * rng.standard_normal((n, c))}
        if kind == "MSE":
            arrays["target"] = rng.standard_normal((n, c))
        else:
            labels = rng.integers(0, c, size=n)
            arrays["target"] = np.eye(c)[labels] if coded else labels
        return Case(arrays, {"loss": kind})

    return make


def _loss_run(impl: Impl, case: Case) -> Arrays:
    loss = _loss(impl, case)
    target = case.copy("target")
    value, dpred = loss(case.copy("pred"), target), loss.gradient(case.copy("pred"), target)
    num = numeric_gradient(lambda v: loss(v, target), case.copy("pred"), np.array(1.0))
    return {"loss": scalar(value), "dpred": dpred, "dpred_num": num}


TP2_LOSS_MSE = Check(
    id="tp2_loss_mse",
    question="tp2_training",
    title="losses.MSE: costo y gradiente / loss and gradient",
    make_case=_loss_case("MSE"),
    run=_loss_run,
    compare=compare_all_gradients,
    tolerance=1e-9,
    calls=("network.losses.MSE", "layers.mse_loss"),
    conventions=("batch_sum",),  # the course's 2 (S - Y) as well as the exact 2 (S - Y) / N
)


TP2_LOSS_SVM = Check(
    id="tp2_loss_svm",
    question="tp2_training",
    title="losses.SVM: costo y gradiente / loss and gradient (etiquetas / labels; oculto / hidden: one-hot)",
    make_case=_loss_case("SVM"),
    run=_loss_run,
    compare=compare_all_gradients,
    tolerance=1e-8,
    calls=("network.losses.SVM", "layers.svm_loss"),
    conventions=("batch_sum",),  # the course's 2 (S - Y) as well as the exact 2 (S - Y) / N
)


TP2_LOSS_CCE = Check(
    id="tp2_loss_cce",
    question="tp2_training",
    title="losses.CCE: costo y gradiente / loss and gradient (etiquetas / labels; oculto / hidden: one-hot)",
    make_case=_loss_case("CCE"),
    run=_loss_run,
    compare=compare_all_gradients,
    tolerance=1e-8,
    calls=("network.losses.CCE", "layers.softmax_loss"),
    conventions=("batch_sum",),  # the course's 2 (S - Y) as well as the exact 2 (S - Y) / N
)


def _reg_case(kind: str) -> Callable[[np.random.Generator, bool], Case]:
    """W (R, C) without zeros; params reg, lam."""

    def make(rng: np.random.Generator, hidden: bool) -> Case:
        if hidden:
            shape = tuple(int(s) for s in rng.integers(1, 7, size=2))
            lam = float(10 ** rng.uniform(-3, 1))
        else:
            shape, lam = (3, 4), 0.1
        return Case({"W": nonzero_normal(rng, shape)}, {"reg": kind, "lam": lam})

    return make


def _reg_run(impl: Impl, case: Case) -> Arrays:
    reg = _reg(impl, case)
    W = case.copy("W")
    return {
        "penalty": scalar(reg(W)),
        "dW": np.asarray(reg.gradient(W)),
        "dW_num": scalar_gradient(lambda: reg(W), W),
    }


TP2_L2 = Check(
    id="tp2_l2",
    question="tp2_training",
    title="regularizers.L2: penalidad y gradiente (un array de la forma de W) / penalty and gradient (an array of "
    "W's shape)",
    make_case=_reg_case("L2"),
    run=_reg_run,
    compare=compare_all_gradients,
    tolerance=1e-9,
    calls=("network.regularizers.L2",),
)


TP2_L1 = Check(
    id="tp2_l1",
    question="tp2_training",
    title="regularizers.L1: penalidad y gradiente (un array de la forma de W) / penalty and gradient (an array of "
    "W's shape)",
    make_case=_reg_case("L1"),
    run=_reg_run,
    compare=compare_all_gradients,
    tolerance=1e-9,
    calls=("network.regularizers.L1",),
)


def _bgd_batches_case(rng: np.random.Generator, hidden: bool) -> Case:
    """No arrays; params n, bs (0: the full batch) and seed."""
    n = int(rng.integers(10, 60)) if hidden else 23
    bs = int(rng.integers(1, n + 1)) if hidden else 5
    if hidden and rng.integers(0, 4) == 0:
        bs = 0  # full batch (bs=None)
    return Case({}, {"n": n, "bs": bs, "seed": int(rng.integers(0, 2**31))})


def _bgd_batches(impl: Impl, case: Case) -> Arrays:
    bs = int(case["bs"]) or None
    opt = impl.network_optimizers.SGD(lr=0.1, bs=bs)
    rng = np.random.default_rng(int(case["seed"]))
    out = {}
    for epoch in range(3):
        batches = [np.asarray(b).reshape(-1) for b in opt.batches(int(case["n"]), rng)]
        out[f"order{epoch}"] = np.concatenate(batches) if batches else np.zeros(0, dtype=np.int64)
        out[f"sizes{epoch}"] = np.array([b.size for b in batches], dtype=np.int64)
    return out


def _bgd_batches_compare(got: Arrays, expected: Arrays, case: Case, tolerance: float) -> Measure:
    """Properties, not values: each epoch is a permutation of range(n) in batches of bs, in a new order.

    A correct shuffle gives the identity order, or the same order twice, with
    probability at most 2 / 10! over the epochs compared: negligible.
    """
    n, bs = int(case["n"]), int(case["bs"]) or int(case["n"])
    want_sizes = [bs] * (n // bs) + ([n % bs] if n % bs else [])
    orders = []
    for epoch in range(3):
        order, sizes = got.get(f"order{epoch}"), got.get(f"sizes{epoch}")
        e = epoch + 1
        if not isinstance(order, np.ndarray) or order.dtype.kind not in "iu" or not isinstance(sizes, np.ndarray):
            return Measure(
                float("inf"), False,
                f"época {e}: batches() debe devolver arreglos de índices enteros / epoch {e}: batches() must return "
                "arrays of integer indices",
            )
        if sorted(order.tolist()) != list(range(n)):
            return Measure(
                float("inf"), False,
                f"época {e}: los batches no recorren cada uno de los {n} ejemplos exactamente una vez / epoch {e}: "
                f"the batches do not visit each of the {n} examples exactly once",
            )
        if sizes.tolist() != want_sizes:
            return Measure(
                float("inf"), False,
                f"época {e}: tamaños de batch {sizes.tolist()}, se esperaba {want_sizes} / epoch {e}: batch sizes "
                f"{sizes.tolist()}, expected {want_sizes} (bs={case['bs'] or None})",
            )
        orders.append(order.tolist())
    if n > 1 and any(o == list(range(n)) for o in orders):
        return Measure(
            float("inf"), False,
            "los ejemplos se recorren en su orden original: mezclarlos en cada época / the examples are visited in "
            "their original order: shuffle them each epoch",
        )
    if n > 1 and (orders[0] == orders[1] or orders[1] == orders[2]):
        return Measure(
            float("inf"), False,
            "dos épocas recorren los ejemplos en el mismo orden: una permutación nueva por época / two epochs visit "
            "the examples in the same order: draw a new permutation each epoch",
        )
    return Measure(0.0, True)


TP2_BGD_BATCHES = Check(
    id="tp2_bgd_batches",
    question="tp2_training",
    title="SGD.batches: cada ejemplo una vez por época, en batches de bs, mezclados / every example once per "
    "epoch, in batches of bs, shuffled",
    make_case=_bgd_batches_case,
    run=_bgd_batches,
    compare=_bgd_batches_compare,
    tolerance=1.0,  # a property check: pass / fail, no measured error
    calls=("network.optimizers.SGD.batches",),
)


def _bgd_update_case(rng: np.random.Generator, hidden: bool) -> Case:
    """param (R, C) and grad (R, C); params lr."""
    shape = tuple(int(s) for s in rng.integers(1, 6, size=2)) if hidden else (3, 4)
    lr = float(10 ** rng.uniform(-3, 0)) if hidden else 0.05
    return Case({"param": rng.standard_normal(shape), "grad": rng.standard_normal(shape)}, {"lr": lr})


def _bgd_update(impl: Impl, case: Case) -> Arrays:
    opt = impl.network_optimizers.SGD(lr=float(case["lr"]))
    param = case.copy("param")
    returned = opt.update(param, case.copy("grad"))
    return {"returned": np.array(returned, copy=True), "in_place": param}


TP2_BGD_UPDATE = Check(
    id="tp2_bgd_update",
    question="tp2_training",
    title="SGD.update: param - lr * grad, in place",
    make_case=_bgd_update_case,
    run=_bgd_update,
    compare=compare_values(["returned", "in_place"]),
    tolerance=1e-12,
    calls=("network.optimizers.SGD.update",),
)


# ---------------------------------------------------------------------------
# XOR and parity: training reaches 100%
# ---------------------------------------------------------------------------

#: The lab's architectures: (a) 2-2-1 tanh; (b) 2 inputs -> 1 tanh hidden unit, whose output
#: the tanh output unit sees beside the 2 inputs (the lab's figure).
XOR_A = [["dense", 2, "tanh"], ["dense", 1, "tanh"]]
XOR_B = [["dense", 1, "tanh"], ["concat"], ["dense", 1, "tanh"]]
#: Training in the checks: full batch, a larger rate and fewer epochs than the lab's
#: lr=0.01 x 3000 so that a check stays well under a second.
XOR_TRAIN = {"lr": 0.2, "epochs": 400}
PARITY_TRAIN = {"lr": 0.2, "epochs": 300, "hidden": 15}


def _patterns(n: int) -> tuple[np.ndarray, np.ndarray]:
    """All 2**n inputs in {-1, 1}^n and the lab's target, their product (XOR for n = 2:
    -1 when the inputs differ, 1 when they are equal)."""
    x = np.array(list(itertools.product([-1.0, 1.0], repeat=n)))
    return x, np.prod(x, axis=1, keepdims=True)


def _train_case(spec_of: Callable[[int], list], n_inputs: Callable[[np.random.Generator, bool], int], train: dict):
    """An initialisation from which trusted_train reaches 100% (redrawn until it does)."""

    def make(rng: np.random.Generator, hidden: bool) -> Case:
        n = n_inputs(rng, hidden)
        spec = spec_of(n)
        x, y = _patterns(n)
        for _ in range(100):
            params = _init_params(rng, spec, n)
            final = trusted_train(params, spec, x, y, train["lr"], train["epochs"])
            if np.all(np.sign(trusted_forward(final, spec, x)) == y):
                break
        else:  # pragma: no cover - about 1 draw in 4 fails; 100 failures in a row do not happen
            raise RuntimeError("no initialisation reached 100%")
        return Case({"X": x, "y": y, **params}, {"spec": spec, "lr": train["lr"], "epochs": train["epochs"]})

    return make


def _summed_over_batch(loss) -> bool:
    """Whether ``loss.gradient`` is the course's 2 (S - Y), the gradient of the MSE summed over the batch
    (``grader.checks.conventions``), rather than the mean's 2 (S - Y) / N, on a two-example probe."""
    S, Y = np.array([[0.5], [-0.25]]), np.ones((2, 1))
    try:
        g = np.asarray(loss.gradient(S.copy(), Y.copy()), dtype=np.float64)
    except Exception:  # noqa: BLE001 - a broken gradient fails the training itself
        return False
    return g.shape == S.shape and bool(np.allclose(g, 2 * (S - Y)))


def _train_run(impl: Impl, case: Case) -> Arrays:
    """``fit`` from the case's weights, full batch. Under the course's convention, whose steps are N times
    those of the mean's, at lr / N: the same steps, so both are judged on the same trajectory."""
    net = _build(impl, case["spec"], case["X"].shape[1], case)
    loss = impl.network_losses.MSE()
    lr = float(case["lr"])
    if _summed_over_batch(loss):
        lr /= case["X"].shape[0]
    opt = impl.network_optimizers.SGD(lr=lr, bs=None)
    net.fit(
        case.copy("X"), case.copy("y"), epochs=int(case["epochs"]), loss=loss, opt=opt,
        name=case.params.get("name", "XOR"),
    )
    return _param_outputs(net, "p")


#: Exercise 7 with N' << N: N inputs, N' hidden tanh units. What is asserted is robust across
#: seeds: the parameters after a few full-batch epochs from the case's initialisation equal the
#: trusted trainer's (whether such a narrow net ever reaches 100% depends on the draw, so it is
#: not asserted).
NARROW_TRAIN = {"lr": 0.1, "epochs": 20}


def _narrow_case(rng: np.random.Generator, hidden: bool) -> Case:
    """X (2**n, n) in {-1, 1}, y (2**n, 1), p0_W (n, h), p0_b (h,), p1_W (h, 1), p1_b (1,); params spec, ..."""
    n, hidden_units = (int(rng.integers(5, 8)), int(rng.integers(1, 3))) if hidden else (6, 2)
    spec = [["dense", hidden_units, "tanh"], ["dense", 1, "tanh"]]
    x, y = _patterns(n)
    params = _init_params(rng, spec, n, bias=0.3)
    return Case({"X": x, "y": y, **params}, {"spec": spec, "name": "parity", **NARROW_TRAIN})


def _narrow_expected(case: Case) -> Arrays:
    params = {k: case[k] for k in case.arrays if k.startswith("p")}
    final = trusted_train(params, case["spec"], case["X"], case["y"], float(case["lr"]), int(case["epochs"]))
    return final


def _narrow_compare(got: Arrays, expected: Arrays, case: Case, tolerance: float) -> Measure:
    """The returned parameters against the trusted trainer's, run here from the case."""
    measure = compare_values()(got, _narrow_expected(case), case, tolerance)
    if measure.passed:
        return measure
    return Measure(
        measure.error, False,
        f"{measure.detail} -- tras {case['epochs']} épocas (lr={case['lr']}, batch completo) los parámetros difieren "
        f"de los del entrenador de referencia / after {case['epochs']} full-batch epochs the parameters differ from "
        "the trusted trainer's: check the MSE gradient, Dense's backward and fit",
    )


TP2_PARITY_NARROW = Check(
    id="tp2_parity_narrow",
    question="tp2_xor",
    title="paridad con N' << N (público N=6, N'=2): parámetros tras 20 épocas / parity with N' << N: parameters "
    "after 20 epochs",
    make_case=_narrow_case,
    run=_train_run,
    compare=_narrow_compare,
    tolerance=1e-8,  # 20 full-batch steps in float64: orderings of the batch sum agree to ~1e-13
    calls=("network.models.Network.fit", "network.losses.MSE.gradient"),
)


def _accuracy_compare(got: Arrays, expected: Arrays, case: Case, tolerance: float) -> Measure:
    """The accuracy of the returned parameters, recomputed here; ``tolerance`` is the accuracy required.

    The "error" column shows the accuracy reached; it passes when accuracy >= tolerance.
    """
    for name in expected:
        problem = validate(name, got[name], expected[name]) if name in got else f"{name}: not returned"
        if problem:
            return Measure(0.0, False, f"tras entrenar / after training: {problem}")
    pred = trusted_forward(got, case["spec"], case["X"])
    accuracy = float(np.mean(np.sign(pred) == case["y"]))
    if accuracy >= tolerance:
        return Measure(accuracy, True)
    return Measure(
        accuracy,
        False,
        f"precisión {accuracy:.2f} tras {case['epochs']} épocas desde una inicialización que la referencia lleva "
        f"al 100% / "
        f"accuracy {accuracy:.2f} after {case['epochs']} epochs (lr={case['lr']}, full batch) from an initialisation "
        f"the reference trains to 100%: check Dense's backward, the MSE gradient and fit",
    )


TP2_XOR_A = Check(
    id="tp2_xor_a",
    question="tp2_xor",
    title="XOR (objetivo x1*x2), arquitectura (a) 2-2-1 tanh, MSE, SGD batch completo: 100% / XOR (target x1*x2), "
    "architecture (a): 100% accuracy",
    make_case=_train_case(lambda n: XOR_A, lambda rng, hidden: 2, XOR_TRAIN),
    run=_train_run,
    compare=_accuracy_compare,
    tolerance=1.0,  # the accuracy required; the case's initialisation trains to 100%
    calls=("network.models.Network.fit",),
)


TP2_XOR_B = Check(
    id="tp2_xor_b",
    question="tp2_xor",
    title="XOR, arquitectura (b): 1 unidad oculta + Concatenate, la salida ve las entradas: 100% / architecture "
    "(b), 1 hidden unit: 100% accuracy",
    make_case=_train_case(lambda n: XOR_B, lambda rng, hidden: 2, XOR_TRAIN),
    run=_train_run,
    compare=_accuracy_compare,
    tolerance=1.0,
    calls=("network.models.Network.fit", "network.layers.Concatenate"),
)


TP2_PARITY = Check(
    id="tp2_parity",
    question="tp2_xor",
    title="paridad (producto de las N entradas) con N'=15 tanh: 100% / parity (product target), N'=15: 100% "
    "(public N=3; hidden N=2..4)",
    make_case=_train_case(
        lambda n: [["dense", PARITY_TRAIN["hidden"], "tanh"], ["dense", 1, "tanh"]],
        lambda rng, hidden: int(rng.integers(2, 5)) if hidden else 3,
        PARITY_TRAIN,
    ),
    run=_train_run,
    compare=_accuracy_compare,
    tolerance=1.0,
    calls=("network.models.Network.fit",),
)


# ---------------------------------------------------------------------------
# Exercises 3 and 4: the network without objects (student/tp2_ex3.py)
# ---------------------------------------------------------------------------


def _ex3_case(rng: np.random.Generator, hidden: bool) -> Case:
    """X (n, d), one-hot Y, W1 (d + 1, h) and W2 (h + 1, c) with the bias rows first."""
    # Also y (n,), grad (n, c) and scores (n, c).
    # Public: n=7, d=6, h=5, c=4, reg=0.1. Hidden: other sizes, scales and reg.
    if hidden:
        n, d, h, c = (int(v) for v in (rng.integers(3, 12), rng.integers(2, 9), rng.integers(2, 8), rng.integers(2, 6)))
        reg = float(10 ** rng.uniform(-3, 0))
        scale = float(10 ** rng.uniform(-1, 0.3))
    else:
        n, d, h, c, reg, scale = 7, 6, 5, 4, 0.1, 1.0
    labels = rng.integers(0, c, size=n)
    return Case(
        {
            "X": scale * rng.standard_normal((n, d)),
            "Y": np.eye(c)[labels],
            "y": labels,
            "W1": rng.standard_normal((d + 1, h)) / math.sqrt(d + 1),
            "W2": rng.standard_normal((h + 1, c)) / math.sqrt(h + 1),
            "grad": rng.standard_normal((n, c)),
            "scores": rng.standard_normal((n, c)),
        },
        {"reg": reg},
    )


def _ex3_forward(impl: Impl, case: Case) -> Arrays:
    scores, _ = impl.tp2_ex3.forward(case.copy("X"), case.copy("W1"), case.copy("W2"))
    return {"scores": scores}


TP2_EX3_FORWARD = Check(
    id="tp2_ex3_forward",
    question="tp2_ex3",
    title="ej. 3: forward sin POO, sigmoid + lineal con fila de bias / ex. 3: forward without objects",
    make_case=_ex3_case,
    run=_ex3_forward,
    compare=compare_values(["scores"]),
    tolerance=1e-9,
    calls=("tp2_ex3.forward",),
)


def _ex3_backward(impl: Impl, case: Case) -> Arrays:
    m = impl.tp2_ex3
    X, W1, W2, grad = case.copy("X"), case.copy("W1"), case.copy("W2"), case.copy("grad")
    _, cache = m.forward(X, W1, W2)
    dW1, dW2 = m.backward(grad.copy(), cache, W2.copy())
    return {
        "dW1": dW1,
        "dW2": dW2,
        **numeric_gradients(
            {
                "dW1_num": (lambda _: m.forward(X, W1, W2)[0], W1, grad),
                "dW2_num": (lambda _: m.forward(X, W1, W2)[0], W2, grad),
            }
        ),
    }


TP2_EX3_BACKWARD = Check(
    id="tp2_ex3_backward",
    question="tp2_ex3",
    title="ej. 3: backward, dW1 y dW2 / ex. 3: backward, dW1 and dW2",
    make_case=_ex3_case,
    run=_ex3_backward,
    compare=compare_gradients({"dW1": "dW1_num", "dW2": "dW2_num"}),
    tolerance=1e-8,
    calls=("tp2_ex3.backward",),
)


def _ex3_loss_fn(name: str) -> Callable[[Impl, Case], Arrays]:
    """loss_<name> and grad_<name> on the case's scores and one-hot Y, and the numeric gradient."""

    def run(impl: Impl, case: Case) -> Arrays:
        loss, grad = getattr(impl.tp2_ex3, f"loss_{name}"), getattr(impl.tp2_ex3, f"grad_{name}")
        S, Y = case.copy("scores"), case.copy("Y")
        return {
            "loss": scalar(loss(S, Y)),
            "dscores": np.asarray(grad(S.copy(), Y)),
            "dscores_num": scalar_gradient(lambda: loss(S, Y), S),
        }

    return run


TP2_EX3_MSE = Check(
    id="tp2_ex3_mse",
    question="tp2_ex3",
    title=(
        "ej. 3: loss_mse y grad_mse (media sobre ejemplos de la suma sobre salidas) / ex. 3: loss_mse, grad_mse"
    ),
    make_case=_ex3_case,
    run=_ex3_loss_fn("mse"),
    compare=compare_all_gradients,
    tolerance=1e-9,
    calls=("tp2_ex3.loss_mse", "tp2_ex3.grad_mse"),
    conventions=("batch_sum",),  # the course's 2 (S - Y) as well as the exact 2 (S - Y) / N
)


TP2_EX4_SOFTMAX = Check(
    id="tp2_ex4_softmax",
    question="tp2_ex4",
    title="ej. 4: loss_softmax y grad_softmax (cross-entropy categórica) / ex. 4: categorical cross-entropy and "
    "its gradient",
    make_case=_ex3_case,
    run=_ex3_loss_fn("softmax"),
    compare=compare_all_gradients,
    tolerance=1e-9,
    calls=("tp2_ex3.loss_softmax", "tp2_ex3.grad_softmax"),
    conventions=("batch_sum",),  # the course's 2 (S - Y) as well as the exact 2 (S - Y) / N
)


def _ex3_accuracy(impl: Impl, case: Case) -> Arrays:
    acc = impl.tp2_ex3.accuracy
    S = case.copy("scores")
    return {"acc_labels": scalar(acc(S, case.copy("y"))), "acc_onehot": scalar(acc(S, case.copy("Y")))}


def _ex3_accuracy_case(rng: np.random.Generator, hidden: bool) -> Case:
    """Scores whose argmax is the label for a known fraction of rows (no ties)."""
    case = _ex3_case(rng, hidden)
    S, y = case.arrays["scores"], case.arrays["y"]
    right = rng.random(len(y)) < 0.5
    S[right, y[right]] = np.abs(S[right]).max(axis=1) + 1.0
    return case


TP2_EX3_ACCURACY = Check(
    id="tp2_ex3_accuracy",
    question="tp2_ex3",
    title=(
        "ej. 3: la función accuracy propia (etiquetas y one-hot) / "
        "ex. 3: the student's accuracy (labels and one-hot)"
    ),
    make_case=_ex3_accuracy_case,
    run=_ex3_accuracy,
    compare=compare_values(["acc_labels", "acc_onehot"]),
    tolerance=1e-12,  # a fraction of rows: exact
    calls=("tp2_ex3.accuracy",),
)


def _ex3_loss_and_grads(loss: str) -> Callable[[Impl, Case], Arrays]:
    def run(impl: Impl, case: Case) -> Arrays:
        m = impl.tp2_ex3
        X, Y, W1, W2, reg = case.copy("X"), case.copy("Y"), case.copy("W1"), case.copy("W2"), float(case["reg"])
        value, dW1, dW2 = m.loss_and_grads(X, Y, W1, W2, reg, loss)
        f = lambda: m.loss_and_grads(X, Y, W1, W2, reg, loss)[0]  # noqa: E731
        return {
            "loss": scalar(value),
            "dW1": np.asarray(dW1),
            "dW2": np.asarray(dW2),
            "dW1_num": scalar_gradient(f, W1),
            "dW2_num": scalar_gradient(f, W2),
        }

    return run


TP2_EX3_LOSS_AND_GRADS = Check(
    id="tp2_ex3_loss_and_grads",
    question="tp2_ex3",
    title="ej. 3: costo MSE + L2 y sus gradientes / ex. 3: MSE + L2 loss and gradients",
    make_case=_ex3_case,
    run=_ex3_loss_and_grads("mse"),
    compare=compare_all_gradients,
    tolerance=1e-8,
    calls=("tp2_ex3.loss_and_grads",),
    conventions=("batch_sum",),  # the course's 2 (S - Y) as well as the exact 2 (S - Y) / N
)


TP2_EX4_SWITCH = Check(
    id="tp2_ex4_switch",
    question="tp2_ex4",
    title="ej. 4: loss_and_grads(..., loss='softmax'): costos intercambiables / ex. 4: switchable losses",
    make_case=_ex3_case,
    run=_ex3_loss_and_grads("softmax"),
    compare=compare_all_gradients,
    tolerance=1e-8,
    calls=("tp2_ex3.loss_and_grads", "tp2_ex3.loss_softmax", "tp2_ex3.grad_softmax"),
    conventions=("batch_sum",),  # the course's 2 (S - Y) as well as the exact 2 (S - Y) / N
)


def _ex3_epoch_case(rng: np.random.Generator, hidden: bool) -> Case:
    """An epoch in order (rng=None) over n examples in batches of bs with a partial last batch."""
    case = _ex3_case(rng, hidden)
    n = case.arrays["X"].shape[0]
    bs = int(rng.integers(2, n)) if hidden else 3
    if n % bs == 0:
        bs += 1
    return Case(case.arrays, {**case.params, "bs": bs, "lr": 0.2})


def _ex3_epoch(impl: Impl, case: Case) -> Arrays:
    m = impl.tp2_ex3
    W1, W2 = case.copy("W1"), case.copy("W2")
    loss, acc = m.train_epoch(
        case.copy("X"), case.copy("Y"), W1, W2, float(case["lr"]), float(case["reg"]), int(case["bs"]), "mse", None
    )
    return {"W1": W1, "W2": W2, "loss": scalar(loss), "accuracy": scalar(acc)}


TP2_EX3_EPOCH = Check(
    id="tp2_ex3_epoch",
    question="tp2_ex3",
    title="ej. 3: una época en orden, con el último batch parcial / ex. 3: one epoch in order, the last partial "
    "batch included",
    make_case=_ex3_epoch_case,
    run=_ex3_epoch,
    compare=compare_values(),
    tolerance=1e-8,
    calls=("tp2_ex3.train_epoch",),
    conventions=("batch_sum",),  # the course's 2 (S - Y) as well as the exact 2 (S - Y) / N
)


# ---------------------------------------------------------------------------
# Exercises 5 and 8: the networks built with the library
# ---------------------------------------------------------------------------

#: Exercise 5: ReLU hidden layer, sigmoid outputs (the lab's 100 and 10 units, scaled down).
EX5_SPEC = [["dense", 6, "relu"], ["dense", 4, "sigmoid"]]
#: Exercise 8: exercise 3 with a second hidden layer of the same activation (sigmoid), linear outputs.
EX8_SPEC = [["dense", 6, "sigmoid"], ["dense", 6, "sigmoid"], ["dense", 4, "linear"]]


def _spec_net_case(spec: list, losses_: tuple[str, ...]) -> Callable[[np.random.Generator, bool], Case]:
    """X (N, D), one-hot y (N, C), p{i}_W (d_{i-1}, d_i), p{i}_b (d_i,) per spec layer; params spec, loss, lam."""

    def make(rng: np.random.Generator, hidden: bool) -> Case:
        n, d = (int(rng.integers(3, 9)), int(rng.integers(3, 8))) if hidden else (5, 5)
        loss = str(rng.choice(list(losses_))) if hidden else losses_[0]
        lam = float(10 ** rng.uniform(-3, -1)) if hidden else 0.01
        c = spec[-1][1]
        labels = rng.integers(0, c, size=n)
        arrays = {"X": rng.standard_normal((n, d)), "y": np.eye(c)[labels], **_init_params(rng, spec, d, bias=0.3)}
        return Case(arrays, {"spec": spec, "loss": loss, "reg": "L2", "lam": lam, "lr": 0.3, "epochs": 1})

    return make


TP2_EX5_GRADS = Check(
    id="tp2_ex5_grads",
    question="tp2_ex5_ex8",
    title="ej. 5: ReLU + salida sigmoide con MSE (oculto: y CCE), gradientes con la biblioteca / ex. 5: gradients",
    make_case=_spec_net_case(EX5_SPEC, ("MSE", "CCE")),
    run=_net_grads,
    compare=compare_all_gradients,
    tolerance=1e-8,
    calls=("network.models.Network.loss_and_grads",),
    conventions=("batch_sum",),  # the course's 2 (S - Y) as well as the exact 2 (S - Y) / N
)


TP2_EX5_STEP = Check(
    id="tp2_ex5_step",
    question="tp2_ex5_ex8",
    title="ej. 5: un paso de entrenamiento (fit, 1 época) / ex. 5: one training step",
    make_case=_spec_net_case(EX5_SPEC, ("MSE", "CCE")),
    run=_fit_epochs,
    compare=compare_values(),
    tolerance=1e-8,
    calls=("network.models.Network.fit",),
    conventions=("batch_sum",),  # the course's 2 (S - Y) as well as the exact 2 (S - Y) / N
)


TP2_EX8_GRADS = Check(
    id="tp2_ex8_grads",
    question="tp2_ex5_ex8",
    title="ej. 8: dos capas ocultas sigmoides + salida lineal, MSE + L2, gradientes / ex. 8: gradients",
    make_case=_spec_net_case(EX8_SPEC, ("MSE",)),
    run=_net_grads,
    compare=compare_all_gradients,
    tolerance=1e-8,
    calls=("network.models.Network.loss_and_grads",),
    conventions=("batch_sum",),  # the course's 2 (S - Y) as well as the exact 2 (S - Y) / N
)


TP2_EX8_STEP = Check(
    id="tp2_ex8_step",
    question="tp2_ex5_ex8",
    title="ej. 8: un paso de entrenamiento (fit, 1 época) / ex. 8: one training step",
    make_case=_spec_net_case(EX8_SPEC, ("MSE",)),
    run=_fit_epochs,
    compare=compare_values(),
    tolerance=1e-8,
    calls=("network.models.Network.fit",),
    conventions=("batch_sum",),  # the course's 2 (S - Y) as well as the exact 2 (S - Y) / N
)


# ---------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------

_EX1_TOL = 1e-9  # a handful of float64 operations: correct versions agree to ~1e-15


def _ex1_check(cid: str, name: str) -> Check:
    """Exercise 1 (one neuron, forward and backward by hand) with activation `name`."""
    assert cid == f"tp2_ex1_{name}", cid
    return Check(
        id=cid,
        question="tp2_ex1",
        title=f"ej. 1 con {name}: f, df/db, df/dw, df/dx / exercise 1 with {name}",
        make_case=_ex1_case(name),
        run=_ex1_run(name),
        compare=compare_values(["f", "df_db", "df_dw", "df_dx"]),
        tolerance=_EX1_TOL,
        calls=(f"layers.{name}_forward", f"layers.{name}_backward"),
    )


TP2_EX1_SIGMOID = _ex1_check("tp2_ex1_sigmoid", "sigmoid")


TP2_EX1_TANH = _ex1_check("tp2_ex1_tanh", "tanh")


TP2_EX1_ELU = _ex1_check("tp2_ex1_elu", "elu")


TP2_EX1_LEAKY_RELU = _ex1_check("tp2_ex1_leaky_relu", "leaky_relu")


def _act_forward_check(cid: str, name: str) -> Check:
    """`name`_forward on its own."""
    assert cid == f"tp2_{name}_forward", cid
    return Check(
        id=cid,
        question="tp2_activations",
        title=f"{name}_forward: salida / output",
        make_case=_act_case(name),
        run=_act_forward(name),
        compare=compare_values(["out"]),
        tolerance=1e-9,  # elementwise float64 functions: formulations agree to ~1e-15
        calls=(f"layers.{name}_forward",),
    )


TP2_SIGMOID_FORWARD = _act_forward_check("tp2_sigmoid_forward", "sigmoid")


TP2_TANH_FORWARD = _act_forward_check("tp2_tanh_forward", "tanh")


TP2_ELU_FORWARD = _act_forward_check("tp2_elu_forward", "elu")


TP2_LEAKY_RELU_FORWARD = _act_forward_check("tp2_leaky_relu_forward", "leaky_relu")


def _act_backward_check(cid: str, name: str) -> Check:
    """`name`_backward against a numeric gradient."""
    assert cid == f"tp2_{name}_backward", cid
    return Check(
        id=cid,
        question="tp2_activations",
        title=f"{name}_backward: gradiente / gradient dx",
        make_case=_act_case(name),
        run=_act_backward(name),
        compare=compare_gradients({"dx": "dx_num"}),
        # |x| <= CLIP keeps 1 - out and 1 - out**2 above 1e-5: relative rounding below 1e-10
        tolerance=1e-8,
        calls=(f"layers.{name}_forward", f"layers.{name}_backward"),
    )


TP2_SIGMOID_BACKWARD = _act_backward_check("tp2_sigmoid_backward", "sigmoid")


TP2_TANH_BACKWARD = _act_backward_check("tp2_tanh_backward", "tanh")


TP2_ELU_BACKWARD = _act_backward_check("tp2_elu_backward", "elu")


TP2_LEAKY_RELU_BACKWARD = _act_backward_check("tp2_leaky_relu_backward", "leaky_relu")


CHECKS = (
    TP2_EX1_SIGMOID,
    TP2_EX1_TANH,
    TP2_EX1_ELU,
    TP2_EX1_LEAKY_RELU,
    TP2_EX2_FORWARD,
    TP2_EX2_BACKWARD,
    TP2_SIGMOID_FORWARD,
    TP2_SIGMOID_BACKWARD,
    TP2_TANH_FORWARD,
    TP2_TANH_BACKWARD,
    TP2_ELU_FORWARD,
    TP2_ELU_BACKWARD,
    TP2_LEAKY_RELU_FORWARD,
    TP2_LEAKY_RELU_BACKWARD,
    TP2_MSE_LOSS,
    TP2_DENSE_FORWARD,
    TP2_DENSE_BACKWARD,
    TP2_CONCATENATE_FORWARD,
    TP2_CONCATENATE_BACKWARD,
    TP2_NETWORK_GRADS,
    TP2_LOSS_MSE,
    TP2_LOSS_SVM,
    TP2_LOSS_CCE,
    TP2_L2,
    TP2_L1,
    TP2_BGD_BATCHES,
    TP2_BGD_UPDATE,
    TP2_FIT_EPOCHS,
    TP2_XOR_A,
    TP2_XOR_B,
    TP2_PARITY,
    TP2_PARITY_NARROW,
    TP2_EX3_FORWARD,
    TP2_EX3_BACKWARD,
    TP2_EX3_MSE,
    TP2_EX3_LOSS_AND_GRADS,
    TP2_EX3_ACCURACY,
    TP2_EX3_EPOCH,
    TP2_EX4_SOFTMAX,
    TP2_EX4_SWITCH,
    TP2_EX5_GRADS,
    TP2_EX5_STEP,
    TP2_EX8_GRADS,
    TP2_EX8_STEP,
)
