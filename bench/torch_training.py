"""PyTorch side of bench/training.ts: LeNet-5 training/inference and the dense 784-256-10 network,
on the same MNIST slice, printed as JSON rows. Training draws shuffled batches each epoch, as
gradlab's fit does. Run by the benchmark through /usr/bin/python3.
spec: {"images": IDX path, "threads": int, "n": int} (bench/training.ts)."""
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn

from torch_common import best_epoch_rate, thread_note

with open(sys.argv[1]) as f:
    spec = json.load(f)
torch.set_num_threads(spec["threads"])
torch.manual_seed(0)
data = np.fromfile(spec["images"], dtype=np.uint8)
n = spec["n"]
x = torch.from_numpy(data[16:16 + n * 784].astype(np.float32).reshape(n, 1, 28, 28) / 255.0)
y = torch.randint(0, 10, (n,))


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def train_rate(model, xs, batch):
    """One timed epoch over all of xs after a warm-up epoch."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    n = xs.shape[0]
    return best_epoch_rate(model, opt, nn.CrossEntropyLoss(), xs, y, n, batch, warm=n, epochs=1)


def infer_rate(model, xs, batch):
    with torch.no_grad():
        model(xs[:batch])
        t = time.perf_counter()
        for s in range(0, xs.shape[0], batch):
            model(xs[s:s + batch])
        return xs.shape[0] / (time.perf_counter() - t)


rows = []
m = lenet()
rows.append({"workload": "LeNet-5 training (batch 64, Adam)", "value": train_rate(m, x, 64), "unit": "images/s"})
m.eval()
rows.append({"workload": "LeNet-5 inference (batch 256)", "value": infer_rate(m, x, 256), "unit": "images/s"})
dense = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.Sigmoid(), nn.Linear(256, 10))
rows.append({"workload": "dense 784-256-10 training (batch 100, Adam)", "value": train_rate(dense, x, 100), "unit": "samples/s"})
for r in rows:
    r["impl"] = "pytorch" if torch.get_num_threads() > 1 else "pytorch, 1 thread"
    r["note"] = thread_note()
print(json.dumps(rows))
