/** Opens the CLI's client: the current namespace or -n NAME, recording with --record FILE. */
import { NetlinkClient } from '../api/client.js';
import { rtnetlinkCodec } from '../api/rtnetlink-codec.js';
import { formatMessage } from '../codec/format.js';
import { NetlinkSocket } from '../transport/netlink-socket.js';
import { RecordingTransport } from '../transport/recording.js';
import type { Transport } from '../transport/types.js';
import { UsageError, type GlobalOptions } from './context.js';

export async function openCliClient(options: GlobalOptions): Promise<{ client: NetlinkClient; close(): void }> {
  if (options.netns !== undefined) {
    throw new UsageError(`network namespaces (-n ${options.netns}) are not supported yet`);
  }
  let transport: Transport = new NetlinkSocket({ receiveBuffer: 1 << 20 });
  let recorder: RecordingTransport | undefined;
  if (options.record) {
    recorder = new RecordingTransport(transport, { producer: 'nlts --record', command: 'nlts ' + process.argv.slice(2).join(' ') });
    recorder.annotate = (d) => rtnetlinkCodec().decode(d).map(formatMessage);
    transport = recorder;
  }
  const client = NetlinkClient.open({ transport });
  return {
    client,
    close: () => {
      client.close();
      if (recorder && options.record) recorder.save(options.record);
    },
  };
}
