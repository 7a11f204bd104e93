import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { UserError } from '../errors.js';

interface Holder {
  pid: number;
  host: string;
}

/**
 * One Brink per project: SQLite would let two apps write the same file safely, but each would
 * queue, resume and mark runs as if it were the only one. A `<project>-lock` file beside the
 * project names the process holding it; a holder that is gone (a crash, a kill) leaves a lock
 * that the next Brink takes over.
 */
export class ProjectLock {
  private constructor(private readonly path: string) {}

  static acquire(projectPath: string): ProjectLock {
    const path = `${projectPath}-lock`;
    const me: Holder = { pid: process.pid, host: hostname() };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(path, JSON.stringify(me), { flag: 'wx' });
        return new ProjectLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readHolder(path);
      if (holder && holder.pid === me.pid && holder.host === me.host) return new ProjectLock(path);
      if (holder && alive(holder)) {
        throw new UserError(`${basename(projectPath)} is open in another Brink (process ${holder.pid}${holder.host === me.host ? '' : ` on ${holder.host}`}); close it there first`);
      }
      rmSync(path, { force: true });
    }
    throw new UserError(`${basename(projectPath)} is being opened by another Brink at this moment; try again`);
  }

  release(): void {
    const holder = readHolder(this.path);
    if (holder?.pid === process.pid && holder.host === hostname()) rmSync(this.path, { force: true });
  }
}

function readHolder(path: string): Holder | null {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>;
    return typeof value.pid === 'number' && typeof value.host === 'string' ? { pid: value.pid, host: value.host } : null;
  } catch {
    return null;
  }
}

/** A process on another machine (a shared folder) cannot be checked: its lock is honoured. */
function alive(holder: Holder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
