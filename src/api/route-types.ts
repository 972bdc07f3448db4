/** What the routes API takes: routes to add or delete, and the options of list, get and the batches. */
import type { rtRouteSpec } from '../../protocol/rt-route.js';
import type { BatchOptions, RequestOptions } from '../conn/connection.js';
import type { RouteMetrics } from './route-fields.js';
import type { Family } from './validate.js';

/** The route types (RTN_* by spec name) add, delete and list take. */
export const ROUTE_TYPES = ['unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat'] as const;

export type RouteType = (typeof ROUTE_TYPES)[number];
export type RouteScope = 'universe' | 'site' | 'link' | 'host' | 'nowhere' | number;
/** 'main', 'local', 'default' or a table id 1..2^32-1 (a numeric string works too). */
export type RouteTable = 'main' | 'local' | 'default' | number | (string & {});
export type RouteProtocol = keyof (typeof rtRouteSpec.definitions)['rt-protocol']['entries'] | number;
export type RoutePref = 'low' | 'medium' | 'high';

export type DevRef = string | number;

export interface RouteNexthopInput {
  gateway?: string;
  /** A gateway of the other family (IPv6 nexthop of an IPv4 route): sent as RTA_VIA. */
  via?: string | { family?: string; address: string };
  dev?: DevRef;
  /** 1..256, default 1. */
  weight?: number;
  onlink?: boolean;
}

/** What add / replace / delete take. */
export interface RouteInput {
  /** 'default', a prefix ('10.0.0.0/8', '2001:db8::/32') or an address (a host route). Host bits must be clear. */
  dst: string;
  /** Normally inferred from dst / gateway; needed only for `default` routes without any address. */
  family?: Family;
  gateway?: string;
  /** IPv6 gateway of an IPv4 route (RTA_VIA). */
  via?: string | { family?: string; address: string };
  dev?: DevRef;
  /** Preferred source address: what ip's `src` keyword sets. */
  prefsrc?: string;
  /** Source prefix, IPv6 only (source-specific routing, ip's `from`); refused for IPv4, whose FIBs ignore it. */
  src?: string;
  metric?: number;
  table?: RouteTable;
  scope?: RouteScope | string;
  protocol?: RouteProtocol | string;
  type?: RouteType;
  tos?: number;
  multipath?: RouteNexthopInput[];
  mtu?: number;
  advmss?: number;
  hoplimit?: number;
  metrics?: RouteMetrics;
  /** Gateway is on the link even if no prefix covers it (RTNH_F_ONLINK). */
  onlink?: boolean;
  /** IPv6 router preference. */
  pref?: RoutePref;
  /** IPv6: lifetime in seconds (RTA_EXPIRES). */
  expires?: number;
}

export interface RouteListOptions extends RequestOptions {
  /** Default: both IPv4 and IPv6. */
  family?: Family;
  /** Default 'main' (like `ip route show`); 'all' for every table. */
  table?: RouteTable | 'all';
  protocol?: RouteProtocol | string;
  type?: RouteType;
  /** Only routes through this interface (any nexthop). */
  dev?: DevRef;
  /**
   * Decode each Route when one of its fields is first read (family and dst are read alone):
   * docs/api.md "Lazy records". Default false: a route message is small, and decoding it at once
   * costs little more than the lazy path's checks (10k routes: 0.89x the time when only dst is
   * read, 2.3x when every field is), so only callers that read a few fields of huge tables gain.
   */
  lazy?: boolean;
}

export interface RouteGetOptions extends RequestOptions {
  /** Source address of the simulated packet. */
  from?: string;
  /** Simulate a packet received on this interface. */
  iif?: DevRef;
  /** Force this output interface. */
  oif?: DevRef;
  mark?: number;
  /** Return the FIB entry that matched (RTM_F_FIB_MATCH) instead of the resolved route. */
  fibMatch?: boolean;
}

export interface RouteBatchOptions extends BatchOptions {
  /** addBatch: replace existing routes (NLM_F_REPLACE) instead of failing with EEXIST. */
  replace?: boolean;
}
