"""Reads a PMTiles archive with the independent `pmtiles` package (PyPI, the Protomaps reference
reader) and prints JSON: {"header": {...}, "metadata": {...}, "tiles": [[z, x, y], ...]}.

Each tile is found twice — by walking every directory (`all_tiles`) and by the point lookup a map
client does (`Reader.get(z, x, y)`, through leaf directories) — and the two must agree. The
gzip-decompressed bytes of each tile are written to OUTDIR/z_x_y.mvt for the caller to compare.
Usage: read_pmtiles.py ARCHIVE OUTDIR"""
import gzip
import json
import os
import sys

from pmtiles.reader import MmapSource, Reader, all_tiles
from pmtiles.tile import Compression

path, outdir = sys.argv[1], sys.argv[2]
with open(path, "rb") as f:
    source = MmapSource(f)
    reader = Reader(source)
    header = reader.header()
    assert header["tile_compression"] == Compression.GZIP, header["tile_compression"]
    tiles = []
    for (z, x, y), data in all_tiles(source):
        looked_up = reader.get(z, x, y)
        assert looked_up == data, f"lookup of {z}/{x}/{y} disagrees with the directory walk"
        with open(os.path.join(outdir, f"{z}_{x}_{y}.mvt"), "wb") as t:
            t.write(gzip.decompress(data))
        tiles.append([z, x, y])
    out = {
        "header": {
            k: (v.name if hasattr(v, "name") else v) for k, v in header.items()
        },
        "metadata": reader.metadata(),
        "tiles": tiles,
    }
json.dump(out, sys.stdout, ensure_ascii=False)
