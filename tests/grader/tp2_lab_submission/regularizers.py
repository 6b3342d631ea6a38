# TP2 regularizers written for the tests with the lab's shape: __call__ and gradient, nothing else.
import numpy as np


class L2:
    def __init__(self, lam):
        self.lam = lam

    def __call__(self, W):
        return 0.5 * self.lam * np.sum(W ** 2)

    def gradient(self, W):
        return self.lam * W


class L1:
    def __init__(self, lam):
        self.lam = lam

    def __call__(self, W):
        return self.lam * np.sum(np.abs(W))

    def gradient(self, W):
        return self.lam * np.sign(W)
