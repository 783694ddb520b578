"""The features pygeofilter selects, per cql2-text filter: an independent CQL2 implementation
(pygeofilter's parser and native evaluator) for ogc_filter_test.

Usage: cql2_pygeofilter.py CASES GEOJSON  ->  JSON {filter: [ids, in file order]} on stdout.
Features are their properties plus `geometry` (shapely). pygeofilter's native evaluator is given
`lower` (what its parser makes of CASEI) and `bbox` (it reads CQL2's BBOX literal as a call).
"""
import contextlib
import json
import sys

import shapely.geometry
from pygeofilter.backends.native.evaluate import NativeEvaluator
from pygeofilter.parsers.cql2_text import parse

cases, layer = sys.argv[1], sys.argv[2]
features = []
for f in json.load(open(layer, encoding="utf-8"))["features"]:
    item = dict(f["properties"])
    item["geometry"] = shapely.geometry.shape(f["geometry"])
    item["_id"] = str(f["id"])
    features.append(item)
functions = {
    "lower": lambda s: None if s is None else s.lower(),
    "bbox": lambda w, s, e, n: shapely.geometry.box(w, s, e, n),
}
out = {}
for line in open(cases, encoding="utf-8"):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    # pygeofilter 0.4.0 prints some parsed literals (MULTIPOINT): keep stdout for the answer.
    with contextlib.redirect_stdout(sys.stderr):
        test = NativeEvaluator(use_getattr=False, function_map=functions).evaluate(parse(line))
        out[line] = [f["_id"] for f in features if test(f)]
json.dump(out, sys.stdout, ensure_ascii=False)
