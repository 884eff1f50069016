// gl.applications: ready-made networks.
export { pretrained, listPretrained, pretrainedRoot, digitNet, selectClasses } from './pretrained.js';
export type { PretrainedInfo, DigitNetArgs, SelectClassesOptions } from './pretrained.js';
