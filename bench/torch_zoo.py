"""PyTorch side of bench/zoo.ts: each model of bench/zoo-models.json built from the same spec
(NCHW, padding 'same' as k // 2, transposed convs with output_padding 1 to double the size),
trained with Adam on seeded random data in shuffled batches (as gradlab's fit takes them); prints
one JSON row per model with the best of 2 epochs.
Run by the benchmark through /usr/bin/python3; usage: torch_zoo.py SPEC.json"""
import json
import sys

import torch
import torch.nn as nn

from torch_common import best_epoch_rate, thread_note

spec = json.load(open(sys.argv[1]))
torch.set_num_threads(spec['threads'])
ACT = {'relu': nn.ReLU, 'tanh': nn.Tanh, 'sigmoid': nn.Sigmoid}


def act(name):
    return [ACT[name]()] if name in ACT else []


def build(m):
    size, ch, mods = list(m['input'][:-1]), m['input'][-1], []
    for layer in m['layers']:
        kind, args = layer[0], layer[1:]
        if kind == 'conv':
            f, k, s, pad, a = args
            p = k // 2 if pad == 'same' else 0
            mods += [nn.Conv2d(ch, f, k, s, p)] + act(a)
            size, ch = [(d + 2 * p - k) // s + 1 for d in size], f
        elif kind == 'conv1d':
            f, k, pad, a = args
            p = k // 2 if pad == 'same' else 0
            mods += [nn.Conv1d(ch, f, k, 1, p)] + act(a)
            size, ch = [size[0] + 2 * p - k + 1], f
        elif kind == 'sep':
            f, k, pad, a = args
            mods += [nn.Conv2d(ch, ch, k, 1, k // 2, groups=ch, bias=False), nn.Conv2d(ch, f, 1)] + act(a)
            ch = f
        elif kind == 'convT':
            f, k, s, a = args
            mods += [nn.ConvTranspose2d(ch, f, k, s, padding=k // 2, output_padding=s - 1)] + act(a)
            size, ch = [d * s for d in size], f
        elif kind in ('maxpool', 'avgpool', 'maxpool1d'):
            mods.append({'maxpool': nn.MaxPool2d, 'avgpool': nn.AvgPool2d, 'maxpool1d': nn.MaxPool1d}[kind](args[0]))
            size = [d // args[0] for d in size]
        elif kind == 'dropout':
            mods.append(nn.Dropout(args[0]))
        elif kind == 'bn':
            mods.append(nn.BatchNorm2d(ch))
        elif kind == 'relu':
            mods.append(nn.ReLU())
        elif kind in ('gap', 'gmp'):
            mods += [nn.AdaptiveAvgPool2d(1) if kind == 'gap' else nn.AdaptiveMaxPool2d(1), nn.Flatten()]
            size = []
        elif kind == 'flatten':
            mods.append(nn.Flatten())
            for d in size:
                ch *= d
            size = []
        elif kind == 'dense':
            # softmax is in the loss (CrossEntropyLoss), as in the other PyTorch peers
            mods += [nn.Linear(ch, args[0])] + ([] if args[1] == 'softmax' else act(args[1]))
            ch = args[0]
        else:
            raise ValueError(f"model {m['name']}: unknown layer kind {kind}")
    return nn.Sequential(*mods)


rows = []
for m in spec['models']:
    torch.manual_seed(0)
    n, batch = m['n'], m['batch']
    x = torch.rand(n, m['input'][-1], *m['input'][:-1])
    mse = m.get('loss') == 'mse'
    y = x if mse else torch.randint(0, m['layers'][-1][1], (n,))
    net = build(m)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss() if mse else nn.CrossEntropyLoss()

    best = best_epoch_rate(net, opt, loss_fn, x, y, n, batch, warm=batch * 4)
    rows.append({'workload': m['workload'], 'impl': spec['impl'], 'value': best, 'unit': 'images/s', 'note': thread_note()})
print(json.dumps(rows))
