"""Goldens for src-main/engine/perturb/corruptions.ts: each corruption at the five CIFAR-10-C
severities and one strength between, on a Fashion-MNIST test image (28x28, grey), a synthetic
32x32 RGB image and a 40x48 RGB image, computed with NumPy, SciPy and Pillow as the benchmarks'
make_cifar_c.py / make_imagenet_c.py do. The noise corruptions draw Brink's per-sample noise field
(noise.ts, ported below) instead of NumPy's generator, so that the same seed gives the same image.

Run: /usr/bin/python3 tools/goldens/make_corruption_goldens.py
Writes: src-main/engine/perturb/goldens/corruptions.json (inputs and outputs as base64 uint8, HWC).
"""
import base64
import colorsys
import gzip
import io
import json
import math
import os

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'src-main', 'engine', 'perturb', 'goldens', 'corruptions.json')
M32 = 0xFFFFFFFF


def imul(a, b):
    return (a * b) & M32


def mulberry32(seed):
    state = [seed & M32]

    def nxt():
        state[0] = (state[0] + 0x6D2B79F5) & M32
        t = state[0]
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & M32
        return ((t ^ (t >> 14)) & M32) / 4294967296

    return nxt


def stream_seed(seed, index):
    return (imul((seed ^ 0x9E3779B9) & M32, 0x85EBCA6B) + imul(index + 1, 0xC2B2AE35)) & M32


def noise_field(seed, index, size):
    nxt = mulberry32(stream_seed(seed, index))
    normal = np.zeros(size)
    for i in range(0, size, 2):
        r = math.sqrt(-2 * math.log(1 - nxt()))
        angle = 2 * math.pi * nxt()
        normal[i] = r * math.cos(angle)
        if i + 1 < size:
            normal[i + 1] = r * math.sin(angle)
    uniform = np.array([nxt() for _ in range(size)])
    salt = np.array([nxt() for _ in range(size)])
    return normal, uniform, salt


def poisson_draw(lam, u, z):
    if lam <= 0:
        return 0
    if lam >= 30:
        return max(0, math.floor(lam + math.sqrt(lam) * z + 0.5))
    k, p = 0, math.exp(-lam)
    cdf = p
    while u >= cdf and k < 1000:
        k += 1
        p *= lam / k
        cdf += p
    return k


# Corruptions on x: float64 (H, W, C) in [0, 1]; the field's element i is x's CHW position i.
def chw(a):
    return a.transpose(2, 0, 1).reshape(-1)


def from_chw(v, shape):
    h, w, c = shape
    return v.reshape(c, h, w).transpose(1, 2, 0)


def gaussian_noise(x, s, field):
    return np.clip(x + s * from_chw(field[0], x.shape), 0, 1)


def shot_noise(x, s, field):
    c = 1 / s
    flat = chw(x)
    out = np.array([poisson_draw(v * c, field[1][i], field[0][i]) for i, v in enumerate(flat)]) / c
    return np.clip(from_chw(out, x.shape), 0, 1)


def impulse_noise(x, s, field):
    flat = chw(x).copy()
    hit = field[1] < s
    flat[hit] = np.where(field[2][hit] >= 0.5, 1.0, 0.0)
    return from_chw(flat, x.shape)


def gaussian_blur(x, s, _field):
    return np.clip(gaussian_filter(x, sigma=(s, s, 0), mode='nearest', truncate=4.0), 0, 1)


def brightness(x, s, _field):
    if x.shape[2] != 3:
        return np.clip(x + s, 0, 1)
    out = np.empty_like(x)
    for y in range(x.shape[0]):
        for xx in range(x.shape[1]):
            h, sat, v = colorsys.rgb_to_hsv(*x[y, xx])
            out[y, xx] = colorsys.hsv_to_rgb(h, sat, min(1.0, max(0.0, v + s)))
    return np.clip(out, 0, 1)


def contrast(x, s, _field):
    c = 1 - s
    means = np.mean(x, axis=(0, 1), keepdims=True)
    return np.clip((x - means) * c + means, 0, 1)


def pil(x):
    a = np.round(x * 255).astype(np.uint8)
    return Image.fromarray(a[:, :, 0], 'L') if a.shape[2] == 1 else Image.fromarray(a, 'RGB')


def unpil(img, shape):
    return np.asarray(img, dtype=np.float64).reshape(shape) / 255


def jpeg(x, s, _field):
    out = io.BytesIO()
    pil(x).save(out, 'JPEG', quality=int(round(101 - s)))
    return unpil(Image.open(io.BytesIO(out.getvalue())), x.shape)


def pixelate(x, s, _field):
    c = 1 - s
    h, w = x.shape[:2]
    img = pil(x).resize((max(1, int(w * c + 1e-9)), max(1, int(h * c + 1e-9))), Image.BOX)
    return unpil(img.resize((w, h), Image.BOX), x.shape)


# name: (function, CIFAR-10-C severities as strengths, one strength between)
CASES = {
    'gaussian-noise': (gaussian_noise, [0.04, 0.06, 0.08, 0.09, 0.1], 0.23),
    'shot-noise': (shot_noise, [1 / 500, 1 / 250, 1 / 100, 1 / 75, 1 / 50], 1 / 7),
    'impulse-noise': (impulse_noise, [0.01, 0.02, 0.03, 0.05, 0.07], 0.31),
    'gaussian-blur': (gaussian_blur, [0.4, 0.6, 0.7, 0.8, 1], 2.3),
    'brightness': (brightness, [0.05, 0.1, 0.15, 0.2, 0.3], 0.47),
    'contrast': (contrast, [1 - 0.75, 1 - 0.5, 1 - 0.4, 1 - 0.3, 1 - 0.15], 0.93),
    'jpeg': (jpeg, [101 - 80, 101 - 65, 101 - 58, 101 - 50, 101 - 40], 97),
    'pixelate': (pixelate, [1 - 0.95, 1 - 0.9, 1 - 0.85, 1 - 0.75, 1 - 0.65], 0.5),
}


def fmnist_image():
    path = os.path.join(ROOT, 'resources', 'samples', 'fmnist-test-1000-images-idx3-ubyte.gz')
    with gzip.open(path, 'rb') as f:
        data = f.read()
    return np.frombuffer(data, dtype=np.uint8, offset=16 + 28 * 28 * 3, count=28 * 28).reshape(28, 28, 1)


def rgb_image(h, w, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    r = 0.5 + 0.5 * np.sin(x / 5.0 + seed)
    g = 0.5 + 0.5 * np.cos(y / 7.0)
    b = ((x - w / 2) ** 2 + (y - h / 2) ** 2 < (min(h, w) / 3) ** 2) * 0.8
    img = np.stack([r, g, b], axis=2) + rng.normal(0, 0.05, (h, w, 3))
    img[: h // 4, : w // 4] = 0
    return np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.uint8).tobytes()).decode('ascii')


def main():
    seed = 7
    images = [('fmnist-3', fmnist_image()), ('rgb-32', rgb_image(32, 32, 1)), ('rgb-40x48', rgb_image(40, 48, 2))]
    out = {'seed': seed, 'images': [], 'cases': []}
    for index, (name, img) in enumerate(images):
        h, w, c = img.shape
        out['images'].append({'name': name, 'index': index, 'height': h, 'width': w, 'channels': c, 'pixels': b64(img)})
        x = img.astype(np.float64) / 255
        field = noise_field(seed, index, x.size)
        for corruption, (fn, severities, between) in CASES.items():
            for strength in severities + [between]:
                y = fn(x, strength, field)
                out['cases'].append({'image': index, 'corruption': corruption, 'strength': strength, 'pixels': b64(np.round(np.clip(y, 0, 1) * 255))})
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(out, f)
    print(f'wrote {len(out["cases"])} cases to {OUT}')


if __name__ == '__main__':
    main()
