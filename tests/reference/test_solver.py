"""Tests of reference/solver.py with small models written here (numpy only).

The models of classifiers/ are trained with the Solver in test_fc_net.py and
test_cnn.py; here the Solver's own bookkeeping is checked with models whose
behaviour is known exactly, so no tolerance is involved except where stated.
"""

import pickle

import numpy as np
import pytest

from reference import optim
from reference.solver import Model, Solver


class LinearSoftmax:
    """A linear softmax classifier: the smallest real model for the Solver."""

    def __init__(self, D, C, seed=0, scale=1e-2):
        rng = np.random.default_rng(seed)
        self.params = {"W": scale * rng.standard_normal((D, C)), "b": np.zeros(C)}
        self.calls = []  # batch sizes seen by loss()

    def loss(self, X, y=None):
        self.calls.append(X.shape[0])
        X2 = X.reshape(X.shape[0], -1)
        scores = X2 @ self.params["W"] + self.params["b"]
        if y is None:
            return scores
        shifted = scores - scores.max(axis=1, keepdims=True)
        p = np.exp(shifted)
        p /= p.sum(axis=1, keepdims=True)
        N = X.shape[0]
        loss = -np.mean(np.log(p[np.arange(N), y]))
        dscores = p
        dscores[np.arange(N), y] -= 1
        dscores /= N
        return loss, {"W": X2.T @ dscores, "b": dscores.sum(axis=0)}


class Scripted:
    """A model whose accuracy is scripted by the value of its one parameter.

    With the update rule ``count`` below, params['w'] counts the steps taken;
    the model then classifies correctly the first round(acc * N) examples,
    acc = accuracy[w], of any set whose labels are all 0.
    """

    def __init__(self, accuracy):
        self.accuracy = accuracy
        self.params = {"w": np.zeros(1)}

    def loss(self, X, y=None):
        if y is not None:
            return 0.0, {"w": np.zeros(1)}
        N = X.shape[0]
        acc = self.accuracy[int(self.params["w"][0])]
        scores = np.zeros((N, 2))
        correct = np.arange(N) < round(acc * N)
        scores[correct, 0] = 1.0
        scores[~correct, 1] = 1.0
        return scores


def count(w, dw, config=None):
    """An update rule that adds 1 to w and counts its calls in the config."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1.0)
    config["calls"] = config.get("calls", 0) + 1
    return w + 1, config


def make_data(N_train=100, N_val=40, D=6, C=3, seed=0):
    """Linearly separable synthetic data: labels are the argmax of a random linear map."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((D, C))
    X_train = rng.standard_normal((N_train, D))
    X_val = rng.standard_normal((N_val, D))
    return {
        "X_train": X_train,
        "y_train": np.argmax(X_train @ W, axis=1),
        "X_val": X_val,
        "y_val": np.argmax(X_val @ W, axis=1),
    }


def zero_label_data(N_train=20, N_val=10):
    return {
        "X_train": np.zeros((N_train, 1)),
        "y_train": np.zeros(N_train, dtype=int),
        "X_val": np.zeros((N_val, 1)),
        "y_val": np.zeros(N_val, dtype=int),
    }


# ---------------------------------------------------------------------------
# Construction
# ---------------------------------------------------------------------------


def test_unknown_keyword_arguments_raise_value_error_naming_them():
    """Is a misspelt option refused with its name, rather than ignored?"""
    with pytest.raises(ValueError, match=r'Unrecognized arguments "lr", "epochs"'):
        Solver(LinearSoftmax(6, 3), make_data(), lr=1e-3, epochs=2)


def test_unknown_update_rule_raises_value_error_naming_it():
    """Is an update rule that optim.py does not define refused with its name?"""
    with pytest.raises(ValueError, match='"adamw"'):
        Solver(LinearSoftmax(6, 3), make_data(), update_rule="adamw")
    with pytest.raises(ValueError, match='"np"'):  # a module attribute, not a rule
        Solver(LinearSoftmax(6, 3), make_data(), update_rule="np")


def test_update_rule_is_looked_up_in_optim_or_taken_as_given():
    """Does a name resolve to the optim function, and a callable stay as it is?"""
    assert Solver(LinearSoftmax(6, 3), make_data(), update_rule="adam").update_rule is optim.adam
    assert Solver(LinearSoftmax(6, 3), make_data()).update_rule is optim.sgd
    assert Solver(LinearSoftmax(6, 3), make_data(), update_rule=count).update_rule is count


def test_attributes_after_construction():
    """Are the cs231n attributes present with their defaults?"""
    data = make_data()
    model = LinearSoftmax(6, 3)
    s = Solver(model, data)
    assert s.model is model and s.X_train is data["X_train"] and s.y_val is data["y_val"]
    assert (s.lr_decay, s.batch_size, s.num_epochs) == (1.0, 100, 10)
    assert (s.num_train_samples, s.num_val_samples, s.checkpoint_name) == (1000, None, None)
    assert (s.print_every, s.verbose, s.optim_config) == (10, True, {})
    assert (s.epoch, s.best_val_acc, s.best_params) == (0, 0, {})
    assert s.loss_history == [] and s.train_acc_history == [] and s.val_acc_history == []


def test_each_parameter_gets_its_own_copy_of_optim_config():
    """Does every parameter get a distinct config, and is optim_config left untouched by training?"""
    optim_config = {"learning_rate": 1e-2}
    s = Solver(
        LinearSoftmax(6, 3),
        make_data(),
        update_rule="adam",
        optim_config=optim_config,
        num_epochs=1,
        batch_size=50,
        verbose=False,
    )
    assert set(s.optim_configs) == {"W", "b"}
    assert s.optim_configs["W"] is not s.optim_configs["b"]
    assert all(c is not optim_config and c == optim_config for c in s.optim_configs.values())
    s.train()
    assert optim_config == {"learning_rate": 1e-2}
    assert s.optim_configs["W"]["m"].shape == (6, 3) and s.optim_configs["b"]["m"].shape == (3,)
    assert s.optim_configs["W"]["t"] == s.optim_configs["b"]["t"] == 2


def test_models_satisfy_the_model_protocol():
    """Do the test models count as Models (params and loss)?"""
    assert isinstance(LinearSoftmax(6, 3), Model)
    assert not isinstance(object(), Model)


# ---------------------------------------------------------------------------
# The training loop
# ---------------------------------------------------------------------------


def test_history_lengths():
    """Are there iterations losses and num_epochs + 1 accuracy checks?"""
    s = Solver(LinearSoftmax(6, 3), make_data(N_train=100), batch_size=10, num_epochs=3, verbose=False)
    s.train()
    assert len(s.loss_history) == 3 * (100 // 10)
    assert len(s.train_acc_history) == len(s.val_acc_history) == 3 + 1
    assert s.epoch == 3


def test_a_batch_larger_than_the_data_still_makes_one_iteration_per_epoch():
    """Is the number of iterations per epoch max(N // batch_size, 1)?"""
    model = Scripted({k: 0.5 for k in range(1, 5)})
    s = Solver(model, zero_label_data(N_train=20), update_rule=count, batch_size=50, num_epochs=4, verbose=False)
    s.train()
    assert len(s.loss_history) == 4 and s.epoch == 4
    # the first iteration is also the end of the first epoch: checked once
    assert len(s.val_acc_history) == 4


def test_learning_rate_decays_at_the_end_of_each_epoch():
    """Is every parameter's learning rate multiplied by lr_decay once per epoch?"""
    seen = []

    def recording_sgd(w, dw, config=None):
        seen.append(config["learning_rate"])
        return optim.sgd(w, dw, config)

    s = Solver(
        LinearSoftmax(6, 3),
        make_data(N_train=100),
        update_rule=recording_sgd,
        optim_config={"learning_rate": 0.1},
        lr_decay=0.5,
        batch_size=50,
        num_epochs=3,
        verbose=False,
    )
    s.train()
    # 2 parameters x 2 iterations per epoch, then the rate halves
    expected = [0.1] * 4 + [0.05] * 4 + [0.025] * 4
    np.testing.assert_allclose(seen, expected, rtol=1e-15)
    for config in s.optim_configs.values():
        assert config["learning_rate"] == pytest.approx(0.1 * 0.5**3, rel=1e-15)


def test_best_params_are_the_params_with_the_best_validation_accuracy():
    """Are best_params copies of the params at the first best check, swapped into the model?"""
    model = Scripted({1: 0.2, 2: 0.5, 4: 0.3, 6: 0.8, 8: 0.8, 10: 0.1})
    s = Solver(
        model,
        zero_label_data(N_train=20, N_val=10),
        update_rule=count,
        batch_size=10,
        num_epochs=5,
        num_train_samples=None,
        verbose=False,
    )
    s.train()
    # checks after steps 1 (first iteration), 2, 4, 6, 8, 10 (epoch ends)
    assert s.val_acc_history == [0.2, 0.5, 0.3, 0.8, 0.8, 0.1]
    assert s.best_val_acc == 0.8
    assert s.best_params["w"][0] == 6  # the first of the tied best
    assert model.params is s.best_params


def test_best_params_are_kept_even_if_validation_accuracy_stays_zero():
    """Does a run that never classifies a validation example still leave the model its params?"""
    model = Scripted({k: 0.0 for k in range(1, 11)})
    s = Solver(model, zero_label_data(), update_rule=count, batch_size=10, num_epochs=2, verbose=False)
    s.train()
    assert s.best_val_acc == 0.0
    assert set(model.params) == {"w"} and model.params["w"][0] == 1


def test_trained_model_scores_best_val_acc_on_the_validation_set():
    """After training, does the model score best_val_acc = max(val_acc_history) on X_val?"""
    np.random.seed(0)
    data = make_data(N_train=200, N_val=50)
    s = Solver(
        LinearSoftmax(6, 3),
        data,
        update_rule="sgd",
        optim_config={"learning_rate": 0.5},
        batch_size=20,
        num_epochs=4,
        verbose=False,
    )
    s.train()
    assert s.best_val_acc == max(s.val_acc_history)
    assert s.check_accuracy(data["X_val"], data["y_val"]) == s.best_val_acc
    assert s.best_val_acc > 0.8  # separable data: a linear model learns it


def test_training_is_reproducible_under_np_random_seed():
    """Do two runs after the same np.random.seed give identical histories (global RNG, as cs231n)?"""
    histories = []
    for _ in range(2):
        np.random.seed(231)
        s = Solver(
            LinearSoftmax(6, 3),
            make_data(),
            update_rule="sgd_momentum",
            optim_config={"learning_rate": 0.1},
            batch_size=10,
            num_epochs=2,
            num_train_samples=30,
            verbose=False,
        )
        s.train()
        histories.append((s.loss_history, s.train_acc_history, s.val_acc_history))
    assert histories[0] == histories[1]


def test_verbose_prints_iterations_and_epochs(capsys):
    """Does verbose print the loss every print_every iterations and each accuracy check?"""
    s = Solver(LinearSoftmax(6, 3), make_data(N_train=100), batch_size=10, num_epochs=2, print_every=4)
    s.train()
    out = capsys.readouterr().out.splitlines()
    iterations = [line for line in out if line.startswith("(Iteration")]
    epochs = [line for line in out if line.startswith("(Epoch")]
    assert [line.split(")")[0] for line in iterations] == [
        "(Iteration 1 / 20",
        "(Iteration 5 / 20",
        "(Iteration 9 / 20",
        "(Iteration 13 / 20",
        "(Iteration 17 / 20",
    ]
    assert [line.split(")")[0] for line in epochs] == ["(Epoch 0 / 2", "(Epoch 1 / 2", "(Epoch 2 / 2"]


def test_quiet_solver_prints_nothing(capsys):
    s = Solver(LinearSoftmax(6, 3), make_data(), batch_size=10, num_epochs=1, verbose=False)
    s.train()
    assert capsys.readouterr().out == ""


# ---------------------------------------------------------------------------
# check_accuracy and checkpoints
# ---------------------------------------------------------------------------


def test_check_accuracy_in_batches():
    """Does check_accuracy feed the model batches of at most batch_size and count exactly?"""
    data = make_data(N_train=250)
    model = LinearSoftmax(6, 3, seed=4, scale=1.0)
    s = Solver(model, data, verbose=False)
    model.calls.clear()
    acc = s.check_accuracy(data["X_train"], data["y_train"], batch_size=100)
    assert model.calls == [100, 100, 50]
    expected = np.mean(np.argmax(model.loss(data["X_train"]), axis=1) == data["y_train"])
    assert acc == expected


def test_check_accuracy_subsamples_num_samples():
    """Does num_samples < N make the model see only num_samples examples?"""
    data = make_data(N_train=250)
    model = LinearSoftmax(6, 3)
    s = Solver(model, data, verbose=False)
    model.calls.clear()
    s.check_accuracy(data["X_train"], data["y_train"], num_samples=30)
    assert sum(model.calls) == 30
    model.calls.clear()
    s.check_accuracy(data["X_train"], data["y_train"], num_samples=1000)  # more than N: all of them
    assert sum(model.calls) == 250


def test_checkpoints_are_pickled_at_each_check(tmp_path):
    """Is a loadable checkpoint written at each accuracy check, named by epoch?"""
    name = str(tmp_path / "run")
    s = Solver(
        LinearSoftmax(6, 3), make_data(N_train=100), batch_size=50, num_epochs=2, checkpoint_name=name, verbose=False
    )
    s.train()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run_epoch_0.pkl", "run_epoch_1.pkl", "run_epoch_2.pkl"]
    with open(tmp_path / "run_epoch_2.pkl", "rb") as f:
        checkpoint = pickle.load(f)
    assert set(checkpoint) == {
        "model",
        "update_rule",
        "lr_decay",
        "optim_config",
        "batch_size",
        "num_train_samples",
        "num_val_samples",
        "epoch",
        "loss_history",
        "train_acc_history",
        "val_acc_history",
    }
    assert checkpoint["epoch"] == 2
    assert checkpoint["loss_history"] == s.loss_history
    assert checkpoint["val_acc_history"] == s.val_acc_history
