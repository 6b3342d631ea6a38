"""A three-layer convolutional network for CIFAR-shaped images.

The model follows the model protocol of the Solver (see solver.py): a
``params`` dictionary, and ``loss(X, y=None)`` returning the scores without
labels, else (loss, grads). The convolution and pooling run through the fast
layers (via the sandwich layers of layer_utils).
"""
from __future__ import annotations

import numpy as np

from ..layers import *
from ..fast_layers import *
from ..layer_utils import *
from ..validation import check_non_negative_real, check_positive_int

__all__ = ["ThreeLayerConvNet"]


class ThreeLayerConvNet:
    """
    A convolutional classifier with the architecture

        conv - relu - 2x2 max pool - affine - relu - affine - softmax

    for minibatches of N images of shape (C, H, W). The convolution has
    stride 1 and zero padding (filter_size - 1) // 2, so it keeps the height
    and width (filter_size is odd); the pooling (2x2, stride 2) halves them.

    self.params holds:
    - W1: Filters, of shape (F, C, filter_size, filter_size)
    - b1: Filter biases, of shape (F,)
    - W2: Weights of the hidden affine layer, of shape (F * H/2 * W/2, hidden_dim)
    - b2: Its biases, of shape (hidden_dim,)
    - W3: Weights of the output layer, of shape (hidden_dim, num_classes)
    - b3: Its biases, of shape (num_classes,)
    (H/2 and W/2 are rounded down, as the pooling does.)
    """

    def __init__(
        self,
        input_dim=(3, 32, 32),
        num_filters=32,
        filter_size=7,
        hidden_dim=100,
        num_classes=10,
        weight_scale=1e-3,
        reg=0.0,
        dtype=np.float32,
    ):
        """
        Create the network and draw its initial weights.

        Inputs:
        - input_dim: Tuple (C, H, W), the shape of one input image.
        - num_filters: Integer F, the number of filters of the convolution.
        - filter_size: Odd integer, the height and width of the filters.
        - hidden_dim: Integer, the number of units of the hidden affine layer.
        - num_classes: Integer, the number of classes.
        - weight_scale: Scalar, the standard deviation of the Gaussian the
          weights are drawn from.
        - reg: Scalar, the strength of the L2 regularization.
        - dtype: The numpy floating type of the parameters and the computation.

        Raises ValueError naming the argument: input_dim not three positive
        ints, H or W smaller than 2, a non-positive dimension, an even
        filter_size, a negative weight_scale or reg, a dtype that is not
        floating-point.
        """
        if not isinstance(input_dim, (tuple, list)) or len(input_dim) != 3:
            raise ValueError(f"input_dim must be a tuple (C, H, W), got {input_dim!r}")
        for axis, v in zip("CHW", input_dim):
            check_positive_int(f"input_dim's {axis}", v)
        if input_dim[1] < 2 or input_dim[2] < 2:
            raise ValueError(f"input_dim's H and W must be at least 2 for the 2x2 pooling, got {input_dim!r}")
        check_positive_int("num_filters", num_filters)
        check_positive_int("filter_size", filter_size)
        if filter_size % 2 == 0:
            raise ValueError(
                f"filter_size must be odd, so that padding (filter_size - 1) // 2 keeps H and W, got {filter_size}"
            )
        check_positive_int("hidden_dim", hidden_dim)
        check_positive_int("num_classes", num_classes)
        check_non_negative_real("weight_scale", weight_scale)
        check_non_negative_real("reg", reg)
        try:
            floating = np.issubdtype(np.dtype(dtype), np.floating)
        except TypeError:
            floating = False
        if not floating:
            raise ValueError(f"dtype must be a floating-point dtype such as np.float32, got {dtype!r}")

        self.params = {}
        self.reg = reg
        self.dtype = dtype

        # Fill self.params with 'W1', 'b1' (the convolution), 'W2', 'b2'
        # (the hidden affine layer) and 'W3', 'b3' (the output layer). Draw
        # the weights as weight_scale * np.random.randn(...) in that order,
        # with the shapes of the class docstring; the biases start at zero.
        # BEGIN SOLUTION
        C, H, W = input_dim
        self.params["W1"] = weight_scale * np.random.randn(num_filters, C, filter_size, filter_size)
        self.params["b1"] = np.zeros(num_filters)
        pooled_dim = num_filters * (H // 2) * (W // 2)
        self.params["W2"] = weight_scale * np.random.randn(pooled_dim, hidden_dim)
        self.params["b2"] = np.zeros(hidden_dim)
        self.params["W3"] = weight_scale * np.random.randn(hidden_dim, num_classes)
        self.params["b3"] = np.zeros(num_classes)
        # END SOLUTION

        # All parameters in the requested floating type.
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        """
        Scores, or loss and gradients, for a minibatch.

        Inputs:
        - X: Array of input images of shape (N, C, H, W).
        - y: Array of integer labels of shape (N,), y[i] the label of X[i];
          or None.

        Returns:
        If y is None, the forward pass only:
        - scores: Array of shape (N, num_classes).

        Otherwise the forward and backward passes, and a tuple of:
        - loss: Scalar, the softmax loss plus
          0.5 * reg * (sum(W1**2) + sum(W2**2) + sum(W3**2)).
        - grads: Dictionary with the keys of self.params, grads[k] the
          gradient of the loss with respect to self.params[k].
        """
        X = X.astype(self.dtype)
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        W3, b3 = self.params["W3"], self.params["b3"]

        # The convolution keeps H and W; the pooling halves them.
        filter_size = W1.shape[2]
        conv_param = {"stride": 1, "pad": (filter_size - 1) // 2}
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}

        scores = None
        # The forward pass, with the sandwich layers of layer_utils
        # (conv_relu_pool_forward, affine_relu_forward) and affine_forward;
        # store the class scores in scores.
        # BEGIN SOLUTION
        pooled, pool_cache = conv_relu_pool_forward(X, W1, b1, conv_param, pool_param)
        hidden, hidden_cache = affine_relu_forward(pooled, W2, b2)
        scores, scores_cache = affine_forward(hidden, W3, b3)
        # END SOLUTION

        if y is None:
            return scores

        loss, grads = 0, {}
        # The loss (softmax_loss plus the L2 term with its factor 0.5 on
        # the weights only) and the backward pass, filling grads.
        # BEGIN SOLUTION
        data_loss, dscores = softmax_loss(scores, y)
        loss = data_loss + 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(W3 * W3))

        dhidden, dW3, db3 = affine_backward(dscores, scores_cache)
        dpooled, dW2, db2 = affine_relu_backward(dhidden, hidden_cache)
        _, dW1, db1 = conv_relu_pool_backward(dpooled, pool_cache)
        grads["W1"], grads["b1"] = dW1 + self.reg * W1, db1
        grads["W2"], grads["b2"] = dW2 + self.reg * W2, db2
        grads["W3"], grads["b3"] = dW3 + self.reg * W3, db3
        # END SOLUTION

        return loss, grads
