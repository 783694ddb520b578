"""Independent measures for the three-lines tests: shapely unions and pyproj's geodesic areas
(Karney, WGS84), straight from the GeoJSON files, sharing no code with ecospace.

  python geodesic_areas.py indicators DATA_DIR YEAR...   -> {"YEAR": {indicator: value}}
  python geodesic_areas.py shares SITE.geojson DATA_DIR  -> {"outside_urban": r, "counties": {adcode: share}}
"""
import json
import sys

from pyproj import Geod
from shapely.geometry import shape
from shapely.ops import unary_union

GEOD = Geod(ellps="WGS84")


def area_m2(g):
    return abs(GEOD.geometry_area_perimeter(g)[0])


def features(data, layer):
    with open(f"{data}/{layer}.geojson", encoding="utf-8") as f:
        return json.load(f)["features"]


def live(fs, year):
    def ok(p):
        a, b = p.get("valid_from"), p.get("valid_to")
        return (a is None or a <= year) and (b is None or year < b)

    return [shape(f["geometry"]) for f in fs if ok(f["properties"])]


def indicators(data, years):
    land = unary_union(
        [shape(f["geometry"]) for f in features(data, "land_sea") if f["properties"]["class"] == "land"]
    )
    land_m2 = area_m2(land)
    farm, forest, water, urban = (features(data, l) for l in ("farmland", "forest", "water", "urban_boundary"))
    out = {}
    for y in years:
        out[str(y)] = {
            "farmland_area_km2": area_m2(unary_union(live(farm, y))) / 1e6,
            "urban_boundary_area_km2": area_m2(unary_union(live(urban, y))) / 1e6,
            "forest_coverage_pct": area_m2(unary_union(live(forest, y)).intersection(land)) / land_m2 * 100,
            "water_surface_ratio_pct": area_m2(unary_union(live(water, y)).intersection(land)) / land_m2 * 100,
        }
    return out


def shares(site_file, data, year):
    with open(site_file, encoding="utf-8") as f:
        site = shape(json.load(f)["geometry"])
    whole = area_m2(site)
    urban = unary_union(live(features(data, "urban_boundary"), year))
    counties = {}
    for f in features(data, "county"):
        a = area_m2(site.intersection(shape(f["geometry"])))
        if a > 0:
            counties[f["properties"]["county"]] = a / whole
    # The urban boundary's outside binds inside the city's territory (the counties' union).
    city = unary_union([shape(f["geometry"]) for f in features(data, "county")])
    outside = site.intersection(city).difference(urban)
    return {"outside_urban": area_m2(outside) / whole, "counties": counties}


if __name__ == "__main__":
    if sys.argv[1] == "indicators":
        print(json.dumps(indicators(sys.argv[2], [int(y) for y in sys.argv[3:]])))
    else:
        print(json.dumps(shares(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
