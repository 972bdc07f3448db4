/**
 * The libnftables JSON schema (libnftables-json(5)) as nft 1.0.6 prints it (`nft -j list ruleset`) and accepts it
 * (`nft -j -f`). Types only: the shapes are plain JSON, so a document parsed with JSON.parse is one of these.
 *
 * Conventions of the schema kept here:
 * - every object, statement and most expressions are single-key objects: `{ table: {...} }`, `{ accept: null }`;
 * - numbers are JSON numbers (handles, priorities, counters); nft prints 64-bit counters as plain numbers too;
 * - a property a kind does not use is absent, never null (except the `null` payload of keyword statements);
 * - the key order of the interfaces below is the order nft 1.0.6 prints them in (to-json.ts relies on it).
 */

// ---------------------------------------------------------------------------------------------------------------
// Document

/** A whole document: output of `nft -j list ...`, or input of `nft -j -f`. */
export interface NftJsonDocument {
  nftables: NftJsonItem[];
}

/** One array item: a ruleset object (output, and `list`-free input) or a command (input). */
export type NftJsonItem = NftObject | NftCommand;

/** Address families of tables (nft's names). */
export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

// ---------------------------------------------------------------------------------------------------------------
// Ruleset objects

/** First item of every output document: who printed it. */
export interface NftMetainfo {
  metainfo: {
    version: string;
    release_name: string;
    json_schema_version: number;
  };
}

export interface NftTableBody {
  family: NftFamily;
  name: string;
  handle?: number;
  /** Table flags: 'dormant', 'owner', 'persist'. Printed only when some are set. */
  flags?: string | string[];
}
export interface NftTable {
  table: NftTableBody;
}

/** Chain priority: a number, or (input only) a standard name like 'filter', 'srcnat'. */
export type NftChainPriority = number | string;

export interface NftChainBody {
  family: NftFamily;
  table: string;
  name: string;
  handle?: number;
  /** rename only */
  newname?: string;
  /** Base chains: 'filter' | 'nat' | 'route'. */
  type?: string;
  /** Base chains: 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting' | 'ingress' | 'egress'. */
  hook?: string;
  prio?: NftChainPriority;
  policy?: 'accept' | 'drop';
  /** netdev (and inet ingress) chains: one device, or several. */
  dev?: string | string[];
  comment?: string;
}
export interface NftChain {
  chain: NftChainBody;
}

export interface NftRuleBody {
  family: NftFamily;
  table: string;
  chain: string;
  handle?: number;
  /** input only: position for add/insert, as an alternative to handle */
  index?: number;
  comment?: string;
  expr?: NftStatement[];
}
export interface NftRule {
  rule: NftRuleBody;
}

/** A set's key (or a map's data) type: a datatype name ('ipv4_addr', 'inet_service'...), or several concatenated. */
export type NftSetType = string | string[] | { typeof: NftExpression };

/** Set flags as nft names them. */
export type NftSetFlag = 'constant' | 'interval' | 'timeout' | 'dynamic' | 'eval' | 'concat';

export interface NftSetBody {
  family: NftFamily;
  table: string;
  name: string;
  handle?: number;
  type?: NftSetType;
  /** maps only: the data type; 'verdict' for verdict maps */
  map?: NftSetType;
  policy?: 'performance' | 'memory';
  flags?: NftSetFlag[] | NftSetFlag;
  /** seconds */
  timeout?: number;
  /** seconds */
  'gc-interval'?: number;
  size?: number;
  comment?: string;
  /** elements: for maps, each is a two-item array [key, data] */
  elem?: NftExpression | NftExpression[];
  /** statements attached to each element ('counter', 'quota'...) */
  stmt?: NftStatement[];
}
export interface NftSet {
  set: NftSetBody;
}
export interface NftMap {
  map: NftSetBody;
}

export interface NftElementBody {
  family: NftFamily;
  table: string;
  name: string;
  elem: NftExpression | NftExpression[];
}
export interface NftElement {
  element: NftElementBody;
}

export interface NftFlowtableBody {
  family: NftFamily;
  table: string;
  name: string;
  handle?: number;
  hook?: string;
  prio?: number;
  dev?: string | string[];
}
export interface NftFlowtable {
  flowtable: NftFlowtableBody;
}

/** Common head of the named stateful objects. */
export interface NftObjectHead {
  family: NftFamily;
  table: string;
  name: string;
  handle?: number;
  comment?: string;
}

export interface NftCounterObject {
  counter: NftObjectHead & { packets?: number; bytes?: number };
}
export interface NftQuotaObject {
  quota: NftObjectHead & { bytes?: number; used?: number; inv?: boolean };
}
export interface NftLimitObject {
  limit: NftObjectHead & {
    rate?: number;
    per?: string;
    burst?: number;
    /** 'packets' | 'bytes' */
    unit?: string;
    inv?: boolean;
  };
}
export interface NftCtHelperObject {
  'ct helper': NftObjectHead & { type?: string; protocol?: string; l3proto?: string };
}
export interface NftCtTimeoutObject {
  'ct timeout': NftObjectHead & {
    protocol?: string;
    l3proto?: string;
    /** state name -> seconds */
    policy?: Record<string, number>;
  };
}
export interface NftCtExpectationObject {
  'ct expectation': NftObjectHead & {
    l3proto?: string;
    protocol?: string;
    dport?: number;
    timeout?: number;
    size?: number;
  };
}
export interface NftSynproxyObject {
  synproxy: NftObjectHead & { mss?: number; wscale?: number; flags?: string | string[] };
}

/** Anything a listing prints, or a command operates on. */
export type NftObject =
  | NftMetainfo
  | NftTable
  | NftChain
  | NftRule
  | NftSet
  | NftMap
  | NftElement
  | NftFlowtable
  | NftCounterObject
  | NftQuotaObject
  | NftLimitObject
  | NftCtHelperObject
  | NftCtTimeoutObject
  | NftCtExpectationObject
  | NftSynproxyObject;

/** The ruleset objects a listing prints (everything but metainfo). */
export type NftRulesetObject = Exclude<NftObject, NftMetainfo>;

// ---------------------------------------------------------------------------------------------------------------
// Commands (input)

/** Objects of `add`/`create`/`delete`/`destroy`. */
export type NftAddObject = Exclude<NftObject, NftMetainfo>;

/** `list` and `flush` also take the whole ruleset and plural forms (filtered by family, table). */
export interface NftRulesetRef {
  ruleset: null | { family?: NftFamily };
}
export type NftListObject =
  | NftAddObject
  | NftRulesetRef
  | { tables: null | { family?: NftFamily } }
  | { chains: null | { family?: NftFamily; table?: string } }
  | { sets: null | { family?: NftFamily; table?: string } }
  | { maps: null | { family?: NftFamily; table?: string } }
  | { counters: null | { family?: NftFamily; table?: string } }
  | { quotas: null | { family?: NftFamily; table?: string } }
  | { limits: null | { family?: NftFamily; table?: string } }
  | { flowtables: null | { family?: NftFamily; table?: string } }
  | { meter: { family: NftFamily; table: string; name: string } }
  | { meters: null | { family?: NftFamily; table?: string } };

export interface NftAddCommand {
  add: NftAddObject;
}
export interface NftCreateCommand {
  create: NftAddObject;
}
export interface NftInsertCommand {
  insert: NftRule;
}
export interface NftReplaceCommand {
  replace: NftRule;
}
export interface NftDeleteCommand {
  delete: NftAddObject;
}
export interface NftDestroyCommand {
  destroy: NftAddObject;
}
export interface NftFlushCommand {
  flush: NftTable | NftChain | NftSet | NftMap | NftRulesetRef | { meter: { family: NftFamily; table: string; name: string } };
}
export interface NftListCommand {
  list: NftListObject;
}
export interface NftResetCommand {
  reset: NftCounterObject | NftQuotaObject | { counters: unknown } | { quotas: unknown };
}
export interface NftRenameCommand {
  rename: NftChain;
}

export type NftCommand =
  | NftAddCommand
  | NftCreateCommand
  | NftInsertCommand
  | NftReplaceCommand
  | NftDeleteCommand
  | NftDestroyCommand
  | NftFlushCommand
  | NftListCommand
  | NftResetCommand
  | NftRenameCommand;

/** Command names, in the schema's spelling. */
export type NftCommandName = 'add' | 'create' | 'insert' | 'replace' | 'delete' | 'destroy' | 'flush' | 'list' | 'reset' | 'rename';

// ---------------------------------------------------------------------------------------------------------------
// Statements

/** Match operators. 'in' tests bits (LHS & RHS != 0) or set membership. */
export type NftMatchOp = '==' | '!=' | '<' | '>' | '<=' | '>=' | 'in';

export interface NftMatchStmt {
  match: { op: NftMatchOp; left: NftExpression; right: NftExpression };
}

/** Verdicts: statements in rules, expressions in verdict maps. */
export type NftVerdict =
  | { accept: null }
  | { drop: null }
  | { continue: null }
  | { return: null }
  | { jump: { target: string } }
  | { goto: { target: string } };

/** Anonymous counter, or a reference to a named one. */
export interface NftCounterStmt {
  counter: { packets: number; bytes: number } | string;
}

export interface NftMangleStmt {
  mangle: { key: NftExpression; value: NftExpression };
}

export interface NftQuotaStmt {
  quota: { val: number; val_unit: string; used?: number; used_unit?: string; inv?: boolean } | string;
}

export interface NftLimitStmt {
  limit:
    | {
        rate: number;
        /** bytes limits: 'bytes' | 'kbytes' | 'mbytes'; absent for packets */
        rate_unit?: string;
        /** 'second' | 'minute' | 'hour' | 'day' | 'week' */
        per: string;
        burst?: number;
        burst_unit?: string;
        inv?: boolean;
      }
    | string;
}

export interface NftFwdStmt {
  fwd: { dev: NftExpression; family?: 'ip' | 'ip6'; addr?: NftExpression };
}
export interface NftNotrackStmt {
  notrack: null;
}
export interface NftDupStmt {
  dup: { addr?: NftExpression; dev?: NftExpression };
}

/** NAT flags as nft names them. */
export type NftNatFlag = 'random' | 'fully-random' | 'persistent' | 'netmap';
/** NAT type flags (`dnat ip to ...` forms): 'interval' is printed as `type_flags`. */
export interface NftNatBody {
  family?: 'ip' | 'ip6';
  addr?: NftExpression;
  port?: NftExpression;
  flags?: NftNatFlag | NftNatFlag[];
  type_flags?: string | string[];
}
export interface NftSnatStmt {
  snat: NftNatBody | null;
}
export interface NftDnatStmt {
  dnat: NftNatBody | null;
}
export interface NftMasqueradeStmt {
  masquerade: { port?: NftExpression; flags?: NftNatFlag | NftNatFlag[] } | null;
}
export interface NftRedirectStmt {
  redirect: { port?: NftExpression; flags?: NftNatFlag | NftNatFlag[] } | null;
}

export interface NftRejectStmt {
  /** null: the family's default (icmp port-unreachable / icmpx port-unreachable) */
  reject: { type?: 'tcp reset' | 'icmpx' | 'icmp' | 'icmpv6'; expr?: NftExpression } | null;
}

/** Dynamic set update (`add @s { ip saddr }`, `update @s { ... }`). */
export interface NftSetStmt {
  set: { op: 'add' | 'update' | 'delete'; elem: NftExpression; set: string; stmt?: NftStatement[] };
}
/** Dynamic map update (`add @m { ip saddr : 1 }`). */
export interface NftMapStmt {
  map: { op: 'add' | 'update' | 'delete'; elem: NftExpression; data: NftExpression; map: string; stmt?: NftStatement[] };
}

export type NftLogLevel = 'emerg' | 'alert' | 'crit' | 'err' | 'warn' | 'notice' | 'info' | 'debug' | 'audit';
export type NftLogFlag = 'tcp sequence' | 'tcp options' | 'ip options' | 'skuid' | 'ether' | 'all';
export interface NftLogStmt {
  log: {
    prefix?: string;
    group?: number;
    snaplen?: number;
    'queue-threshold'?: number;
    level?: NftLogLevel;
    flags?: NftLogFlag | NftLogFlag[];
  } | null;
}

export interface NftCtHelperStmt {
  'ct helper': NftExpression;
}
export interface NftCtTimeoutStmt {
  'ct timeout': NftExpression;
}
export interface NftCtExpectationStmt {
  'ct expectation': NftExpression;
}
export interface NftSynproxyStmt {
  synproxy: { mss?: number; wscale?: number; flags?: string | string[] } | null;
}

export interface NftMeterStmt {
  meter: { name: string; key: NftExpression; stmt: NftStatement; size?: number };
}

export interface NftQueueStmt {
  queue: { num?: NftExpression; flags?: ('bypass' | 'fanout') | ('bypass' | 'fanout')[] } | null;
}

export interface NftVmapStmt {
  vmap: { key: NftExpression; data: NftExpression };
}

export interface NftCtCountStmt {
  'ct count': { val: number; inv?: boolean };
}

export interface NftTproxyStmt {
  tproxy: { family?: 'ip' | 'ip6'; addr?: NftExpression; port?: NftExpression };
}

/** xtables compat (iptables-nft): only the extension name survives; nft cannot restore these. */
export interface NftXtStmt {
  xt: { type: 'match' | 'target' | 'watcher'; name: string; [NFT_XT_INFO]?: NftXtInfo };
}

/**
 * Where to-json keeps what nft's JSON cannot show of an xt statement (NFTA_MATCH/TARGET_REV and _INFO),
 * for the text listing, which translates it as nft does through libxtables (`ct state related,established`).
 * A symbol key: JSON.stringify leaves it out, so the document stays what nft prints.
 */
export const NFT_XT_INFO: unique symbol = Symbol.for('netlink-ts.nft.xt-info');
export interface NftXtInfo {
  /** the extension's revision */
  rev: number;
  /** its info struct, as the kernel keeps it (host byte order) */
  info: Uint8Array;
}

/** A rule's building block. */
export type NftStatement =
  | NftVerdict
  | NftMatchStmt
  | NftCounterStmt
  | NftMangleStmt
  | NftQuotaStmt
  | NftLimitStmt
  | NftFwdStmt
  | NftNotrackStmt
  | NftDupStmt
  | NftSnatStmt
  | NftDnatStmt
  | NftMasqueradeStmt
  | NftRedirectStmt
  | NftRejectStmt
  | NftSetStmt
  | NftMapStmt
  | NftLogStmt
  | NftCtHelperStmt
  | NftCtTimeoutStmt
  | NftCtExpectationStmt
  | NftSynproxyStmt
  | NftMeterStmt
  | NftQueueStmt
  | NftVmapStmt
  | NftCtCountStmt
  | NftTproxyStmt
  | NftXtStmt
  | NftObjrefMapStmt
  | NftFlowStmt
  | NftLastStmt
  | NftUnknownStmt
  | NftTextStmt;

type NftObjrefKind = 'counter' | 'quota' | 'limit' | 'ct helper' | 'ct timeout' | 'ct expectation' | 'synproxy' | 'secmark';
/** A named object chosen by a map: `counter name ip saddr map @m` prints `{"counter": {"map": {...}}}`. */
export type NftObjrefMapStmt = { [K in NftObjrefKind]: { [P in K]: { map: NftMapExpr['map'] } } }[NftObjrefKind];

/** Flowtable offload: `flow add @ft`. */
export interface NftFlowStmt {
  flow: { op: 'add'; flowtable: string };
}

/** `last`: when the rule last matched (ms ago), null when never. */
export interface NftLastStmt {
  last: { used: number } | null;
}

/**
 * Not nft's schema: to-json's marker for an expression it cannot list (nft 1.0.6 reports "unknown expression
 * type" and leaves it out), or `name: 'rule'` for a rule whose expressions make no sense together. Documents
 * holding one cannot be applied.
 */
export interface NftUnknownStmt {
  unknown: { name: string };
}

/**
 * A statement nft 1.0.6 has no JSON for, as the text it prints in its place: map updates
 * (`"add @m { ip saddr : 0x00000005 }"`; map_stmt_json came after 1.0.6).
 */
export type NftTextStmt = string;

// ---------------------------------------------------------------------------------------------------------------
// Expressions

/**
 * Immediates: strings (symbolic values like 'established', addresses, interface names; '@name' is a set
 * reference and '*' a wildcard), numbers, booleans (existence checks).
 */
export type NftImmediate = string | number | boolean;

export interface NftConcatExpr {
  concat: NftExpression[];
}
/** Anonymous set: its elements (for maps, two-item [key, data] arrays). */
export interface NftSetExpr {
  set: NftExpression | NftExpression[];
}
export interface NftMapExpr {
  map: { key: NftExpression; data: NftExpression };
}
export interface NftPrefixExpr {
  prefix: { addr: NftExpression; len: number };
}
export interface NftRangeExpr {
  range: [NftExpression, NftExpression];
}

/** A named header field ('ip' 'saddr', 'tcp' 'dport', 'th' 'dport'), or a raw load. */
export type NftPayloadExpr =
  | { payload: { protocol: string; field: string } }
  | { payload: { base: 'll' | 'nh' | 'th' | 'ih'; offset: number; len: number } };

export interface NftExthdrExpr {
  exthdr: { name: string; field?: string; offset?: number };
}
export interface NftTcpOptionExpr {
  'tcp option': { name: string; field?: string };
}
export interface NftIpOptionExpr {
  'ip option': { name: string; field?: string };
}
export interface NftSctpChunkExpr {
  'sctp chunk': { name: string; field?: string };
}
export interface NftDccpOptionExpr {
  'dccp option': { type: number };
}

export type NftMetaKey =
  | 'length'
  | 'protocol'
  | 'priority'
  | 'random'
  | 'mark'
  | 'iif'
  | 'iifname'
  | 'iiftype'
  | 'oif'
  | 'oifname'
  | 'oiftype'
  | 'skuid'
  | 'skgid'
  | 'nftrace'
  | 'rtclassid'
  | 'ibrname'
  | 'obrname'
  | 'pkttype'
  | 'cpu'
  | 'iifgroup'
  | 'oifgroup'
  | 'cgroup'
  | 'nfproto'
  | 'l4proto'
  | 'secpath'
  | 'ibrpvid'
  | 'ibrvproto'
  | 'time'
  | 'day'
  | 'hour'
  | 'iifkind'
  | 'oifkind'
  | 'sdif'
  | 'sdifname'
  | 'secmark'
  | 'broute';
export interface NftMetaExpr {
  meta: { key: NftMetaKey | string };
}

export interface NftRtExpr {
  rt: { key: 'classid' | 'nexthop' | 'mtu' | 'ipsec' | string; family?: 'ip' | 'ip6' };
}

export interface NftCtExpr {
  ct: { key: string; family?: 'ip' | 'ip6'; dir?: 'original' | 'reply' };
}

export interface NftNumgenExpr {
  numgen: { mode: 'inc' | 'random'; mod: number; offset?: number };
}
export interface NftJhashExpr {
  jhash: { mod: number; offset?: number; expr: NftExpression; seed?: number };
}
export interface NftSymhashExpr {
  symhash: { mod: number; offset?: number };
}

export type NftFibResult = 'oif' | 'oifname' | 'type';
export type NftFibFlag = 'saddr' | 'daddr' | 'mark' | 'iif' | 'oif';
export interface NftFibExpr {
  fib: { result: NftFibResult; flags?: NftFibFlag | NftFibFlag[] };
}

/** Binary operations: [left, right]. */
export type NftBinopExpr =
  | { '|': [NftExpression, NftExpression] }
  | { '^': [NftExpression, NftExpression] }
  | { '&': [NftExpression, NftExpression] }
  | { '<<': [NftExpression, NftExpression] }
  | { '>>': [NftExpression, NftExpression] };

/** A set element with properties (timeout, expiry, comment, attached counters). */
export interface NftElemExpr {
  elem: {
    val: NftExpression;
    /** seconds */
    timeout?: number;
    /** seconds */
    expires?: number;
    comment?: string;
    counter?: { packets: number; bytes: number };
    [stmt: string]: unknown;
  };
}

export interface NftSocketExpr {
  socket: { key: 'transparent' | 'mark' | 'wildcard' | 'cgroupv2'; level?: number };
}
export interface NftOsfExpr {
  osf: { key: 'name' | 'version'; ttl?: 'loose' | 'skip' };
}
export interface NftIpsecExpr {
  ipsec: { key: string; family?: 'ip' | 'ip6'; dir?: 'in' | 'out'; spnum?: number };
}

/** Anything that evaluates to a value. Verdicts appear as expressions inside verdict maps. */
export type NftExpression =
  | NftImmediate
  | NftExpression[]
  | NftConcatExpr
  | NftSetExpr
  | NftMapExpr
  | NftPrefixExpr
  | NftRangeExpr
  | NftPayloadExpr
  | NftExthdrExpr
  | NftTcpOptionExpr
  | NftIpOptionExpr
  | NftSctpChunkExpr
  | NftDccpOptionExpr
  | NftMetaExpr
  | NftRtExpr
  | NftCtExpr
  | NftNumgenExpr
  | NftJhashExpr
  | NftSymhashExpr
  | NftFibExpr
  | NftBinopExpr
  | NftElemExpr
  | NftSocketExpr
  | NftOsfExpr
  | NftIpsecExpr
  | NftVerdict;
