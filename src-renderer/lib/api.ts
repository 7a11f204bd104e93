import type { BrinkApi } from '../../src-preload/contract';
import { createWebSocketClient } from './ws-client';

/** The one transport, chosen once at start-up: the preload bridge in Electron, a WebSocket in the browser. */
export const api: BrinkApi = window.brink ?? createWebSocketClient();
