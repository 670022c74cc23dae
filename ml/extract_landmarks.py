"""Extract face-mesh and pose landmarks from a FER2013-format CSV or an image folder.

python -m ml.extract_landmarks --input PATH --output PATH

A CSV has columns emotion (FER2013 order), pixels (48*48 space-separated grey values) and
Usage; a folder has one subfolder per class named after ml.features.EMOTIONS (or the FER2013
names). Images without a detected face are counted and left out of the output.
"""

from __future__ import annotations

import argparse
import csv
import os
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

import numpy as np

from ml.dataset import LandmarkDataset, save_npz, save_parquet
from ml.features import EMOTIONS, FACE_DIM, FACE_POINTS, FEATURE_DIM, POSE_POINTS

FER2013_CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
FER2013_TO_OURS = {
    "angry": "angry",
    "disgust": "disgusted",
    "fear": "fearful",
    "happy": "happy",
    "sad": "sad",
    "surprise": "surprised",
    "neutral": "neutral",
}
FER_INDEX_TO_OURS = np.array([EMOTIONS.index(FER2013_TO_OURS[name]) for name in FER2013_CLASSES])
FER_SIDE = 48
UPSCALE_SIDE = 192
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp"}


class ExtractionInputError(ValueError):
    pass


@dataclass
class ImageItem:
    image_id: str
    label: int
    pixels: np.ndarray | None = None  # FER grey 48x48
    path: str | None = None


def class_index(folder_name: str) -> int:
    name = folder_name.lower()
    name = FER2013_TO_OURS.get(name, name)
    if name not in EMOTIONS:
        raise ExtractionInputError(
            f"unknown class folder '{folder_name}' (use one of {list(EMOTIONS)} "
            f"or FER2013 names {list(FER2013_CLASSES)})"
        )
    return EMOTIONS.index(name)


def read_fer_csv(path: Path) -> list[ImageItem]:
    items = []
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"emotion", "pixels"} - set(reader.fieldnames or [])
        if missing:
            raise ExtractionInputError(f"{path}: missing FER2013 columns {sorted(missing)}")
        for row_no, row in enumerate(reader):
            values = np.array(row["pixels"].split(), dtype=np.uint8)
            if values.size != FER_SIDE * FER_SIDE:
                raise ExtractionInputError(
                    f"{path} row {row_no + 2}: expected {FER_SIDE * FER_SIDE} pixels, "
                    f"got {values.size}"
                )
            fer_label = int(row["emotion"])
            if not 0 <= fer_label < len(FER2013_CLASSES):
                raise ExtractionInputError(
                    f"{path} row {row_no + 2}: emotion {fer_label} outside 0..6"
                )
            usage = (row.get("Usage") or "").strip()
            items.append(
                ImageItem(
                    f"fer{row_no:06d}" + (f"-{usage}" if usage else ""),
                    int(FER_INDEX_TO_OURS[fer_label]),
                    pixels=values.reshape(FER_SIDE, FER_SIDE),
                )
            )
    return items


def read_image_folder(path: Path) -> list[ImageItem]:
    items = []
    for class_dir in sorted(p for p in path.iterdir() if p.is_dir()):
        label = class_index(class_dir.name)
        for image in sorted(class_dir.iterdir()):
            if image.suffix.lower() in IMAGE_SUFFIXES:
                items.append(ImageItem(f"{class_dir.name}/{image.stem}", label, path=str(image)))
    if not items:
        raise ExtractionInputError(f"{path}: no images found in class subfolders")
    return items


def _load_rgb(item: ImageItem) -> np.ndarray:
    from PIL import Image

    if item.pixels is not None:
        image = Image.fromarray(item.pixels, mode="L")
    else:
        image = Image.open(item.path)
    image = image.convert("RGB")
    if max(image.size) < UPSCALE_SIDE:
        scale = UPSCALE_SIDE / max(image.size)
        image = image.resize(
            (round(image.width * scale), round(image.height * scale)), Image.BICUBIC
        )
    return np.asarray(image)


_DETECTORS = None


def _detectors():
    global _DETECTORS
    if _DETECTORS is None:
        import mediapipe as mp

        _DETECTORS = (
            mp.solutions.face_mesh.FaceMesh(
                static_image_mode=True,
                max_num_faces=1,
                refine_landmarks=False,
                min_detection_confidence=0.3,
            ),
            mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1),
        )
    return _DETECTORS


def landmarks_from_rgb(rgb: np.ndarray) -> np.ndarray | None:
    """(1536,) float32 features, or None when no face is found; absent pose stays zero."""
    face_mesh, pose = _detectors()
    face = face_mesh.process(rgb)
    if not face.multi_face_landmarks:
        return None
    out = np.zeros(FEATURE_DIM, dtype=np.float32)
    points = face.multi_face_landmarks[0].landmark[:FACE_POINTS]
    out[:FACE_DIM] = np.array([(p.x, p.y, p.z) for p in points], dtype=np.float32).ravel()
    body = pose.process(rgb)
    if body.pose_landmarks:
        out[FACE_DIM:] = np.array(
            [(p.x, p.y, p.z, p.visibility) for p in body.pose_landmarks.landmark[:POSE_POINTS]],
            dtype=np.float32,
        ).ravel()
    return out


def _extract_one(item: ImageItem) -> np.ndarray | None:
    return landmarks_from_rgb(_load_rgb(item))


@dataclass
class ExtractionResult:
    dataset: LandmarkDataset
    n_images: int
    n_no_face: int


def extract(
    items: list[ImageItem], source: str, workers: int | None = None, progress: bool = True
) -> ExtractionResult:
    from tqdm import tqdm

    workers = workers or os.cpu_count() or 1
    if workers > 1:
        with Pool(workers) as pool:
            results = list(
                tqdm(
                    pool.imap(_extract_one, items, chunksize=8),
                    total=len(items),
                    disable=not progress,
                    desc="landmarks",
                )
            )
    else:
        results = [_extract_one(i) for i in tqdm(items, disable=not progress, desc="landmarks")]
    found = [i for i, r in enumerate(results) if r is not None]
    X = (
        np.stack([results[i] for i in found])
        if found
        else np.zeros((0, FEATURE_DIM), dtype=np.float32)
    )
    ds = LandmarkDataset(
        X,
        np.array([items[i].label for i in found], dtype=np.int64),
        np.array([items[i].image_id for i in found], dtype=str),
        np.zeros(len(found)),
        np.full(len(found), source, dtype=object).astype(str),
    )
    return ExtractionResult(ds, len(items), len(items) - len(found))


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Extract MediaPipe landmarks into the NPZ dataset format", add_help=add_help
    )
    parser.add_argument(
        "--input", required=True, help="FER2013 CSV or image folder (one subfolder per class)"
    )
    parser.add_argument("--output", required=True, help="output .npz (or .parquet)")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    return parser


def main(args) -> ExtractionResult:
    source_path = Path(args.input)
    if source_path.is_dir():
        items, source = read_image_folder(source_path), "folder"
    elif source_path.suffix.lower() == ".csv":
        items, source = read_fer_csv(source_path), "fer2013"
    else:
        raise ExtractionInputError(
            f"{source_path}: expected a FER2013 .csv file or an image folder"
        )
    result = extract(items, source, workers=args.workers)
    output = Path(args.output)
    written = (
        save_parquet(result.dataset, output)
        if output.suffix == ".parquet"
        else save_npz(result.dataset, output)
    )
    print(
        f"{result.n_images} images, {len(result.dataset)} with a face, "
        f"{result.n_no_face} without a face "
        f"(left out); wrote {written}"
    )
    return result


if __name__ == "__main__":
    main(get_args_parser().parse_args())
