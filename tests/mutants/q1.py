"""Mutants of Q1 (fully-connected nets: losses, TwoLayerNet, FullyConnectedNet, update rules).

A bug in a layer every network uses (affine, ReLU, softmax) also costs the model checks
of Q2, Q3 and Q4, which ``breaks`` then lists.
"""

from . import Alternative, Mutant

MUTANTS = [
    # --- layers shared by every network --------------------------------------------
    Mutant(
        "affine_backward db averaged instead of summed",
        "layers.py",
        "db = dout.sum(axis=0)",
        "db = dout.mean(axis=0)",
        # every network's gradients: one check per question stands for them
        breaks=(
            "affine_backward",
            "two_layer_net_loss",
            "fc_net_loss",
            "fc_net_dropout",
            "fc_net_batchnorm_grads",
            "convnet_grads",
        ),
        diagnosis="db is the mean",
    ),
    Mutant(
        "softmax without the max shift",
        "layers.py",
        "shifted = x - x.max(axis=1, keepdims=True)",
        "shifted = x",
        breaks=("softmax_loss_stability",),
        diagnosis="max",
    ),
    # --- losses --------------------------------------------------------------------
    Mutant(
        "svm counts the correct class's own margin",
        "layers.py",
        "    margins[rows, y] = 0\n",
        "",
        breaks=("svm_loss",),
        diagnosis="correct class",
    ),
    Mutant(
        "svm loss summed instead of averaged",
        "layers.py",
        "loss = margins.sum() / N",
        "loss = margins.sum()",
        breaks=("svm_loss",),
        diagnosis="a sum where a mean is expected",
    ),
    Mutant(
        "svm dx not divided by N",
        "layers.py",
        "dx[rows, y] -= positive.sum(axis=1)\n    dx /= N",
        "dx[rows, y] -= positive.sum(axis=1)",
        breaks=("svm_loss",),
        diagnosis="dx is not divided by N",
    ),
    # --- TwoLayerNet -----------------------------------------------------------------
    Mutant(
        "TwoLayerNet weights drawn without weight_scale",
        "classifiers/fc_net.py",
        'self.params["W1"] = weight_scale * np.random.randn(input_dim, hidden_dim)\n'
        '        self.params["b1"] = np.zeros(hidden_dim)\n'
        '        self.params["W2"] = weight_scale * np.random.randn(hidden_dim, num_classes)',
        'self.params["W1"] = np.random.randn(input_dim, hidden_dim)\n'
        '        self.params["b1"] = np.zeros(hidden_dim)\n'
        '        self.params["W2"] = np.random.randn(hidden_dim, num_classes)',
        breaks=("two_layer_net_init",),
        diagnosis="weight_scale",
    ),
    Mutant(
        "TwoLayerNet regularization without the factor 0.5",
        "classifiers/fc_net.py",
        "loss = data_loss + 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))",
        "loss = data_loss + self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))",
        breaks=("two_layer_net_loss_reg",),
        diagnosis="0.5",
    ),
    Mutant(
        "TwoLayerNet regularizes the biases too",
        "classifiers/fc_net.py",
        "loss = data_loss + 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))",
        "loss = data_loss + 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(b1 * b1) + np.sum(b2 * b2))",
        breaks=("two_layer_net_loss_reg",),
        diagnosis="biases are regularized",
    ),
    Mutant(
        "TwoLayerNet without the hidden ReLU",
        "classifiers/fc_net.py",
        "hidden, hidden_cache = affine_relu_forward(X, W1, b1)",
        "hidden, hidden_cache = affine_forward(X, W1, b1)",
        breaks=("two_layer_net_scores", "two_layer_net_loss", "two_layer_net_loss_reg"),
    ),
    # --- FullyConnectedNet -------------------------------------------------------------
    Mutant(
        "FullyConnectedNet regularizes all but the last layer",
        "classifiers/fc_net.py",
        "for i in range(1, L + 1):",
        "for i in range(1, L):",
        breaks=("fc_net_loss_reg", "fc_net_float32"),
    ),
    Mutant(
        "FullyConnectedNet hidden layers miss the regularization gradient",
        "classifiers/fc_net.py",
        'grads["W%d" % i] = dW + self.reg * self.params["W%d" % i]',
        'grads["W%d" % i] = dW',
        breaks=("fc_net_loss_reg", "fc_net_float32"),
    ),
    Mutant(
        "FullyConnectedNet ignores dtype",
        "classifiers/fc_net.py",
        "self.params[k] = v.astype(dtype)",
        "self.params[k] = v",
        breaks=("fc_net_float32",),
        diagnosis="dtype float64, expected float32",
    ),
    Mutant(
        "FullyConnectedNet weights drawn without weight_scale",
        "classifiers/fc_net.py",
        'self.params["W%d" % i] = weight_scale * np.random.randn(d_in, d_out)',
        'self.params["W%d" % i] = np.random.randn(d_in, d_out)',
        breaks=("fc_net_float32", "solver_overfit"),
        diagnosis="std = weight_scale",
    ),
    # --- update rules ---------------------------------------------------------------------
    Mutant(
        "sgd_momentum new velocity not stored back",
        "optim.py",
        'v = config["momentum"] * v - config["learning_rate"] * dw\n    next_w = w + v',
        'velocity = config["momentum"] * v - config["learning_rate"] * dw\n    next_w = w + velocity',
        breaks=("sgd_momentum",),
        diagnosis="velocity is not stored back",
    ),
    Mutant(
        "sgd_momentum steps uphill",
        "optim.py",
        "next_w = w + v\n    # END SOLUTION",
        "next_w = w - v\n    # END SOLUTION",
        breaks=("sgd_momentum",),
        diagnosis="uphill",
    ),
    Mutant(
        "rmsprop epsilon inside the square root",
        "optim.py",
        'dw / (np.sqrt(cache) + config["epsilon"])',
        'dw / np.sqrt(cache + config["epsilon"])',
        breaks=("rmsprop",),
        diagnosis="outside the square root",
    ),
    Mutant(
        "rmsprop cache not stored back",
        "optim.py",
        '    config["cache"] = cache\n',
        "",
        breaks=("rmsprop",),
        diagnosis="cache is not stored",
    ),
    Mutant(
        "adam without bias correction",
        "optim.py",
        "mt = m / (1 - beta1**t)\n    vt = v / (1 - beta2**t)",
        "mt = m\n    vt = v",
        breaks=("adam",),
        diagnosis="bias correction",
    ),
    Mutant(
        "adam increments t after using it",
        "optim.py",
        't = config["t"] + 1\n'
        '    m = beta1 * config["m"] + (1 - beta1) * dw\n'
        '    v = beta2 * config["v"] + (1 - beta2) * (dw * dw)\n'
        "    mt = m / (1 - beta1**t)\n"
        "    vt = v / (1 - beta2**t)\n"
        '    next_w = w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"])\n'
        '    config["t"], config["m"], config["v"] = t, m, v\n',
        't = config["t"]\n'
        '    m = beta1 * config["m"] + (1 - beta1) * dw\n'
        '    v = beta2 * config["v"] + (1 - beta2) * (dw * dw)\n'
        "    mt = m / (1 - beta1**t)\n"
        "    vt = v / (1 - beta2**t)\n"
        '    next_w = w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"])\n'
        '    config["t"], config["m"], config["v"] = t + 1, m, v\n',
        breaks=("adam",),
        diagnosis="incremented after its use",
    ),
    Mutant(
        "adam state not stored back",
        "optim.py",
        '    config["t"], config["m"], config["v"] = t, m, v\n',
        "",
        breaks=("adam",),
        diagnosis="not stored back",
    ),
]


# ---------------------------------------------------------------------------
# Correct alternatives: must score full marks (tests/grader/checks/test_q1.py)
# ---------------------------------------------------------------------------

SOFTMAX_BODY = """\
    N = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(N), y].sum() / N
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    dx /= N
"""

SVM_BODY = """\
    N = x.shape[0]
    rows = np.arange(N)
    correct = x[rows, y][:, None]
    margins = np.maximum(0, x - correct + 1)
    margins[rows, y] = 0
    loss = margins.sum() / N
    positive = margins > 0
    dx = positive.astype(x.dtype)
    dx[rows, y] -= positive.sum(axis=1)
    dx /= N
"""


ALTERNATIVES = [
    Alternative(
        "loop-based softmax and svm",
        (
            (
                "layers.py",
                SOFTMAX_BODY,
                """\
    N, C = x.shape
    loss = 0.0
    dx = np.zeros_like(x)
    for i in range(N):
        row = x[i] - np.max(x[i])
        exp_row = np.exp(row)
        total = np.sum(exp_row)
        loss += np.log(total) - row[y[i]]
        for j in range(C):
            dx[i, j] = exp_row[j] / total
        dx[i, y[i]] -= 1
    loss /= N
    dx /= N
""",
            ),
            (
                "layers.py",
                SVM_BODY,
                """\
    N, C = x.shape
    loss = 0.0
    dx = np.zeros_like(x)
    for i in range(N):
        for j in range(C):
            if j == y[i]:
                continue
            margin = x[i, j] - x[i, y[i]] + 1
            if margin > 0:
                loss += margin
                dx[i, j] += 1
                dx[i, y[i]] -= 1
    loss /= N
    dx /= N
""",
            ),
        ),
    ),
    Alternative(
        "softmax as the log of shifted probabilities (cs231n's usual solution)",
        (
            (
                "layers.py",
                SOFTMAX_BODY,
                """\
    N = x.shape[0]
    shifted = x - np.max(x, axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
""",
            ),
        ),
    ),
    Alternative(
        "relu written with a product and np.where (x >= 0)",
        (
            ("layers.py", "out = np.maximum(x, 0)", "out = x * (x > 0)"),
            ("layers.py", "dx = dout * (x > 0)", "dx = np.where(x >= 0, dout, 0.0)"),
        ),
    ),
    Alternative(
        "in-place sgd_momentum and adam, copying rmsprop",
        (
            (
                "optim.py",
                'v = config["momentum"] * v - config["learning_rate"] * dw\n    next_w = w + v',
                'v *= config["momentum"]\n    v -= config["learning_rate"] * dw\n    w += v\n    next_w = w',
            ),
            (
                "optim.py",
                'next_w = w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"])',
                'w -= config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"])\n    next_w = w',
            ),
            (
                "optim.py",
                'next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])',
                "next_w = np.copy(w)\n"
                '    next_w -= config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])',
            ),
        ),
    ),
    Alternative(
        "adam in the paper's efficient order (corrections in the step size, epsilon on sqrt(v))",
        (
            (
                "optim.py",
                "    mt = m / (1 - beta1**t)\n"
                "    vt = v / (1 - beta2**t)\n"
                '    next_w = w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"])',
                '    lr_t = config["learning_rate"] * np.sqrt(1 - beta2**t) / (1 - beta1**t)\n'
                '    next_w = w - lr_t * m / (np.sqrt(v) + config["epsilon"])',
            ),
        ),
    ),
    Alternative(
        "FullyConnectedNet creating its parameters directly in dtype",
        (
            (
                "classifiers/fc_net.py",
                'self.params["W%d" % i] = weight_scale * np.random.randn(d_in, d_out)\n'
                '            self.params["b%d" % i] = np.zeros(d_out)',
                'self.params["W%d" % i] = (weight_scale * np.random.randn(d_in, d_out)).astype(dtype)\n'
                '            self.params["b%d" % i] = np.zeros(d_out, dtype=dtype)',
            ),
        ),
    ),
    Alternative(
        "TwoLayerNet with separate affine and relu layers",
        (
            (
                "classifiers/fc_net.py",
                "hidden, hidden_cache = affine_relu_forward(X, W1, b1)",
                "pre, pre_cache = affine_forward(X, W1, b1)\n        hidden, relu_cache = relu_forward(pre)",
            ),
            (
                "classifiers/fc_net.py",
                "_, dW1, db1 = affine_relu_backward(dhidden, hidden_cache)",
                "dpre = relu_backward(dhidden, relu_cache)\n        _, dW1, db1 = affine_backward(dpre, pre_cache)",
            ),
        ),
    ),
]
