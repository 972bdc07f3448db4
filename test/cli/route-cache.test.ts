/**
 * `route get` of forwarded IPv4 traffic: the kernel answers with a cloned route whose high 16 bits
 * of rtm_flags are RTCF_* cache flags, which ip prints as `cache <...>`. nlts against ip in a
 * throwaway namespace with forwarding on.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestNetns, createNetns, deleteNetns, privileged } from '../support/netns.js';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'nlts.js');

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.status} ${r.stdout}${r.stderr}`;
}

describe.skipIf(!privileged)('route get: cache flags of a forwarded route as ip prints them', () => {
  let ns: TestNetns;
  beforeAll(() => {
    ns = createNetns();
    ns.ip('link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1');
    for (const dev of ['lo', 'veth0', 'veth1']) ns.ip('link', 'set', dev, 'up');
    ns.ip('addr', 'add', '10.0.0.1/24', 'dev', 'veth0');
    ns.ip('addr', 'add', '10.1.0.1/24', 'dev', 'veth1');
    ns.exec('sysctl', '-qw', 'net.ipv4.ip_forward=1');
  });
  afterAll(() => {
    if (ns) deleteNetns(ns);
  });

  const cases = [
    // back out of the interface it came in on: RTCF_DOREDIRECT ("redirect")
    ['route', 'get', '10.0.0.7', 'from', '10.0.0.5', 'iif', 'veth0'],
    ['-j', 'route', 'get', '10.0.0.7', 'from', '10.0.0.5', 'iif', 'veth0'],
    ['route', 'get', '10.1.0.5', 'from', '10.0.0.5', 'iif', 'veth0'],
    ['route', 'get', '10.0.0.255', 'from', '10.0.0.5', 'iif', 'veth0'],
    ['route', 'get', '127.0.0.1'],
  ];
  for (const args of cases) {
    it(`nlts ${args.join(' ')}`, () => {
      expect(run('ip', ['netns', 'exec', ns.name, process.execPath, bin, ...args])).toBe(run('ip', ['-n', ns.name, ...args]));
    });
  }
});
