"""PyTorch.ipynb notebooks written for the tests, in the style of three editions of the course.

Each edition has its own names and signatures (what the grader's extraction
and adapter must map onto the checks):

* ``2019``: ``train_part2(model_fn, params, learning_rate)`` and
  ``train_part34(model, optimizer, epochs=1)`` read ``loader_train``,
  ``loader_val`` and ``print_every`` from the notebook's globals; the
  ``check_accuracy_*`` functions print "Got n / m correct" and return nothing;
  a ``Flatten`` module of the notebook's own in the Sequential models;
* ``2023``: the same loops, ``check_accuracy_*`` return the accuracy,
  ``nn.Flatten()``; data-loading cells with torchvision (absent here: its
  imports must cost nothing);
* ``a2kit``: this kit's signatures (``train(model, optimizer, loader_train,
  loader_val, epochs, print_every)``) written in notebook cells.

Every notebook also has cells that must never be taken: data download,
training calls, prints, a cell that trains the open model for epochs.
``BUGS`` are edits of the notebook's text, each breaking one check.
"""

from __future__ import annotations

import json
from pathlib import Path

SETUP = {
    "2019": """import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader
from torch.utils.data import sampler
import torchvision.datasets as dset
import torchvision.transforms as T
import numpy as np
import torch.nn.functional as F
""",
    "2023": """import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, sampler
import torchvision.datasets as dset
import torchvision.transforms as T
import torch.nn.functional as F
""",
    "a2kit": """import torch
from torch import nn
import torch.nn.functional as F
""",
}

DATA = """NUM_TRAIN = 49000
transform = T.Compose([T.ToTensor(), T.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))])
cifar10_train = dset.CIFAR10('./datasets', train=True, download=True, transform=transform)
loader_train = DataLoader(cifar10_train, batch_size=64, sampler=sampler.SubsetRandomSampler(range(NUM_TRAIN)))
"""

DEVICE = """USE_GPU = True
dtype = torch.float32
if USE_GPU and torch.cuda.is_available():
    device = torch.device('cuda')
else:
    device = torch.device('cpu')
print_every = 100
print('using device:', device)
"""

FLATTEN = """def flatten(x):
    N = x.shape[0]
    return x.view(N, -1)
"""

FUNCS = """def two_layer_fc(x, params):
    x = flatten(x)
    w1, w2 = params
    x = F.relu(x.mm(w1))
    x = x.mm(w2)
    return x


def three_layer_convnet(x, params):
    conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b = params
    scores = None
    h1 = F.relu(F.conv2d(x, conv_w1, conv_b1, padding=2))
    h2 = F.relu(F.conv2d(h1, conv_w2, conv_b2, padding=1))
    scores = flatten(h2).mm(fc_w) + fc_b
    return scores
"""

TEST_CALL = """def two_layer_fc_test():
    hidden_layer_size = 42
    x = torch.zeros((64, 50), dtype=dtype)
    w1 = torch.zeros((50, hidden_layer_size), dtype=dtype)
    w2 = torch.zeros((hidden_layer_size, 10), dtype=dtype)
    scores = two_layer_fc(x, [w1, w2])
    print(scores.size())

two_layer_fc_test()
"""

INIT = """def random_weight(shape):
    if len(shape) == 2:
        fan_in = shape[0]
    else:
        fan_in = np.prod(shape[1:])
    w = torch.randn(shape, device=device, dtype=dtype) * np.sqrt(2. / fan_in)
    w.requires_grad = True
    return w


def zero_weight(shape):
    return torch.zeros(shape, device=device, dtype=dtype, requires_grad=True)

random_weight((3, 5))
"""

ACC2_PRINT = """def check_accuracy_part2(loader, model_fn, params):
    split = 'val' if loader.dataset.train else 'test'
    print('Checking accuracy on the %s set' % split)
    num_correct, num_samples = 0, 0
    with torch.no_grad():
        for x, y in loader:
            x = x.to(device=device, dtype=dtype)
            y = y.to(device=device, dtype=torch.int64)
            scores = model_fn(x, params)
            _, preds = scores.max(1)
            num_correct += (preds == y).sum()
            num_samples += preds.size(0)
        acc = float(num_correct) / num_samples
        print('Got %d / %d correct (%.2f%%)' % (num_correct, num_samples, 100 * acc))
"""

ACC2_RETURN = ACC2_PRINT + "        return acc\n"

TRAIN2 = """def train_part2(model_fn, params, learning_rate):
    for t, (x, y) in enumerate(loader_train):
        x = x.to(device=device, dtype=dtype)
        y = y.to(device=device, dtype=torch.long)
        scores = model_fn(x, params)
        loss = F.cross_entropy(scores, y)
        loss.backward()
        with torch.no_grad():
            for w in params:
                w -= learning_rate * w.grad
                w.grad.zero_()
        if t % print_every == 0:
            print('Iteration %d, loss = %.4f' % (t, loss.item()))
            check_accuracy_part2(loader_val, model_fn, params)
            print()
"""

MODULES = """class TwoLayerFC(nn.Module):
    def __init__(self, input_size, hidden_size, num_classes):
        super().__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        nn.init.kaiming_normal_(self.fc1.weight)
        self.fc2 = nn.Linear(hidden_size, num_classes)
        nn.init.kaiming_normal_(self.fc2.weight)

    def forward(self, x):
        x = flatten(x)
        scores = self.fc2(F.relu(self.fc1(x)))
        return scores


class ThreeLayerConvNet(nn.Module):
    def __init__(self, in_channel, channel_1, channel_2, num_classes):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channel, channel_1, 5, padding=2)
        nn.init.kaiming_normal_(self.conv1.weight)
        self.conv2 = nn.Conv2d(channel_1, channel_2, 3, padding=1)
        nn.init.kaiming_normal_(self.conv2.weight)
        self.fc = nn.Linear(channel_2 * 32 * 32, num_classes)
        nn.init.kaiming_normal_(self.fc.weight)

    def forward(self, x):
        scores = None
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        scores = self.fc(flatten(x))
        return scores
"""

ACC34_PRINT = """def check_accuracy_part34(loader, model):
    if loader.dataset.train:
        print('Checking accuracy on validation set')
    else:
        print('Checking accuracy on test set')
    num_correct = 0
    num_samples = 0
    model.eval()
    with torch.no_grad():
        for x, y in loader:
            x = x.to(device=device, dtype=dtype)
            y = y.to(device=device, dtype=torch.long)
            scores = model(x)
            _, preds = scores.max(1)
            num_correct += (preds == y).sum()
            num_samples += preds.size(0)
        acc = float(num_correct) / num_samples
        print('Got %d / %d correct (%.2f)' % (num_correct, num_samples, 100 * acc))
"""

ACC34_RETURN = ACC34_PRINT + "    return acc\n"

TRAIN34 = """def train_part34(model, optimizer, epochs=1):
    model = model.to(device=device)
    for e in range(epochs):
        for t, (x, y) in enumerate(loader_train):
            model.train()
            x = x.to(device=device, dtype=dtype)
            y = y.to(device=device, dtype=torch.long)
            scores = model(x)
            loss = F.cross_entropy(scores, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if t % print_every == 0:
                print('Iteration %d, loss = %.4f' % (t, loss.item()))
                check_accuracy_part34(loader_val, model)
                print()
"""

#: This kit's signatures, written in the notebook.
A2KIT_LOOPS = """def check_accuracy_part2(loader, model_fn, params):
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            x = x.to(dtype=params[0].dtype)
            preds = model_fn(x, params).argmax(dim=1)
            correct += int((preds == y).sum())
            total += len(y)
    return correct / max(total, 1)


def train_part2(model_fn, params, learning_rate, loader_train, loader_val=None, epochs=1, print_every=100):
    history = []
    for epoch in range(epochs):
        for x, y in loader_train:
            x = x.to(dtype=params[0].dtype)
            loss = F.cross_entropy(model_fn(x, params), y)
            loss.backward()
            with torch.no_grad():
                for w in params:
                    w -= learning_rate * w.grad
                    w.grad.zero_()
        if loader_val is not None:
            history.append(check_accuracy_part2(loader_val, model_fn, params))
    return history


def check_accuracy(loader, model):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            preds = model(x).argmax(dim=1)
            correct += int((preds == y).sum())
            total += len(y)
    return correct / max(total, 1)


def train(model, optimizer, loader_train, loader_val, epochs=1, print_every=100):
    history = []
    for epoch in range(epochs):
        for x, y in loader_train:
            model.train()
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        history.append(check_accuracy(loader_val, model))
    return history
"""

FLATTEN_MODULE = """class Flatten(nn.Module):
    def forward(self, x):
        return flatten(x)
"""

SEQ_FC = {
    "2019": """hidden_layer_size = 4000
learning_rate = 1e-2
model = nn.Sequential(
    Flatten(),
    nn.Linear(3 * 32 * 32, hidden_layer_size),
    nn.ReLU(),
    nn.Linear(hidden_layer_size, 10),
)
optimizer = optim.SGD(model.parameters(), lr=learning_rate, momentum=0.9, nesterov=True)
train_part34(model, optimizer)
""",
}
SEQ_FC["2023"] = SEQ_FC["2019"].replace("    Flatten(),", "    nn.Flatten(),")
SEQ_FC["a2kit"] = (
    SEQ_FC["2023"]
    .replace("optim.SGD", "torch.optim.SGD")
    .replace("train_part34(model, optimizer)", "train(model, optimizer, loader_train, loader_val)")
)

SEQ_CONV = {
    "2019": """channel_1 = 32
channel_2 = 16
learning_rate = 1e-2
model = None
optimizer = None
model = nn.Sequential(
    nn.Conv2d(3, channel_1, 5, padding=2),
    nn.ReLU(),
    nn.Conv2d(channel_1, channel_2, 3, padding=1),
    nn.ReLU(),
    Flatten(),
    nn.Linear(channel_2 * 32 * 32, 10),
)
optimizer = optim.SGD(model.parameters(), lr=learning_rate, momentum=0.9, nesterov=True)
train_part34(model, optimizer)
""",
}
SEQ_CONV["2023"] = SEQ_CONV["2019"].replace("    Flatten(),", "    nn.Flatten(),")
SEQ_CONV["a2kit"] = (
    SEQ_CONV["2023"]
    .replace("optim.SGD", "torch.optim.SGD")
    .replace("train_part34(model, optimizer)", "history = train(model, optimizer, loader_train, loader_val)")
)

OPEN = {
    "2019": """model = None
optimizer = None
model = nn.Sequential(
    nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    Flatten(), nn.Linear(32 * 8 * 8, 10),
)
optimizer = optim.Adam(model.parameters(), lr=1e-3)
train_part34(model, optimizer, epochs=10)
""",
}
OPEN["2023"] = OPEN["2019"].replace("Flatten(),", "nn.Flatten(),")
OPEN["a2kit"] = (
    OPEN["2023"]
    .replace("optim.Adam", "torch.optim.Adam")
    .replace(
        "train_part34(model, optimizer, epochs=10)",
        "history = train(model, optimizer, loader_train, loader_val, epochs=10)",
    )
)
TEST_SET = "best_model = model\ncheck_accuracy_part34(loader_test, best_model)\n"


def cells(edition: str) -> list[tuple[str, str]]:
    """(cell type, source) of the edition's notebook, in order."""
    loops = {
        "2019": [ACC2_PRINT, TRAIN2, "print('part III')", MODULES, ACC34_PRINT, TRAIN34],
        "2023": [ACC2_RETURN, TRAIN2, MODULES, ACC34_RETURN, TRAIN34],
        "a2kit": [A2KIT_LOOPS, MODULES],
    }[edition]
    out = [("markdown", "# PyTorch\nPart I. Preparation"), ("code", SETUP[edition])]
    if edition != "a2kit":
        out += [("code", DATA), ("code", DEVICE)]
    out += [
        ("markdown", "## Part II. Barebones PyTorch"),
        ("code", FLATTEN),
        ("code", FUNCS),
        ("code", TEST_CALL),
        ("code", INIT),
    ]
    out += [("code", c) for c in loops]
    out += [("markdown", "## Part IV. PyTorch Sequential API")]
    if edition == "2019":
        out.append(("code", FLATTEN_MODULE))
    out += [("code", SEQ_FC[edition]), ("code", SEQ_CONV[edition])]
    out += [("markdown", "## Part V. CIFAR-10 open-ended challenge"), ("code", OPEN[edition])]
    if edition != "a2kit":
        out.append(("code", TEST_SET))
    return out


#: A bug: (the check it breaks, the text replaced, its replacement) -- the same edit in every edition where it applies.
BUGS = {
    "missing_zero_grad": ("torch_train", "            optimizer.zero_grad()\n", ""),
    "kaiming_fan_out": ("torch_random_weight", "        fan_in = shape[0]\n", "        fan_in = shape[1]\n"),
    "missing_train_mode": ("torch_train_modes", "            model.train()\n", ""),
    "missing_eval_mode": ("torch_train_modes", "    model.eval()\n", ""),
    "flatten_wrong_order": (
        "torch_flatten",
        "    return x.view(N, -1)\n",
        "    return x.transpose(1, -1).reshape(N, -1)\n",
    ),
    "convnet_missing_relu": (
        "torch_three_layer_convnet",
        "h2 = F.relu(F.conv2d(h1, conv_w2, conv_b2, padding=1))",
        "h2 = F.conv2d(h1, conv_w2, conv_b2, padding=1)",
    ),
    "sequential_without_flatten": (
        "torch_sequential",
        ("    nn.Flatten(),\n    nn.Linear(3 * 32 * 32", "    Flatten(),\n    nn.Linear(3 * 32 * 32"),
        "    nn.Linear(3 * 32 * 32",
    ),
}


def notebook(edition: str, bug: str | None = None, *, stubs: bool = False) -> dict:
    """The notebook as JSON: with ``bug`` applied (it must change the text), or with every graded cell a stub."""
    nb_cells = cells(edition)
    if stubs:
        keep = (SETUP[edition], DATA, DEVICE)
        nb_cells = [
            (k, s) if k == "markdown" or s in keep else (k, "# TODO: your code here\npass\n") for k, s in nb_cells
        ]
    text = json.dumps(nb_cells)
    if bug is not None:
        _, olds, new = BUGS[bug]
        new_j = json.dumps(new)[1:-1]
        found = [j for j in (json.dumps(o)[1:-1] for o in ((olds,) if isinstance(olds, str) else olds)) if j in text]
        assert found, (edition, bug)
        old_j = found[0]
        text = text.replace(old_j, new_j)
    nb_cells = json.loads(text)
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [
            {
                "cell_type": k,
                "metadata": {},
                "source": s.splitlines(keepends=True),
                **({"outputs": [], "execution_count": None} if k == "code" else {}),
            }
            for k, s in nb_cells
        ],
    }


def write(path: Path, edition: str, bug: str | None = None, *, stubs: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook(edition, bug, stubs=stubs), indent=1))
    return path
