/**
 * The tested examples of the global and rpc sections of packages/distribution/README.md run,
 * and print what their comments say (test/support/readme_examples.ts): a code block
 * after the marker `<!-- tested: dist global/rpc readme example -->`, with
 * @grove/core and @grove/distribution as its imports, legacy decorators on.
 */
import * as core from '@grove/core';
import * as dist from '@grove/distribution';
import { readmeExamples, runExample } from './support/readme_examples';

const all = readmeExamples('packages/distribution/README.md', '<!-- tested: dist global/rpc readme example -->');

describe('the global and rpc sections of the dist README', () => {
  it('has the tested examples', () => {
    expect(all).toHaveLength(3);
  });

  it.each(all.map((e) => [e.index, e] as const))('runs example %i and prints what its comments say', async (_i, example) => {
    expect(await runExample(example, { '@grove/core': core, '@grove/distribution': dist }, { experimentalDecorators: true })).toEqual(example.expected);
  });
});
