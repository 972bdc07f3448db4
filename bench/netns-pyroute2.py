"""pyroute2 side of bench/netns.ts (S5; Debian python3-pyroute2 0.7.2 with /usr/bin/python3).
Runs in the root namespace, prints one line `RESULT {json}`; times in ms (time.perf_counter).

  first {names: [NS], repeats}  NetNS(NS) + the first get_links(); then `repeats` more on the same handle.
  many  {names: [...]}          for each name in turn: NetNS(name) + get_links() + close()
                                (NetNS forks a proxy process per namespace; there is no batch way).
"""
import json
import sys
import time

from pyroute2 import NetNS

args = json.loads(sys.argv[1])
now = lambda: time.perf_counter() * 1000.0


def first():
    t0 = now()
    ns = NetNS(args['names'][0])
    links = list(ns.get_links())
    first_ms = now() - t0
    count = len(links)
    repeat = []
    for _ in range(args.get('repeats', 20)):
        t = now()
        links = list(ns.get_links())
        repeat.append(now() - t)
        if len(links) != count:
            raise SystemExit('repeat dump returned %d links, first %d' % (len(links), count))
    ns.close()
    return {'first': first_ms, 'repeat': repeat, 'count': count}


def many():
    t0 = now()
    counts = []
    for name in args['names']:
        ns = NetNS(name)
        counts.append(len(list(ns.get_links())))
        ns.close()
    total = now() - t0
    return {'total': total, 'perNs': total / len(args['names']), 'counts': counts}


result = many() if args['mode'] == 'many' else first()
print('RESULT ' + json.dumps(result), flush=True)
