"""Flower's SecAgg+ side of the secure-aggregation table in `make bench`.

Runs Flower's own SecAgg+ client steps (the stage functions of
flwr.client.mod.secure_aggregation.secaggplus_mod) for every client in one
process, and the server's unmasking as Flower's SecAggPlusWorkflow does it
(its unmask_stage, step for step, with Flower's primitives: combine_shares,
generate_shared_key, pseudo_rand_gen, parameters_* arithmetic), without the
Grid and its messages. Same rounds as fedcrm's side: n clients, d
coordinates, modulus 2^32, neighbourhoods of the same size and the same
Shamir threshold, and a fraction of the clients dropped after sharing keys.

  python secagg_peers.py --config bench/workloads.json --out FILE

Timed, in CPU seconds of the process (time.process_time):
- client mask: one client's _collect_masked_vectors (open the shares,
  quantize, add the self mask and the pairwise masks, encode the arrays);
- server unmask: sum the survivors' masked vectors, rebuild each secret from
  its shares, expand and remove every mask (before dequantization, which
  fedcrm's server does not do either).

Kept bounded: a combination whose estimate (the previous vector length's
time plus the extra mask expansions, priced from the client's timing)
exceeds --max_seconds is reported as skipped with the estimate.
Masking every client for real costs n client calls; when that would exceed a
quarter of --max_seconds the server is fed stand-in masked vectors of the
right shape (uniform in [0, 2^32)); its work does not depend on their values,
but the sum is then not checked. Each result records which was used.
"""

import argparse
import json
import random
import time
from importlib.metadata import version

import numpy as np

from bench_inputs import load_config

MOD_RANGE = 2**32
CLIPPING_RANGE = 8.0
QUANTIZATION_RANGE = 2**22
MAX_WEIGHT = 1000.0


def import_flower():
    import importlib
    # The package re-exports the mod function under the module's name.
    mod = importlib.import_module("flwr.client.mod.secure_aggregation.secaggplus_mod")
    from flwr.common.secure_aggregation import ndarrays_arithmetic as arith
    from flwr.common.secure_aggregation.crypto.shamir import combine_shares
    from flwr.common.secure_aggregation.crypto.symmetric_encryption import generate_shared_key
    from flwr.common.secure_aggregation.quantization import dequantize
    from flwr.common.secure_aggregation.secaggplus_constants import Key
    from flwr.common.secure_aggregation.secaggplus_utils import pseudo_rand_gen
    from flwr.common import ndarrays_to_parameters
    from flwr.supercore.primitives.asymmetric import bytes_to_private_key, bytes_to_public_key
    return dict(mod=mod, arith=arith, combine_shares=combine_shares,
                generate_shared_key=generate_shared_key, dequantize=dequantize, Key=Key,
                pseudo_rand_gen=pseudo_rand_gen, ndarrays_to_parameters=ndarrays_to_parameters,
                bytes_to_private_key=bytes_to_private_key,
                bytes_to_public_key=bytes_to_public_key)


def fedcrm_neighbourhood(n):
    """(degree, threshold) of fedcrm's NeighbourGraph with default settings:
    complete up to 32 clients, else the smallest even k >= 3 log2(n), and a
    threshold of floor((k + 1) / 2) + 1."""
    import math
    if n <= 32:
        k = n - 1
    else:
        k = math.ceil(3 * math.log2(n))
        k += k % 2
        k = min(k, n - 1)
    return k, (k + 1) // 2 + 1


class FlowerRound:
    """One round's clients through setup and key sharing (independent of d)."""

    def __init__(self, fl, n, seed):
        self.fl, self.n = fl, n
        mod, Key = fl["mod"], fl["Key"]
        degree, self.threshold = fedcrm_neighbourhood(n)
        self.num_shares = degree + 1  # the neighbourhood with the client itself
        self.nids = list(range(1, n + 1))
        # SecAggPlusWorkflow.setup_stage: a shuffled ring, each node with the
        # num_shares // 2 nearest on either side (and itself).
        ring = self.nids[:]
        random.Random(seed).shuffle(ring)
        half = self.num_shares >> 1
        self.neighbours = {nid: {ring[(i + o) % n] for o in range(-half, half + 1)}
                           for i, nid in enumerate(ring)}
        config = {Key.SAMPLE_NUMBER: n, Key.SHARE_NUMBER: self.num_shares,
                  Key.THRESHOLD: self.threshold, Key.CLIPPING_RANGE: CLIPPING_RANGE,
                  Key.TARGET_RANGE: QUANTIZATION_RANGE, Key.MOD_RANGE: MOD_RANGE,
                  Key.MAX_WEIGHT: MAX_WEIGHT}
        self.states, self.public_keys = {}, {}
        for nid in self.nids:
            state = mod.SecAggPlusState()
            state.nid = nid
            keys = mod._setup(state, config)
            self.states[nid] = state
            self.public_keys[nid] = (keys[Key.PUBLIC_KEY_1], keys[Key.PUBLIC_KEY_2])
        # share_keys_stage: each client gets its neighbours' keys; the server
        # forwards each ciphertext to its destination.
        self.inbox = {nid: ([], []) for nid in self.nids}  # nid -> (ciphertexts, sources)
        for nid in self.nids:
            keys = {str(m): list(self.public_keys[m]) for m in self.neighbours[nid]}
            out = mod._share_keys(self.states[nid], keys)
            for dst, ciphertext in zip(out[Key.DESTINATION_LIST], out[Key.CIPHERTEXT_LIST]):
                self.inbox[dst][0].append(ciphertext)
                self.inbox[dst][1].append(nid)

    def mask(self, nid, update):
        """The client's collect_masked_vectors stage (quantize, mask, encode);
        returns the encoded arrays, as the client sends them."""
        Key = self.fl["Key"]
        ciphertexts, sources = self.inbox[nid]
        out = self.fl["mod"]._collect_masked_vectors(
            self.states[nid], {Key.CIPHERTEXT_LIST: ciphertexts, Key.SOURCE_LIST: sources},
            int(MAX_WEIGHT), self.fl["ndarrays_to_parameters"]([update]))
        return out[Key.MASKED_PARAMETERS]

    def decode(self, encoded):
        """What the server does on receipt, outside its timed unmasking."""
        from flwr.common import bytes_to_ndarray
        return [bytes_to_ndarray(b) for b in encoded]

    def choose_dropped(self, rate, seed):
        """As fedcrm's side: round(rate * n) clients in a seeded order, skipping
        any whose loss would leave a neighbourhood below the threshold."""
        target = round(rate * self.n)
        alive = {nid: len(self.neighbours[nid]) for nid in self.nids}
        order = self.nids[:]
        random.Random(seed).shuffle(order)
        dropped = set()
        for candidate in order:
            if len(dropped) == target:
                break
            if all(alive[m] - 1 >= self.threshold for m in self.neighbours[candidate]):
                for m in self.neighbours[candidate]:
                    alive[m] -= 1
                dropped.add(candidate)
        if len(dropped) < target:
            raise ValueError(f"cannot drop {target} of {self.n} clients above the threshold")
        return dropped

    def unmask_shares(self, dropped):
        """Every survivor's unmask stage: owner nid -> its collected shares."""
        Key = self.fl["Key"]
        active = set(self.nids) - dropped
        collected = {nid: [] for nid in self.nids}
        for nid in active:
            neighbours = self.neighbours[nid]
            out = self.fl["mod"]._unmask(self.states[nid], {
                Key.ACTIVE_NODE_ID_LIST: list(neighbours & active),
                Key.DEAD_NODE_ID_LIST: list(neighbours & dropped)})
            for owner, share in zip(out[Key.NODE_ID_LIST], out[Key.SHARE_LIST]):
                collected[owner].append(share)
        return collected

    def server_unmask(self, masked_vectors, collected, dropped):
        """SecAggPlusWorkflow: the sum in collect_masked_vectors_stage, then
        unmask_stage up to (not including) factor_extract and dequantize."""
        fl, arith = self.fl, self.fl["arith"]
        masked = None
        for vector in masked_vectors:
            masked = vector if masked is None else arith.parameters_addition(masked, vector)
        masked = arith.parameters_mod(masked, MOD_RANGE)
        shape = arith.get_parameters_shape(masked)
        for nid, shares in collected.items():
            if len(shares) < self.threshold:
                raise ValueError(f"not enough shares to unmask client {nid}")
            secret = fl["combine_shares"](shares)
            if nid not in dropped:
                masked = arith.parameters_subtraction(
                    masked, fl["pseudo_rand_gen"](secret, MOD_RANGE, shape))
                continue
            for other in self.neighbours[nid] - {nid}:
                key = fl["generate_shared_key"](
                    fl["bytes_to_private_key"](secret),
                    fl["bytes_to_public_key"](self.public_keys[other][0]))
                mask = fl["pseudo_rand_gen"](key, MOD_RANGE, shape)
                if nid > other:
                    masked = arith.parameters_addition(masked, mask)
                else:
                    masked = arith.parameters_subtraction(masked, mask)
        return arith.parameters_mod(masked, MOD_RANGE)

    def dequantized_mean(self, recon, survivors):
        """The workflow's last step, for checking the result outside the timer."""
        fl = self.fl
        q_total_ratio, recon = fl["arith"].factor_extract(recon)
        out = fl["dequantize"](recon, CLIPPING_RANGE, QUANTIZATION_RANGE)
        inv = QUANTIZATION_RANGE / q_total_ratio
        return [(v - (survivors - 1) * CLIPPING_RANGE) * inv for v in out]


def timed(call, repetitions, long_call_s=1.0):
    """Best and median CPU seconds of up to `repetitions` calls, one call each
    and no warm-up: a call that takes long_call_s or more is not repeated, to
    keep the Python side bounded."""
    seconds = []
    result = None
    for _ in range(repetitions):
        cpu0 = time.process_time()
        result = call()
        seconds.append(time.process_time() - cpu0)
        if seconds[-1] >= long_call_s:
            break
    seconds.sort()
    return result, {"cpu_seconds": seconds[0], "cpu_seconds_median": seconds[len(seconds) // 2],
                    "repetitions": len(seconds)}


def run(config, max_seconds, budget_total):
    fl = import_flower()
    w = config["secagg"]
    started = time.process_time()
    results, skipped = [], []
    rng = np.random.default_rng(config["seed"])
    for n in w["clients"]:
        round_ = FlowerRound(fl, n, config["seed"] + n)
        previous = {}  # kind -> [(d, cpu seconds)] at the lengths measured so far
        for d in w["vector_lengths"]:
            def client_estimate():
                """Proportional to d from the last length (masking is per value)."""
                points = previous.get("client", [])
                return points[-1][1] * d / points[-1][0] if points else 0.0

            def server_estimate(kind, expansions):
                """The last length's time plus the extra mask expansions, priced
                from the client, which makes (neighbours + 1) of them per call:
                the server's fixed cost (Shamir) does not grow with d."""
                points, client_points = previous.get(kind, []), dict(previous.get("client", []))
                if not points or d not in client_points:
                    return 0.0
                last_d, last_s = points[-1]
                per_expansion = (client_points[d] - client_points[last_d]) / round_.num_shares
                return last_s + max(0.0, per_expansion) * expansions

            row = {"clients": n, "vector_length": d, "neighbours": round_.num_shares - 1,
                   "threshold": round_.threshold}
            # The client: masking costs the same whoever drops later.
            est = client_estimate()
            if est > max_seconds:
                skipped.append({"side": f"flower client n={n} d={d}",
                                "reason": f"too slow (est. {est:.1f} s)"})
                results.append(row)
                continue
            updates = {}

            def update(nid):
                if nid not in updates:
                    updates[nid] = rng.uniform(-1.0, 1.0, d)
                return updates[nid]

            probe = round_.nids[0]
            _, client = timed(lambda: round_.mask(probe, update(probe)), w["repetitions"])
            previous.setdefault("client", []).append((d, client["cpu_seconds"]))
            row["client_mask"] = client

            # Mask every client for real only when it fits the budget.
            real = (n - 1) * client["cpu_seconds"] <= max_seconds / 4
            masked = {}
            for nid in round_.nids:
                if real:
                    masked[nid] = round_.decode(round_.mask(nid, update(nid)))
                else:
                    # The stage also opens the shares the unmask stage reveals;
                    # a one-value update does that without the masking cost.
                    round_.mask(nid, np.zeros(1))
                    masked[nid] = [rng.integers(0, MOD_RANGE, 1, dtype=np.int64),
                                   rng.integers(0, MOD_RANGE, d, dtype=np.int64)]
            row["server_input"] = "real masked vectors" if real else (
                "stand-in masked vectors (random, same shape; sum not checked)")
            row["server_unmask"] = {}
            for rate in w["dropout_rates"]:
                key = f"drop{round(rate * 100)}"
                dropped = round_.choose_dropped(rate, config["seed"] + n)
                # A self mask per survivor; a pairwise mask per neighbour of
                # each dropped client.
                expansions = n - len(dropped) + len(dropped) * (round_.num_shares - 1)
                est = server_estimate(key, expansions)
                if est > max_seconds or time.process_time() - started + est > budget_total:
                    skipped.append({"side": f"flower server n={n} d={d} {key}",
                                    "reason": f"too slow (est. {est:.1f} s)"})
                    continue
                collected = round_.unmask_shares(dropped)
                survivors = [masked[nid] for nid in round_.nids if nid not in dropped]
                recon, server = timed(
                    lambda: round_.server_unmask(survivors, collected, dropped), w["repetitions"])
                previous.setdefault(key, []).append((d, server["cpu_seconds"]))
                server["dropped"] = len(dropped)
                if real:
                    # With every weight at max_weight the workflow returns the
                    # survivors' mean; stochastic rounding is off by at most a
                    # quantization step per value.
                    got = round_.dequantized_mean(recon, len(survivors))[0]
                    want = sum(updates[nid] for nid in round_.nids if nid not in dropped)
                    server["mean_error"] = float(np.max(np.abs(got - want / len(survivors))))
                    server["sum_ok"] = server["mean_error"] < 4 * CLIPPING_RANGE / QUANTIZATION_RANGE
                row["server_unmask"][key] = server
            results.append(row)
            print(f"  flower n={n} d={d}: client {client['cpu_seconds'] * 1e3:.1f} ms; server "
                  + ", ".join(f"{k} {v['cpu_seconds'] * 1e3:.0f} ms"
                              for k, v in row["server_unmask"].items()), flush=True)
    return results, skipped


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--max_seconds", type=float, default=60.0,
                        help="skip a timed call estimated to take longer")
    parser.add_argument("--budget_seconds", type=float, default=240.0,
                        help="skip what would take the whole Flower side past this")
    args = parser.parse_args()
    config = load_config(args.config)
    try:
        results, skipped = run(config, args.max_seconds, args.budget_seconds)
        versions = {"flwr": version("flwr"), "numpy": np.__version__}
    except ImportError as e:
        results, versions = [], {}
        skipped = [{"side": "flower", "reason": f"cannot import flwr: {e}"}]
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"results": results, "skipped": skipped, "versions": versions,
                   "settings": {"modulus_range": MOD_RANGE, "clipping_range": CLIPPING_RANGE,
                                "quantization_range": QUANTIZATION_RANGE}}, f, indent=1)


if __name__ == "__main__":
    main()
