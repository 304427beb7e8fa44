"""cache=True: a second process loads the compiled kernels from disk instead of compiling.

The first call's time in the second process is printed (run with -s to see it), not asserted:
timing asserts are flaky on a shared 2-core machine. What is asserted is numba's own record of
where the code came from: cache hits and no cache misses.
"""
import json
import subprocess
import sys

SCRIPT = r"""
import json, time
import numpy as np
t0 = time.perf_counter()
from rnnkit.cpu import lstm
from rnnkit.cpu.lstm import lstm_forward, lstm_backward, lstm_forward_serial, lstm_backward_serial
rng = np.random.default_rng(0)
x = rng.standard_normal((2, 3, 4)).astype(np.float32)
h0 = np.zeros((2, 5), np.float32)
W = [rng.standard_normal(s).astype(np.float32) for s in ((20, 4), (20, 5), (20,), (20,))]
h, cache = lstm_forward(x, h0, h0, *W)
lstm_backward(np.ones_like(h), cache)
elapsed = time.perf_counter() - t0
stats = [k.stats for k in (lstm_forward_serial, lstm_backward_serial)]
print(json.dumps(dict(seconds=elapsed, hits=[sum(s.cache_hits.values()) for s in stats],
                      misses=[sum(s.cache_misses.values()) for s in stats])))
"""


def run_process():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                            timeout=600, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_second_process_loads_from_cache():
    first = run_process()  # compiles and writes the cache, unless an earlier run did
    second = run_process()
    print(f"\nfirst process: {first['seconds']:.2f} s (misses {first['misses']}); "
          f"second process, import + first LSTM forward+backward: {second['seconds']:.2f} s")
    assert second["misses"] == [0, 0], f"the second process compiled again: {second}"
    assert all(h >= 1 for h in second["hits"]), f"nothing was loaded from the cache: {second}"
