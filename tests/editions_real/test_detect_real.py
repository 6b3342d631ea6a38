"""Edition detection on the file layouts real cs231n solutions have (our own minimal files, no public code)."""

from __future__ import annotations

from pathlib import Path

from grader import editions

_FC_2021 = (
    "class FullyConnectedNet(object):\n"
    "    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1,\n"
    "                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=None, seed=None):\n"
    "        pass\n"
)


def _package(root: Path, extra: tuple[str, ...] = ()) -> Path:
    pkg = root / "cs231n"
    (pkg / "classifiers").mkdir(parents=True)
    (pkg / "classifiers" / "fc_net.py").write_text(_FC_2021)
    (pkg / "layers.py").write_text("def affine_forward(x, w, b):\n    pass\n")
    for name in extra:
        (pkg / name).write_text("")
    return pkg


def test_is_2025_told_by_its_pytorch_rnn_files(tmp_path):
    """Is a 2025 Assignment 2 (RNN captioning in PyTorch: rnn_layers_pytorch.py, RNN_Captioning_pytorch.ipynb,
    no FullyConnectedNets.ipynb) detected as 2025, not 2021-2024?"""
    pkg = _package(tmp_path, ("rnn_layers_pytorch.py",))
    edition, how = editions.detect(pkg, ["Dropout.ipynb", "RNN_Captioning_pytorch.ipynb"])
    assert edition.name == "2025", how
    pkg2 = _package(tmp_path / "nb-only")
    assert editions.detect(pkg2, ["Dropout.ipynb", "RNN_Captioning_pytorch.ipynb"])[0].name == "2025"


def test_is_2021_2024_still_2021_2024(tmp_path):
    """Does a 2021-2024 package (FullyConnectedNets.ipynb, no RNN files) stay 2021-2024?"""
    pkg = _package(tmp_path)
    assert editions.detect(pkg, ["FullyConnectedNets.ipynb", "Dropout.ipynb"])[0].name == "2021-2024"
