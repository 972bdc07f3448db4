/** The dumps of a resync or a refresh: the current state through the API's lists, as an event. */
import type { NetlinkClient } from '../api/client.js';
import type { Route, RouteType } from '../api/routes.js';
import { type RefreshEvent, type ResyncEvent, type RouteScope, toNsid } from './events.js';
import type { DumpPlan, ObjectKind } from './groups.js';

/** Every object of `kinds`, as a 'resync' event. */
export async function dumpKinds(client: NetlinkClient, plan: DumpPlan, netns: string | undefined, kinds: ObjectKind[]): Promise<ResyncEvent> {
  const out: ResyncEvent = { type: 'resync', netns, initial: false, kinds };
  const one = <T>(families: ('inet' | 'inet6')[], list: (f: 'inet' | 'inet6' | undefined) => Promise<T[]>) =>
    families.length === 2 ? list(undefined) : list(families[0]);
  for (const k of kinds) {
    switch (k) {
      case 'link':
        out.links = await client.links.list({ lazy: false }); // events hand objects out decoded (docs/api.md)
        break;
      case 'address':
        out.addresses = await one(plan.addressFamilies, (family) => client.addresses.list(family ? { family } : {}));
        break;
      case 'route':
        out.routes = await one(plan.routeFamilies, (family) => client.routes.list({ table: 'all', ...(family && { family }) }));
        break;
      case 'neighbour':
        out.neighbours = [...(await client.neighbours.list({ all: true })), ...(await client.neighbours.list({ proxy: true }))];
        break;
      case 'rule':
        out.rules = [];
        for (const family of plan.ruleFamilies) out.rules.push(...(await client.rules.list({ family })));
        break;
      case 'nsid': {
        const msgs = await client.connection.dump({ kind: 'getnsid', header: { family: 'unspec' } });
        out.nsids = msgs.filter((m) => m.kind === 'newnsid').map(toNsid);
        break;
      }
    }
  }
  return out;
}

/** The routes in `scope` (kernel-filtered dumps: a family, an interface, types), as a 'refresh' event. */
export async function dumpRoutes(client: NetlinkClient, plan: DumpPlan, netns: string | undefined, scope: RouteScope): Promise<RefreshEvent> {
  const families = scope.family !== undefined ? [scope.family] : plan.routeFamilies;
  const base = { table: 'all' as const, ...(scope.dev !== undefined && { dev: scope.dev }) };
  const routes: Route[] = [];
  for (const type of scope.types ?? [undefined]) {
    const options = { ...base, ...(type !== undefined && { type: type as RouteType }) };
    if (families.length === 2) routes.push(...(await client.routes.list(options)));
    else if (families.length === 1) routes.push(...(await client.routes.list({ ...options, family: families[0] })));
  }
  return { type: 'refresh', netns, kind: 'route', scope, routes };
}
