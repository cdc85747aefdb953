/**
 * Fuzzing the decoders a peer's bytes reach: frames, handshake messages, terms and
 * control batches, with seeded hostile inputs (see targets.ts). `npm test` runs a
 * small count per decoder; `npm run fuzz` runs 100,000 or more (test/fuzz/run.js:
 * GROVE_FUZZ_CASES, GROVE_FUZZ_SEED, GROVE_FUZZ_FROM, GROVE_FUZZ_TARGET).
 */
import { describeReport, fuzz } from './runner';
import { TARGETS } from './targets';

const env = process.env;
const CASES = Number(env['GROVE_FUZZ_CASES'] ?? 2000);
const SEED = Number(env['GROVE_FUZZ_SEED'] ?? 20261206);
const FROM = Number(env['GROVE_FUZZ_FROM'] ?? 0);
const ONLY = env['GROVE_FUZZ_TARGET'];

describe('decoder fuzzing', () => {
  it.each(TARGETS.filter((t) => ONLY === undefined || t.name === ONLY).map((t) => [t.name, t] as const))(
    'the %s decoder refuses bad input with its own error, and decodes what was encoded',
    (_name, target) => {
      const report = fuzz(target, { seed: SEED, cases: CASES, from: FROM });
      console.info(describeReport(report) + (report.failed > 0 ? `\n${JSON.stringify(report.failures, null, 2)}` : ''));
      expect(report.failures).toEqual([]);
    },
  );
});
