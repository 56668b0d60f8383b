"""Timing that mirrors fedcrm_bench's Google Benchmark settings: each
repetition repeats a call until it has used min_time_s of process CPU time.
CPU time, not wall time, because the benchmark machines are shared with
builds; every side runs one thread. Other load still slows a repetition
(shared caches, memory bandwidth), never speeds it up, so the best
repetition is the headline figure and the median is kept beside it."""

import statistics
import time


def measure(call, repetitions, min_time_s):
    """call() runs one timed unit and returns the examples it used.

    Returns examples per CPU second (best and median over repetitions), per
    wall second (median), and CPU seconds per call (best and median)."""
    call()  # warm-up: first-touch allocations, lazy imports, caches
    per_cpu, per_wall, per_call = [], [], []
    for _ in range(repetitions):
        examples = calls = 0
        cpu0, wall0 = time.process_time(), time.perf_counter()
        while True:
            examples += call()
            calls += 1
            cpu = time.process_time() - cpu0
            if cpu >= min_time_s:
                break
        wall = time.perf_counter() - wall0
        per_cpu.append(examples / cpu)
        per_wall.append(examples / wall)
        per_call.append(cpu / calls)
    return {
        "examples_per_cpu_second": max(per_cpu),
        "examples_per_cpu_second_median": statistics.median(per_cpu),
        "examples_per_wall_second_median": statistics.median(per_wall),
        "cpu_seconds_per_call": min(per_call),
        "cpu_seconds_per_call_median": statistics.median(per_call),
        "repetitions": repetitions,
    }
