"""The pyts side of `ecgmatch bench-encode`: encodes the same prepared inputs with pyts 0.14
and reports the time it took. Called by the CLI; not meant to be run by hand.

    python3 pyts_encode.py DIR   (DIR holds beats.npy [N,12,100], series.npy [N,12,T], params.json)

Writes DIR/pyts_paper.npy [N,3,224,224], DIR/pyts_stack.npy [N,12*4,S,S] and prints JSON timings.
"""
import json
import os
import sys
import time

import numpy as np
from PIL import Image
from pyts.approximation import PiecewiseAggregateApproximation
from pyts.image import GramianAngularField, MarkovTransitionField, RecurrencePlot

# Rows of the 3x4 print layout, as indices into the standard lead order I..V6.
GRID = [[0, 3, 6, 9], [1, 4, 7, 10], [2, 5, 8, 11]]


def paper(beats, mtf_bins, out_size):
    n = beats.shape[1]
    gasf = GramianAngularField(image_size=n, method="summation").fit_transform(beats)
    rp = RecurrencePlot().fit_transform(beats)
    mtf = MarkovTransitionField(image_size=n, n_bins=mtf_bins).fit_transform(beats)
    out = np.empty((3, out_size, out_size), dtype=np.float32)
    for c, images in enumerate((gasf, rp, mtf)):
        tiled = np.zeros((3 * n, 4 * n), dtype=np.float32)
        for r, row in enumerate(GRID):
            for col, lead in enumerate(row):
                tiled[r * n:(r + 1) * n, col * n:(col + 1) * n] = images[lead]
        out[c] = np.asarray(Image.fromarray(tiled, mode="F").resize((out_size, out_size), Image.BILINEAR))
    return out


def stack(series, size, mtf_bins):
    gasf = GramianAngularField(image_size=size, method="summation").fit_transform(series)
    gadf = GramianAngularField(image_size=size, method="difference").fit_transform(series)
    mtf = MarkovTransitionField(image_size=size, n_bins=mtf_bins).fit_transform(series)
    rp = RecurrencePlot().fit_transform(PiecewiseAggregateApproximation(window_size=None, output_size=size, overlapping=False).fit_transform(series))
    return np.stack([gasf, gadf, mtf, rp], axis=1).reshape(-1, size, size).astype(np.float32)


def main():
    d = sys.argv[1]
    params = json.load(open(os.path.join(d, "params.json")))
    beats = np.load(os.path.join(d, "beats.npy")).astype(np.float64)
    series = np.load(os.path.join(d, "series.npy")).astype(np.float64)
    # Warm up numba's JIT outside the timed loops, as a long-running service would be.
    paper(beats[0], params["mtf_bins_paper"], params["paper_size"])
    stack(series[0], params["stack_size"], params["mtf_bins_stack"])

    t0 = time.perf_counter()
    out_paper = np.stack([paper(b, params["mtf_bins_paper"], params["paper_size"]) for b in beats])
    t1 = time.perf_counter()
    out_stack = np.stack([stack(s, params["stack_size"], params["mtf_bins_stack"]) for s in series])
    t2 = time.perf_counter()
    np.save(os.path.join(d, "pyts_paper.npy"), out_paper)
    np.save(os.path.join(d, "pyts_stack.npy"), out_stack)
    print(json.dumps({"paper_s": t1 - t0, "stack_s": t2 - t1, "records": len(beats)}))


if __name__ == "__main__":
    main()
