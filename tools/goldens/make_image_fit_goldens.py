#!/usr/bin/env python3
"""Goldens for Brink's image fits (src-main/engine/data/image-fit.ts and resample.ts).

Writes src-main/engine/data/goldens/image-fit/:
    photos/<class>/<name>.png|.jpg   a small image folder of mixed sizes (synthetic content: gradients,
                                     stripes fine enough to alias without antialiasing, a grey image,
                                     odd size differences for the centre-crop rounding, an image smaller
                                     than the resize so that it is enlarged, JPEG 4:2:0 and 4:4:4)
    torchvision/<case>/<class>-<name>.png   torchvision's output for each photo, as uint8 RGB (not
                                     for crop-imagenet, whose outputs only the SHA-256 pins)
    manifest.json                    the cases, each output's shape and the SHA-256 of its raw HWC bytes

Cases (sizes are H, W, as torchvision writes them):
    crop-imagenet   Resize(256) + CenterCrop(224), the ImageNet evaluation transform
    crop-small      Resize(70) + CenterCrop((56, 64))
    stretch         Resize((40, 48))
    pad             F.resize to the long side fitted in (40, 48), the short side round(short * scale),
                    then F.pad with zeros, left/top border = floor(gap / 2) (Brink's definition)

Every photo is read as torchvision's ImageFolder reads it: Image.open(f).convert('RGB'), and the
transform runs on the PIL image (Pillow's bilinear resize with its antialiasing support). The golden
PNGs are lossless; the SHA-256 in the manifest lets the test check that it decoded them exactly.

Needs torchvision and Pillow: Debian's `apt-get install python3-torchvision` (0.14.1, Pillow 9.4)
writes the same pixels as torchvision 0.28 with Pillow 12.3. Run from the repository root:
    /usr/bin/python3 tools/goldens/make_image_fit_goldens.py
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
from PIL import Image

import torchvision
from torchvision.transforms import functional as F

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / 'src-main' / 'engine' / 'data' / 'goldens' / 'image-fit'


def pattern(height: int, width: int, seed: int) -> np.ndarray:
    """Smooth gradients plus stripes of rising frequency: resizing them without antialiasing would alias."""
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    stripes = np.sin(x * (0.05 + 0.6 * x / width)) * np.cos(y * (0.03 + 0.4 * y / height))
    disc = ((x - width * rng.uniform(0.3, 0.7)) ** 2 + (y - height * rng.uniform(0.3, 0.7)) ** 2) < (min(height, width) * 0.25) ** 2
    r = 255 * x / max(width - 1, 1)
    g = 255 * y / max(height - 1, 1)
    b = 128 + 110 * stripes
    image = np.stack([r, g, b], -1)
    image[disc] = image[disc] * 0.4 + np.array([200, 40, 90]) * 0.6
    return image.clip(0, 255).round().astype(np.uint8)


# (class, name, height, width, how it is saved)
PHOTOS = [
    ('cats', 'a-wide.jpg', 300, 450, 'jpeg420'),
    ('cats', 'b-tall.png', 197, 136, 'png'),
    # Resize(256) makes it 269 high: the crop's top is round(22.5), which Python rounds to 22.
    ('cats', 'c-small.png', 78, 74, 'png'),
    ('dogs', 'd-square.jpg', 256, 256, 'jpeg444'),
    ('dogs', 'e-grey.png', 150, 227, 'grey'),
    # 339 wide after Resize(256): the crop's left is round(57.5), which Python rounds to 58.
    ('dogs', 'f-odd.png', 129, 171, 'png'),
]


def write_photos() -> list[Path]:
    paths = []
    for seed, (label, name, height, width, how) in enumerate(PHOTOS):
        path = OUT / 'photos' / label / name
        path.parent.mkdir(parents=True, exist_ok=True)
        pixels = pattern(height, width, seed)
        if how == 'jpeg420':
            Image.fromarray(pixels).save(path, quality=90, subsampling=2)
        elif how == 'jpeg444':
            Image.fromarray(pixels).save(path, quality=90, subsampling=0)
        elif how == 'grey':
            Image.fromarray(pixels).convert('L').save(path, optimize=True)
        else:
            Image.fromarray(pixels).save(path, optimize=True)
        paths.append(path)
    return paths


def pad_fit(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    box_h, box_w = size
    width, height = image.size
    by_width = box_w / width <= box_h / height
    # Python's round() halves to even; Brink's Math.round halves up: floor(x + 0.5) is the latter.
    inner_h = min(box_h, max(1, math.floor(height * box_w / width + 0.5))) if by_width else box_h
    inner_w = box_w if by_width else min(box_w, max(1, math.floor(width * box_h / height + 0.5)))
    resized = F.resize(image, [inner_h, inner_w])
    top, left = (box_h - inner_h) // 2, (box_w - inner_w) // 2
    return F.pad(resized, [left, top, box_w - inner_w - left, box_h - inner_h - top], fill=0)


CASES = {
    'crop-imagenet': ({'mode': 'crop', 'size': [224, 224], 'resize': 256}, lambda im: F.center_crop(F.resize(im, 256), [224, 224])),
    'crop-small': ({'mode': 'crop', 'size': [56, 64], 'resize': 70}, lambda im: F.center_crop(F.resize(im, 70), [56, 64])),
    'stretch': ({'mode': 'stretch', 'size': [40, 48]}, lambda im: F.resize(im, [40, 48])),
    'pad': ({'mode': 'pad', 'size': [40, 48]}, lambda im: pad_fit(im, (40, 48))),
}

# 224x224 outputs would triple the files committed: their SHA-256 alone pins them (exact equality).
HASH_ONLY = {'crop-imagenet'}


def main() -> None:
    photos = write_photos()
    manifest = {'torchvision': torchvision.__version__, 'pillow': Image.__version__, 'cases': []}
    for case, (fit, transform) in CASES.items():
        outputs = []
        for path in photos:
            out = np.asarray(transform(Image.open(path).convert('RGB')))
            rel = path.relative_to(OUT / 'photos')
            golden = OUT / 'torchvision' / case / f'{rel.parent}-{rel.stem}.png'
            if case not in HASH_ONLY:
                golden.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(out).save(golden, optimize=True)
            outputs.append({
                'photo': rel.as_posix(),
                'golden': None if case in HASH_ONLY else golden.relative_to(OUT).as_posix(),
                'shape': list(out.shape),
                'sha256': hashlib.sha256(np.ascontiguousarray(out).tobytes()).hexdigest(),
            })
        manifest['cases'].append({'name': case, 'fit': fit, 'outputs': outputs})
    (OUT / 'manifest.json').write_text(json.dumps(manifest, indent=1) + '\n')
    total = sum(p.stat().st_size for p in OUT.rglob('*') if p.is_file())
    print(f'wrote {OUT.relative_to(ROOT)} ({total / 1024:.0f} KiB)')


if __name__ == '__main__':
    main()
