"""Goldens for src-main/engine/perturb/spatial.ts: rotation and translation of the corruption
goldens' three images (Fashion-MNIST 28x28 grey, 32x32 RGB, 40x48 RGB) by SciPy's
ndimage.rotate (reshape=False) and ndimage.shift, bilinear (order 1) with black outside the image
(mode 'grid-constant', cval 0): the same conventions as Brink's (counter-clockwise as displayed,
positive shifts right and down), defined independently of Brink's code.

Run: /usr/bin/python3 tools/goldens/make_spatial_goldens.py (after make_corruption_goldens.py)
Writes: src-main/engine/perturb/goldens/spatial.json (outputs as base64 float32, CHW).
"""
import base64
import json
import os

import numpy as np
from scipy import ndimage

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDENS = os.path.join(ROOT, 'src-main', 'engine', 'perturb', 'goldens')

ANGLES = [-170.0, -33.3, -7.5, 0.6, 15.0, 90.0, 123.4]
SHIFTS = [(1.5, 0.0), (-2.25, 3.5), (0.3, -0.7), (-9.0, -4.0), (30.0, 12.0)]


def chw(image):
    """HWC uint8 -> CHW float in [0, 1], as Brink's fromPixels."""
    return np.transpose(image.astype(np.float64) / 255.0, (2, 0, 1))


def f32(array):
    return base64.b64encode(np.ascontiguousarray(array, dtype='<f4').tobytes()).decode()


def main():
    with open(os.path.join(GOLDENS, 'corruptions.json')) as f:
        source = json.load(f)
    cases = []
    for k, meta in enumerate(source['images']):
        pixels = np.frombuffer(base64.b64decode(meta['pixels']), dtype=np.uint8).reshape(meta['height'], meta['width'], meta['channels'])
        image = chw(pixels)
        for degrees in ANGLES:
            out = np.stack([ndimage.rotate(plane, degrees, reshape=False, order=1, mode='grid-constant', cval=0.0) for plane in image])
            cases.append({'image': k, 'transform': 'rotation', 'degrees': degrees, 'values': f32(out)})
        for dx, dy in SHIFTS:
            out = np.stack([ndimage.shift(plane, (dy, dx), order=1, mode='grid-constant', cval=0.0) for plane in image])
            cases.append({'image': k, 'transform': 'translation', 'dx': dx, 'dy': dy, 'values': f32(out)})
    with open(os.path.join(GOLDENS, 'spatial.json'), 'w') as f:
        json.dump({'source': 'corruptions.json', 'cases': cases}, f)
        f.write('\n')
    print(f'{len(cases)} cases')


if __name__ == '__main__':
    main()
