/**
 * The floor for the gateway benchmark: a bare Node HTTP server answering the same plain-records requests with the
 * same ONNX model, and nothing else (no routing, no validation beyond the features, no ids, no logging, no metrics).
 * Usage: node --import tsx bench/lib/bare-model-server.ts MODEL.onnx PORT FEATURE,FEATURE,...
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import * as ort from 'onnxruntime-node';

const [file, port, names] = process.argv.slice(2);
const features = names!.split(',');
const session = await ort.InferenceSession.create(readFileSync(file!));
const input = session.inputNames[0]!;

http
  .createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const { records } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { records: Record<string, number>[] };
      const data = new Float32Array(records.length * features.length);
      records.forEach((r, i) => features.forEach((f, j) => (data[i * features.length + j] = r[f]!)));
      const out = await session.run({ [input]: new ort.Tensor('float32', data, [records.length, features.length]) });
      const proba = out.probabilities!.data as Float32Array;
      const labels = out.label!.data as BigInt64Array | Int32Array;
      const predictions = records.map((_, i) => ({ label: String(labels[i]), probabilities: { '0': proba[2 * i], '1': proba[2 * i + 1] } }));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ predictions }));
    });
  })
  .listen(Number(port), '127.0.0.1', () => process.send?.('ready'));
