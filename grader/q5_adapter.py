"""The code a module built from ``PyTorch.ipynb`` carries around the notebook's own cells.

``grader.q5_notebook.extract`` writes ``PRELUDE``, then the cells it keeps,
then ``ADAPTER`` and the pieces below: the names the Q5 checks call
(``train_part2``, ``sequential_two_layer_fc``, ``make_open_model``...) defined
from whatever the notebook defined. This text runs only in the sandbox.
"""

PRELUDE = '''"""Q5 as built by the grader from PyTorch.ipynb (see the report for the cells used)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import numpy as np
device = torch.device("cpu")
dtype = torch.float32
print_every = 100
IMAGE_SIZE = 32
'''

#: Fixed code appended to the module (runs in the sandbox): each edition's names onto the checks'.
ADAPTER = '''

# ---- adapter (written by the grader) ----
import contextlib as _contextlib
import inspect as _inspect
import io as _io
import re as _re


def _nb_missing(name, looked_for):
    def missing(*args, **kwargs):
        raise NotImplementedError(f"{name}: not found in PyTorch.ipynb (looked for {looked_for})")
    missing.__name__ = name
    return missing


def _nb_accuracy(fn, *args):
    """fn(*args) as a float; editions whose check_accuracy returns nothing print 'Got n / m correct'."""
    buf = _io.StringIO()
    with _contextlib.redirect_stdout(buf):
        acc = fn(*args)
    if acc is None:
        found = _re.findall(r"Got (\\d+) / (\\d+) correct", buf.getvalue()[-100000:])
        if not found:
            raise ValueError("check_accuracy returned nothing and printed no 'Got n / m correct' line")
        acc = int(found[-1][0]) / max(int(found[-1][1]), 1)
    return float(acc)


def _nb_wants(fn, name):
    try:
        return name in _inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _nb_run_with_loaders(fn, args, loader_train, loader_val, epochs):
    """An edition's loop that reads the loaders (and print_every) from the notebook's globals."""
    g = globals()
    g["loader_train"], g["loader_val"], g["loader_test"] = loader_train, loader_val, loader_val
    g["print_every"] = 10 ** 9
    with _contextlib.redirect_stdout(_io.StringIO()):
        fn(*args)
'''

TRAIN_PART2 = """
_nb_train_part2 = train_part2
_nb_check_part2 = check_accuracy_part2


def check_accuracy_part2(loader, model_fn, params):
    return _nb_accuracy(_nb_check_part2, loader, model_fn, params)


def train_part2(model_fn, params, learning_rate, loader_train=None, loader_val=None, epochs=1, print_every=100):
    if _nb_wants(_nb_train_part2, "loader_train"):
        with _contextlib.redirect_stdout(_io.StringIO()):
            return _nb_train_part2(
                model_fn, params, learning_rate, loader_train, loader_val, epochs=epochs, print_every=0
            )
    history = []
    for _ in range(epochs):
        _nb_run_with_loaders(_nb_train_part2, (model_fn, params, learning_rate), loader_train, loader_val, 1)
        if loader_val is not None:
            history.append(check_accuracy_part2(loader_val, model_fn, params))
    return history
"""

TRAIN = """
_nb_train = {train}
_nb_check = {check}


def check_accuracy(loader, model):
    return _nb_accuracy(_nb_check, loader, model)


def train(model, optimizer, loader_train, loader_val, epochs=1, print_every=100):
    if _nb_wants(_nb_train, "loader_train"):
        with _contextlib.redirect_stdout(_io.StringIO()):
            return _nb_train(model, optimizer, loader_train, loader_val, epochs=epochs, print_every=0)
    history = []
    for _ in range(epochs):
        _nb_run_with_loaders(_nb_train, (model, optimizer, 1), loader_train, loader_val, 1)
        history.append(check_accuracy(loader_val, model))
    return history
"""

RESIZE = '''

def _nb_resize(model, channels, sizes, what):
    """The notebook's Sequential rebuilt with the check's sizes: Conv2d i maps channels[i] to
    channels[i + 1]; Linear j maps sizes[j] to sizes[j + 1] (sizes[0] None: scaled from the notebook's
    in_features by the last channel count); every other layer is kept as it is."""
    layers = list(model.children()) if isinstance(model, nn.Sequential) else None
    if layers is None:
        raise TypeError(f"{what} in PyTorch.ipynb is a {type(model).__name__}, not an nn.Sequential")
    convs = [m for m in layers if isinstance(m, nn.Conv2d)]
    linears = [m for m in layers if isinstance(m, nn.Linear)]
    if len(convs) != len(channels) - 1 or len(linears) != len(sizes) - 1:
        raise ValueError(f"{what} in PyTorch.ipynb has {len(convs)} Conv2d and {len(linears)} Linear layers, "
                         f"expected {len(channels) - 1} and {len(sizes) - 1}")
    out, ci, li = [], 0, 0
    for m in layers:
        if isinstance(m, nn.Conv2d):
            m = nn.Conv2d(channels[ci], channels[ci + 1], m.kernel_size, stride=m.stride, padding=m.padding,
                          dilation=m.dilation, bias=m.bias is not None)
            ci += 1
        elif isinstance(m, nn.Linear):
            d_in = sizes[li]
            if d_in is None:
                d_in = m.in_features // max(convs[-1].out_channels, 1) * channels[-1]
            m = nn.Linear(d_in, sizes[li + 1], bias=m.bias is not None)
            li += 1
        out.append(m)
    return nn.Sequential(*out)


def sequential_two_layer_fc(input_size, hidden_size, num_classes):
    sizes = [input_size, hidden_size, num_classes]
    return _nb_resize(_nb_sequential_fc(), [0], sizes, "the Sequential two-layer network")


def sequential_three_layer_convnet(in_channel, channel_1, channel_2, num_classes):
    return _nb_resize(_nb_sequential_conv(), [in_channel, channel_1, channel_2], [None, num_classes],
                      "the Sequential three-layer convnet")
'''

OPEN = """

def make_open_model(in_channel=3, num_classes=10):
    model, optimizer = _nb_open_model()
    if model is None or optimizer is None:
        raise NotImplementedError("the open-ended model: PyTorch.ipynb's cell leaves model or optimizer None")
    return model, optimizer
"""
