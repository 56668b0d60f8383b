"""The Python side of the training throughput table in `make bench`.

On the data fedcrm_bench trains on (same rows, features, batch size or
sampling rate, steps per call, learning rate, noise), it times:
  sklearn  non-private: SGDClassifier (logistic) or MLPClassifier (mlp),
           one partial_fit per minibatch, minibatches dealt from shuffled
           epochs as fedcrm's MinibatchSampler deals them;
  torch    non-private PyTorch SGD on the same minibatches;
  opacus   DP-SGD: Poisson sampling at q, per-example clipping to C, noise
           sigma*C, normalised by the expected batch size, as fedcrm does.
Everything runs on one thread. Writes a JSON file for report.py.

  python training_peers.py --config bench/workloads.json --data_dir DIR --out FILE
"""

import argparse
import json
import platform
import sys
import warnings

import numpy as np
import sklearn
from sklearn.linear_model import SGDClassifier
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_info, threadpool_limits

from bench_inputs import load_config, load_dataset
from timing import measure

SEED = 5

# Opacus's hooks fire on modules whose inputs need no gradient (the data);
# harmless here and repeated on every workload.
warnings.filterwarnings("ignore", message="Full backward hook is firing", category=UserWarning)


class EpochBatches:
    """Minibatches of distinct rows: a fresh permutation is dealt out batch by
    batch and reshuffled when fewer than a full batch remain."""

    def __init__(self, rows, batch_size, seed):
        self.rng = np.random.default_rng(seed)
        self.rows, self.batch_size = rows, batch_size
        self._shuffle()

    def _shuffle(self):
        self.permutation, self.position = self.rng.permutation(self.rows), 0

    def next(self):
        if self.position + self.batch_size > self.rows:
            self._shuffle()
        batch = self.permutation[self.position:self.position + self.batch_size]
        self.position += self.batch_size
        return batch


def sklearn_estimator(workload, config):
    if workload["model"] == "logistic":
        return SGDClassifier(loss="log_loss", penalty=None, learning_rate="constant",
                             eta0=config["learning_rate"], shuffle=False, random_state=SEED)
    return MLPClassifier(hidden_layer_sizes=tuple(workload["hidden"]), activation="relu",
                         solver="sgd", alpha=0.0, batch_size=config["batch_size"],
                         learning_rate="constant", learning_rate_init=config["learning_rate"],
                         momentum=0.0, nesterovs_momentum=False, shuffle=False,
                         random_state=SEED)


def time_sklearn(workload, config, x, y):
    estimator = sklearn_estimator(workload, config)
    batches = EpochBatches(len(y), config["batch_size"], SEED)
    classes = np.array([0, 1])

    def call():
        for _ in range(config["steps"]):
            batch = batches.next()
            estimator.partial_fit(x[batch], y[batch], classes=classes)
        return config["steps"] * config["batch_size"]

    return measure(call, config["repetitions"], config["min_time_s"])


class TorchSide:
    """PyTorch and Opacus on float32 tensors (their usual precision)."""

    def __init__(self, config):
        import opacus
        import torch

        self.torch, self.opacus, self.config = torch, opacus, config
        torch.set_num_threads(1)
        torch.manual_seed(SEED)

    def module(self, workload, features):
        nn = self.torch.nn
        if workload["model"] == "logistic":
            return nn.Linear(features, 1)
        layers, width = [], features
        for hidden in workload["hidden"]:
            layers += [nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        layers.append(nn.Linear(width, 2))  # a 2-way softmax output, as fedcrm's MLP
        return nn.Sequential(*layers)

    def loss(self, workload):
        nn = self.torch.nn
        if workload["model"] == "logistic":
            bce = nn.BCEWithLogitsLoss()
            return lambda logits, labels: bce(logits.squeeze(1), labels.float())
        return nn.CrossEntropyLoss()

    def time_sgd(self, workload, x, y):
        config, torch = self.config, self.torch
        xt, yt = torch.from_numpy(x).float(), torch.from_numpy(y)
        model = self.module(workload, x.shape[1])
        optimizer = torch.optim.SGD(model.parameters(), lr=config["learning_rate"])
        loss_fn = self.loss(workload)
        batches = EpochBatches(len(y), config["batch_size"], SEED)

        def call():
            for _ in range(config["steps"]):
                batch = torch.from_numpy(batches.next())
                optimizer.zero_grad(set_to_none=True)
                loss_fn(model(xt[batch]), yt[batch]).backward()
                optimizer.step()
            return config["steps"] * config["batch_size"]

        return measure(call, config["repetitions"], config["min_time_s"])

    def time_dp_sgd(self, workload, x, y):
        config, torch = self.config, self.torch
        xt, yt = torch.from_numpy(x).float(), torch.from_numpy(y)
        rows, q = len(y), config["sampling_rate"]
        model = self.module(workload, x.shape[1])
        optimizer = torch.optim.SGD(model.parameters(), lr=config["learning_rate"])
        # The loader only tells Opacus the sampling rate (batch_size / rows)
        # and expected batch size; batches are drawn below, as fedcrm draws
        # them, rather than through Opacus's per-example DataLoader path,
        # which would time Python-level row indexing rather than DP-SGD.
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xt, yt),
                                             batch_size=config["batch_size"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "secure RNG turned off" and similar
            model, optimizer, _ = self.opacus.PrivacyEngine(accountant="rdp").make_private(
                module=model, optimizer=optimizer, data_loader=loader,
                noise_multiplier=config["noise_multiplier"], max_grad_norm=config["clip_norm"],
                poisson_sampling=True)
        loss_fn = self.loss(workload)
        generator = torch.Generator().manual_seed(SEED)

        def call():
            used = 0
            for _ in range(config["steps"]):
                batch = (torch.rand(rows, generator=generator) < q).nonzero(as_tuple=True)[0]
                optimizer.zero_grad(set_to_none=True)
                loss_fn(model(xt[batch]), yt[batch]).backward()
                optimizer.step()
                used += len(batch)
            return used

        result = measure(call, config["repetitions"], config["min_time_s"])
        result["expected_batch_size"] = optimizer.expected_batch_size
        return result

    def versions(self):
        return {"torch": self.torch.__version__, "opacus": self.opacus.__version__,
                "torch_threads": self.torch.get_num_threads()}


def run(config, data_dir, no_torch):
    results, skipped = [], []
    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "scikit-learn": sklearn.__version__}
    torch_side = None
    if no_torch:
        skipped.append({"side": "opacus", "reason": "FEDCRM_BENCH_SKIP_TORCH=1 (--no_torch)"})
    else:
        try:
            torch_side = TorchSide(config)
            versions.update(torch_side.versions())
        except ImportError as error:
            skipped.append({"side": "opacus", "reason": f"cannot import torch/opacus: {error}"})

    datasets = {}
    for workload in config["training"]:
        name = workload["dataset"]
        if name not in datasets:
            datasets[name] = load_dataset(data_dir, name)
        x, y = datasets[name]
        sides = [("sklearn", False, lambda: time_sklearn(workload, config, x, y))]
        if torch_side:
            sides += [("torch", False, lambda: torch_side.time_sgd(workload, x, y)),
                      ("opacus", True, lambda: torch_side.time_dp_sgd(workload, x, y))]
        for side, private, timed in sides:
            print(f"  {side:8s} {workload['name']}", file=sys.stderr, flush=True)
            result = timed()
            result.update(workload=workload["name"], side=side, private=private)
            results.append(result)
    versions["blas"] = [{key: info.get(key) for key in ("internal_api", "version", "num_threads")}
                        for info in threadpool_info()]
    return {"versions": versions, "results": results, "skipped": skipped}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--data_dir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--no_torch", action="store_true", help="skip PyTorch and Opacus")
    args = parser.parse_args()
    config = load_config(args.config)
    with threadpool_limits(limits=1):
        report = run(config, args.data_dir, args.no_torch)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
