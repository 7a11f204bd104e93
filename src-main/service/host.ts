import type { ImportSource } from '../../src-preload/contract.js';

/** What differs between the Electron app, the web host and the CLI; the service asks, the host answers. */
export interface Host {
  kind: 'electron' | 'web';
  /** Where recent projects and the sample project's working copy live. */
  userDataDir: string;
  /** Asks where a new project goes; null when the user cancels. */
  chooseNewProjectPath(name: string): Promise<string | null>;
  /** Asks which project to open; null when the user cancels. */
  chooseProjectToOpen(): Promise<string | null>;
  /** Turns an import source into local paths after checking that this host may accept it. */
  resolveSource(source: ImportSource): Promise<string[]>;
}
