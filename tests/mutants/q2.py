"""Mutants of Q2 (batch and layer normalization).

Spatial batch normalization reuses ``batchnorm_forward`` and
``batchnorm_backward_alt`` (as the cs231n solutions do), so a bug in those
also costs the Q4 spatial batchnorm checks: such mutants list those checks in
``breaks`` too.

``ALTERNATIVES`` are the opposite: correct implementations written another
way, built with the same edit mechanism, that must score full marks
(tests/grader/checks/test_q2.py).
"""

from . import Mutant

# ---------------------------------------------------------------------------
# Q2: batch normalization
# ---------------------------------------------------------------------------

_BN = [
    Mutant(
        "batchnorm variance divided by N - 1",
        "layers.py",
        "        var = (centered ** 2).mean(axis=0)\n",
        "        var = (centered ** 2).sum(axis=0) / (N - 1)\n",
        breaks=(
            "batchnorm_forward_train",
            "batchnorm_forward_normalizes",
            "batchnorm_running_stats",
            "spatial_batchnorm_forward_train",
        ),
        diagnosis="N - 1",
    ),
    Mutant(
        "batchnorm eps added outside the square root",
        "layers.py",
        "        std = np.sqrt(var + eps)\n",
        "        std = np.sqrt(var) + eps\n",
        breaks=("batchnorm_forward_train", "spatial_batchnorm_forward_train"),
        diagnosis="eps is added after the square root",
    ),
    Mutant(
        "batchnorm test mode eps added outside the square root",
        "layers.py",
        "        std = np.sqrt(running_var + eps)\n",
        "        std = np.sqrt(running_var) + eps\n",
        breaks=("batchnorm_forward_test", "spatial_batchnorm_forward_test"),
        diagnosis="eps is added after the square root",
    ),
    Mutant(
        "batchnorm running averages never stored",
        "layers.py",
        "        running_mean = momentum * running_mean + (1 - momentum) * mean\n"
        "        running_var = momentum * running_var + (1 - momentum) * var\n",
        "        bn_param['running_mean'] = momentum * running_mean + (1 - momentum) * mean\n"
        "        bn_param['running_var'] = momentum * running_var + (1 - momentum) * var\n",
        breaks=("batchnorm_running_stats",),
        diagnosis="never updated",
    ),
    Mutant(
        "batchnorm momentum applied to the new batch statistics",
        "layers.py",
        "        running_mean = momentum * running_mean + (1 - momentum) * mean\n"
        "        running_var = momentum * running_var + (1 - momentum) * var\n",
        "        running_mean = (1 - momentum) * running_mean + momentum * mean\n"
        "        running_var = (1 - momentum) * running_var + momentum * var\n",
        breaks=("batchnorm_running_stats",),
        diagnosis="momentum is applied to the new batch statistics",
    ),
    Mutant(
        "batchnorm test mode normalizes with the batch statistics",
        "layers.py",
        "        std = np.sqrt(running_var + eps)\n"
        "        inv_std = 1 / std\n"
        "        x_hat = (x - running_mean) * inv_std\n",
        "        std = np.sqrt(x.var(axis=0) + eps)\n"
        "        inv_std = 1 / std\n"
        "        x_hat = (x - x.mean(axis=0)) * inv_std\n",
        breaks=("batchnorm_forward_test", "batchnorm_running_stats", "spatial_batchnorm_forward_test"),
        diagnosis="use the running_mean and running_var",
    ),
    Mutant(
        "batchnorm_backward dgamma summed over the features",
        "layers.py",
        "    # out = gamma * x_hat + beta\n    dbeta = dout.sum(axis=0)\n    dgamma = (dout * x_hat).sum(axis=0)\n",
        "    # out = gamma * x_hat + beta\n    dbeta = dout.sum(axis=0)\n    dgamma = (dout * x_hat).sum(axis=1)\n",
        breaks=("batchnorm_backward", "fc_net_batchnorm_grads"),
        diagnosis="dgamma is summed over the features",
    ),
    Mutant(
        "batchnorm_backward operator precedence in dvar",
        "layers.py",
        "        dvar = dstd / (2 * std)\n",
        "        dvar = dstd / 2 * std\n",
        breaks=("batchnorm_backward", "fc_net_batchnorm_grads"),
        diagnosis="does not differentiate your forward",
    ),
    Mutant(
        "batchnorm_backward_alt sum instead of mean in the closed form",
        "layers.py",
        "        dx = inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))\n",
        "        dx = inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).sum(axis=0))\n",
        breaks=("batchnorm_backward_alt", "spatial_batchnorm_backward"),
        diagnosis="does not differentiate your forward",
    ),
    Mutant(
        "batchnorm_backward_alt ignores the batch statistics' dependence on x",
        "layers.py",
        "        dx = inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))\n",
        "        dx = inv_std * g\n",
        breaks=("batchnorm_backward_alt", "spatial_batchnorm_backward"),
        diagnosis="dx ignores that the batch mean and variance depend on x",
    ),
    Mutant(
        "FullyConnectedNet every batchnorm layer shares the first layer's bn_param",
        "classifiers/fc_net.py",
        'h, self.params["gamma%d" % i], self.params["beta%d" % i], self.bn_params[i - 1]\n'
        "                )\n"
        '            elif self.normalization == "layernorm":',
        'h, self.params["gamma%d" % i], self.params["beta%d" % i], self.bn_params[0]\n'
        "                )\n"
        '            elif self.normalization == "layernorm":',
        breaks=("fc_net_batchnorm_loss",),
    ),
    Mutant(
        "FullyConnectedNet gammas initialized to zeros",
        "classifiers/fc_net.py",
        '                self.params["gamma%d" % i] = np.ones(d_out)\n',
        '                self.params["gamma%d" % i] = np.zeros(d_out)\n',
        breaks=("fc_net_batchnorm_loss",),
        diagnosis="gamma_init is all zeros",
    ),
]

# ---------------------------------------------------------------------------
# Q2: layer normalization
# ---------------------------------------------------------------------------

_LN = [
    Mutant(
        "layernorm statistics over the batch axis",
        "layers.py",
        "    mean = x.mean(axis=1, keepdims=True)\n"
        "    centered = x - mean\n"
        "    var = (centered ** 2).mean(axis=1, keepdims=True)\n",
        "    mean = x.mean(axis=0, keepdims=True)\n"
        "    centered = x - mean\n"
        "    var = (centered ** 2).mean(axis=0, keepdims=True)\n",
        breaks=("layernorm_forward", "layernorm_backward", "fc_net_layernorm_grads"),
        diagnosis="layernorm normalizes over the batch",
    ),
    Mutant(
        "layernorm_backward dgamma summed over the features",
        "layers.py",
        "    x_hat, inv_std, gamma = cache\n    dbeta = dout.sum(axis=0)\n    dgamma = (dout * x_hat).sum(axis=0)\n",
        "    x_hat, inv_std, gamma = cache\n    dbeta = dout.sum(axis=0)\n    dgamma = (dout * x_hat).sum(axis=1)\n",
        breaks=("layernorm_backward", "fc_net_layernorm_grads"),
        diagnosis="dgamma is summed over the features",
    ),
    Mutant(
        "layernorm_backward means over the batch (copied from batchnorm)",
        "layers.py",
        "        g - g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).mean(axis=1, keepdims=True)\n",
        "        g - g.mean(axis=0, keepdims=True) - x_hat * (g * x_hat).mean(axis=0, keepdims=True)\n",
        breaks=("layernorm_backward", "fc_net_layernorm_grads"),
        diagnosis="does not differentiate your forward",
    ),
    Mutant(
        "FullyConnectedNet layernorm backward forgets the gamma and beta gradients",
        "classifiers/fc_net.py",
        '                dh, grads["gamma%d" % i], grads["beta%d" % i] = layernorm_backward(dh, norm_cache)\n',
        "                dh, _, _ = layernorm_backward(dh, norm_cache)\n"
        '                grads["gamma%d" % i] = np.zeros_like(self.params["gamma%d" % i])\n'
        '                grads["beta%d" % i] = np.zeros_like(self.params["beta%d" % i])\n',
        breaks=("fc_net_layernorm_grads",),
    ),
    Mutant(
        "variance as E[x^2] - E[x]^2 (unstable for large inputs)",
        "layers.py",
        "    mean = x.mean(axis=1, keepdims=True)\n"
        "    centered = x - mean\n"
        "    var = (centered ** 2).mean(axis=1, keepdims=True)\n",
        "    mean = x.mean(axis=1, keepdims=True)\n"
        "    centered = x - mean\n"
        "    var = (x ** 2).mean(axis=1, keepdims=True) - mean ** 2\n",
        breaks=("norm_large_inputs",),
    ),
]

MUTANTS: list[Mutant] = _BN + _LN


# ---------------------------------------------------------------------------
# Correct alternatives: must score full marks
# ---------------------------------------------------------------------------

_BN_GRAPH_BODY = """    mode, x_hat, centered, std, inv_std, gamma = cache
    N = dout.shape[0]
    # out = gamma * x_hat + beta
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    if mode == "test":
        dx = dx_hat * inv_std
    else:
        # x_hat = centered * inv_std
        dcentered = dx_hat * inv_std
        dinv_std = (dx_hat * centered).sum(axis=0)
        # inv_std = 1 / std
        dstd = -dinv_std / std ** 2
        # std = sqrt(var + eps)
        dvar = dstd / (2 * std)
        # var = mean(centered ** 2)
        dcentered += 2 * centered * dvar / N
        # centered = x - mean
        dx = dcentered
        dmean = -dcentered.sum(axis=0)
        # mean = mean(x)
        dx = dx + dmean / N
"""

_BN_ALT_BODY = """    mode, x_hat, _, _, inv_std, gamma = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    g = dout * gamma
    if mode == "test":
        dx = g * inv_std
    else:
        dx = inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
"""


ALTERNATIVES: list[Mutant] = [
    Mutant(
        "batchnorm_backward written as the closed form",
        "layers.py",
        _BN_GRAPH_BODY,
        _BN_ALT_BODY,
        breaks=(),
    ),
    Mutant(
        "batchnorm_backward_alt written through the computation graph",
        "layers.py",
        _BN_ALT_BODY,
        _BN_GRAPH_BODY,
        breaks=(),
    ),
    Mutant(
        "batchnorm forward with np.var and a division",
        "layers.py",
        "        var = (centered ** 2).mean(axis=0)\n"
        "        std = np.sqrt(var + eps)\n"
        "        inv_std = 1 / std\n"
        "        x_hat = centered * inv_std\n",
        "        var = np.var(x, axis=0)\n"
        "        std = np.sqrt(var + eps)\n"
        "        inv_std = 1 / std\n"
        "        x_hat = (x - x.mean(axis=0)) / np.sqrt(var + eps)\n",
        breaks=(),
    ),
    Mutant(
        "layernorm as batchnorm of the transpose",
        "layers.py",
        "    mean = x.mean(axis=1, keepdims=True)\n"
        "    centered = x - mean\n"
        "    var = (centered ** 2).mean(axis=1, keepdims=True)\n"
        "    inv_std = 1 / np.sqrt(var + eps)\n"
        "    x_hat = centered * inv_std\n",
        "    xt = x.T\n"
        "    mean_t = xt.mean(axis=0)\n"
        "    var_t = ((xt - mean_t) ** 2).mean(axis=0)\n"
        "    x_hat = ((xt - mean_t) / np.sqrt(var_t + eps)).T\n"
        "    inv_std = (1 / np.sqrt(var_t + eps))[:, None]\n",
        breaks=(),
    ),
]
