import { BadNodeNameError, isNodeName, makeNodeName, nodeNameKind, parseNodeName, aliveOf, hostOf } from '@grove/distribution';

describe('node names', () => {
  it('parses a short name into its alive part and host', () => {
    expect(parseNodeName('alice@box')).toEqual({ alive: 'alice', host: 'box', full: 'alice@box', kind: 'short' });
  });

  it('parses long names with an IPv4 address, an IPv6 address or a fully qualified host', () => {
    expect(parseNodeName('alice@10.0.0.5').kind).toBe('long');
    expect(parseNodeName('alice@::1').kind).toBe('long');
    expect(parseNodeName('alice@box.example.com')).toMatchObject({ alive: 'alice', host: 'box.example.com', kind: 'long' });
  });

  it('accepts digits, underscores and hyphens in both parts', () => {
    expect(isNodeName('node_1-a@host-2')).toBe(true);
    expect(aliveOf('node_1-a@host-2')).toBe('node_1-a');
    expect(hostOf('node_1-a@host-2')).toBe('host-2');
  });

  it.each([
    ['no @', 'alice'],
    ['two @', 'a@b@c'],
    ['an empty alive part', '@box'],
    ['an empty host', 'alice@'],
    ['a space in the alive part', 'al ice@box'],
    ['a dot in the alive part', 'al.ice@box'],
    ['a host label starting with a hyphen', 'alice@-box'],
    ['an empty host label', 'alice@box..com'],
    ['a bad dotted-decimal address', 'alice@999.1.1.1'],
    ['a name over 255 bytes', 'a'.repeat(250) + '@' + 'b'.repeat(10)],
  ])('refuses a name with %s', (_what, name) => {
    expect(() => parseNodeName(name)).toThrow(BadNodeNameError);
    expect(isNodeName(name)).toBe(false);
  });

  it('refuses a value that is not a string with a clear error', () => {
    expect(() => parseNodeName(42)).toThrow(/a node name is a string/);
  });

  it('tells which part is wrong in the error message', () => {
    expect(() => parseNodeName('al ice@box')).toThrow(/part before @ .* letters, digits, _ and -/);
    expect(() => parseNodeName('alice@b!x')).toThrow(/not a host name or an IP address/);
  });

  it('checks the kind when one is asked for', () => {
    expect(() => parseNodeName('alice@10.0.0.5', 'short')).toThrow(/short name/);
    expect(() => parseNodeName('alice@box', 'long')).toThrow(/long name/);
    expect(nodeNameKind('alice@box')).toBe('short');
    expect(isNodeName('alice@box', 'short')).toBe(true);
  });

  it('makes names from parts, defaulting the host to this machine', () => {
    expect(makeNodeName('alice', '127.0.0.1')).toBe('alice@127.0.0.1');
    const local = parseNodeName(makeNodeName('alice'));
    expect(local.kind).toBe('short');
    expect(() => makeNodeName('bad name', 'box')).toThrow(BadNodeNameError);
  });
});
