/** Which Chromium prints reports outside the app: BRINK_CHROMIUM when set, else one found on the system. */
import { existsSync } from 'node:fs';
import { UserError } from '../errors.js';

const SYSTEM_CHROMIUMS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome', 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe'];

export function findChromium(env: NodeJS.ProcessEnv = process.env, exists: (path: string) => boolean = existsSync): string {
  const named = env.BRINK_CHROMIUM;
  if (named) {
    if (!exists(named)) throw new UserError(`BRINK_CHROMIUM names ${named}, which does not exist`);
    return named;
  }
  const found = SYSTEM_CHROMIUMS.find(exists);
  if (!found) throw new UserError('no Chromium found to print the report: install Chromium or Google Chrome, or set BRINK_CHROMIUM to its executable');
  return found;
}
