"""The inputs every side of `make bench` shares: bench/workloads.json and the
.npy data sets that fedcrm_bench_data wrote (<data_dir>/<name>/{x,y}.npy)."""

import json
import os

import numpy as np


def load_config(path):
    with open(path, encoding="utf-8") as f:
        config = json.load(f)
    config["sampling_rate"] = config["batch_size"] / config["rows"]
    return config


def load_dataset(data_dir, name):
    x = np.load(os.path.join(data_dir, name, "x.npy"))
    y = np.load(os.path.join(data_dir, name, "y.npy"))
    if x.dtype != np.float64 or x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"{data_dir}/{name}: expected x (rows, features) float64 and y (rows,)")
    return np.ascontiguousarray(x), y.astype(np.int64)
