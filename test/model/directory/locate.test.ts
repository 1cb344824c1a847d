import { describe, expect, it } from 'vitest';
import { locateModel } from '../../../src/model/directory/locate.js';
import { catchMlfError } from '../../support/errors.js';

describe('locateModel', () => {
  it.each([
    ['model', '/work/models/model'],
    ['./model/', '/work/models/model'],
    ['../other/m', '/work/other/m'],
    ['/abs/model', '/abs/model'],
    ['file:///abs/my%20model', '/abs/my model'],
    ['file://localhost/abs/model', '/abs/model'],
    ['file:/abs/model', '/abs/model'],
  ])('%s -> %s', (uri, expected) => {
    expect(locateModel(uri, '/work/models')).toEqual({ dir: expected, shown: uri });
  });

  it.each([
    ['runs:/0123/model', 'Unsupported model URI `runs:/0123/model`: mlf reads local model directories; supported forms are a local path (`./model`, `/abs/path/model`) or a `file://` URI (`file:///abs/path/model`)'],
    ['models:/iris/1', 'Unsupported model URI `models:/iris/1`: mlf reads local model directories; supported forms are a local path (`./model`, `/abs/path/model`) or a `file://` URI (`file:///abs/path/model`)'],
    ['s3://bucket/model', 'Unsupported model URI `s3://bucket/model`: mlf reads local model directories; supported forms are a local path (`./model`, `/abs/path/model`) or a `file://` URI (`file:///abs/path/model`)'],
    ['file://server/share/model', 'Unsupported model URI `file://server/share/model`: a `file://` URI must name a local path'],
    ['', 'The model URI is empty'],
  ])('rejects %j', (uri, message) => {
    const error = catchMlfError(() => locateModel(uri, '/work'));
    expect(error.message).toBe(message);
    expect(error.category).toBe('usage');
    expect(error.exitCode).toBe(2);
  });
});
