"""PyTorch side of bench/cifar.ts: the same CIFAR-size CNN (conv 32-32-pool-64-64-pool-linear 10,
3x3 same convs, ReLU) trained with Adam on random images and labels from a fixed seed; prints the
best of 2 epochs' images/s as a JSON row.
Run by the benchmark through /usr/bin/python3; usage: torch_cifar.py SPEC.json"""
import json
import sys

import torch
import torch.nn as nn

from torch_common import best_epoch_rate, thread_note

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


best = best_epoch_rate(net, opt, loss_fn, x, y, n, batch, warm=batch * 4)
print(json.dumps([{'workload': spec['workload'], 'impl': spec['impl'], 'value': best, 'unit': 'images/s',
                   'note': f"{thread_note()}, {n} images, best of 2 epochs"}]))
