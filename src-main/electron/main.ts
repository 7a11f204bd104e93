import { app, BrowserWindow, Menu } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrinkService } from '../service/service.js';
import { electronHost } from './electron-host.js';
import { wireIpc } from './ipc.js';
import { utilitySpawner } from './utility-spawner.js';
import { APP_ORIGIN, denyAllPermissions, enforceContentSecurityPolicy, lockDown, registerAppScheme, serveRenderer } from './security.js';
import { electronPrinter } from './print-pdf.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const devServer = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
const samplesDir = app.isPackaged ? join(process.resourcesPath, 'samples') : join(app.getAppPath(), 'resources', 'samples');

// Tests and portable setups keep settings out of the user's profile.
if (process.env.BRINK_HOME) app.setPath('userData', process.env.BRINK_HOME);
registerAppScheme();
if (!app.requestSingleInstanceLock()) app.quit();

let mainWindow: BrowserWindow | null = null;

const service = new BrinkService({
  host: electronHost({
    userDataDir: app.getPath('userData'),
    documentsDir: app.getPath('documents'),
    downloadsDir: app.getPath('downloads'),
    window: () => mainWindow,
  }),
  samplesDir,
  version: app.getVersion(),
  spawner: utilitySpawner(join(here, 'worker.js')),
  printPdf: electronPrinter,
});

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 960,
    minHeight: 600,
    title: 'Brink',
    show: false,
    webPreferences: {
      // Reviewed (Electronegativity asks for it): the preload exposes the contract's calls, its events and File -> path, nothing else.
      preload: join(here, '../preload/index.cjs'), // eng-disable PRELOAD_JS_CHECK
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      // A middle click would open a link in a new window (Electronegativity's AUXCLICK_JS_CHECK).
      disableBlinkFeatures: 'Auxclick',
      spellcheck: false,
    },
  });
  lockDown(mainWindow.webContents, devServer ? new URL(devServer).origin : APP_ORIGIN);
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  mainWindow.on('closed', () => (mainWindow = null));
  void mainWindow.loadURL(devServer ?? `${APP_ORIGIN}/index.html`);
}

app.on('second-instance', () => {
  if (mainWindow?.isMinimized()) mainWindow.restore();
  mainWindow?.focus();
});

app.on('web-contents-created', (_event, contents) => lockDown(contents, devServer ? new URL(devServer).origin : APP_ORIGIN));

app.whenReady().then(async () => {
  denyAllPermissions();
  if (!devServer) enforceContentSecurityPolicy();
  serveRenderer(join(here, '../renderer'));
  wireIpc(service, () => mainWindow, () => (devServer ? new URL(devServer).origin : APP_ORIGIN));
  Menu.setApplicationMenu(Menu.buildFromTemplate([{ role: 'fileMenu' }, { role: 'editMenu' }, { role: 'viewMenu' }, { role: 'windowMenu' }]));
  await openStartingProject();
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

/** The last project, or on a first launch the sample project, so a newcomer sees a populated app. */
async function openStartingProject(): Promise<void> {
  const recent = (await service.call('project.recent', {})) as { path: string; exists: boolean }[];
  try {
    const last = recent.find((entry) => entry.exists);
    if (last) await service.call('project.openRecent', { path: last.path });
    else if (recent.length === 0) await service.call('project.openSample', {});
  } catch (error) {
    console.error('brink: could not reopen the last project', error);
  }
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

let quitting = false;
app.on('before-quit', (event) => {
  if (quitting) return;
  // Pause running jobs cleanly (their last batch committed) before the app goes.
  event.preventDefault();
  quitting = true;
  void service.dispose().finally(() => app.quit());
});
