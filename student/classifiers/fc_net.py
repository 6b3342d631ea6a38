"""Fully-connected neural networks: a two-layer net and a net of any depth.

Both models follow the model protocol of the Solver (see solver.py): a
``params`` dictionary of numpy arrays, and ``loss(X, y=None)`` returning the
class scores when y is None, else a tuple (loss, grads) with one gradient per
entry of ``params``.

The weights are drawn ``weight_scale * np.random.randn(d_in, d_out)`` from
numpy's global generator, in layer order, and the biases (and the betas of
normalization layers) are zeros and the gammas ones, which draw nothing: a
notebook that seeds numpy gets exactly the published cs231n numbers.
Regularization is ``0.5 * reg * sum(W**2)`` over the weight matrices only.
"""
from __future__ import annotations

from numbers import Real

import numpy as np

from ..layers import *
from ..layer_utils import *
from ..validation import check_float_dtype, check_non_negative_real, check_positive_int

__all__ = ["TwoLayerNet", "FullyConnectedNet"]

_NORMALIZATIONS = (None, "batchnorm", "layernorm")


class TwoLayerNet:
    """
    A classifier with one hidden layer, built from the layers of layers.py:

        affine - relu - affine - softmax

    for inputs of dimension D, a hidden layer of H units and C classes. The
    model only computes the loss and its gradients; training is the Solver's
    job.

    self.params holds:
    - W1: Weights of the hidden layer, of shape (D, H)
    - b1: Biases of the hidden layer, of shape (H,)
    - W2: Weights of the output layer, of shape (H, C)
    - b2: Biases of the output layer, of shape (C,)
    """

    def __init__(
        self,
        input_dim=3 * 32 * 32,
        hidden_dim=100,
        num_classes=10,
        weight_scale=1e-3,
        reg=0.0,
    ):
        """
        Create the network and draw its initial weights.

        Inputs:
        - input_dim: Integer D, the dimension of one (flattened) input.
        - hidden_dim: Integer H, the number of hidden units.
        - num_classes: Integer C, the number of classes.
        - weight_scale: Scalar, the standard deviation of the Gaussian the
          weights are drawn from.
        - reg: Scalar, the strength of the L2 regularization.

        Raises ValueError, naming the argument, for a non-positive or non-int
        dimension and for a negative weight_scale or reg.
        """
        check_positive_int("input_dim", input_dim)
        check_positive_int("hidden_dim", hidden_dim)
        check_positive_int("num_classes", num_classes)
        check_non_negative_real("weight_scale", weight_scale)
        check_non_negative_real("reg", reg)

        self.params = {}
        self.reg = reg

        # Fill self.params with 'W1', 'b1', 'W2', 'b2'. Draw each weight
        # matrix as weight_scale * np.random.randn(d_in, d_out), W1 before W2
        # (the order of the draws matters for reproducible numbers); the
        # biases start at zero.
        # TODO: your code here (see the docstring above).
        raise NotImplementedError("__init__ is not implemented yet (fc_net.py)")

    def loss(self, X, y=None):
        """
        Scores, or loss and gradients, for a minibatch.

        Inputs:
        - X: Array of input data of shape (N, d_1, ..., d_k), with
          d_1 * ... * d_k = D.
        - y: Array of integer labels of shape (N,), y[i] the label of X[i];
          or None.

        Returns:
        If y is None, the test-time forward pass only:
        - scores: Array of shape (N, C), scores[i, c] the score of class c
          for X[i].

        Otherwise the forward and backward passes, and a tuple of:
        - loss: Scalar, the softmax loss plus 0.5 * reg * (sum(W1**2) + sum(W2**2)).
        - grads: Dictionary with the keys of self.params, grads[k] the
          gradient of the loss with respect to self.params[k].
        """
        scores = None
        # The forward pass; store the class scores in scores.
        # TODO: your code here (see the docstring above).
        raise NotImplementedError("loss is not implemented yet (fc_net.py)")

        # Without labels the scores are all we need.
        if y is None:
            return scores

        loss, grads = 0, {}
        # The loss (softmax_loss of the scores, plus the L2 term with its
        # factor 0.5 on the weights only) and the backward pass, filling grads
        # with one entry per key of self.params.
        # TODO: your code here (see the docstring above).
        raise NotImplementedError("loss is not implemented yet (fc_net.py)")

        return loss, grads


class FullyConnectedNet:
    """A fully-connected classifier with any number of hidden layers.

    With L - 1 hidden layers (L affine layers in all) the network computes

        {affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine - softmax

    where the normalization and the dropout are optional. As for TwoLayerNet,
    the Solver does the training.

    self.params holds:
    - W1 ... WL: weights, Wi of shape (d_{i-1}, d_i) with d_0 = input_dim,
      d_i = hidden_dims[i-1] and d_L = num_classes
    - b1 ... bL: biases, bi of shape (d_i,)
    - gamma1 ... gamma(L-1), beta1 ... beta(L-1): scale and shift of the
      normalization layers, of shape (d_i,), only when normalization is set.
    """

    def __init__(
        self,
        hidden_dims,
        input_dim=3 * 32 * 32,
        num_classes=10,
        dropout_keep_ratio=1,
        normalization=None,
        reg=0.0,
        weight_scale=1e-2,
        dtype=np.float32,
        seed=None,
    ):
        """Create the network and draw its initial weights.

        Inputs:
        - hidden_dims: A list of integers, the number of units of each hidden
          layer, first to last.
        - input_dim: Integer, the dimension of one (flattened) input.
        - num_classes: Integer, the number of classes.
        - dropout_keep_ratio: Scalar in (0, 1], the probability that dropout
          keeps a unit; 1 (the default) means no dropout layers at all.
        - normalization: None (the default), "batchnorm" or "layernorm": the
          normalization layer placed after each hidden affine layer.
        - reg: Scalar, the strength of the L2 regularization.
        - weight_scale: Scalar, the standard deviation of the Gaussian the
          weights are drawn from.
        - dtype: The numpy floating type of the parameters and of the
          computation: float32 is faster, float64 is what gradient checks need.
        - seed: If not None, the seed handed to the dropout layers, which then
          draw the same mask at every call (for gradient checks).

        Raises ValueError, naming the argument, when hidden_dims is not a list
        of positive ints, normalization is not one of None, 'batchnorm',
        'layernorm', dropout_keep_ratio is not in (0, 1], a dimension is not a
        positive int, reg or weight_scale is negative, or dtype is not a
        floating-point type.
        """
        if not isinstance(hidden_dims, (list, tuple)):
            raise ValueError(
                f"hidden_dims must be a list of positive ints (one per hidden layer), got {hidden_dims!r}"
            )
        for i, h in enumerate(hidden_dims):
            check_positive_int(f"hidden_dims[{i}]", h)
        check_positive_int("input_dim", input_dim)
        check_positive_int("num_classes", num_classes)
        if normalization not in _NORMALIZATIONS:
            raise ValueError(
                f"normalization must be None, 'batchnorm' or 'layernorm', got {normalization!r}"
            )
        if (
            isinstance(dropout_keep_ratio, (bool, np.bool_))
            or not isinstance(dropout_keep_ratio, Real)
            or not 0 < dropout_keep_ratio <= 1
        ):
            raise ValueError(
                f"dropout_keep_ratio is the probability of keeping a unit and must be in (0, 1], "
                f"got {dropout_keep_ratio!r}"
            )
        check_non_negative_real("reg", reg)
        check_non_negative_real("weight_scale", weight_scale)
        check_float_dtype("dtype", dtype)

        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}

        # Fill self.params. Layer i (1 to L) gets 'Wi', drawn as
        # weight_scale * np.random.randn(d_in, d_out) in layer order (the order
        # of the draws matters for reproducible numbers), and 'bi', zeros.
        # With a normalization, hidden layer i also gets 'gammai' (ones) and
        # 'betai' (zeros). Everything is cast to dtype below.
        # TODO: your code here (see the docstring above).
        raise NotImplementedError("__init__ is not implemented yet (fc_net.py)")

        # Every dropout layer gets this same dictionary: the keep probability,
        # the mode (set by loss()) and, for gradient checks, a seed.
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
            if seed is not None:
                self.dropout_param["seed"] = seed

        # Each normalization layer gets its own dictionary: self.bn_params[i - 1]
        # goes with hidden layer i. Batch normalization keeps its running
        # statistics (and its mode) there; layer normalization needs no state.
        self.bn_params = []
        if self.normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for i in range(self.num_layers - 1)]
        if self.normalization == "layernorm":
            self.bn_params = [{} for i in range(self.num_layers - 1)]

        # All parameters in the requested floating type.
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        """Scores, or loss and gradients, for a minibatch.

        Without labels the network runs in test mode (dropout off, batch
        normalization with its running statistics); with labels in train mode.

        Inputs:
        - X: Array of input data of shape (N, d_1, ..., d_k), with
          d_1 * ... * d_k = input_dim.
        - y: Array of integer labels of shape (N,), y[i] the label of X[i];
          or None.

        Returns:
        If y is None, the test-time forward pass only:
        - scores: Array of shape (N, C), scores[i, c] the score of class c
          for X[i].

        Otherwise the forward and backward passes, and a tuple of:
        - loss: Scalar, the softmax loss plus 0.5 * reg * sum(Wi**2) over all
          the weight matrices (not the biases, gammas or betas).
        - grads: Dictionary with the keys of self.params, grads[k] the
          gradient of the loss with respect to self.params[k].
        """
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"

        # Dropout and batch normalization behave differently in the two modes.
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        if self.normalization == "batchnorm":
            for bn_param in self.bn_params:
                bn_param["mode"] = mode
        scores = None
        # The forward pass; store the class scores in scores. Hand
        # self.dropout_param to every dropout layer and self.bn_params[i - 1]
        # to the normalization layer of hidden layer i; keep the caches the
        # backward pass will need.
        # TODO: your code here (see the docstring above).
        raise NotImplementedError("loss is not implemented yet (fc_net.py)")

        # In test mode the scores are all we need.
        if mode == "test":
            return scores

        loss, grads = 0.0, {}
        # The loss (softmax_loss of the scores, plus 0.5 * reg * sum(W**2)
        # for every weight matrix) and the backward pass, layer by layer from
        # the last, filling grads with one entry per key of self.params.
        # TODO: your code here (see the docstring above).
        raise NotImplementedError("loss is not implemented yet (fc_net.py)")

        return loss, grads
