/**
 * The seam between codec and kernel: whole datagrams in and out. A real socket, a fixture replay,
 * a recorder and the scripted fakes in tests all implement it, so everything above behaves the same.
 */

export interface TransportSink {
  /**
   * One received datagram (it may hold several netlink messages). The bytes are valid only during
   * the call (sockets read into one shared buffer): copy what must outlive it.
   */
  datagram(data: Uint8Array): void;
  /** The transport failed (ENOBUFS, a closed fd...). It may still deliver datagrams afterwards. */
  error(err: Error): void;
  /** The transport is gone; nothing more will arrive. */
  closed?(): void;
  /**
   * Whether replies are still awaited. A transport that reads replies right after a send keeps
   * reading while this says so (a request's reply and its ACK are separate datagrams).
   */
  awaitingReplies?(): boolean;
}

export interface Transport {
  /** Netlink protocol (NETLINK_ROUTE = 0). */
  readonly protocol: number;
  /** Our port id (nl_pid): replies carry it. 0 when unknown (replay). */
  readonly portId: number;
  /** Starts delivery to `sink`. Called once. */
  start(sink: TransportSink): void;
  /** Sends one datagram to the kernel. */
  send(datagram: Uint8Array): void;
  /** Joins / leaves a multicast group (RTNLGRP_*). */
  addMembership?(group: number): void;
  dropMembership?(group: number): void;
  /** Keep the process alive while requests are pending / let it exit when idle (like timers). */
  ref?(): void;
  unref?(): void;
  /**
   * Raises the socket's send and receive buffers to at least these many bytes when they are
   * smaller (forced past the sysctl limits when permitted, as nft does for a big batch); never
   * shrinks them. Returns the largest datagram send() now takes.
   */
  growBuffers?(send: number, receive: number): number;
  /**
   * The index of the link named `name` in the transport's network namespace, found without a
   * netlink exchange (an ioctl on the socket), or undefined to say "ask the kernel over netlink".
   * Only a live socket implements it: recording and replay leave it out, so a fixture holds
   * every lookup and replays the same way.
   */
  linkIndex?(name: string): number | undefined;
  /**
   * Delivers every datagram queued on the socket now, synchronously, to the sink given to start().
   * True when the queue was read to its end; false when it could not be (a delivery in progress,
   * which owns the read buffer, a read error, closed). Only a live socket implements it.
   */
  readQueued?(): boolean;
  close(): void;
}
