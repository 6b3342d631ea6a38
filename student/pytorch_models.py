"""Q5: PyTorch on CIFAR-10, at three levels of the API, plus a network of your own.

The notebook ``PyTorch.ipynb`` imports everything from here, and the grader
checks it like the rest of the assignment. Names and conventions follow the
cs231n notebook of 2021-2024:

- Part I, barebones PyTorch: networks as functions of explicit weight
  tensors (``flatten``, ``two_layer_fc``, ``three_layer_convnet``), their
  initialization (``random_weight``, ``zero_weight``), and a training loop that
  applies plain SGD by hand (``train_part2``, ``check_accuracy_part2``);
- Part II, ``nn.Module``: ``TwoLayerFC``, ``ThreeLayerConvNet``, and a training
  loop for any module and optimizer (``train``, ``check_accuracy``);
- Part III, ``nn.Sequential``: ``sequential_two_layer_fc``,
  ``sequential_three_layer_convnet``;
- Part IV, open-ended: ``make_open_model``.

Devices: ``device`` is a GPU when one is present, else the CPU. Weights made
by ``random_weight``/``zero_weight`` go there; the training loops run on the
device the weights (or the model) already live on, and move each minibatch
there. The grader runs every check on the CPU.

Shapes: images are minibatches of shape (N, C, H, W), float32 unless said
otherwise; labels are int64 of shape (N,); scores are (N, num_classes).
"""
try:
    import torch
    import torch.nn.functional as F  # noqa: F401, RUF100 - the stubs leave it to the code you write
    from torch import nn
except ImportError as exc:  # pragma: no cover - exercised where torch is absent
    raise ImportError(
        'pytorch_models.py needs PyTorch, which is not installed: pip install -e ".[torch]" '
        "(the CPU build is enough), then restart Python"
    ) from exc

#: Where new weights go: a GPU when one is present, else the CPU.
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
#: The dtype of new weights.
dtype = torch.float32

#: Height and width of the images the convolutional models take (CIFAR-10's).
IMAGE_SIZE = 32


def _device_dtype(tensor):
    """(device, dtype) of a weight tensor: where and how a minibatch must be cast to meet it."""
    return tensor.device, tensor.dtype


# ---------------------------------------------------------------------------
# Part I: barebones PyTorch
# ---------------------------------------------------------------------------


def flatten(x):
    """Flatten each example of a minibatch into a vector.

    Inputs:
    - x: tensor of shape (N, d_1, ..., d_k)

    Returns:
    - tensor of shape (N, d_1 * ... * d_k), each row holding one example's
      values in row-major (C, H, W) order, as numpy's reshape would.
    """
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("flatten is not implemented yet (pytorch_models.py)")


def two_layer_fc(x, params):
    """A two-layer fully-connected network: affine, ReLU, affine; no biases.

    Inputs:
    - x: tensor of shape (N, d_1, ..., d_k), flattened to (N, D) with D = d_1 * ... * d_k
    - params: list [w1, w2] of tensors: w1 of shape (D, H), w2 of shape (H, C)

    Returns:
    - scores: tensor of shape (N, C)
    """
    scores = None
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("two_layer_fc is not implemented yet (pytorch_models.py)")
    return scores


def three_layer_convnet(x, params):
    """A three-layer convolutional network: conv, ReLU, conv, ReLU, affine.

    The first convolution has filters of size KH1 x KW1 = 5 x 5 and zero
    padding 2, the second 3 x 3 filters and padding 1 (both stride 1, so the
    height and width are kept); the fully-connected layer takes the flattened
    output of the second ReLU. Use torch.nn.functional (F.conv2d, F.relu).

    Inputs:
    - x: tensor of shape (N, C, H, W)
    - params: list [conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b] of tensors:
      conv_w1 (channel_1, C, KH1, KW1), conv_b1 (channel_1,),
      conv_w2 (channel_2, channel_1, KH2, KW2), conv_b2 (channel_2,),
      fc_w (channel_2 * H * W, num_classes), fc_b (num_classes,)

    Returns:
    - scores: tensor of shape (N, num_classes)
    """
    scores = None
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("three_layer_convnet is not implemented yet (pytorch_models.py)")
    return scores


def random_weight(shape):
    """A weight tensor with Kaiming normal initialization, on ``device``, that requires gradients.

    Draws from a normal distribution with mean 0 and standard deviation
    sqrt(2 / fan_in), where fan_in is shape[0] for a matrix (a weight of shape
    (D, H) multiplies inputs of size D) and the product of shape[1:] for a
    convolution filter bank (F, C, KH, KW).

    Inputs:
    - shape: tuple of ints

    Returns:
    - tensor of the given shape, dtype ``dtype``, with requires_grad=True
    """
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("random_weight is not implemented yet (pytorch_models.py)")


def zero_weight(shape):
    """A tensor of zeros (a bias), on ``device``, that requires gradients.

    Inputs:
    - shape: tuple of ints

    Returns:
    - tensor of the given shape, dtype ``dtype``, all zeros, with requires_grad=True
    """
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("zero_weight is not implemented yet (pytorch_models.py)")


def check_accuracy_part2(loader, model_fn, params):
    """The fraction of the examples of ``loader`` that ``model_fn`` classifies correctly.

    Runs under torch.no_grad() (nothing is recorded for autograd); each
    minibatch is moved to the device, and cast to the dtype, of params[0].

    Inputs:
    - loader: iterable of (x, y) minibatches (a DataLoader)
    - model_fn: function (x, params) -> scores
    - params: list of weight tensors

    Returns:
    - accuracy: float in [0, 1]
    """
    num_correct, num_samples = 0, 0
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("check_accuracy_part2 is not implemented yet (pytorch_models.py)")
    return num_correct / max(num_samples, 1)


def train_part2(model_fn, params, learning_rate, loader_train, loader_val=None, epochs=1, print_every=100):
    """Train ``model_fn`` with plain stochastic gradient descent, updating ``params`` in place.

    For each minibatch of ``loader_train``, in order: move it to the device
    (and cast it to the dtype) of params[0], compute the scores and the softmax
    (cross-entropy) loss, backpropagate, then, inside torch.no_grad(), update
    each weight w -= learning_rate * w.grad and reset its gradient to zero
    (otherwise the next backward adds to it). After each epoch, when
    ``loader_val`` is given, measure the validation accuracy with
    ``check_accuracy_part2``.

    Inputs:
    - model_fn: function (x, params) -> scores
    - params: list of tensors with requires_grad=True
    - learning_rate: float
    - loader_train, loader_val: iterables of (x, y) minibatches (loader_val may be None)
    - epochs: number of passes over loader_train
    - print_every: print the loss every this many iterations (0 or None: never)

    Returns:
    - history: list of the validation accuracies after each epoch (empty without loader_val)
    """
    where, kind = _device_dtype(params[0])
    history = []
    for epoch in range(epochs):
        for t, (x, y) in enumerate(loader_train):
            x = x.to(device=where, dtype=kind)
            y = y.to(device=where, dtype=torch.long)
            loss = None
            # TODO: your code here (see the docstring above).
            raise NotImplementedError("train_part2 is not implemented yet (pytorch_models.py)")
            if print_every and t % print_every == 0:
                print(f"epoch {epoch}, iteration {t}, loss = {loss.item():.4f}")
        if loader_val is not None:
            history.append(check_accuracy_part2(loader_val, model_fn, params))
            if print_every:
                print(f"epoch {epoch}: validation accuracy {history[-1]:.4f}")
    return history


# ---------------------------------------------------------------------------
# Part II: the nn.Module API
# ---------------------------------------------------------------------------


class TwoLayerFC(nn.Module):
    """Affine, ReLU, affine, with biases: scores = fc2(relu(fc1(flatten(x)))).

    Inputs of the constructor:
    - input_size: D, the size of a flattened example
    - hidden_size: H
    - num_classes: C

    Declare the layers with nn.Linear (first layer before second) and
    initialize their weights with nn.init.kaiming_normal_ (its defaults:
    fan_in, for a ReLU); leave the biases as nn.Linear makes them.
    ``forward(x)`` maps x of shape (N, d_1, ..., d_k) to scores of shape (N, C).
    """

    def __init__(self, input_size, hidden_size, num_classes):
        super().__init__()
        # TODO: your code here (see the docstring above).
        raise NotImplementedError("__init__ is not implemented yet (pytorch_models.py)")

    def forward(self, x):
        scores = None
        # TODO: your code here (see the docstring above).
        raise NotImplementedError("forward is not implemented yet (pytorch_models.py)")
        return scores


class ThreeLayerConvNet(nn.Module):
    """The network of ``three_layer_convnet`` as a module, for 32 x 32 images.

    Layers, in this order: a convolution with ``channel_1`` 5 x 5 filters and
    zero padding 2, ReLU, a convolution with ``channel_2`` 3 x 3 filters and
    padding 1, ReLU, and a fully-connected layer from the flattened
    (channel_2, 32, 32) activations to ``num_classes`` scores. Initialize the
    weights of the three layers with nn.init.kaiming_normal_ (defaults) and
    leave the biases as the layers make them.

    ``forward(x)`` maps x of shape (N, in_channel, 32, 32) to scores of shape
    (N, num_classes).
    """

    def __init__(self, in_channel, channel_1, channel_2, num_classes):
        super().__init__()
        # TODO: your code here (see the docstring above).
        raise NotImplementedError("__init__ is not implemented yet (pytorch_models.py)")

    def forward(self, x):
        scores = None
        # TODO: your code here (see the docstring above).
        raise NotImplementedError("forward is not implemented yet (pytorch_models.py)")
        return scores


def _model_device_dtype(model):
    """(device, dtype) of the model's first parameter (the CPU and float32 for a model without any)."""
    first = next(model.parameters(), None)
    if first is None:
        return torch.device("cpu"), torch.float32
    return _device_dtype(first)


def check_accuracy(loader, model):
    """The fraction of the examples of ``loader`` that ``model`` classifies correctly.

    Puts the model in evaluation mode first (model.eval(): dropout off, batch
    normalization with its running statistics) and runs under
    torch.no_grad(); each minibatch goes to the model's device and dtype.

    Inputs:
    - loader: iterable of (x, y) minibatches
    - model: an nn.Module mapping x to scores

    Returns:
    - accuracy: float in [0, 1]
    """
    num_correct, num_samples = 0, 0
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("check_accuracy is not implemented yet (pytorch_models.py)")
    return num_correct / max(num_samples, 1)


def train(model, optimizer, loader_train, loader_val, epochs=1, print_every=100):
    """Train ``model`` with ``optimizer``; return the validation accuracy after each epoch.

    For each minibatch of ``loader_train``, in order: put the model in
    training mode (model.train(): check_accuracy left it in evaluation mode),
    move the minibatch to the model's device and dtype, compute the scores and
    the cross-entropy loss, clear the gradients left by the previous step
    (optimizer.zero_grad()), backpropagate and take one optimizer step. After
    each epoch, measure the validation accuracy with ``check_accuracy``.

    Inputs:
    - model: an nn.Module, already on its device
    - optimizer: a torch.optim optimizer over the model's parameters
    - loader_train, loader_val: iterables of (x, y) minibatches
    - epochs: number of passes over loader_train
    - print_every: print the loss every this many iterations (0 or None: never)

    Returns:
    - history: list of ``epochs`` validation accuracies
    """
    where, kind = _model_device_dtype(model)
    history = []
    for epoch in range(epochs):
        for t, (x, y) in enumerate(loader_train):
            x = x.to(device=where, dtype=kind)
            y = y.to(device=where, dtype=torch.long)
            loss = None
            # TODO: your code here (see the docstring above).
            raise NotImplementedError("train is not implemented yet (pytorch_models.py)")
            if print_every and t % print_every == 0:
                print(f"epoch {epoch}, iteration {t}, loss = {loss.item():.4f}")
        history.append(check_accuracy(loader_val, model))
        if print_every:
            print(f"epoch {epoch}: validation accuracy {history[-1]:.4f}")
    return history


# ---------------------------------------------------------------------------
# Part III: nn.Sequential
# ---------------------------------------------------------------------------


def sequential_two_layer_fc(input_size, hidden_size, num_classes):
    """``TwoLayerFC`` as an nn.Sequential: flatten, linear, ReLU, linear.

    Returns:
    - an nn.Sequential mapping (N, d_1, ..., d_k) to (N, num_classes), whose
      parameters are, in order, the first layer's weight (hidden_size,
      input_size) and bias, then the second layer's weight and bias
    """
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("sequential_two_layer_fc is not implemented yet (pytorch_models.py)")


def sequential_three_layer_convnet(in_channel, channel_1, channel_2, num_classes):
    """``ThreeLayerConvNet`` as an nn.Sequential (same layers, same order, 32 x 32 images).

    Returns:
    - an nn.Sequential mapping (N, in_channel, 32, 32) to (N, num_classes)
    """
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("sequential_three_layer_convnet is not implemented yet (pytorch_models.py)")


# ---------------------------------------------------------------------------
# Part IV: your own network
# ---------------------------------------------------------------------------


def make_open_model(in_channel=3, num_classes=10):
    """Your network for CIFAR-10 and its optimizer: return ``(model, optimizer)``.

    Anything PyTorch offers is allowed. The model maps (N, in_channel, 32, 32)
    float32 images to (N, num_classes) scores; the optimizer updates its
    parameters. The model is returned on the CPU (the caller moves it: build
    the optimizer over the parameters after any .to(device) of your own, or
    move nothing).

    The grader (check ``torch_open_model``) converts the model to float64
    on the CPU (``model.to(torch.float64)``: use layers, not float32 tensors
    made in ``forward``), trains it with the optimizer for one epoch over 640
    synthetic CIFAR-shaped images in minibatches of 32 within a 30 s budget,
    and needs a validation accuracy of at least 0.5: keep the model small
    enough to train a thousand images in a few seconds on one CPU core. The
    notebook trains it on CIFAR-10.
    """
    # TODO: your code here (see the docstring above).
    raise NotImplementedError("make_open_model is not implemented yet (pytorch_models.py)")
