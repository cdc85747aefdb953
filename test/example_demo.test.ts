/**
 * examples/demo end to end, as `npm start` runs it (built): the weather station
 * whose sensor crashes every fourth reading, restarted by its supervisor until the
 * application stops.
 */
import { expectInOrder, killChildren, requireBuilt, startProgram } from './example_helpers';

beforeAll(() => requireBuilt('demo', ['main.js']));
afterEach(killChildren);

describe('examples/demo', () => {
  it('restarts the crashing sensor with fresh state, keeps the display, and stops the application cleanly', async () => {
    const demo = startProgram('npm start', 'demo', 'main.js');
    expect(await demo.exitCode(20_000)).toBe(0);
    expectInOrder(demo.output, [
      /\[sensor\] started as #PID<nonode@nohost\.\d+\.0> \(first start\)/,
      /\[display\] \d+\.\d °C/,
      /child terminated[\s\S]*?sensor glitch: reading out of range/,
      /\[sensor\] started as #PID<nonode@nohost\.\d+\.0> \(restart #1, with fresh state\)/,
      /The display showed \d+ readings; the sensor crashed and was restarted [1-9]\d* times\./,
      /\[app\] WeatherStation stopped: Sensor, then Display, then the supervisor/,
      /Done: every process stopped cleanly\. Bye!/,
    ]);
  });
});
