/**
 * The examples in the root README and the core README run, and print what their
 * comments say (test/support/readme_examples.ts): a code block after the marker
 * `<!-- tested: readme example -->`, with `@grove/core` as its only import.
 */
import * as core from '@grove/core';
import { readmeExamples, runExample } from './support/readme_examples';

const MARKER = '<!-- tested: readme example -->';
const examples = [...readmeExamples('README.md', MARKER), ...readmeExamples('packages/core/README.md', MARKER)];

describe('README examples', () => {
  it('exist: the root README and the core README each have a tested example', () => {
    expect(new Set(examples.map((e) => e.file))).toEqual(new Set(['README.md', 'packages/core/README.md']));
  });

  it.each(examples.map((e) => [`${e.file} #${e.index}`, e] as const))('%s runs and prints what its comments say', async (_name, example) => {
    expect(example.expected.length).toBeGreaterThan(0);
    expect(await runExample(example, { '@grove/core': core })).toEqual(example.expected);
  });
});
