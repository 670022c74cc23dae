import csv

import numpy as np
import pytest
from PIL import Image
from skimage import data

from ml.dataset import load_npz
from ml.extract_landmarks import ExtractionInputError, get_args_parser, main
from ml.features import EMOTIONS


def astronaut_faces() -> list[np.ndarray]:
    """Real face crops from skimage's astronaut: the crop, its mirror and small rotations."""
    face = Image.fromarray(data.astronaut()[20:220, 120:300])
    variants = [
        face,
        face.transpose(Image.FLIP_LEFT_RIGHT),
        face.rotate(8, fillcolor=(128, 128, 128)),
        face.rotate(-8, fillcolor=(128, 128, 128)),
    ]
    return [np.asarray(v) for v in variants]


def to_fer_pixels(rgb: np.ndarray) -> str:
    grey = Image.fromarray(rgb).convert("L").resize((48, 48), Image.BILINEAR)
    return " ".join(str(v) for v in np.asarray(grey).ravel())


def test_fer_csv_is_extracted_with_class_mapping_and_no_face_counted(tmp_path, capsys):
    rows = [(3, to_fer_pixels(f)) for f in astronaut_faces()[:2]] + [
        (0, to_fer_pixels(astronaut_faces()[2]))
    ]
    rows.append((6, " ".join(["128"] * 48 * 48)))  # flat grey: no face
    path = tmp_path / "fer.csv"
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["emotion", "pixels", "Usage"])
        writer.writerows([(label, pixels, "Training") for label, pixels in rows])
    result = main(
        get_args_parser().parse_args(
            ["--input", str(path), "--output", str(tmp_path / "fer.npz"), "--workers", "2"]
        )
    )
    assert result.n_images == 4 and result.n_no_face == 1
    ds = load_npz(tmp_path / "fer.npz")
    assert len(ds) == 3 and set(ds.source) == {"fer2013"} and (ds.t == 0).all()
    assert [EMOTIONS[i] for i in ds.y] == ["happy", "happy", "angry"]
    face = ds.X[:, :1404].reshape(3, 468, 3)
    assert ((face[..., :2] > 0) & (face[..., :2] < 1)).mean() > 0.95
    assert face[0, :, 0].std() > 0.05  # landmarks spread over the upscaled face
    assert "1 without a face" in capsys.readouterr().out


def test_image_folder_uses_subfolder_classes(tmp_path):
    faces = astronaut_faces()
    for name, images in (
        ("happy", faces[:2]),
        ("surprise", faces[3:]),
        ("sad", [np.zeros((60, 60, 3), np.uint8)]),
    ):
        (tmp_path / "imgs" / name).mkdir(parents=True)
        for k, img in enumerate(images):
            Image.fromarray(img).save(tmp_path / "imgs" / name / f"{k}.png")
    result = main(
        get_args_parser().parse_args(
            [
                "--input",
                str(tmp_path / "imgs"),
                "--output",
                str(tmp_path / "out.npz"),
                "--workers",
                "1",
            ]
        )
    )
    assert result.n_no_face == 1
    ds = load_npz(tmp_path / "out.npz")
    assert sorted(EMOTIONS[i] for i in ds.y) == ["happy", "happy", "surprised"]
    assert set(ds.source) == {"folder"} and len(set(ds.groups)) == 3


def test_csv_with_wrong_pixel_count_names_the_row(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("emotion,pixels,Usage\n3,1 2 3,Training\n")
    with pytest.raises(ExtractionInputError, match="row 2"):
        main(
            get_args_parser().parse_args(
                ["--input", str(path), "--output", str(tmp_path / "x.npz")]
            )
        )
