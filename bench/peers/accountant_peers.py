"""The Python side of the accountant table in `make bench`: the time to
compute epsilon for the configured sampled Gaussian mechanism and the epsilon
itself, with dp_accounting's RDP accountant (its default orders) and, when
torch is installed, Opacus's RDP analysis (given the same orders, since
Opacus's own default list lacks 11 and 128..1024).

  python accountant_peers.py --config bench/workloads.json --out FILE
"""

import argparse
import json
from importlib.metadata import version

from bench_inputs import load_config
from timing import measure

# fedcrm::privacy::DefaultOrders(), spelled out.
FEDCRM_ORDERS = [1 + x / 10.0 for x in range(1, 100)] + list(range(11, 64)) + [128, 256, 512, 1024]


def dp_accounting_side(workload):
    import dp_accounting
    from dp_accounting.rdp import rdp_privacy_accountant

    event = dp_accounting.PoissonSampledDpEvent(
        workload["sampling_rate"], dp_accounting.GaussianDpEvent(workload["noise_multiplier"]))

    def epsilon():
        accountant = rdp_privacy_accountant.RdpAccountant()
        accountant.compose(event, workload["steps"])
        return accountant.get_epsilon_and_optimal_order(workload["delta"])

    orders_match = [float(o) for o in rdp_privacy_accountant.DEFAULT_RDP_ORDERS] == FEDCRM_ORDERS
    return "dp_accounting", version("dp-accounting"), epsilon, orders_match


def opacus_side(workload):
    from opacus.accountants.analysis import rdp

    def epsilon():
        curve = rdp.compute_rdp(q=workload["sampling_rate"], noise_multiplier=workload["noise_multiplier"],
                                steps=workload["steps"], orders=FEDCRM_ORDERS)
        return rdp.get_privacy_spent(orders=FEDCRM_ORDERS, rdp=curve, delta=workload["delta"])

    return "opacus", version("opacus"), epsilon, True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--no_torch", action="store_true", help="skip Opacus")
    args = parser.parse_args()
    config = load_config(args.config)
    workload = config["accountant"]

    results, skipped = [], []
    sides = [dp_accounting_side] + ([] if args.no_torch else [opacus_side])
    for side in sides:
        try:
            name, side_version, epsilon, orders_match = side(workload)
        except ImportError as error:
            skipped.append({"side": side.__name__.removesuffix("_side"),
                            "reason": f"cannot import: {error}"})
            continue
        eps, order = epsilon()

        def call():
            epsilon()
            return 1

        timing = measure(call, config["repetitions"], config["min_time_s"])
        results.append({"side": name, "version": side_version, "epsilon": float(eps),
                        "order": float(order), "orders_match_fedcrm": orders_match,
                        "seconds_per_epsilon": timing["cpu_seconds_per_call"],
                        "seconds_per_epsilon_median": timing["cpu_seconds_per_call_median"]})
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"results": results, "skipped": skipped}, f, indent=1)


if __name__ == "__main__":
    main()
