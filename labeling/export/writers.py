"""Writers that take frame batches one at a time and never hold the whole export.

Each writes straight into its entry of the bundle's zip through a HashingSink, so the
data is written once: no temporary copy to zip afterwards and no second pass to hash.
"""
from __future__ import annotations

import hashlib
import queue
import tempfile
import threading
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from labeling.export.columns import META_COLUMNS, NPZ_OMITS, feature_column_names
from labeling.export.frames import FrameBatch
from ml.features import FEATURE_DIM

ARROW_TYPES = {
    "string": pa.string(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "float32": pa.float32(),
    "uint8": pa.uint8(),
}


class HashingSink:
    """A write-only stream that hashes, counts and forwards what passes through it.

    Hashing (sha256), the zip entry's CRC and the disk write run on a helper thread
    (all three release the GIL), so they overlap with Parquet/CSV encoding on the
    caller's thread; a bounded queue keeps memory to a few pages.
    """

    def __init__(self, inner, *, depth: int = 16) -> None:
        self.inner = inner
        self.digest = hashlib.sha256()
        self.size = 0
        self.closed = False
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="export-sink", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._error is not None:
                continue
            try:
                self.digest.update(data)
                self.inner.write(data)
            except BaseException as exc:  # surfaced on the caller's next write or finish
                self._error = exc

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

    def write(self, data) -> int:
        self._check()
        chunk = bytes(data)  # the caller may reuse its buffer once write returns
        self._queue.put(chunk)
        self.size += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        self._check()

    def close(self) -> None:
        self.closed = True  # the zip entry itself is closed by its owner, after finish()

    def abandon(self) -> None:
        """Stop the helper thread after a failure elsewhere (the entry is discarded)."""
        self._queue.put(None)
        self._thread.join()

    def finish(self) -> dict:
        """Wait for every byte to reach the entry; the sha256 and size of the data."""
        self._queue.put(None)
        self._thread.join()
        self._check()
        return {"sha256": self.digest.hexdigest(), "bytes": self.size}


def _meta_arrays(columns: dict[str, np.ndarray]) -> list[pa.Array]:
    return [pa.array(columns[c.name], type=ARROW_TYPES[c.type]) for c in META_COLUMNS]


def features_array(X: np.ndarray) -> pa.FixedSizeListArray:
    flat = pa.array(np.ascontiguousarray(X, dtype=np.float32).reshape(-1), pa.float32())
    return pa.FixedSizeListArray.from_arrays(flat, FEATURE_DIM)


class ParquetExportWriter:
    """Meta columns plus X as fixed_size_list<float32>[1536] (ml.dataset reads it)."""

    filename = "frames.parquet"

    def __init__(self, sink: HashingSink, scratch: Path) -> None:
        self.sink = pa.PythonFile(sink, mode="w")
        fields = [pa.field(c.name, ARROW_TYPES[c.type]) for c in META_COLUMNS]
        fields.append(pa.field("X", pa.list_(pa.float32(), FEATURE_DIM)))
        self.schema = pa.schema(fields)
        self.writer = pq.ParquetWriter(self.sink, self.schema, compression="snappy")

    def write(self, parts: list[FrameBatch]) -> None:
        # One row group per group of parts. X stays chunked, one array per stored chunk,
        # so the encoder reads the landmark bytes where they lie (no concatenated copy);
        # the small per-frame columns are concatenated.
        meta = FrameBatch.concat_columns(parts)
        X = pa.chunked_array([features_array(p.X) for p in parts],
                             type=self.schema.field("X").type)
        columns = [pa.chunked_array([a]) for a in _meta_arrays(meta)] + [X]
        self.writer.write_table(pa.Table.from_arrays(columns, schema=self.schema),
                                row_group_size=X.length())

    def close(self) -> None:
        self.writer.close()
        self.sink.close()


class CsvExportWriter:
    """Long CSV, one row per frame, landmarks spread over 1536 named columns."""

    filename = "frames.csv"

    def __init__(self, sink: HashingSink, scratch: Path) -> None:
        self.sink = pa.PythonFile(sink, mode="w")
        names = [c.name for c in META_COLUMNS] + feature_column_names()
        types = [ARROW_TYPES[c.type] for c in META_COLUMNS] + [pa.float32()] * FEATURE_DIM
        self.schema = pa.schema([pa.field(n, t) for n, t in zip(names, types, strict=True)])
        self.writer = pa_csv.CSVWriter(self.sink, self.schema)

    def write(self, parts: list[FrameBatch]) -> None:
        batch = FrameBatch.concat(parts)
        X = np.asfortranarray(batch.X)  # column slices without copies
        arrays = _meta_arrays(batch.columns) + [pa.array(X[:, j]) for j in range(FEATURE_DIM)]
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))

    def close(self) -> None:
        self.writer.close()
        self.sink.close()


class NpzExportWriter:
    """The ML dataset format (ml/dataset.py). X's shape must lead its .npy file, so X
    streams to a scratch file first and is copied into the archive at the end; memory
    holds only the small per-frame columns."""

    filename = "dataset.npz"

    def __init__(self, sink: HashingSink, scratch: Path) -> None:
        self.sink = sink
        self.scratch = tempfile.NamedTemporaryFile(dir=scratch, suffix=".X.raw", delete=False)
        self.rows = 0
        self.columns: dict[str, list[np.ndarray]] = {
            c.name: [] for c in META_COLUMNS if c.name not in NPZ_OMITS
        }

    def write(self, parts: list[FrameBatch]) -> None:
        for batch in parts:
            self.scratch.write(np.ascontiguousarray(batch.X, dtype="<f4").data)
            self.rows += len(batch)
            for name, pieces in self.columns.items():
                pieces.append(batch.columns[name])

    def _column(self, name: str) -> np.ndarray:
        parts = self.columns[name]
        if not parts:
            kind = {"y": np.int64, "seq": np.int64, "t": np.float64, "stress": np.float32,
                    "face_ok": np.uint8, "pose_ok": np.uint8}.get(name, "U1")
            return np.empty(0, dtype=kind)
        arr = np.concatenate(parts)
        return arr.astype(str) if arr.dtype == object else arr

    def close(self) -> None:
        self.scratch.close()
        scratch = Path(self.scratch.name)
        # X.npy is stored, the small columns deflated (np.load reads both): deflate gains
        # a few percent on landmark floats, whose low mantissa bits are noise, at about
        # 40 MB/s, which would make it most of an export's time.
        landmarks = zipfile.ZipInfo("X.npy")
        landmarks.compress_type = zipfile.ZIP_STORED
        with zipfile.ZipFile(self.sink, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            with archive.open(landmarks, "w", force_zip64=True) as out:
                header = {"descr": "<f4", "fortran_order": False,
                          "shape": (self.rows, FEATURE_DIM)}
                np.lib.format.write_array_header_2_0(out, header)
                with scratch.open("rb") as raw:
                    while block := raw.read(1 << 20):
                        out.write(block)
            for name in self.columns:
                with archive.open(f"{name}.npy", "w", force_zip64=True) as out:
                    np.lib.format.write_array(out, self._column(name), allow_pickle=False)
        scratch.unlink()


WRITERS = {"csv": CsvExportWriter, "parquet": ParquetExportWriter, "npz": NpzExportWriter}
