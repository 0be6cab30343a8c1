#!/usr/bin/env python3
"""Summarizes JMH JSON results (-rf json -rff FILE) for a shared, noisy machine: per benchmark and parameters,
the mean JMH reports, and the min / median / max of the per-iteration scores (on a loaded machine the minimum of
many short iterations is the best estimate of the uncontended cost; compare runs made back to back), plus the
secondary metrics' means (gc.alloc.rate.norm = B/op).

    python3 benchmarks/jmh-summary.py result.json [more.json ...]
"""
import json
import statistics
import sys

for path in sys.argv[1:]:
    print(f"== {path}")
    for r in json.load(open(path)):
        name = r["benchmark"].rsplit(".", 2)[-2] + "." + r["benchmark"].rsplit(".", 1)[-1]
        params = ",".join(f"{k}={v}" for k, v in (r.get("params") or {}).items())
        pm = r["primaryMetric"]
        raw = [x for fork in pm["rawData"] for x in fork]
        line = (f"{name:45s} {params:28s} mean {pm['score']:12.3f} {pm['scoreUnit']:8s} "
                f"min {min(raw):12.3f} median {statistics.median(raw):12.3f} max {max(raw):12.3f} (n={len(raw)})")
        sec = r.get("secondaryMetrics") or {}
        if "gc.alloc.rate.norm" in sec:
            g = sec["gc.alloc.rate.norm"]
            graw = [x for fork in g["rawData"] for x in fork]
            line += f"  B/op {g['score']:.3f} (min {min(graw):.3f} max {max(graw):.3f})"
        print(line)
