/**
 * A monitor's request socket, for its resync and refresh dumps and Monitor.client(): a connection
 * the caller gives, or one the monitor makes (in a named namespace, from an fd made with the event
 * socket's), opened on first use and closed with the monitor.
 */
import { NetlinkClient } from '../api/client.js';
import type { ProtocolCodec } from '../codec/message.js';
import { Connection } from '../conn/connection.js';
import { NetlinkSocket } from '../transport/netlink-socket.js';
import * as libc from '../transport/system.js';
import { DEFAULT_RECEIVE_BUFFER, type MonitorOptions } from './options.js';

export class MonitorRequests {
  private readonly provider: () => Connection | Promise<Connection>;
  private requests: Promise<NetlinkClient> | undefined;
  private owns: boolean;
  /** A request fd made with the event socket and not used yet (closed with the monitor). */
  private spareFd: number | undefined;

  constructor(given: MonitorOptions['requests'], codec: ProtocolCodec) {
    this.owns = given === undefined;
    this.provider =
      given === undefined
        ? () => new Connection(new NetlinkSocket({ receiveBuffer: DEFAULT_RECEIVE_BUFFER }), codec)
        : given instanceof Connection
          ? () => given
          : given;
  }

  /** The connection comes from `fd`, made for this monitor: it is the monitor's to close, used or not. */
  own(fd: number): void {
    this.owns = true;
    this.spareFd = fd;
  }

  client(): Promise<NetlinkClient> {
    if (!this.requests) {
      const provider = this.provider;
      this.spareFd = undefined;
      this.requests = Promise.resolve()
        .then(provider)
        .then((c) => new NetlinkClient(c));
      this.requests.catch(() => (this.requests = undefined));
    }
    return this.requests;
  }

  close(): void {
    closeFd(this.spareFd);
    this.spareFd = undefined;
    if (this.owns)
      this.requests?.then(
        (c) => c.close(),
        () => undefined,
      );
  }
}

export function closeFd(fd: number | undefined): void {
  if (fd !== undefined) libc.close(fd);
}
