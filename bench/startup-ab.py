#!/usr/bin/env python3
"""Start-up A/B: commands run alternately in fresh processes (the order reversed every other
round), wall time and CPU (user+sys from wait4) per run; medians and lower quartiles, each as a
ratio to the first command. For one-shot start-up on a VM whose load moves wall times: CPU and
the alternation see through much of it (docs/benchmarks.md "#17 one-shot start").

  ROUNDS=40 [PIPE=1] python3 bench/startup-ab.py "node -e 0" "node SCRATCH/node_modules/.bin/nlts -j link show" ...

Arguments are split on spaces (no shell). PIPE=1 gives each run a pipe as stdout that is read to
its end (else /dev/null). Three warm-up runs per command are not counted. A run that exits
non-zero stops the benchmark.
"""
import os, sys, time, statistics, subprocess
rounds = int(os.environ.get('ROUNDS', '30'))
cmds = [c.split() for c in sys.argv[1:]]
if not cmds:
    sys.exit(__doc__)
wall = [[] for _ in cmds]; cpu = [[] for _ in cmds]
devnull = os.open('/dev/null', os.O_WRONLY)
def once(argv):
    pipe = os.environ.get('PIPE') == '1'
    if pipe: r, w = os.pipe()
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.dup2(w if pipe else devnull, 1); os.dup2(devnull, 2)
        os.execvp(argv[0], argv)
    if pipe:
        os.close(w)
        while os.read(r, 65536): pass
        os.close(r)
    _, status, ru = os.wait4(pid, 0)
    t = time.perf_counter() - t0
    assert os.waitstatus_to_exitcode(status) == 0, argv
    return t * 1000, (ru.ru_utime + ru.ru_stime) * 1000
for c in cmds:
    for _ in range(3): once(c)
for r in range(rounds):
    order = list(range(len(cmds)))
    if r % 2: order.reverse()
    for i in order:
        w, c = once(cmds[i]); wall[i].append(w); cpu[i].append(c)
mw0 = statistics.median(wall[0]); mc0 = statistics.median(cpu[0])
for i, c in enumerate(cmds):
    mw = statistics.median(wall[i]); mc = statistics.median(cpu[i])
    q = lambda xs: statistics.quantiles(xs, n=4)[0]
    print(f"{' '.join(c)[-50:]:50s} wall med {mw:6.1f} ({mw/mw0:.2f}x) q1 {q(wall[i]):6.1f} ({q(wall[i])/q(wall[0]):.2f}x) | cpu med {mc:6.1f} ({mc/mc0:.2f}x) q1 {q(cpu[i]):6.1f} ({q(cpu[i])/q(cpu[0]):.2f}x)")
