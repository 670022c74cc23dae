"""Browser test support for capture: a fake-camera clip of a real face."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def y4m_write(path: Path, *, seconds: float = 3.0, fps: int = 15,
              size: tuple[int, int] = (320, 240)) -> Path:
    """A YUV4MPEG2 clip of skimage's astronaut (a real face) drifting a few pixels."""
    from skimage import data, transform

    width, height = size
    image = data.astronaut().astype(np.float32)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for i in range(int(seconds * fps)):
            dx = int(round(8 * np.sin(2 * np.pi * i / (fps * 1.5))))
            dy = int(round(4 * np.cos(2 * np.pi * i / (fps * 2.0))))
            crop = image[10 + dy:340 + dy, 60 + dx:500 + dx]
            rgb = transform.resize(crop, (height, width), anti_aliasing=True, preserve_range=True)
            r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
            y = 0.299 * r + 0.587 * g + 0.114 * b
            u = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
            v = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
            sub = lambda c: c.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))  # noqa: E731
            out.write(b"FRAME\n")
            for plane in (y, sub(u), sub(v)):
                out.write(np.clip(plane, 0, 255).astype(np.uint8).tobytes())
    return path
