"""PyTorch side of bench/vgg16.ts: VGG16's conv base (3x3 'same' convs + ReLU, 2x2 max-pools) on the
weights gradlab wrote ([3,3,in,out] kernels then biases, layer by layer), timed on the same NHWC
batch; prints one JSON row with the max |PyTorch - gradlab| over the outputs in its note.
Run by the benchmark through /usr/bin/python3; usage: torch_vgg16.py SPEC.json"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn

spec = json.load(open(sys.argv[1]))
torch.set_num_threads(spec['threads'])
B, S = spec['batch'], spec['size']
w = np.fromfile(spec['weights'], dtype=np.float32)
layers, cin, off = [], 3, 0
for block in spec['blocks']:
    for f in block:
        conv = nn.Conv2d(cin, f, 3, padding=1)
        k = w[off:off + 9 * cin * f].reshape(3, 3, cin, f)
        off += 9 * cin * f
        b = w[off:off + f]
        off += f
        with torch.no_grad():
            conv.weight.copy_(torch.from_numpy(k.transpose(3, 2, 0, 1).copy()))
            conv.bias.copy_(torch.from_numpy(b.copy()))
        layers += [conv, nn.ReLU(inplace=True)]
        cin = f
    layers.append(nn.MaxPool2d(2, 2))
assert off == w.size, (off, w.size)
net = nn.Sequential(*layers).eval()
x = torch.from_numpy(np.fromfile(spec['x'], dtype=np.float32).reshape(B, S, S, 3)).permute(0, 3, 1, 2).contiguous()
want = np.fromfile(spec['want'], dtype=np.float32)

with torch.no_grad():
    out = net(x)
    best = float('inf')
    for _ in range(spec['rounds']):
        t = time.perf_counter()
        out = net(x)
        best = min(best, time.perf_counter() - t)
got = out.permute(0, 2, 3, 1).contiguous().numpy().ravel()
diff = float(np.max(np.abs(got - want))) if got.size == want.size else float('nan')
print(json.dumps([{'workload': spec['workload'], 'impl': spec['impl'], 'value': B / best, 'unit': 'images/s',
                   'note': f'max |pytorch - gradlab| {diff:.1e}, best of {spec["rounds"]}'}]))
