/**
 * Spec facts where the kernel itself is the oracle, in a throwaway namespace: requests built by
 * the codec from protocol/ must pass the kernel's attribute policy, and where the kernel's YNL files
 * disagree with protocol/ the kernel's behaviour (or iproute2 through it) decides. Needs root;
 * skipped otherwise with the reason printed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rtnetlinkCodec } from '../../src/api/rtnetlink-codec.js';
import { Connection } from '../../src/conn/connection.js';
import { isNetlinkError } from '../../src/conn/errors.js';
import { NetlinkSocket } from '../../src/transport/netlink-socket.js';
import { type TestNetns, createNetns, deleteNetns, privileged, skipReason } from '../support/netns.js';

if (!privileged) console.warn(`[protocol kernel-oracle] skipped: ${skipReason}`);

/** The kernel's answer to a request: 'ok' or the errno name with its extended-ack text. */
async function answer(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (!isNetlinkError(err)) throw err;
    return `${err.code}${err.kernelMessage ? `: ${err.kernelMessage}` : ''}`;
  }
}

describe.skipIf(!privileged)('protocol/ against the kernel', () => {
  let ns: TestNetns;
  let conn: Connection;
  let index: number;
  beforeEach(() => {
    ns = createNetns();
    ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
    index = ns.ipJson('link', 'show', 'va')[0].ifindex;
    conn = new Connection(new NetlinkSocket({ fd: ns.socketFd() }), rtnetlinkCodec());
  });
  afterEach(() => {
    conn.close();
    deleteNetns(ns);
  });

  // do_setlink() checks IFLA_MAP's length by policy (sizeof(struct rtnl_link_ifmap), 32) before it
  // asks the driver (a shorter one is ERANGE); veth has no ndo_set_config, so a well-formed IFLA_MAP
  // gets EOPNOTSUPP.
  const map = { memStart: 0n, memEnd: 0n, baseAddr: 0x300n, irq: 5, dma: 0, port: 0 };

  it('IFLA_MAP as the codec builds it passes the policy (EOPNOTSUPP from veth, not a policy error)', async () => {
    const got = await answer(conn.request({ kind: 'setlink', header: { family: 'unspec', index }, attrs: { map } }));
    expect(got).toMatch(/^EOPNOTSUPP/);
    expect(got).not.toMatch(/policy/);
  });

  it('the oracle tells sizes apart: a 28-byte IFLA_MAP is refused by the policy (ERANGE)', async () => {
    const short = { type: 14, data: new Uint8Array(28), index: 0 };
    const got = await answer(conn.request({ kind: 'setlink', header: { family: 'unspec', index }, attrs: { unknown: [short] } }));
    expect(got).toBe('ERANGE: Attribute failed policy validation');
  });

  it("a dump's IFLA_MAP decodes to the ifmap values with nothing left over", async () => {
    const [m] = await conn.request({ kind: 'getlink', header: { family: 'unspec', index }, attrs: {} });
    expect((m!.attrs as any).map).toEqual({ memStart: 0n, memEnd: 0n, baseAddr: 0n, irq: 0, dma: 0, port: 0 });
  });

  // Where the kernel's YNL files are wrong and protocol/ is right (scripts/ynl-model.ts, CHECKED_YNL_ERRORS).

  it('ifla-bridge-id.prio is network order (uapi __u8 prio[2]; YNL: u16)', async () => {
    ns.ip('link', 'add', 'br0', 'type', 'bridge', 'priority', '4096');
    const [m] = await conn.request({ kind: 'getlink', header: { family: 'unspec' }, attrs: { ifname: 'br0' } });
    const br = (m!.attrs as any).linkinfo.data;
    expect(br.priority).toBe(4096);
    expect(br.bridgeId.prio).toBe(4096);
  });

  it('IFLA_INET6_CONF holds s32s (ipv6_store_devconf; YNL: u32): router_solicitations is -1', async () => {
    const DEVCONF_RTR_SOLICITS = 7;
    expect(ns.exec('sysctl', '-n', 'net.ipv6.conf.va.router_solicitations').trim()).toBe('-1');
    const [m] = await conn.request({ kind: 'getlink', header: { family: 'unspec', index }, attrs: {} });
    expect((m!.attrs as any).afSpec.inet6.conf[DEVCONF_RTR_SOLICITS]).toBe(-1);
  });

  it('NDA_PORT is network order (YNL: host order): a VXLAN fdb entry made by bridge(8)', async () => {
    ns.ip('link', 'add', 'vx0', 'type', 'vxlan', 'id', '42', 'dstport', '4789', 'local', '10.0.0.1', 'nolearning');
    ns.exec('bridge', 'fdb', 'append', '00:00:00:00:00:00', 'dev', 'vx0', 'dst', '10.0.0.2', 'port', '4790');
    const msgs = await conn.dump({ kind: 'getneigh', header: { family: 'bridge' }, attrs: {} });
    const entry = msgs.map((x) => x.attrs as any).find((a) => a.dst === '10.0.0.2');
    expect(entry).toMatchObject({ lladdr: '00:00:00:00:00:00', port: 4790 });
  });

  it('FRA_TUN_ID is network order (YNL: host order): ip rule tun_id', async () => {
    ns.ip('rule', 'add', 'tun_id', '5', 'table', '100');
    const rules = await conn.dump({ kind: 'getrule', header: { family: 'inet' }, attrs: {} });
    expect(rules.map((r) => (r.attrs as any).tunId).filter((t) => t !== undefined)).toEqual([5n]);
  });

  it('RTA_SPORT and RTA_DPORT are network order (YNL: host order): a route lookup matches a port rule', async () => {
    ns.ip('link', 'set', 'va', 'up');
    ns.ip('link', 'set', 'vb', 'up');
    ns.ip('route', 'add', '10.9.9.0/24', 'dev', 'va');
    ns.ip('route', 'add', '10.9.9.0/24', 'dev', 'vb', 'table', '100');
    ns.ip('rule', 'add', 'ipproto', 'tcp', 'sport', '1234', 'dport', '80', 'table', '100');
    const lookup = async (attrs: Record<string, unknown>) => {
      const header = { family: 'inet', dstLen: 32 };
      const [m] = await conn.request({ kind: 'getroute', header, attrs: { dst: '10.9.9.1', ipProto: 6, ...attrs } });
      return (m!.attrs as any).oif;
    };
    const vb = ns.ipJson('link', 'show', 'vb')[0].ifindex;
    expect(await lookup({ sport: 1234, dport: 80 })).toBe(vb);
    expect(await lookup({ sport: 1234, dport: 81 })).toBe(index);
  });
});
