import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RecentProject } from '../../src-preload/contract.js';

const MAX_RECENT = 12;

/** The recent-projects list, a small JSON file in the user's data folder (never in a project). */
export class RecentProjects {
  private readonly file: string;

  constructor(userDataDir: string) {
    this.file = join(userDataDir, 'recent-projects.json');
  }

  list(): RecentProject[] {
    return this.read().map((entry) => ({ ...entry, exists: existsSync(entry.path) }));
  }

  has(path: string): boolean {
    return this.read().some((entry) => entry.path === path);
  }

  touch(path: string, name: string): void {
    const rest = this.read().filter((entry) => entry.path !== path);
    this.write([{ path, name, openedAt: new Date().toISOString() }, ...rest].slice(0, MAX_RECENT));
  }

  private read(): Omit<RecentProject, 'exists'>[] {
    try {
      const parsed: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
      if (!Array.isArray(parsed)) return [];
      return parsed.filter(
        (e): e is Omit<RecentProject, 'exists'> =>
          typeof e?.path === 'string' && typeof e?.name === 'string' && typeof e?.openedAt === 'string',
      );
    } catch {
      return [];
    }
  }

  /** Write-then-rename so that a crash never leaves a half-written list. */
  private write(entries: Omit<RecentProject, 'exists'>[]): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(entries, null, 2));
    renameSync(tmp, this.file);
  }
}
