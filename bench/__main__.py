"""``make bench``: the benchmark issue fills this in."""

import sys

sys.exit("benchmarks are not written yet (see the benchmark issue)")
