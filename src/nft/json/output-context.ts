/**
 * What nft looks up in the host while printing, passed in instead (this layer does no I/O): interface names
 * of indexes (nft calls if_indextoname in the namespace it lists) and the local time zone (meta time/hour).
 */
export interface ToJsonOptions {
  /**
   * Interface name of an index, for `iif`, `oif`, `fib ... oif`, `fwd`, `dup` values. nft prints the name when
   * the interface exists in the namespace it runs in; without this option (or when it returns undefined) the
   * index is printed as a decimal string, as nft does for indexes that no longer exist.
   */
  ifname?: (index: number) => string | undefined;
  /**
   * UTC offset in seconds at a moment (seconds since the epoch), for `meta time` and `meta hour` values, which
   * nft prints in local time. Default: this process's time zone (Date#getTimezoneOffset).
   */
  utcOffset?: (epochSeconds: number) => number;
}

export interface OutputContext {
  ifname(index: number): string | undefined;
  utcOffset(epochSeconds: number): number;
}

export function outputContext(options: ToJsonOptions = {}): OutputContext {
  return {
    ifname: options.ifname ?? (() => undefined),
    utcOffset: options.utcOffset ?? ((s) => -new Date(s * 1000).getTimezoneOffset() * 60),
  };
}
