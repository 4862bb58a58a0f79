import { sliceFrame, type Column, type Frame } from '../src/runtimes/frame.js';
import { logisticRegression } from '../src/runtimes/onnx/builder.js';
import { openOnnxRuntime } from '../src/runtimes/onnx/runtime.js';
import * as ort from 'onnxruntime-node';
const F = 20, ROWS = 1_000_000, B = 4096;
const names = Array.from({ length: F }, (_, f) => `f${f}`);
const columns = new Map<string, Column>();
for (const n of names) { const v = new Float64Array(ROWS); for (let r = 0; r < ROWS; r++) v[r] = Math.random() * 2 - 1; columns.set(n, { kind: 'number', values: v }); }
const frame: Frame = { rows: ROWS, columns };
const bytes = logisticRegression({ featureNames: names, classes: [0, 1], coefficients: names.map(() => Math.random()), intercepts: [0.1] });
const rt = await openOnnxRuntime(bytes, { sessionOptions: { intraOpNumThreads: 1 } });
const s2 = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
const tensors = []; for (let s = 0; s < ROWS; s += B) { const n = Math.min(B, ROWS - s); tensors.push(new ort.Tensor('float32', new Float32Array(n * F).map(() => Math.random()), [n, F])); }
for (let rep = 0; rep < 6; rep++) {
  let t = performance.now();
  for (let s = 0; s < ROWS; s += B) await rt.predict(sliceFrame(frame, s, Math.min(s + B, ROWS)));
  const a = performance.now() - t;
  t = performance.now();
  for (const x of tensors) await s2.run({ input: x });
  const b = performance.now() - t;
  console.log(a.toFixed(0), b.toFixed(0), (b / a).toFixed(2));
}
