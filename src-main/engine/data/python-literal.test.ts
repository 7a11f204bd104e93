import { describe, expect, it } from 'vitest';
import { parsePythonLiteral } from './python-literal.js';

describe('parsePythonLiteral', () => {
  it('reads the dictionary numpy writes in a .npy header', () => {
    expect(parsePythonLiteral("{'descr': '<f4', 'fortran_order': False, 'shape': (10, 28, 28), }   \n")).toEqual({
      descr: '<f4',
      fortran_order: false,
      shape: [10, 28, 28],
    });
  });

  it('reads one-element tuples, empty tuples and Python 2 long integers', () => {
    expect(parsePythonLiteral('{"shape": (5,), "s": (), "l": (60000L, 28L)}')).toEqual({ shape: [5], s: [], l: [60000, 28] });
  });

  it('reads the list descr of a structured dtype, so that it can be refused by name', () => {
    expect(parsePythonLiteral("{'descr': [('a', '<i4')], 'x': None, 'y': True}")).toEqual({
      descr: [['a', '<i4']],
      x: null,
      y: true,
    });
  });

  it.each(["{'a': 1", "{'a' 1}", "{'a': 1} junk", "{1: 2}", "{'a': 1.5}", "{'a': 'b\\'c'}"])('rejects %s', (text) => {
    expect(() => parsePythonLiteral(text)).toThrow(SyntaxError);
  });
});
