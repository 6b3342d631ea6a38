"""Mutants of the TP2 track, scored with rubrics/tp2.yaml.

Among them the bugs of students' real TP2 libraries (a scalar L2 gradient,
the regularizer of the wrong layer, the last partial batch dropped, the kit's
former MSE convention) and the usual slips in the activations' derivatives.
A loss averaged while its gradient is summed over the batch is not among
them: that is the course's own convention (2 (S - Y), the exercise-3
solution slides), accepted beside the exact gradient of the mean
(``grader.checks.conventions``); ``ALTERNATIVES`` holds it. A bug in an activation
or a loss also costs the exercises and the networks that use it, which
``breaks`` then lists (one check per question it reaches).
"""

import dataclasses

from . import Alternative, Mutant

TP2 = "rubrics/tp2.yaml"

#: The checks each bug must fail (measured, one or more per question it reaches).
BREAKS = {
    "mse_no_two": ("tp2_mse_loss", "tp2_ex2_backward", "tp2_loss_mse", "tp2_network_grads", "tp2_parity_narrow"),
    # one output in XOR / parity: the two conventions agree there
    "mse_all": ("tp2_mse_loss", "tp2_ex2_forward", "tp2_loss_mse", "tp2_network_grads", "tp2_fit_epochs"),
    "drop_last": ("tp2_bgd_batches",),
    "dh_from_da": ("tp2_dense_backward", "tp2_network_grads", "tp2_fit_epochs", "tp2_parity_narrow"),
    "concat_order": ("tp2_concatenate_forward", "tp2_network_grads", "tp2_fit_epochs", "tp2_xor_b"),
}

MUTANTS = [
    Mutant(
        "tp2 sigmoid derivative from the sigmoid of the output",
        "layers.py",
        "dx = dout * out * (1 - out)",
        "s = 1 / (1 + np.exp(-out))\n    dx = dout * s * (1 - s)",
        breaks=("tp2_sigmoid_backward", "tp2_ex1_sigmoid", "tp2_ex2_backward", "tp2_network_grads", "tp2_fit_epochs"),
        rubric=TP2,
    ),
    Mutant(
        "tp2 tanh derivative without the square",
        "layers.py",
        "dx = dout * (1 - out * out)",
        "dx = dout * (1 - out)",
        breaks=("tp2_tanh_backward", "tp2_ex1_tanh", "tp2_dense_backward", "tp2_fit_epochs", "tp2_xor_a"),
        rubric=TP2,
    ),
    Mutant(
        "tp2 ELU derivative for x < 0 is the forward value",
        "layers.py",
        "dx = dout * np.where(x >= 0, 1.0, alpha * np.exp(np.minimum(x, 0))).astype(x.dtype)",
        "dx = dout * np.where(x >= 0, 1.0, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype)",
        breaks=("tp2_elu_backward",),
        rubric=TP2,
    ),
    Mutant(
        "tp2 leaky ReLU default slope 0.01 instead of the lab's 0.1",
        "layers.py",
        "def leaky_relu_forward(x, slope=0.1):",
        "def leaky_relu_forward(x, slope=0.01):",
        breaks=("tp2_leaky_relu_forward", "tp2_leaky_relu_backward"),
        rubric=TP2,
    ),
    Mutant(
        "tp2 MSE gradient without the 2 of the lab's 2 (S - Y)",
        "layers.py",
        "dx = 2 * diff / diff.shape[0]",
        "dx = diff / diff.shape[0]",
        breaks=BREAKS["mse_no_two"],
        rubric=TP2,
    ),
    Mutant(
        "tp2 MSE as the mean over all elements (not the course's sum over outputs)",
        "layers.py",
        "loss = np.sum(diff * diff) / diff.shape[0]\n    dx = 2 * diff / diff.shape[0]",
        "loss = np.mean(diff * diff)\n    dx = 2 * diff / diff.size",
        breaks=BREAKS["mse_all"],
        rubric=TP2,
    ),
    Mutant(
        "tp2 last partial batch dropped",
        "network/optimizers.py",
        "out = [order[i : i + size] for i in range(0, n, size)]",
        "out = [order[i : i + size] for i in range(0, n - size + 1, size)]",
        breaks=BREAKS["drop_last"],
        rubric=TP2,
    ),
    Mutant(
        "tp2 Dense passes da (not dz) back to the previous layer",
        "network/layers.py",
        "dh = dz @ W.T",
        "dh = da @ W.T",
        breaks=BREAKS["dh_from_da"],
        rubric=TP2,
    ),
    Mutant(
        "tp2 Concatenate joins [h, x] but splits the gradient as [x, h]",
        "network/layers.py",
        "out = np.concatenate([x, h], axis=1)",
        "out = np.concatenate([h, x], axis=1)",
        breaks=BREAKS["concat_order"],
        rubric=TP2,
    ),
    Mutant(
        "tp2 Dense db averaged over the batch",
        "network/layers.py",
        'grads = {"W": h.T @ dz, "b": dz.sum(axis=0)}',
        'grads = {"W": h.T @ dz, "b": dz.mean(axis=0)}',
        breaks=("tp2_dense_backward", "tp2_fit_epochs", "tp2_parity_narrow"),
        rubric=TP2,
    ),
    Mutant(
        "tp2 Concatenate passes the whole gradient back (not split)",
        "network/layers.py",
        "dx, dh = dout[:, :d], dout[:, d:]",
        "dx, dh = dout[:, :d], dout",
        breaks=("tp2_concatenate_backward", "tp2_network_grads", "tp2_fit_epochs", "tp2_xor_b"),
        rubric=TP2,
    ),
    Mutant(
        "tp2 L2 gradient a scalar",
        "network/regularizers.py",
        "dW = self.lam * W\n",
        "dW = self.lam * float(np.sum(W))\n",
        breaks=("tp2_l2", "tp2_network_grads"),
        rubric=TP2,
    ),
    Mutant(
        "tp2 L1 gradient without the sign",
        "network/regularizers.py",
        "dW = self.lam * np.sign(W)",
        "dW = self.lam * W",
        breaks=("tp2_l1",),
        rubric=TP2,
    ),
    Mutant(
        "tp2 regularizer gradient of the wrong layer",
        "network/models.py",
        'g["W"] = g["W"] + reg.gradient(W)',
        'grads[-1]["W"] = grads[-1]["W"] + reg.gradient(self.layers[-1].params["W"])',
        breaks=("tp2_network_grads", "tp2_fit_epochs"),
        rubric=TP2,
    ),
    Mutant(
        "tp2 BGD does not shuffle",
        "network/optimizers.py",
        "order = rng.permutation(n)",
        "order = np.arange(n)",
        breaks=("tp2_bgd_batches",),
        diagnosis="original order",
        rubric=TP2,
    ),
    Mutant(
        "tp2 BGD step in the gradient's direction",
        "network/optimizers.py",
        "param -= self.lr * grad",
        "param += self.lr * grad",
        breaks=("tp2_bgd_update", "tp2_fit_epochs", "tp2_xor_a"),
        rubric=TP2,
    ),
    Mutant(
        "tp2 fit updates the weights but not the biases",
        "network/models.py",
        "                    for k, dp in g.items():\n",
        "                    for k, dp in g.items():\n"
        '                        if k == "b":\n'
        "                            continue\n",
        breaks=("tp2_fit_epochs", "tp2_xor_a"),
        rubric=TP2,
    ),
    # -- exercises 3-4 without objects (tp2_ex3.py): the students' own slips ------------------
    Mutant(
        "tp2 ex3 L2 gradient a scalar",
        "tp2_ex3.py",
        "dW1 = dW1 + reg * W1",
        "dW1 = dW1 + reg * np.sum(W1)",
        breaks=("tp2_ex3_loss_and_grads", "tp2_ex3_epoch", "tp2_ex4_switch"),
        rubric=TP2,
    ),
    Mutant(
        "tp2 ex3 regularizer applied to the last layer only",
        "tp2_ex3.py",
        "dW1 = dW1 + reg * W1\n",
        "dW1 = dW1\n",
        breaks=("tp2_ex3_loss_and_grads", "tp2_ex3_epoch", "tp2_ex4_switch"),
        rubric=TP2,
    ),
    Mutant(
        "tp2 ex3 last partial batch dropped",
        "tp2_ex3.py",
        "for start in range(0, n, batch_size):",
        "for start in range(0, n - batch_size + 1, batch_size):",
        breaks=("tp2_ex3_epoch",),
        rubric=TP2,
    ),
    Mutant(
        "tp2 ex3 sigmoid derivative from the layer's output",
        "tp2_ex3.py",
        "grad = grad * grad_sigmoid(Y1)",
        "grad = grad * grad_sigmoid(S1p[:, 1:])",
        breaks=("tp2_ex3_backward", "tp2_ex3_loss_and_grads", "tp2_ex3_epoch", "tp2_ex4_switch"),
        rubric=TP2,
    ),
    Mutant(
        "tp2 ex3 the bias column dropped from the wrong end",
        "tp2_ex3.py",
        "grad = (grad @ W2.T)[:, 1:]",
        "grad = (grad @ W2.T)[:, :-1]",
        breaks=("tp2_ex3_backward", "tp2_ex3_loss_and_grads", "tp2_ex3_epoch", "tp2_ex4_switch"),
        rubric=TP2,
    ),
    Mutant(
        "tp2 ex3 grad_mse divided by every element (np.mean's N * C, not the course's sum over outputs)",
        "tp2_ex3.py",
        "grad = 2 * (scores - Y) / scores.shape[0]",
        "grad = 2 * (scores - Y) / scores.size",
        breaks=("tp2_ex3_mse", "tp2_ex3_loss_and_grads", "tp2_ex3_epoch"),
        rubric=TP2,
    ),
    Mutant(
        "tp2 ex3 accuracy compares the argmax with one-hot rows",
        "tp2_ex3.py",
        "labels = np.argmax(y, axis=1) if y.ndim == 2 else y",
        "labels = y",
        breaks=("tp2_ex3_accuracy", "tp2_ex3_epoch"),
        rubric=TP2,
    ),
]

#: The library's bugs reach the networks of exercises 5 and 8 too (measured).
_REACH_EX5_EX8 = {
    "tp2 sigmoid derivative from the sigmoid of the output": "tp2_ex5_grads",
    "tp2 MSE gradient without the 2 of the lab's 2 (S - Y)": "tp2_ex5_grads",
    "tp2 MSE as the mean over all elements (not the course's sum over outputs)": "tp2_ex5_grads",
    "tp2 Dense passes da (not dz) back to the previous layer": "tp2_ex8_grads",
    "tp2 Dense db averaged over the batch": "tp2_ex8_grads",
    "tp2 L2 gradient a scalar": "tp2_ex8_grads",
    "tp2 regularizer gradient of the wrong layer": "tp2_ex8_grads",
    "tp2 BGD step in the gradient's direction": "tp2_ex5_step",
    "tp2 fit updates the weights but not the biases": "tp2_ex8_step",
}
MUTANTS = [
    dataclasses.replace(m, breaks=(*m.breaks, _REACH_EX5_EX8[m.name])) if m.name in _REACH_EX5_EX8 else m
    for m in MUTANTS
]

#: The course's convention (grader.checks.conventions, ``batch_sum``): each loss's gradient is that of
#: the loss summed over the batch, 2 (S - Y) and softmax(S) - Y, as the exercise-3 solution slides
#: write it. Correct: full marks under the TP2 rubric, on every hidden draw.
_SUMMED_MSE = ("layers.py", "dx = 2 * diff / diff.shape[0]", "dx = 2 * diff")
_SUMMED_EX3 = (
    ("tp2_ex3.py", "grad = 2 * (scores - Y) / scores.shape[0]", "grad = 2 * (scores - Y)"),
    ("tp2_ex3.py", "grad = (p - Y) / scores.shape[0]", "grad = p - Y"),
)
_SUMMED_LOSSES = (
    (
        "network/losses.py",
        "return L.svm_loss(scores, labels_of(target, scores.shape[1]))",
        "value, grad = L.svm_loss(scores, labels_of(target, scores.shape[1]))\n"
        "        return value, grad * scores.shape[0]",
    ),
    (
        "network/losses.py",
        "return L.softmax_loss(scores, labels_of(target, scores.shape[1]))",
        "value, grad = L.softmax_loss(scores, labels_of(target, scores.shape[1]))\n"
        "        return value, grad * scores.shape[0]",
    ),
)
ALTERNATIVES = [
    Alternative("tp2 the course's MSE gradient 2 (S - Y) in the library", (_SUMMED_MSE,)),
    Alternative("tp2 the course's gradients in exercises 3-4 (grad_mse, grad_softmax)", _SUMMED_EX3),
    Alternative("tp2 the course's gradients everywhere (MSE, SVM, CCE, exercises 3-4)", (_SUMMED_MSE, *_SUMMED_EX3,
                *_SUMMED_LOSSES)),
]
