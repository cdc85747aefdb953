/**
 * The tested examples of packages/cluster/README.md run, and print what their comments
 * say (test/support/readme_examples.ts): a code block after the marker
 * `<!-- tested: cluster readme example -->`.
 */
import * as core from '@grove/core';
import * as dist from '@grove/distribution';
import * as cluster from '@grove/cluster';
import { readmeExamples, runExample } from './support/readme_examples';

const all = readmeExamples('packages/cluster/README.md', '<!-- tested: cluster readme example -->');

describe('the cluster README', () => {
  it('has a tested example', () => {
    expect(all.length).toBeGreaterThan(0);
  });

  it.each(all.map((e) => [e.index, e] as const))('example %i prints what its comments say', async (_i, e) => {
    expect(await runExample(e, { '@grove/core': core, '@grove/distribution': dist, '@grove/cluster': cluster })).toEqual(e.expected);
  });
});
