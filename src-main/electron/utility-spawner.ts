import { utilityProcess } from 'electron';
import { jobEnvironment } from '../jobs/job-environment.js';
import type { FromWorker, Spawner, ToWorker } from '../jobs/protocol.js';

/** Job processes in the app: Electron's utilityProcess, so a native crash in a job never takes the window down. */
export function utilitySpawner(entry: string): Spawner {
  return () => {
    const child = utilityProcess.fork(entry, [], { serviceName: 'Brink audit job', stdio: 'inherit', env: jobEnvironment(process.env, process.platform) });
    let exited = false;
    child.once('exit', () => (exited = true));
    return {
      send: (message: ToWorker) => {
        if (!exited) child.postMessage(message);
      },
      onMessage: (listener) => child.on('message', (message: unknown) => listener(message as FromWorker)),
      // utilityProcess reports only an exit code; a kill shows up as a non-zero code.
      onExit: (listener) => child.once('exit', (code) => listener(code, code === 0 ? null : 'killed')),
      kill: () => {
        child.kill();
      },
      get pid() {
        return child.pid;
      },
    };
  };
}
