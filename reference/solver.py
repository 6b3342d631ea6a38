"""Minibatch training of a classifier: the Solver.

The Solver trains any object that satisfies the ``Model`` protocol below,
written out here once:

- ``model.params``: a dictionary from parameter names to numpy arrays. The
  Solver replaces its entries with the updated arrays at every step.
- ``model.loss(X, y=None)``:

  Inputs:
  - X: Array of input data of shape (N, d_1, ..., d_k).
  - y: Array of integer labels of shape (N,), y[i] the label of X[i]; or None.

  Returns:
  With y None, a test-time forward pass only:
  - scores: Array of shape (N, C), scores[i, c] the score of class c for X[i].
  With labels, a training-time forward and backward pass, a tuple of:
  - loss: Scalar, the loss on the minibatch.
  - grads: Dictionary with the keys of model.params, grads[k] the gradient
    of the loss with respect to model.params[k].

The update rule is one of the functions of ``optim`` (contract: the
``optim.UpdateRule`` protocol), named by a string, or any callable with the
same contract. Typical use::

    solver = Solver(model, data, update_rule='adam',
                    optim_config={'learning_rate': 1e-3},
                    lr_decay=0.95, num_epochs=10, batch_size=100,
                    print_every=100)
    solver.train()
    solver.best_val_acc, solver.loss_history  # the record of the run

Randomness: minibatches, and the subsamples used to estimate accuracies,
are drawn with numpy's *global* generator (``np.random.choice``), as the
cs231n Solver does, so that a notebook which calls ``np.random.seed`` before
training reproduces the published curves and numbers. A per-solver generator
would be cleaner but would change every published number; seed numpy's
global generator for a reproducible run.
"""
from __future__ import annotations

import inspect
import os
import pickle
from typing import Any, Protocol, runtime_checkable
from collections.abc import Callable

import numpy as np

from . import optim

__all__ = ["Model", "Solver"]


@runtime_checkable
class Model(Protocol):
    """What the Solver needs from a model (see the module docstring)."""

    params: dict[str, np.ndarray]

    def loss(
        self, X: np.ndarray, y: np.ndarray | None = None
    ) -> np.ndarray | tuple[float, dict[str, np.ndarray]]:
        ...


def _known_rules():
    """Names of the public update functions defined in optim.py."""
    return [
        name
        for name, fn in vars(optim).items()
        if inspect.isfunction(fn) and not name.startswith("_") and fn.__module__ == optim.__name__
    ]


class Solver:
    """
    Trains a classification model by minibatch gradient descent with one of
    the update rules of optim.py, and watches train and validation accuracy
    while doing so.

    Build it with the model, the data and the options, then call train().
    Afterwards model.params holds the parameters that scored best on the
    validation set.

    Attributes:
    - model, X_train, y_train, X_val, y_val: as given.
    - update_rule: the update function (looked up in optim.py when named).
    - optim_config, lr_decay, batch_size, num_epochs, num_train_samples,
      num_val_samples, checkpoint_name, print_every, verbose: the options.
    - optim_configs: a dictionary with one config per entry of model.params,
      each starting as a shallow copy of optim_config.
    - epoch: the number of epochs completed.
    - best_val_acc, best_params: the best validation accuracy seen, and
      copies of the parameters that reached it.
    - loss_history: the minibatch loss of every iteration.
    - train_acc_history, val_acc_history: the accuracies measured at the first
      iteration and at the end of every epoch.
    """

    def __init__(
        self,
        model: Model,
        data: dict[str, np.ndarray],
        *,
        update_rule: str | Callable = "sgd",
        optim_config: dict[str, Any] | None = None,
        lr_decay: float = 1.0,
        batch_size: int = 100,
        num_epochs: int = 10,
        num_train_samples: int | None = 1000,
        num_val_samples: int | None = None,
        checkpoint_name: str | None = None,
        print_every: int = 10,
        verbose: bool = True,
        **unrecognized: Any,
    ):
        """
        Set up a training run (nothing is trained until train() is called).

        Inputs:
        - model: An object following the Model protocol of this module.
        - data: A dictionary with the keys
          - 'X_train': Array of shape (N_train, d_1, ..., d_k), training inputs
          - 'y_train': Array of shape (N_train,), training labels
          - 'X_val': Array of shape (N_val, d_1, ..., d_k), validation inputs
          - 'y_val': Array of shape (N_val,), validation labels

        Options (keyword arguments):
        - update_rule: The name of a function of optim.py ('sgd',
          'sgd_momentum', 'rmsprop', 'adam', ...) or an update function.
          Default 'sgd'.
        - optim_config: Dictionary of hyperparameters handed to the update
          rule, typically with a 'learning_rate'. Each parameter gets its own
          copy. Default: empty (the rule's defaults).
        - lr_decay: Factor applied to every learning rate at the end of each
          epoch. Default 1.0 (no decay).
        - batch_size: Number of examples in each minibatch. Default 100.
        - num_epochs: Number of epochs to train for. Default 10.
        - num_train_samples: How many training examples to use when measuring
          training accuracy; None for all of them. Default 1000.
        - num_val_samples: The same for validation accuracy. Default None.
        - checkpoint_name: If given, after each accuracy check the run is
          pickled to '<checkpoint_name>_epoch_<epoch>.pkl'. Default None.
        - print_every: Print the loss every this many iterations. Default 10.
        - verbose: Whether to print progress at all. Default True.

        Raises ValueError, naming them, for keyword arguments not listed here
        and for an update_rule name that optim.py does not define.
        """
        if unrecognized:
            names = ", ".join('"%s"' % k for k in unrecognized)
            raise ValueError("Unrecognized arguments %s" % names)

        self.model = model
        self.X_train = data["X_train"]
        self.y_train = data["y_train"]
        self.X_val = data["X_val"]
        self.y_val = data["y_val"]

        self.update_rule = self._resolve_update_rule(update_rule)
        self.optim_config = {} if optim_config is None else optim_config
        self.lr_decay = lr_decay
        self.batch_size = batch_size
        self.num_epochs = num_epochs
        self.num_train_samples = num_train_samples
        self.num_val_samples = num_val_samples
        self.checkpoint_name = checkpoint_name
        self.print_every = print_every
        self.verbose = verbose

        self._reset()

    @staticmethod
    def _resolve_update_rule(update_rule):
        """Return the update function named by ``update_rule``, or the callable itself."""
        if callable(update_rule):
            return update_rule
        rule = getattr(optim, update_rule, None) if isinstance(update_rule, str) else None
        if rule is None or update_rule.startswith("_") or not inspect.isfunction(rule):
            raise ValueError(
                'Invalid update_rule "%s" (the update rules of optim.py are: %s)'
                % (update_rule, ", ".join(_known_rules()))
            )
        return rule

    def _reset(self):
        """
        Clear the training record and give every parameter a fresh config.
        Called by the constructor; not meant to be called by hand.
        """
        self.epoch = 0
        self.best_val_acc = 0
        self.best_params = {}
        self.loss_history = []
        self.train_acc_history = []
        self.val_acc_history = []

        # One dictionary per parameter: the rules keep per-parameter state in it.
        self.optim_configs = {name: dict(self.optim_config) for name in self.model.params}

    def _step(self):
        """
        One iteration: sample a minibatch (with replacement, global
        np.random), compute loss and gradients, update every parameter.
        Called by train().
        """
        idx = np.random.choice(self.X_train.shape[0], self.batch_size)
        loss, grads = self.model.loss(self.X_train[idx], self.y_train[idx])
        self.loss_history.append(loss)

        for name, value in self.model.params.items():
            new_value, new_config = self.update_rule(value, grads[name], self.optim_configs[name])
            self.model.params[name] = new_value
            self.optim_configs[name] = new_config

    def _save_checkpoint(self):
        """Pickle the model, the options and the record, if checkpoint_name is set."""
        if self.checkpoint_name is None:
            return
        checkpoint = {
            "model": self.model,
            "update_rule": self.update_rule,
            "lr_decay": self.lr_decay,
            "optim_config": self.optim_config,
            "batch_size": self.batch_size,
            "num_train_samples": self.num_train_samples,
            "num_val_samples": self.num_val_samples,
            "epoch": self.epoch,
            "loss_history": self.loss_history,
            "train_acc_history": self.train_acc_history,
            "val_acc_history": self.val_acc_history,
        }
        filename = "%s_epoch_%d.pkl" % (self.checkpoint_name, self.epoch)
        if self.verbose:
            print('Saving checkpoint to "%s"' % filename)
        partial = filename + ".partial"
        with open(partial, "wb") as f:
            pickle.dump(checkpoint, f)
        os.replace(partial, filename)

    def check_accuracy(self, X, y, num_samples=None, batch_size=100):
        """
        Fraction of the examples the model classifies correctly.

        Inputs:
        - X: Array of shape (N, d_1, ..., d_k), the inputs.
        - y: Array of shape (N,), the labels.
        - num_samples: If given and smaller than N, measure on num_samples
          examples drawn with replacement (global np.random) instead.
        - batch_size: The model sees at most this many examples at a time.

        Returns:
        - acc: Scalar, the fraction of correctly classified examples.
        """
        N = X.shape[0]
        if num_samples is not None and num_samples < N:
            idx = np.random.choice(N, num_samples)
            X, y, N = X[idx], y[idx], num_samples

        predictions = []
        for start in range(0, N, batch_size):
            scores = self.model.loss(X[start : start + batch_size])
            predictions.append(np.argmax(scores, axis=1))
        y_pred = np.hstack(predictions)
        return np.mean(y_pred == y)

    def _decay_learning_rates(self):
        for config in self.optim_configs.values():
            config["learning_rate"] *= self.lr_decay

    def _record_accuracies(self):
        """Measure and record both accuracies; keep the params if validation improved."""
        train_acc = self.check_accuracy(self.X_train, self.y_train, num_samples=self.num_train_samples)
        val_acc = self.check_accuracy(self.X_val, self.y_val, num_samples=self.num_val_samples)
        self.train_acc_history.append(train_acc)
        self.val_acc_history.append(val_acc)
        self._save_checkpoint()

        if self.verbose:
            print(
                "(Epoch %d / %d) train acc: %f; val_acc: %f"
                % (self.epoch, self.num_epochs, train_acc, val_acc)
            )

        # The first check always records a copy, so that best_params is never
        # empty after training, even if no validation example is ever right.
        if val_acc > self.best_val_acc or not self.best_params:
            self.best_val_acc = val_acc
            self.best_params = {name: value.copy() for name, value in self.model.params.items()}

    def train(self):
        """
        Run the training loop.

        There are max(N_train // batch_size, 1) iterations per epoch and
        num_epochs epochs. At the end of each epoch every learning rate is
        multiplied by lr_decay. Accuracies are measured after the first
        iteration, at the end of every epoch and after the last iteration (the
        end of the last epoch), so each accuracy history ends up with
        num_epochs + 1 entries. Finally model.params is replaced by
        best_params, the copies with the best validation accuracy (the
        earliest one on ties).
        """
        iterations_per_epoch = max(self.X_train.shape[0] // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch

        for t in range(num_iterations):
            self._step()

            if self.verbose and t % self.print_every == 0:
                print("(Iteration %d / %d) loss: %f" % (t + 1, num_iterations, self.loss_history[-1]))

            end_of_epoch = (t + 1) % iterations_per_epoch == 0
            if end_of_epoch:
                self.epoch += 1
                self._decay_learning_rates()

            if t == 0 or end_of_epoch or t == num_iterations - 1:
                self._record_accuracies()

        if self.best_params:
            self.model.params = self.best_params
