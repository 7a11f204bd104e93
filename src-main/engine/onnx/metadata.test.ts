import { describe, expect, it } from 'vitest';
import { classifierGraph, encode, model } from './fixtures/models.js';
import { preprocessingFromMetadata, readMetadataProps } from './metadata.js';
import { withMetadata } from './fixtures/metadata.js';

describe('readMetadataProps', () => {
  it('reads metadata_props without decoding the graph, and none from a model without any', () => {
    const bytes = encode(model(classifierGraph()));
    expect(readMetadataProps(bytes)).toEqual([]);
    expect(readMetadataProps(withMetadata(bytes, { author: 'brink', image_mean: '[0.5]' }))).toEqual([
      { key: 'author', value: 'brink' },
      { key: 'image_mean', value: '[0.5]' },
    ]);
  });
});

describe('preprocessingFromMetadata', () => {
  const props = (entries: Record<string, string>) => Object.entries(entries).map(([key, value]) => ({ key, value }));

  it.each([
    ['Hugging Face image processors', { image_mean: '[0.485, 0.456, 0.406]', image_std: '[0.229, 0.224, 0.225]' }, { valueRange: [0, 1], mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }],
    ['OpenVINO, in 0-255 units', { mean_values: '123.675,116.28,103.53', scale_values: '58.395,57.12,57.375' }, { valueRange: [0, 255], mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] }],
    ['one mean for three stds', { Mean: '0.5', STD: '0.2 0.3 0.4' }, { valueRange: [0, 1], mean: [0.5, 0.5, 0.5], std: [0.2, 0.3, 0.4] }],
    ['Windows ML pixel range', { 'Image.NominalPixelRange': 'Normalized_1_1' }, { valueRange: [-1, 1], mean: [0], std: [1] }],
  ])('%s', (_name, entries, expected) => {
    expect(preprocessingFromMetadata(props(entries))).toMatchObject(expected);
  });

  it('names the keys it read, and reads nothing from unrelated, malformed or impossible values', () => {
    expect(preprocessingFromMetadata(props({ author: 'x', mean: '0.3', std: '0.4' }))?.keys).toEqual(['mean', 'std']);
    expect(preprocessingFromMetadata(props({ author: 'x' }))).toBeNull();
    expect(preprocessingFromMetadata(props({ mean: 'unknown' }))).toBeNull();
    expect(preprocessingFromMetadata(props({ mean: '0.5', std: '0' }))).toBeNull();
    expect(preprocessingFromMetadata(props({ mean: '0.1,0.2', std: '0.1,0.2,0.3' }))).toBeNull();
  });
});
