import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointFiles, orderByNumberInName } from './series.js';

describe('checkpoint order', () => {
  it('orders by the last number in each name, numerically (epoch-2 before epoch-10)', () => {
    expect(orderByNumberInName(['/c/run3-epoch-10.onnx', '/c/run3-epoch-2.onnx', '/c/run3-epoch-1.onnx'])).toEqual([
      '/c/run3-epoch-1.onnx',
      '/c/run3-epoch-2.onnx',
      '/c/run3-epoch-10.onnx',
    ]);
  });

  it('refuses a name without a number, and two names with the same number', () => {
    expect(() => orderByNumberInName(['/c/ckpt-1.onnx', '/c/final.onnx'])).toThrow(/final\.onnx has no number/);
    expect(() => orderByNumberInName(['/c/a-01.onnx', '/c/b-1.onnx'])).toThrow(/same number \(1\)/);
  });

  it("takes a folder's .onnx files by number, and keeps files given one by one in their order", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brink-series-order-'));
    mkdirSync(join(dir, 'ckpts'));
    for (const name of ['step-300.onnx', 'step-20.onnx', 'notes.txt', 'step-1000.onnx']) writeFileSync(join(dir, 'ckpts', name), 'x');
    expect(await checkpointFiles([join(dir, 'ckpts')])).toEqual(['step-20.onnx', 'step-300.onnx', 'step-1000.onnx'].map((n) => join(dir, 'ckpts', n)));
    const given = [join(dir, 'ckpts', 'step-300.onnx'), join(dir, 'ckpts', 'step-20.onnx')];
    expect(await checkpointFiles(given)).toEqual(given);
    expect(await checkpointFiles(given, 'numbers')).toEqual([...given].reverse());
    await expect(checkpointFiles([given[0]])).rejects.toThrow(/at least two/);
  });
});
