"""The server side of bench/registry.sh: while the service re-screens every registered project
after a red-line revision, one keep-alive client asks `/zones` at seeded random points without
pause and records each latency; the revision is PUT after an idle stretch, and the pass is timed
from the PUT's answer to `/admin/status` showing it finished against the new version. Prints one
JSON object (also the report's source).

Usage: python3 watch.py PORT TOKEN REVISION.geojson PID [IDLE_SECONDS]
"""
import http.client
import json
import random
import sys
import threading
import time

port, token, revision, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
idle = float(sys.argv[5]) if len(sys.argv) > 5 else 10.0
auth = {"Authorization": f"Bearer {token}"}
samples = []  # (t, seconds, status)
stop = threading.Event()


def rss_kib():
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def reader():
    rnd = random.Random(7)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop.is_set():
        lon, lat = rnd.uniform(120.4, 121.2), rnd.uniform(30.4, 30.95)
        t = time.perf_counter()
        c.request("GET", f"/zones?lon={lon:.5f}&lat={lat:.5f}&year=2025")
        r = c.getresponse()
        r.read()
        samples.append((t, time.perf_counter() - t, r.status))


def status():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", "/admin/status", headers=auth)
    return json.loads(c.getresponse().read())


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] * 1000 if xs else None


th = threading.Thread(target=reader, daemon=True)
t_start = time.perf_counter()
th.start()
time.sleep(idle)
before = status()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
body = open(revision, "rb").read()
t_put = time.perf_counter()
c.request("PUT", "/admin/layers/redline?author=bench&message=revision", body=body, headers=auth)
r = c.getresponse()
put = json.loads(r.read())
assert r.status == 200, put
t_answer = time.perf_counter()
rss_peak = rss_kib()
while True:
    s = status()
    rss_peak = max(rss_peak, rss_kib())
    last = (s["rescreening"] or {}).get("last") or {}
    if s["version"] != before["version"] and not s["rescreening"]["running"] \
            and last.get("version") == s["version"] and not last.get("superseded"):
        break
    time.sleep(0.2)
t_done = time.perf_counter()
time.sleep(min(idle, 5.0))
stop.set()
th.join()
bad = [x for x in samples if x[2] != 200]
# The idle figures are the second half of the idle stretch: the first requests after start
# (connection, caches, the allocator's first pages) are slower than any later ones.
idle_l = [d for t, d, _ in samples if t_start + idle / 2 <= t < t_put]
during = [d for t, d, _ in samples if t_answer <= t < t_done]
print(json.dumps({
    "put_s": round(t_answer - t_put, 3),
    "rescreen_s": round(t_done - t_answer, 3),
    "screened": last.get("screened"),
    "errors": last.get("errors"),
    "version_before": before["version"],
    "version_after": s["version"],
    "zones_idle": {"n": len(idle_l), "p50_ms": pct(idle_l, 50), "p99_ms": pct(idle_l, 99),
                   "max_ms": pct(idle_l, 100)},
    "zones_during": {"n": len(during), "p50_ms": pct(during, 50), "p99_ms": pct(during, 99),
                     "max_ms": pct(during, 100)},
    "non_200": len(bad),
    "rss_peak_mib": round(rss_peak / 1024, 1),
}))
