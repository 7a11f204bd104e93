/** `brink export` writes with the service's writers, so that the CLI and the app export the same columns. */
export { exportAdversarials, exportRun } from '../service/run-export.js';
