// `gradlab lab`: the web lab (train LeNet-5 in the page, draw a digit, the convolution example).
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { startLab } from '../web/server.js';
import { UsageError, nonNegativeInt, plural } from './common.js';

/** Adds `gradlab lab` to the program. */
export function registerLabCommand(program: Command): void {
  program.command('lab')
    .description('serve the web lab: train LeNet-5 on MNIST in the browser, draw a digit, explore a convolution')
    .option('--port <n>', 'TCP port (0: any free port)', '8080')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--model <path>', 'a model for the Draw and Models panels: a gradlab folder (runs/<time>/model), Keras .h5/.keras, TF.js model.json or .onnx')
    .option('--runs <dir>', 'folder of gradlab train runs listed in the Models panel', 'runs')
    .action(async (o: { port: string; host: string; model?: string; runs: string }) => {
      const port = nonNegativeInt('--port', o.port);
      if (port > 65535) throw new UsageError(`--port must be at most 65535, got '${o.port}'`);
      if (o.host.trim() === '') throw new UsageError("--host must be an address such as 127.0.0.1, got ''");
      if (o.model !== undefined && !existsSync(o.model)) throw new UsageError(`--model: '${o.model}' does not exist (a gradlab folder, .h5, .keras, model.json or .onnx)`);
      const lab = await startLab({ port, host: o.host, runs: o.runs, ...(o.model !== undefined ? { model: o.model } : {}) });
      if (lab.model) console.log(`Model: ${lab.model.name} (${plural(lab.model.params, 'parameter')}) from ${lab.model.source}`);
      console.log(`gradlab lab: ${lab.url} (Ctrl+C stops it)`);
      const stop = () => { void lab.close().then(() => process.exit(0)); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
