#!/usr/bin/env python3
# gen_key_projects.py - writes data/jiaxing/samples/key_projects.geojson: sample sites for key projects
# named in 嘉兴市生态文明建设规划（修编）2019–2025 (the annex 部分重点工程清单 and the five coast-restoration
# segments under 自然岸线修复长度), to screen with `ecospace check`.
#
# THE LOCATIONS ARE ILLUSTRATIVE. Each site sits at the approximate place the plan or public reports
# give for the project. Footprints are sized from the plan's figures where it gives any (亩, km², km).
# They are not surveyed boundaries, alignments or approved plans. Do not use them for planning,
# legal or administrative decisions.
#
# The five restoration sites are built from the bundled shoreline layer
# (data/jiaxing/shoreline.geojson, the features with a `restoration` property). Each stretch is
# chained into one line and given a 150 m strip on both sides. The strip is built in a local metric
# frame and converted back to lon/lat. The 长山河 works follow the centre line between the two banks
# in data/jiaxing/river_bank.geojson. All other geometry is fixed in this file.
#
# Run from anywhere (Python 3 standard library only; no arguments):
#     python3 scripts/gen_key_projects.py
# Output is deterministic: identical bytes on every run. Coordinates are lon/lat (WGS84), rounded to
# 6 decimals. Polygons have a counter-clockwise exterior. The script checks every geometry
# (closed rings, ≥ 4 positions, no self-intersection, < 200 vertices) before it writes.

import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "jiaxing"
OUT = DATA / "samples" / "key_projects.geojson"

MU = 666.6667  # m² per 亩
STRIP_M = 150.0  # half-width of the coast-restoration strips
MAX_VERTICES = 200

ANNEX = "附件《部分重点工程清单》"
COAST_REF = "三、指标体系现状（一）国家级创建指标 2.海岸生态修复（1）自然岸线修复长度"


# ---------------------------------------------------------------- local metric frame


class Frame:
    """Equirectangular frame about (lon0, lat0), in metres; good to well under 0.1 % over ~30 km."""

    def __init__(self, lon0, lat0):
        self.lon0, self.lat0 = lon0, lat0
        p = math.radians(lat0)
        self.my = 111132.954 - 559.822 * math.cos(2 * p) + 1.175 * math.cos(4 * p)
        self.mx = 111412.84 * math.cos(p) - 93.5 * math.cos(3 * p)

    def fwd(self, lon, lat):
        return ((lon - self.lon0) * self.mx, (lat - self.lat0) * self.my)

    def inv(self, x, y):
        return (self.lon0 + x / self.mx, self.lat0 + y / self.my)


def frame_for(coords):
    lons = [c[0] for c in coords]
    lats = [c[1] for c in coords]
    return Frame((min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2)


# ---------------------------------------------------------------- planar helpers (metres)


def shoelace(ring):
    return sum(ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1] for i in range(len(ring) - 1)) / 2


def seg_intersection(p1, p2, p3, p4):
    """Intersection point of segments p1p2 and p3p4, or None (parallel/disjoint)."""
    d = (p2[0] - p1[0]) * (p4[1] - p3[1]) - (p2[1] - p1[1]) * (p4[0] - p3[0])
    if abs(d) < 1e-12:
        return None
    t = ((p3[0] - p1[0]) * (p4[1] - p3[1]) - (p3[1] - p1[1]) * (p4[0] - p3[0])) / d
    u = ((p3[0] - p1[0]) * (p2[1] - p1[1]) - (p3[1] - p1[1]) * (p2[0] - p1[0])) / d
    if 0 <= t <= 1 and 0 <= u <= 1:
        return (p1[0] + t * (p2[0] - p1[0]), p1[1] + t * (p2[1] - p1[1]))
    return None


def douglas_peucker(pts, tol):
    if len(pts) < 3:
        return list(pts)
    a, b = pts[0], pts[-1]
    dx, dy = b[0] - a[0], b[1] - a[1]
    n = math.hypot(dx, dy)
    best, idx = -1.0, 0
    for i in range(1, len(pts) - 1):
        p = pts[i]
        if n == 0:
            dist = math.hypot(p[0] - a[0], p[1] - a[1])
        else:
            dist = abs(dx * (a[1] - p[1]) - dy * (a[0] - p[0])) / n
        if dist > best:
            best, idx = dist, i
    if best <= tol:
        return [a, b]
    return douglas_peucker(pts[: idx + 1], tol)[:-1] + douglas_peucker(pts[idx:], tol)


def remove_loops(pts):
    """Cuts the small loops an inner-side offset makes at sharp turns."""
    pts = list(pts)
    changed = True
    while changed:
        changed = False
        for i in range(len(pts) - 1):
            for j in range(len(pts) - 2, i + 1, -1):
                x = seg_intersection(pts[i], pts[i + 1], pts[j], pts[j + 1])
                if x is not None:
                    pts = pts[: i + 1] + [x] + pts[j + 1 :]
                    changed = True
                    break
            if changed:
                break
    return pts


def offset_line(pts, d):
    """The polyline offset by d metres to its left (d < 0: right), mitred, loops removed."""
    normals = []
    for a, b in zip(pts, pts[1:]):
        L = math.hypot(b[0] - a[0], b[1] - a[1])
        normals.append((-(b[1] - a[1]) / L, (b[0] - a[0]) / L))
    out = [(pts[0][0] + normals[0][0] * d, pts[0][1] + normals[0][1] * d)]
    for i in range(1, len(pts) - 1):
        n1, n2 = normals[i - 1], normals[i]
        mx, my = n1[0] + n2[0], n1[1] + n2[1]
        m = math.hypot(mx, my)
        cos_half = m / 2
        if m < 1e-9 or cos_half < 0.5:  # turn sharper than 120°: bevel
            out.append((pts[i][0] + n1[0] * d, pts[i][1] + n1[1] * d))
            out.append((pts[i][0] + n2[0] * d, pts[i][1] + n2[1] * d))
        else:
            k = d / cos_half
            out.append((pts[i][0] + mx / m * k, pts[i][1] + my / m * k))
    out.append((pts[-1][0] + normals[-1][0] * d, pts[-1][1] + normals[-1][1] * d))
    return remove_loops(out)


def strip(coords, half_width, simplify_m=12.0):
    """Polygon ring (lon/lat) of the band within half_width of a lon/lat line; flat ends."""
    fr = frame_for(coords)
    pts = douglas_peucker([fr.fwd(*c) for c in coords], simplify_m)
    left = offset_line(pts, half_width)
    right = offset_line(pts, -half_width)
    ring = left + right[::-1] + [left[0]]
    return [fr.inv(*p) for p in ring]


def rect(lon, lat, w, h, rot_deg=0.0):
    """Rectangle w × h metres centred on (lon, lat), rotated rot_deg counter-clockwise."""
    fr = Frame(lon, lat)
    r = math.radians(rot_deg)
    c, s = math.cos(r), math.sin(r)
    out = []
    for x, y in [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]:
        out.append(fr.inv(x * c - y * s, x * s + y * c))
    return out + [out[0]]


def rect_area(lon, lat, area_m2, aspect, rot_deg=0.0):
    """Rectangle of the given area (m²) and aspect (width / height)."""
    h = math.sqrt(area_m2 / aspect)
    return rect(lon, lat, h * aspect, h, rot_deg)


def scaled(ring, area_m2):
    """A lon/lat ring scaled about its vertex mean to the given area (m²)."""
    fr = frame_for(ring)
    pts = [fr.fwd(*c) for c in ring]
    a = abs(shoelace(pts))
    k = math.sqrt(area_m2 / a)
    cx = sum(p[0] for p in pts[:-1]) / (len(pts) - 1)
    cy = sum(p[1] for p in pts[:-1]) / (len(pts) - 1)
    return [fr.inv(cx + (x - cx) * k, cy + (y - cy) * k) for x, y in pts]


def rounded_rect_line(west, south, east, north, r_m, steps=6):
    """A closed LineString around a lon/lat box with rounded corners of radius r_m."""
    fr = Frame((west + east) / 2, (south + north) / 2)
    x0, y0 = fr.fwd(west, south)
    x1, y1 = fr.fwd(east, north)
    corners = [  # centre of each corner arc and the angle its arc starts at, going anticlockwise
        ((x1 - r_m, y0 + r_m), -90),
        ((x1 - r_m, y1 - r_m), 0),
        ((x0 + r_m, y1 - r_m), 90),
        ((x0 + r_m, y0 + r_m), 180),
    ]
    pts = []
    for (cx, cy), a0 in corners:
        for k in range(steps + 1):
            a = math.radians(a0 + 90 * k / steps)
            pts.append((cx + r_m * math.cos(a), cy + r_m * math.sin(a)))
    pts.append(pts[0])
    return [fr.inv(*p) for p in pts]


# ---------------------------------------------------------------- reading the bundled layers


def load(name):
    with open(DATA / f"{name}.geojson", encoding="utf-8") as f:
        return json.load(f)["features"]


def chain(lines):
    """Joins lines (lists of [lon, lat]) that share end points into one line."""
    lines = [list(map(tuple, l)) for l in lines]
    out = lines.pop(0)
    while lines:
        for i, l in enumerate(lines):
            if l[0] == out[-1]:
                out += l[1:]
            elif l[-1] == out[0]:
                out = l[:-1] + out
            elif l[-1] == out[-1]:
                out += l[::-1][1:]
            elif l[0] == out[0]:
                out = l[::-1][:-1] + out
            else:
                continue
            lines.pop(i)
            break
        else:
            sys.exit("restoration stretches do not join into one line")
    return out


def restoration_lines():
    """{restoration name: (chained lon/lat line, [feature ids])} from the shoreline layer."""
    groups = {}
    for f in load("shoreline"):
        name = f["properties"].get("restoration")
        if not name:
            continue
        g = groups.setdefault(name, {"geoms": [], "ids": []})
        g["ids"].append(f["id"])
        coords = [tuple(c) for c in f["geometry"]["coordinates"]]
        if coords not in g["geoms"] and coords[::-1] not in g["geoms"]:
            g["geoms"].append(coords)  # successive versions of one stretch share geometry
    return {k: (chain(v["geoms"]), v["ids"]) for k, v in groups.items()}


def nearest_on(p, line):
    best, bp = float("inf"), None
    for a, b in zip(line, line[1:]):
        dx, dy = b[0] - a[0], b[1] - a[1]
        L2 = dx * dx + dy * dy
        t = 0.0 if L2 == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / L2))
        q = (a[0] + t * dx, a[1] + t * dy)
        d = math.hypot(p[0] - q[0], p[1] - q[1])
        if d < best:
            best, bp = d, q
    return bp


def river_centre(left_id, right_id, lon_from, lon_to, simplify_m=10.0):
    """Centre line of a river between two bank features, clipped to a lon range."""
    banks = {f["id"]: f["geometry"]["coordinates"] for f in load("river_bank")}
    left, right = banks[left_id], banks[right_id]
    fr = frame_for(left)
    lm = [fr.fwd(*c) for c in left if lon_from <= c[0] <= lon_to]
    rm = [fr.fwd(*c) for c in right]
    mid = []
    for p in lm:
        q = nearest_on(p, rm)
        mid.append(((p[0] + q[0]) / 2, (p[1] + q[1]) / 2))
    return [fr.inv(*p) for p in douglas_peucker(mid, simplify_m)]


# ---------------------------------------------------------------- the projects

# Hand-placed outlines (lon, lat); see each feature's note for what they stand for.
QIANJIANG_CHAOYUAN = [  # 澉浦 west: reclaimed flats behind the 长山闸 seawall, astride the 长山河 mouth
    (120.8430, 30.3535), (120.8440, 30.3600), (120.8500, 30.3625), (120.8545, 30.3635),
    (120.8565, 30.3675), (120.8640, 30.3722), (120.8735, 30.3738), (120.8772, 30.3765),
    (120.8790, 30.3840), (120.8735, 30.3930), (120.8640, 30.3950), (120.8500, 30.3925),
    (120.8420, 30.3880), (120.8405, 30.3760), (120.8415, 30.3640), (120.8430, 30.3535),
]
TONGXIANG_WEST_SOURCE = [  # west of 桐乡 city, on the Grand Canal near 石门 (scaled to 5800 亩)
    (120.4440, 30.5960), (120.4560, 30.5975), (120.4650, 30.6060), (120.4700, 30.6170),
    (120.4660, 30.6250), (120.4560, 30.6260), (120.4470, 30.6180), (120.4420, 30.6060),
    (120.4440, 30.5960),
]
NORTH_LAKES = [  # 王江泾–油车港 lake cluster east of the Grand Canal (莲泗荡 and neighbours)
    (120.7180, 30.8560), (120.7350, 30.8520), (120.7520, 30.8570), (120.7620, 30.8700),
    (120.7600, 30.8880), (120.7450, 30.8980), (120.7280, 30.8960), (120.7190, 30.8820),
    (120.7150, 30.8680), (120.7180, 30.8560),
]
NANHU_LAKESIDE = [  # east shore of 南湖: 西至南湖, 东至南湖路, 南至南溪路, 北至平湖塘
    (120.7668, 30.7458), (120.7722, 30.7458), (120.7724, 30.7510), (120.7716, 30.7548),
    (120.7668, 30.7552), (120.7660, 30.7530), (120.7664, 30.7490), (120.7668, 30.7458),
]

WIND_FARM_OSS = (121.3915, 30.5850)  # offshore substation, NW end of the wind farm
CABLE_ROUTE = [  # 220 kV export cables to the landfall on the 独山港 seawall, then the onshore centre
    WIND_FARM_OSS, (121.3400, 30.6170), (121.2800, 30.6480), (121.2400, 30.6640),
    (121.2140, 30.6730), (121.2085, 30.6795),
]
WATER_TRANSFER = [  # trunk main: 杭州 (余杭仁和) border at 大麻 → 崇福 → 高桥 → 屠甸 → 石臼漾 works
    (120.3180, 30.5010), (120.3600, 30.5150), (120.4200, 30.5350), (120.4700, 30.5600),
    (120.5200, 30.5850), (120.5800, 30.6150), (120.6200, 30.6600), (120.6600, 30.7150),
    (120.6900, 30.7450), (120.7060, 30.7600),
]
TRAM_T1 = [  # 嘉兴南站 → 由拳路 → 纺工路 (南湖湖滨) → 嘉兴火车站 → 中山路 → 越秀路 → 秀洲大道 → 秀园路
    (120.7970, 30.7130), (120.7900, 30.7220), (120.7800, 30.7270), (120.7740, 30.7310),
    (120.7735, 30.7450), (120.7725, 30.7560), (120.7690, 30.7630), (120.7630, 30.7660),
    (120.7600, 30.7630), (120.7570, 30.7600), (120.7500, 30.7590), (120.7450, 30.7580),
    (120.7380, 30.7570), (120.7280, 30.7570), (120.7260, 30.7680), (120.7220, 30.7780),
    (120.7120, 30.7860), (120.7000, 30.7880), (120.6900, 30.7930),
]
TRAM_T2 = [  # 汽车北站 → 城北 → 城东 → 嘉兴科技城
    (120.7400, 30.7900), (120.7520, 30.7860), (120.7600, 30.7820), (120.7700, 30.7750), (120.7800, 30.7700),
    (120.7900, 30.7650), (120.8050, 30.7550), (120.8200, 30.7450), (120.8350, 30.7380), (120.8480, 30.7330),
]


def projects(coast):
    P = []

    def add(id_, name, name_en, type_, county, plan_ref, note, gtype, coords):
        P.append(
            dict(id=id_, name=name, name_en=name_en, type=type_, county=county, plan_ref=plan_ref,
                 note=note, gtype=gtype, coords=coords)
        )

    # --- 推进产业高质量发展
    add("KP-01", "浙能嘉兴1号海上风电场项目", "Zheneng Jiaxing No. 1 offshore wind farm", "wind", "330482",
        ANNEX + "·推进产业高质量发展 第6项",
        "Illustrative location. 300 MW, 75 turbines, in Hangzhou Bay off 平湖 (public reports: centre about "
        "20 km offshore, 14 km N–S × 4.3 km E–W, ~48 km² of sea, east of 王盘山). Drawn as a 14 km × 3.43 km "
        "block (48 km²). It lies outside the city outline the bundled layers are clipped to. The 王盘山 "
        "marine park's sea area is not in the layers.",
        "Polygon", rect(121.4050, 30.5510, 3430, 14000, -12))
    add("KP-02", "浙能嘉兴1号海上风电场项目（220千伏送出海缆及陆上集控中心）",
        "Zheneng Jiaxing No. 1 offshore wind farm: 220 kV export cable and onshore control centre",
        "power_line", "330482", ANNEX + "·推进产业高质量发展 第6项（同步建设220千伏海上升压站和陆上集控中心）",
        "Illustrative location: the route from the offshore substation (NW end of KP-01) to a landfall on the 独山港 "
        "seawall and the onshore control centre in the 独山港 development zone, where the project broke "
        "ground. Part of the same project as KP-01.",
        "LineString", CABLE_ROUTE)
    add("KP-03", "年产100万吨新型功能纤维材料项目", "1 Mt/yr new functional fibre materials plant", "industrial",
        "330483", ANNEX + "·推进产业高质量发展 第2项",
        "Illustrative location in the 洲泉 chemical-fibre cluster, west 桐乡. Sized to the plan's ~607 亩 of new land "
        "(40.5 ha).",
        "Polygon", rect_area(120.3850, 30.5950, 607 * MU, 1.3, 8))
    add("KP-04", "光伏电池组件、新材料及发电系统集成项目", "PV cell, module, new materials and system integration project",
        "industrial", "330411", ANNEX + "·推进产业高质量发展 第7项",
        "Illustrative location in the 秀洲 high-tech zone (photovoltaic cluster), between the 贯泾港 and 石臼漾 "
        "source zones. A factory, hence industrial. Sized to the plan's 247.6 亩 total land (16.5 ha).",
        "Polygon", rect_area(120.6770, 30.7920, 247.6 * MU, 1.1, 0))

    # --- 解决好突出环境问题
    add("KP-05", "嘉兴市污水处理扩容工程外排三期（污水处理厂、输送管线及泵站部分）",
        "Jiaxing sewage treatment expansion, outfall phase III (treatment plant)", "waste", "330424",
        ANNEX + "·解决好突出环境问题 第5项",
        "Illustrative location. The plant part only: the joint sewage works at 西塘桥, 海盐, behind the "
        "海盐东段 seawall (30万 t/d, of which 15万 t/d on new land). About 25 ha. Not drawn: the ~65 km "
        "conveyance main, the pumping stations and the sea outfall.",
        "Polygon", rect_area(120.9840, 30.5760, 250000, 1.0, 35))
    add("KP-06", "嘉兴市绿色能源有限公司垃圾焚烧项目提升改造工程",
        "Jiaxing Green Energy waste-to-energy plant upgrade", "waste", "330402",
        ANNEX + "·解决好突出环境问题 第6项",
        "Illustrative location. The existing plant site at 步云, 大桥镇 (南湖区); the 1900 t/d rebuild is "
        "inside the old site. About 11 ha.",
        "Polygon", rect_area(120.8450, 30.7130, 110000, 1.2, 20))
    add("KP-07", "嘉兴市北部湖荡整治及河湖连通工程", "Northern Jiaxing lakes remediation and river–lake connection",
        "ecological_restoration", "330411", ANNEX + "·解决好突出环境问题 第9项",
        "Illustrative location. One cluster of the 秀洲 part (36 lakes and 103.7 km of channels in all): "
        "the 王江泾 lakes next to the Grand Canal, drawn as 12 km². The 嘉善 part (5 lakes) is not drawn.",
        "Polygon", scaled(NORTH_LAKES, 12.0e6))
    add("KP-08", "平湖市临港能源有限公司平湖市生态能源项目", "Pinghu eco-energy project (waste incineration, "
        "food waste, emergency landfill)", "waste", "330482", ANNEX + "·解决好突出环境问题 第12项",
        "Illustrative location in 独山港镇, 平湖, near the Shanghai border, behind the 独山港 seawall. Sized to "
        "the plan's ~235 亩 (15.7 ha).",
        "Polygon", rect_area(121.2350, 30.6950, 235 * MU, 1.2, 30))
    add("KP-09", "长山河海宁市区片水系综合整治工程", "Changshan River, Haining urban section: river system works",
        "ecological_restoration", "330481", ANNEX + "·解决好突出环境问题 第17项",
        "Illustrative location: the centre line of the 长山河 between its bundled banks, through the 海宁 "
        "urban area (120.610–120.725E). The plan's 22 km includes side channels.",
        "LineString", river_centre("RB-330481-03", "RB-330481-04", 120.610, 120.725))
    add("KP-10", "桐乡市湿地水源保护工程（西部水源地保护工程）",
        "Tongxiang wetland water-source protection (western water source)", "water_supply", "330483",
        ANNEX + "·解决好突出环境问题 第19项",
        "Illustrative location. The plan's 西部水源地 is put west of 桐乡 city on the Grand Canal near 石门. "
        "Sized to the plan's ~5800 亩 (3.87 km²): sealing off the western source for 60万 t/d, then "
        "wetland works. The bundled 桐乡 source zone (康泾塘, itself illustrative) lies NE of the city.",
        "Polygon", scaled(TONGXIANG_WEST_SOURCE, 5800 * MU))
    add("KP-11", "桐乡市城市污水处理厂整合工程", "Tongxiang urban sewage works consolidation", "waste", "330483",
        ANNEX + "·解决好突出环境问题 第20项",
        "Illustrative location at 高桥, south of 桐乡 city (20万 t/d). Sized to the plan's 265 亩 (17.7 ha).",
        "Polygon", rect_area(120.5350, 30.5850, 265 * MU, 1.15, -15))

    # --- 优化国土空间布局
    add("KP-12", "市区有轨电车项目（一期）", "Jiaxing urban tram, phase 1: line T1", "rail", "330402",
        ANNEX + "·优化国土空间布局 第4项",
        "Illustrative location: T1 (嘉兴南站 – 南湖湖滨 – 嘉兴火车站 – 中山路 – 秀洲). With KP-13 it "
        "makes the plan's 31.6 km phase 1. Crosses into 秀洲 at its west end.",
        "LineString", TRAM_T1)
    add("KP-13", "市区有轨电车项目（一期）", "Jiaxing urban tram, phase 1: line T2", "rail", "330402",
        ANNEX + "·优化国土空间布局 第4项",
        "Illustrative location: T2 phase 1 (汽车北站 – 嘉兴科技城). With KP-12 it makes the plan's 31.6 km.",
        "LineString", TRAM_T2)
    add("KP-14", "嘉兴市区快速路环线工程", "Jiaxing urban expressway ring", "road", "330402",
        ANNEX + "·优化国土空间布局 第5项",
        "Illustrative location: a closed ring along the 中环 roads, about the plan's 28.67 km. Its west "
        "side runs past 石臼漾 and the Grand Canal in 秀洲.",
        "LineString", rounded_rect_line(120.7250, 30.7260, 120.8050, 30.7900, 600))
    add("KP-15", "嘉兴市域外配水工程（杭州方向）", "Jiaxing out-of-region water transfer (Hangzhou direction)",
        "pipeline", "330483", ANNEX + "·优化国土空间布局 第9项",
        "Illustrative location: the trunk main only. It enters from 杭州 (intake at 余杭仁和, fed by the "
        "千岛湖 supply) at the 桐乡 border near 大麻 and runs past 崇福, 高桥 and 屠甸 to the 石臼漾 works "
        "in 秀洲. The plan's 171.3 km includes the branches to every county. County = 桐乡, where most of "
        "the drawn line lies.",
        "LineString", WATER_TRANSFER)
    add("KP-16", "海盐钱江潮源湿地公园", "Haiyan Qiantang Tidal Source wetland park", "tourism", "330424",
        ANNEX + "·优化国土空间布局 第10项",
        "Illustrative location. 钱江潮源 is the 澉浦/南北湖 coast, where the tidal bore forms. Put on the flats "
        "behind the 长山闸 seawall, astride the 长山河 mouth, at the foot of the 南北湖 hills. About the "
        "plan's ~10 km².",
        "Polygon", QIANJIANG_CHAOYUAN)

    # --- 提升智造创新能力 / 增强发展软实力
    add("KP-17", "“嘉人汇善”国际人才公寓", "Jiarenhuishan international talent apartments", "residential",
        "330421", ANNEX + "·提升智造创新能力 第1项",
        "Illustrative location in 嘉善 county town. 283 flats, 22,400 m² of floor area, on a site of about 1.3 ha.",
        "Polygon", rect(120.9250, 30.8350, 130, 100, 10))
    add("KP-18", "嘉兴市南湖湖滨区域改造提升工程", "South Lake east-shore regeneration", "commercial", "330402",
        ANNEX + "·增强发展软实力 第2项",
        "Illustrative location, outlined from the plan's bounds: west to 南湖, east to the planned 南湖路, south to 南溪路, "
        "north to 平湖塘. Its west edge is on the lake shore.",
        "Polygon", NANHU_LAKESIDE)
    add("KP-19", "马家浜考古遗址公园", "Majiabang archaeological site park", "tourism", "330402",
        ANNEX + "·增强发展软实力 第11项",
        "Illustrative location at 马家浜, 城南街道, SW of the city. The plan gives 21.5 ha; implemented by the "
        "经开区 (economic development zone), which lies in 南湖区.",
        "Polygon", rect_area(120.7130, 30.7100, 215000, 1.2, 0))

    # --- the five coast-restoration segments (from the shoreline layer)
    coast_meta = [
        ("KP-20", "澉浦长墙山工业园岸段", "Ganpu Changqiangshan industrial park coast", "约800米"),
        ("KP-21", "海盐东段围涂二期外侧海塘岸段", "Haiyan east reclamation phase II, outer seawall coast", "约4500米"),
        ("KP-22", "灯光山西南端北侧沿海段", "Dengguangshan south-west end, north-side coast", "约748米"),
        ("KP-23", "益山沿海段", "Yishan coast", "约503米"),
        ("KP-24", "灯光山至陈山沿海段", "Dengguangshan to Chenshan coast", "约2780米"),
    ]
    for id_, name, name_en, length in coast_meta:
        line, ids = coast[name]
        extra = ""
        if name == "海盐东段围涂二期外侧海塘岸段":
            extra = (" The same stretch as the annex's 海盐县东段围涂标准海塘工程二期 (优化国土空间布局 第11项: "
                     "4.46 km seawall raised to the 300-year standard).")
        add(id_, name, name_en + " restoration", "ecological_restoration", "330424",
            COAST_REF + "（整治修复" + length + "）",
            f"Illustrative location: a {STRIP_M:.0f} m strip on both sides of the shoreline layer's "
            f"restoration stretch ({', '.join(ids)}).{extra}",
            "Polygon", strip(line, STRIP_M))
    return P


# ---------------------------------------------------------------- checks and output


def r6(c):
    return [round(c[0], 6), round(c[1], 6)]


def ring_ok(ring, where):
    if len(ring) < 4 or ring[0] != ring[-1]:
        sys.exit(f"{where}: ring not closed or fewer than 4 positions")
    n = len(ring) - 1
    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue
            if seg_intersection(ring[i], ring[i + 1], ring[j], ring[j + 1]) is not None:
                sys.exit(f"{where}: ring intersects itself (segments {i} and {j})")


def line_ok(line, where):
    closed = line[0] == line[-1]
    n = len(line) - 1
    for i in range(n):
        for j in range(i + 2, n):
            if closed and i == 0 and j == n - 1:
                continue
            if seg_intersection(line[i], line[i + 1], line[j], line[j + 1]) is not None:
                sys.exit(f"{where}: line crosses itself (segments {i} and {j})")


def geometry(p):
    coords = [r6(c) for c in p["coords"]]
    for lon, lat in coords:
        if not (120.0 < lon < 122.0 and 30.0 < lat < 31.5):
            sys.exit(f"{p['id']}: position {lon}, {lat} is outside the Jiaxing area")
    if len(coords) >= MAX_VERTICES:
        sys.exit(f"{p['id']}: {len(coords)} vertices (limit {MAX_VERTICES})")
    if p["gtype"] == "Polygon":
        coords = [c for i, c in enumerate(coords) if i == 0 or c != coords[i - 1]]  # drop repeats
        coords[-1] = coords[0]
        if shoelace(coords) < 0:
            coords = coords[::-1]
        ring_ok(coords, p["id"])
        return {"type": "Polygon", "coordinates": [coords]}
    line_ok(coords, p["id"])
    return {"type": "LineString", "coordinates": coords}


# Project class (ordinary | provincial_key | national_key), which the rules' key-project exceptions
# read. The offshore wind farm and its export cable, the out-of-city water transfer and the ring
# expressway are listed as Zhejiang provincial key projects (省重点建设项目) in public reports;
# the rest are city projects. The plan names no national key project.
CLASSES = {"KP-01": "provincial_key", "KP-02": "provincial_key", "KP-14": "provincial_key",
           "KP-15": "provincial_key"}


def main():
    coast = restoration_lines()
    feats = []
    ids = set()
    for p in projects(coast):
        if p["id"] in ids:
            sys.exit(f"duplicate id {p['id']}")
        ids.add(p["id"])
        props = {k: p[k] for k in ("name", "name_en", "type", "county", "plan_ref", "note")}
        props["class"] = CLASSES.get(p["id"], "ordinary")
        feats.append({"type": "Feature", "id": p["id"], "properties": props, "geometry": geometry(p)})
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in feats]
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(feats)} features")


if __name__ == "__main__":
    main()
