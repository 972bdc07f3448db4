/**
 * The text listing for what the oracle tests cannot show: objects nft 1.0.6 -j cannot print (table
 * flags crash it) and statements this kernel cannot load (flowtables, queue, bridge reject). The
 * expected text is nft 1.0.6's (rule.c, statement.c print functions; table flags as nft printed them).
 */
import { describe, expect, it } from 'vitest';
import { isInvalidArgumentError, isNotFoundError } from '../../src/errors/index.js';
import { NFT_XT_INFO, type NftJsonDocument } from '../../src/nft/json/types.js';
import { formatChain, formatRuleset, formatSet, formatTable, prioText } from '../../src/nft/text/index.js';

const doc = (...items: unknown[]): NftJsonDocument => ({ nftables: items as NftJsonDocument['nftables'] });
const rule = (family: string, table: string, chain: string, ...expr: unknown[]) => ({ rule: { family, table, chain, handle: 9, expr } });

describe('text listing: tables, chains, flowtables', () => {
  it('table flags and comment come first, a blank line after the flags', () => {
    const d = doc(
      { table: { family: 'ip', name: 'flagged', handle: 7, flags: 'dormant', comment: 'table comment' } },
      { chain: { family: 'ip', table: 'flagged', name: 'c', handle: 1 } },
    );
    expect(formatRuleset(d)).toBe('table ip flagged {\n\tflags dormant\n\tcomment "table comment"\n\n\tchain c {\n\t}\n}\n');
    expect(formatRuleset(doc({ table: { family: 'ip', name: 'f', flags: ['dormant', 'owner'] } }))).toBe('table ip f {\n\tflags dormant,owner\n}\n');
  });

  it('flowtables: hook, priority, devices, offload and counter flags; the flow statement', () => {
    const d = doc(
      { table: { family: 'inet', name: 't', handle: 1 } },
      { flowtable: { family: 'inet', name: 'ft', table: 't', handle: 2, hook: 'ingress', prio: 0, dev: ['d0', 'd1'] } },
      { flowtable: { family: 'inet', name: 'f2', table: 't', handle: 3, hook: 'ingress', prio: -5, dev: 'd0', flags: ['offload', 'counter'] } },
      { chain: { family: 'inet', table: 't', name: 'fw', handle: 4, type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } },
      rule('inet', 't', 'fw', { match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'tcp' } }, { flow: { op: 'add', flowtable: '@ft' } }),
    );
    expect(formatRuleset(d, { handles: true })).toBe(
      'table inet t { # handle 1\n' +
        '\tflowtable ft { # handle 2\n\t\thook ingress priority filter\n\t\tdevices = { d0, d1 }\n\t}\n\n' +
        '\tflowtable f2 { # handle 3\n\t\thook ingress priority filter - 5\n\t\tdevices = { d0 }\n\t\tflags offload\n\t\tcounter\n\t}\n\n' +
        '\tchain fw { # handle 4\n\t\ttype filter hook forward priority filter; policy accept;\n' +
        '\t\tmeta l4proto tcp flow add @ft # handle 9\n\t}\n}\n',
    );
  });

  it('chains: offload flag; a chain listed without its table, rules before their chain', () => {
    const d = doc(rule('netdev', 'n', 'ing', { accept: null }), {
      chain: { family: 'netdev', table: 'n', name: 'ing', type: 'filter', hook: 'ingress', prio: 0, policy: 'drop', dev: ['d0'], flags: ['offload'] },
    });
    expect(formatChain(d, 'netdev', 'n', 'ing')).toBe(
      'table netdev n {\n\tchain ing {\n\t\ttype filter hook ingress device "d0" priority filter; policy drop; flags offload;\n\t\taccept\n\t}\n}\n',
    );
    const declared = doc({
      chain: { family: 'netdev', table: 'n', name: 'ing', type: 'filter', hook: 'ingress', prio: 0, policy: 'drop', dev: ['d0'], flags: ['offload'] },
    });
    expect(formatTable(declared, 'netdev', 'n')).toBe(
      'table netdev n {\n\tchain ing {\n\t\ttype filter hook ingress device "d0" priority filter; policy drop; flags offload;\n\t}\n}\n',
    );
  });

  it('priorities by name only where the family and hook have them (rule.c prio2str)', () => {
    expect(prioText(-300, 'ip', 'prerouting')).toBe('raw');
    expect(prioText(45, 'ip', 'input')).toBe('security - 5');
    expect(prioText(95, 'inet', 'postrouting')).toBe('srcnat - 5');
    expect(prioText(-95, 'ip', 'input')).toBe('-95');
    expect(prioText(-150, 'arp', 'input')).toBe('-150');
    expect(prioText(-290, 'bridge', 'prerouting')).toBe('dstnat + 10');
    expect(prioText(110, 'bridge', 'forward')).toBe('110');
    expect(prioText(-11, 'netdev', 'ingress')).toBe('-11');
  });
});

describe('text listing: statements nft prints without the kernel module here', () => {
  const one = (family: string, ...expr: unknown[]) =>
    formatRuleset(doc({ table: { family, name: 't' } }, { chain: { family, table: 't', name: 'c' } }, rule(family, 't', 'c', ...expr)));
  const line = (family: string, ...expr: unknown[]) =>
    one(family, ...expr)
      .split('\n')[2]!
      .slice(2);

  it('queue: flags, then the queue number or range', () => {
    expect(line('ip', { queue: null })).toBe('queue to 0');
    expect(line('ip', { queue: { num: 3 } })).toBe('queue to 3');
    expect(line('ip', { queue: { num: { range: [1, 3] }, flags: ['bypass', 'fanout'] } })).toBe('queue flags bypass,fanout to 1-3');
  });

  it('reject in bridge and netdev tables names icmp codes always, icmpx port-unreachable never', () => {
    expect(line('bridge', { reject: { type: 'icmp', expr: 'port-unreachable' } })).toBe('reject with icmp port-unreachable');
    expect(line('bridge', { reject: { type: 'icmpv6', expr: 'no-route' } })).toBe('reject with icmpv6 no-route');
    expect(line('netdev', { reject: { type: 'icmpx', expr: 'port-unreachable' } })).toBe('reject');
    expect(line('ip', { reject: null })).toBe('reject');
  });

  it('a dynamic map update written as an object prints like nft prints the statement', () => {
    const update = { map: { op: 'add', elem: { payload: { protocol: 'ip', field: 'saddr' } }, data: 5, map: '@m' } };
    expect(line('ip', update)).toBe('add @m { ip saddr : 5 }');
    expect(line('ip', 'add @dynm { ip saddr : 0x00000005 }')).toBe('add @dynm { ip saddr : 0x00000005 }');
  });

  it('strings are printed as nft prints them: quoted where the type is a string, never escaped', () => {
    expect(line('ip', { match: { op: '!=', left: { meta: { key: 'oifname' } }, right: 'a"b' } })).toBe('oifname != "a"b"');
    expect(line('ip', { log: { prefix: 'x "y" ' } })).toBe('log prefix "x "y" "');
  });
});

describe('text listing: sets and elements', () => {
  it('elements given as element objects join their set', () => {
    const d = doc(
      { set: { family: 'ip', table: 't', name: 's', type: 'ipv4_addr', handle: 1 } },
      { element: { family: 'ip', table: 't', name: 's', elem: ['10.0.0.1', '10.0.0.2'] } },
      { element: { family: 'ip', table: 't', name: 's', elem: { prefix: { addr: '10.1.0.0', len: 16 } } } },
    );
    expect(formatSet(d, 'ip', 't', 's')).toBe(
      'table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\telements = { 10.0.0.1, 10.0.0.2,\n\t\t\t     10.1.0.0/16 }\n\t}\n}\n',
    );
  });

  it('element statements come before timeout, expiry and comment', () => {
    const d = doc({
      set: {
        family: 'ip',
        table: 't',
        name: 's',
        type: 'ipv4_addr',
        flags: ['timeout'],
        elem: [{ elem: { val: '1.1.1.1', timeout: 3600, expires: 60, comment: 'c', counter: { packets: 1, bytes: 2 } } }],
      },
    });
    expect(formatSet(d, 'ip', 't', 's')).toContain('elements = { 1.1.1.1 counter packets 1 bytes 2 timeout 1h expires 1m comment "c" }');
  });
});

describe('text listing: times and xt details', () => {
  it('element timeouts and expiry with milliseconds (a fraction of the seconds) print as nft prints them', () => {
    const d = doc({
      set: {
        family: 'ip',
        table: 't',
        name: 's',
        type: 'ipv4_addr',
        flags: 'timeout',
        elem: [{ elem: { val: '1.1.1.1', timeout: 90.5, expires: 3599.996 } }],
      },
    });
    expect(formatSet(d, 'ip', 't', 's')).toContain('elements = { 1.1.1.1 timeout 1m30s500ms expires 59m59s996ms }');
  });

  it('xt translations read IPv6 addresses as inet_ntop writes them', () => {
    const info = new Uint8Array(168);
    info.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4], 0); // origsrc ::1.2.3.4
    info.fill(0xff, 16, 32); // mask /128
    info.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1], 32); // origdst 2001:db8:0:0:1::
    info.fill(0xff, 48, 56); // mask /64
    new DataView(info.buffer).setUint16(146, (1 << 2) | (1 << 3), true);
    const xt = { type: 'match', name: 'conntrack' };
    Object.defineProperty(xt, NFT_XT_INFO, { value: { rev: 3, info } });
    const text = formatRuleset(doc(rule('ip6', 't', 'c', { xt })));
    expect(text).toContain('\t\tct original saddr ::1.2.3.4 ct original daddr 2001:db8:0:0:1::/64\n');
  });

  it('an icmp type libxt_icmp has no name for (info-request) is not translated: nft prints xt match icmp', () => {
    const xtIcmp = (type: number) => {
      const xt = { type: 'match', name: 'icmp' };
      Object.defineProperty(xt, NFT_XT_INFO, { value: { rev: 0, info: new Uint8Array([type, 0, 0xff, 0]) } });
      return formatRuleset(doc(rule('ip', 't', 'c', { xt })));
    };
    expect(xtIcmp(14)).toContain('\t\ticmp type timestamp-reply\n');
    expect(xtIcmp(15)).toContain('\t\txt match icmp\n');
  });
});

describe('text listing: symbolic constants', () => {
  it('range ends print as numbers for every dscp name nft 1.0.6 has (lephb, va, df, be)', () => {
    const dscp = { payload: { protocol: 'ip', field: 'dscp' } };
    const m = (right: unknown) => ({ match: { op: '==', left: dscp, right } });
    const text = formatRuleset(doc(rule('ip', 't', 'c', m({ range: ['cs0', 'lephb'] }), m({ range: ['be', 'va'] }), m({ range: ['df', 'ef'] }))));
    expect(text).toContain('\t\tip dscp 0x00-0x01 ip dscp 0x00-0x2c ip dscp 0x00-0x2e\n');
  });
});

describe('text listing: bad input', () => {
  it('refuses what is not a document, names what is missing', () => {
    expect(() => formatRuleset({} as NftJsonDocument)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    try {
      formatRuleset(null as unknown as NftJsonDocument);
      expect.unreachable();
    } catch (err) {
      expect(isInvalidArgumentError(err)).toBe(true);
    }
    const d = doc({ table: { family: 'ip', name: 't' } });
    for (const f of [() => formatTable(d, 'ip6', 't'), () => formatChain(d, 'ip', 't', 'c'), () => formatSet(d, 'ip', 't', 's')]) {
      try {
        f();
        expect.unreachable();
      } catch (err) {
        expect(isNotFoundError(err)).toBe(true);
      }
    }
  });

  it('an unknown statement or expression does not break the listing', () => {
    expect(formatRuleset(doc(rule('ip', 't', 'c', { frobnicate: { x: 1 } }, { match: { op: '==', left: { weird: 1 }, right: 2 } })))).toBe(
      'table ip t {\n\tchain c {\n\t\t{"frobnicate":{"x":1}} {"weird":1} 2\n\t}\n}\n',
    );
  });
});
