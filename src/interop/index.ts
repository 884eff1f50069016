// gl.io: reading and writing the formats the field uses (Keras, TensorFlow.js, ONNX) besides
// gradlab's own folder. Importing this module registers those formats with model.save and
// model.loadWeights.
export { encodeSafetensors, decodeSafetensors, writeSafetensors, readSafetensors, readSafetensorsSync } from '../io/safetensors.js';
// Keras configs (model_config, tfjs modelTopology, Keras 3 config.json) to models and back.
export { modelFromKerasConfig, kerasConfigFromModel } from './keras/config.js';
export { loadTfjs, loadTfjsArtifacts, saveTfjs, tfjsArtifactsFromModel } from './tfjs.js';
export type { TfjsArtifacts, TfjsWeightSpec, SaveTfjsOptions } from './tfjs.js';
export { loadKeras } from './keras/files.js';
// ONNX export (registers the 'onnx' format with model.save).
export { saveOnnx, encodeOnnx, ONNX_OPSETS } from './onnx/export.js';
export type { OnnxExportOptions } from './onnx/export.js';
// ONNX import (loadOnnx: a .onnx graph as a trainable Model of OnnxNode layers, a registered layer class).
export { loadOnnx, loadOnnxSync, supportedOnnxOps, OnnxNode } from './onnx/import.js';
export type { OnnxNodeConfig, LoadOnnxOptions } from './onnx/import.js';
export { decodeTensorFile as decodeOnnxTensor } from './onnx/proto.js';
export type { Const as OnnxConstant } from './onnx/proto.js';
// One door for every format (gl.loadModel is this one).
export { loadModel, detectModelFormat } from './door.js';
export type { ModelFormatName } from './door.js';
