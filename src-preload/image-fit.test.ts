import { describe, expect, it } from 'vitest';
import type { ImageFolderSurvey } from './contract.js';
import { describeFit, parseFitSize, proposedFit, resolveFit } from './image-fit.js';

const survey = (differing: number): ImageFolderSurvey => ({
  images: 10,
  classes: 2,
  commonSize: { width: 32, height: 32, count: 10 - differing },
  differing,
  smallest: { width: 20, height: 30 },
  unreadable: 0,
});

describe('image fits as asked for', () => {
  it('proposes strict for one size and the ImageNet crop (Resize 256, CenterCrop 224) for mixed sizes', () => {
    expect(proposedFit(survey(0))).toEqual({ mode: 'strict' });
    expect(proposedFit(survey(3))).toEqual({ mode: 'crop', size: [224, 224], resize: 256 });
  });

  it("proposes strict to a model's input size only when every image has it, else the crop to that size", () => {
    expect(proposedFit(survey(0), [32, 32])).toEqual({ mode: 'strict' });
    expect(proposedFit(survey(0), [28, 28])).toEqual({ mode: 'crop', size: [28, 28], resize: 32 });
    expect(proposedFit(survey(3), [32, 32])).toEqual({ mode: 'crop', size: [32, 32], resize: 36 });
  });

  it("fills crop's resize as the short side / 0.875 and refuses one the crop does not fit in", () => {
    expect(resolveFit({ mode: 'crop', size: [224, 224] })).toEqual({ mode: 'crop', size: [224, 224], resize: 256 });
    expect(resolveFit({ mode: 'crop', size: [56, 64] })).toEqual({ mode: 'crop', size: [56, 64], resize: 64 });
    expect(resolveFit({ mode: 'pad', size: [8, 9] })).toEqual({ mode: 'pad', size: [8, 9] });
    expect(() => resolveFit({ mode: 'crop', size: [56, 64], resize: 60 })).toThrow('resize 60 is smaller than the crop 56x64: give a resize of at least 64');
  });

  it('reads H,W or one side, and says what a size looks like otherwise', () => {
    expect(parseFitSize('224')).toEqual([224, 224]);
    expect(parseFitSize(' 56, 64 ')).toEqual([56, 64]);
    for (const bad of ['224x224', '0,4', '1,2,3', '', '4097']) expect(() => parseFitSize(bad)).toThrow('is not a size: write H,W');
  });

  it('words each fit in one line', () => {
    expect(describeFit({ mode: 'crop', size: [224, 224], resize: 256 })).toBe('center crop: Resize(256) + CenterCrop(224×224), bilinear with antialias');
    expect(describeFit({ mode: 'strict' })).toBe('strict: images of the most common size, as they are');
  });
});
