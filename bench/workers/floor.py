"""Kernel floor for bench/run.ts: what the kernel plus a minimal client costs. A raw AF_NETLINK
socket (/usr/bin/python3, standard library only) sends the same requests as netlink-ts and only
walks the nlmsghdr headers of the replies: no attribute decoding, no objects. Runs inside the
benchmark's namespace like the other workers and prints one line `RESULT {json}`; times in ms
(time.perf_counter).

  dump  {what: 'links'|'routes', repeats}  first: from socket() to the end of the first dump; then
        `repeats` more on the same socket. links = RTM_GETLINK dump with IFLA_EXT_MASK =
        RTEXT_FILTER_VF (stats included), as links.list({stats: true}); routes = RTM_GETROUTE dump,
        AF_INET, header table 0 and no RTA_TABLE (all tables), as routes.list({family: 'inet',
        table: 'all'}). count = RTM_NEWLINK / RTM_NEWROUTE messages. All NEWROUTE messages are
        counted: an IPv4 dump carries cloned routes (exceptions) only when the request has
        RTM_F_CLONED, which this one has not. `recv` = time spent inside recv_into per dump (the
        kernel builds a dump's datagrams there), first dump included.
  addr  {n, dev, base}  n /32 addresses added one at a time (NLM_F_ACK, each ACK awaited), then
        deleted one at a time; then the same n pipelined as connection.ts batch() does: up to 256
        requests per datagram, NLM_F_ACK on the last of each datagram only, all replies read
        until that ACK. The interface index comes from /sys/class/net/DEV/ifindex (the namespace's
        own under ip netns exec). Requests are packed before the clock starts: the floor has no
        encoding cost.

Any NLMSG_ERROR with a non-zero error, a non-zero NLMSG_DONE status or an interrupted dump
(NLM_F_DUMP_INTR) fails the worker loudly.
"""
import json
import os
import socket
import struct
import sys
import time

args = json.loads(sys.argv[1])
now = lambda: time.perf_counter() * 1000.0

NETLINK_ROUTE = 0
SOL_NETLINK = 270
NETLINK_EXT_ACK = 11
NETLINK_GET_STRICT_CHK = 12
SO_RCVBUFFORCE = 33

NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_DUMP_INTR = 0x10
NLM_F_DUMP = 0x300
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400

RTM_NEWLINK, RTM_GETLINK = 16, 18
RTM_NEWADDR, RTM_DELADDR = 20, 21
RTM_NEWROUTE, RTM_GETROUTE = 24, 26
IFLA_EXT_MASK = 29
RTEXT_FILTER_VF = 1
IFA_ADDRESS, IFA_LOCAL, IFA_FLAGS = 1, 2, 8

BUF_SIZE = 1 << 20
buf = bytearray(BUF_SIZE)
HDR = struct.Struct('=IHHII')  # nlmsghdr: len, type, flags, seq, pid
hdr_at = HDR.unpack_from
INT = struct.Struct('=i')


def open_socket():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
    s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    s.setsockopt(SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1)
    # As netlink-ts (receiveBuffer 1 MiB): forced past rmem_max when privileged, else SO_RCVBUF.
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, BUF_SIZE)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BUF_SIZE)
    s.bind((0, 0))
    return s


def fail(what, err):
    raise SystemExit('%s: error %d (%s)' % (what, err, os.strerror(-err) if err < 0 else '?'))


def dump_request(seq):
    if args['what'] == 'links':
        # ifinfomsg (family 0) + IFLA_EXT_MASK u32
        body = struct.pack('=BxHiII', 0, 0, 0, 0, 0) + struct.pack('=HHI', 8, IFLA_EXT_MASK, RTEXT_FILTER_VF)
        typ = RTM_GETLINK
    else:
        # rtmsg: family AF_INET, dst/src len, tos, table 0 (all), protocol, scope, type, flags
        body = struct.pack('=BBBBBBBBI', socket.AF_INET, 0, 0, 0, 0, 0, 0, 0, 0)
        typ = RTM_GETROUTE
    return HDR.pack(16 + len(body), typ, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + body


def dump_once(s, seq):
    want = RTM_NEWLINK if args['what'] == 'links' else RTM_NEWROUTE
    s.send(dump_request(seq))
    count = 0
    in_recv = 0.0
    mv = buf
    while True:
        t = now()
        n = s.recv_into(mv, BUF_SIZE)
        in_recv += now() - t
        off = 0
        while off < n:
            length, typ, flags, mseq, _ = hdr_at(mv, off)
            if typ == want:
                count += 1
            elif typ == NLMSG_DONE or typ == NLMSG_ERROR:
                if mseq != seq:
                    raise SystemExit('reply seq %d, expected %d' % (mseq, seq))
                err = INT.unpack_from(mv, off + 16)[0]
                if err != 0:
                    fail('dump', err)
                if typ == NLMSG_ERROR:
                    raise SystemExit('dump answered with an ACK instead of NLMSG_DONE')
                if flags & NLM_F_DUMP_INTR:
                    raise SystemExit('dump interrupted (NLM_F_DUMP_INTR)')
                return count, in_recv
            if flags & NLM_F_DUMP_INTR:
                raise SystemExit('dump interrupted (NLM_F_DUMP_INTR)')
            if length < 16:
                raise SystemExit('bad nlmsghdr length %d' % length)
            off += (length + 3) & ~3


def dump():
    t0 = now()
    s = open_socket()
    count, r = dump_once(s, 1)
    first = now() - t0
    recv = [r]
    repeat = []
    for i in range(args.get('repeats', 3)):
        t = now()
        c, r = dump_once(s, 2 + i)
        repeat.append(now() - t)
        recv.append(r)
        if c != count:
            raise SystemExit('repeat dump returned %d objects, first %d' % (c, count))
    s.close()
    return {'first': first, 'repeat': repeat, 'count': count, 'recv': recv}


def addrs(n, base):
    return ['10.%d.%d.%d' % (((base + i) >> 16) & 255, ((base + i) >> 8) & 255, (base + i) & 255) for i in range(n)]


def addr_message(typ, flags, seq, index, ip):
    """RTM_NEWADDR / RTM_DELADDR for ip/32 as netlink-ts encodes it: ifaddrmsg + IFA_LOCAL +
    IFA_ADDRESS (+ IFA_FLAGS 0 on add)."""
    a = socket.inet_aton(ip)
    body = struct.pack('=BBBBi', socket.AF_INET, 32, 0, 0, index)
    body += struct.pack('=HH', 8, IFA_LOCAL) + a + struct.pack('=HH', 8, IFA_ADDRESS) + a
    if typ == RTM_NEWADDR:
        body += struct.pack('=HHI', 8, IFA_FLAGS, 0)
    return HDR.pack(16 + len(body), typ, flags, seq, 0) + body


def wait_ack(s, seq):
    """Reads until the ACK of `seq`; any error (asked for or not) fails."""
    mv = buf
    while True:
        n = s.recv_into(mv, BUF_SIZE)
        off = 0
        while off < n:
            length, typ, flags, mseq, _ = hdr_at(mv, off)
            if typ == NLMSG_ERROR:
                err = INT.unpack_from(mv, off + 16)[0]
                if err != 0:
                    fail('request seq %d' % mseq, err)
                if mseq == seq:
                    return
            if length < 16:
                raise SystemExit('bad nlmsghdr length %d' % length)
            off += (length + 3) & ~3


def timed_exchanges(s, datagrams):
    """Sends each (seq, datagram) and waits for the ACK of seq: one request at a time, or a
    pipelined window whose last request asks for the ACK."""
    t = now()
    for seq, datagram in datagrams:
        s.send(datagram)
        wait_ack(s, seq)
    return now() - t


def addr():
    s = open_socket()
    with open('/sys/class/net/%s/ifindex' % args['dev']) as f:
        index = int(f.read())
    ips = addrs(args['n'], args.get('base', 1))
    seq = [0]

    def next_seq():
        seq[0] += 1
        return seq[0]

    def single(typ, flags):
        out = []
        for ip in ips:
            q = next_seq()
            out.append((q, addr_message(typ, flags | NLM_F_REQUEST | NLM_F_ACK, q, index, ip)))
        return out

    def batched(typ, flags, window=256):
        out = []
        for first in range(0, len(ips), window):
            chunk = ips[first:first + window]
            parts = []
            for i, ip in enumerate(chunk):
                q = next_seq()
                ack = NLM_F_ACK if i == len(chunk) - 1 else 0
                parts.append(addr_message(typ, flags | NLM_F_REQUEST | ack, q, index, ip))
            out.append((q, b''.join(parts)))
        return out

    create = NLM_F_CREATE | NLM_F_EXCL
    adds, dels = single(RTM_NEWADDR, create), single(RTM_DELADDR, 0)
    badds, bdels = batched(RTM_NEWADDR, create), batched(RTM_DELADDR, 0)
    add = timed_exchanges(s, adds)
    dele = timed_exchanges(s, dels)
    batch_add = timed_exchanges(s, badds)
    batch_del = timed_exchanges(s, bdels)
    s.close()
    return {'n': len(ips), 'add': add, 'del': dele, 'batchAdd': batch_add, 'batchDel': batch_del}


out = {'dump': dump, 'addr': addr}[args['mode']]()
sys.stdout.write('RESULT ' + json.dumps(out) + '\n')
