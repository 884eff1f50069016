"""Shared by the PyTorch peers of the benchmark (torch_training.py, torch_cifar.py, torch_zoo.py):
the training epoch in shuffled batches, its timing, and the note naming torch and its threads.
Imported from the scripts' own folder, which Python puts first on the path."""
import time

import torch


def shuffled_epoch(net, opt, loss_fn, x, y, count, batch):
    """One epoch over the first `count` samples in shuffled batches, as gradlab's fit (and Keras') takes them."""
    perm = torch.randperm(count)
    for s in range(0, count, batch):
        idx = perm[s:s + batch]
        opt.zero_grad()
        loss_fn(net(x[idx]), y[idx]).backward()
        opt.step()


def best_epoch_rate(net, opt, loss_fn, x, y, n, batch, warm, epochs=2):
    """Samples/s of the best of `epochs` epochs over n samples, after a warm-up epoch over `warm`."""
    shuffled_epoch(net, opt, loss_fn, x, y, warm, batch)
    best = 0.0
    for _ in range(epochs):
        t = time.perf_counter()
        shuffled_epoch(net, opt, loss_fn, x, y, n, batch)
        best = max(best, n / (time.perf_counter() - t))
    return best


def thread_note():
    threads = torch.get_num_threads()
    return f"torch {torch.__version__}, {threads} thread{'s' if threads > 1 else ''}"
