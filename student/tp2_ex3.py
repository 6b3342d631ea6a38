"""TP2, exercises 3 and 4: a two-layer network on CIFAR-10 written without objects ("sin POO").

3072 inputs -> 100 sigmoid units -> 10 linear outputs, one-hot targets (class 1 is
[0 1 0 0 0 0 0 0 0 0]), an L2 penalty, trained by minibatch gradient descent.

The lab's conventions (its exercise-3 solution):

* every weight matrix has one row more than its layer has inputs: the bias row,
  multiplied by a column of ones put FIRST in front of the layer's input
  (``W1`` is (3073, 100), ``W2`` is (101, 10));
* the MSE is the mean over the examples of the sum over the outputs,
  ``loss_mse``; its gradient ``grad_mse`` is 2 (S - Y) divided by the batch
  size (the gradient of that mean);
* the penalty is 0.5 * reg * (sum(W1**2) + sum(W2**2)), bias rows included, so
  each step is ``W <- W - lr * (dW + reg * W)``.

Exercise 4 switches the loss: ``LOSSES["mse"]`` is ``(loss_mse, grad_mse)``
and ``LOSSES["softmax"]`` is ``(loss_softmax, grad_softmax)``, the
categorical cross-entropy of the softmax of the scores.
"""
from __future__ import annotations

import numpy as np


def one_hot(y, num_classes=10):
    """Labels (N,) -> rows (N, num_classes) with a 1 in the label's column (given code)."""
    y = np.asarray(y)
    out = np.zeros((y.shape[0], num_classes))
    out[np.arange(y.shape[0]), y] = 1
    return out


def add_ones(X):
    """X (N, D) -> (N, D + 1) with a first column of ones, the bias input (given code)."""
    return np.hstack([np.ones((X.shape[0], 1), dtype=X.dtype), X])


def init_weights(dim, hidden=100, classes=10, scale=1e-3, seed=0):
    """W1 (dim + 1, hidden) and W2 (hidden + 1, classes), normal of spread ``scale`` (given code)."""
    rng = np.random.default_rng(seed)
    return scale * rng.standard_normal((dim + 1, hidden)), scale * rng.standard_normal((hidden + 1, classes))


def sigmoid(x):
    """1 / (1 + exp(-x)), elementwise."""
    out = None
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("sigmoid is not implemented yet (tp2_ex3.py)")
    return out


def grad_sigmoid(x):
    """The derivative of the sigmoid AT x (x is the sigmoid's input, not its output)."""
    out = None
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("grad_sigmoid is not implemented yet (tp2_ex3.py)")
    return out


def loss_mse(scores, Y):
    """The course's MSE: the mean over the examples of the sum over the outputs of (scores - Y)**2.

    scores, Y: (N, C), Y one-hot.
    """
    loss = None
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("loss_mse is not implemented yet (tp2_ex3.py)")
    return loss


def grad_mse(scores, Y):
    """d loss_mse / d scores: 2 (scores - Y) / N."""
    grad = None
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("grad_mse is not implemented yet (tp2_ex3.py)")
    return grad


def loss_softmax(scores, Y):
    """Categorical cross-entropy: the mean over the examples of -log softmax(scores)[class], Y one-hot."""
    loss = None
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("loss_softmax is not implemented yet (tp2_ex3.py)")
    return loss


def grad_softmax(scores, Y):
    """d loss_softmax / d scores: (softmax(scores) - Y) / N."""
    grad = None
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("grad_softmax is not implemented yet (tp2_ex3.py)")
    return grad


#: The switchable losses of exercise 4: name -> (loss, gradient).
LOSSES = {"mse": (loss_mse, grad_mse), "softmax": (loss_softmax, grad_softmax)}


def accuracy(scores, y):
    """The fraction of rows whose largest score is the class; y: labels (N,) or one-hot rows (N, C)."""
    acc = None
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("accuracy is not implemented yet (tp2_ex3.py)")
    return acc


def forward(X, W1, W2):
    """Scores (N, C) of the network for X (N, D), and the cache the backward pass needs.

    S1 = sigmoid(X' W1) with X' = [1, X]; S2 = S1' W2 with S1' = [1, S1] (linear output).
    """
    scores, cache = None, None
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("forward is not implemented yet (tp2_ex3.py)")
    return scores, cache


def backward(grad, cache, W2):
    """(dW1, dW2) of the data loss, given grad = d loss / d scores (the penalty is not here)."""
    dW1, dW2 = None, None
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("backward is not implemented yet (tp2_ex3.py)")
    return dW1, dW2


def loss_and_grads(X, Y, W1, W2, reg=0.0, loss="mse"):
    """The data loss of ``LOSSES[loss]`` plus 0.5 * reg * (sum(W1**2) + sum(W2**2)), and (dW1, dW2)."""
    loss_fn, grad_fn = LOSSES[loss]
    value, dW1, dW2 = None, None, None
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("loss_and_grads is not implemented yet (tp2_ex3.py)")
    return float(value), dW1, dW2


def train_epoch(X, Y, W1, W2, lr, reg=0.0, batch_size=128, loss="mse", rng=None):
    """One epoch of minibatch gradient descent, W1 and W2 updated in place.

    The examples are visited in a random order drawn from ``rng`` (in order when
    rng is None), in batches of ``batch_size``; the last batch may be smaller and
    is used too. Returns (the mean over the batches of the loss, of the accuracy).
    """
    losses, accs = [], []
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("train_epoch is not implemented yet (tp2_ex3.py)")
    return float(np.mean(losses)), float(np.mean(accs))


def fit(X, y, X_test, y_test, epochs=10, hidden=100, lr=1e-3, reg=1e-4, batch_size=128, loss="mse", seed=0, scale=1e-3):
    """Train from ``init_weights``; the history per epoch: loss, accuracy, test_loss, test_accuracy (given code)."""
    Y, Y_test = one_hot(y), one_hot(y_test)
    W1, W2 = init_weights(X.shape[1], hidden, Y.shape[1], scale, seed)
    rng = np.random.default_rng(seed)
    loss_fn = LOSSES[loss][0]
    history = {"loss": [], "accuracy": [], "test_loss": [], "test_accuracy": []}
    for _ in range(epochs):
        value, acc = train_epoch(X, Y, W1, W2, lr, reg, batch_size, loss, rng)
        history["loss"].append(value)
        history["accuracy"].append(acc)
        scores = forward(X_test, W1, W2)[0]
        history["test_loss"].append(loss_fn(scores, Y_test))
        history["test_accuracy"].append(accuracy(scores, y_test))
    return history, (W1, W2)
