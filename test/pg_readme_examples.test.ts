/**
 * The tested examples of packages/pg/README.md run, and print what their comments
 * say (test/support/readme_examples.ts): a code block after the marker
 * `<!-- tested: pg readme example -->`, with @grove/core, @grove/distribution and @grove/pg
 * as its imports.
 */
import * as core from '@grove/core';
import * as dist from '@grove/distribution';
import * as pg from '@grove/pg';
import { readmeExamples, runExample } from './support/readme_examples';

const all = readmeExamples('packages/pg/README.md', '<!-- tested: pg readme example -->');

describe('the pg README', () => {
  it('has a tested example', () => {
    expect(all.length).toBeGreaterThan(0);
  });

  it.each(all.map((e) => [e.index, e] as const))('example %i prints what its comments say', async (_i, e) => {
    expect(await runExample(e, { '@grove/core': core, '@grove/distribution': dist, '@grove/pg': pg })).toEqual(e.expected);
  });
});
