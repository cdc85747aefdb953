/**
 * The README's example is the test file that runs it: the two never drift apart.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

it("keeps the README's example the same as supervised_app.test.ts", () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const source = fs.readFileSync(path.join(__dirname, 'supervised_app.test.ts'), 'utf8');
  const block = /<!-- tested: packages\/testing\/test\/supervised_app\.test\.ts -->\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  const region = /\/\/ readme example: begin\n([\s\S]*?)\/\/ readme example: end/.exec(source)?.[1];
  expect(region).toBeDefined();
  expect(block).toBe(region);
});
