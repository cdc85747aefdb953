/**
 * `import '@grove/testing/jest'` (in a test file, or in jest's `setupFilesAfterEnv`)
 * adds Grove's matchers to `expect`; their types come with it.
 *
 * @packageDocumentation
 */
import { groveMatchers } from './matchers';

expect.extend(groveMatchers);

export { groveMatchers };
