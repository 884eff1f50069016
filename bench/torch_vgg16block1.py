"""PyTorch side of bench/vgg16block1.ts: VGG16 block 1 (conv 64 3x3 same + ReLU twice, 2x2 max pool)
on a random NCHW batch, forward under no_grad and forward + backward of sum(output), timed as
bench/torch_kernels.py times (median after warm-up). Prints JSON rows.
Run by the benchmark through /usr/bin/python3; usage: torch_vgg16block1.py SPEC.json"""
import json
import sys
import time

import torch
import torch.nn as nn


def time_ms(fn, warm_calls=1, min_reps=3, min_s=1.0, max_reps=7):
    for _ in range(warm_calls):
        fn()
    ts = []
    t0 = time.perf_counter()
    while len(ts) < max_reps and (len(ts) < min_reps or time.perf_counter() - t0 < min_s):
        s = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - s) * 1000)
    ts.sort()
    h = len(ts) // 2
    return ts[h] if len(ts) % 2 else (ts[h - 1] + ts[h]) / 2


spec = json.load(open(sys.argv[1]))
torch.set_num_threads(spec['threads'])
torch.manual_seed(0)
B, S = spec['batch'], spec['size']
net = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2))
x = torch.randn(B, 3, S, S)


def forward():
    with torch.no_grad():
        net(x)


def step():
    net.zero_grad(set_to_none=True)
    net(x).sum().backward()


note = f"torch {torch.__version__}, {torch.get_num_threads()} threads"
rows = [{'workload': spec['fwd'], 'impl': spec['impl'], 'value': time_ms(forward), 'unit': 'ms', 'note': note},
        {'workload': spec['bwd'], 'impl': spec['impl'], 'value': time_ms(step), 'unit': 'ms', 'note': note}]
print(json.dumps(rows))
