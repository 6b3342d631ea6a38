"""Drawing a training history (matplotlib is imported here, when called)."""
from __future__ import annotations


def plot_history(history, title=None, axes=None):
    """Loss and accuracy per epoch, train and test, side by side; returns the two axes."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for ax, key in zip(axes, ("loss", "accuracy")):
        ax.plot(history[key], label="train")
        if history.get(f"test_{key}"):
            ax.plot(history[f"test_{key}"], label="test")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.legend()
    if title:
        axes[0].figure.suptitle(title)
    return axes
