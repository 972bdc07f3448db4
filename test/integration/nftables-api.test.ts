/**
 * nl.nftables against the kernel in throwaway namespaces, with nft 1.0.6 as the oracle: list() is
 * `nft -j list ...`, apply({ handles: true }) gives the handles `nft -j --echo --handle -f` prints and applies all or
 * nothing, the walk-through helpers add their rules once, and the side socket is made in the
 * client's namespace however the client was opened. Needs root; skipped otherwise.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NetlinkClient } from '../../src/api/client.js';
import { isNotFoundError } from '../../src/errors/index.js';
import { type NftTransactionError, isNftTransactionError } from '../../src/nft/errors.js';
import type { NftJsonDocument, NftJsonItem } from '../../src/nft/json/types.js';
import { type TestNetns, privileged, skipReason, withNetns } from '../support/netns.js';

if (!privileged) console.warn(`[nftables api] skipped: ${skipReason}`);

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'nftables');

/** `nft ARGS` in the namespace (stdout). */
function nft(ns: TestNetns, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns.name, 'nft', ...args], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/** `nft -j ARGS` parsed; set elements' remaining lifetime blanked (it moves between two listings). */
function nftJson(ns: TestNetns, ...args: string[]): NftJsonDocument {
  return blankExpiry(JSON.parse(nft(ns, '-j', ...args)) as NftJsonDocument);
}

function blankExpiry<T>(doc: T): T {
  return JSON.parse(JSON.stringify(doc, (k, v) => (k === 'expires' ? 0 : v))) as T;
}

async function refusal(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e,
  );
}

function withClient(fn: (ns: TestNetns, nl: NetlinkClient) => Promise<void>, how: 'open' | 'connect' = 'open'): () => Promise<void> {
  return () =>
    withNetns(async (ns) => {
      const nl = how === 'open' ? NetlinkClient.open({ netns: ns.path }) : await NetlinkClient.connect({ netns: ns.path });
      try {
        await fn(ns, nl);
      } finally {
        nl.close();
      }
    });
}

const doc = (...items: NftJsonItem[]): NftJsonDocument => ({ nftables: items });

describe.skipIf(!privileged)('nl.nftables', () => {
  it(
    'list() is nft -j list ruleset / ruleset FAMILY / table / chain / set / map, in the namespace of open({ netns }), interfaces by name',
    withClient(async (ns, nl) => {
      nft(ns, '-f', join(FIXTURES, 'walkthrough.nft'));
      nft(ns, '-f', join(FIXTURES, 'sets.nft'));
      nft(ns, 'add', 'rule', 'ip', 'nat', 'prerouting', 'iif', 'lo', 'accept'); // an index nft names in its namespace
      expect(blankExpiry(await nl.nftables.list())).toEqual(nftJson(ns, 'list', 'ruleset'));
      expect(await nl.nftables.list({ family: 'ip' })).toEqual(nftJson(ns, 'list', 'ruleset', 'ip'));
      expect(await nl.nftables.list({ family: 'ip', table: 'nat' })).toEqual(nftJson(ns, 'list', 'table', 'ip', 'nat'));
      expect(await nl.nftables.list({ table: 'nat' })).toEqual(nftJson(ns, 'list', 'table', 'nat')); // ip, as nft takes it
      expect(await nl.nftables.list({ family: 'ip', table: 'nat', chain: 'prerouting' })).toEqual(
        nftJson(ns, 'list', 'chain', 'ip', 'nat', 'prerouting'),
      );
      expect(await nl.nftables.list({ family: 'inet', table: 's', set: 'allowed' })).toEqual(nftJson(ns, 'list', 'set', 'inet', 's', 'allowed'));
      expect(await nl.nftables.list({ family: 'inet', table: 's', map: 'verdicts' })).toEqual(nftJson(ns, 'list', 'map', 'inet', 's', 'verdicts'));
    }),
  );

  it(
    'list() through connect({ netns }) (the helper) sees that namespace, not this one',
    withClient(async (ns, nl) => {
      nft(ns, 'add', 'table', 'inet', 'only_here');
      expect(await nl.nftables.list({ family: 'inet' })).toEqual(nftJson(ns, 'list', 'ruleset', 'inet'));
      expect((await nl.nftables.list()).nftables.some((i) => 'table' in i && i.table.name === 'only_here')).toBe(true);
    }, 'connect'),
  );

  it(
    'a table, chain, set or map that does not exist is a NotFoundError naming it (a map is not a set)',
    withClient(async (ns, nl) => {
      nft(ns, '-f', join(FIXTURES, 'sets.nft'));
      const cases: [Parameters<typeof nl.nftables.list>[0], string, string][] = [
        [{ family: 'ip', table: 'nope' }, 'table', 'ip nope'],
        [{ family: 'inet', table: 'nope', chain: 'c' }, 'table', 'inet nope'],
        [{ family: 'inet', table: 's', chain: 'nope' }, 'chain', 'inet s nope'],
        [{ family: 'inet', table: 's', set: 'verdicts' }, 'set', 'inet s verdicts'],
        [{ family: 'inet', table: 's', map: 'allowed' }, 'map', 'inet s allowed'],
      ];
      for (const [filter, what, key] of cases) {
        const e = await refusal(nl.nftables.list(filter));
        expect(isNotFoundError(e), `${JSON.stringify(filter)}: ${e}`).toBe(true);
        expect(e).toMatchObject({ what, key });
      }
    }),
  );

  it('apply({ handles: true }) returns the handles nft -j --echo --handle prints, and makes what nft makes', async () => {
    const input = doc(
      { add: { table: { family: 'inet', name: 'f' } } },
      { add: { chain: { family: 'inet', table: 'f', name: 'in', type: 'filter', hook: 'input', prio: 0, policy: 'accept' } } },
      {
        add: {
          set: { family: 'inet', table: 'f', name: 'ok', type: 'ipv4_addr', flags: ['interval'], elem: [{ prefix: { addr: '10.0.0.0', len: 8 } }] },
        },
      },
      {
        add: {
          rule: {
            family: 'inet',
            table: 'f',
            chain: 'in',
            expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '@ok' } }, { accept: null }],
          },
        },
      },
      {
        insert: {
          rule: {
            family: 'inet',
            table: 'f',
            chain: 'in',
            expr: [{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 22 } }, { drop: null }],
          },
        },
      },
      { add: { element: { family: 'inet', table: 'f', name: 'ok', elem: ['192.0.2.1'] } } },
    );
    await withNetns(async (theirs) => {
      const file = join(mkdtempSync(join(tmpdir(), 'nlts-nft-')), 'doc.json');
      writeFileSync(file, JSON.stringify(input));
      const echoed = nft(theirs, '-j', '--echo', '--handle', '-f', file);
      rmSync(dirname(file), { recursive: true });
      const want = (JSON.parse(echoed) as NftJsonDocument).nftables.map((i) => {
        const body = Object.values(Object.values(i)[0] as object)[0] as { handle?: number };
        return body.handle ?? null;
      });
      await withClient(async (ns, nl) => {
        const r = await nl.nftables.apply(input, { handles: true });
        expect(r.handles.map((h) => h ?? null)).toEqual(want);
        expect(r.genid).toBe(await nl.nftables.genid());
        expect(nftJson(ns, 'list', 'ruleset')).toEqual(nftJson(theirs, 'list', 'ruleset'));
      })();
    });
  });

  it(
    'apply() asks for no echoes unless { handles: true } (as nft -f does not): handles undefined, the generation still given',
    withClient(async (_ns, nl) => {
      const transport = (await nl.netfilter.connection()).connection.transport;
      const send = transport.send.bind(transport);
      const flags: number[] = [];
      transport.send = (d: Uint8Array) => {
        const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
        for (let at = 0; at + 16 <= d.length; at += (v.getUint32(at, true) + 3) & ~3) flags.push(v.getUint16(at + 6, true));
        send(d);
      };
      const chain = { family: 'inet', table: 'quiet', name: 'c', type: 'filter', hook: 'input', prio: 0, policy: 'accept' } as const;
      const r = await nl.nftables.apply(doc({ add: { table: { family: 'inet', name: 'quiet' } } }, { add: { chain } }));
      expect(r.handles).toEqual([undefined, undefined]);
      expect(r.genid).toBe(await nl.nftables.genid());
      expect(flags.length).toBeGreaterThan(3);
      expect(flags.filter((f) => f & 0x8)).toEqual([]); // NLM_F_ECHO
      const asked = await nl.nftables.apply(doc({ add: { chain: { ...chain, name: 'd' } } }), { handles: true });
      expect(asked.handles).toEqual([expect.any(Number)]);
    }),
  );

  it(
    'a document whose last command fails leaves the ruleset as it was; the error names that command',
    withClient(async (ns, nl) => {
      nft(ns, '-f', join(FIXTURES, 'walkthrough.nft'));
      const before = nft(ns, '-j', 'list', 'ruleset');
      const genid = await nl.nftables.genid();
      const e = await refusal(
        nl.nftables.apply([
          { add: { table: { family: 'ip', name: 'extra' } } },
          { add: { rule: { family: 'ip', table: 'nat', chain: 'postrouting', expr: [{ counter: { packets: 0, bytes: 0 } }, { accept: null }] } } },
          { delete: { table: { family: 'inet', name: 'filter' } } },
          // nat chains cannot hook forward: the kernel refuses the last command
          { add: { chain: { family: 'ip', table: 'extra', name: 'fwd', type: 'nat', hook: 'forward', prio: 0, policy: 'accept' } } },
        ]),
      );
      expect(isNftTransactionError(e), String(e)).toBe(true);
      const t = e as NftTransactionError;
      expect(t.failures).toHaveLength(1);
      expect(t.index).toBe(3);
      expect(t.kind).toBe('newchain');
      expect(t.label).toBe('add chain ip extra fwd');
      expect(t.code).toBe('EOPNOTSUPP');
      expect(t.message).toMatch(/command 3 \(newchain "add chain ip extra fwd"\): EOPNOTSUPP/);
      expect(nft(ns, '-j', 'list', 'ruleset')).toBe(before);
      expect(await nl.nftables.genid()).toBe(genid);
    }),
  );

  it(
    'a reference to a chain that exists nowhere is an InvalidArgumentError with its JSON path, before any change',
    withClient(async (ns, nl) => {
      const genid = await nl.nftables.genid();
      const e = await refusal(
        nl.nftables.apply([
          { add: { table: { family: 'ip', name: 't' } } },
          { add: { rule: { family: 'ip', table: 't', chain: 'nope', expr: [{ accept: null }] } } },
        ]),
      );
      expect(e).toMatchObject({ name: 'InvalidArgumentError' });
      expect(String((e as Error).message)).toMatch(/nftables\[1\]\.add\.rule\.chain/);
      expect(await nl.nftables.genid()).toBe(genid);
      expect(nft(ns, 'list', 'ruleset')).toBe('');
    }),
  );

  it(
    'apply({ genid }) of a generation that moved is refused whole (ERESTART)',
    withClient(async (ns, nl) => {
      const genid = await nl.nftables.genid();
      nft(ns, 'add', 'table', 'ip', 'meanwhile');
      const e = await refusal(nl.nftables.apply([{ add: { table: { family: 'ip', name: 'late' } } }], { genid }));
      expect(e).toMatchObject({ name: 'NftTransactionError', code: 'ERESTART', index: undefined });
      expect(nft(ns, 'list', 'tables')).toBe('table ip meanwhile\n');
    }),
  );

  it(
    'masquerade, dnat and allowEstablished write the rules nft writes, once: a second call changes nothing',
    withClient(async (ns, nl) => {
      const m = await nl.nftables.masquerade({ source: '172.18.0.0/24', notOutInterface: 'vethc1' });
      expect(m.handles.every((h) => typeof h === 'number')).toBe(true);
      await nl.nftables.dnat({ inInterface: 'd0', protocol: 'tcp', port: 8080, to: '172.18.0.2', toPort: 80 });
      await nl.nftables.allowEstablished({ family: 'inet' });
      const genid = await nl.nftables.genid();
      const listing = nft(ns, 'list', 'ruleset');
      expect(await nl.nftables.masquerade({ source: '172.18.0.0/24', notOutInterface: 'vethc1' })).toEqual({
        genid,
        handles: [undefined, undefined, undefined],
      });
      await nl.nftables.dnat({ inInterface: 'd0', protocol: 'tcp', port: 8080, to: '172.18.0.2', toPort: 80 });
      await nl.nftables.allowEstablished({ family: 'inet' });
      expect(await nl.nftables.genid()).toBe(genid);
      expect(nft(ns, 'list', 'ruleset')).toBe(listing);
      // The oracle: what nft itself makes of the walk-through's commands.
      await withNetns(async (theirs) => {
        nft(theirs, 'add', 'table', 'ip', 'nat');
        nft(theirs, 'add', 'chain', 'ip', 'nat', 'postrouting', '{ type nat hook postrouting priority srcnat; policy accept; }');
        nft(theirs, 'add', 'rule', 'ip', 'nat', 'postrouting', 'ip', 'saddr', '172.18.0.0/24', 'oifname', '!=', 'vethc1', 'masquerade');
        nft(theirs, 'add', 'chain', 'ip', 'nat', 'prerouting', '{ type nat hook prerouting priority dstnat; policy accept; }');
        nft(theirs, 'add', 'rule', 'ip', 'nat', 'prerouting', 'iifname', 'd0', 'tcp', 'dport', '8080', 'dnat', 'to', '172.18.0.2:80');
        nft(theirs, 'add', 'table', 'inet', 'filter');
        nft(theirs, 'add', 'chain', 'inet', 'filter', 'forward', '{ type filter hook forward priority filter; policy accept; }');
        nft(theirs, 'add', 'rule', 'inet', 'filter', 'forward', 'ct', 'state', 'established,related', 'accept');
        expect(listing).toBe(nft(theirs, 'list', 'ruleset'));
        expect(nftJson(ns, 'list', 'ruleset')).toEqual(nftJson(theirs, 'list', 'ruleset'));
      });
    }),
  );

  it(
    'a helper never redefines a chain that is there: its policy stays (re-adding a base chain would reset it)',
    withClient(async (ns, nl) => {
      nft(ns, 'add', 'table', 'ip', 'filter');
      nft(ns, 'add', 'chain', 'ip', 'filter', 'forward', '{ type filter hook forward priority filter; policy drop; }');
      await nl.nftables.allowEstablished();
      expect(nft(ns, 'list', 'chain', 'ip', 'filter', 'forward')).toBe(
        'table ip filter {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n' +
          '\t\tct state established,related accept\n\t}\n}\n',
      );
    }),
  );

  it(
    'flush() and deleteTable() are nft flush ruleset and nft delete table; a missing table is the kernel refusal',
    withClient(async (ns, nl) => {
      nft(ns, '-f', join(FIXTURES, 'walkthrough.nft'));
      await nl.nftables.deleteTable('inet', 'filter');
      expect(nft(ns, 'list', 'tables')).toBe('table ip nat\n');
      const e = await refusal(nl.nftables.deleteTable('inet', 'filter'));
      expect(e).toMatchObject({ name: 'NftTransactionError', code: 'ENOENT', index: 0 });
      nft(ns, 'add', 'table', 'inet', 'x');
      await nl.nftables.flush('inet');
      expect(nft(ns, 'list', 'tables')).toBe('table ip nat\n');
      await nl.nftables.flush();
      expect(nft(ns, 'list', 'ruleset')).toBe('');
    }),
  );
});
