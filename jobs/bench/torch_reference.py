#!/usr/bin/env python3
"""PyTorch reference for io.tsforge.bench.LstmBench (shared/BENCHMARKS.md section 3): the same series formula,
windows, network, minibatch, optimiser and epochs, timed the same way (seconds per epoch after the warm-up epochs).

usage: jobs/bench/torch_reference.py [sine|large] [EPOCHS] [BATCH] [MAX_BATCHES]
       (threads: OMP_NUM_THREADS, default 1; MAX_BATCHES: train each epoch on the first minibatches only, as LstmBench;
       TORCH_WARMUP: epochs left out of the mean, default 1, as TrainBench's -Dbench.warmupEpochs;
       TORCH_IMPL_SUFFIX: appended to the impl name of the RESULT line, e.g. "+openblas")

sine  = 1 LSTM layer of 32 units + dense output, window 24 x 1 feature, horizon 1, Adam 1e-2, 3,975 training windows
large = 2 x 128 units, lookback 168, otherwise the same.
The noise term comes from numpy, not java.util.Random, so the series differs from the Java one in its noise only
(same formula, same noise level). The network is set up as tsforge builds it (NetworkFactory with the project's
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


def windows(lookback):
    n = 5000 + (lookback - 24)
    rng = np.random.default_rng(42)
    t = np.arange(n)
    series = (np.sin(2 * math.pi * t / 50.0) + 0.5 * np.sin(2 * math.pi * t / 13.0)
              + 0.1 * rng.standard_normal(n)).astype(np.float32)

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
    torch.manual_seed(1)
    (xt, yt), (xv, yv) = windows(lookback)
    net = Net(units, layers)
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=1e-2)
    loss_fn = nn.MSELoss()
    gen = torch.Generator().manual_seed(1)
    seconds, cpu = [], []
    last_loss = float("nan")
    for e in range(epochs):
        order = torch.randperm(len(xt), generator=gen)
        total, count = 0.0, 0
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(0, min(len(xt), batch * max_batches), batch):
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
        print("epoch %d torch %.2f s (cpu %.2f s), mean training loss %.5f, validation MSE %.5f"
              % (e + 1, seconds[-1], cpu[-1], last_loss, val))
    steady = sum(seconds[warmup:]) / (epochs - warmup)
    steady_cpu = sum(cpu[warmup:]) / (epochs - warmup)
    print("RESULT workload=%s impl=torch-%s batch=%d batches_per_epoch=%d seconds_per_epoch=%.2f "
          "cpu_seconds_per_epoch=%.2f train_loss=%.5f val_mse=%.6f omp=%d"
          % (workload, torch.__version__ + os.environ.get("TORCH_IMPL_SUFFIX", ""), batch, count, steady, steady_cpu, last_loss, val,
             threads))


if __name__ == "__main__":
    main()
