"""pyroute2 side of bench/run.ts (Debian python3-pyroute2 0.7.2, run with /usr/bin/python3 inside
the benchmark's namespace). Prints one line `RESULT {json}`; times in ms (time.perf_counter).

  dump  {what, repeats}  first: from IPRoute() to the decoded list; then `repeats` more dumps.
  addr  {n, dev, base}   n addresses added one at a time (acknowledged), then deleted.
  veth  {n, prefix}      n veth pairs created one at a time, then deleted.
"""
import json
import resource
import socket
import sys
import time

from pyroute2 import IPRoute

args = json.loads(sys.argv[1])
rss_at_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
now = lambda: time.perf_counter() * 1000.0


def dump_once(ipr):
    if args['what'] == 'links':
        return list(ipr.get_links())
    return list(ipr.get_routes(family=socket.AF_INET))


def dump():
    t0 = now()
    ipr = IPRoute()
    res = dump_once(ipr)
    first = now() - t0
    count = len(res)
    rss_first = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    repeat = []
    for _ in range(args.get('repeats', 3)):
        res = None
        t = now()
        res = dump_once(ipr)
        repeat.append(now() - t)
        if len(res) != count:
            raise SystemExit('repeat dump returned %d objects, first %d' % (len(res), count))
    ipr.close()
    return {'first': first, 'repeat': repeat, 'count': count, 'maxRssFirstKiB': rss_first,
            'maxRssKiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, 'rssAtStartKiB': rss_at_start}


def addrs(n, base):
    return ['10.%d.%d.%d' % (((base + i) >> 16) & 255, ((base + i) >> 8) & 255, (base + i) & 255) for i in range(n)]


def addr():
    ipr = IPRoute()
    idx = ipr.link_lookup(ifname=args['dev'])[0]
    ips = addrs(args['n'], args.get('base', 1))
    t = now()
    for ip in ips:
        ipr.addr('add', index=idx, address=ip, prefixlen=32)
    add = now() - t
    t = now()
    for ip in ips:
        ipr.addr('del', index=idx, address=ip, prefixlen=32)
    dele = now() - t
    ipr.close()
    return {'n': len(ips), 'add': add, 'del': dele}


def veth():
    ipr = IPRoute()
    n, p = args['n'], args['prefix']
    t = now()
    for i in range(n):
        ipr.link('add', ifname='%s%da' % (p, i), kind='veth', peer='%s%db' % (p, i))
    add = now() - t
    t = now()
    for i in range(n):
        ipr.link('del', ifname='%s%da' % (p, i))
    dele = now() - t
    ipr.close()
    return {'n': n, 'add': add, 'del': dele}


out = {'dump': dump, 'addr': addr, 'veth': veth}[args['mode']]()
sys.stdout.write('RESULT ' + json.dumps(out) + '\n')
