"""Landmark dataset format shared by extraction, labeling export, training and retraining.

NPZ (or Parquet) with X float32 (n, 1536), y int64 (-1 = unlabeled), groups str (subject id),
t float64 (ms since session start), source str; optional same-length extras: stress float32
in [0, 1] (NaN = unlabeled), session str, phase str.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ml.features import EMOTIONS, FEATURE_DIM

REQUIRED = ("X", "y", "groups", "t", "source")
KNOWN_EXTRAS = {"stress": np.float32, "session": str, "phase": str}


class DatasetFormatError(ValueError):
    pass


@dataclass
class LandmarkDataset:
    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    t: np.ndarray
    source: np.ndarray
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.X = np.asarray(self.X)
        self.y = np.asarray(self.y)
        self.groups = np.asarray(self.groups).astype(str)
        self.t = np.asarray(self.t)
        self.source = np.asarray(self.source).astype(str)
        dataset_validate(self)

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, idx: np.ndarray) -> LandmarkDataset:
        return LandmarkDataset(
            self.X[idx],
            self.y[idx],
            self.groups[idx],
            self.t[idx],
            self.source[idx],
            {k: v[idx] for k, v in self.extras.items()},
        )


def dataset_validate(ds: LandmarkDataset) -> None:
    if ds.X.ndim != 2 or ds.X.shape[1] != FEATURE_DIM:
        raise DatasetFormatError(f"X must have shape (n, {FEATURE_DIM}), got {ds.X.shape}")
    if ds.X.dtype != np.float32:
        raise DatasetFormatError(f"X must be float32, got {ds.X.dtype}")
    n = ds.X.shape[0]
    if not np.issubdtype(ds.y.dtype, np.integer):
        raise DatasetFormatError(f"y must be an integer array, got {ds.y.dtype}")
    ds.y = ds.y.astype(np.int64)
    if ds.t.dtype.kind not in "fiu":
        raise DatasetFormatError(f"t must be numeric (ms), got {ds.t.dtype}")
    ds.t = ds.t.astype(np.float64)
    for name in ("y", "groups", "t", "source"):
        arr = getattr(ds, name)
        if arr.shape != (n,):
            raise DatasetFormatError(f"{name} must have shape ({n},), got {arr.shape}")
    if n and (ds.y.min() < -1 or ds.y.max() >= len(EMOTIONS)):
        raise DatasetFormatError(f"y values must be -1 (unlabeled) or 0..{len(EMOTIONS) - 1}")
    for name, arr in list(ds.extras.items()):
        arr = np.asarray(arr)
        if arr.shape != (n,):
            raise DatasetFormatError(f"extra '{name}' must have shape ({n},), got {arr.shape}")
        if KNOWN_EXTRAS.get(name) is np.float32:
            if arr.dtype.kind != "f":
                raise DatasetFormatError(f"extra '{name}' must be float, got {arr.dtype}")
            arr = arr.astype(np.float32)
            finite = arr[~np.isnan(arr)]
            if finite.size and (finite.min() < 0 or finite.max() > 1):
                raise DatasetFormatError(f"extra '{name}' must lie in [0, 1] (NaN = unlabeled)")
        elif KNOWN_EXTRAS.get(name) is str:
            arr = arr.astype(str)
        ds.extras[name] = arr


def save_npz(ds: LandmarkDataset, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {"X": ds.X, "y": ds.y, "groups": ds.groups, "t": ds.t, "source": ds.source}
    clash = set(arrays) & set(ds.extras)
    if clash:
        raise DatasetFormatError(f"extras clash with required columns: {sorted(clash)}")
    np.savez_compressed(path, **arrays, **ds.extras)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def load_npz(path: str | Path) -> LandmarkDataset:
    path = Path(path)
    if not path.exists():
        raise DatasetFormatError(f"dataset file not found: {path}")
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise DatasetFormatError(f"{path} is not a readable NPZ file: {exc}") from exc
    with data:
        missing = [k for k in REQUIRED if k not in data.files]
        if missing:
            raise DatasetFormatError(
                f"{path} lacks required arrays {missing} (needs {list(REQUIRED)})"
            )
        extras = {k: data[k] for k in data.files if k not in REQUIRED}
        return LandmarkDataset(
            data["X"], data["y"], data["groups"], data["t"], data["source"], extras
        )


def save_parquet(ds: LandmarkDataset, path: str | Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    x_col = pa.FixedSizeListArray.from_arrays(pa.array(ds.X.reshape(-1), pa.float32()), FEATURE_DIM)
    columns = {
        "X": x_col,
        "y": pa.array(ds.y),
        "groups": pa.array(ds.groups.tolist()),
        "t": pa.array(ds.t),
        "source": pa.array(ds.source.tolist()),
    }
    for name, arr in ds.extras.items():
        columns[name] = pa.array(arr.tolist() if arr.dtype.kind == "U" else arr)
    pq.write_table(pa.table(columns), path)
    return path


def load_parquet(path: str | Path) -> LandmarkDataset:
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.exists():
        raise DatasetFormatError(f"dataset file not found: {path}")
    table = pq.read_table(path)
    missing = [k for k in REQUIRED if k not in table.column_names]
    if missing:
        raise DatasetFormatError(f"{path} lacks required columns {missing}")
    x_col = table.column("X").combine_chunks()
    flat = np.asarray(x_col.flatten(), dtype=np.float32)
    if len(x_col) and flat.size != len(x_col) * FEATURE_DIM:
        raise DatasetFormatError(f"column X must be list<float32>[{FEATURE_DIM}]")
    X = flat.reshape(len(x_col), FEATURE_DIM)
    col = {
        name: table.column(name).to_numpy(zero_copy_only=False)
        for name in table.column_names
        if name != "X"
    }
    extras = {k: v for k, v in col.items() if k not in REQUIRED}
    return LandmarkDataset(X, col["y"], col["groups"], col["t"], col["source"], extras)


def load_dataset(path: str | Path) -> LandmarkDataset:
    path = Path(path)
    return load_parquet(path) if path.suffix == ".parquet" else load_npz(path)
