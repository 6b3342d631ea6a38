"""CIFAR-10 loading, and a synthetic CIFAR-shaped data set for machines without it.

The loaders read the published ``cifar-10-batches-py`` format (the python
version of CIFAR-10, https://www.cs.toronto.edu/~kriz/cifar.html):

- ``data_batch_1`` ... ``data_batch_5`` and ``test_batch``: each a pickled dict
  (written by Python 2) with ``data``, a uint8 array of shape (N, 3072) whose
  rows hold the red, then the green, then the blue 32x32 plane of one image in
  row-major order, and ``labels``, a list of N ints in 0..9;
- ``batches.meta``: a pickled dict whose ``label_names`` lists the 10 class names.

Where ``get_CIFAR10_data`` looks for the folder, in order:

1. its ``cifar10_dir`` argument;
2. the environment variable ``CIFAR10_DIR``;
3. the default ``$XDG_CACHE_HOME/a2kit/cifar-10-batches-py``
   (``~/.cache/a2kit/cifar-10-batches-py`` when XDG_CACHE_HOME is unset),
   where ``python -m grader data cifar10`` puts it.

A folder named by (1) or (2) must exist and be complete, or FileNotFoundError
says which file is missing. Only when neither is given and the default folder
is absent does it fall back to the synthetic set of ``make_synthetic_cifar``,
with one printed notice. The returned dict tells which one it used: see
``CIFAR10Data``.

This file holds no solution regions: it is copied unchanged into ``student/``
and depends on numpy and the standard library only.
"""
import codecs
import os
import pickle

import numpy as np

CIFAR10_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch", "batches.meta")
"""The files a complete ``cifar-10-batches-py`` folder holds (its readme.html is optional)."""

CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)

SYNTHETIC_MARKER = "a2kit_synthetic_seed"
"""Key that ``batches.meta`` carries when the folder holds the synthetic set."""

CIFAR10_TRAIN_SIZE = 50000
CIFAR10_TEST_SIZE = 10000

_IMAGE_SHAPE = (32, 32, 3)
_ROW_LENGTH = 3 * 32 * 32


class CIFAR10Data(dict):
    """The dict ``get_CIFAR10_data`` returns, plus where its arrays came from.

    The keys and values are exactly those of the cs231n function (X_train,
    y_train, X_val, y_val, X_test, y_test; every value an array), so code that
    iterates ``data.items()`` keeps working. Two attributes say more:

    - ``source``: ``"cifar10"`` for the real data set, ``"synthetic"`` for the
      synthetic one (generated in memory, or a folder written by
      ``python -m grader data synthetic``);
    - ``path``: the folder read, or None when the data was generated in memory.
    """

    def __init__(self, arrays, source, path):
        super().__init__(arrays)
        self.source = source
        self.path = path


# --------------------------------------------------------------------------
# Reading the cifar-10-batches-py format
# --------------------------------------------------------------------------

class _ArrayUnpickler(pickle.Unpickler):
    """An unpickler that builds dicts, lists, strings, numbers and numpy arrays, nothing else.

    The batch files are trusted data (the published archive, checked against its
    MD5 by ``python -m grader data cifar10``, or a folder the user chose); this
    only narrows what a damaged or substituted file could make pickle do.
    """

    _RECONSTRUCT = np.empty(0).__reduce__()[0]  # numpy's array rebuilder, whatever its module path
    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,  # files written by numpy < 2 (the real ones)
        ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,  # files re-pickled by numpy >= 2
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): codecs.encode,  # how Python 3 protocol 2 stores bytes
    }

    def find_class(self, module, name):
        try:
            return self._ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: not part of the CIFAR-10 format") from None


def _load_pickle(filename):
    """Unpickle one file of the data set.

    Loads a trusted data file (the CIFAR-10 archive or a folder the user chose),
    never a student's file. ``encoding="latin1"`` is how Python 3 reads the
    Python 2 strings of the published files, numpy's raw array bytes included.
    """
    with open(filename, "rb") as f:
        return _ArrayUnpickler(f, encoding="latin1").load()


def _field(record, key, filename):
    """``record[key]``, accepting str keys (latin1 loading) and bytes keys (bytes loading)."""
    if isinstance(record, dict):
        for k in (key, key.encode("ascii")):
            if k in record:
                return record[k]
    raise ValueError(f"{filename}: not a CIFAR-10 batch (no {key!r} entry)")


def _load_batch_uint8(filename):
    """One batch file as (uint8 images of shape (N, 32, 32, 3), int64 labels of shape (N,))."""
    record = _load_pickle(filename)
    data = _field(record, "data", filename)
    labels = np.asarray(_field(record, "labels", filename), dtype=np.int64)
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != _ROW_LENGTH:
        found = f"{data.dtype} array of shape {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise ValueError(f"{filename}: 'data' should be a uint8 array of shape (N, {_ROW_LENGTH}), found {found}")
    if labels.shape != (data.shape[0],):
        raise ValueError(f"{filename}: {data.shape[0]} images but {labels.size} labels")
    # Each row is the R plane, then G, then B: (N, 3, 32, 32), then channels last.
    X = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return X, labels


def load_CIFAR_batch(filename):
    """Load a single batch of CIFAR-10.

    Inputs:
    - filename: path of ``data_batch_<i>`` or ``test_batch``

    Returns a tuple of:
    - X: float64 array of shape (N, 32, 32, 3), pixel values 0..255
    - Y: int64 array of shape (N,), labels 0..9
    """
    X, Y = _load_batch_uint8(filename)
    return X.astype("float"), Y


def _load_CIFAR10_uint8(ROOT):
    xs, ys = [], []
    for name in CIFAR10_FILES[:5]:
        X, Y = _load_batch_uint8(os.path.join(ROOT, name))
        xs.append(X)
        ys.append(Y)
    Xte, Yte = _load_batch_uint8(os.path.join(ROOT, "test_batch"))
    return np.concatenate(xs), np.concatenate(ys), Xte, Yte


def load_CIFAR10(ROOT):
    """Load all of CIFAR-10 from a ``cifar-10-batches-py`` folder.

    Returns a tuple of:
    - Xtr: float64 array of shape (50000, 32, 32, 3), the five training batches in order
    - Ytr: int64 array of shape (50000,)
    - Xte: float64 array of shape (10000, 32, 32, 3)
    - Yte: int64 array of shape (10000,)
    (fewer images when the folder holds smaller batches).
    """
    Xtr, Ytr, Xte, Yte = _load_CIFAR10_uint8(ROOT)
    return Xtr.astype("float"), Ytr, Xte.astype("float"), Yte


def load_label_names(ROOT):
    """The class names listed in ``batches.meta``, as a list of 10 str."""
    filename = os.path.join(ROOT, "batches.meta")
    names = _field(_load_pickle(filename), "label_names", filename)
    return [n.decode("latin1") if isinstance(n, bytes) else str(n) for n in names]


def _is_synthetic_folder(ROOT):
    try:
        meta = _load_pickle(os.path.join(ROOT, "batches.meta"))
    except (OSError, pickle.UnpicklingError, EOFError, ValueError):
        return False
    return isinstance(meta, dict) and (SYNTHETIC_MARKER in meta or SYNTHETIC_MARKER.encode() in meta)


def missing_cifar10_files(directory):
    """The names in CIFAR10_FILES that ``directory`` lacks (all of them when it does not exist)."""
    return [name for name in CIFAR10_FILES if not os.path.isfile(os.path.join(directory, name))]


def default_cifar10_dir():
    """Where ``python -m grader data cifar10`` puts CIFAR-10 and ``get_CIFAR10_data`` looks last.

    ``$XDG_CACHE_HOME/a2kit/cifar-10-batches-py``, or ``~/.cache/a2kit/cifar-10-batches-py``
    when XDG_CACHE_HOME is unset or not an absolute path (as the XDG spec says).
    """
    cache = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(cache):
        cache = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "a2kit", "cifar-10-batches-py")


def _explicit_cifar10_dir(cifar10_dir):
    """(folder, what named it) for an explicitly chosen folder, or (None, None)."""
    if cifar10_dir is not None:
        return os.fspath(cifar10_dir), "the cifar10_dir argument"
    env = os.environ.get("CIFAR10_DIR")
    if env:
        return env, "the CIFAR10_DIR environment variable"
    return None, None


def _missing_folder_message(folder, named_by, missing):
    what = "does not exist" if not os.path.isdir(folder) else f"has no {missing[0]}"
    get_it = "python -m grader data cifar10"
    if os.path.abspath(folder) != os.path.abspath(default_cifar10_dir()):
        get_it += f" --dest {folder}"
    return f"CIFAR-10 folder {folder} (from {named_by}) {what}; download it with `{get_it}`"


# --------------------------------------------------------------------------
# The cs231n entry point
# --------------------------------------------------------------------------

def get_CIFAR10_data(num_training=49000, num_validation=1000, num_test=1000, subtract_mean=True, cifar10_dir=None):
    """Load CIFAR-10 and prepare it for the classifiers, as in the cs231n notebooks.

    The validation images are the ``num_validation`` training images after the
    first ``num_training``; the test images are the first ``num_test`` of the
    test batch. With ``subtract_mean`` the mean training image is subtracted
    from all three splits. Images are transposed to channels first.

    Inputs:
    - num_training, num_validation, num_test: split sizes
    - subtract_mean: subtract the mean training image
    - cifar10_dir: the ``cifar-10-batches-py`` folder; None to use CIFAR10_DIR
      or the default folder (see the module docstring)

    Returns a CIFAR10Data (a dict) with keys:
    - X_train: float32 array of shape (num_training, 3, 32, 32); y_train: int64 (num_training,)
    - X_val: float32 (num_validation, 3, 32, 32); y_val: int64 (num_validation,)
    - X_test: float32 (num_test, 3, 32, 32); y_test: int64 (num_test,)
    and the attributes ``source`` ("cifar10" or "synthetic") and ``path``.

    Raises FileNotFoundError when a folder named by ``cifar10_dir`` or CIFAR10_DIR
    does not exist or lacks a file. When none was named and the default folder is
    absent, the synthetic set is used instead: ``num_training + num_validation``
    training images (at most 50000, the size of CIFAR-10's training set) and
    ``num_test`` test images (at most 10000) from ``make_synthetic_cifar`` with
    seed 0 (about 5 s for the default sizes), and one line says so.
    """
    folder, named_by = _explicit_cifar10_dir(cifar10_dir)
    if folder is not None:
        missing = missing_cifar10_files(folder)
        if missing:
            raise FileNotFoundError(_missing_folder_message(folder, named_by, missing))
    else:
        folder = default_cifar10_dir()
        if missing_cifar10_files(folder):
            print(
                f"NOTE: CIFAR-10 not found at {folder}; using the synthetic CIFAR-shaped data set "
                "(run `python -m grader data cifar10` to download the real one)."
            )
            folder = None

    if folder is not None:
        X_train, y_train, X_test, y_test = _load_CIFAR10_uint8(folder)
        source = "synthetic" if _is_synthetic_folder(folder) else "cifar10"
    else:
        X_train, y_train, X_test, y_test = _synthetic_uint8(
            min(num_training + num_validation, CIFAR10_TRAIN_SIZE), min(num_test, CIFAR10_TEST_SIZE), seed=0
        )
        source = "synthetic"

    X_val = X_train[num_training:num_training + num_validation]
    y_val = y_train[num_training:num_training + num_validation]
    X_train = X_train[:num_training]
    y_train = y_train[:num_training]
    X_test = X_test[:num_test]
    y_test = y_test[:num_test]

    mean_image = np.mean(X_train, axis=0, dtype=np.float64).astype(np.float32) if subtract_mean else None

    def prepare(X):
        X = X.astype(np.float32)
        if mean_image is not None:
            X -= mean_image
        return X.transpose(0, 3, 1, 2).copy()

    arrays = {
        "X_train": prepare(X_train), "y_train": y_train.copy(),
        "X_val": prepare(X_val), "y_val": y_val.copy(),
        "X_test": prepare(X_test), "y_test": y_test.copy(),
    }
    return CIFAR10Data(arrays, source=source, path=folder)


# --------------------------------------------------------------------------
# The synthetic CIFAR-shaped data set
# --------------------------------------------------------------------------
#
# Each class owns _MODES colour templates: smooth, periodic 32x32 patterns made
# by bilinear upsampling of a random 4x4 grid of RGB values. An image blends
#   - a template of its class, translated (cyclically) by up to _MAX_SHIFT pixels,
#     with weight _BLEND[0].._BLEND[1] sixteenths;
#   - a template of another class, translated too, with weight 0.._OTHER_BLEND;
#   - a smooth random background of its own with the remaining weight;
# then gets a random contrast and brightness and per-pixel noise. Translation
# and background keep a linear classifier well below perfect, and the second
# template sometimes outweighs the first, which caps what any classifier can
# reach (near 85%) however much data it sees.
#
# Every step after drawing random integers is integer arithmetic (or float64
# products of small integers, which are exact), so a seed gives the same bytes
# on every platform. The images are made in chunks of _CHUNK, each from its own
# seeded generator, so the first n images do not depend on how many are asked
# for. Changing any constant below changes the data set: the tests pin a hash.

_CHUNK = 1000
_MODES = 4            # templates per class
_GRID = 4             # template and background grids are _GRID x _GRID, upsampled to 32 x 32
_MAX_SHIFT = 4        # translation in pixels, each direction
_BLEND = (4, 9)       # weight of the class's template, in sixteenths
_OTHER_BLEND = 7      # largest weight of the other class's template (_BLEND[1] + _OTHER_BLEND <= 16)
_CONTRAST = (10, 22)  # in sixteenths
_BRIGHTNESS = 30      # added offset, in grey levels, +-
_NOISE = 24           # uniform per-pixel noise, in grey levels, +-
_STREAM_TEMPLATES, _STREAM_TRAIN, _STREAM_TEST = 0, 1, 2
_FIXED = 64           # fixed-point scale of the intermediate images: (32 / _GRID) ** 2


def _upsampling_matrix():
    """(32, _GRID) integer weights of periodic bilinear interpolation; rows sum to 32 // _GRID."""
    step = 32 // _GRID
    U = np.zeros((32, _GRID))
    for i in range(32):
        cell, offset = divmod(i, step)
        U[i, cell] += step - offset
        U[i, (cell + 1) % _GRID] += offset
    return U


def _upsample(grid):
    """(n, _GRID, _GRID, 3) integer grid -> (n, 32, 32, 3) int32 image scaled by _FIXED.

    Two float64 matrix products on small integers: exact, hence platform-independent.
    """
    n = grid.shape[0]
    U = _upsampling_matrix()
    g = np.ascontiguousarray(grid.transpose(1, 0, 2, 3), dtype=np.float64).reshape(_GRID, -1)
    rows = (U @ g).reshape(32, n, _GRID, 3).transpose(0, 1, 3, 2).reshape(-1, _GRID)
    full = (rows @ U.T).reshape(32, n, 3, 32).transpose(1, 0, 3, 2)
    return full.astype(np.int32)


def _templates(seed):
    """(10, _MODES, 64, 64, 3) int32: each template tiled 2x2, so that a shift is a slice."""
    rng = np.random.default_rng([seed, _STREAM_TEMPLATES])
    grid = rng.integers(0, 256, size=(10 * _MODES, _GRID, _GRID, 3))
    T = _upsample(grid).reshape(10, _MODES, 32, 32, 3)
    return np.tile(T, (1, 1, 2, 2, 1))


def _shifted(templates, label, mode, shift):
    """(n, 32, 32, 3) int32: template ``mode`` of class ``label``, shifted cyclically by ``shift`` (n, 2)."""
    windows = np.lib.stride_tricks.sliding_window_view(templates, (32, 32), axis=(2, 3))  # (10, M, 33, 33, 3, 32, 32)
    start = shift % 32
    return np.ascontiguousarray(windows[label, mode, start[:, 0], start[:, 1]].transpose(0, 2, 3, 1))


def _synthetic_chunk(templates, seed, stream, index, count=_CHUNK):
    """The first ``count`` images of chunk ``index`` of a stream: uint8 (count, 32, 32, 3) and int64 labels.

    The random numbers are always drawn for a whole chunk, so an image does not
    depend on ``count``; only the first ``count`` images are computed.
    """
    rng = np.random.default_rng([seed, stream, index])
    # Every run of 10 consecutive labels is a permutation of 0..9: any prefix is balanced.
    y = rng.permuted(np.tile(np.arange(10, dtype=np.int64), (_CHUNK // 10, 1)), axis=1).ravel()
    mode = rng.integers(0, _MODES, size=_CHUNK)
    shift = rng.integers(0, 2 * _MAX_SHIFT + 1, size=(_CHUNK, 2)) - _MAX_SHIFT
    grid = rng.integers(0, 256, size=(_CHUNK, _GRID, _GRID, 3))
    blend = rng.integers(_BLEND[0], _BLEND[1] + 1, size=(_CHUNK, 1, 1, 1), dtype=np.int32)
    other = (y + rng.integers(1, 10, size=_CHUNK)) % 10
    other_mode = rng.integers(0, _MODES, size=_CHUNK)
    other_shift = rng.integers(0, 2 * _MAX_SHIFT + 1, size=(_CHUNK, 2)) - _MAX_SHIFT
    other_blend = rng.integers(0, _OTHER_BLEND + 1, size=(_CHUNK, 1, 1, 1), dtype=np.int32)
    contrast = rng.integers(_CONTRAST[0], _CONTRAST[1] + 1, size=(_CHUNK, 1, 1, 1), dtype=np.int32)
    brightness = rng.integers(-_BRIGHTNESS, _BRIGHTNESS + 1, size=(_CHUNK, 1, 1, 1), dtype=np.int32)
    noise = rng.integers(-_NOISE, _NOISE + 1, size=(_CHUNK, 32, 32, 3), dtype=np.int32)

    img = _shifted(templates, y[:count], mode[:count], shift[:count])
    distractor = _shifted(templates, other[:count], other_mode[:count], other_shift[:count])
    background = _upsample(grid[:count])
    blend, other_blend = blend[:count], other_blend[:count]
    contrast, brightness = contrast[:count], brightness[:count]
    # All integer arithmetic, values scaled by _FIXED until the last shift.
    # Right shifts are floor divisions by 16 and by _FIXED = 64.
    img *= blend
    distractor *= other_blend
    background *= 16 - blend - other_blend
    img += distractor
    img += background
    img >>= 4
    img -= 128 * _FIXED
    img *= contrast
    img >>= 4
    img += (128 + brightness) * _FIXED
    img >>= 6
    img += noise[:count]
    np.clip(img, 0, 255, out=img)
    return img.astype(np.uint8), y[:count]


def _synthetic_stream(templates, seed, stream, n):
    X = np.empty((n, 32, 32, 3), dtype=np.uint8)
    y = np.empty(n, dtype=np.int64)
    for index, start in enumerate(range(0, n, _CHUNK)):
        stop = min(start + _CHUNK, n)
        X[start:stop], y[start:stop] = _synthetic_chunk(templates, seed, stream, index, stop - start)
    return X, y


def _synthetic_uint8(num_train, num_test, seed):
    templates = _templates(seed)
    X_train, y_train = _synthetic_stream(templates, seed, _STREAM_TRAIN, num_train)
    X_test, y_test = _synthetic_stream(templates, seed, _STREAM_TEST, num_test)
    return X_train, y_train, X_test, y_test


def make_synthetic_cifar(num_train=5000, num_test=1000, seed=0, dtype="float"):
    """A deterministic synthetic data set shaped like CIFAR-10, for machines without it.

    Ten classes of 32x32 colour images (see the comment above ``_CHUNK`` for
    how they are made), learnable well above chance (10%) but not perfectly.
    Validation accuracies measured for seed 0: softmax regression 46% from
    2000 training images, 56% from 49000; a two-layer net with 300 hidden
    units 53% from 2000, 66% from 10000, 72% from 49000 (5 epochs); a small
    convnet 60% from 10000 (3 epochs). About 0.1 ms per image to generate.

    The same seed gives identical arrays on every machine; the first n images
    of a stream do not depend on how many are asked for, and the training and
    test streams are independent. Labels are balanced: each class occurs
    ``n // 10`` or ``n // 10 + 1`` times.

    Inputs:
    - num_train, num_test: number of training and test images
    - seed: int seed
    - dtype: dtype of the images; the default float64 matches load_CIFAR10,
      np.uint8 saves memory

    Returns a tuple of (the layout of load_CIFAR10):
    - X_train: array of shape (num_train, 32, 32, 3), integer values 0..255
    - y_train: int64 array of shape (num_train,), labels 0..9
    - X_test: array of shape (num_test, 32, 32, 3)
    - y_test: int64 array of shape (num_test,)
    """
    X_train, y_train, X_test, y_test = _synthetic_uint8(int(num_train), int(num_test), int(seed))
    return X_train.astype(dtype, copy=False), y_train, X_test.astype(dtype, copy=False), y_test


# --------------------------------------------------------------------------
# Writing the cifar-10-batches-py format
# --------------------------------------------------------------------------

class _Py2Pickle:
    """Writes pickles the way Python 2 wrote the published CIFAR-10 files.

    Strings become Python 2 ``str`` (so Python 3 reads them back as str with
    encoding="latin1" and as bytes with encoding="bytes", as with the real
    files) and arrays are rebuilt by ``numpy.core.multiarray._reconstruct``,
    which every numpy version can load. Supports exactly what the batch files
    hold: dicts, lists, str, int, bool, None and 2-D uint8 arrays.
    """

    def __init__(self):
        self.out = bytearray(b"\x80\x02")  # PROTO 2

    def dump(self, obj):
        self._write(obj)
        self.out += b"."  # STOP
        return bytes(self.out)

    def _str(self, s):
        data = s.encode("latin1") if isinstance(s, str) else bytes(s)
        if len(data) < 256:
            self.out += b"U" + bytes([len(data)]) + data  # SHORT_BINSTRING
        else:
            self.out += b"T" + len(data).to_bytes(4, "little") + data  # BINSTRING

    def _int(self, v):
        v = int(v)
        if 0 <= v < 256:
            self.out += b"K" + bytes([v])  # BININT1
        elif 0 <= v < 65536:
            self.out += b"M" + v.to_bytes(2, "little")  # BININT2
        elif -(2 ** 31) <= v < 2 ** 31:
            self.out += b"J" + v.to_bytes(4, "little", signed=True)  # BININT
        else:
            raise ValueError(f"integer {v} out of range")

    def _write(self, obj):
        if obj is None:
            self.out += b"N"
        elif isinstance(obj, bool):
            self.out += b"\x88" if obj else b"\x89"  # NEWTRUE / NEWFALSE
        elif isinstance(obj, (int, np.integer)):
            self._int(obj)
        elif isinstance(obj, (str, bytes)):
            self._str(obj)
        elif isinstance(obj, dict):
            self.out += b"}("  # EMPTY_DICT, MARK
            for key, value in obj.items():
                self._write(key)
                self._write(value)
            self.out += b"u"  # SETITEMS
        elif isinstance(obj, (list, tuple)):
            self.out += b"]("  # EMPTY_LIST, MARK
            for item in obj:
                self._write(item)
            self.out += b"e"  # APPENDS
        elif isinstance(obj, np.ndarray):
            self._array(obj)
        else:
            raise TypeError(f"cannot write {type(obj).__name__} in a CIFAR-10 batch")

    def _array(self, a):
        if a.dtype != np.uint8 or a.ndim != 2:
            raise TypeError("only 2-D uint8 arrays are written")
        # _reconstruct(ndarray, (0,), 'b')
        self.out += b"cnumpy.core.multiarray\n_reconstruct\n" + b"cnumpy\nndarray\n"
        self.out += b"K\x00\x85"  # (0,)
        self._str("b")
        self.out += b"\x87R"  # TUPLE3, REDUCE
        # state: (1, shape, dtype('u1'), False, raw bytes)
        self.out += b"(K\x01"
        self._int(a.shape[0])
        self._int(a.shape[1])
        self.out += b"\x86"  # TUPLE2
        self.out += b"cnumpy\ndtype\n"
        self._str("u1")
        self.out += b"K\x00K\x01\x87R"  # dtype('u1', 0, 1)
        self.out += b"(K\x03"
        self._str("|")
        self.out += b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"  # (3, '|', None, None, None, -1, -1, 0) BUILD
        self.out += b"\x89"  # not Fortran order
        self._str(np.ascontiguousarray(a).tobytes())
        self.out += b"tb"  # TUPLE, BUILD


def _as_image_rows(X, name):
    X = np.asarray(X)
    if X.ndim != 4 or X.shape[1:] != _IMAGE_SHAPE:
        raise ValueError(f"{name} should have shape (N, 32, 32, 3), not {X.shape}")
    if X.size and (X.min() < 0 or X.max() > 255 or not np.array_equal(X, np.round(X))):
        raise ValueError(f"{name} should hold integer pixel values 0..255")
    return X.astype(np.uint8).transpose(0, 3, 1, 2).reshape(len(X), _ROW_LENGTH)


def write_cifar10_batches(directory, X_train, y_train, X_test, y_test, label_names=CIFAR10_CLASSES,
                          num_batches=5, meta_extra=None):
    """Write a data set in the ``cifar-10-batches-py`` format of CIFAR-10.

    The training images are split in order into ``num_batches`` files
    ``data_batch_1`` ...; the test images go to ``test_batch``; ``batches.meta``
    lists ``label_names``. The files are pickled as Python 2 wrote the published
    ones, so ``load_CIFAR10(directory)`` returns the arrays given here.

    Inputs:
    - directory: folder to write into (created if needed; files there are overwritten)
    - X_train: array of shape (N, 32, 32, 3), integer values 0..255 (load_CIFAR10's layout)
    - y_train: int array of shape (N,)
    - X_test, y_test: the same for the test images
    - label_names: the class names
    - num_batches: the number of training batch files
    - meta_extra: extra entries for ``batches.meta`` (str keys)

    Returns the list of paths written.
    """
    train_rows = _as_image_rows(X_train, "X_train")
    test_rows = _as_image_rows(X_test, "X_test")
    labels_train = np.asarray(y_train)
    labels_test = np.asarray(y_test)
    for name, rows, labels in (("y_train", train_rows, labels_train), ("y_test", test_rows, labels_test)):
        if labels.shape != (len(rows),):
            raise ValueError(f"{name} should have shape ({len(rows)},), not {labels.shape}")
        if labels.size and (labels.min() < 0 or labels.max() >= len(label_names)):
            raise ValueError(f"{name} should hold labels 0..{len(label_names) - 1}")

    os.makedirs(directory, exist_ok=True)
    records = []
    bounds = np.linspace(0, len(train_rows), num_batches + 1).astype(int)
    for b in range(num_batches):
        lo, hi = bounds[b], bounds[b + 1]
        records.append((f"data_batch_{b + 1}", f"training batch {b + 1} of {num_batches}",
                        train_rows[lo:hi], labels_train[lo:hi], lo))
    records.append(("test_batch", "testing batch 1 of 1", test_rows, labels_test, 0))

    written = []
    for filename, batch_label, rows, labels, first in records:
        record = {
            "batch_label": batch_label,
            "labels": [int(v) for v in labels],
            "data": rows,
            "filenames": [f"image_{first + i:05d}.png" for i in range(len(rows))],
        }
        written.append(_write_file(directory, filename, record))
    meta = {"num_cases_per_batch": int(bounds[1] - bounds[0]), "label_names": list(label_names),
            "num_vis": _ROW_LENGTH}
    meta.update(meta_extra or {})
    written.append(_write_file(directory, "batches.meta", meta))
    return written


def _write_file(directory, filename, record):
    path = os.path.join(directory, filename)
    with open(path, "wb") as f:
        f.write(_Py2Pickle().dump(record))
    return path
