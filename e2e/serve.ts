import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface Served {
  url: string;
  home: string;
  projectsDir: string;
  stop(): Promise<void>;
  /** Kills the host at once (SIGKILL), as a crash or a power cut would: no shutdown of its jobs. */
  crash(): Promise<void>;
}

export function freshDirs(): { home: string; projectsDir: string } {
  const root = mkdtempSync(join(tmpdir(), 'brink-e2e-'));
  return { home: join(root, 'home'), projectsDir: join(root, 'projects') };
}

/** Starts `brink serve` exactly as a user would, and reads the URL (with its token) from --json output. */
export async function serve(dirs: { home: string; projectsDir: string }, extra: string[] = []): Promise<Served> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'src-main/cli/brink.ts', 'serve', '--json', '--projects-dir', dirs.projectsDir, ...extra],
    { env: { ...process.env, BRINK_HOME: dirs.home }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`brink serve exited with ${code}`)));
  });
  const end = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  return {
    url,
    ...dirs,
    stop: () => end('SIGTERM'),
    crash: () => end('SIGKILL'),
  };
}
