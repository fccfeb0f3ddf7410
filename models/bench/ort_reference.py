#!/usr/bin/env python3
"""The face pipeline's verify path on onnxruntime: the reference `hadir-face bench` is compared with.

Runs what `hadir-face bench` times as "verify" — detect, landmarks, align, embed, liveness — on
the same six models and the same frame, one thread, with onnxruntime's own Python package and
the usual Python image tools (NumPy, Pillow), and prints the same JSON shape
(`{"verify": {"median_ms": …}, "stages": {…}, "runs": [...]}`).

The preprocessing follows hadir-models (see models/README.md, "Preprocessing"): the whole frame
resized to 320×240 RGB (v−127)/128; the landmark crop squared on the box, 64×64 grey /256; the
five alignment points mapped onto the ArcFace points by a least-squares similarity, 112×112 BGR
(v−127.5)/128; the liveness crop 2.7× the squared box, 128×128 BGR 0–255.

onnxruntime is given its best chance: each model runs with the fastest of its four graph
optimisation levels, measured when the script starts (on some CPUs the default level's blocked
convolutions are three times slower than the basic level's on fr_feature), and with denormals
taken as zero (`session.set_denormal_as_zero`), as hadir-models runs them. That option only
flushes values below 10⁻³⁸, never slows a model, and matters on real frames: on an Intel Xeon
the embedding's near-zero weights (10⁻³³) make denormal products that, unflushed, more than
double its time. A random input does not show it, so it is not left to the measurement.

Usage: ort_reference.py MODELS_DIR IMAGE [--runs N] [--rounds-file PATH]
Needs: pip install onnxruntime numpy pillow
"""

import argparse
import json
import statistics
import sys
import time

try:
    import numpy as np
    import onnxruntime as ort
    from PIL import Image
except ImportError as missing:  # the caller (cargo xtask bench) reads this line
    print(json.dumps({"error": f"{missing}; install with: pip install onnxruntime numpy pillow"}))
    sys.exit(2)

ARCFACE_112 = np.array(
    [[38.7946, 52.1963], [74.0318, 52.0014], [56.5252, 72.2366], [42.0493, 92.8655], [71.2299, 92.7041]],
    dtype=np.float64,
)
LEVELS = [
    ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
]
SHAPES = {
    "fr_detect": (1, 3, 240, 320),
    "fr_landmark": (1, 1, 64, 64),
    "fr_feature": (1, 3, 112, 112),
    "fr_liveness": (1, 3, 128, 128),
}


def session(path, level):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = level
    options.add_session_config_entry("session.set_denormal_as_zero", "1")
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def fastest_session(path, shape):
    """The session at the optimisation level that runs `shape` fastest (median of 7)."""
    x = np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)
    best = None
    for level in LEVELS:
        s = session(path, level)
        name = s.get_inputs()[0].name
        for _ in range(2):
            s.run(None, {name: x})
        times = []
        for _ in range(7):
            t = time.perf_counter()
            s.run(None, {name: x})
            times.append(time.perf_counter() - t)
        median = statistics.median(times)
        if best is None or median < best[0]:
            best = (median, s, str(level).rsplit(".", 1)[-1])
    return best[1], best[2]


def square_around(cx, cy, side):
    return (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)


def shift_inside(box, w, h):
    x1, y1, x2, y2 = box

    def shift(lo, hi, limit):
        if hi - lo > limit:
            return 0.0
        if lo < 0:
            return -lo
        if hi > limit:
            return limit - hi
        return 0.0

    dx, dy = shift(x1, x2, w), shift(y1, y2, h)
    return (x1 + dx, y1 + dy, x2 + dx, y2 + dy)


def crop(image, box, size):
    """`box` of `image` resized to size×size, bilinear, black outside."""
    return image.transform((size, size), Image.EXTENT, box, Image.BILINEAR)


def planar(rgb, bgr, mean, scale):
    a = np.asarray(rgb, dtype=np.float32)
    if bgr:
        a = a[:, :, ::-1]
    return ((a - mean) * scale).transpose(2, 0, 1)[None].copy()


def nms(boxes, scores, iou):
    order = np.argsort(-scores)
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        xx1 = np.maximum(boxes[i, 0], boxes[order[1:], 0])
        yy1 = np.maximum(boxes[i, 1], boxes[order[1:], 1])
        xx2 = np.minimum(boxes[i, 2], boxes[order[1:], 2])
        yy2 = np.minimum(boxes[i, 3], boxes[order[1:], 3])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        area = lambda b: (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
        overlap = inter / (area(boxes[i]) + area(boxes[order[1:]]) - inter)
        order = order[1:][overlap <= iou]
    return keep


def similarity(src, dst):
    """Least-squares similarity (Umeyama) mapping src points onto dst points, as a 2×3 matrix."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    e = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        e[1, 1] = -1
    r = u @ e @ vt
    scale = (sig * np.diag(e)).sum() / (s**2).sum(1).mean()
    t = mu_d - scale * r @ mu_s
    return np.hstack([scale * r, t[:, None]])


class Pipeline:
    def __init__(self, models_dir):
        self.sessions, self.levels = {}, {}
        for name, shape in SHAPES.items():
            s, level = fastest_session(f"{models_dir}/{name}.onnx", shape)
            self.sessions[name], self.levels[name] = s, level

    def run(self, name, x):
        s = self.sessions[name]
        return s.run(None, {s.get_inputs()[0].name: x})

    def verify(self, frame):
        """One frame through the verify path; returns (timings in ms per stage, live probability)."""
        t = {}
        w, h = frame.size
        start = time.perf_counter()
        small = frame.resize((320, 240), Image.BILINEAR, reducing_gap=2.0)
        scores, boxes = self.run("fr_detect", planar(small, False, 127.0, 1 / 128))
        scores, boxes = scores[0, :, 1], boxes[0] * np.array([w, h, w, h], dtype=np.float32)
        sel = scores >= 0.7
        scores, boxes = scores[sel], boxes[sel]
        keep = nms(boxes, scores, 0.3)
        if not keep:
            raise RuntimeError("no face found: benchmark a photo with a face")
        x1, y1, x2, y2 = boxes[keep[0]]
        t["detect"] = time.perf_counter() - start

        start = time.perf_counter()
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        box = shift_inside(square_around(cx, cy, max(x2 - x1, y2 - y1)), w, h)
        grey = np.asarray(crop(frame, box, 64).convert("L"), dtype=np.float32) / 256
        marks = self.run("fr_landmark", grey[None, None])[0].reshape(68, 2)
        marks = marks * [box[2] - box[0], box[3] - box[1]] + [box[0], box[1]]
        t["landmarks"] = time.perf_counter() - start

        start = time.perf_counter()
        five = np.array(
            [marks[[37, 38, 40, 41]].mean(0), marks[[43, 44, 46, 47]].mean(0), marks[30],
             marks[[48, 60]].mean(0), marks[[54, 64]].mean(0)],
            dtype=np.float64,
        )
        inverse = np.linalg.inv(np.vstack([similarity(five, ARCFACE_112), [0, 0, 1]]))[:2]
        aligned = frame.transform((112, 112), Image.AFFINE, inverse.flatten(), Image.BILINEAR)
        t["align"] = time.perf_counter() - start

        start = time.perf_counter()
        embedding = self.run("fr_feature", planar(aligned, True, 127.5, 1 / 128))[0][0]
        embedding /= np.linalg.norm(embedding)
        t["embed"] = time.perf_counter() - start

        start = time.perf_counter()
        side = y2 - y1
        bw = bh = max(side, 1.0)
        scale = max(min(2.7, (h - 1) / bh, (w - 1) / bw), 1.0)
        live_box = shift_inside(square_around(cx, cy, bw * scale), w, h)
        logits = self.run("fr_liveness", planar(crop(frame, live_box, 128), True, 0.0, 1.0))[0][0]
        e = np.exp(logits - logits.max())
        live = float(e[0] / e.sum())
        t["liveness"] = time.perf_counter() - start
        return {k: v * 1000 for k, v in t.items()}, live


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models_dir")
    parser.add_argument("image")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    frame = Image.open(args.image).convert("RGB")
    pipeline = Pipeline(args.models_dir)
    for _ in range(2):
        pipeline.verify(frame)
    runs, live = [], None
    for _ in range(args.runs):
        stages, live = pipeline.verify(frame)
        runs.append(stages)
    verify = sorted(sum(r.values()) for r in runs)
    report = {
        "file": args.image,
        "runtime": f"onnxruntime {ort.__version__}",
        "optimisation_levels": pipeline.levels,
        "live_probability": live,
        "stages": {k: {"median_ms": statistics.median(r[k] for r in runs)} for k in runs[0]},
        "verify": {"median_ms": statistics.median(verify), "all_ms": verify},
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
