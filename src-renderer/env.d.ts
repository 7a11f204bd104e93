/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { BrinkApi } from '../src-preload/contract';

declare global {
  interface Window {
    /** The Electron preload bridge; absent in the browser, where a WebSocket client stands in. */
    brink?: BrinkApi;
  }
}

export {};
