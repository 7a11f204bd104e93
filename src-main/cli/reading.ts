import type { ImageLayout, LogitsSource } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';
import { withService } from './audit.js';
import { describeReading } from './format.js';

export interface ReadingCommandOptions {
  model: string;
  input?: string;
  layout?: ImageLayout;
  logits?: LogitsSource;
  json?: boolean;
}

/**
 * The model page's reading section on the command line: change the image input, the layout or
 * where the logits are through model.update (which checks them against the file and the
 * preprocessing, and analyses the model again), then print the reading as it now is.
 */
export async function reading(file: string, opts: ReadingCommandOptions): Promise<void> {
  if (opts.input === undefined && opts.layout === undefined && opts.logits === undefined) {
    throw new UserError('give what to change: --logits output|before-softmax, --layout nchw|nhwc or --input NAME');
  }
  await withService(file, async (service) => {
    const saved = await service.invoke('model.update', { id: opts.model, reading: { imageInput: opts.input, layout: opts.layout, logits: opts.logits } });
    const text = [`${saved.name}: read as`, ...describeReading(saved.reading)].join('\n');
    process.stdout.write(opts.json ? `${JSON.stringify({ model: saved.id, reading: saved.reading })}\n` : `${text}\n`);
  });
}
