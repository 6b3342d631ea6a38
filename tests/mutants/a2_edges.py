"""Mutants that only an edge of the input exposes (issue 13).

Each bug here is invisible on some legal inputs: pad 0 or pad > 0, stride 1
or > 1, a batch of one or of several, 2-D or N-D inputs, square or non-square
windows, inputs of one sign. Under ``grade`` every one must be caught by the
hidden draws of every secret (tests/suites/test_hidden_cases.py measures it
with the public case left out), which is what the case generators'
``common.edge`` cycles are for. The first five are the bugs the issue names,
found in real public solutions.

``breaks`` lists the checks that lose points under ``check`` (the public
case); a bug in a layer every network uses also costs the model checks of
later questions there.
"""

from . import Mutant

MUTANTS = [
    # --- named by the issue ------------------------------------------------------------
    Mutant(
        "affine_backward dx not reshaped to x's shape",
        "layers.py",
        "dx = dout.dot(w.T).reshape(x.shape)",
        "dx = dout.dot(w.T)",
        breaks=("affine_backward", "convnet_loss", "convnet_grads", "convnet_overfit"),
    ),
    Mutant(
        "conv backward dw from the last sample only",
        "layers.py",
        "dw += np.tensordot(d, window, axes=([0], [0]))",
        "dw += np.tensordot(d[-1:], window[-1:], axes=([0], [0]))",
        breaks=("conv_backward_naive",),
    ),
    Mutant(
        "conv backward dx_pad[pad:-pad] (empty at pad 0)",
        "layers.py",
        "dx = dx_pad[:, :, pad:pad + H, pad:pad + W]",
        "dx = dx_pad[:, :, pad:-pad, pad:-pad]",
        breaks=(),  # the public case has pad 1
        edge=("conv_backward_naive",),
    ),
    Mutant(
        "leaky relu_forward",
        "layers.py",
        "out = np.maximum(x, 0)\n",
        "out = np.maximum(x, 0.01 * x)\n",
        breaks=(
            "relu_forward",
            "two_layer_net_scores",
            "two_layer_net_loss",
            "two_layer_net_loss_reg",
            "fc_net_loss",
            "fc_net_loss_reg",
            "fc_net_float32",
            "fc_net_batchnorm_loss",
            "fc_net_batchnorm_grads",
            "fc_net_layernorm_grads",
            "fc_net_dropout",
            "convnet_loss",
            "convnet_grads",
        ),
    ),
    Mutant(
        "relu_backward applies the ReLU to dout",
        "layers.py",
        "dx = dout * (x > 0)",
        "dx = np.maximum(dout, 0)",
        breaks=(
            "relu_backward",
            "two_layer_net_loss",
            "two_layer_net_loss_reg",
            "fc_net_loss",
            "fc_net_loss_reg",
            "fc_net_float32",
            "solver_overfit",
            "fc_net_batchnorm_grads",
            "fc_net_layernorm_grads",
            "fc_net_dropout",
            "convnet_grads",
            "convnet_overfit",
        ),
    ),
    # --- pad 0 / pad > 0 -----------------------------------------------------------------
    Mutant(
        "conv forward copies x into x_pad[pad:-pad] (fails at pad 0)",
        "layers.py",
        '    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")\n'
        "    out = np.empty((N, F, H_out, W_out), dtype=np.result_type(x, w, b))\n",
        "    x_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=x.dtype)\n"
        "    x_pad[:, :, pad:-pad, pad:-pad] = x\n"
        "    out = np.empty((N, F, H_out, W_out), dtype=np.result_type(x, w, b))\n",
        breaks=(),
        edge=("conv_forward_naive",),
    ),
    Mutant(
        "conv forward output height ignores the padding",
        "layers.py",
        "    H_out = 1 + (H + 2 * pad - HH) // stride\n    W_out = 1 + (W + 2 * pad - WW) // stride\n    x_pad",
        "    H_out = 1 + (H - HH) // stride\n    W_out = 1 + (W + 2 * pad - WW) // stride\n    x_pad",
        breaks=("conv_forward_naive",),
    ),
    # --- stride 1 / stride > 1 -------------------------------------------------------------
    Mutant(
        "conv backward dx windows ignore the stride",
        "layers.py",
        "dx_pad[:, :, top:top + HH, left:left + WW] += np.tensordot(d, w, axes=([1], [0]))",
        "dx_pad[:, :, i:i + HH, j:j + WW] += np.tensordot(d, w, axes=([1], [0]))",
        breaks=("conv_backward_naive",),
    ),
    Mutant(
        "max pool forward output size assumes the stride equals the pool",
        "layers.py",
        "    H_out = 1 + (H - ph) // stride\n    W_out = 1 + (W - pw) // stride\n    out = np.empty(",
        "    H_out = H // ph\n    W_out = W // pw\n    out = np.empty(",
        breaks=("max_pool_forward_naive",),
    ),
    # --- N = 1 / N >= 2 ----------------------------------------------------------------------
    Mutant(
        "svm correct-class scores not broadcast per row",
        "layers.py",
        "correct = x[rows, y][:, None]",
        "correct = x[rows, y]",
        breaks=("svm_loss",),
    ),
    Mutant(
        "softmax loss picks log_probs[:, y] (every row's labels)",
        "layers.py",
        "loss = -log_probs[np.arange(N), y].sum() / N",
        "loss = -log_probs[:, y].sum() / N",
        breaks=(
            "softmax_loss",
            "softmax_loss_stability",
            "two_layer_net_loss",
            "two_layer_net_loss_reg",
            "fc_net_loss",
            "fc_net_loss_reg",
            "fc_net_float32",
            "fc_net_batchnorm_loss",
            "fc_net_batchnorm_grads",
            "fc_net_layernorm_grads",
            "fc_net_dropout",
            "convnet_loss",
        ),
    ),
    Mutant(
        "affine_forward squeezes x (a batch of one loses its batch axis)",
        "layers.py",
        "out = x.reshape(x.shape[0], -1).dot(w) + b",
        "out = np.squeeze(x).reshape(x.shape[0], -1).dot(w) + b if x.shape[0] > 1 else np.squeeze(x).dot(w) + b",
        breaks=(),
        edge=("affine_forward",),
    ),
    # --- 2-D / N-D -----------------------------------------------------------------------------
    Mutant(
        "affine_forward reshapes with x.shape[1] (2-D inputs only)",
        "layers.py",
        "out = x.reshape(x.shape[0], -1).dot(w) + b",
        "out = x.reshape(x.shape[0], x.shape[1]).dot(w) + b",
        breaks=("affine_forward", "affine_backward", "convnet_loss", "convnet_grads", "convnet_overfit"),
    ),
    # --- square / non-square -------------------------------------------------------------------
    Mutant(
        "conv backward windows use the filter height for both sides",
        "layers.py",
        "            window = x_pad[:, :, top:top + HH, left:left + WW]\n            dw +=",
        "            window = x_pad[:, :, top:top + HH, left:left + HH]\n            dw +=",
        breaks=("conv_backward_naive",),
    ),
    Mutant(
        "max pool backward windows use the pool height for both sides",
        "layers.py",
        "            window = x[:, :, top:top + ph, left:left + pw].reshape(N, C, ph * pw)",
        "            window = x[:, :, top:top + ph, left:left + ph].reshape(N, C, ph * ph)",
        breaks=("max_pool_backward_naive",),
    ),
    # --- one sign / both signs, single group ----------------------------------------------------
    Mutant(
        "relu_forward as an absolute value",
        "layers.py",
        "out = np.maximum(x, 0)\n",
        "out = np.abs(x)\n",
        breaks=(
            "relu_forward",
            "two_layer_net_scores",
            "two_layer_net_loss",
            "two_layer_net_loss_reg",
            "fc_net_loss",
            "fc_net_loss_reg",
            "fc_net_float32",
            "solver_overfit",
            "fc_net_batchnorm_loss",
            "fc_net_batchnorm_grads",
            "fc_net_layernorm_grads",
            "fc_net_dropout",
            "convnet_loss",
            "convnet_grads",
            "convnet_overfit",
        ),
    ),
    Mutant(
        "group norm normalizes each channel on its own (instance norm)",
        "layers.py",
        "    groups = x.reshape(N, G, -1)\n    mean = groups.mean(axis=2, keepdims=True)",
        "    groups = x.reshape(N, x.shape[1], -1)\n    mean = groups.mean(axis=2, keepdims=True)",
        breaks=("spatial_groupnorm_forward", "spatial_groupnorm_backward"),
    ),
]
