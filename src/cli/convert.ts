// `gradlab convert <in> <out>`: a model in any format gradlab reads, written in one it writes.
import { Option, type Command } from 'commander';
import { basename, dirname } from 'node:path';
import { loadModel } from '../interop/door.js';
import { UsageError, positiveInt } from './common.js';
import { plural } from './common.js';

const WRITABLE = ['gradlab', 'onnx', 'tfjs'] as const;

/** The output format a path names: .onnx, a TF.js model.json, or (anything else) a gradlab folder. */
function formatFromName(out: string): (typeof WRITABLE)[number] {
  const lower = out.toLowerCase();
  if (lower.endsWith('.onnx')) return 'onnx';
  if (basename(lower) === 'model.json') return 'tfjs';
  if (/\.(h5|hdf5|keras)$/.test(lower)) throw new UsageError(`convert: gradlab reads Keras .h5 and .keras files but does not write them; write .onnx, a TensorFlow.js model.json (Keras users load it with tensorflowjs) or a gradlab folder`);
  return 'gradlab';
}

/** Adds `gradlab convert` to the program. */
export function registerConvertCommand(program: Command): void {
  program.command('convert')
    .description('convert a model: reads a gradlab folder, Keras .h5/.keras, TensorFlow.js model.json or .onnx; writes by the output name (.onnx, <dir>/model.json for TensorFlow.js, else a gradlab folder) or --format')
    .argument('<in>', 'the model to read')
    .argument('<out>', 'where to write it')
    .addOption(new Option('--format <format>', 'output format (default: from the output name)').choices([...WRITABLE]))
    .option('--opset <n>', 'ONNX opset to write (13 to 17)')
    .action(async (input: string, out: string, o: { format?: (typeof WRITABLE)[number]; opset?: string }) => {
      const format = o.format ?? formatFromName(out);
      if (o.opset !== undefined && format !== 'onnx') throw new UsageError(`--opset applies to ONNX output only, not ${format}`);
      const model = await loadModel(input);
      const path = format === 'tfjs' && basename(out).toLowerCase() === 'model.json' ? dirname(out) : out;
      await model.save(path, { format, ...(o.opset !== undefined ? { opset: positiveInt('--opset', o.opset) } : {}) });
      console.log(`Wrote ${path} (${format}): model '${model.name}', ${plural(model.countParams(), 'parameter')}`);
    });
}
