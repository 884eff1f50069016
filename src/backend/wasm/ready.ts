// gl.ready() in Node, so that code written for the page (`await gl.ready()`, as TF.js' tf.ready())
// runs unchanged: Node loads the wasm backend synchronously when 'gradlab' is imported, so this
// only reports the active backend. The page's ready() (src/browser.ts) fetches the modules first.
import { getBackend } from '../index.js';

/** Resolves to the active backend's name ('wasm', or 'js' when the wasm modules did not load or GRADLAB_BACKEND=js). */
export async function ready(): Promise<string> {
  return getBackend();
}
