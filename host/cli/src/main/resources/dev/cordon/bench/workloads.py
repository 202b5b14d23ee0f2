# Classic compute workloads, the same source for Cordon and for CPython. Each function does a fixed amount
# of work and returns a value that depends on all of it; run(name, n) times n repetitions and returns the best
# time in seconds; warmed(name, seconds, n) first runs the workload for that long, so that a JIT has compiled it.
import json
import re
import time


def richards_like():
    # A task scheduler in the spirit of richards: objects, method calls, a queue.
    class Task:
        __slots__ = ("id", "count", "next")

        def __init__(self, id, nxt):
            self.id = id
            self.count = 0
            self.next = nxt

        def run(self, work):
            self.count += 1
            return work + self.id * 3 % 7

    tasks = None
    for i in range(10):
        tasks = Task(i, tasks)
    work = 0
    for _ in range(20000):
        t = tasks
        while t is not None:
            work = t.run(work) % 1000003
            t = t.next
    return work


def nbody():
    bodies = [[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 39.47],
              [4.84, -1.16, -0.10, 0.60, 2.81, -0.02, 0.037],
              [8.34, 4.12, -0.40, -1.01, 1.82, 0.008, 0.011],
              [12.89, -15.11, -0.22, 1.08, 0.86, -0.01, 0.0017],
              [15.37, -25.91, 0.17, 0.97, 0.59, -0.03, 0.002]]
    dt = 0.01
    for _ in range(20000):
        for i in range(5):
            bi = bodies[i]
            for j in range(i + 1, 5):
                bj = bodies[j]
                dx = bi[0] - bj[0]
                dy = bi[1] - bj[1]
                dz = bi[2] - bj[2]
                d2 = dx * dx + dy * dy + dz * dz
                mag = dt / (d2 * d2 ** 0.5)
                bi[3] -= dx * bj[6] * mag
                bi[4] -= dy * bj[6] * mag
                bi[5] -= dz * bj[6] * mag
                bj[3] += dx * bi[6] * mag
                bj[4] += dy * bi[6] * mag
                bj[5] += dz * bi[6] * mag
        for b in bodies:
            b[0] += dt * b[3]
            b[1] += dt * b[4]
            b[2] += dt * b[5]
    return bodies[0][0]


def fannkuch(n=8):
    perm1 = list(range(n))
    count = [0] * n
    max_flips = 0
    checksum = 0
    r = n
    sign = 1
    while True:
        while r != 1:
            count[r - 1] = r
            r -= 1
        perm = perm1[:]
        flips = 0
        k = perm[0]
        while k:
            perm[:k + 1] = perm[k::-1]
            flips += 1
            k = perm[0]
        max_flips = max(max_flips, flips)
        checksum += sign * flips
        sign = -sign
        while True:
            if r == n:
                return max_flips, checksum
            p0 = perm1[0]
            perm1[:r] = perm1[1:r + 1]
            perm1[r] = p0
            count[r] -= 1
            if count[r] > 0:
                break
            r += 1


def spectral_norm(n=120):
    def a(i, j):
        return 1.0 / ((i + j) * (i + j + 1) // 2 + i + 1)

    def mul_av(v):
        return [sum(a(i, j) * v[j] for j in range(n)) for i in range(n)]

    def mul_atv(v):
        return [sum(a(j, i) * v[j] for j in range(n)) for i in range(n)]

    u = [1.0] * n
    for _ in range(5):
        v = mul_atv(mul_av(u))
        u = mul_atv(mul_av(v))
    vbv = sum(x * y for x, y in zip(u, v))
    vv = sum(x * x for x in v)
    return (vbv / vv) ** 0.5


def json_round_trip():
    doc = {"users": [{"id": i, "name": "user%d" % i, "tags": ["a", "b", "c"], "score": i * 1.5,
                      "active": i % 2 == 0} for i in range(200)]}
    total = 0
    for _ in range(30):
        total += len(json.loads(json.dumps(doc))["users"])
    return total


def regex():
    text = ("From: alice@example.com To: bob@example.org Date: 2026-11-23 Subject: zoobars " * 200)
    pattern = re.compile(r"([a-z]+)@([a-z]+)\.(com|org)|(\d{4})-(\d\d)-(\d\d)")
    found = 0
    for _ in range(30):
        found += len(pattern.findall(text))
    return found


WORKLOADS = {"richards": richards_like, "nbody": nbody, "fannkuch": fannkuch, "spectral-norm": spectral_norm,
             "json": json_round_trip, "regex": regex}


SINK = []


def run(name, n):
    f = WORKLOADS[name]
    best = None
    for _ in range(n):
        start = time.perf_counter()
        # Kept, so that no compiler can drop the work as dead code.
        SINK.append(f())
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    del SINK[:-1]
    return best


def warmed(name, seconds, n):
    f = WORKLOADS[name]
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        SINK.append(f())
        del SINK[:-1]
    return run(name, n)
