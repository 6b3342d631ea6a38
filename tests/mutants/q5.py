"""Mutants of Q5 (PyTorch, ``pytorch_models.py``).

Each is a bug a student moving from numpy to PyTorch plausibly writes: a
padding that does not keep the image size, a ReLU left out, a flatten that
takes the channels last, Kaiming's fan-in confused with the fan-out, a
gradient never cleared between steps, and a model left in the wrong mode.
"""

from . import Mutant

MUTANTS = [
    Mutant(
        "torch three_layer_convnet first convolution padded by 1",
        "pytorch_models.py",
        "    hidden1 = F.relu(F.conv2d(x, conv_w1, conv_b1, padding=2))\n",
        "    hidden1 = F.relu(F.conv2d(x, conv_w1, conv_b1, padding=1))\n",
        breaks=("torch_three_layer_convnet",),
    ),
    Mutant(
        "torch ThreeLayerConvNet second convolution without padding",
        "pytorch_models.py",
        "        self.conv2 = nn.Conv2d(channel_1, channel_2, kernel_size=3, padding=1)\n",
        "        self.conv2 = nn.Conv2d(channel_1, channel_2, kernel_size=3)\n",
        breaks=("torch_module_three_layer_convnet",),
    ),
    Mutant(
        "torch two_layer_fc without the ReLU",
        "pytorch_models.py",
        "    hidden = F.relu(flatten(x).mm(w1))\n",
        "    hidden = flatten(x).mm(w1)\n",
        breaks=("torch_two_layer_fc",),
    ),
    Mutant(
        "torch sequential_two_layer_fc without the ReLU",
        "pytorch_models.py",
        "        nn.Linear(input_size, hidden_size),\n        nn.ReLU(),\n",
        "        nn.Linear(input_size, hidden_size),\n",
        breaks=("torch_sequential",),
        diagnosis="sequential_two_layer_fc",
    ),
    Mutant(
        "torch flatten with the channels last",
        "pytorch_models.py",
        "    return x.reshape(N, -1)\n",
        "    return x.movedim(1, -1).reshape(N, -1) if x.dim() > 2 else x.reshape(N, -1)\n",
        breaks=("torch_flatten", "torch_two_layer_fc", "torch_three_layer_convnet"),
    ),
    Mutant(
        "torch random_weight uses the fan-out of a matrix",
        "pytorch_models.py",
        "    if len(shape) == 2:\n        fan_in = shape[0]\n",
        "    if len(shape) == 2:\n        fan_in = shape[1]\n",
        breaks=("torch_random_weight",),
        diagnosis="fan_out",
    ),
    Mutant(
        "torch module weights initialized with mode fan_out",
        "pytorch_models.py",
        "        nn.init.kaiming_normal_(self.fc1.weight)\n",
        "        nn.init.kaiming_normal_(self.fc1.weight, mode='fan_out')\n",
        breaks=("torch_module_init",),
        diagnosis="fan_out",
    ),
    Mutant(
        "torch module weights left at PyTorch's default initialization",
        "pytorch_models.py",
        "        nn.init.kaiming_normal_(self.conv2.weight)\n",
        "",
        breaks=("torch_module_init",),
        diagnosis="default initialization",
    ),
    Mutant(
        "torch train forgets optimizer.zero_grad()",
        "pytorch_models.py",
        "            optimizer.zero_grad()\n",
        "",
        breaks=("torch_train",),
        diagnosis="optimizer.zero_grad()",
    ),
    Mutant(
        "torch train_part2 never resets the gradients",
        "pytorch_models.py",
        "                    w.grad.zero_()\n",
        "",
        breaks=("torch_train_part2",),
        diagnosis="w.grad.zero_()",
    ),
    Mutant(
        "torch check_accuracy leaves the model in training mode",
        "pytorch_models.py",
        "    model.eval()\n",
        "",
        breaks=("torch_train_modes",),
        diagnosis="model.eval()",
    ),
    Mutant(
        "torch train never switches back to training mode",
        "pytorch_models.py",
        "            model.train()\n",
        "",
        breaks=("torch_train_modes",),
        diagnosis="model.train()",
    ),
]
