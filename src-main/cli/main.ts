import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { attackNames, type ImageLayout, type LogitsSource } from '../../src-preload/contract.js';
import { parseEpsilons } from '../../src-preload/epsilon.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isUserFacing, messageOf, UserError } from '../errors.js';
import { appVersion, defaultUserDataDir, rendererDir, samplesDir } from '../paths.js';
import { nodeSpawner } from '../jobs/node-spawner.js';
import { importDataset } from '../service/dataset-import.js';
import { DuplicateImportError } from '../service/duplicates.js';
import { importModel } from '../service/model-import.js';
import { openProjectFile } from '../service/open-project.js';
import { RunSummaries } from '../service/run-list.js';
import { runDetail, runReading } from '../service/run-results.js';
import { BrinkService } from '../service/service.js';
import { ProjectStore } from '../store/project-store.js';
import { Downloads } from '../web/downloads.js';
import { FileViews } from '../web/file-views.js';
import { webHost } from '../web/web-host.js';
import { startWebServer } from '../web/server.js';
import { analyze, type AnalyzeOptions } from './analyze.js';
import { audit, describeRun, resume, type AuditOptions } from './audit.js';
import { exportAdversarials, exportRun } from './export-run.js';
import { grad, type GradOptions } from './grad.js';
import { leaderboardCommand, type LeaderboardOptions } from './leaderboard.js';
import { preprocessing, type PreprocessingOptions } from './preprocessing.js';
import { listPseudoMargins, trainPseudoMarginCommand, type PseudoMarginTrainOptions } from './pseudo-margin.js';
import { reading, type ReadingCommandOptions } from './reading.js';
import { screenerExport, type ScreenerExportOptions } from './screener.js';
import { screenCommand, type ScreenOptions } from './screen.js';
import { report, type ReportOptions } from './report.js';
import { describeDataset, describeModel } from './format.js';
import { fitFromOptions, fitMode, fitSize, type FitOptions } from './fit-options.js';
import { familyList } from './family-options.js';
import { seriesAdd, seriesShow, type SeriesAddOptions, type SeriesShowOptions } from './series.js';

interface Output {
  json: boolean;
}

function choice<T extends string>(allowed: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(allowed as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected ${allowed.join(', ')}`);
    return value as T;
  };
}

function numberList(value: string): number[] {
  const numbers = value.split(',').map((part) => Number(part.trim()));
  if (numbers.length === 0 || numbers.some((n) => !Number.isFinite(n))) {
    throw new InvalidArgumentError(`expected numbers separated by commas, e.g. 0.5,0.5,0.5`);
  }
  return numbers;
}

const devices = ['auto', 'cpu', 'cuda', 'webgpu'];

function epsilonList(value: string): number[] {
  try {
    return parseEpsilons(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function attackList(value: string): string[] {
  const names = value.split(',').map((v) => v.trim()).filter(Boolean);
  const unknown = names.find((n) => !(attackNames as readonly string[]).includes(n));
  if (unknown || names.length === 0) throw new InvalidArgumentError(`expected attacks among ${attackNames.join(', ')}`);
  return [...new Set(names)];
}

function idList(value: string): string[] {
  const ids = value.split(',').map((v) => v.trim()).filter(Boolean);
  if (ids.length === 0) throw new InvalidArgumentError('expected ids separated by commas, e.g. m-1a2b3c4d5e6f,m-0f9e8d7c6b5a');
  if (new Set(ids).size !== ids.length) throw new InvalidArgumentError('a model is listed twice');
  return ids;
}

function normOption(value: string): string {
  if (!['linf', 'l2', 'l1'].includes(value)) throw new InvalidArgumentError('expected linf, l2 or l1');
  return value;
}

function deviceOption(value: string): string {
  if (!devices.includes(value)) throw new InvalidArgumentError(`expected one of ${devices.join(', ')}`);
  return value;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number >= 0');
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

/** The command line's way past a refused duplicate. */
function duplicateHint(error: unknown): never {
  if (error instanceof DuplicateImportError) throw new UserError(`${error.message}; add --allow-duplicate to import it again`);
  throw error;
}

interface ReadingOptions {
  input?: string;
  layout?: ImageLayout;
  logits?: LogitsSource;
}

function layoutOption(value: string): ImageLayout {
  const layout = value.toUpperCase();
  if (layout !== 'NCHW' && layout !== 'NHWC') throw new InvalidArgumentError('expected nchw or nhwc');
  return layout;
}

function logitsOption(value: string): LogitsSource {
  if (value !== 'output' && value !== 'before-softmax') throw new InvalidArgumentError('expected output or before-softmax');
  return value;
}

function print(out: Output, json: unknown, text: string): void {
  process.stdout.write(out.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
}

function withProject<T>(file: string, fn: (store: ProjectStore) => Promise<T>): Promise<T> {
  const store = openProjectFile(resolve(file));
  return fn(store).finally(() => store.close());
}

export function buildProgram(): Command {
  const program = new Command('brink')
    .description('Audit the adversarial robustness of ONNX image classifiers')
    .version(appVersion)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `brink: ${s.slice(7)}` : s) });

  const project = program.command('project').description('create Brink project files');
  project
    .command('create <file>')
    .description('create a new, empty project file')
    .option('--name <name>', 'project name (default: the file name)')
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: { name?: string } & Output) => {
      const path = resolve(file);
      const store = ProjectStore.create(path, opts.name ?? file.replace(/^.*[\\/]/, '').replace(/\.brink$/, ''));
      const info = store.info();
      store.close();
      print(opts, { path: info.path, name: info.name }, `Created project ${info.name} at ${info.path}`);
    });

  const model = program.command('model').description('models in a project');
  model
    .command('add <file> <model>')
    .description('import an ONNX model into the project')
    .option('--name <name>', 'display name (default: the file name)')
    .option('--mean <list>', 'per-channel mean of the model’s normalisation, e.g. 0.485,0.456,0.406', numberList)
    .option('--std <list>', 'per-channel std of the model’s normalisation', numberList)
    .option('--range <lo,hi>', 'input value range the model expects before normalisation (default 0,1)', numberList)
    .option('--labels <file>', 'class labels, one per line')
    .option('--allow-duplicate', 'import even when the project already holds this file (same SHA-256)')
    .option('--input <name>', 'the input that takes the images, for a model with several (default: the only 4-D float input)')
    .option('--layout <layout>', 'nchw or nhwc: how the image input holds its axes (default: detected from its shape)', layoutOption)
    .option('--logits <source>', 'output, or before-softmax: the input of a trailing Softmax/LogSoftmax (default when there is one)', logitsOption)
    .option('--json', 'print one JSON object')
    .action(async (file: string, modelPath: string, opts: { name?: string; mean?: number[]; std?: number[]; range?: number[]; labels?: string; allowDuplicate?: boolean } & ReadingOptions & Output) => {
      if (opts.range && opts.range.length !== 2) throw new UserError('--range takes two numbers, e.g. 0,255');
      if ((opts.mean && !opts.std) || (opts.std && !opts.mean)) throw new UserError('give --mean and --std together');
      await withProject(file, async (store) => {
        const added = await importModel(store, resolve(modelPath), {
          name: opts.name,
          mean: opts.mean,
          std: opts.std,
          valueRange: opts.range as [number, number] | undefined,
          labelsPath: opts.labels ? resolve(opts.labels) : undefined,
          allowDuplicate: opts.allowDuplicate,
          reading: { imageInput: opts.input, layout: opts.layout, logits: opts.logits },
        }).catch(duplicateHint);
        print(opts, { id: added.id }, `Added model\n${describeModel(added)}`);
      });
    });
  model
    .command('preprocessing <file>')
    .description("set or confirm a model's preprocessing, or test the common conventions on a labelled dataset")
    .requiredOption('--model <id>', 'model id (see `model list`)')
    .option('--range <lo,hi>', 'input value range before normalisation, e.g. 0,255', numberList)
    .option('--mean <list>', 'per-channel mean, e.g. 0.485,0.456,0.406', numberList)
    .option('--std <list>', 'per-channel std', numberList)
    .option('--confirm', 'confirm the preprocessing as it is')
    .option('--test <dataset>', 'classify labelled samples of this dataset under each common convention')
    .option('--samples <n>', 'with --test: how many samples (default 300)', positiveInt)
    .option('--apply', 'with --test: save the proposal, which confirms it')
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: PreprocessingOptions) => preprocessing(file, opts));
  model
    .command('reading <file>')
    .description('change how Brink reads a model: where the logits are, the image layout, the input that takes the images')
    .requiredOption('--model <id>', 'model id (see `model list`)')
    .option('--logits <source>', 'output, or before-softmax: the input of a trailing Softmax/LogSoftmax', logitsOption)
    .option('--layout <layout>', 'nchw or nhwc: how the image input holds its axes', layoutOption)
    .option('--input <name>', 'the input that takes the images')
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: ReadingCommandOptions) => reading(file, opts));
  model
    .command('list <file>')
    .description('list the models in a project')
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: Output) => {
      await withProject(file, async (store) => {
        const models = store.models.list().map((m) => store.models.get(m.id));
        print(opts, { models }, models.length ? models.map(describeModel).join('\n\n') : 'No models.');
      });
    });

  const dataset = program.command('dataset').description('datasets in a project');
  dataset
    .command('add <file> <path>')
    .description('import a dataset: IDX (MNIST format), CIFAR binary, .npy/.npz, or a folder of class folders')
    .option('--name <name>', 'display name')
    .option('--limit <n>', 'import only the first N samples', positiveInt)
    .option('--allow-duplicate', 'import even when the project already holds the same samples (same SHA-256)')
    .option('--fit <mode>', 'image folders: strict (default: only the most common size), crop (Resize + CenterCrop, as torchvision), stretch or pad', fitMode)
    .option('--size <H,W>', 'image size for crop, stretch and pad (default 224,224)', fitSize)
    .option('--resize <S>', "crop: the short side's length before cropping (default the size's short side / 0.875, 256 for 224)", positiveInt)
    .option('--json', 'print one JSON object')
    .action(async (file: string, path: string, opts: { name?: string; limit?: number; allowDuplicate?: boolean } & FitOptions & Output) => {
      const fit = fitFromOptions(opts);
      await withProject(file, async (store) => {
        const added = await importDataset(store, resolve(path), { name: opts.name, limit: opts.limit, allowDuplicate: opts.allowDuplicate, fit }).catch(duplicateHint);
        print(opts, { id: added.id }, `Added dataset\n${describeDataset(added)}`);
      });
    });
  dataset
    .command('list <file>')
    .description('list the datasets in a project')
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: Output) => {
      await withProject(file, async (store) => {
        const datasets = store.datasets.list().map((d) => store.datasets.get(d.id));
        print(opts, { datasets }, datasets.length ? datasets.map(describeDataset).join('\n\n') : 'No datasets.');
      });
    });

  program
    .command('audit <file>')
    .description('run an audit job: predictions, logit margins and feature margins for a model on a dataset')
    .option('--model <id>', 'model id (see `model list`)')
    .option('--models <list>', 'several model ids, comma-separated: the same configuration on the same samples for each, as one audit group', idList)
    .requiredOption('--dataset <id>', 'dataset id (see `dataset list`)')
    .option('--limit <n>', 'only the first N samples', positiveInt)
    .option('--random <n>', 'a random subset of N samples', positiveInt)
    .option('--seed <s>', 'seed of the random subset (default 0)', nonNegativeInt)
    .option('--batch <b>', 'batch size (default 128)', positiveInt)
    .option('--device <device>', `execution provider: ${devices.join('|')} (default auto)`, deviceOption)
    .option('--attack <list>', `attacks, comma-separated: ${attackNames.join(', ')}`, attackList)
    .option('--norm <norm>', 'linf, l2 or l1 (default linf)', normOption)
    .option('--eps <list>', 'epsilons for robust accuracy, e.g. 2/255,8/255 or 0.1', epsilonList)
    .option('--iters <n>', 'iterations per attack (default: each attack’s own)', positiveInt)
    .option('--restarts <n>', 'restarts (default 1)', positiveInt)
    .option('--targeted <k>', 'FAB targeted over the top-k classes; APGD-T target count', positiveInt)
    .option('--untargeted', 'FAB untargeted even with more than 10 classes (default there: targeted over the top 9, as AutoAttack)')
    .option('--memory <gb>', "the job's memory budget in GB (default: a safe share of the free memory)", positiveNumber)
    .option(
      '--family <list>',
      'perturbation families, comma-separated: linf, l2, l1 (the attacks at that norm, one run each; default attack fab), corruptions, spatial, or single ones (gaussian-noise, jpeg, rotation, ...)',
      familyList,
    )
    .option('--lipschitz', "also estimate each sample's margin from sampled gradient norms (Wu & Yu eq. 16; an estimate, not a certificate), in the run's norm")
    .option('--radius <r>', 'radius of the ball the Lipschitz estimate samples, and its cap (default: 0.3 linf, 5 l2, 20 l1)', positiveNumber)
    .option('--samples <k>', 'random points per sample for the Lipschitz estimate (default 128)', positiveInt)
    .option('--force', 'start even when an epsilon is implausible for the norm in [0,1] pixel units (8 for 8/255, say)')
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: AuditOptions) => audit(file, opts));
  const series = program.command('series').description('checkpoint series: one model through training, minimum against average margin (Wu & Yu)');
  series
    .command('add <file> <paths...>')
    .description('import checkpoints as one series: a folder (ordered by the number in the file names) or files in training order')
    .requiredOption('--name <name>', 'the series name')
    .option('--mean <list>', 'per-channel mean of the checkpoints’ normalisation', numberList)
    .option('--std <list>', 'per-channel std of the checkpoints’ normalisation', numberList)
    .option('--labels <file>', 'class labels, one per line')
    .option('--by-number', 'order files given one by one by the number in their names too')
    .option('--json', 'print one JSON object')
    .action(async (file: string, paths: string[], opts: SeriesAddOptions) => seriesAdd(file, paths, opts));
  series
    .command('show <file>', { isDefault: true })
    .description('the per-checkpoint table (accuracy, minimum and average signed margin); with --attack or --lipschitz, first runs what is missing')
    .requiredOption('--series <id>', 'series id (see `series add`)')
    .requiredOption('--dataset <id>', 'dataset id (see `dataset list`)')
    .option('--limit <n>', 'only the first N samples', positiveInt)
    .option('--batch <b>', 'batch size (default 128)', positiveInt)
    .option('--device <device>', `execution provider: ${devices.join('|')} (default auto)`, deviceOption)
    .option('--attack <list>', `margin attacks, comma-separated: ${attackNames.join(', ')}`, attackList)
    .option('--norm <norm>', 'linf, l2 or l1 (default linf)', normOption)
    .option('--iters <n>', 'iterations per attack', positiveInt)
    .option('--restarts <n>', 'restarts (default 1)', positiveInt)
    .option('--seed <s>', 'seed of the attacks and of the Lipschitz points (default 0)', nonNegativeInt)
    .option('--lipschitz', 'estimate each margin from sampled gradient norms (Wu & Yu eq. 16; an estimate, not a certificate); the series margin when no attack runs')
    .option('--radius <r>', 'Lipschitz ball radius and cap (default: 0.3 linf, 5 l2, 20 l1)', positiveNumber)
    .option('--samples <k>', 'Lipschitz points per sample (default 128)', positiveInt)
    .option('--force', 'start even when a warning asks for confirmation')
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: SeriesShowOptions) => seriesShow(file, opts));
  program
    .command('leaderboard <file>')
    .description("the project's models side by side: clean and robust accuracy, architecture, median margin per perturbation family, consistency, detection")
    .option('--csv <file>', 'also write the table to a .csv file')
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: LeaderboardOptions) => leaderboardCommand(file, opts));
  program
    .command('resume <file>')
    .description('continue a paused, interrupted or failed run from its last committed batch')
    .requiredOption('--run <id>', 'run id (see `runs`)')
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: { run: string; json?: boolean }) => resume(file, opts));
  program
    .command('runs <file>')
    .description('list the audit runs in a project')
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: Output) => {
      await withProject(file, async (store) => {
        const runs = new RunSummaries().list(store);
        const read = runs.map((r) => ({ ...r, reading: runReading(store, r.id, r.modelId) }));
        print(opts, { runs: read }, runs.length ? runs.map((r) => describeRun(runDetail(store, r.id))).join('\n') : 'No runs.');
      });
    });
  program
    .command('analyze <file>')
    .description('a run\'s analysis: margin consistency, detection, robust accuracy, Algorithm 1, other scores, screening, per class')
    .requiredOption('--run <id>', 'run id (see `runs`)')
    .option('--eps <list>', 'epsilon grid, e.g. 1/255,2/255,8/255 (default: the run\'s epsilons and the norm\'s defaults)', epsilonList)
    .option('--with-forward <id>', 'a forward-margins run of the same model over the whole dataset: Algorithm 1 estimates its robust accuracy')
    .option('--tpr <fraction>', 'screening: the true-positive rate the threshold must reach (default 0.95)', (v) => {
      const n = Number(v);
      if (!(n > 0 && n < 1)) throw new InvalidArgumentError('expected a fraction between 0 and 1, e.g. 0.95');
      return n;
    })
    .option('--curves', 'with --json: every ROC and PR point and threshold, not at most 500')
    .option('--correct-only', 'every statistic over the correctly classified samples only')
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: AnalyzeOptions) => analyze(file, opts));
  const pseudoMargin = program.command('pseudo-margin').description('learned pseudo-margins: a network from logits or penultimate features to the input margin');
  pseudoMargin
    .command('train <file>')
    .description('train a pseudo-margin on an audited run (80/20 split, held-out metrics beside the logit margin)')
    .requiredOption('--run <id>', 'a finished run with a minimal-norm attack (see `runs`)')
    .option('--input <input>', 'logits, features or both (default both: keeps the better held-out tau)', choice(['logits', 'features', 'both'] as const))
    .option('--variant <variant>', "code (the authors' four Linear layers, default) or paper (five dense layers of 512 with ReLU)", choice(['code', 'paper'] as const))
    .option('--seed <s>', 'seed of the split and the initial weights (default 0)', nonNegativeInt)
    .option('--epochs <n>', 'full-batch Adam epochs (default 500)', positiveInt)
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: PseudoMarginTrainOptions) => trainPseudoMarginCommand(file, opts));
  pseudoMargin
    .command('list <file>')
    .description("the project's pseudo-margins with their held-out metrics beside the logit margin's")
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: { json?: boolean }) => listPseudoMargins(file, opts));
  program
    .command('screen <file>')
    .description('flag new inputs as brittle from one forward pass each: prediction, score and flag per input, written as CSV')
    .requiredOption('--model <id>', 'model id (see `model list`)')
    .requiredOption('--input <path>', 'images to screen: an image, a folder of images, a .npy or an .npz (labels not needed)')
    .option('--score <score>', 'logit-margin (default) or pseudo-margin:ID')
    .option('--threshold <x>', 'flag an input brittle when its score is at most this', (v) => {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new InvalidArgumentError('expected a number');
      return n;
    })
    .option('--calibrate <run>', 'take the screening threshold of this analysed run of the model (target TPR at an epsilon)')
    .option('--eps <e>', 'with --calibrate: the epsilon, e.g. 8/255 (default: the run\'s audit epsilon)', (v) => {
      const values = epsilonList(v);
      if (values.length !== 1) throw new InvalidArgumentError('expected one epsilon, e.g. 8/255');
      return values[0];
    })
    .option('--tpr <fraction>', 'with --calibrate: the true-positive rate to reach (default 0.95)', (v) => {
      const n = Number(v);
      if (!(n > 0 && n < 1)) throw new InvalidArgumentError('expected a fraction between 0 and 1, e.g. 0.95');
      return n;
    })
    .option('--fit <mode>', "images of another size than the model's input: crop (Resize + CenterCrop, as torchvision), stretch or pad (default strict: refused)", fitMode)
    .option('--size <H,W>', "image size for crop, stretch and pad (default the model's input size)", fitSize)
    .option('--resize <S>', "crop: the short side's length before cropping (default the size's short side / 0.875)", positiveInt)
    .option('--batch <n>', 'inputs per forward call (default 128)', positiveInt)
    .requiredOption('--out <file>', 'the flags as CSV: index,file,pred,score,brittle then logit_0..logit_{C-1}')
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: ScreenOptions) => screenCommand(file, opts));
  program
    .command('export <file>')
    .description('write a run\'s per-sample results to a .csv or .json file')
    .requiredOption('--run <id>', 'run id')
    .requiredOption('--out <file>', 'output file (.csv or .json)')
    .option('--adv <file>', 'also write the adversarial examples as float32 .npy, in the same order (the original where none was found)')
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: { run: string; out: string; adv?: string } & Output) => {
      await withProject(file, async (store) => {
        const rows = await exportRun(store, opts.run, resolve(opts.out));
        if (opts.adv) await exportAdversarials(store, opts.run, resolve(opts.adv));
        const adv = opts.adv ? resolve(opts.adv) : undefined;
        print(opts, { out: resolve(opts.out), rows, ...(adv ? { adv } : {}) }, `Wrote ${rows} samples to ${resolve(opts.out)}${adv ? ` and adversarial examples to ${adv}` : ''}`);
      });
    });

  const screener = program.command('screener').description('deployable screeners: the classifier, its brittleness score and threshold as one ONNX model');
  screener
    .command('export <file>')
    .description('write a model\'s screener (outputs logits, score, brittle = score <= threshold) to an .onnx file')
    .requiredOption('--model <id>', 'model id (see `model list`)')
    .option('--score <score>', 'logit-margin (default) or pseudo-margin:ID')
    .option('--threshold <x>', 'flag a decision brittle when its score is at most this', (v) => {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new InvalidArgumentError('expected a number');
      return n;
    })
    .option('--calibrate <run>', 'take the threshold from this analysed run of the model: the target TPR at the epsilon')
    .option('--eps <epsilon>', 'with --calibrate: the epsilon, e.g. 8/255 (default: the run\'s audit epsilon)', (v) => {
      const values = epsilonList(v);
      if (values.length !== 1) throw new InvalidArgumentError('expected one epsilon');
      return values[0];
    })
    .option('--tpr <fraction>', 'with --calibrate: the true-positive rate the threshold must reach (default 0.95)', (v) => {
      const n = Number(v);
      if (!(n > 0 && n < 1)) throw new InvalidArgumentError('expected a fraction between 0 and 1, e.g. 0.95');
      return n;
    })
    .requiredOption('--out <file>', 'the .onnx file to write')
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: ScreenerExportOptions) => screenerExport(file, opts));

  program
    .command('report <file>')
    .description('write the audit report of a run as a PDF, with its sidecar JSON and per-sample CSV beside it')
    .requiredOption('--run <id>', 'the audited run; again for a forward-margins run of the same model (Algorithm 1 estimates its robust accuracy)', (v: string, all: string[] = []) => [...all, v])
    .requiredOption('--out <file>', 'the PDF to write (report.pdf: report.json and report-samples.csv beside it)')
    .option('--title <text>', 'the report\'s title (default "Adversarial robustness audit")')
    .option('--client <name>', 'the client, on the cover')
    .option('--auditor <name>', 'the auditor, on the cover')
    .option('--notes <file>', "the auditor's notes, Markdown")
    .option('--time <iso>', "the report's recorded time (default now): the same project, settings and time give the same PDF bytes")
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: ReportOptions) => report(file, opts));
  program
    .command('grad <model>')
    .description('input gradients: G = d(sum V * logits)/dX for X in [0,1], with the model\'s normalisation folded in')
    .requiredOption('--input <x.npy>', 'float32 [B, ...] images in [0,1]')
    .requiredOption('--cotangent <v.npy>', 'float32 [B, classes]')
    .requiredOption('--out <g.npy>', 'where to write G (float32, the shape of X)')
    .option('--mean <list>', 'per-channel mean of the model’s normalisation', numberList)
    .option('--std <list>', 'per-channel std of the model’s normalisation', numberList)
    .option('--range <lo,hi>', 'input value range before normalisation (default 0,1)', numberList)
    .option('--device <device>', `execution provider: ${devices.join('|')} (default auto)`, deviceOption)
    .option('--batch <b>', 'batch size (default 32)', positiveInt)
    .option('--json', 'print one JSON object')
    .action(async (model: string, opts: GradOptions & Output) => {
      const out = resolve(opts.out);
      const { shape, provider } = await grad(resolve(model), { ...opts, input: resolve(opts.input), cotangent: resolve(opts.cotangent), out });
      print(opts, { out, shape, provider }, `Wrote gradients [${shape.join(', ')}] to ${out} (${provider})`);
    });

  program
    .command('serve')
    .description('serve the Brink interface to a browser on this machine (127.0.0.1 only)')
    .option('--port <port>', 'port (default: a free one)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number');
      return n;
    })
    .option('--project <file>', 'open this project')
    .option('--sample', 'open the bundled sample project')
    .option('--projects-dir <dir>', 'where new projects are created (default: the current folder)')
    .option('--json', 'print one JSON object with the URL')
    .action(async (opts: { port?: number; project?: string; sample?: boolean; projectsDir?: string } & Output) => {
      await serve(opts);
    });

  return program;
}

async function serve(opts: { port?: number; project?: string; sample?: boolean; projectsDir?: string } & Output): Promise<void> {
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new UserError('the interface is not built yet: run `npm run build` first, or start with `npm run serve`');
  }
  const stagingDir = mkdtempSync(join(tmpdir(), 'brink-uploads-'));
  const downloads = new Downloads(mkdtempSync(join(tmpdir(), 'brink-downloads-')));
  const views = new FileViews();
  const userDataDir = defaultUserDataDir();
  const service = new BrinkService({
    host: webHost({ userDataDir, projectsDir: resolve(opts.projectsDir ?? '.'), stagingDir, downloads, views }),
    samplesDir,
    version: appVersion,
    spawner: nodeSpawner(),
  });
  if (opts.project) await service.openProject(resolve(opts.project));
  else if (opts.sample) await service.call('project.openSample', {});
  const server = await startWebServer({
    service,
    rendererDir,
    stagingDir,
    downloads,
    views,
    port: opts.port ?? 0,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  print(opts, { url: server.url, port: server.port }, `Brink is serving on ${server.url}\nPress Ctrl+C to stop.`);
  const stop = async () => {
    let code = 0;
    try {
      await server.close();
      await service.dispose();
      await downloads.close();
      views.close();
      rmSync(stagingDir, { recursive: true, force: true });
    } catch (error) {
      // The project's rows are committed batch by batch: leaving now loses nothing, staying would hang.
      process.stderr.write(`brink serve: stopping: ${messageOf(error)}\n`);
      code = 1;
    }
    process.exit(code);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

export async function runCli(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    process.stderr.write(`brink: ${messageOf(error)}\n`);
    if (!isUserFacing(error) && process.env.BRINK_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    return 1;
  }
}
