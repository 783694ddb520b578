"""Decodes a Mapbox Vector Tile with the independent `mapbox-vector-tile` package (PyPI) and
prints it as JSON: {layer: {"extent": n, "features": [{"id", "properties", "type", "coordinates"}]}}.
Coordinates stay in raw tile units with y pointing down, as in the tile."""
import json
import sys

import mapbox_vector_tile

data = open(sys.argv[1], "rb").read()
tile = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
out = {}
for name, layer in tile.items():
    out[name] = {
        "extent": layer["extent"],
        "features": [
            {
                "id": f.get("id"),
                "properties": f["properties"],
                "type": f["geometry"]["type"],
                "coordinates": f["geometry"]["coordinates"],
            }
            for f in layer["features"]
        ],
    }
json.dump(out, sys.stdout, ensure_ascii=False)
