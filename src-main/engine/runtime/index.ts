// The runtime's public face: sessions on a chosen execution provider, fixed-shape batching, .npy I/O.
export { AUTO_ORDER, createSession, DEVICES, RuntimeProviderError } from './providers.js';
export type { CreateSessionOptions, Device, Provider, ProviderAttempt, RuntimeSession } from './providers.js';
export { BatchRunError, BatchRunner, fixedBatchSize } from './batcher.js';
export type { BatchRunnerOptions, BatchRunOptions, FloatArray, Padding } from './batcher.js';
export { existingFolder, folderReader, materialiseExternalData } from './external-data.js';
export type { ExternalDataFile, ExternalDataFolder } from './external-data.js';
export { decodeNpy, decodeNpyFloat32, encodeNpy } from './npy.js';
export type { NpyArray, NpyData } from './npy.js';
