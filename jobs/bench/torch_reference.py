#!/usr/bin/env python3
"""PyTorch reference for io.tsforge.bench.LstmBench (shared/BENCHMARKS.md section 3): the same series formula,
windows, network, minibatch, optimiser and epochs, timed the same way (seconds per epoch after the warm-up epochs).

usage: jobs/bench/torch_reference.py [sine|large] [EPOCHS] [BATCH] [MAX_BATCHES]
       (threads: OMP_NUM_THREADS, default 1; MAX_BATCHES: train each epoch on the first minibatches only, as LstmBench;
       TORCH_WARMUP: epochs left out of the mean, default 1, as TrainBench's -Dbench.warmupEpochs; TORCH_SEED: the seed of
       the initial weights and of the minibatch order, default 1; TORCH_BATCHES: fixed (default: the windows shuffled
       once into minibatches whose order is shuffled every epoch, as TrainBench and the train job do) or reshuffle (new
       minibatches every epoch);
       TORCH_IMPL_SUFFIX: appended to the impl name of the RESULT line, e.g. "+openblas")

sine  = 1 LSTM layer of 32 units + dense output, window 24 x 1 feature, horizon 1, Adam 1e-2, 3,975 training windows
large = 2 x 128 units, lookback 168, otherwise the same.
The series is TrainBench's: the same formula and the same noise draws (java.util.Random(42) reimplemented below), so
both sides fit and validate on the same windows (the order of the minibatches and the initial weights still come from
each side's own generator). The network is set up as tsforge builds it (NetworkFactory with the project's
defaults): DL4J's Xavier init (normal, std sqrt(2 / (fanIn + fanOut)), LSTM fanIn = units, fanOut = inputs + units),
forget-gate bias 1 and zero other biases, one bias vector per LSTM layer (PyTorch's second one is zeroed and frozen),
and the default train.gradientClip=l2: each layer's gradient clipped to L2 norm 1.0 (DL4J's ClipL2PerLayer).
Prints one line per epoch (wall and process CPU seconds) and a RESULT line like LstmBench's.
"""
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn


class JavaRandom:
    """java.util.Random (48-bit LCG) and its nextGaussian (polar method, pairs cached), so that the series is the Java
    side's to the last bit of its float32 values but where StrictMath.log and math.log could round differently."""

    def __init__(self, seed):
        self.seed = (seed ^ 0x5DEECE66D) & ((1 << 48) - 1)
        self.next_gaussian = None

    def next(self, bits):
        self.seed = (self.seed * 0x5DEECE66D + 0xB) & ((1 << 48) - 1)
        r = self.seed >> (48 - bits)
        return r - (1 << 32) if r >= 1 << 31 else r  # Java's (int) cast: negative only for 32 bits

    def next_double(self):
        return ((self.next(26) << 27) + self.next(27)) * (1.0 / (1 << 53))

    def gaussian(self):
        if self.next_gaussian is not None:
            g, self.next_gaussian = self.next_gaussian, None
            return g
        while True:
            v1 = 2 * self.next_double() - 1
            v2 = 2 * self.next_double() - 1
            s = v1 * v1 + v2 * v2
            if 0 < s < 1:
                break
        m = math.sqrt(-2 * math.log(s) / s)
        self.next_gaussian = v2 * m
        return v1 * m


def windows(lookback):
    n = 5000 + (lookback - 24)
    # the series of io.tsforge.bench.TrainBench.sine: the same formula and the same noise draws (java.util.Random(42))
    rng = JavaRandom(42)
    noise = np.array([rng.gaussian() for _ in range(n)])
    t = np.arange(n)
    series = (np.sin(2 * math.pi * t / 50.0) + 0.5 * np.sin(2 * math.pi * t / 13.0)
              + 0.1 * noise).astype(np.float32)

    def make(origins):
        x = np.stack([series[o - lookback + 1:o + 1] for o in origins])[:, :, None]  # [n, T, 1]
        y = np.array([[series[o + 1]] for o in origins], dtype=np.float32)
        return torch.from_numpy(x), torch.from_numpy(y)

    train = make(range(lookback - 1, lookback - 1 + 3975))
    val = make(range(n - 1000, n - 1))
    return train, val


def xavier_(w, fan_in, fan_out):
    with torch.no_grad():
        w.normal_(0.0, math.sqrt(2.0 / (fan_in + fan_out)))


class Net(nn.Module):
    def __init__(self, units, layers):
        super().__init__()
        self.lstm = nn.LSTM(1, units, num_layers=layers, batch_first=True)
        self.head = nn.Linear(units, 1)
        self.groups = []  # parameters per layer, for DL4J's per-layer gradient clipping
        for k in range(layers):
            n_in = 1 if k == 0 else units
            w_ih, w_hh = getattr(self.lstm, "weight_ih_l%d" % k), getattr(self.lstm, "weight_hh_l%d" % k)
            b_ih, b_hh = getattr(self.lstm, "bias_ih_l%d" % k), getattr(self.lstm, "bias_hh_l%d" % k)
            xavier_(w_ih, units, n_in + units)
            xavier_(w_hh, units, n_in + units)
            with torch.no_grad():
                b_ih.zero_()
                b_ih[units:2 * units] = 1.0  # gate order i, f, g, o: forget-gate bias 1, as DL4J's LSTM
                b_hh.zero_()
            b_hh.requires_grad_(False)
            self.groups.append([w_ih, w_hh, b_ih])
        xavier_(self.head.weight, units, 1)
        with torch.no_grad():
            self.head.bias.zero_()
        self.groups.append([self.head.weight, self.head.bias])

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1, :])


def main():
    workload = sys.argv[1] if len(sys.argv) > 1 else "sine"
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 32
    max_batches = int(sys.argv[4]) if len(sys.argv) > 4 else 1000000
    if workload not in ("sine", "large"):
        raise SystemExit("workload must be sine or large, found " + workload)
    warmup = int(os.environ.get("TORCH_WARMUP", "1"))
    if epochs <= warmup:
        raise SystemExit("epochs must be > the %d warm-up epoch(s), found %d" % (warmup, epochs))
    lookback, units, layers = (24, 32, 1) if workload == "sine" else (168, 128, 2)
    threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    torch.set_num_threads(threads)
    torch.manual_seed(int(os.environ.get("TORCH_SEED", "1")))
    (xt, yt), (xv, yv) = windows(lookback)
    net = Net(units, layers)
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=1e-2)
    loss_fn = nn.MSELoss()
    gen = torch.Generator().manual_seed(int(os.environ.get("TORCH_SEED", "1")))
    seconds, cpu, vals = [], [], []
    last_loss = float("nan")
    # TORCH_BATCHES=fixed (default): the windows are shuffled once into fixed minibatches whose order is shuffled every
    # epoch, as TrainBench's fit and the train job do; reshuffle: new minibatches every epoch (PyTorch's usual loader)
    fixed = os.environ.get("TORCH_BATCHES", "fixed") == "fixed"
    windows_order = torch.randperm(len(xt), generator=gen)
    starts = list(range(0, min(len(xt), batch * max_batches), batch))
    for e in range(epochs):
        order = windows_order if fixed else torch.randperm(len(xt), generator=gen)
        batch_order = [starts[k] for k in torch.randperm(len(starts), generator=gen)] if fixed else starts
        total, count = 0.0, 0
        t0, c0 = time.perf_counter(), time.process_time()
        for i in batch_order:
            idx = order[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(net(xt[idx]), yt[idx])
            loss.backward()
            for group in net.groups:
                nn.utils.clip_grad_norm_(group, 1.0)
            opt.step()
            total += loss.item()
            count += 1
        seconds.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        last_loss = total / count
        with torch.no_grad():
            val = loss_fn(net(xv), yv).item()
        vals.append(val)
        print("epoch %d torch %.2f s (cpu %.2f s), mean training loss %.5f, validation MSE %.5f"
              % (e + 1, seconds[-1], cpu[-1], last_loss, val))
    steady = sum(seconds[warmup:]) / (epochs - warmup)
    val_mean = sum(vals[warmup:]) / (epochs - warmup)
    best = min(range(epochs), key=lambda k: vals[k])  # the lowest over all epochs, with its epoch
    steady_cpu = sum(cpu[warmup:]) / (epochs - warmup)
    print("RESULT workload=%s impl=torch-%s batch=%d batches_per_epoch=%d seconds_per_epoch=%.2f "
          "cpu_seconds_per_epoch=%.2f train_loss=%.5f val_mse=%.6f val_mse_mean=%.6f val_mse_best=%.6f best_epoch=%d "
          "omp=%d"
          % (workload, torch.__version__ + os.environ.get("TORCH_IMPL_SUFFIX", ""), batch, count, steady, steady_cpu, last_loss, val,
             val_mean, vals[best], best + 1, threads))


if __name__ == "__main__":
    main()
