/**
 * ONNX "external data": a tensor whose bytes onnxruntime reads from a file named inside the model, relative to the
 * model file (or, with onnxruntime's memory-address tag, from an address in the server's memory). A model is
 * written by any editor, so that file name is a request to read whatever the server can read; this module decides
 * which are allowed.
 */
import { posix } from 'node:path';
import { invalid } from '../../core/errors.js';
import { onnx } from './proto.js';

const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;

/**
 * Every external-data location named anywhere in ModelProto bytes: initializers, sparse initializers, tensor
 * attributes, subgraphs, functions and training info alike (the walk goes through every decoded message rather than
 * a list of fields, so a field this code does not know about is not a way around it). Bytes that do not decode are
 * INVALID_ARGUMENT: onnxruntime's parser must never see what this check could not read.
 */
export function externalDataLocations(bytes: Uint8Array): string[] {
  let model: unknown;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw invalid(`not an ONNX model: ${(e as Error).message}`);
  }
  const found: string[] = [];
  const pending: unknown[] = [model];
  while (pending.length > 0) {
    const node = pending.pop();
    if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node)) continue;
    if (Array.isArray(node)) {
      pending.push(...(node as unknown[]));
      continue;
    }
    const m = node as { dataLocation?: unknown; externalData?: { key?: string | null; value?: string | null }[] };
    const entries = Array.isArray(m.externalData) ? m.externalData : [];
    if (m.dataLocation === EXTERNAL || entries.length > 0) {
      const location = entries.find((e) => e.key === 'location')?.value;
      found.push(typeof location === 'string' ? location : '');
    }
    for (const value of Object.values(node)) if (value !== null && typeof value === 'object') pending.push(value);
  }
  return found;
}

/**
 * Refuses a model whose external data is not one of its own version's files. `modelFile` is the model's path and
 * `ownFiles` every file of the version, all relative to the version's folder. A location must be a plain relative
 * path (no absolute path, drive, backslash or `..`) that, resolved against the model's folder, names one of them.
 * Returns whether the model has external data (it must then be opened from a folder holding those files).
 */
export function checkExternalData(bytes: Uint8Array, modelFile: string, ownFiles: ReadonlySet<string>): boolean {
  const locations = externalDataLocations(bytes);
  const folder = posix.dirname(modelFile);
  for (const location of locations) {
    const plain = location !== '' && !location.includes('\\') && !location.includes('\0') && !posix.isAbsolute(location) && !/^[a-zA-Z]:/.test(location) && !location.split('/').includes('..');
    const resolved = plain ? posix.normalize(posix.join(folder, location)) : '';
    if (!plain || !ownFiles.has(resolved)) {
      throw invalid(
        `${modelFile} keeps tensor data in "${location.slice(0, 200)}", which is not one of this model version's own files. External data must be a relative path to a file registered with the model (in the same folder as the .onnx file or below it); save the model with its data inside the file, or log the data file beside it and register the folder.`,
        { reason: 'external_data' },
      );
    }
  }
  return locations.length > 0;
}
