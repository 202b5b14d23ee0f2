# cordon bench gateway: times each call through a token on its own with perf_counter_ns, so the median is
# of single round trips, beside a plain Python call of the same shape.
import time, cordon
from cordon import gateway

def plain(op):
    return None

def timed(f, n, clock=time.perf_counter_ns):
    out = []
    for _ in range(n):
        a = clock()
        f('op')
        b = clock()
        out.append(b - a)
    out.sort()
    return {'median': out[n // 2], 'p90': out[n * 9 // 10], 'p99': out[n * 99 // 100]}

def loop(f, n):
    for _ in range(n):
        f('op')

def main(p):
    call = gateway.connect('noop').call
    for _ in range(10):
        loop(call, p['warmup'] // 10)
        loop(plain, p['warmup'] // 10)
        timed(call, p['samples'] // 10)
        timed(plain, p['samples'] // 10)
    cordon.result({'gateway': timed(call, p['samples']), 'plain': timed(plain, p['samples'])})

main(cordon.params)
