// gl.io in the page: the importers and exporters that work on bytes and objects (no paths).
// Keras .h5/.keras and ONNX files load from a Uint8Array (e.g. a dropped File's arrayBuffer()),
// TF.js models from their artifacts; ONNX export gives bytes.
export { encodeSafetensors, decodeSafetensors } from './io/safetensors.js';
export type { SafetensorsContents, SafetensorsDType } from './io/safetensors.js';
export { modelFromKerasConfig, kerasConfigFromModel } from './interop/keras/config.js';
export { loadTfjsArtifacts, tfjsArtifactsFromModel } from './interop/tfjs.js';
export type { TfjsArtifacts, TfjsWeightSpec, SaveTfjsOptions } from './interop/tfjs.js';
export { loadKeras } from './interop/keras/files.js';
export { encodeOnnx, ONNX_OPSETS } from './interop/onnx/export.js';
export type { OnnxExportOptions } from './interop/onnx/export.js';
export { loadOnnx, loadOnnxSync, supportedOnnxOps, OnnxNode } from './interop/onnx/import.js';
export type { OnnxNodeConfig, LoadOnnxOptions } from './interop/onnx/import.js';
export { decodeTensorFile as decodeOnnxTensor } from './interop/onnx/proto.js';
