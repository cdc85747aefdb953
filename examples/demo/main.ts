/**
 * Grove demo: a supervision tree that heals itself.
 *
 * A weather station application runs two processes under one supervisor:
 * - Display, a GenServer that prints the readings it is sent;
 * - Sensor, a GenServer that reads a (pretend) temperature every 300 ms and has a
 *   bug: its fourth reading throws. That crash kills the Sensor process, its
 *   supervisor notices (it traps exits) and starts a fresh Sensor, with fresh state,
 *   so the glitch comes back every fourth reading and is healed every time.
 *
 * Display never notices: crashes stay where they happen ("let it crash").
 * After a few seconds the program stops the application (Sensor first, then
 * Display: the reverse of their start order) and exits.
 *
 * What you see: plain console lines from the demo, and Grove's own reports
 * through its logger (supervisor: child terminated, restarting; application:
 * started, stopped). GROVE_LOG_LEVEL=debug also shows every child start;
 * GROVE_LOG_LEVEL=silent hides the reports.
 */
import {
  Application,
  setLogLevel,
  Call,
  Cast,
  GenServer,
  Info,
  getEnv,
  Node,
  startApplication,
  stopApplication,
  Supervisor,
  supervisor,
  type ChildSpec,
  type Pid,
  type ProcessContext,
} from '@grove/core';

const TICK_MS = 300;

/** Prints readings. Registered as 'display' so that any process can reach it by name. */
class Display extends GenServer<{ call: 'count'; cast: 'show' }> {
  private shown = 0;

  @Cast() show(celsius: number, sensorPid: string): void {
    this.shown++;
    console.log(`  [display] ${celsius.toFixed(1)} °C   (from sensor ${sensorPid})`);
  }

  @Call() count(): number {
    return this.shown;
  }
}

let sensorStarts = 0;

/** Reads the temperature on a timer; every fourth reading crashes it. */
class Sensor extends GenServer {
  private readings = 0;

  override init(): void {
    sensorStarts++;
    const why = sensorStarts === 1 ? 'first start' : `restart #${sensorStarts - 1}, with fresh state`;
    console.log(`  [sensor] started as ${this.self} (${why})`);
    this.ctx.sendAfter(this.self, 'tick', TICK_MS);
  }

  @Info('tick') tick(): void {
    this.readings++;
    if (this.readings === 4) throw new Error('sensor glitch: reading out of range');
    const celsius = 18 + Math.random() * 6;
    Display.client(this.ctx, 'display').cast.show(celsius, String(this.self));
    this.ctx.sendAfter(this.self, 'tick', TICK_MS);
  }
}

/** one_for_one: a crashed child is restarted alone. Up to 10 restarts in 10 s, then it gives up. */
@supervisor({ strategy: 'one_for_one', intensity: 10, periodMs: 10_000 })
class StationSupervisor extends Supervisor {
  children(): ChildSpec[] {
    return [Display.childSpec(undefined, { name: 'display' }), Sensor.childSpec()];
  }
}

/** The application: its environment, and the root supervisor it starts. */
class WeatherStation extends Application {
  env = { runForMs: 4000 };

  start(ctx: ProcessContext): Promise<Pid> {
    return StationSupervisor.startLink(ctx);
  }

  override stop(): void {
    console.log('  [app] WeatherStation stopped: Sensor, then Display, then the supervisor');
  }
}

/**
 * Grove reports through its default sink, tslog (see packages/core/README.md;
 * colours only on a terminal), with GenServer crash reports (which print the whole stack) off unless
 * GROVE_DEMO_VERBOSE=1: the supervisor's "child terminated" report already says
 * which child crashed and why.
 */
function tidyReports(): void {
  if (process.env['GROVE_DEMO_VERBOSE'] !== '1') setLogLevel('gen_server', 'fatal');
}

async function main(): Promise<void> {
  tidyReports();
  console.log('Grove demo: a weather station whose sensor crashes every fourth reading.\n');
  const node = new Node();
  await startApplication(node, WeatherStation);
  const runForMs = getEnv(node, WeatherStation, 'runForMs') ?? 4000;
  console.log(`Running for ${runForMs / 1000} s. Watch the supervisor restart the sensor...\n`);
  await new Promise((resolve) => setTimeout(resolve, runForMs));

  const shown = await Display.client(node, 'display').call.count();
  console.log(`\nThe display showed ${shown} readings; the sensor crashed and was restarted ${sensorStarts - 1} times.`);
  console.log('Stopping the application...\n');
  await stopApplication(node, WeatherStation);
  console.log('\nDone: every process stopped cleanly. Bye!');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error('demo failed:', e);
    process.exit(1);
  },
);
