"""Reads a GeoParquet file with independent readers — pyarrow for the table and its `geo`
metadata, shapely for the WKB — and prints JSON: {"geo": <the geo metadata>, "schema": {...},
"rows": [{"index", "id", "verdict", "hit_count", ..., "geometry_wkt"}]}.
If a GeoJSON FeatureCollection is given as the second argument, each row's geometry is also
compared (shapely `equals`) with the feature at the row's index, and `"equals"` says whether it
matched. Usage: read_geoparquet.py FILE.parquet [SITES.geojson]"""
import json
import sys

import pyarrow.parquet as pq
import shapely

path = sys.argv[1]
pf = pq.ParquetFile(path)
table = pf.read()
geo = json.loads(pf.schema_arrow.metadata[b"geo"])
features = None
if len(sys.argv) > 2:
    features = json.load(open(sys.argv[2], encoding="utf-8"))["features"]
rows = []
for r in table.to_pylist():
    wkb = r.pop("geometry")
    g = shapely.from_wkb(wkb) if wkb is not None else None
    r["geometry_wkt"] = g.wkt if g is not None else None
    r["geometry_type"] = g.geom_type if g is not None else None
    if features is not None and g is not None:
        expected = shapely.geometry.shape(features[r["index"]]["geometry"])
        r["equals"] = bool(g.equals(expected))
    rows.append(r)
out = {
    "geo": geo,
    "schema": {f.name: str(f.type) for f in table.schema},
    "num_row_groups": pf.num_row_groups,
    "rows": rows,
}
json.dump(out, sys.stdout, ensure_ascii=False)
