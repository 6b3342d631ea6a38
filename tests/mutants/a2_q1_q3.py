"""Mutants of Q1 (fully-connected nets) and Q3 (dropout).

Most edits sit in code only Q1 and Q3 exercise (the losses, TwoLayerNet,
FullyConnectedNet's regularization, the update rules, dropout). A bug in a
layer every network uses (affine, ReLU, softmax) also costs the model checks
of Q2 and Q4, which ``breaks`` then lists.
"""

from . import Mutant

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
        diagnosis="numeric gradient of your own loss",
    ),
    Mutant(
        "FullyConnectedNet forgets dropout_backward",
        "classifiers/fc_net.py",
        "            if self.use_dropout:\n                dh = dropout_backward(dh, dropout_cache)\n",
        "",
        breaks=("fc_net_dropout",),
        diagnosis="numeric gradient of your own loss",
    ),
]
