import { describe, expect, it } from 'vitest';
import { toWireError, UserError } from './errors.js';

describe('a failed call on the wire', () => {
  it('carries a user-facing error as it is and logs nothing', () => {
    const log: string[] = [];
    expect(toWireError(new UserError('no model m-1 in this project'), 'model.get', (line) => log.push(line))).toEqual({ kind: 'user', message: 'no model m-1 in this project' });
    expect(toWireError(Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' }), 'run.start', (line) => log.push(line)).kind).toBe('user');
    expect(log).toEqual([]);
  });

  it('marks anything else internal, with one line for the renderer and the stack for the log', () => {
    const log: string[] = [];
    const wire = toWireError(new TypeError("Cannot read properties of undefined (reading 'id')\nsecond line"), 'run.get', (line) => log.push(line));
    expect(wire).toEqual({ kind: 'internal', message: "Internal error: Cannot read properties of undefined (reading 'id')" });
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/^call run\.get failed: TypeError: Cannot read properties .*\n.*second line\n\s+at /s);
  });
});
