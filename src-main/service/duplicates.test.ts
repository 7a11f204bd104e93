import { describe, expect, it } from 'vitest';
import { DuplicateImportError, orDuplicate, refuseDuplicate, requireFreeName, uniqueName } from './duplicates.js';

describe('uniqueName', () => {
  it.each([
    ['foo', [], 'foo'],
    ['foo', ['foo'], 'foo (2)'],
    ['foo', ['Foo', 'foo (2)'], 'foo (3)'],
    ['foo (2)', ['foo', 'foo (2)'], 'foo (3)'],
    ['bar', ['foo'], 'bar'],
  ])('%s among %j is %s', (wanted, taken, expected) => {
    expect(uniqueName(wanted, taken)).toBe(expected);
  });
});

describe('refuseDuplicate', () => {
  it('names the existing item and its id in one line, and lets an allowed duplicate through', async () => {
    const existing = { id: 'm-0123abcd', name: 'standard' };
    expect(() => refuseDuplicate('model', existing, 'net.onnx')).toThrow('net.onnx is already in this project as model “standard” (m-0123abcd, the same file by SHA-256)');
    expect(() => refuseDuplicate('model', existing, 'net.onnx', true)).not.toThrow();
    expect(() => refuseDuplicate('dataset', null, 'set.npz')).not.toThrow();
    const answer = await orDuplicate(async () => refuseDuplicate('dataset', { id: 'd-00ff00ff', name: 'set' }, 'set.npz'));
    expect(answer).toMatchObject({ duplicateOf: { kind: 'dataset', id: 'd-00ff00ff', name: 'set' }, fileName: 'set.npz' });
    await expect(orDuplicate(async () => Promise.reject(new Error('other')))).rejects.toThrow('other');
    expect(new DuplicateImportError({ duplicateOf: { kind: 'model', id: 'm-1', name: 'x' }, fileName: 'x.onnx', message: 'm' }).name).toBe('UserError');
  });
});

describe('requireFreeName', () => {
  it('refuses a name another item has, whatever its case', () => {
    expect(() => requireFreeName('Robust', [{ name: 'robust' }], 'model')).toThrow('a model named “Robust” is already in this project; choose another name');
    expect(() => requireFreeName('new', [{ name: 'robust' }], 'model')).not.toThrow();
  });
});
