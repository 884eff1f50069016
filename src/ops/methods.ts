// Tensor's methods (x.mul(y).sum()) call these ops; the tensor layer declares them, ops installs them.
import { installTensorOps, type TensorOps } from '../tensor/tensor.js';
import * as E from './elementwise.js';
import * as R from './reduce.js';
import * as S from './shape.js';
import * as M from './matmul.js';
import * as A from './activation.js';
import * as C from './cast.js';

const ops: TensorOps = {
  add: E.add, sub: E.sub, mul: E.mul, div: E.div, pow: E.pow, maximum: E.maximum, minimum: E.minimum,
  gt: E.gt, ge: E.ge, lt: E.lt, le: E.le, eq: E.eq, ne: E.ne,
  logicalAnd: E.logicalAnd, logicalOr: E.logicalOr, logicalXor: E.logicalXor, logicalNot: E.logicalNot, astype: C.astype, neg: E.neg, exp: E.exp, log: E.log, sqrt: E.sqrt, abs: E.abs, square: E.square, clip: E.clip,
  sum: R.sum, mean: R.mean, max: R.max, min: R.min, argmax: R.argmax, argmin: R.argmin, logSumExp: R.logSumExp, variance: R.variance, std: R.std,
  matmul: M.matmul, dot: M.dot,
  reshape: S.reshape, flatten: S.flatten, transpose: S.transpose, permute: S.permute, squeeze: S.squeeze, expandDims: S.expandDims,
  broadcastTo: S.broadcastTo, slice: S.slice, sliceSpec: S.sliceSpec, gather: S.gather,
  takeAlongAxis: S.takeAlongAxis, maskedSelect: S.maskedSelect, pad: S.pad, flip: S.flip,
  relu: A.relu, sigmoid: A.sigmoid, tanh: A.tanh, softmax: A.softmax, logSoftmax: A.logSoftmax,
};
installTensorOps(ops);
