"""Mutants of Q4 (convolutional nets: convolution, pooling, ThreeLayerConvNet, spatial norms).

``ALTERNATIVES`` are correct implementations written another way, built with the
same edit mechanism, that must score full marks (tests/grader/checks/test_q4.py).
"""

from . import Mutant

# ---------------------------------------------------------------------------
# Q4: convolution and pooling
# ---------------------------------------------------------------------------

_CONV_FORWARD_PAD = (
    "    H_out = 1 + (H + 2 * pad - HH) // stride\n"
    "    W_out = 1 + (W + 2 * pad - WW) // stride\n"
    '    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")\n'
    "    out = np.empty("
)

_CONV = [
    Mutant(
        "conv forward without the zero padding",
        "layers.py",
        _CONV_FORWARD_PAD,
        "    H_out = 1 + (H - HH) // stride\n    W_out = 1 + (W - WW) // stride\n    x_pad = x\n    out = np.empty(",
        breaks=("conv_forward_naive",),
        diagnosis="the input is not zero-padded",
    ),
    Mutant(
        "conv forward pads with the edge values instead of zeros",
        "layers.py",
        _CONV_FORWARD_PAD,
        _CONV_FORWARD_PAD.replace('mode="constant"', 'mode="edge"'),
        breaks=("conv_forward_naive",),
        diagnosis="except on a border",
    ),
    Mutant(
        "conv forward flips the filter (true convolution)",
        "layers.py",
        "            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b\n",
        "            out[:, :, i, j] = np.tensordot(window, w[:, :, ::-1, ::-1], axes=([1, 2, 3], [1, 2, 3])) + b\n",
        breaks=("conv_forward_naive",),
        diagnosis="the filter is flipped",
    ),
    Mutant(
        "conv forward forgets the bias",
        "layers.py",
        "            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b\n",
        "            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3]))\n",
        breaks=("conv_forward_naive",),
        diagnosis="the bias b is not added",
    ),
    Mutant(
        "conv forward windows ignore the stride",
        "layers.py",
        "    for i in range(H_out):\n"
        "        top = i * stride\n"
        "        for j in range(W_out):\n"
        "            left = j * stride\n"
        "            window = x_pad[:, :, top:top + HH, left:left + WW]\n"
        "            out[:, :, i, j]",
        "    for i in range(H_out):\n"
        "        top = i\n"
        "        for j in range(W_out):\n"
        "            left = j\n"
        "            window = x_pad[:, :, top:top + HH, left:left + WW]\n"
        "            out[:, :, i, j]",
        breaks=("conv_forward_naive",),
        diagnosis="the windows move by 1 instead of by 'stride'",
    ),
    Mutant(
        "conv backward returns the padded dx",
        "layers.py",
        "    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]\n",
        "    dx = dx_pad\n",
        breaks=("conv_backward_naive",),
        diagnosis="dx is returned with the padding",
    ),
    Mutant(
        "conv backward assigns dw instead of accumulating it",
        "layers.py",
        "            dw += np.tensordot(d, window, axes=([0], [0]))\n",
        "            dw = np.tensordot(d, window, axes=([0], [0]))\n",
        breaks=("conv_backward_naive",),
        diagnosis="does not differentiate your forward",
    ),
    Mutant(
        "conv backward db summed over the batch only",
        "layers.py",
        "    db = dout.sum(axis=(0, 2, 3))\n",
        "    db = dout.sum(axis=0)\n",
        breaks=("conv_backward_naive",),
        diagnosis="db is summed over the batch only",
    ),
    Mutant(
        "max pool forward moves the window by the pool width",
        "layers.py",
        "            left = j * stride\n"
        "            out[:, :, i, j] = x[:, :, top:top + ph, left:left + pw].max(axis=(2, 3))\n",
        "            left = j * pw\n"
        "            out[:, :, i, j] = x[:, :, top:top + ph, left:left + pw].max(axis=(2, 3))\n",
        breaks=("max_pool_forward_naive",),
    ),
    Mutant(
        "max pool backward spreads the gradient over the window",
        "layers.py",
        "            np.put_along_axis(dwindow, first_max, dout[:, :, i, j][:, :, None], axis=2)\n",
        "            dwindow[:] = dout[:, :, i, j][:, :, None] / (ph * pw)\n",
        breaks=("max_pool_backward_naive",),
        diagnosis="spread evenly over the window",
    ),
    Mutant(
        "max pool backward assigns instead of adding overlapping windows",
        "layers.py",
        "            dx[:, :, top:top + ph, left:left + pw] += dwindow.reshape(N, C, ph, pw)\n",
        "            dx[:, :, top:top + ph, left:left + pw] = dwindow.reshape(N, C, ph, pw)\n",
        breaks=("max_pool_backward_naive",),
        diagnosis="a later window overwrites the gradient",
    ),
]

# ---------------------------------------------------------------------------
# Q4: ThreeLayerConvNet
# ---------------------------------------------------------------------------

_NET = [
    Mutant(
        "ThreeLayerConvNet W2 sized without the pooling",
        "classifiers/cnn.py",
        "        pooled_dim = num_filters * (H // 2) * (W // 2)\n",
        "        pooled_dim = num_filters * H * W\n",
        breaks=("convnet_init", "convnet_overfit"),
        diagnosis="W2 has F * H * W rows",
    ),
    Mutant(
        "ThreeLayerConvNet regularization without the factor 0.5",
        "classifiers/cnn.py",
        "        loss = data_loss + 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(W3 * W3))\n",
        "        loss = data_loss + self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(W3 * W3))\n",
        breaks=("convnet_loss",),
        diagnosis="lacks its factor 0.5",
    ),
    Mutant(
        "ThreeLayerConvNet forgets the regularization gradient of W1",
        "classifiers/cnn.py",
        '        grads["W1"], grads["b1"] = dW1 + self.reg * W1, db1\n',
        '        grads["W1"], grads["b1"] = dW1, db1\n',
        breaks=("convnet_grads",),
    ),
    Mutant(
        "ThreeLayerConvNet ignores weight_scale for W1",
        "classifiers/cnn.py",
        '        self.params["W1"] = weight_scale * np.random.randn(num_filters, C, filter_size, filter_size)\n',
        '        self.params["W1"] = np.random.randn(num_filters, C, filter_size, filter_size)\n',
        breaks=("convnet_init",),
    ),
]

# ---------------------------------------------------------------------------
# Q4: spatial batch and group normalization
# ---------------------------------------------------------------------------

_SPATIAL = [
    Mutant(
        "spatial batchnorm reshapes without moving the channels last",
        "layers.py",
        "    x_rows = x.transpose(0, 2, 3, 1).reshape(-1, C)\n"
        "    out_rows, cache = batchnorm_forward(x_rows, gamma, beta, bn_param)\n"
        "    out = out_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)\n",
        "    x_rows = x.reshape(-1, C)\n"
        "    out_rows, cache = batchnorm_forward(x_rows, gamma, beta, bn_param)\n"
        "    out = out_rows.reshape(N, C, H, W)\n",
        breaks=("spatial_batchnorm_forward_train", "spatial_batchnorm_forward_test", "spatial_batchnorm_backward"),
        diagnosis="without moving C last",
    ),
    Mutant(
        "spatial batchnorm backward reshapes dout without the transpose",
        "layers.py",
        "    dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, C)\n",
        "    dout_rows = dout.reshape(-1, C)\n",
        breaks=("spatial_batchnorm_backward",),
    ),
    Mutant(
        "group norm groups every G-th channel",
        "layers.py",
        "    groups = x.reshape(N, G, -1)\n"
        "    mean = groups.mean(axis=2, keepdims=True)\n"
        "    centered = groups - mean\n"
        "    var = (centered ** 2).mean(axis=2, keepdims=True)\n"
        "    inv_std = 1 / np.sqrt(var + eps)\n"
        "    groups_hat = centered * inv_std\n"
        "    x_hat = groups_hat.reshape(x.shape)\n",
        "    groups = x.reshape(N, -1, G, *x.shape[2:]).swapaxes(1, 2).reshape(N, G, -1)\n"
        "    mean = groups.mean(axis=2, keepdims=True)\n"
        "    centered = groups - mean\n"
        "    var = (centered ** 2).mean(axis=2, keepdims=True)\n"
        "    inv_std = 1 / np.sqrt(var + eps)\n"
        "    groups_hat = centered * inv_std\n"
        "    x_hat = groups_hat.reshape(N, G, -1, *x.shape[2:]).swapaxes(1, 2).reshape(x.shape)\n",
        breaks=("spatial_groupnorm_forward", "spatial_groupnorm_backward"),
        diagnosis="the groups take every G-th channel",
    ),
    Mutant(
        "group norm statistics over the whole batch",
        "layers.py",
        "    mean = groups.mean(axis=2, keepdims=True)\n"
        "    centered = groups - mean\n"
        "    var = (centered ** 2).mean(axis=2, keepdims=True)\n",
        "    mean = groups.mean(axis=(0, 2), keepdims=True)\n"
        "    centered = groups - mean\n"
        "    var = (centered ** 2).mean(axis=(0, 2), keepdims=True)\n",
        breaks=("spatial_groupnorm_forward", "spatial_groupnorm_backward"),
        diagnosis="pool the whole batch",
    ),
    Mutant(
        "group norm dgamma without keepdims",
        "layers.py",
        "    dgamma = (dout * x_hat).sum(axis=(0, 2, 3), keepdims=True)\n",
        "    dgamma = (dout * x_hat).sum(axis=(0, 2, 3))\n",
        breaks=("spatial_groupnorm_backward",),
        diagnosis="right values count but shape",
    ),
]

MUTANTS: list[Mutant] = _CONV + _NET + _SPATIAL


# ---------------------------------------------------------------------------
# Correct alternatives: must score full marks
# ---------------------------------------------------------------------------

_CONV_FORWARD_LOOPS = """    for i in range(H_out):
        top = i * stride
        for j in range(W_out):
            left = j * stride
            window = x_pad[:, :, top:top + HH, left:left + WW]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
"""

_CONV_BACKWARD_LOOPS = """    for i in range(H_out):
        top = i * stride
        for j in range(W_out):
            left = j * stride
            d = dout[:, :, i, j]  # (N, F)
            window = x_pad[:, :, top:top + HH, left:left + WW]
            dw += np.tensordot(d, window, axes=([0], [0]))
            dx_pad[:, :, top:top + HH, left:left + WW] += np.tensordot(d, w, axes=([1], [0]))
"""

ALTERNATIVES: list[Mutant] = [
    Mutant(
        "conv forward with explicit loops over examples, filters and positions",
        "layers.py",
        _CONV_FORWARD_LOOPS,
        """    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
""",
        breaks=(),
    ),
    Mutant(
        "conv backward with explicit loops over examples, filters and positions",
        "layers.py",
        _CONV_BACKWARD_LOOPS,
        """    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    rows = slice(i * stride, i * stride + HH)
                    cols = slice(j * stride, j * stride + WW)
                    dw[f] += dout[n, f, i, j] * x_pad[n, :, rows, cols]
                    dx_pad[n, :, rows, cols] += dout[n, f, i, j] * w[f]
""",
        breaks=(),
    ),
    Mutant(
        "max pool backward with an equality mask (cs231n style)",
        "layers.py",
        "            first_max = window.argmax(axis=2)[:, :, None]\n"
        "            dwindow = np.zeros((N, C, ph * pw), dtype=dx.dtype)\n"
        "            np.put_along_axis(dwindow, first_max, dout[:, :, i, j][:, :, None], axis=2)\n",
        "            mask = window == window.max(axis=2, keepdims=True)\n"
        "            dwindow = mask * dout[:, :, i, j][:, :, None]\n",
        breaks=(),
    ),
    Mutant(
        "max pooling computed in float32",
        "layers.py",
        "    out = np.empty((N, C, H_out, W_out), dtype=x.dtype)\n",
        "    x = x.astype(np.float32)\n    out = np.empty((N, C, H_out, W_out), dtype=np.float32)\n",
        breaks=(),
    ),
    Mutant(
        "group norm with a loop over the groups",
        "layers.py",
        "    N = x.shape[0]\n"
        "    groups = x.reshape(N, G, -1)\n"
        "    mean = groups.mean(axis=2, keepdims=True)\n"
        "    centered = groups - mean\n"
        "    var = (centered ** 2).mean(axis=2, keepdims=True)\n",
        "    N = x.shape[0]\n"
        "    groups = x.reshape(N, G, -1)\n"
        "    mean = np.zeros((N, G, 1))\n"
        "    var = np.zeros((N, G, 1))\n"
        "    for g in range(G):\n"
        "        mean[:, g, 0] = groups[:, g].mean(axis=1)\n"
        "        var[:, g, 0] = groups[:, g].var(axis=1)\n"
        "    centered = groups - mean\n",
        breaks=(),
    ),
]
