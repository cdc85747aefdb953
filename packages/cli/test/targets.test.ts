/**
 * In-process pieces of the `grove` command that the end-to-end tests in test/cli_*
 * reach only in part: what `grove run` picks from a module's exports and the name of
 * `grove ping`'s temporary node.
 */
import { Application, type Pid, type ProcessContext } from '@grove/core';
import { localHostName, nodeNameKind } from '@grove/distribution';
import { findTarget, pingerName, RunModuleError } from '@grove/cli';

class First extends Application {
  start(ctx: ProcessContext): Promise<Pid> {
    return Promise.resolve(ctx.self);
  }
}
class Second extends First {}

function main(): number {
  return 0;
}

describe('findTarget', () => {
  it('takes main from the exports, or from a default export object', () => {
    expect(findTarget('m.js', { main })).toEqual({ kind: 'main', main });
    expect(findTarget('m.js', { default: { main } })).toEqual({ kind: 'main', main });
  });

  it('takes main before any Application class', () => {
    expect(findTarget('m.js', { main, First })).toEqual({ kind: 'main', main });
  });

  it('takes the default Application class among several, or the only one exported', () => {
    expect(findTarget('m.js', { default: Second, First, Second })).toEqual({ kind: 'application', app: Second });
    expect(findTarget('m.js', { First, helper: () => 1, value: 3 })).toEqual({ kind: 'application', app: First });
  });

  it('refuses a main that is not a function, naming its type', () => {
    expect(() => findTarget('m.js', { main: 42 })).toThrow(new RunModuleError('m.js', 'its export main is not a function (number)'));
  });

  it('does not take a class that does not extend Application', () => {
    class Plain {}
    expect(() => findTarget('m.js', { Plain })).toThrow(RunModuleError);
  });
});

describe('pingerName', () => {
  it('names a short-name pinger after this host, for a short-name target', () => {
    const name = pingerName('alice@box');
    expect(name).toMatch(new RegExp(`^grove_ping_${process.pid}_[0-9a-f]{6}@${localHostName('short')}$`));
    expect(nodeNameKind(name)).toBe('short');
  });

  it('gives a long-name target a long-name pinger, on 127.0.0.1 when the host name has no dots', () => {
    const name = pingerName('alice@127.0.0.1');
    const host = localHostName('long');
    expect(name.split('@')[1]).toBe(host.includes('.') ? host : '127.0.0.1');
    expect(nodeNameKind(name)).toBe('long');
  });

  it('makes a new name each time', () => {
    expect(pingerName('alice@127.0.0.1')).not.toBe(pingerName('alice@127.0.0.1'));
  });
});
