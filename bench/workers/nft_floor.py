"""Kernel floor of bench/nft.ts: a raw NETLINK_NETFILTER socket, standard library only, run inside the
benchmark's namespace. Prints one line `RESULT {json}` (times in ms).

  nft_floor.py apply FILE   sends FILE (a whole transaction datagram, BATCH_BEGIN .. BATCH_END, as
                            netlink-ts and nft build it) and then a getgen fence; `ms` is the time
                            inside sendmsg(), where the kernel runs the transaction.
  nft_floor.py list         getgen, the six dumps a listing needs (tables, chains, rules, sets,
                            objects, flowtables), getgen; replies only walked by their nlmsghdrs.
"""
import json
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
SO_SNDBUFFORCE, SO_RCVBUFFORCE = 32, 33
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NFNL_SUBSYS_NFTABLES = 10
GETTABLE, GETCHAIN, GETRULE, GETSET, GETGEN, GETOBJ, GETFLOWTABLE = 1, 4, 7, 10, 16, 19, 23


def request(msg_type, flags, seq):
    body = struct.pack('=BBH', 0, 0, 0)  # nfgenmsg: family unspec, version 0, res_id 0
    return struct.pack('=IHHII', 16 + len(body), (NFNL_SUBSYS_NFTABLES << 8) | msg_type, flags, seq, 0) + body


def walk(data, seq):
    """(messages, done, error) of one datagram for the request numbered seq."""
    n, off, done, err = 0, 0, False, 0
    while off + 16 <= len(data):
        length, mtype, _flags, mseq, _pid = struct.unpack_from('=IHHII', data, off)
        if mseq == seq:
            if mtype == NLMSG_ERROR:
                err = struct.unpack_from('=i', data, off + 16)[0]
                done = True
            elif mtype == NLMSG_DONE:
                done = True
            else:
                n += 1
        off += (length + 3) & ~3
    return n, done, err


def talk(sock, msg_type, flags, seq, buf):
    sock.send(request(msg_type, flags, seq))
    total = 0
    while True:
        k = sock.recv_into(buf)
        n, done, err = walk(memoryview(buf)[:k], seq)
        if err:
            raise SystemExit(f'request {msg_type}: error {err}')
        total += n
        if done or (not flags & NLM_F_DUMP and n):
            return total


def main():
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, 64 << 20)
    sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
    sock.bind((0, 0))
    buf = bytearray(1 << 20)
    if sys.argv[1] == 'apply':
        data = open(sys.argv[2], 'rb').read()
        t = time.perf_counter()
        sock.send(data)
        ms = (time.perf_counter() - t) * 1000
        sock.setblocking(False)
        try:  # a refused command answers before the fence
            k = sock.recv_into(buf)
            raise SystemExit(f'the kernel answered the transaction ({k} bytes): refused')
        except BlockingIOError:
            pass
        sock.setblocking(True)
        talk(sock, GETGEN, NLM_F_REQUEST, 1 << 30, buf)
        print('RESULT ' + json.dumps({'ms': ms, 'bytes': len(data)}))
    else:
        t = time.perf_counter()
        counts = {}
        talk(sock, GETGEN, NLM_F_REQUEST, 1, buf)
        for i, (name, kind) in enumerate(
            [('tables', GETTABLE), ('chains', GETCHAIN), ('rules', GETRULE), ('sets', GETSET), ('objects', GETOBJ), ('flowtables', GETFLOWTABLE)]
        ):
            counts[name] = talk(sock, kind, NLM_F_REQUEST | NLM_F_DUMP, 2 + i, buf)
        talk(sock, GETGEN, NLM_F_REQUEST, 9, buf)
        ms = (time.perf_counter() - t) * 1000
        print('RESULT ' + json.dumps({'ms': ms, 'rules': counts['rules']}))


main()
