import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { jobEnvironment } from './job-environment.js';
import type { FromWorker, Spawner, ToWorker } from './protocol.js';

/**
 * Job processes under plain Node (`brink serve`, the CLI, tests): child_process.fork of the
 * worker entry. From source the entry is TypeScript, so the child loads tsx first.
 */
export function nodeSpawner(entry = defaultEntry()): Spawner {
  return () => {
    const child = fork(entry, [], {
      execArgv: entry.endsWith('.ts') ? ['--import', 'tsx'] : [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
      env: jobEnvironment(process.env, process.platform),
    });
    return {
      send: (message: ToWorker) => {
        if (child.connected) child.send(message);
      },
      onMessage: (listener) => child.on('message', (m) => listener(m as FromWorker)),
      onExit: (listener) => child.once('exit', (code, signal) => listener(code, signal)),
      kill: () => child.kill('SIGKILL'),
      get pid() {
        return child.pid;
      },
    };
  };
}

function defaultEntry(): string {
  const built = fileURLToPath(new URL('../worker/entry.js', import.meta.url));
  return existsSync(built) ? built : fileURLToPath(new URL('../worker/entry.ts', import.meta.url));
}
