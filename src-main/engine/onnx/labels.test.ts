import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LabelsFormatError, MAX_LABELS, parseLabelsFile } from './labels.js';

function labelsError(text: string, fileName?: string): LabelsFormatError {
  try {
    parseLabelsFile(text, fileName);
  } catch (error) {
    expect(error).toBeInstanceOf(LabelsFormatError);
    const e = error as LabelsFormatError;
    expect(e.name).toBe('LabelsFormatError');
    expect(e.message).not.toMatch(/[\r\n]/);
    return e;
  }
  throw new Error('labels accepted');
}

describe('parseLabelsFile reads', () => {
  it('one trimmed name per line, ignoring trailing blank lines', () => {
    expect(parseLabelsFile('  T-shirt/top \nTrouser\r\nPullover\t\n\n  \n')).toEqual(['T-shirt/top', 'Trouser', 'Pullover']);
  });

  it('old Mac line endings and a byte-order mark', () => {
    expect(parseLabelsFile('\uFEFFcat\rdog\r')).toEqual(['cat', 'dog']);
  });

  it('names with inner spaces and non-ASCII characters as written', () => {
    expect(parseLabelsFile('great white shark\nchâteau\n猫')).toEqual(['great white shark', 'château', '猫']);
  });

  it('a JSON array of names', () => {
    expect(parseLabelsFile('  ["airplane", " automobile ", "bird"]\n')).toEqual(['airplane', 'automobile', 'bird']);
  });

  it('a JSON object from class index to name, in index order', () => {
    expect(parseLabelsFile('{"1": "dog", "0": "cat", "2": "bird"}')).toEqual(['cat', 'dog', 'bird']);
  });

  it("Keras' imagenet_class_index.json pairs", () => {
    expect(parseLabelsFile('{"0": ["n01440764", "tench"], "1": ["n01443537", "goldfish"]}')).toEqual(['tench', 'goldfish']);
  });

  it("a Hugging Face config.json's id2label", () => {
    const config = { architectures: ['ViTForImageClassification'], id2label: { '0': 'cat', '1': 'dog' }, label2id: { cat: 0, dog: 1 } };
    expect(parseLabelsFile(JSON.stringify(config, null, 2))).toEqual(['cat', 'dog']);
  });

  it(`exactly ${MAX_LABELS} lines`, () => {
    const text = Array.from({ length: MAX_LABELS }, (_, i) => `class ${i}`).join('\n');
    expect(parseLabelsFile(text)).toHaveLength(MAX_LABELS);
  });
});

describe('parseLabelsFile rejects', () => {
  it.each([
    ['empty content', ''],
    ['only whitespace', ' \n\t\n '],
    ['only a byte-order mark', '\uFEFF'],
  ])('%s', (_, text) => {
    expect(labelsError(text, 'labels.txt').message).toBe('labels.txt: empty labels file');
  });

  it('a blank line in the middle, which would shift later classes', () => {
    expect(labelsError('cat\ndog\n\nbird\n', 'labels.txt').message).toBe(
      'labels.txt: line 3 is blank; write one class name per line with no gaps',
    );
  });

  it('a leading blank line', () => {
    expect(labelsError('\ncat\ndog').message).toMatch(/^line 1 is blank/);
  });

  it('duplicate names, saying where both are', () => {
    expect(labelsError('cat\ndog\n cat \n', 'labels.txt').message).toBe(
      "labels.txt: 'cat' appears twice (line 1 and line 3); class names must be unique",
    );
    expect(labelsError('["cat", "dog", "dog"]').message).toMatch(/'dog' appears twice \(class 1 and class 2\)/);
  });

  it(`more than ${MAX_LABELS} lines`, () => {
    const text = Array.from({ length: MAX_LABELS + 1 }, (_, i) => `class ${i}`).join('\n');
    expect(labelsError(text).message).toMatch(/more than 100000 lines/);
  });

  it(`a JSON array longer than ${MAX_LABELS}`, () => {
    expect(labelsError(JSON.stringify(Array.from({ length: MAX_LABELS + 1 }, (_, i) => `c${i}`))).message).toMatch(/more than 100000 labels/);
  });

  it.each([
    ['broken JSON', '["cat", "dog"', /^l\.json: invalid JSON \(/],
    ['an empty array', '[]', /no labels in the file/],
    ['a non-string item', '["cat", 3]', /item 1 is not a string/],
    ['an empty name', '["cat", "  "]', /item 1 is an empty name/],
    ['a non-index key', '{"0": "cat", "dog": "1"}', /key 'dog' is not a class index/],
    ['a padded index', '{"00": "cat"}', /key '00' is not a class index/],
    ['a gap in the indices', '{"0": "cat", "2": "dog"}', /from 0 to 1 without gaps, but 2 is present/],
    ['a __proto__ key', '{"__proto__": "cat"}', /key '__proto__' is not a class index/],
    ['a JSON number', '[1, 2]', /item 0 is not a string/],
  ])('%s', (_, text, expected) => {
    expect(labelsError(text, 'l.json').message).toMatch(expected);
  });

  it('control characters from the file in the message', () => {
    expect(labelsError('["a\\nb", "a\\nb"]', 'x\ny.json').message).toBe("x y.json: 'a b' appears twice (class 0 and class 1); class names must be unique");
  });
});

const SAMPLE = fileURLToPath(new URL('../../../resources/samples/fmnist-labels.txt', import.meta.url));

describe.skipIf(!existsSync(SAMPLE))('the bundled sample labels', () => {
  it('name the ten Fashion-MNIST classes', () => {
    const labels = parseLabelsFile(readFileSync(SAMPLE, 'utf8'), 'fmnist-labels.txt');
    expect(labels).toHaveLength(10);
    expect(labels[0]).toBe('T-shirt/top');
    expect(labels[9]).toBe('Ankle boot');
  });
});
