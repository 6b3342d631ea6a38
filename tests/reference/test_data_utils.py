"""Tests of reference/data_utils.py: the cifar-10-batches-py reader and writer, the folder
lookup of get_CIFAR10_data, and the synthetic CIFAR-shaped data set."""

import hashlib
import os
import pickle
import time

import numpy as np
import pytest

from reference import data_utils as du


def channel_images(n, offset=0):
    """Images whose red, green and blue planes are constant and distinct: 3k+1, 3k+2, 3k+3 for image k.

    They show at once whether channels are read in order and whether HWC and CHW are swapped.
    """
    k = np.arange(offset, offset + n)
    X = np.empty((n, 32, 32, 3), dtype=np.uint8)
    for c in range(3):
        X[..., c] = (3 * k + c + 1)[:, None, None] % 256
    return X


def write_small_set(directory, n_train=100, n_test=20, seed=0):
    """A small data set in the real format: random pixels and labels; returns the arrays written."""
    rng = np.random.default_rng(seed)
    X_train = rng.integers(0, 256, size=(n_train, 32, 32, 3), dtype=np.uint8)
    X_test = rng.integers(0, 256, size=(n_test, 32, 32, 3), dtype=np.uint8)
    y_train = rng.integers(0, 10, size=n_train)
    y_test = rng.integers(0, 10, size=n_test)
    du.write_cifar10_batches(directory, X_train, y_train, X_test, y_test)
    return X_train, y_train, X_test, y_test


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No CIFAR10_DIR, and a cache folder (XDG_CACHE_HOME) inside tmp_path that holds nothing yet."""
    monkeypatch.delenv("CIFAR10_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


# --------------------------------------------------------------------------
# The on-disk format
# --------------------------------------------------------------------------


def test_written_files_have_the_published_layout(tmp_path):
    """Does a written batch look like a real one to plain pickle: Python 2 strings, R then G then B planes?"""
    X = channel_images(20)
    du.write_cifar10_batches(tmp_path, X, np.arange(20) % 10, X[:5], np.arange(5))
    assert sorted(os.listdir(tmp_path)) == sorted(du.CIFAR10_FILES)

    with open(tmp_path / "data_batch_1", "rb") as f:
        as_bytes = pickle.load(f, encoding="bytes")
    assert set(as_bytes) == {b"batch_label", b"labels", b"data", b"filenames"}
    data = as_bytes[b"data"]
    assert data.dtype == np.uint8 and data.shape == (4, 3072)  # 20 images in 5 batches
    assert (data[1, :1024] == 4).all() and (data[1, 1024:2048] == 5).all() and (data[1, 2048:] == 6).all()
    assert as_bytes[b"labels"] == [0, 1, 2, 3]

    with open(tmp_path / "batches.meta", "rb") as f:
        meta = pickle.load(f, encoding="latin1")
    assert meta["label_names"] == list(du.CIFAR10_CLASSES)
    assert du.load_label_names(tmp_path) == list(du.CIFAR10_CLASSES)


def test_load_CIFAR10_round_trips_the_written_arrays(tmp_path):
    """Does load_CIFAR10 return exactly the images and labels written, in cs231n's layout?"""
    X_train, y_train, X_test, y_test = write_small_set(tmp_path)
    Xtr, Ytr, Xte, Yte = du.load_CIFAR10(str(tmp_path))
    assert Xtr.shape == (100, 32, 32, 3) and Xtr.dtype == np.float64
    assert Xte.shape == (20, 32, 32, 3) and Xte.dtype == np.float64
    assert Ytr.dtype == np.int64 and Yte.dtype == np.int64
    np.testing.assert_array_equal(Xtr, X_train)
    np.testing.assert_array_equal(Ytr, y_train)
    np.testing.assert_array_equal(Xte, X_test)
    np.testing.assert_array_equal(Yte, y_test)

    X1, Y1 = du.load_CIFAR_batch(os.path.join(tmp_path, "data_batch_2"))
    np.testing.assert_array_equal(X1, X_train[20:40])
    np.testing.assert_array_equal(Y1, y_train[20:40])


def test_loader_refuses_arbitrary_objects(tmp_path):
    """Does a batch file that pickles anything but arrays fail to load instead of running code?"""
    path = tmp_path / "data_batch_1"
    with open(path, "wb") as f:
        pickle.dump({"data": os.getcwd, "labels": []}, f, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="posix.getcwd|nt.getcwd|refusing"):
        du.load_CIFAR_batch(path)


def test_loader_names_the_file_of_a_malformed_batch(tmp_path):
    """Does a batch with the wrong shape fail with a message naming the file?"""
    path = tmp_path / "data_batch_1"
    with open(path, "wb") as f:
        pickle.dump({"data": np.zeros((4, 100), np.uint8), "labels": [0, 1, 2, 3]}, f, protocol=2)
    with pytest.raises(ValueError, match="data_batch_1.*3072"):
        du.load_CIFAR_batch(str(path))


def test_writer_rejects_non_pixel_values(tmp_path):
    """Are images outside 0..255 or of the wrong shape refused?"""
    X = np.zeros((2, 32, 32, 3))
    with pytest.raises(ValueError, match="0..255"):
        du.write_cifar10_batches(tmp_path, X + 300, [0, 1], X, [0, 1])
    with pytest.raises(ValueError, match="shape"):
        du.write_cifar10_batches(tmp_path, X.transpose(0, 3, 1, 2), [0, 1], X, [0, 1])


# --------------------------------------------------------------------------
# get_CIFAR10_data
# --------------------------------------------------------------------------


def test_get_CIFAR10_data_splits_transposes_and_subtracts_the_mean(tmp_path, clean_env):
    """Are the splits, shapes, dtypes, key order, channel order and mean subtraction those of cs231n?"""
    folder = tmp_path / "cifar"
    X = channel_images(100)
    du.write_cifar10_batches(folder, X, np.arange(100) % 10, channel_images(20, offset=100), np.arange(20) % 10)

    data = du.get_CIFAR10_data(num_training=70, num_validation=20, num_test=10, subtract_mean=False, cifar10_dir=folder)
    assert list(data) == ["X_train", "y_train", "X_val", "y_val", "X_test", "y_test"]
    assert data.source == "cifar10" and data.path == str(folder)
    assert data["X_train"].shape == (70, 3, 32, 32) and data["X_train"].dtype == np.float32
    assert data["X_val"].shape == (20, 3, 32, 32) and data["X_test"].shape == (10, 3, 32, 32)
    assert data["y_train"].dtype == np.int64 and data["y_val"].shape == (20,)
    # image k has planes 3k+1, 3k+2, 3k+3: validation image 0 is training image 70
    assert [np.unique(data["X_train"][5, c]).tolist() for c in range(3)] == [[16], [17], [18]]
    assert (data["X_val"][0, 2] == 213).all()
    assert (data["X_test"][0, 0] == 301 % 256).all()
    np.testing.assert_array_equal(data["y_val"], np.arange(70, 90) % 10)

    centred = du.get_CIFAR10_data(num_training=70, num_validation=20, num_test=10, cifar10_dir=folder)
    mean = data["X_train"].mean(axis=0)
    np.testing.assert_allclose(centred["X_train"].mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(centred["X_val"], data["X_val"] - mean, atol=1e-4)
    np.testing.assert_allclose(centred["X_test"], data["X_test"] - mean, atol=1e-4)


def test_CIFAR10_DIR_is_honoured_and_the_argument_wins(tmp_path, clean_env, monkeypatch, capsys):
    """Is the CIFAR10_DIR folder used when no argument names one, and the argument preferred to it?"""
    from_env, from_arg = tmp_path / "env", tmp_path / "arg"
    write_small_set(from_env, seed=1)
    X_arg = write_small_set(from_arg, seed=2)[0]
    monkeypatch.setenv("CIFAR10_DIR", str(from_env))

    data = du.get_CIFAR10_data(num_training=50, num_validation=10, num_test=5, subtract_mean=False)
    assert data.source == "cifar10" and data.path == str(from_env)
    data = du.get_CIFAR10_data(
        num_training=50, num_validation=10, num_test=5, subtract_mean=False, cifar10_dir=from_arg
    )
    assert data.path == str(from_arg)
    np.testing.assert_array_equal(data["X_train"], X_arg[:50].transpose(0, 3, 1, 2))
    assert capsys.readouterr().out == ""


def test_missing_explicit_folder_is_an_error_naming_it(tmp_path, clean_env, monkeypatch):
    """Does a named folder that is absent or incomplete raise FileNotFoundError with the path and the fix?"""
    absent = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match=f"{absent}.*does not exist.*python -m grader data cifar10"):
        du.get_CIFAR10_data(cifar10_dir=absent)

    incomplete = tmp_path / "incomplete"
    write_small_set(incomplete)
    os.remove(incomplete / "test_batch")
    with pytest.raises(FileNotFoundError, match="has no test_batch"):
        du.get_CIFAR10_data(cifar10_dir=incomplete)

    monkeypatch.setenv("CIFAR10_DIR", str(absent))
    with pytest.raises(FileNotFoundError, match="CIFAR10_DIR") as info:
        du.get_CIFAR10_data()
    assert "\n" not in str(info.value)


def test_absent_default_falls_back_to_the_synthetic_set_with_one_notice(clean_env, capsys):
    """With no folder named and none at the default place, is the synthetic set used and said so once?"""
    data = du.get_CIFAR10_data(num_training=500, num_validation=100, num_test=100)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("NOTE:")
    assert du.default_cifar10_dir() in out and "synthetic" in out and "python -m grader data cifar10" in out
    assert data.source == "synthetic" and data.path is None
    assert data["X_train"].shape == (500, 3, 32, 32) and data["X_train"].dtype == np.float32
    assert data["X_val"].shape == (100, 3, 32, 32) and data["X_test"].shape == (100, 3, 32, 32)
    assert all(isinstance(v, np.ndarray) for v in data.values())

    X_train, y_train, X_test, y_test = du.make_synthetic_cifar(600, 100, seed=0)
    np.testing.assert_array_equal(data["y_val"], y_train[500:])
    np.testing.assert_array_equal(data["y_test"], y_test)
    mean = X_train[:500].mean(axis=0).astype(np.float32)
    np.testing.assert_allclose(data["X_val"], (X_train[500:] - mean).transpose(0, 3, 1, 2), atol=1e-4)


def test_default_folder_follows_XDG_CACHE_HOME(clean_env, capsys):
    """Is a data set at $XDG_CACHE_HOME/a2kit/cifar-10-batches-py found without a notice?"""
    folder = clean_env / "cache" / "a2kit" / "cifar-10-batches-py"
    assert du.default_cifar10_dir() == str(folder)
    write_small_set(folder)
    data = du.get_CIFAR10_data(num_training=80, num_validation=20, num_test=20)
    assert data.source == "cifar10" and data.path == str(folder)
    assert capsys.readouterr().out == ""


def test_a_folder_of_the_synthetic_set_reports_synthetic(tmp_path, clean_env):
    """Does a folder written with the synthetic marker in batches.meta load as source 'synthetic'?"""
    X_train, y_train, X_test, y_test = du.make_synthetic_cifar(100, 20, seed=3)
    du.write_cifar10_batches(tmp_path, X_train, y_train, X_test, y_test, meta_extra={du.SYNTHETIC_MARKER: 3})
    data = du.get_CIFAR10_data(num_training=80, num_validation=20, num_test=20, cifar10_dir=tmp_path)
    assert data.source == "synthetic"


# --------------------------------------------------------------------------
# The synthetic set
# --------------------------------------------------------------------------


def test_synthetic_set_has_the_layout_of_load_CIFAR10():
    """Are shapes, dtypes, pixel range and label range those of load_CIFAR10, and the classes balanced?"""
    X_train, y_train, X_test, y_test = du.make_synthetic_cifar(1230, 300, seed=0)
    assert X_train.shape == (1230, 32, 32, 3) and X_train.dtype == np.float64
    assert X_test.shape == (300, 32, 32, 3) and X_test.dtype == np.float64
    assert y_train.dtype == np.int64 and y_test.dtype == np.int64
    assert X_train.min() >= 0 and X_train.max() <= 255 and np.array_equal(X_train, np.round(X_train))
    assert np.bincount(y_train, minlength=10).tolist() == [123] * 10
    assert np.bincount(y_test, minlength=10).tolist() == [30] * 10
    assert np.bincount(du.make_synthetic_cifar(25, 0)[1], minlength=10).max() == 3  # any prefix: n//10 or n//10+1
    assert 25 < X_train.std() < 90  # neither flat nor saturated (CIFAR-10: about 64)


def test_synthetic_set_is_deterministic():
    """Does a seed always give the same arrays, a prefix for fewer images, and another seed other arrays?"""
    a = du.make_synthetic_cifar(1500, 200, seed=0, dtype=np.uint8)
    b = du.make_synthetic_cifar(1500, 200, seed=0, dtype=np.uint8)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    fewer = du.make_synthetic_cifar(700, 50, seed=0, dtype=np.uint8)
    np.testing.assert_array_equal(fewer[0], a[0][:700])
    np.testing.assert_array_equal(fewer[3], a[3][:50])
    other = du.make_synthetic_cifar(1500, 200, seed=1, dtype=np.uint8)
    assert not np.array_equal(other[0], a[0])
    assert (a[0] != other[0]).mean() > 0.9


def test_synthetic_set_is_the_same_on_every_machine():
    """Do the bytes of seed 0 match the recorded hash (same data on every platform and numpy version)?"""
    X_train, y_train, X_test, y_test = du.make_synthetic_cifar(1100, 100, seed=0, dtype=np.uint8)
    digest = hashlib.sha256()
    for array in (X_train, y_train.astype("<i8"), X_test, y_test.astype("<i8")):
        digest.update(np.ascontiguousarray(array).tobytes())
    assert digest.hexdigest() == SYNTHETIC_SEED0_SHA256


SYNTHETIC_SEED0_SHA256 = "54a34271e86bb9eb968e6ea6e0334645b38738648209628553c470fd574255bd"


def test_synthetic_set_generates_quickly():
    """Are 6000 images made in a few seconds at most (about 0.4 s on an idle core; the bound allows busy machines)?"""
    start = time.perf_counter()
    du.make_synthetic_cifar(5000, 1000, seed=0, dtype=np.uint8)
    assert time.perf_counter() - start < 5.0


def softmax_regression_accuracy(X_train, y_train, X_val, y_val, epochs=15, lr=2e-3, reg=1e-2, seed=0):
    """Validation accuracy of softmax regression trained by minibatch SGD on standardized pixels."""
    rng = np.random.default_rng(seed)
    X_train = X_train.reshape(len(X_train), -1).astype(np.float32)
    X_val = X_val.reshape(len(X_val), -1).astype(np.float32)
    mean, scale = X_train.mean(axis=0), X_train.std()
    X_train, X_val = (X_train - mean) / scale, (X_val - mean) / scale
    W = np.zeros((X_train.shape[1], 10), np.float32)
    b = np.zeros(10, np.float32)
    for _ in range(epochs):
        order = rng.permutation(len(X_train))
        for start in range(0, len(order), 200):
            idx = order[start : start + 200]
            scores = X_train[idx] @ W + b
            scores -= scores.max(axis=1, keepdims=True)
            p = np.exp(scores)
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(idx)), y_train[idx]] -= 1
            p /= len(idx)
            W -= lr * (X_train[idx].T @ p + reg * W)
            b -= lr * p.sum(axis=0)
    return float(((X_val @ W + b).argmax(axis=1) == y_val).mean())


def test_synthetic_set_is_learnable_but_not_trivial():
    """Does softmax regression on 2000 images reach well above chance (10%) on 500 others, yet not perfect?"""
    X, y, _, _ = du.make_synthetic_cifar(2500, 0, seed=0)
    accuracy = softmax_regression_accuracy(X[:2000], y[:2000], X[2000:], y[2000:])
    print(f"softmax regression validation accuracy: {accuracy:.3f}")
    assert 0.30 <= accuracy <= 0.90
