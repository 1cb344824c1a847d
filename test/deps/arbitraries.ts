/** fast-check generators for PEP 440 versions and specifiers, dense around a few values so that bounds meet. */
import fc from 'fast-check';

const small = fc.integer({ min: 0, max: 3 });

export const versionText: fc.Arbitrary<string> = fc
  .record({
    epoch: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }),
    release: fc.array(small, { minLength: 1, maxLength: 4 }),
    pre: fc.option(fc.tuple(fc.constantFrom('a', 'b', 'rc'), small), { freq: 3 }),
    post: fc.option(small, { freq: 3 }),
    dev: fc.option(small, { freq: 3 }),
    local: fc.option(fc.constantFrom('abc', '1', 'x.2', 'cu118'), { freq: 4 }),
  })
  .map(({ epoch, release, pre, post, dev, local }) => {
    let text = epoch ? `${epoch}!` : '';
    text += release.join('.');
    if (pre) text += `${pre[0]}${pre[1]}`;
    if (post !== null) text += `.post${post}`;
    if (dev !== null) text += `.dev${dev}`;
    if (local !== null) text += `+${local}`;
    return text;
  });

const publicVersionText = versionText.map((text) => text.split('+')[0]!);
const releaseText = fc.array(small, { minLength: 1, maxLength: 3 }).map((release) => release.join('.'));

/** One valid specifier: locals only with == and !=, `.*` only on a bare release, `~=` with two or more parts. */
export const specifierText: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom('>=', '<=', '>', '<'), publicVersionText).map(([op, v]) => `${op}${v}`),
  fc.tuple(fc.constantFrom('==', '!='), versionText).map(([op, v]) => `${op}${v}`),
  fc.tuple(fc.constantFrom('==', '!='), releaseText).map(([op, v]) => `${op}${v}.*`),
  fc.tuple(small, small, fc.option(small)).map(([a, b, c]) => `~=${a}.${b}${c === null ? '' : `.${c}`}`),
);

export const specifierSetText: fc.Arbitrary<string> = fc
  .array(specifierText, { minLength: 0, maxLength: 3 })
  .map((specs) => specs.join(','));
