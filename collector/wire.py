"""Binary landmark batch codec (docs/protocol.md): parsed with NumPy, no loop per frame.

Header 16 B: magic b"SLB1" | uint32 first_seq | uint16 count | uint16 frame_bytes | uint32 flags.
Frame 6160 B: float64 t_ms | uint8 face_ok | uint8 pose_ok | 6 B zero | float32[1404] face
| float32[132] pose. Everything little-endian.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml.features import FACE_DIM, FEATURE_DIM, POSE_DIM

MAGIC = b"SLB1"
MAX_FRAMES_PER_BATCH = 64
HEADER_DTYPE = np.dtype(
    [("magic", "S4"), ("first_seq", "<u4"), ("count", "<u2"), ("frame_bytes", "<u2"),
     ("flags", "<u4")]
)
FRAME_DTYPE = np.dtype(
    [("t_ms", "<f8"), ("face_ok", "u1"), ("pose_ok", "u1"), ("pad", "V6"),
     ("face", "<f4", (FACE_DIM,)), ("pose", "<f4", (POSE_DIM,))]
)
HEADER_BYTES = HEADER_DTYPE.itemsize
FRAME_BYTES = FRAME_DTYPE.itemsize
MAX_BATCH_BYTES = HEADER_BYTES + MAX_FRAMES_PER_BATCH * FRAME_BYTES
assert HEADER_BYTES == 16 and FRAME_BYTES == 6160


class WireError(Exception):
    """A malformed message; `code` names the rule it broke (sent to the client)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class FrameBatch:
    first_seq: int
    t_ms: np.ndarray  # (n,) float64
    presence: np.ndarray  # (n, 2) uint8: face_ok, pose_ok
    features: np.ndarray  # (n, 1536) float32

    @property
    def count(self) -> int:
        return int(self.t_ms.shape[0])


def batch_decode(data: bytes) -> FrameBatch:
    """Parse and validate one binary batch; raise WireError on any broken rule."""
    if len(data) < HEADER_BYTES:
        raise WireError("short_header", f"batch of {len(data)} B is shorter than its 16 B header")
    header = np.frombuffer(data, dtype=HEADER_DTYPE, count=1)[0]
    if bytes(header["magic"]) != MAGIC:
        raise WireError("bad_magic", "batch does not start with b'SLB1'")
    count = int(header["count"])
    if not 1 <= count <= MAX_FRAMES_PER_BATCH:
        raise WireError("bad_count", f"count {count} is outside 1..{MAX_FRAMES_PER_BATCH}")
    if int(header["frame_bytes"]) != FRAME_BYTES:
        raise WireError("bad_frame_bytes", f"frame_bytes {header['frame_bytes']} != {FRAME_BYTES}")
    if int(header["flags"]) != 0:
        raise WireError("bad_flags", "flags must be 0")
    expected = HEADER_BYTES + count * FRAME_BYTES
    if len(data) != expected:
        raise WireError("bad_length", f"batch is {len(data)} B, header says {expected} B")
    frames = np.frombuffer(data, dtype=FRAME_DTYPE, count=count, offset=HEADER_BYTES)
    t_ms = frames["t_ms"].astype(np.float64)
    features = np.empty((count, FEATURE_DIM), dtype=np.float32)
    features[:, :FACE_DIM] = frames["face"]
    features[:, FACE_DIM:] = frames["pose"]
    presence = np.stack([frames["face_ok"], frames["pose_ok"]], axis=1)
    if not (np.isfinite(t_ms).all() and np.isfinite(features).all()):
        raise WireError("not_finite", "NaN or infinite value in the batch")
    if (presence > 1).any():
        raise WireError("bad_presence", "face_ok/pose_ok must be 0 or 1")
    if count > 1 and not (np.diff(t_ms) > 0).all():
        raise WireError("non_monotonic_time", "t_ms must increase strictly within a batch")
    return FrameBatch(first_seq=int(header["first_seq"]), t_ms=t_ms, presence=presence,
                      features=features)


def batch_encode(*, first_seq: int, t_ms: np.ndarray, presence: np.ndarray,
                 features: np.ndarray) -> bytes:
    """The inverse of batch_decode (used by tests, the benchmark and tools)."""
    count = int(t_ms.shape[0])
    header = np.zeros(1, dtype=HEADER_DTYPE)
    header[0] = (MAGIC, first_seq, count, FRAME_BYTES, 0)
    frames = np.zeros(count, dtype=FRAME_DTYPE)
    frames["t_ms"] = t_ms
    frames["face_ok"] = presence[:, 0]
    frames["pose_ok"] = presence[:, 1]
    frames["face"] = features[:, :FACE_DIM]
    frames["pose"] = features[:, FACE_DIM:]
    return header.tobytes() + frames.tobytes()
