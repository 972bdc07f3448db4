/**
 * Which route refreshes a check asks for (route-checks.ts), given the routes the mirror holds:
 * each silent kernel change, alone.
 */
import { describe, expect, it } from 'vitest';
import type { Link } from '../../src/api/links.js';
import type { Route } from '../../src/api/routes.js';
import { LINK_ROUTE_TYPES, type RouteCheck, linkChangesRoutes, refreshScopes } from '../../src/monitor/route-checks.js';

function check(o: Partial<RouteCheck<undefined>> = {}): RouteCheck<undefined> {
  const none = () => new Set<number>();
  const base = { view: undefined, due: 0, all: false, families: new Set<'inet' | 'inet6'>(), gone4: [], gone6: [] };
  return { ...base, devs: none(), emptied: none(), added4: none(), mtu: none(), ...o };
}

const ROUTE = { family: 'inet', dst: '10.9.0.0/16', table: 'main', protocol: 'boot', scope: 'universe', type: 'unicast', tos: 0, flags: [] };
const route = (o: Partial<Route>): Route => ({ ...ROUTE, raw: {} as never, ...o });
const hop = (dev: number, flags: string[] = []) => ({ dev, weight: 1, flags });

describe('refreshScopes', () => {
  const held = [
    route({ dev: 2, gateway: '10.0.0.254' }),
    route({ dst: '10.77.0.0/16', nexthops: [hop(3), hop(4, ['dead', 'linkdown'])] }),
    route({ family: 'inet6', dst: '2001:db8:9::/64', dev: 5, prefsrc: '2001:db8:6::1' }),
    route({ family: 'inet6', dst: '2001:db8:8::/64', dev: 6, metrics: { mtu: 1400 } as never }),
  ];

  it('asks for nothing when no held route is affected', () => {
    const c = check({ gone4: ['10.1.1.1'], emptied: new Set([9]), gone6: ['2001:db8::7'], mtu: new Set([2]), added4: new Set([3]) });
    expect(refreshScopes(held, c)).toEqual([]);
  });

  it('link state: the routes through the link, of the types the kernel touches', () => {
    expect(refreshScopes(held, check({ devs: new Set([2]) }))).toEqual([{ dev: 2, types: LINK_ROUTE_TYPES }]);
  });

  it('the last IPv4 address of a device a multipath hop goes through: IPv4 routes', () => {
    expect(refreshScopes(held, check({ emptied: new Set([3]) }))).toEqual([{ family: 'inet' }]);
  });

  it('the first IPv4 address of a device with a dead hop through it: IPv4 routes', () => {
    expect(refreshScopes(held, check({ added4: new Set([4]) }))).toEqual([{ family: 'inet' }]);
  });

  it('an IPv6 address used as src deleted: IPv6 routes', () => {
    expect(refreshScopes(held, check({ gone6: ['2001:db8:6::1'] }))).toEqual([{ family: 'inet6' }]);
  });

  it('an MTU change under an IPv6 route with an mtu metric: that device, IPv6', () => {
    expect(refreshScopes(held, check({ mtu: new Set([6]) }))).toEqual([{ dev: 6, family: 'inet6' }]);
  });

  it('both families, or a deleted link: every route', () => {
    expect(refreshScopes(held, check({ emptied: new Set([2]), gone6: ['2001:db8:6::1'] }))).toEqual([{}]);
    expect(refreshScopes(held, check({ all: true }))).toEqual([{}]);
  });
});

describe('linkChangesRoutes', () => {
  const link = (o: Partial<Link>): Link => ({
    index: 2,
    name: 'eth0',
    type: 'ether',
    flags: [],
    up: true,
    lowerUp: true,
    operstate: 'up',
    altnames: [],
    raw: {} as never,
    ...o,
  });
  it('up, carrier or operstate (linkwatch flags routes when it sets the operstate): yes; an MTU change alone: no', () => {
    expect(linkChangesRoutes(link({}), link({ lowerUp: false }))).toBe(true);
    expect(linkChangesRoutes(link({ lowerUp: false }), link({ lowerUp: false, operstate: 'lowerlayerdown' }))).toBe(true);
    expect(linkChangesRoutes(link({}), link({ up: false }))).toBe(true);
    expect(linkChangesRoutes(link({}), link({ mtu: 1400 }))).toBe(false);
  });
});
