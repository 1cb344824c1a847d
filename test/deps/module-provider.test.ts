import { describe, expect, it } from 'vitest';
import { distributionForModule } from '../../src/deps/module-provider.js';

describe('distributionForModule', () => {
  it.each([
    ['sklearn', 'scikit-learn', true],
    ['sklearn.ensemble._forest', 'scikit-learn', true],
    ['cv2', 'opencv-python', true],
    ['PIL', 'pillow', true],
    ['yaml', 'pyyaml', true],
    ['bs4', 'beautifulsoup4', true],
    ['dateutil.parser', 'python-dateutil', true],
    ['tabulate', 'tabulate', true],
    ['google.protobuf', 'protobuf', true],
    ['my_private_pkg', 'my-private-pkg', false],
    ['Requests', 'requests', false],
  ])('%s -> %s', (module, distribution, known) => {
    expect(distributionForModule(module)).toEqual({ module, distribution, known });
  });
});
