/**
 * ethtool's text for what a veth cannot show (the integration tests compare the rest with ethtool
 * itself): link modes with ethtool's separators (a half-duplex mode and its full twin on one line,
 * ports with a tab, FEC and pause apart), MDI-X, wake-on-LAN letters, ring parameters.
 */
import { describe, expect, it } from 'vitest';
import type { Features, LinkModes, Rings } from '../../src/api/ethtool.js';
import { formatFeatures, formatLinkInfo, formatLinkModes, formatRings, formatWakeOnLan } from '../../src/cli/format/ethtool.js';

const bit = (index: number, name: string) => ({ index, name });

describe('ethtool text', () => {
  it('link modes of a 1G copper NIC, as ethtool prints them', () => {
    const supported = [bit(0, '10baseT/Half'), bit(1, '10baseT/Full'), bit(2, '100baseT/Half'), bit(3, '100baseT/Full'), bit(5, '1000baseT/Full')];
    const special = [bit(6, 'Autoneg'), bit(7, 'TP'), bit(9, 'MII'), bit(13, 'Pause'), bit(50, 'RS')];
    const m: LinkModes = {
      ifindex: 2,
      ifname: 'eth0',
      supported: [...supported, ...special],
      advertised: [bit(5, '1000baseT/Full'), bit(6, 'Autoneg')],
      autoneg: true,
      speed: 1000,
      duplex: 'full',
    };
    expect(formatLinkModes(m)).toBe(
      [
        '\tSupported ports: [ TP\t MII ]',
        '\tSupported link modes:   10baseT/Half 10baseT/Full',
        '\t                        100baseT/Half 100baseT/Full',
        '\t                        1000baseT/Full',
        '\tSupported pause frame use: Symmetric',
        '\tSupports auto-negotiation: Yes',
        '\tSupported FEC modes: RS',
        '\tAdvertised link modes:  1000baseT/Full',
        '\tAdvertised pause frame use: No',
        '\tAdvertised auto-negotiation: Yes',
        '\tAdvertised FEC modes: Not reported',
        '\tSpeed: 1000Mb/s',
        '\tDuplex: Full',
        '\tAuto-negotiation: on',
        '',
      ].join('\n'),
    );
    expect(formatLinkModes({ ...m, supported: [], advertised: [], speed: 'unknown', duplex: 'unknown' })).toContain(
      '\tSpeed: Unknown!\n\tDuplex: Unknown! (255)\n',
    );
  });

  it('MDI-X by control and status; wake-on-LAN letters', () => {
    expect(formatLinkInfo({ ifindex: 2, ifname: 'eth0', port: 'tp', phyaddr: 1, transceiver: 'internal', tpMdix: 'mdi-x', tpMdixCtrl: 'auto' })).toBe(
      '\tPort: Twisted Pair\n\tPHYAD: 1\n\tTransceiver: internal\n\tMDI-X: on (auto)\n',
    );
    expect(formatLinkInfo({ ifindex: 2, ifname: 'eth0', port: 'fibre', tpMdix: 'mdi', tpMdixCtrl: 'mdi' })).toBe('\tPort: FIBRE\n');
    expect(formatLinkInfo({ ifindex: 2, ifname: 'eth0', port: 0x42 })).toBe('\tPort: Unknown! (66)\n');
    const wol = { ifindex: 2, ifname: 'eth0', supported: [bit(0, 'phy'), bit(5, 'magic')], enabled: [bit(5, 'magic')] };
    expect(formatWakeOnLan(wol)).toBe('\tSupports Wake-on: pg\n\tWake-on: g\n');
    expect(formatWakeOnLan({ ...wol, enabled: [] })).toBe('\tSupports Wake-on: pg\n\tWake-on: d\n');
  });

  it('-k: a group of one feature is shown by the group name; others are listed under it', () => {
    const f: Features = {
      ifindex: 2,
      ifname: 'eth0',
      features: {
        'rx-checksum': { active: true, wanted: true, changeable: false, fixed: true },
        'tx-checksum-ip-generic': { active: true, wanted: true, changeable: true, fixed: false },
        'tx-checksum-sctp': { active: false, wanted: true, changeable: true, fixed: false },
        'rx-gro': { active: false, wanted: false, changeable: true, fixed: false },
        highdma: { active: true, wanted: true, changeable: false, fixed: true },
      },
    };
    expect(formatFeatures(f, 'eth0')).toBe(
      [
        'Features for eth0:',
        'rx-checksumming: on [fixed]',
        'tx-checksumming: on',
        '\ttx-checksum-ip-generic: on',
        '\ttx-checksum-sctp: off [requested on]',
        'scatter-gather: off',
        'tcp-segmentation-offload: off',
        'generic-segmentation-offload: off',
        'generic-receive-offload: off',
        'large-receive-offload: off',
        'rx-vlan-offload: off',
        'tx-vlan-offload: off',
        'ntuple-filters: off',
        'receive-hashing: off',
        'highdma: on [fixed]',
        '',
      ].join('\n'),
    );
  });

  it('-g of a device with rings (ethtool 6.1 lines, n/a for what the driver leaves out)', () => {
    const r: Rings = { ifindex: 2, ifname: 'eth0', rxMax: 4096, txMax: 4096, rx: 512, tx: 512, txPush: false, tcpDataSplit: 'disabled' };
    expect(formatRings(r, 'eth0')).toBe(
      'Ring parameters for eth0:\nPre-set maximums:\nRX:\t\t4096\nRX Mini:\tn/a\nRX Jumbo:\tn/a\nTX:\t\t4096\n' +
        'Current hardware settings:\nRX:\t\t512\nRX Mini:\tn/a\nRX Jumbo:\tn/a\nTX:\t\t512\nRX Buf Len:\t\tn/a\nCQE Size:\t\tn/a\nTX Push:\toff\nTCP data split:\toff\n',
    );
  });
});
