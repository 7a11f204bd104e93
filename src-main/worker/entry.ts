/**
 * The job process. Started by the supervisor (Electron utilityProcess in the app,
 * child_process.fork elsewhere); receives one job, runs it, reports, exits.
 */
// First, so that a worker whose host dies while it still loads onnxruntime leaves too.
import './exit-with-host.js';
import { messageOf } from '../errors.js';
import type { FromWorker, ProbeJob, PseudoMarginJob, PseudoMarginScoresJob, ScreenJob, StartJob, ToWorker } from '../jobs/protocol.js';
import { ProjectStore } from '../store/project-store.js';
import { forwardMargins } from './forward-margins.js';
import { probePreprocessing } from './preprocessing-probe.js';
import { pseudoMarginOutput } from './pseudo-margin-output.js';
import { trainFromRun } from './pseudo-margin-training.js';
import { screenLogits } from './screen.js';

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function send(message: FromWorker): void {
  if (parentPort) parentPort.postMessage(message);
  else process.send?.(message);
}

function onMessage(listener: (message: ToWorker) => void): void {
  if (parentPort) parentPort.on('message', (event) => listener(event.data as ToWorker));
  else process.on('message', (message) => listener(message as ToWorker));
}

let stopRequested = false;
let started = false;

onMessage((message) => {
  if (message.type === 'stop') stopRequested = true;
  else if (message.type === 'start' && !started) {
    started = true;
    void run(message);
  } else if (message.type === 'probe' && !started) {
    started = true;
    void probe(message);
  } else if (message.type === 'screen' && !started) {
    started = true;
    void screen(message);
  } else if (message.type === 'pseudo-margin' && !started) {
    started = true;
    void trainPseudoMargin(message);
  } else if (message.type === 'pseudo-margin-scores' && !started) {
    started = true;
    void scorePseudoMargin(message);
  }
});

async function run(job: StartJob): Promise<void> {
  let store: ProjectStore | null = null;
  try {
    store = ProjectStore.open(job.projectPath);
    const opened = store;
    const outcome = await forwardMargins({
      store: opened,
      runId: job.runId,
      intraOpThreads: job.intraOpThreads,
      stopRequested: () => stopRequested,
      progress: (done, total, stage, provider, batch) => send({ type: 'progress', done, total, stage, provider, batch }),
      log: (line) => send({ type: 'log', ...opened.runs.log(job.runId, line) }),
    });
    send({ type: 'finished', outcome });
  } catch (error) {
    if (process.env.BRINK_DEBUG) console.error(error);
    const message = messageOf(error);
    send({ type: 'failed', message, outOfMemory: isAllocationFailure(message) });
  } finally {
    store?.close();
  }
  // Let the last message flush before leaving; the supervisor reads the exit as the end of the job.
  setTimeout(() => process.exit(0), 50);
}

/** onnxruntime's and the system's words for a refused allocation. */
function isAllocationFailure(message: string): boolean {
  return /bad_alloc|failed to allocate|cannot allocate memory|out of memory|ENOMEM|Array buffer allocation failed/i.test(message) && !message.startsWith('out of memory at batch');
}

/**
 * A one-shot job outside the runs queue (a preprocessing probe, a screening, a pseudo-margin
 * training or application): opens the project, sends what `work` answers, or the failure in one line, and exits.
 */
async function oneShot(projectPath: string, work: (store: ProjectStore) => Promise<FromWorker>): Promise<void> {
  let store: ProjectStore | null = null;
  try {
    store = ProjectStore.open(projectPath);
    send(await work(store));
  } catch (error) {
    if (process.env.BRINK_DEBUG) console.error(error);
    send({ type: 'failed', message: messageOf(error) });
  } finally {
    store?.close();
  }
  setTimeout(() => process.exit(0), 50);
}

function probe(job: ProbeJob): Promise<void> {
  return oneShot(job.projectPath, async (store) => ({ type: 'probed', result: await probePreprocessing(store, job) }));
}

function screen(job: ScreenJob): Promise<void> {
  const progress = (done: number, total: number, provider: string | null): void => send({ type: 'progress', done, total, stage: 'screening', provider });
  return oneShot(job.projectPath, async (store) => ({ type: 'screened', result: await screenLogits(store, job, progress, () => stopRequested) }));
}

function trainPseudoMargin(job: PseudoMarginJob): Promise<void> {
  return oneShot(job.projectPath, async (store) => {
    const id = await trainFromRun({
      store,
      job,
      stopRequested: () => stopRequested,
      progress: (stage, epoch, epochs, loss) => send({ type: 'training', stage, epoch, epochs, loss }),
    });
    return id ? { type: 'trained', pseudoMarginId: id } : { type: 'finished', outcome: 'stopped' };
  });
}

function scorePseudoMargin(job: PseudoMarginScoresJob): Promise<void> {
  return oneShot(job.projectPath, async (store) => ({ type: 'pseudo-margin-scored', result: await pseudoMarginOutput(store, job) }));
}
