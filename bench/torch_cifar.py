"""PyTorch side of bench/cifar.ts: the same CIFAR-size CNN (conv 32-32-pool-64-64-pool-linear 10,
3x3 same convs, ReLU) trained with Adam on random images and labels from a fixed seed; prints the
best of 2 epochs' images/s as a JSON row.
Run by the benchmark through /usr/bin/python3; usage: torch_cifar.py SPEC.json"""
import json
import sys
import time

import torch
import torch.nn as nn

spec = json.load(open(sys.argv[1]))
torch.set_num_threads(spec['threads'])
torch.manual_seed(0)
n, batch = spec['n'], spec['batch']
x = torch.rand(n, 3, 32, 32)
y = torch.randint(0, 10, (n,))
net = nn.Sequential(
    nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(64 * 8 * 8, 10))
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()


def epoch(count):
    # shuffled batches, as gradlab's fit (and Keras') takes them by default
    perm = torch.randperm(count)
    for s in range(0, count, batch):
        idx = perm[s:s + batch]
        opt.zero_grad()
        loss_fn(net(x[idx]), y[idx]).backward()
        opt.step()


epoch(batch * 4)  # warm-up
best = 0.0
for _ in range(2):
    t = time.perf_counter()
    epoch(n)
    best = max(best, n / (time.perf_counter() - t))
threads = torch.get_num_threads()
print(json.dumps([{'workload': spec['workload'], 'impl': spec['impl'], 'value': best, 'unit': 'images/s',
                   'note': f"torch {torch.__version__}, {threads} thread{'s' if threads > 1 else ''}, {n} images, best of 2 epochs"}]))
