// gl.applications: each network's layer names (generated here from the rules of Keras' code in
// keras/src/applications/*.py, not from gradlab's output) and parameter counts (Keras' published
// numbers); Keras' VGG16, ResNet50 and MobileNetV2 notop weight layouts loaded and checked against PyTorch; preprocessInput
// and decodePredictions against Keras' formulas; the option errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import * as gl from '../../src/index.js';
import { FormatError, GradlabError, ShapeError, ValueError } from '../../src/core/errors.js';
import type { Model } from '../../src/nn/index.js';

const { applications: apps } = gl;
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/apps/fixtures');

const names = (m: Model) => m.layers.map((l) => l.name);
const shapeOf = (m: Model, layer: string, role: string) => {
  const l = m.layers.find((x) => x.name === layer);
  assert.ok(l, `no layer ${layer}`);
  return [...l.weights.find((w) => w.role === role)!.tensor.shape];
};

// ---------- Keras' layer names, from the structure of its code ----------

function kerasVggNames(perBlock: number[], top: boolean): string[] {
  const out = ['input_layer'];
  perBlock.forEach((n, b) => {
    for (let c = 1; c <= n; c++) out.push(`block${b + 1}_conv${c}`);
    out.push(`block${b + 1}_pool`);
  });
  return top ? [...out, 'flatten', 'fc1', 'fc2', 'predictions'] : out;
}

/** resnet.py's residual_block_v1 names, in Keras' model.layers order (by depth: the shortcut's conv sits beside _3_conv). */
function kerasResnet50Names(top: boolean): string[] {
  const out = ['input_layer', 'conv1_pad', 'conv1_conv', 'conv1_bn', 'conv1_relu', 'pool1_pad', 'pool1_pool'];
  const stages: [string, number][] = [['conv2', 3], ['conv3', 4], ['conv4', 6], ['conv5', 3]];
  for (const [stage, blocks] of stages) {
    for (let b = 1; b <= blocks; b++) {
      const p = `${stage}_block${b}`;
      out.push(`${p}_1_conv`, `${p}_1_bn`, `${p}_1_relu`, `${p}_2_conv`, `${p}_2_bn`, `${p}_2_relu`);
      if (b === 1) out.push(`${p}_0_conv`, `${p}_3_conv`, `${p}_0_bn`, `${p}_3_bn`);
      else out.push(`${p}_3_conv`, `${p}_3_bn`);
      out.push(`${p}_add`, `${p}_out`);
    }
  }
  return top ? [...out, 'avg_pool', 'predictions'] : out;
}

/** mobilenet_v2.py's _inverted_res_block names; a block adds its input back when it keeps the width at stride 1. */
function kerasMobileNetV2Names(top: boolean): string[] {
  const out = ['input_layer', 'Conv1', 'bn_Conv1', 'Conv1_relu'];
  // (filters, stride) of block_id 0..16 as the Keras code lists them
  const blocks = [[16, 1], [24, 2], [24, 1], [32, 2], [32, 1], [32, 1], [64, 2], [64, 1], [64, 1], [64, 1], [96, 1], [96, 1], [96, 1], [160, 2], [160, 1], [160, 1], [320, 1]];
  let inC = 32;
  blocks.forEach(([filters, stride], id) => {
    const p = id === 0 ? 'expanded_conv_' : `block_${id}_`;
    if (id > 0) out.push(`${p}expand`, `${p}expand_BN`, `${p}expand_relu`);
    if (stride === 2) out.push(`${p}pad`);
    out.push(`${p}depthwise`, `${p}depthwise_BN`, `${p}depthwise_relu`, `${p}project`, `${p}project_BN`);
    if (inC === filters && stride === 1) out.push(`${p}add`);
    inC = filters;
  });
  out.push('Conv_1', 'Conv_1_bn', 'out_relu');
  return top ? [...out, 'global_average_pooling2d', 'predictions'] : out;
}

// ---------- the networks ----------

test('VGG19: Keras layer names and parameter counts (20,024,384 without the top; 143,667,240 with it)', async () => {
  // The convolutions' weights do not depend on the input size, so 32x32 gives the notop count.
  const notop = await apps.vgg19({ includeTop: false, inputShape: [32, 32, 3] });
  assert.equal(notop.name, 'vgg19');
  assert.deepEqual(names(notop), kerasVggNames([2, 2, 4, 4, 4], false));
  assert.equal(notop.countParams(), 20_024_384);
  assert.deepEqual([...notop.outputShape!], [1, 1, 512]);
  // the top is VGG16's code (tested below): fc1 on 7x7x512, fc2, predictions
  assert.equal(notop.countParams() + (7 * 7 * 512 + 1) * 4096 + 4097 * 4096 + 4097 * 1000, 143_667_240);
});

test('VGG16 with the top: Keras layer names and 138,357,544 parameters at 224x224', async () => {
  const full = await apps.vgg16({ inputShape: [32, 32, 3], classes: 10 });
  assert.deepEqual(names(full), kerasVggNames([2, 2, 3, 3, 3], true));
  assert.deepEqual(shapeOf(full, 'predictions', 'kernel'), [4096, 10]);
  assert.equal(full.layers.find((l) => l.name === 'predictions')!.finalActivation(), 'softmax');
  // at 224x224: fc1 sees 7x7x512 inputs, and the 1000 classes' predictions layer
  assert.equal(full.countParams() + (7 * 7 * 512 - 512) * 4096 + 4097 * (1000 - 10), 138_357_544);
  const logits = await apps.vgg16({ inputShape: [32, 32, 3], classes: 3, classifierActivation: null });
  assert.equal(logits.layers.find((l) => l.name === 'predictions')!.finalActivation(), 'linear');
});

test('ResNet50: Keras layer names, 25,636,712 parameters, shapes and strides at 224x224', async () => {
  const t0 = performance.now();
  const full = await apps.resnet50();
  const built = performance.now() - t0;
  console.log(`resnet50 (224x224, with the top) built in ${built.toFixed(0)} ms`);
  assert.equal(full.name, 'resnet50');
  assert.equal(full.countParams(), 25_636_712);
  // Keras lists each stage's shortcut conv beside _3_conv (by depth); gradlab's graph lists it
  // before the block's first conv (execution order), hence weights load by name
  assert.deepEqual([...names(full)].sort(), [...kerasResnet50Names(true)].sort());
  assert.equal(names(full).length, kerasResnet50Names(true).length);
  assert.deepEqual([...full.outputShape!], [1000]);
  assert.deepEqual(shapeOf(full, 'conv1_conv', 'kernel'), [7, 7, 3, 64]);
  assert.deepEqual(shapeOf(full, 'conv3_block1_0_conv', 'kernel'), [1, 1, 256, 512]);
  assert.deepEqual(shapeOf(full, 'conv3_block1_1_conv', 'kernel'), [1, 1, 256, 128]);
  const bn = full.layers.find((l) => l.name === 'conv2_block1_1_bn') as gl.BatchNormalization;
  assert.equal(bn.epsilon, 1.001e-5);
  // v1: the stride sits on the first 1x1 conv of a stage (and on its shortcut)
  const s = (n: string) => (full.layers.find((l) => l.name === n) as gl.Conv2D).strides;
  assert.deepEqual([s('conv3_block1_1_conv'), s('conv3_block1_2_conv'), s('conv3_block1_0_conv'), s('conv2_block1_1_conv')], [[2, 2], [1, 1], [2, 2], [1, 1]]);
  const at = (n: string) => [...full.layers.find((l) => l.name === n)!.outputShape!];
  assert.deepEqual([at('conv1_pad'), at('conv1_conv'), at('pool1_pool'), at('conv2_block3_out'), at('conv3_block4_out'), at('conv4_block6_out'), at('conv5_block3_out')],
    [[230, 230, 3], [112, 112, 64], [56, 56, 64], [56, 56, 256], [28, 28, 512], [14, 14, 1024], [7, 7, 2048]]);
});

test('MobileNetV2 1.0/224: Keras layer names, 3,538,984 parameters (2,257,984 without the top), ReLU(6), BN momentum 0.999', async () => {
  const full = await apps.mobilenetV2();
  assert.equal(full.name, 'mobilenetv2_1.00_224');
  assert.deepEqual(names(full), kerasMobileNetV2Names(true));
  assert.equal(full.countParams(), 3_538_984);
  const bn = full.layers.find((l) => l.name === 'block_3_depthwise_BN') as gl.BatchNormalization;
  assert.deepEqual([bn.momentum, bn.epsilon], [0.999, 1e-3]);
  assert.equal((full.layers.find((l) => l.name === 'out_relu') as gl.ReLU).maxValue, 6);
  // correct_pad on an even size pads (0, 1): 112 -> 113 -> 56
  assert.deepEqual((full.layers.find((l) => l.name === 'block_1_pad') as gl.ZeroPadding2D).padding, [[0, 1], [0, 1]]);
  assert.deepEqual([...full.layers.find((l) => l.name === 'block_1_depthwise')!.outputShape!], [56, 56, 96]);
  const notop = await apps.mobilenetV2({ includeTop: false, inputShape: [33, 33, 3] });
  assert.equal(notop.name, 'mobilenetv2_1.00_33');
  assert.equal(notop.countParams(), 2_257_984);
  assert.deepEqual(names(notop), kerasMobileNetV2Names(false));
  // an odd size pads (1, 1): 17 -> 19 -> 9
  assert.deepEqual((notop.layers.find((l) => l.name === 'block_1_pad') as gl.ZeroPadding2D).padding, [[1, 1], [1, 1]]);
  const y = notop.predict(gl.rand([1, 33, 33, 3], { seed: 2 }));
  assert.deepEqual([...y.shape], [1, 2, 2, 1280]);
  // alpha: _make_divisible(32 * 0.35, 8) = 16 first filters, int(16 * 0.35) = 5 -> 8 projected, 1280 last
  const thin = await apps.mobilenetV2({ alpha: 0.35, includeTop: false, inputShape: [96, 96, 3] });
  assert.equal(thin.name, 'mobilenetv2_0.35_96');
  assert.deepEqual(shapeOf(thin, 'Conv1', 'kernel'), [3, 3, 3, 16]);
  assert.deepEqual(shapeOf(thin, 'expanded_conv_project', 'kernel'), [1, 1, 16, 8]);
  assert.deepEqual(shapeOf(thin, 'Conv_1', 'kernel'), [1, 1, 112, 1280]);
});

// ---------- Keras' VGG16 notop file layout, against PyTorch ----------

interface Golden { input_shape: number[]; input: number[]; output_shape: number[]; output: number[]; h5_bytes: number }

/** A fixture's .h5 (periodic weights: see make_*_weights.py) in a temporary file named as Keras' own. */
function weightsFixture(stem: string, kerasName: string): { file: string; golden: Golden; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-apps-'));
  const h5 = gunzipSync(gunzipSync(fs.readFileSync(path.join(FIXTURES, `${stem}.h5.gz.gz`))));
  const golden = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${stem}.golden.json`), 'utf8')) as Golden;
  assert.equal(h5.length, golden.h5_bytes);
  const file = path.join(dir, kerasName);
  fs.writeFileSync(file, h5);
  return { file, golden, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const vggFixture = () => weightsFixture('vgg16_notop_periodic', 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5');
const pixels = (g: Golden) => gl.tensor(Float32Array.from(g.input)).reshape(g.input_shape);

function maxDiff(y: gl.Tensor, want: readonly number[]): number {
  assert.equal(y.size, want.length);
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(y.data[i] - want[i]));
  return e;
}

test("Keras' VGG16 notop weights file (Keras 1 layout) loads into vgg16 and matches PyTorch within 1e-4", async () => {
  const { file, golden, cleanup } = vggFixture();
  try {
    const t0 = performance.now();
    const model = await apps.vgg16({ includeTop: false, weights: file, inputShape: [32, 32, 3] });
    const loaded = performance.now() - t0;
    assert.deepEqual(names(model), kerasVggNames([2, 2, 3, 3, 3], false));
    assert.equal(model.countParams(), 14_714_688);
    const x = apps.preprocessInput(pixels(golden), { mode: 'caffe' });
    const t1 = performance.now();
    const y = model.predict(x);
    console.log(`vgg16 notop: ${(golden.h5_bytes / 1e6).toFixed(1)} MB weights file built and loaded in ${loaded.toFixed(0)} ms, forward at 32x32 (batch 2) ${(performance.now() - t1).toFixed(0)} ms`);
    assert.deepEqual([...y.shape], golden.output_shape);
    const err = maxDiff(y, golden.output);
    console.log(`vgg16 notop vs PyTorch: max |error| ${err.toExponential(2)}`);
    assert.ok(err < 1e-4, `max error ${err}`);
    // Every tensor reads the table from an offset of its own, and the period (1021) is prime, so
    // no axis length divides it: two same-shaped kernels swapped, or a kernel with its in/out
    // axes transposed, give other values. Check that such a broken mapping is caught.
    const conv = (n: string) => model.layers.find((l) => l.name === n)!;
    const [k2, b2] = conv('block4_conv2').getWeights();
    const [k3, b3] = conv('block4_conv3').getWeights();
    conv('block4_conv2').setWeights([k3, b3]);
    conv('block4_conv3').setWeights([k2, b2]);
    const swapped = maxDiff(model.predict(x), golden.output);
    conv('block4_conv2').setWeights([k2, b2]);
    conv('block4_conv3').setWeights([k3, b3]);
    const t = conv('block5_conv1').getWeights();
    conv('block5_conv1').setWeights([gl.transpose(t[0], [0, 1, 3, 2]), t[1]]);
    const transposed = maxDiff(model.predict(x), golden.output);
    console.log(`broken mappings: swapped block4_conv2/3 -> ${swapped.toExponential(2)}, block5_conv1 kernel transposed -> ${transposed.toExponential(2)}`);
    assert.ok(swapped > 1e-2 && transposed > 1e-2, `swapped ${swapped}, transposed ${transposed}`);
  } finally {
    cleanup();
  }
});

test("Keras' ResNet50 and MobileNetV2 notop weight layouts (Keras 2 names) load and match PyTorch within 1e-4", async () => {
  const cases = [
    // at 32x32 ResNet50 ends in 1x1x2048: max pooling keeps the values
    { stem: 'resnet50_notop_periodic', keras: 'resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5', build: apps.resnet50, mode: 'caffe' as const, pooling: 'max' as const, params: 23_587_712 },
    { stem: 'mobilenetv2_notop_periodic', keras: 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5', build: apps.mobilenetV2, mode: 'tf' as const, pooling: null, params: 2_257_984 },
  ];
  for (const c of cases) {
    const { file, golden, cleanup } = weightsFixture(c.stem, c.keras);
    try {
      const t0 = performance.now();
      const model = await c.build({ includeTop: false, weights: file, inputShape: [32, 32, 3], pooling: c.pooling });
      const loaded = performance.now() - t0;
      assert.equal(model.countParams(), c.params);
      const x = apps.preprocessInput(pixels(golden), { mode: c.mode });
      const y = model.predict(x);
      assert.deepEqual([...y.shape], c.pooling ? [golden.output_shape[0], golden.output_shape[3]] : golden.output_shape);
      const err = maxDiff(y, golden.output);
      console.log(`${model.name}: ${(golden.h5_bytes / 1e6).toFixed(1)} MB weights file built and loaded in ${loaded.toFixed(0)} ms; max |error| vs PyTorch ${err.toExponential(2)}`);
      assert.ok(err < 1e-4, `${c.stem}: max error ${err}`);
      if (c.build === apps.resnet50) {
        assert.deepEqual([...names(model)].sort(), [...kerasResnet50Names(false), 'max_pool'].sort());
        // the file lists conv2_block1_0_conv after _2_conv (Keras' order); by position it cannot load
        await assert.rejects(model.loadWeights(file), (e: Error) => e instanceof FormatError && /conv2_block1/.test(e.message));
      } else {
        assert.deepEqual(names(model), kerasMobileNetV2Names(false));
        await model.loadWeights(file); // same order as Keras: by position gives the same weights
        assert.equal(maxDiff(model.predict(x), golden.output), err);
      }
    } finally {
      cleanup();
    }
  }
});

test('a weights file that lacks layers of the network is refused, naming them', async () => {
  const { file, cleanup } = vggFixture();
  try {
    await assert.rejects(apps.mobilenetV2({ includeTop: false, weights: file, inputShape: [32, 32, 3] }),
      (e: Error) => e instanceof FormatError && /has no weights for 104 layer\(s\) of 'mobilenetv2_1\.00_32' \('Conv1', 'bn_Conv1', .*is it a file of mobilenetv2_1\.00_32\?/.test(e.message) && e.message.includes(file));
    await assert.rejects(apps.vgg16({ includeTop: false, weights: path.join(path.dirname(file), 'missing.h5'), inputShape: [32, 32, 3] }),
      (e: Error) => e instanceof GradlabError && e.message.includes('missing.h5'));
  } finally {
    cleanup();
  }
  // a notop file for a network with the top: the classifier is missing
  const m = weightsFixture('mobilenetv2_notop_periodic', 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5');
  try {
    await assert.rejects(apps.mobilenetV2({ weights: m.file }),
      (e: Error) => e instanceof FormatError && /has no weights for 1 layer\(s\) of 'mobilenetv2_1\.00_224' \('predictions'\); a file without the top\? then pass includeTop: false/.test(e.message));
  } finally {
    m.cleanup();
  }
});

test('weights from a gradlab folder: a saved application loads back by layer name, and through gl.loadModel', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-apps-'));
  try {
    const a = await apps.mobilenetV2({ includeTop: false, pooling: 'avg', alpha: 0.35, inputShape: [32, 32, 3] });
    await a.save(path.join(dir, 'm'));
    const b = await apps.mobilenetV2({ includeTop: false, pooling: 'avg', alpha: 0.35, inputShape: [32, 32, 3], weights: path.join(dir, 'm') });
    const c = await gl.loadModel(path.join(dir, 'm'));
    const x = gl.rand([2, 32, 32, 3], { seed: 3 });
    const ya = a.predict(x);
    assert.deepEqual([...ya.shape], [2, 1280]);
    assert.deepEqual(Array.from(b.predict(x).data), Array.from(ya.data));
    assert.deepEqual(Array.from(c.predict(x).data), Array.from(ya.data));
    assert.deepEqual(names(c), names(a));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---------- options ----------

test("weights: 'imagenet' names Keras' file to download and how to pass it", async () => {
  const cases: [Promise<Model>, string][] = [
    [apps.vgg16({ weights: 'imagenet' }), 'vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5'],
    [apps.vgg16({ includeTop: false, weights: 'imagenet' }), 'vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5'],
    [apps.vgg19({ includeTop: false, weights: 'imagenet' }), 'vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5'],
    [apps.resnet50({ weights: 'imagenet' }), 'resnet/resnet50_weights_tf_dim_ordering_tf_kernels.h5'],
    [apps.resnet50({ includeTop: false, weights: 'imagenet' }), 'resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5'],
    [apps.mobilenetV2({ weights: 'imagenet' }), 'mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5'],
    [apps.mobilenetV2({ includeTop: false, alpha: 0.35, inputShape: [128, 128, 3], weights: 'imagenet' }), 'mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_128_no_top.h5'],
  ];
  for (const [p, file] of cases) {
    await assert.rejects(p, (e: Error) => e instanceof ValueError && e.message.includes(`https://storage.googleapis.com/tensorflow/keras-applications/${file}`)
      && e.message.includes(`weights: '/path/to/${path.basename(file)}'`), file);
  }
});

test('options are checked as Keras checks them, before any layer is made', async () => {
  const bad: [Promise<Model>, RegExp][] = [
    [apps.vgg16({ include_top: false } as never), /unknown option 'include_top' \(did you mean 'includeTop'\?\)/],
    [apps.vgg16({ inputShape: [31, 224, 3] }), /input size must be at least 32x32; got inputShape \[31,224,3\]/],
    [apps.resnet50({ inputShape: [224, 224] }), /inputShape must be \[height, width, channels\]/],
    [apps.vgg16({ includeTop: true, weights: 'x.h5', inputShape: [64, 64, 3] }), /with includeTop: true and weights, inputShape must be \[224,224,3\]/],
    [apps.vgg16({ includeTop: false, weights: 'x.h5', inputShape: [64, 64, 1] }), /with weights the input must have 3 channels/],
    [apps.vgg16({ weights: 'x.h5', classifierActivation: 'relu' }), /only null and 'softmax'/],
    [apps.resnet50({ includeTop: false, pooling: 'mean' as never }), /pooling must be 'avg', 'max'/],
    [apps.resnet50({ classes: 0 }), /classes must be a positive integer/],
    [apps.vgg19({ weights: 42 as never }), /weights must be null or the path of a weights file, got 42/],
    [apps.vgg19({ includeTop: 'no' as never }), /includeTop must be true or false/],
    [apps.mobilenetV2({ alpha: -1 }), /alpha must be a positive finite number/],
    [apps.mobilenetV2({ classifierActivation: 'softmx' as never }), /softmx/],
  ];
  for (const [p, re] of bad) await assert.rejects(p, (e: Error) => e instanceof ValueError && re.test(e.message), String(re));
  // no weights: any size of at least 32 and any channel count builds (with the top too, as Keras: see VGG16 above)
  const small = await apps.mobilenetV2({ includeTop: false, alpha: 0.35, inputShape: [32, 48, 1] });
  assert.deepEqual(shapeOf(small, 'Conv1', 'kernel'), [3, 3, 1, 16]);
  assert.deepEqual([...small.outputShape!], [1, 2, 1280]);
});

// ---------- preprocessInput ----------

test("preprocessInput: Keras' caffe, tf and torch formulas on hand-computed pixels", () => {
  const x = gl.tensor([[[[10, 20, 30], [255, 0, 128]]]]); // [1, 1, 2, 3], RGB
  const close = (t: gl.Tensor, want: number[]) => {
    assert.deepEqual([...t.shape], [1, 1, 2, 3]);
    want.forEach((w, i) => assert.ok(Math.abs(t.data[i] - w) < 1e-5, `${i}: ${t.data[i]} vs ${w}`));
  };
  // caffe: BGR, minus [103.939, 116.779, 123.68]
  close(apps.preprocessInput(x), [30 - 103.939, 20 - 116.779, 10 - 123.68, 128 - 103.939, 0 - 116.779, 255 - 123.68]);
  close(apps.preprocessInput(x, { mode: 'caffe' }), [-73.939, -96.779, -113.68, 24.061, -116.779, 131.32]);
  // tf: x / 127.5 - 1
  close(apps.preprocessInput(x, { mode: 'tf' }), [-0.92156863, -0.84313725, -0.76470588, 1, -1, 0.00392157]);
  // torch: (x / 255 - mean) / std with mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225]
  close(apps.preprocessInput(x, { mode: 'torch' }), [-1.94665639, -1.68557423, -1.28156863, 2.24890830, -2.03571429, 0.42649237]);
  assert.equal(x.data[0], 10, 'the input is left alone');
  assert.deepEqual([...apps.preprocessInput([[1, 2, 3, 4]], { mode: 'tf' }).shape], [1, 4], 'tf takes any channel count');
  assert.throws(() => apps.preprocessInput(gl.zeros([1, 2, 2, 4])), (e: Error) => e instanceof ShapeError && /3 channels.*\[1,2,2,4\]/.test(e.message));
  assert.throws(() => apps.preprocessInput(x, { mode: 'keras' as never }), (e: Error) => e instanceof ValueError && /mode must be 'caffe', 'tf', 'torch'/.test(e.message));
  assert.throws(() => apps.preprocessInput(x, { mdoe: 'tf' } as never), /unknown option 'mdoe' \(did you mean 'mode'\?\)/);
  assert.throws(() => apps.preprocessInput('image.png' as never), (e: Error) => e instanceof ValueError && /x must be a Tensor/.test(e.message));
});

// ---------- decodePredictions ----------

const INDEX = { 0: ['n01440764', 'tench'], 1: ['n01443537', 'goldfish'], 2: ['n01484850', 'great_white_shark'], 3: ['n01491361', 'tiger_shark'] } as const;

test('decodePredictions: the best classes per sample, best first, from an object or a JSON file', () => {
  const preds = gl.tensor([[0.1, 0.6, 0.05, 0.25], [0.3, 0.3, 0.4, 0]]);
  const want = [
    [{ classId: 'n01443537', label: 'goldfish', score: 0.6 }, { classId: 'n01491361', label: 'tiger_shark', score: 0.25 }],
    [{ classId: 'n01484850', label: 'great_white_shark', score: 0.4 }, { classId: 'n01440764', label: 'tench', score: 0.3 }],
  ];
  const round = (r: gl.applications.DecodedPrediction[][]) => r.map((s) => s.map((p) => ({ ...p, score: Math.round(p.score * 1e6) / 1e6 })));
  assert.deepEqual(round(apps.decodePredictions(preds, { top: 2, classIndex: INDEX })), want);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-apps-'));
  try {
    const file = path.join(dir, 'imagenet_class_index.json');
    fs.writeFileSync(file, JSON.stringify(INDEX));
    assert.deepEqual(round(apps.decodePredictions([[0.1, 0.6, 0.05, 0.25], [0.3, 0.3, 0.4, 0]], { top: 2, classIndex: file })), want);
    assert.equal(apps.decodePredictions(preds, { classIndex: file, top: 4 })[0].length, 4);
    fs.writeFileSync(file, '{"0": ["n0", "a"],');
    assert.throws(() => apps.decodePredictions(preds, { classIndex: file }), (e: Error) => e instanceof FormatError && e.message.includes(file) && /not valid JSON/.test(e.message));
    assert.throws(() => apps.decodePredictions(preds, { classIndex: path.join(dir, 'none.json') }), (e: Error) => e instanceof FormatError && /cannot read the class index/.test(e.message));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const err = (f: () => unknown, cls: typeof GradlabError, re: RegExp) => assert.throws(f, (e: Error) => e instanceof cls && re.test(e.message), String(re));
  err(() => apps.decodePredictions(gl.zeros([2, 5]), { classIndex: INDEX }), ShapeError, /preds of shape \[samples, 4\].*got \[2,5\]/);
  err(() => apps.decodePredictions(gl.zeros([4]), { classIndex: INDEX }), ShapeError, /got \[4\]/);
  err(() => apps.decodePredictions(preds, { classIndex: INDEX, top: 5 }), ValueError, /top \(5\) is more than the 4 classes/);
  err(() => apps.decodePredictions(preds, { classIndex: INDEX, top: 0 }), ValueError, /top must be a positive integer/);
  err(() => apps.decodePredictions(preds, {} as never), ValueError, /option 'classIndex' is required.*imagenet_class_index\.json/);
  err(() => apps.decodePredictions(preds, { classIndex: { 0: ['a', 'b'], 1: ['c', 'd'], 2: ['e', 'f'], 4: ['g', 'h'] } }), ValueError, /key "4"; the keys must be "0" to "3"/);
  err(() => apps.decodePredictions(preds, { classIndex: { ...INDEX, 3: ['n0'] } as never }), ValueError, /\["3"\] must be \[classId, label\]/);
  err(() => apps.decodePredictions(preds, { classIndex: [] as never }), ValueError, /classIndex must be the path/);
});

test('decodePredictions fuzz: mutated class-index files give a typed error or a decoding, never another error', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-apps-'));
  const file = path.join(dir, 'index.json');
  const base = JSON.stringify(INDEX);
  const preds = gl.tensor([[0.1, 0.6, 0.05, 0.25]]);
  const good = JSON.stringify(apps.decodePredictions(preds, { classIndex: INDEX, top: 4 }));
  let seed = 12;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const inserts = ['"__proto__"', '"constructor"', '1e308', '-1', '"99999999999"', '[]', '{}', 'null', '"0"', '"", ""'];
  const counts = { mutations: 0, typed: 0, same: 0, different: 0 };
  try {
    for (let i = 0; i < 300; i++) {
      let s = base;
      const kind = i % 4;
      if (kind === 0) s = s.slice(0, rnd(s.length));
      else if (kind === 1) {
        const at = rnd(s.length);
        s = s.slice(0, at) + String.fromCharCode(s.charCodeAt(at) ^ (1 << rnd(7))) + s.slice(at + 1);
      } else if (kind === 2) {
        const at = rnd(s.length);
        s = s.slice(0, at) + inserts[rnd(inserts.length)] + s.slice(at + rnd(12));
      } else s = s.replace(`"${rnd(4)}"`, inserts[rnd(inserts.length)]);
      fs.writeFileSync(file, s);
      counts.mutations++;
      try {
        const r = JSON.stringify(apps.decodePredictions(preds, { classIndex: file, top: 4 }));
        if (r === good) counts.same++;
        else counts.different++;
      } catch (e) {
        assert.ok(e instanceof FormatError || e instanceof ValueError || e instanceof ShapeError, `mutation ${i} (${JSON.stringify(s)}): ${(e as Error).stack}`);
        counts.typed++;
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`class-index fuzz: ${counts.mutations} mutations, ${counts.typed} typed errors, ${counts.same} accepted identical, ${counts.different} accepted different (labels or ids changed)`);
  assert.equal(counts.typed + counts.same + counts.different, 300);
  assert.ok(counts.typed > 100);
});

test('bad arguments anywhere give typed errors (the sweep of test/structure/api-errors, for gl.applications)', { timeout: 60_000 }, async () => {
  const bad = (): unknown[] => [undefined, null, {}, [], 'x', '', NaN, -1, 0.5, 1e10, Infinity, '__proto__', 'constructor', [NaN], [-1], [1e10], ['x'], [[1e10]], () => 1, true, Symbol('s'), 10n, { __proto__: null }];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradlab-apps-'));
  const cwd = process.cwd();
  process.chdir(dir); // a bad weights path is looked up here
  const untyped: string[] = [];
  const keyOf = (v: unknown) => {
    try {
      return String(v);
    } catch {
      return 'key';
    }
  };
  let calls = 0;
  const probe = async (what: string, f: () => unknown) => {
    calls++;
    try {
      await f();
    } catch (e) {
      if (!(e instanceof GradlabError)) untyped.push(`${what}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    }
  };
  try {
    // small settings, so that a bad value that happens to be valid builds quickly
    const base = { includeTop: false, inputShape: [32, 32, 3], alpha: 0.35 };
    const keys = ['includeTop', 'weights', 'inputShape', 'pooling', 'classes', 'classifierActivation', 'alpha', 'input_shape'];
    const preds = gl.tensor([[0.5, 0.25, 0.125, 0.125]]);
    for (let i = 0; i < bad().length; i++) {
      const b = () => bad()[i];
      // undefined, null and {} mean the defaults: full networks at 224x224, built elsewhere
      const isDefault = b() === undefined || b() === null || (typeof b() === 'object' && Object.keys(b() as object).length === 0 && !Array.isArray(b()));
      if (!isDefault) {
        for (const k of keys) await probe(`mobilenetV2({ ${k}: #${i} })`, () => apps.mobilenetV2({ ...base, [k]: b() } as never));
        await probe(`vgg16(#${i})`, () => apps.vgg16(b() as never));
        await probe(`resnet50({ weights: #${i}, includeTop: #${i} })`, () => apps.resnet50({ weights: b(), includeTop: b() } as never));
      }
      await probe(`preprocessInput(#${i})`, () => apps.preprocessInput(b() as never));
      await probe(`preprocessInput(x, #${i})`, () => apps.preprocessInput(gl.zeros([1, 3]), b() as never));
      await probe(`preprocessInput(x, { mode: #${i} })`, () => apps.preprocessInput(gl.zeros([1, 3]), { mode: b() } as never));
      await probe(`decodePredictions(#${i})`, () => apps.decodePredictions(b() as never, { classIndex: INDEX }));
      await probe(`decodePredictions(p, #${i})`, () => apps.decodePredictions(preds, b() as never));
      await probe(`decodePredictions(p, { top: #${i} })`, () => apps.decodePredictions(preds, { classIndex: INDEX, top: b() } as never));
      await probe(`decodePredictions(p, { classIndex: #${i} })`, () => apps.decodePredictions(preds, { classIndex: b() } as never));
      await probe(`decodePredictions(p, { classIndex: { 0: #${i} } })`, () => apps.decodePredictions(gl.tensor([[1]]), { classIndex: { 0: b() } } as never));
      await probe(`decodePredictions(p, { classIndex: { #${i}: [] } })`, () => apps.decodePredictions(gl.tensor([[1]]), { classIndex: { [keyOf(b())]: ['a', 'b'] } } as never));
    }
  } finally {
    process.chdir(cwd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`gl.applications sweep: ${calls} calls, ${untyped.length} untyped errors`);
  assert.deepEqual(untyped, []);
});
