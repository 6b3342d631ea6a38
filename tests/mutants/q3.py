"""Mutants of Q3 (dropout)."""

from . import Alternative, Mutant

MUTANTS = [
    # --- dropout --------------------------------------------------------------------------
    Mutant(
        "dropout not scaled by 1/p",
        "layers.py",
        "mask = ((np.random.rand(*x.shape) < p) / p).astype(x.dtype, copy=False)",
        "mask = (np.random.rand(*x.shape) < p).astype(x.dtype, copy=False)",
        breaks=("dropout_forward_train",),
        diagnosis="1 / p",
    ),
    Mutant(
        "dropout uses p as the drop probability",
        "layers.py",
        "mask = ((np.random.rand(*x.shape) < p) / p)",
        "mask = ((np.random.rand(*x.shape) > p) / p)",
        breaks=("dropout_forward_train",),
        diagnosis="KEEPING",
    ),
    Mutant(
        "dropout scales by p at test time",
        "layers.py",
        "    else:\n        out = x\n",
        "    else:\n        out = x * p\n",
        breaks=("dropout_forward_test", "fc_net_dropout"),
        diagnosis="identity",
    ),
    Mutant(
        "dropout_backward ignores the mask",
        "layers.py",
        "dx = dout * mask",
        "dx = dout",
        breaks=("dropout_backward", "fc_net_dropout"),
        diagnosis="ignores the mask",
    ),
    Mutant(
        "dropout ignores the seed (a fresh generator at every call)",
        "layers.py",
        "mask = ((np.random.rand(*x.shape) < p) / p)",
        "mask = ((np.random.default_rng().random(x.shape) < p) / p)",
        breaks=("fc_net_dropout",),
        diagnosis="same seed",
    ),
    Mutant(
        "FullyConnectedNet forgets dropout_backward",
        "classifiers/fc_net.py",
        "            if self.use_dropout:\n                dh = dropout_backward(dh, dropout_cache)\n",
        "",
        breaks=("fc_net_dropout",),
        diagnosis="with the units your dropout_forward dropped",
    ),
]


# ---------------------------------------------------------------------------
# Correct alternatives: must score full marks (tests/grader/checks/test_q3.py)
# ---------------------------------------------------------------------------

DROPOUT_MASK = "mask = ((np.random.rand(*x.shape) < p) / p).astype(x.dtype, copy=False)"

ALTERNATIVES = [
    Alternative(
        "dropout mask from np.random.random (the same draws)",
        (("layers.py", DROPOUT_MASK, "mask = ((np.random.random(x.shape) < p) / p).astype(x.dtype, copy=False)"),),
    ),
    Alternative(
        "dropout mask from np.random.binomial (other draws)",
        (
            (
                "layers.py",
                DROPOUT_MASK,
                "mask = (np.random.binomial(1, p, size=x.shape) / p).astype(x.dtype, copy=False)",
            ),
        ),
    ),
    Alternative(
        "dropout mask rand > 1 - p (another mask)",
        (("layers.py", DROPOUT_MASK, "mask = ((np.random.rand(*x.shape) > 1 - p) / p).astype(x.dtype, copy=False)"),),
    ),
    Alternative(
        "dropout caching the unscaled mask and dividing by p in both passes",
        (
            (
                "layers.py",
                DROPOUT_MASK + "\n        out = x * mask",
                "mask = np.random.rand(*x.shape) < p\n        out = x * mask / p",
            ),
            ("layers.py", "dx = dout * mask", "dx = dout * mask / dropout_param['p']"),
        ),
    ),
]
