"""NumPy-style baseline for `deno task bench`: float64 forward + BPTT of P DMS networks
(30 units, 6 inputs, 1 output; 16 sequences x 58 steps), batched over the 16 sequences, one
network after another, as in the spec's NumPy reference. Run with one BLAS thread.

usage: python3 tools/bench/numpy_baseline.py P SECONDS   -> prints one JSON object:
evalsPerSecond (wall clock, what `deno task bench` reports), calls, seconds, numpy, and
cpuSecondsPerEval: the least CPU time (time.process_time) of one evaluation, over the calls (each
call evaluates the P networks once); cpuSecondsPerEvalMean: the CPU time of all timed calls per
evaluation (the bench's CPU column, as the engines' rows count it). On a machine shared with other work CPU time is less disturbed
than wall time; tools/bench/kernel_cpu_time.ts sets it beside the WebAssembly kernels'.
"""
import json
import sys
import time

import numpy as np

N, NI, NO, S, T = 30, 6, 1, 16, 58


def loss_and_grad(B, A, C, U, Y):
    # U: T x S x NI, Y: T x S x NO
    R = np.zeros((T, S, N))
    prev = np.zeros((S, N))
    for k in range(T):
        prev = np.tanh(U[k] @ B.T + prev @ A.T)
        R[k] = prev
    E = R @ C.T - Y  # T x S x NO
    loss = float(np.sum(E * E)) / (S * T)
    E2 = 2.0 * E
    gB = np.zeros_like(B)
    gA = np.zeros_like(A)
    gC = np.einsum("tso,tsn->on", E2, R)
    delta = np.zeros((S, N))
    for k in range(T - 1, -1, -1):
        delta = (1.0 - R[k] ** 2) * (E2[k] @ C + delta @ A)
        gB += delta.T @ U[k]
        if k > 0:
            gA += delta.T @ R[k - 1]
    sc = 1.0 / (S * T)
    return loss, gB * sc, gA * sc, gC * sc


def main():
    p = int(sys.argv[1])
    seconds = float(sys.argv[2])
    rng = np.random.default_rng(1)
    nets = []
    for _ in range(p):
        B = 0.2 * rng.standard_normal((N, NI))
        A = 0.1 * rng.standard_normal((N, N)) + 0.5 * np.eye(N)
        C = 0.2 * rng.standard_normal((NO, N))
        U = rng.integers(0, 2, size=(T, S, NI)).astype(float)
        U[:, :, 0] = 1.0
        Y = 0.1 * rng.standard_normal((T, S, NO))
        nets.append((B, A, C, U, Y))
    for net in nets[:1]:
        loss_and_grad(*net)  # warm-up
    calls = 0
    best_cpu = float("inf")
    cpu_start = time.process_time()
    t0 = time.perf_counter()
    while True:
        c0 = time.process_time()
        for net in nets:
            loss_and_grad(*net)
        best_cpu = min(best_cpu, (time.process_time() - c0) / p)
        calls += 1
        el = time.perf_counter() - t0
        if el >= seconds:
            break
    cpu_mean = (time.process_time() - cpu_start) / (calls * p)
    print(json.dumps({"evalsPerSecond": calls * p / el, "calls": calls, "seconds": el,
                      "numpy": np.__version__, "cpuSecondsPerEval": best_cpu,
                      "cpuSecondsPerEvalMean": cpu_mean}))


if __name__ == "__main__":
    main()
