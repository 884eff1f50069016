"""PyTorch side of bench/gemm.ts, bench/conv.ts and bench/grouped.ts: times GEMM and conv2d forward/backward on the
same float32 data (raw .f32 files written by the TypeScript side) and prints JSON rows.
Run by the benchmark through /usr/bin/python3; usage: torch_kernels.py SPEC.json"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def time_ms(fn, warm_calls=2, warm_s=0.3, min_reps=5, min_s=1.0, max_reps=40):
    t0 = time.perf_counter()
    i = 0
    while i < warm_calls or time.perf_counter() - t0 < warm_s:
        fn()
        i += 1
    ts = []
    t0 = time.perf_counter()
    while len(ts) < max_reps and (len(ts) < min_reps or time.perf_counter() - t0 < min_s):
        s = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - s) * 1000)
    ts.sort()
    h = len(ts) // 2
    return ts[h] if len(ts) % 2 else (ts[h - 1] + ts[h]) / 2


def load(path, shape):
    return torch.from_numpy(np.fromfile(path, dtype=np.float32).reshape(shape))


def main():
    spec = json.load(open(sys.argv[1]))
    torch.set_num_threads(spec['threads'])
    impl = spec['impl']
    rows = []
    with torch.no_grad():
        for g in spec['gemm']:
            n = g['n']
            a, b = load(g['a'], (n, n)), load(g['b'], (n, n))
            ms = time_ms(lambda: torch.mm(a, b))
            rows.append({'workload': g['workload'], 'impl': impl, 'value': 2 * n ** 3 / (ms * 1e6), 'unit': 'GFLOP/s'})
        for c in spec['conv']:
            N, H, W, C = c['x_shape']
            KH, KW, _, M = c['w_shape']
            # gradlab and tfjs are NHWC / [kh,kw,in,out]; PyTorch wants NCHW / [out,in,kh,kw]
            x = load(c['x'], c['x_shape']).permute(0, 3, 1, 2).contiguous()
            w = load(c['w'], c['w_shape']).permute(3, 2, 0, 1).contiguous()
            dy = load(c['dy'], c['dy_shape']).permute(0, 3, 1, 2).contiguous()
            stride, pad, dil = c['stride'], c['padding'], c['dilation']
            # grouped / depthwise (bench/grouped.ts): w [kh,kw,C/groups,M] -> [M,C/groups,kh,kw]
            groups = c.get('groups', 1)
            fwd = lambda: F.conv2d(x, w, None, stride, pad, dil, groups)
            bwd = lambda mask: torch.ops.aten.convolution_backward(
                dy, x, w, None, stride, pad, dil, False, [0, 0], groups, mask)
            for name, fn in ((c['fwd'], fwd),
                             (c['bwd_input'], lambda: bwd([True, False, False])),
                             (c['bwd_filter'], lambda: bwd([False, True, False]))):
                rows.append({'workload': name, 'impl': impl, 'value': time_ms(fn), 'unit': 'ms'})
    print(json.dumps(rows))


main()
