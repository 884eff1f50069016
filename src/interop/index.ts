// gl.io: reading and writing the formats the field uses (Keras, TensorFlow.js, ONNX) besides
// gradlab's own folder. Importing this module registers those formats with model.save and
// model.loadWeights.
export { encodeSafetensors, decodeSafetensors, writeSafetensors, readSafetensors, readSafetensorsSync } from '../io/safetensors.js';
export { loadOnnx, loadOnnxSync, supportedOnnxOps, OnnxNode } from './onnx/import.js';
export type { OnnxNodeConfig, LoadOnnxOptions } from './onnx/import.js';
export { decodeTensorFile as decodeOnnxTensor } from './onnx/proto.js';
