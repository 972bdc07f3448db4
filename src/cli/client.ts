/** Opens the CLI's client: the current namespace or -n NAME, recording with --record FILE. */
import { NETLINK_GENERIC } from '../../protocol/genetlink.js';
import { NETLINK_NETFILTER } from '../../protocol/nfnetlink.js';
import { NetlinkClient } from '../api/client.js';
import { NetlinkSocket } from '../transport/netlink-socket.js';
import type { RecordingTransport } from '../transport/recording.js';
import type { Transport } from '../transport/types.js';
import { CliError, type GlobalOptions } from './context.js';

export async function openCliClient(options: GlobalOptions): Promise<{ client: NetlinkClient; close(): void }> {
  let transport: Transport;
  let release: (() => void) | undefined;
  // ethtool and genl (NETLINK_GENERIC), nft (NETLINK_NETFILTER): sockets in the same namespace, made on first use.
  const releases: (() => void)[] = [];
  let sideTransport = (protocol: number) => async (): Promise<Transport> => new NetlinkSocket({ protocol });
  if (options.netns !== undefined) {
    // -n NAME (or a path): the socket is made inside by the namespace layer's helper.
    const [{ netnsSockets }, { isNamespaceError }] = await Promise.all([import('../netns/sockets.js'), import('../netns/errors.js')]);
    const lease = await netnsSockets.socket(options.netns).catch((err: unknown) => {
      throw isNamespaceError(err) ? new CliError(`Cannot open network namespace "${options.netns}": ${err.message}`, 1) : err;
    });
    release = lease.release;
    transport = new NetlinkSocket({ receiveBuffer: 1 << 20, fd: lease.fd });
    sideTransport = (protocol) => async () => {
      const side = await netnsSockets.socket(lease.netns, { protocol });
      releases.push(side.release);
      return new NetlinkSocket({ protocol, fd: side.fd });
    };
  } else transport = new NetlinkSocket({ receiveBuffer: 1 << 20 });
  let recorder: RecordingTransport | undefined;
  let save: ((recorder: RecordingTransport, path: string) => void) | undefined;
  if (options.record) {
    // Loaded for --record only: the recorder and the pcap writer are no part of other commands' start.
    const [{ RecordingTransport }, record] = await Promise.all([import('../transport/recording.js'), import('./record.js')]);
    recorder = new RecordingTransport(transport, { producer: 'nlts --record', command: 'nlts ' + process.argv.slice(2).join(' ') });
    recorder.annotate = record.timedAnnotator(recorder);
    save = record.saveRecording;
    transport = recorder;
  }
  const client = NetlinkClient.open({
    transport,
    genericTransport: sideTransport(NETLINK_GENERIC),
    netfilterTransport: sideTransport(NETLINK_NETFILTER),
  });
  return {
    client,
    close: () => {
      client.close();
      release?.();
      for (const fn of releases) fn();
      if (recorder && save && options.record) save(recorder, options.record);
    },
  };
}
