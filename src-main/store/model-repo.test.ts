import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelInfo } from '../engine/onnx/inspect.js';
import { newId, ProjectStore } from './project-store.js';
import { openSqlite } from './sqlite.js';

const info: ModelInfo = {
  irVersion: 8,
  opsets: [{ domain: 'ai.onnx', version: 13 }],
  producer: 'test',
  graphName: 'g',
  inputs: [{ name: 'input', elemType: 'float32', shape: [1, 28, 28, 1] }],
  outputs: [{ name: 'logits', elemType: 'float32', shape: [1, 'classes'] }],
  opHistogram: { Gemm: 1 },
  nodeCount: 1,
  parameterCount: 10,
  initializerBytes: 40,
  externalData: true,
};

describe('ModelRepo', () => {
  it('reads a byte range of a stored external data file across its chunks', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'brink-model-repo-')), 'p.brink');
    const store = ProjectStore.create(path, 'p');
    const id = newId('m');
    const data = Uint8Array.from({ length: 10 }, (_, i) => i);
    store.models.insert({
      id,
      name: 'net',
      fileName: 'net.onnx',
      sha256: 'ab'.repeat(32),
      info,
      preprocessing: { valueRange: [0, 1], mean: [0], std: [1] },
      labels: null,
      analysis: { differentiable: true, unsupported: [], head: null, headReason: 'test', zeroGradientOps: [] },
      bytes: new Uint8Array([1]),
      externalFiles: [{ path: 'w.bin', size: 10, chunks: () => [data] }],
    });
    store.close();
    // Stored again in chunks of 4 bytes, as a file larger than the chunk size would be.
    const db = openSqlite(path, { mustExist: true });
    db.prepare('DELETE FROM model_external_chunks WHERE model_id = ?').run(id);
    db.prepare('UPDATE model_external_files SET chunk_bytes = 4 WHERE model_id = ?').run(id);
    for (let c = 0; c < 3; c++) db.prepare('INSERT INTO model_external_chunks VALUES (?, ?, ?, ?)').run(id, 'w.bin', c, Buffer.from(data.subarray(c * 4, c * 4 + 4)));
    db.close();

    const reopened = ProjectStore.open(path);
    try {
      const read = reopened.models.externalReader(id);
      expect(Array.from(read({ tensor: 'w', location: 'w.bin', path: 'w.bin', offset: 3, length: 6 }))).toEqual([3, 4, 5, 6, 7, 8]);
      expect(() => read({ tensor: 'w', location: 'w.bin', path: 'w.bin', offset: 8, length: 4 })).toThrow("external data file 'w.bin' is shorter than tensor 'w' needs");
      // A model imported before Brink recorded its reading is read as the file says: NHWC is not guessed until the project is opened by the service.
      expect(reopened.models.get(id).reading).toMatchObject({ imageInput: 'input', layout: 'NCHW', fileBatch: 1, batchFreed: false, feedShape: [1, 28, 28, 1] });
    } finally {
      reopened.close();
    }
  });
});
