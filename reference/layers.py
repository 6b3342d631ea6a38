"""Layers of Assignment 2: forward and backward passes, side by side.

Every ``*_forward`` function returns ``(out, cache)``; the matching
``*_backward(dout, cache)`` returns the gradients with respect to the inputs of
the forward pass, in input order. Caches are opaque: only the matching backward
pass reads them.

All layers are written with numpy and preserve the floating dtype of their
inputs (float32 in, float32 out).
"""
import numpy as np

from .validation import (
    check_activation_input,
    check_affine,
    check_conv,
    check_finite_real,
    check_mode,
    check_non_negative_real,
    check_norm_params,
    check_pool,
    check_positive_int,
    check_regression,
    check_scores,
    check_spatial,
)

__all__ = [
    "affine_forward",
    "affine_backward",
    "relu_forward",
    "relu_backward",
    "softmax_loss",
    "svm_loss",
    "batchnorm_forward",
    "batchnorm_backward",
    "batchnorm_backward_alt",
    "layernorm_forward",
    "layernorm_backward",
    "dropout_forward",
    "dropout_backward",
    "conv_forward_naive",
    "conv_backward_naive",
    "max_pool_forward_naive",
    "max_pool_backward_naive",
    "spatial_batchnorm_forward",
    "spatial_batchnorm_backward",
    "spatial_groupnorm_forward",
    "spatial_groupnorm_backward",
    "sigmoid_forward",
    "sigmoid_backward",
    "tanh_forward",
    "tanh_backward",
    "elu_forward",
    "elu_backward",
    "leaky_relu_forward",
    "leaky_relu_backward",
    "mse_loss",
]


# ---------------------------------------------------------------------------
# Affine and ReLU
# ---------------------------------------------------------------------------


def affine_forward(x, w, b):
    """Compute the forward pass of an affine (fully connected) layer.

    The input x has shape (N, d_1, ..., d_k): a minibatch of N examples, each
    of shape (d_1, ..., d_k). Each example is reshaped into a vector of
    dimension D = d_1 * ... * d_k and mapped to a vector of dimension M.

    Inputs:
    - x: A numpy array containing input data, of shape (N, d_1, ..., d_k)
    - w: A numpy array of weights, of shape (D, M)
    - b: A numpy array of biases, of shape (M,)

    Returns a tuple of:
    - out: output, of shape (N, M)
    - cache: (x, w, b)
    """
    check_affine(x, w, b)
    out = None
    # BEGIN SOLUTION
    out = x.reshape(x.shape[0], -1).dot(w) + b
    # END SOLUTION
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    """Compute the backward pass of an affine (fully connected) layer.

    Inputs:
    - dout: Upstream derivative, of shape (N, M)
    - cache: Tuple of:
      - x: Input data, of shape (N, d_1, ..., d_k)
      - w: Weights, of shape (D, M)
      - b: Biases, of shape (M,)

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, d_1, ..., d_k)
    - dw: Gradient with respect to w, of shape (D, M)
    - db: Gradient with respect to b, of shape (M,)
    """
    x, w, b = cache
    dx, dw, db = None, None, None
    # BEGIN SOLUTION
    x_rows = x.reshape(x.shape[0], -1)
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x_rows.T.dot(dout)
    db = dout.sum(axis=0)
    # END SOLUTION
    return dx, dw, db


def relu_forward(x):
    """Compute the forward pass of a layer of rectified linear units (ReLUs).

    Inputs:
    - x: Inputs, of any shape

    Returns a tuple of:
    - out: Output, of the same shape as x
    - cache: x
    """
    out = None
    # BEGIN SOLUTION
    out = np.maximum(x, 0)
    # END SOLUTION
    cache = x
    return out, cache


def relu_backward(dout, cache):
    """Compute the backward pass of a layer of rectified linear units (ReLUs).

    The derivative at x == 0 is taken to be 0.

    Inputs:
    - dout: Upstream derivatives, of any shape
    - cache: Input x, of the same shape as dout

    Returns:
    - dx: Gradient with respect to x, of the same shape as dout
    """
    x = cache
    dx = None
    # BEGIN SOLUTION
    dx = dout * (x > 0)
    # END SOLUTION
    return dx


# ---------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------


def softmax_loss(x, y):
    """Compute the loss and gradient for softmax classification.

    The loss is the mean over the N examples of the cross-entropy between the
    softmax of the scores and the correct class. It is computed stably (the
    scores of each row are shifted by their maximum).

    Inputs:
    - x: Input data, of shape (N, C) where x[i, j] is the score for the jth
      class for the ith input.
    - y: Vector of labels, of shape (N,) where y[i] is the label for x[i] and
      0 <= y[i] < C

    Returns a tuple of:
    - loss: Scalar giving the loss
    - dx: Gradient of the loss with respect to x, of shape (N, C)
    """
    check_scores(x, y)
    loss, dx = None, None
    # BEGIN SOLUTION
    N = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(N), y].sum() / N
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    dx /= N
    # END SOLUTION
    return loss, dx


def svm_loss(x, y):
    """Compute the loss and gradient for multiclass SVM classification.

    The loss is the mean over the N examples of the hinge loss
    sum_{j != y_i} max(0, x[i, j] - x[i, y_i] + 1). Where a margin is exactly
    zero the subgradient 0 is used.

    Inputs:
    - x: Input data, of shape (N, C) where x[i, j] is the score for the jth
      class for the ith input.
    - y: Vector of labels, of shape (N,) where y[i] is the label for x[i] and
      0 <= y[i] < C

    Returns a tuple of:
    - loss: Scalar giving the loss
    - dx: Gradient of the loss with respect to x, of shape (N, C)
    """
    check_scores(x, y)
    loss, dx = None, None
    # BEGIN SOLUTION
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
    # END SOLUTION
    return loss, dx


# ---------------------------------------------------------------------------
# Batch normalization and layer normalization
# ---------------------------------------------------------------------------


def batchnorm_forward(x, gamma, beta, bn_param):
    """Forward pass for batch normalization.

    During training the sample mean and (biased, divided by N) sample variance
    are computed from the minibatch and used to normalize the data; an
    exponentially decaying running mean of each is kept, and both are used at
    test time to normalize the data:

    running_mean = momentum * running_mean + (1 - momentum) * sample_mean
    running_var = momentum * running_var + (1 - momentum) * sample_var

    Inputs:
    - x: Data of shape (N, D)
    - gamma: Scale parameter of shape (D,)
    - beta: Shift parameter of shape (D,)
    - bn_param: Dictionary with the following keys:
      - mode: 'train' or 'test'; required
      - eps: Constant for numeric stability (default 1e-5)
      - momentum: Constant for running mean / variance (default 0.9)
      - running_mean: Array of shape (D,) giving running mean of features
        (zeros of x's dtype when absent; updated in place in bn_param)
      - running_var: Array of shape (D,) giving running variance of features
        (zeros of x's dtype when absent; updated in place in bn_param)

    Returns a tuple of:
    - out: of shape (N, D)
    - cache: A tuple of values needed in the backward pass
    """
    check_norm_params(x, gamma, beta, "(N, D)")
    mode = check_mode("bn_param", bn_param, "batchnorm")
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)

    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))

    out, cache = None, None
    # BEGIN SOLUTION
    if mode == "train":
        mean = x.mean(axis=0)
        centered = x - mean
        var = (centered ** 2).mean(axis=0)
        std = np.sqrt(var + eps)
        inv_std = 1 / std
        x_hat = centered * inv_std
        out = gamma * x_hat + beta
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var
        cache = ("train", x_hat, centered, std, inv_std, gamma)
    else:
        std = np.sqrt(running_var + eps)
        inv_std = 1 / std
        x_hat = (x - running_mean) * inv_std
        out = gamma * x_hat + beta
        cache = ("test", x_hat, None, std, inv_std, gamma)
    # END SOLUTION

    # Store the updated running means back into bn_param
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var

    return out, cache


def batchnorm_backward(dout, cache):
    """Backward pass for batch normalization, through its computation graph.

    The forward pass is taken apart into elementary steps (mean, centering,
    variance, square root, reciprocal, scaling, shift), and the gradient is
    propagated back through each in turn. In 'test' mode the statistics are
    constants and the layer is an elementwise affine map.

    Inputs:
    - dout: Upstream derivatives, of shape (N, D)
    - cache: Variable of intermediates from batchnorm_forward.

    Returns a tuple of:
    - dx: Gradient with respect to inputs x, of shape (N, D)
    - dgamma: Gradient with respect to scale parameter gamma, of shape (D,)
    - dbeta: Gradient with respect to shift parameter beta, of shape (D,)
    """
    dx, dgamma, dbeta = None, None, None
    # BEGIN SOLUTION
    mode, x_hat, centered, std, inv_std, gamma = cache
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
    # END SOLUTION
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """Alternative backward pass for batch normalization, in closed form.

    With x_hat the normalized input and g = dout * gamma, the gradient
    simplifies to dx = (g - mean(g) - x_hat * mean(g * x_hat)) / std, the
    means taken over the batch. Same inputs, outputs and results as
    batchnorm_backward.

    Inputs / outputs: Same as batchnorm_backward
    """
    dx, dgamma, dbeta = None, None, None
    # BEGIN SOLUTION
    mode, x_hat, _, _, inv_std, gamma = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    g = dout * gamma
    if mode == "test":
        dx = g * inv_std
    else:
        dx = inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
    # END SOLUTION
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    """Forward pass for layer normalization.

    Each example (row) of x is normalized over its D features, with its own
    mean and (biased) variance; gamma and beta then scale and shift each
    feature. The layer behaves identically at train and test time and keeps
    no running statistics (a 'mode' key in ln_param is ignored).

    Inputs:
    - x: Data of shape (N, D)
    - gamma: Scale parameter of shape (D,)
    - beta: Shift parameter of shape (D,)
    - ln_param: Dictionary with the following keys:
        - eps: Constant for numeric stability (default 1e-5)

    Returns a tuple of:
    - out: of shape (N, D)
    - cache: A tuple of values needed in the backward pass
    """
    check_norm_params(x, gamma, beta, "(N, D)")
    eps = ln_param.get("eps", 1e-5)
    out, cache = None, None
    # BEGIN SOLUTION
    mean = x.mean(axis=1, keepdims=True)
    centered = x - mean
    var = (centered ** 2).mean(axis=1, keepdims=True)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = centered * inv_std
    out = gamma * x_hat + beta
    cache = (x_hat, inv_std, gamma)
    # END SOLUTION
    return out, cache


def layernorm_backward(dout, cache):
    """Backward pass for layer normalization.

    Inputs:
    - dout: Upstream derivatives, of shape (N, D)
    - cache: Variable of intermediates from layernorm_forward.

    Returns a tuple of:
    - dx: Gradient with respect to inputs x, of shape (N, D)
    - dgamma: Gradient with respect to scale parameter gamma, of shape (D,)
    - dbeta: Gradient with respect to shift parameter beta, of shape (D,)
    """
    dx, dgamma, dbeta = None, None, None
    # BEGIN SOLUTION
    x_hat, inv_std, gamma = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    g = dout * gamma
    dx = inv_std * (
        g - g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).mean(axis=1, keepdims=True)
    )
    # END SOLUTION
    return dx, dgamma, dbeta


# ---------------------------------------------------------------------------
# Dropout
# ---------------------------------------------------------------------------


def dropout_forward(x, dropout_param):
    """Forward pass for inverted dropout.

    Note that p is the probability of KEEPING a neuron (not of dropping it).
    At train time each unit is kept with probability p and the kept units are
    scaled by 1 / p, so that the expected output equals the input and the
    test-time pass is the identity.

    Inputs:
    - x: Input data, of any shape
    - dropout_param: A dictionary with the following keys:
      - p: Dropout parameter. We keep each neuron output with probability p,
        0 < p <= 1.
      - mode: 'test' or 'train'. If the mode is train, then perform dropout;
        if the mode is test, then just return the input.
      - seed: Seed for the random number generator. Passing seed makes this
        function deterministic, which is needed for gradient checking but not
        in real networks.

    Returns a tuple of:
    - out: Array of the same shape as x.
    - cache: tuple (dropout_param, mask). In training mode, mask is the dropout
      mask (already scaled by 1 / p) that was used to multiply the input; in
      test mode, mask is None.
    """
    mode = check_mode("dropout_param", dropout_param, "dropout")
    p = dropout_param.get("p")
    if p is None or not 0 < p <= 1:
        raise ValueError(f"dropout_param['p'] is the keep probability and must be in (0, 1], got {p!r}")
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])

    mask = None
    out = None
    # BEGIN SOLUTION
    if mode == "train":
        mask = ((np.random.rand(*x.shape) < p) / p).astype(x.dtype, copy=False)
        out = x * mask
    else:
        out = x
    # END SOLUTION

    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache


def dropout_backward(dout, cache):
    """Backward pass for inverted dropout.

    Inputs:
    - dout: Upstream derivatives, of any shape
    - cache: (dropout_param, mask) from dropout_forward.

    Returns:
    - dx: Gradient with respect to x, of the same shape as dout
    """
    dropout_param, mask = cache
    mode = dropout_param["mode"]
    dx = None
    # BEGIN SOLUTION
    if mode == "train":
        dx = dout * mask
    else:
        dx = dout
    # END SOLUTION
    return dx


# ---------------------------------------------------------------------------
# Convolution and max pooling (naive: loops over the output positions)
# ---------------------------------------------------------------------------


def conv_forward_naive(x, w, b, conv_param):
    """A naive implementation of the forward pass for a convolutional layer.

    The input consists of N data points, each with C channels, height H and
    width W. Each input is convolved (cross-correlated, as in every deep
    learning library) with F different filters, where each filter spans all
    C channels and has height HH and width WW. The input is zero-padded
    symmetrically by 'pad' pixels along its height and width.

    Inputs:
    - x: Input data of shape (N, C, H, W)
    - w: Filter weights of shape (F, C, HH, WW)
    - b: Biases, of shape (F,)
    - conv_param: A dictionary with the following keys:
      - 'stride': The number of pixels between adjacent receptive fields in
        the horizontal and vertical directions (a positive int).
      - 'pad': The number of pixels that will be used to zero-pad the input
        (a non-negative int). (H + 2 * pad - HH) and (W + 2 * pad - WW) must
        be multiples of stride.

    Returns a tuple of:
    - out: Output data, of shape (N, F, H', W') where H' and W' are given by
      H' = 1 + (H + 2 * pad - HH) // stride
      W' = 1 + (W + 2 * pad - WW) // stride
    - cache: (x, w, b, conv_param)
    """
    check_conv(x, w, b, conv_param)
    out = None
    # BEGIN SOLUTION
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.empty((N, F, H_out, W_out), dtype=np.result_type(x, w, b))
    for i in range(H_out):
        top = i * stride
        for j in range(W_out):
            left = j * stride
            window = x_pad[:, :, top:top + HH, left:left + WW]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    # END SOLUTION
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_naive(dout, cache):
    """A naive implementation of the backward pass for a convolutional layer.

    Inputs:
    - dout: Upstream derivatives, of shape (N, F, H', W')
    - cache: A tuple of (x, w, b, conv_param) as in conv_forward_naive

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    - dw: Gradient with respect to w, of shape (F, C, HH, WW)
    - db: Gradient with respect to b, of shape (F,)
    """
    dx, dw, db = None, None, None
    # BEGIN SOLUTION
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_pad = np.zeros_like(x_pad, dtype=np.result_type(dout, w))
    dw = np.zeros_like(w, dtype=np.result_type(dout, x))
    db = dout.sum(axis=(0, 2, 3))
    for i in range(H_out):
        top = i * stride
        for j in range(W_out):
            left = j * stride
            d = dout[:, :, i, j]  # (N, F)
            window = x_pad[:, :, top:top + HH, left:left + WW]
            dw += np.tensordot(d, window, axes=([0], [0]))
            dx_pad[:, :, top:top + HH, left:left + WW] += np.tensordot(d, w, axes=([1], [0]))
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    # END SOLUTION
    return dx, dw, db


def max_pool_forward_naive(x, pool_param):
    """A naive implementation of the forward pass for a max-pooling layer.

    Windows that do not tile the input are allowed: the rows and columns left
    over at the bottom and right are ignored (the floor convention of torch's
    max_pool2d without padding). Windows may overlap (stride < pool size).

    Inputs:
    - x: Input data, of shape (N, C, H, W)
    - pool_param: dictionary with the following keys:
      - 'pool_height': The height of each pooling region (positive int, <= H)
      - 'pool_width': The width of each pooling region (positive int, <= W)
      - 'stride': The distance between adjacent pooling regions (positive int)

    Returns a tuple of:
    - out: Output data, of shape (N, C, H', W') where H' and W' are given by
      H' = 1 + (H - pool_height) // stride
      W' = 1 + (W - pool_width) // stride
    - cache: (x, pool_param)
    """
    check_pool(x, pool_param)
    out = None
    # BEGIN SOLUTION
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    H_out = 1 + (H - ph) // stride
    W_out = 1 + (W - pw) // stride
    out = np.empty((N, C, H_out, W_out), dtype=x.dtype)
    for i in range(H_out):
        top = i * stride
        for j in range(W_out):
            left = j * stride
            out[:, :, i, j] = x[:, :, top:top + ph, left:left + pw].max(axis=(2, 3))
    # END SOLUTION
    cache = (x, pool_param)
    return out, cache


def max_pool_backward_naive(dout, cache):
    """A naive implementation of the backward pass for a max-pooling layer.

    The upstream derivative of each window goes entirely to the element that
    attained its maximum. On ties it goes to the first maximum in row-major
    order within the window (as np.argmax picks it, and as torch's CPU kernel
    does). Where windows overlap, the contributions of every window add up.

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H', W')
    - cache: A tuple of (x, pool_param) as in the forward pass.

    Returns:
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    """
    dx = None
    # BEGIN SOLUTION
    x, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    _, _, H_out, W_out = dout.shape
    dx = np.zeros_like(x, dtype=np.result_type(dout, x))
    for i in range(H_out):
        top = i * stride
        for j in range(W_out):
            left = j * stride
            window = x[:, :, top:top + ph, left:left + pw].reshape(N, C, ph * pw)
            first_max = window.argmax(axis=2)[:, :, None]
            dwindow = np.zeros((N, C, ph * pw), dtype=dx.dtype)
            np.put_along_axis(dwindow, first_max, dout[:, :, i, j][:, :, None], axis=2)
            dx[:, :, top:top + ph, left:left + pw] += dwindow.reshape(N, C, ph, pw)
    # END SOLUTION
    return dx


# ---------------------------------------------------------------------------
# Spatial batch normalization and group normalization
# ---------------------------------------------------------------------------


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Compute the forward pass for spatial batch normalization.

    Every channel is normalized with the statistics of all N * H * W values of
    that channel: the layer is batchnorm_forward applied to the data seen as
    N * H * W examples of C features.

    Inputs:
    - x: Input data of shape (N, C, H, W)
    - gamma: Scale parameter, of shape (C,)
    - beta: Shift parameter, of shape (C,)
    - bn_param: Dictionary with the following keys:
      - mode: 'train' or 'test'; required
      - eps: Constant for numeric stability (default 1e-5)
      - momentum: Constant for running mean / variance (default 0.9)
      - running_mean: Array of shape (C,) giving running mean of features
      - running_var Array of shape (C,) giving running variance of features

    Returns a tuple of:
    - out: Output data, of shape (N, C, H, W)
    - cache: Values needed for the backward pass
    """
    check_spatial(x, gamma, beta, lambda C: (C,))
    out, cache = None, None
    # BEGIN SOLUTION
    N, C, H, W = x.shape
    x_rows = x.transpose(0, 2, 3, 1).reshape(-1, C)
    out_rows, cache = batchnorm_forward(x_rows, gamma, beta, bn_param)
    out = out_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    # END SOLUTION
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    """Compute the backward pass for spatial batch normalization.

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H, W)
    - cache: Values from the forward pass

    Returns a tuple of:
    - dx: Gradient with respect to inputs, of shape (N, C, H, W)
    - dgamma: Gradient with respect to scale parameter, of shape (C,)
    - dbeta: Gradient with respect to shift parameter, of shape (C,)
    """
    dx, dgamma, dbeta = None, None, None
    # BEGIN SOLUTION
    N, C, H, W = dout.shape
    dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, C)
    dx_rows, dgamma, dbeta = batchnorm_backward_alt(dout_rows, cache)
    dx = dx_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    # END SOLUTION
    return dx, dgamma, dbeta


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    """Compute the forward pass for spatial group normalization.

    The C channels are split into G consecutive groups of C // G channels;
    each example is normalized, within each group, with the mean and (biased)
    variance of the group's (C // G) * H * W values. gamma and beta then scale
    and shift each channel. Like layer normalization, the layer behaves
    identically at train and test time.

    Inputs:
    - x: Input data of shape (N, C, H, W)
    - gamma: Scale parameter, of shape (1, C, 1, 1)
    - beta: Shift parameter, of shape (1, C, 1, 1)
    - G: Integer number of groups to split into, should be a divisor of C
    - gn_param: Dictionary with the following keys:
      - eps: Constant for numeric stability (default 1e-5)

    Returns a tuple of:
    - out: Output data, of shape (N, C, H, W)
    - cache: Values needed for the backward pass
    """
    check_spatial(x, gamma, beta, lambda C: (1, C, 1, 1))
    check_positive_int("G", G)
    if x.shape[1] % G != 0:
        raise ValueError(f"G ({G}) must divide the number of channels C ({x.shape[1]})")
    eps = gn_param.get("eps", 1e-5)
    out, cache = None, None
    # BEGIN SOLUTION
    N = x.shape[0]
    groups = x.reshape(N, G, -1)
    mean = groups.mean(axis=2, keepdims=True)
    centered = groups - mean
    var = (centered ** 2).mean(axis=2, keepdims=True)
    inv_std = 1 / np.sqrt(var + eps)
    groups_hat = centered * inv_std
    x_hat = groups_hat.reshape(x.shape)
    out = gamma * x_hat + beta
    cache = (groups_hat, inv_std, gamma, G)
    # END SOLUTION
    return out, cache


def spatial_groupnorm_backward(dout, cache):
    """Compute the backward pass for spatial group normalization.

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H, W)
    - cache: Values from the forward pass

    Returns a tuple of:
    - dx: Gradient with respect to inputs, of shape (N, C, H, W)
    - dgamma: Gradient with respect to scale parameter, of shape (1, C, 1, 1)
    - dbeta: Gradient with respect to shift parameter, of shape (1, C, 1, 1)
    """
    dx, dgamma, dbeta = None, None, None
    # BEGIN SOLUTION
    groups_hat, inv_std, gamma, G = cache
    N = dout.shape[0]
    x_hat = groups_hat.reshape(dout.shape)
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
    dgamma = (dout * x_hat).sum(axis=(0, 2, 3), keepdims=True)
    g = (dout * gamma).reshape(N, G, -1)
    dgroups = inv_std * (
        g - g.mean(axis=2, keepdims=True)
        - groups_hat * (g * groups_hat).mean(axis=2, keepdims=True)
    )
    dx = dgroups.reshape(dout.shape)
    # END SOLUTION
    return dx, dgamma, dbeta


# ---------------------------------------------------------------------------
# TP2: more activations and a regression loss
# ---------------------------------------------------------------------------


def sigmoid_forward(x):
    """Compute the forward pass of a layer of logistic sigmoids, 1 / (1 + exp(-x)).

    Computed without overflow for inputs of any magnitude.

    Inputs:
    - x: Inputs, a floating-point array of any shape

    Returns a tuple of:
    - out: Output, of the same shape as x, in (0, 1)
    - cache: out (the derivative is out * (1 - out))
    """
    check_activation_input(x)
    out = None
    # BEGIN SOLUTION
    out = np.exp(-np.logaddexp(0, -x))
    # END SOLUTION
    cache = out
    return out, cache


def sigmoid_backward(dout, cache):
    """Compute the backward pass of a layer of logistic sigmoids.

    Inputs:
    - dout: Upstream derivatives, of any shape
    - cache: The forward pass's output out, of the same shape as dout

    Returns:
    - dx: Gradient with respect to x, of the same shape as dout
    """
    out = cache
    dx = None
    # BEGIN SOLUTION
    dx = dout * out * (1 - out)
    # END SOLUTION
    return dx


def tanh_forward(x):
    """Compute the forward pass of a layer of hyperbolic tangents.

    Inputs:
    - x: Inputs, a floating-point array of any shape

    Returns a tuple of:
    - out: Output, of the same shape as x, in (-1, 1)
    - cache: out (the derivative is 1 - out**2)
    """
    check_activation_input(x)
    out = None
    # BEGIN SOLUTION
    out = np.tanh(x)
    # END SOLUTION
    cache = out
    return out, cache


def tanh_backward(dout, cache):
    """Compute the backward pass of a layer of hyperbolic tangents.

    Inputs:
    - dout: Upstream derivatives, of any shape
    - cache: The forward pass's output out, of the same shape as dout

    Returns:
    - dx: Gradient with respect to x, of the same shape as dout
    """
    out = cache
    dx = None
    # BEGIN SOLUTION
    dx = dout * (1 - out * out)
    # END SOLUTION
    return dx


def elu_forward(x, alpha=1.0):
    """Compute the forward pass of a layer of exponential linear units (ELUs).

    elu(x) = x for x >= 0 and alpha * (exp(x) - 1) for x < 0 (the lab's branches).

    Inputs:
    - x: Inputs, a floating-point array of any shape
    - alpha: The saturation value for large negative inputs is -alpha

    Returns a tuple of:
    - out: Output, of the same shape as x
    - cache: (x, alpha)
    """
    check_activation_input(x)
    check_non_negative_real("alpha", alpha)
    out = None
    # BEGIN SOLUTION
    out = np.where(x >= 0, x, alpha * np.expm1(np.minimum(x, 0)))
    # END SOLUTION
    cache = (x, alpha)
    return out, cache


def elu_backward(dout, cache):
    """Compute the backward pass of a layer of ELUs.

    The derivative at x == 0 is that of the lab's branch x >= 0: 1.

    Inputs:
    - dout: Upstream derivatives, of any shape
    - cache: (x, alpha) from the forward pass

    Returns:
    - dx: Gradient with respect to x, of the same shape as dout
    """
    x, alpha = cache
    dx = None
    # BEGIN SOLUTION
    dx = dout * np.where(x >= 0, 1.0, alpha * np.exp(np.minimum(x, 0))).astype(x.dtype)
    # END SOLUTION
    return dx


def leaky_relu_forward(x, slope=0.1):
    """Compute the forward pass of a layer of leaky ReLUs.

    leaky_relu(x) = x for x > 0 and slope * x for x <= 0.

    Inputs:
    - x: Inputs, a floating-point array of any shape
    - slope: The slope for negative inputs (0.1 as in the lab)

    Returns a tuple of:
    - out: Output, of the same shape as x
    - cache: (x, slope)
    """
    check_activation_input(x)
    check_finite_real("slope", slope)
    out = None
    # BEGIN SOLUTION
    out = np.where(x > 0, x, slope * x)
    # END SOLUTION
    cache = (x, slope)
    return out, cache


def leaky_relu_backward(dout, cache):
    """Compute the backward pass of a layer of leaky ReLUs.

    The derivative at x == 0 is taken from the left: slope.

    Inputs:
    - dout: Upstream derivatives, of any shape
    - cache: (x, slope) from the forward pass

    Returns:
    - dx: Gradient with respect to x, of the same shape as dout
    """
    x, slope = cache
    dx = None
    # BEGIN SOLUTION
    dx = dout * np.where(x > 0, 1.0, slope).astype(x.dtype)
    # END SOLUTION
    return dx


def mse_loss(x, y):
    """Compute the mean squared error and its gradient.

    The course's convention (the lab's exercise-3 solution): the mean over the
    N examples of the sum over the D outputs of (x - y)**2, with gradient
    2 * (x - y) / N. So one example with two outputs (0.406, 0.525) and
    targets (0, 0) gives 0.441.

    Inputs:
    - x: Predictions, of shape (N, D)
    - y: Targets, of shape (N, D)

    Returns a tuple of:
    - loss: Scalar giving the loss
    - dx: Gradient of the loss with respect to x, of shape (N, D)
    """
    check_regression(x, y)
    loss, dx = None, None
    # BEGIN SOLUTION
    diff = x - y
    loss = np.sum(diff * diff) / diff.shape[0]
    dx = 2 * diff / diff.shape[0]
    # END SOLUTION
    return loss, dx
