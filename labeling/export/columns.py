"""Every exported column, described once: the writers, the data dictionary and the
docs all read this table."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from ml.features import EMOTIONS, FACE_POINTS, FEATURE_DIM, POSE_POINTS, STRESS_LEVELS


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    unit: str
    description: str
    identifiable: bool = False


META_COLUMNS: tuple[Column, ...] = (
    Column("groups", "string", "", "Pseudonymous participant code (subject id for grouped "
           "splits); stresslab stores no name, e-mail or other link to a person."),
    Column("session", "string", "", "Session id (random UUID)."),
    Column("source", "string", "", "Where the frame comes from: stresslab:<study slug>."),
    Column("seq", "int64", "frame", "Frame number within the session, from 0, contiguous."),
    Column("t", "float64", "ms", "Frame time in the browser's session clock (ms since the "
           "capture page started)."),
    Column("phase", "string", "", "Protocol phase the frame fell in (baseline, stroop, "
           "arithmetic, recovery, ...); empty outside every phase."),
    Column("face_ok", "uint8", "flag", "1 if MediaPipe found a face in this frame, else 0 "
           "(the face columns are then zeros)."),
    Column("pose_ok", "uint8", "flag", "1 if MediaPipe found a body pose, else 0 (pose columns "
           "are then zeros)."),
    Column("y", "int64", "class index", "Gold emotion label as an index into "
           f"({', '.join(EMOTIONS)}); -1 where no gold emotion label covers the frame."),
    Column("emotion", "string", "", "Gold emotion label as text; empty where none."),
    Column("stress", "float32", "score 0-1", "Gold stress level as a score: level index / "
           f"{len(STRESS_LEVELS) - 1} over ({', '.join(STRESS_LEVELS)}); NaN where none."),
    Column("stress_level", "string", "", "Gold stress level as text; empty where none."),
)

FEATURES_COLUMN = Column(
    "X", f"fixed_size_list<float32>[{FEATURE_DIM}]", "normalised image coordinates",
    f"Landmarks of the frame: face {FACE_POINTS} x (x, y, z) then pose {POSE_POINTS} x "
    "(x, y, z, visibility); x and y in [0, 1] of the camera image, z relative depth, "
    "visibility 0-1. In CSV this column is spread over the face_*/pose_* columns.",
)


NPZ_OMITS = ("emotion", "stress_level")


def feature_column_names() -> list[str]:
    face = [f"face_{i:03d}_{a}" for i in range(FACE_POINTS) for a in "xyz"]
    pose = [f"pose_{i:03d}_{a}" for i in range(POSE_POINTS) for a in ("x", "y", "z", "v")]
    return face + pose


def feature_columns() -> list[Column]:
    out = []
    for name in feature_column_names():
        _, index, axis = name.split("_")
        part = "face" if name.startswith("face") else "pose"
        if axis == "v":
            out.append(Column(name, "float32", "probability 0-1",
                              f"Visibility of pose landmark {int(index)}."))
        else:
            unit = "relative depth" if axis == "z" else "fraction of image size"
            out.append(Column(name, "float32", unit,
                              f"{axis} of {part} landmark {int(index)}."))
    return out


def columns_for(fmt: str) -> list[Column]:
    """The columns a format's data file holds, in order."""
    if fmt == "csv":
        return [*META_COLUMNS, *feature_columns()]
    if fmt == "npz":
        # The ML dataset format: label text is implied by y and stress.
        meta = [c for c in META_COLUMNS if c.name not in NPZ_OMITS]
        return [*meta, FEATURES_COLUMN]
    return [*META_COLUMNS, FEATURES_COLUMN]


def data_dictionary_csv(fmt: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "type", "unit", "description", "identifiable"])
    for col in columns_for(fmt):
        writer.writerow([col.name, col.type, col.unit, col.description,
                         "yes" if col.identifiable else "no"])
    return out.getvalue()
