/** Shared by the topology tests: the example file. */

/** The example of issue 16: a bridge in a host namespace, one container on it. */
export const WALKTHROUGH = `
namespaces:
  host:
    sysctl:
      net.ipv4.ip_forward: 1
    links:
      - name: br0
        kind: bridge
        data: { stpState: 0 }
        up: true
        addresses: [172.18.0.1/24]
    nftables: []
  c1:
    links:
      - name: eth0
        kind: veth
        up: true
        addresses: [172.18.0.2/24]
        peer: { name: vh1, netns: host, master: br0, up: true }
    routes:
      - { dst: default, gateway: 172.18.0.1, prefsrc: 172.18.0.2 }
`;
