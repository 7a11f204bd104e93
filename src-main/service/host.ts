import type { ImportSource, OpenedFile, SavedFile } from '../../src-preload/contract.js';

/** A file the project keeps and records by its SHA-256 (a report's PDF), to be shown only while it still hashes so. */
export interface KeptFile {
  path: string;
  /** The name a viewer shows and saves it under. */
  name: string;
  mediaType: string;
  sha256: string;
}

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
  /**
   * Delivers an exported file: the desktop app asks where to save it (null when the user
   * cancels) and `write` writes it there; the web host has `write` fill a private file and
   * offers it to the browser as a one-time download. `suggestedName` ends in the file's extension.
   */
  saveFile(suggestedName: string, write: (path: string) => Promise<unknown>): Promise<SavedFile | null>;
  /**
   * Opens a kept file for reading, in place: the desktop app hands it to the system's viewer; the
   * web host serves it inline at a view URL for a while, refusing it once it is gone or no
   * longer hashes as recorded.
   */
  openFile(file: KeptFile): Promise<OpenedFile>;
}
