//! The rest of 三区三线 and the map's context: water (水域), the urban development boundary
//! (城镇开发边界), permanent basic farmland (永久基本农田), forest (林地), county outlines and
//! land/sea — all ILLUSTRATIVE, generated like the protection layers.
//!
//! Farmland and forest are laid out on a 1 km grid over the land (a local metric frame): each
//! cell holds at most one parcel or one forest patch, a jittered quadrilateral shrunk about the
//! cell's centre, so parcels never overlap and their union area is their sum. Cells that meet
//! the red line, the urban boundary or water never hold farmland; forest may stand in the red
//! line (the 南北湖 hills), inside towns (parks) and beside rivers (shelter belts, cut back to
//! the water's edge). Calibration:
//! - farmland: one shrink factor for all parcels, by bisection, so the union is 1,730 km²;
//! - forest: the 2018 patches' shrink factor so coverage (forest ∩ land / land) is 12.70 %;
//!   afforestation patches (`valid_from` = the year planted) are added in cell order, and the
//!   last patch of each year is scaled so the year ends exactly on its target.

use super::*;

/// The plan's 永久基本农田保护红线, 2018 column "1730": read as km² (≈ 259.5 万亩).
pub const FARMLAND_KM2: f64 = 1730.0;
/// 森林覆盖率（平原地区）: 12.7 % in 2018, ≥ 19 % by 2020, 20 % by 2025 (table 1, item 12). The
/// years between are illustrative steps.
pub const FOREST_PCT: [(i32, f64); 8] = [
    (2018, 12.70),
    (2019, 16.00),
    (2020, 19.00),
    (2021, 19.20),
    (2022, 19.40),
    (2023, 19.60),
    (2024, 19.80),
    (2025, 20.00),
];
/// The year the replaced farmland parcels leave (and their replacements enter) the layer.
pub const FARMLAND_SWAP_YEAR: i32 = 2021;

const CELL_M: f64 = 1000.0;
/// Grid origin (the frame's centre, about the middle of the city).
const GRID_LON: f64 = 120.75;
const GRID_LAT: f64 = 30.65;
/// Shrink factor of an afforestation patch (its cell side fraction, before the year's last).
const AFFOREST_SCALE: f64 = 0.8;

/// A town the urban boundary is drawn around (centres from general maps; shapes invented).
struct Town {
    name: &'static str,
    county: &'static str,
    shape: Blob,
}

const fn town(name: &'static str, county: &'static str, shape: Blob) -> Town {
    Town {
        name,
        county,
        shape,
    }
}

const TOWNS: [Town; 20] = [
    town(
        "嘉兴中心城区（南湖片）",
        "330402",
        blob(120.785, 30.745, 5200.0, 1.3, 10.0, 601),
    ),
    town(
        "嘉兴中心城区（秀洲片）",
        "330411",
        blob(120.715, 30.775, 4200.0, 1.4, 60.0, 602),
    ),
    town(
        "新塍镇",
        "330411",
        blob(120.630, 30.805, 1500.0, 1.3, 20.0, 603),
    ),
    town(
        "王江泾镇",
        "330411",
        blob(120.690, 30.840, 1300.0, 1.3, 90.0, 604),
    ),
    town(
        "嘉善县城（魏塘）",
        "330421",
        blob(120.925, 30.838, 3600.0, 1.3, 0.0, 605),
    ),
    town(
        "西塘镇",
        "330421",
        blob(120.895, 30.930, 1400.0, 1.2, 30.0, 606),
    ),
    town(
        "姚庄镇",
        "330421",
        blob(121.010, 30.905, 1600.0, 1.4, 50.0, 607),
    ),
    town(
        "海盐县城（武原）",
        "330424",
        blob(120.945, 30.525, 3400.0, 1.3, 40.0, 608),
    ),
    town(
        "秦山街道",
        "330424",
        blob(120.945, 30.460, 1400.0, 1.5, 60.0, 609),
    ),
    town(
        "澉浦镇",
        "330424",
        blob(120.875, 30.390, 1100.0, 1.3, 0.0, 610),
    ),
    town(
        "海宁市区（海洲—硖石）",
        "330481",
        blob(120.680, 30.510, 4000.0, 1.4, 20.0, 611),
    ),
    town(
        "长安镇—许村镇",
        "330481",
        blob(120.450, 30.455, 2600.0, 1.6, 10.0, 612),
    ),
    town(
        "盐官镇",
        "330481",
        blob(120.545, 30.412, 1000.0, 1.5, 0.0, 613),
    ),
    town(
        "平湖市区（当湖）",
        "330482",
        blob(121.020, 30.700, 3500.0, 1.3, 30.0, 614),
    ),
    town(
        "独山港镇—乍浦镇",
        "330482",
        blob(121.075, 30.625, 2200.0, 1.8, 40.0, 615),
    ),
    town(
        "新埭镇",
        "330482",
        blob(121.130, 30.790, 1200.0, 1.3, 0.0, 616),
    ),
    town(
        "桐乡市区（梧桐）",
        "330483",
        blob(120.565, 30.630, 3500.0, 1.3, 45.0, 617),
    ),
    town(
        "濮院镇",
        "330483",
        blob(120.460, 30.680, 1600.0, 1.3, 0.0, 618),
    ),
    town(
        "崇福镇",
        "330483",
        blob(120.430, 30.540, 1500.0, 1.4, 80.0, 619),
    ),
    town(
        "乌镇",
        "330483",
        blob(120.490, 30.745, 1300.0, 1.3, 10.0, 620),
    ),
];

/// Lakes inside red-line zones: (index into REDLINE, lake name, blob scale of the zone's shape).
const LAKES: [(usize, &str, f64); 6] = [
    (4, "湘家荡", 0.6),
    (5, "南湖", 0.7),
    (6, "长白荡", 0.6),
    (7, "祥符荡", 0.6),
    (8, "鹃湖", 0.6),
    (9, "千亩荡", 0.6),
];

/// The generated layers.
pub struct LandUse {
    pub county: Vec<Feat>,
    pub land_sea: Vec<Feat>,
    pub water: Vec<Feat>,
    pub urban_boundary: Vec<Feat>,
    pub farmland: Vec<Feat>,
    pub forest: Vec<Feat>,
}

fn county_name(code: &str) -> &'static str {
    COUNTIES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("", |(_, n)| n)
}

fn union_all(parts: &[MultiPolygon]) -> MultiPolygon {
    unary_union(parts)
}

fn zone_feat(ids: &mut Ids, name: &str, county: Option<&str>, mp: MultiPolygon) -> Feat {
    let mut p = Map::new();
    p.insert("name".into(), json!(name));
    if let Some(c) = county {
        p.insert("county".into(), json!(c));
    }
    Feat {
        id: ids.next(county.unwrap_or("330400")),
        props: p,
        geom: zone_geometry(mp),
    }
}

// ---------------------------------------------------------------------------------------------
// Context: counties and land/sea.

fn context(r: &Reference, bay: &MultiPolygon) -> (Vec<Feat>, Vec<Feat>, f64) {
    let mut ids = Ids::new("CN");
    let county = COUNTIES
        .iter()
        .map(|(c, n)| zone_feat(&mut ids, n, Some(c), clean_zone(&r.admin[*c], MIN_PART_M2)))
        .collect();
    let mut ids = Ids::new("LS");
    let mut land_sea = Vec::new();
    let mut land_m2 = 0.0;
    for (c, n) in COUNTIES {
        let land = clean_zone(&r.land[c], MIN_PART_M2);
        land_m2 += area_m2(&land);
        let mut f = zone_feat(&mut ids, &format!("{n}陆域"), Some(c), land);
        f.props.insert("class".into(), json!("land"));
        land_sea.push(f);
    }
    let outline: Vec<MultiPolygon> = r.admin.values().cloned().collect();
    let city = union_all(&outline);
    for (c, n) in COUNTIES {
        let sea = clean_zone(&bay.intersection(&r.admin[c]), 20_000.0);
        if sea.0.is_empty() {
            continue;
        }
        let mut f = zone_feat(&mut ids, &format!("{n}海域（示意）"), Some(c), sea);
        f.props.insert("class".into(), json!("sea"));
        land_sea.push(f);
    }
    let outer = clean_zone(&bay.difference(&city), 20_000.0);
    let mut f = zone_feat(&mut ids, "杭州湾（市境外）", None, outer);
    f.props.insert("class".into(), json!("sea"));
    land_sea.push(f);
    (county, land_sea, land_m2)
}

// ---------------------------------------------------------------------------------------------
// Water: the rivers whose banks the river_bank layer holds, and the lakes of the red line.

fn river_polygon(river: &River) -> MultiPolygon {
    let [(_, left), (_, right)] = river_banks(river);
    let mut ring: Vec<Coord> = left.0.clone();
    ring.extend(right.0.iter().rev());
    ring.push(ring[0]);
    // A union with nothing normalises the loops an offset curve can make at tight bends.
    MultiPolygon(vec![Polygon::new(LineString::new(ring), vec![])]).union(&MultiPolygon(vec![]))
}

fn build_water(r: &Reference, red: &[(&'static ZoneSpec, MultiPolygon)]) -> Vec<Feat> {
    let mut ids = Ids::new("WA");
    let mut out = Vec::new();
    for river in &RIVERS {
        let poly = river_polygon(river);
        for (c, _) in COUNTIES {
            let part = clean_zone(&poly.intersection(clip_mask(r, c, Clip::Land)), 2_000.0);
            if part.0.is_empty() {
                continue;
            }
            let mut f = zone_feat(&mut ids, river.name, Some(c), part);
            f.props.insert("class".into(), json!("river"));
            out.push(f);
        }
    }
    for (i, name, scale) in LAKES {
        let (spec, zone) = &red[i];
        let lake = clean_zone(
            &blob_polygon(&spec.shape, scale).intersection(zone),
            MIN_PART_M2,
        );
        let mut f = zone_feat(&mut ids, name, Some(spec.county), lake);
        f.props.insert("class".into(), json!("lake"));
        out.push(f);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Urban development boundary: a blob around each town, on land, with the red line cut out.

fn build_urban(r: &Reference, red_union: &MultiPolygon) -> Vec<Feat> {
    let mut ids = Ids::new("UB");
    TOWNS
        .iter()
        .map(|t| {
            let g = blob_polygon(&t.shape, 1.0)
                .intersection(clip_mask(r, t.county, Clip::Land))
                .difference(red_union);
            zone_feat(
                &mut ids,
                &format!("{}城镇开发边界", t.name),
                Some(t.county),
                clean_zone(&g, 20_000.0),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The grid of farmland parcels and forest patches.

#[derive(Clone, Copy, PartialEq, Debug)]
enum Ground {
    /// Open plain: farmland or forest.
    Plain,
    /// Meets the red line: forest only.
    Red,
    /// Meets the urban boundary: forest (parks) only.
    Urban,
    /// Meets water: forest only, cut back to the water's edge.
    Water,
}

/// One cell's piece of one county's land.
struct Cell {
    county: &'static str,
    centre: Coord,
    /// Corner offsets from the centre (m) at scale 1, inside the cell square.
    corners: [Coord; 4],
    /// The cell's square ∩ the county's land ∖ water, when the cell is not wholly inside it.
    mask: Option<MultiPolygon>,
    ground: Ground,
    /// Seeded order key.
    key: u64,
    /// Area at scale 1 (m²), for choosing cells.
    full_m2: f64,
}

struct Grid {
    frame: Frame,
    cells: Vec<Cell>,
}

fn cell_index(frame: Frame, c: Coord) -> (i64, i64) {
    let p = frame.to_xy(c);
    ((p.x / CELL_M).floor() as i64, (p.y / CELL_M).floor() as i64)
}

/// Marks every cell that an outline passes through (edges walked in ≤ 100 m steps).
fn mark_boundary(frame: Frame, mp: &MultiPolygon, marks: &mut BTreeSet<(i64, i64)>) {
    for p in mp {
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            for w in ring.0.windows(2) {
                let d = Geodesic.distance(Point(w[0]), Point(w[1]));
                let n = (d / 100.0).ceil().max(1.0) as usize;
                for k in 0..=n {
                    marks.insert(cell_index(
                        frame,
                        w[0] + (w[1] - w[0]) * (k as f64 / n as f64),
                    ));
                }
            }
        }
    }
}

fn square(frame: Frame, i: i64, j: i64) -> MultiPolygon {
    let (x0, y0) = (i as f64 * CELL_M, j as f64 * CELL_M);
    let ring: Vec<Coord> = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]
        .iter()
        .map(|&(a, b)| {
            frame.to_lonlat(Coord {
                x: x0 + a * CELL_M,
                y: y0 + b * CELL_M,
            })
        })
        .collect();
    MultiPolygon(vec![Polygon::new(LineString::new(ring), vec![])])
}

fn boxes_meet(a: &geo::Rect, b: &geo::Rect) -> bool {
    a.min().x <= b.max().x
        && b.min().x <= a.max().x
        && a.min().y <= b.max().y
        && b.min().y <= a.max().y
}

fn hash2(i: i64, j: i64, salt: u64) -> u64 {
    let mut r = SplitMix64((i as u64).wrapping_mul(0x0010_0000_000F) ^ (j as u64) ^ salt);
    r.next_u64()
}

fn build_grid(
    r: &Reference,
    red: &MultiPolygon,
    urban: &MultiPolygon,
    water: &MultiPolygon,
) -> Grid {
    let frame = Frame::at(GRID_LON, GRID_LAT);
    let mut edge = BTreeSet::new();
    for land in r.land.values() {
        mark_boundary(frame, land, &mut edge);
    }
    let (mut red_m, mut urban_m, mut water_m) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    mark_boundary(frame, red, &mut red_m);
    mark_boundary(frame, urban, &mut urban_m);
    mark_boundary(frame, water, &mut water_m);
    // A cell next to a marked one may be cut by an edge between two walked points' cells only
    // in a corner: the neighbours are tested exactly.
    let near = |m: &BTreeSet<(i64, i64)>, i: i64, j: i64| {
        (-1..=1).any(|a| (-1..=1).any(|b| m.contains(&(i + a, j + b))))
    };
    let all: Vec<MultiPolygon> = r.land.values().cloned().collect();
    let land_boxes: BTreeMap<&str, geo::Rect> = r
        .land
        .iter()
        .map(|(c, m)| {
            (
                c.as_str(),
                geo::BoundingRect::bounding_rect(m).expect("land has a box"),
            )
        })
        .collect();
    let bounds = geo::BoundingRect::bounding_rect(&union_all(&all)).expect("land has a box");
    let (i0, j0) = cell_index(frame, bounds.min());
    let (i1, j1) = cell_index(frame, bounds.max());
    let mut cells = Vec::new();
    for i in i0..=i1 {
        for j in j0..=j1 {
            let sq = square(frame, i, j);
            let centre_xy = Coord {
                x: (i as f64 + 0.5) * CELL_M,
                y: (j as f64 + 0.5) * CELL_M,
            };
            let centre = frame.to_lonlat(centre_xy);
            let meets = |m: &BTreeSet<(i64, i64)>, g: &MultiPolygon| {
                m.contains(&(i, j))
                    || g.contains(&Point(centre))
                    || (near(m, i, j) && g.intersects(&sq))
            };
            let ground = if meets(&red_m, red) {
                Ground::Red
            } else if meets(&urban_m, urban) {
                Ground::Urban
            } else if meets(&water_m, water) {
                Ground::Water
            } else {
                Ground::Plain
            };
            let mut rng = SplitMix64(hash2(i, j, 77));
            let corners =
                [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)].map(|(a, b)| Coord {
                    x: a * (0.5 - rng.range(0.0, 0.04)) * CELL_M,
                    y: b * (0.5 - rng.range(0.0, 0.04)) * CELL_M,
                });
            // Red-line and town cells can hold water too (the lakes, town rivers).
            let wet = ground == Ground::Water || meets(&water_m, water);
            let sq_box = geo::BoundingRect::bounding_rect(&sq).expect("a square has a box");
            for (c, _) in COUNTIES {
                let land = &r.land[c];
                if !boxes_meet(&land_boxes[c], &sq_box) {
                    continue;
                }
                let whole = !near(&edge, i, j) && !wet;
                if whole {
                    if !land.contains(&Point(centre)) {
                        continue;
                    }
                    cells.push(Cell {
                        county: c,
                        centre: centre_xy,
                        corners,
                        mask: None,
                        ground,
                        key: hash2(i, j, 5),
                        full_m2: area_m2(&sq),
                    });
                    continue;
                }
                let mut piece = land.intersection(&sq);
                if wet {
                    piece = piece.difference(water);
                }
                let a = area_m2(&piece);
                if a < 0.05 * CELL_M * CELL_M {
                    continue;
                }
                cells.push(Cell {
                    county: c,
                    centre: centre_xy,
                    corners,
                    mask: Some(piece),
                    ground,
                    key: hash2(i, j, 5),
                    full_m2: a,
                });
            }
        }
    }
    Grid { frame, cells }
}

/// The cell's quadrilateral at `scale` (corners pulled towards the centre), clipped to its mask.
fn patch(grid: &Grid, cell: &Cell, scale: f64) -> MultiPolygon {
    // In towns a patch is a park: half the side of one in the open.
    let scale = if cell.ground == Ground::Urban {
        scale * 0.5
    } else {
        scale
    };
    let ring: Vec<Coord> = cell
        .corners
        .iter()
        .chain(std::iter::once(&cell.corners[0]))
        .map(|&d| grid.frame.to_lonlat(cell.centre + d * scale))
        .collect();
    let quad = MultiPolygon(vec![Polygon::new(LineString::new(ring), vec![])]);
    let g = match &cell.mask {
        Some(m) => quad.intersection(m),
        None => quad,
    };
    clean_zone(&g, 2_000.0)
}

fn total_m2(grid: &Grid, cells: &[&Cell], scale: f64) -> f64 {
    cells.iter().map(|c| area_m2(&patch(grid, c, scale))).sum()
}

/// Bisection for a shrink factor in [lo, hi] (area grows with it), 40 halvings.
fn solve_scale(what: &str, target_m2: f64, lo: f64, hi: f64, area_at: impl Fn(f64) -> f64) -> f64 {
    bisect_scale(what, target_m2, (lo, hi), 40, area_at)
}

fn numbered(ids: &mut Ids, label: &str, cell: &Cell, g: MultiPolygon) -> Feat {
    let id = ids.next(cell.county);
    let n = id.rsplit('-').next().unwrap_or("").to_string();
    let mut p = props(
        &format!("{}{label}{n}", county_name(cell.county)),
        cell.county,
    );
    p.insert(
        "grid_cell".into(),
        json!(format!("{:.0},{:.0}", cell.centre.x, cell.centre.y)),
    );
    Feat {
        id,
        props: p,
        geom: zone_geometry(g),
    }
}

/// Farmland parcels: open cells (plain, or beside water, cut back to its edge) in seeded order
/// until a 0.95 shrink covers the target, then one shrink factor for all. A few parcels are swapped out in `FARMLAND_SWAP_YEAR` for new
/// parcels of the same area in the same county (占补平衡), so the total stays.
fn build_farmland(grid: &Grid) -> (Vec<Feat>, Vec<&Cell>) {
    let mut plain: Vec<&Cell> = grid
        .cells
        .iter()
        .filter(|c| matches!(c.ground, Ground::Plain | Ground::Water))
        .collect();
    plain.sort_by_key(|c| c.key);
    let target = FARMLAND_KM2 * 1e6;
    let mut take = 0;
    let mut acc = 0.0;
    while acc * 0.95 * 0.95 * 0.92 < target {
        assert!(take < plain.len(), "not enough plain land for the farmland");
        acc += plain[take].full_m2;
        take += 1;
    }
    let (chosen, rest) = plain.split_at(take);
    let scale = solve_scale("farmland", target, 0.7, 1.0, |k| total_m2(grid, chosen, k));
    let mut ids = Ids::new("FL");
    let mut feats: Vec<Feat> = chosen
        .iter()
        .map(|c| numbered(&mut ids, "永久基本农田图斑", c, patch(grid, c, scale)))
        .collect();
    // Three swaps in three counties: the first interior parcel of each, replaced by a parcel in
    // the first spare plain cell of the same county.
    let mut spare: Vec<&Cell> = rest.iter().rev().copied().collect();
    let mut used = Vec::new();
    for county in ["330481", "330483", "330482"] {
        let Some(k) = chosen
            .iter()
            .position(|c| c.county == county && c.mask.is_none())
        else {
            continue;
        };
        let Some(s) = spare
            .iter()
            .position(|c| c.county == county && c.mask.is_none())
        else {
            continue;
        };
        let cell = spare.remove(s);
        // Half a square metre more than the old parcel: the bisection ends within ±0.5 m², so
        // the new parcel is never the smaller and the area is kept, not merely nearly kept.
        let old_m2 = area_m2(&as_multipolygon(feats[k].geom.clone()));
        let k2 = solve_scale("farmland swap", old_m2 + 0.5, 0.5, 1.0, |x| {
            area_m2(&patch(grid, cell, x))
        });
        feats[k]
            .props
            .insert("valid_to".into(), json!(FARMLAND_SWAP_YEAR));
        let mut new = numbered(&mut ids, "永久基本农田图斑", cell, patch(grid, cell, k2));
        new.props
            .insert("valid_from".into(), json!(FARMLAND_SWAP_YEAR));
        new.props
            .insert("replaces".into(), json!(feats[k].id.clone()));
        feats.push(new);
        used.push(cell);
    }
    let mut free: Vec<&Cell> = spare
        .into_iter()
        .filter(|c| !used.iter().any(|u| std::ptr::eq(*u, *c)))
        .collect();
    free.sort_by_key(|c| c.key);
    (feats, free)
}

/// Forest: 2018 patches (red-line hills first, then river belts, spare plain and town cells),
/// shrunk to give 12.70 % of the land; then afforestation year by year.
fn build_forest(grid: &Grid, spare_plain: &[&Cell], land_m2: f64) -> Vec<Feat> {
    let mut pool: Vec<&Cell> = Vec::new();
    let mut red: Vec<&Cell> = grid
        .cells
        .iter()
        .filter(|c| c.ground == Ground::Red)
        .collect();
    red.sort_by_key(|c| c.key);
    pool.extend(red);
    pool.extend(spare_plain.iter().copied());
    let mut towns: Vec<&Cell> = grid
        .cells
        .iter()
        .filter(|c| c.ground == Ground::Urban)
        .collect();
    towns.sort_by_key(|c| c.key);
    pool.extend(towns);

    let target_of = |pct: f64| pct / 100.0 * land_m2;
    // The 2018 forest: enough cells that a 0.75 shrink reaches 12.70 %, then solved exactly.
    let base_target = target_of(FOREST_PCT[0].1);
    let mut take = 0;
    let mut acc = 0.0;
    while acc * 0.75 * 0.75 < base_target {
        assert!(take < pool.len(), "not enough land for the 2018 forest");
        acc += pool[take].full_m2;
        take += 1;
    }
    let base = &pool[..take];
    let scale = solve_scale("forest 2018", base_target, 0.5, 1.0, |k| {
        total_m2(grid, base, k)
    });
    let mut ids = Ids::new("FO");
    let mut out: Vec<Feat> = base
        .iter()
        .map(|c| numbered(&mut ids, "林地", c, patch(grid, c, scale)))
        .collect();
    let mut total: f64 = out
        .iter()
        .map(|f| area_m2(&as_multipolygon(f.geom.clone())))
        .sum();
    let mut next = take;
    for &(year, pct) in &FOREST_PCT[1..] {
        let goal = target_of(pct);
        loop {
            assert!(
                next < pool.len(),
                "not enough land to plant forest for {year}"
            );
            let cell = pool[next];
            next += 1;
            let full = area_m2(&patch(grid, cell, AFFOREST_SCALE));
            if full < 1.0 {
                continue;
            }
            let last = total + full >= goal;
            let g = if last {
                let k = solve_scale("afforestation", goal - total, 0.05, 1.0, |x| {
                    area_m2(&patch(grid, cell, x))
                });
                patch(grid, cell, k)
            } else {
                patch(grid, cell, AFFOREST_SCALE)
            };
            total += area_m2(&g);
            let mut f = numbered(&mut ids, &format!("新造林地（{year}年）"), cell, g);
            f.props.insert("valid_from".into(), json!(year));
            out.push(f);
            if last {
                break;
            }
        }
    }
    out
}

/// Builds every layer of this module.
pub fn build(
    r: &Reference,
    bay: &MultiPolygon,
    red: &[(&'static ZoneSpec, MultiPolygon)],
) -> LandUse {
    let (county, land_sea, land_m2) = context(r, bay);
    let water = build_water(r, red);
    let red_union = union_all(&red.iter().map(|(_, g)| g.clone()).collect::<Vec<_>>());
    let urban_boundary = build_urban(r, &red_union);
    let mps = |fs: &[Feat]| {
        union_all(
            &fs.iter()
                .map(|f| as_multipolygon(f.geom.clone()))
                .collect::<Vec<_>>(),
        )
    };
    let grid = build_grid(r, &red_union, &mps(&urban_boundary), &mps(&water));
    let (farmland, spare) = build_farmland(&grid);
    let forest = build_forest(&grid, &spare, land_m2);
    // Cells whose land or shrunk patch came to nothing (a sliver on a border) hold no feature.
    let solid = |fs: Vec<Feat>| -> Vec<Feat> {
        fs.into_iter()
            .filter(|f| !as_multipolygon(f.geom.clone()).0.is_empty())
            .collect()
    };
    let (farmland, forest, water, urban_boundary) = (
        solid(farmland),
        solid(forest),
        solid(water),
        solid(urban_boundary),
    );
    LandUse {
        county,
        land_sea,
        water,
        urban_boundary,
        farmland,
        forest,
    }
}

// ---------------------------------------------------------------------------------------------
// The calibration report for these layers, from the files read back.

fn union_in(feats: &[ReadBack], year: i32) -> MultiPolygon {
    let live: Vec<MultiPolygon> = feats
        .iter()
        .filter(|f| valid_in(&f.props, year))
        .map(|f| zone_mp(&f.geom))
        .collect();
    union_all(&live)
}

/// Checks and reports farmland, forest, water, urban boundary and the context layers.
pub fn report(r: &Reference, dir: &Path) -> String {
    let names = [
        "farmland",
        "urban_boundary",
        "forest",
        "water",
        "county",
        "land_sea",
    ];
    let data: BTreeMap<&str, Vec<ReadBack>> =
        names.iter().map(|l| (*l, read_back(dir, l))).collect();
    for l in names {
        let with_county: Vec<ReadBack> = data[l]
            .iter()
            .filter(|f| f.props.contains_key("county"))
            .map(|f| ReadBack {
                id: f.id.clone(),
                props: f.props.clone(),
                geom: f.geom.clone(),
            })
            .collect();
        check_layer(r, l, &with_county);
    }
    let mut out = String::from("Three lines and context (read back, WGS84 geodesic)\n");
    let land: Vec<MultiPolygon> = data["land_sea"]
        .iter()
        .filter(|f| f.props.get("class") == Some(&json!("land")))
        .map(|f| zone_mp(&f.geom))
        .collect();
    let land_m2: f64 = land.iter().map(area_m2).sum();
    out += &format!(
        "land (denominator of forest coverage and water-surface ratio): {:.4} km²\n",
        land_m2 / 1e6
    );

    out += &format!("farmland (plan {FARMLAND_KM2:.0}, read as km²; not reduced)\n");
    for year in FIRST_YEAR..=LAST_YEAR {
        let live: Vec<&ReadBack> = data["farmland"]
            .iter()
            .filter(|f| valid_in(&f.props, year))
            .collect();
        let sum: f64 = live.iter().map(|f| area_m2(&zone_mp(&f.geom))).sum::<f64>() / 1e6;
        let union = area_m2(&union_in(&data["farmland"], year)) / 1e6;
        assert!(
            (union - FARMLAND_KM2).abs() < 1e-3,
            "farmland {year}: {union} km²"
        );
        assert!(
            (union - sum).abs() < 1e-3,
            "farmland {year}: parcels overlap"
        );
        out += &format!("  {year}: union {union:.6} km² ({} parcels)\n", live.len());
    }
    let farm = union_in(&data["farmland"], LAST_YEAR);
    let red: Vec<MultiPolygon> = read_back(dir, "redline")
        .iter()
        .map(|f| zone_mp(&f.geom))
        .collect();
    let water = union_in(&data["water"], LAST_YEAR);
    let urban = union_in(&data["urban_boundary"], LAST_YEAR);
    for (what, other) in [
        ("red line", union_all(&red)),
        ("water", water.clone()),
        ("urban boundary", urban.clone()),
    ] {
        let a = area_m2(&farm.intersection(&other));
        assert!(a < 100.0, "farmland overlaps the {what} by {a} m²");
        out += &format!("  farmland ∩ {what}: {a:.1} m²\n");
    }
    let swaps: Vec<&ReadBack> = data["farmland"]
        .iter()
        .filter(|f| f.props.contains_key("replaces"))
        .collect();
    for f in &swaps {
        let old = data["farmland"]
            .iter()
            .find(|o| Some(&json!(o.id)) == f.props.get("replaces"))
            .expect("a replacement names a parcel");
        let (a, b) = (area_m2(&zone_mp(&old.geom)), area_m2(&zone_mp(&f.geom)));
        assert!(
            (0.0..1.5).contains(&(b - a)),
            "swap {} → {}: {a} vs {b} m²",
            old.id,
            f.id
        );
        out += &format!(
            "  {} replaces {} from {FARMLAND_SWAP_YEAR}: {b:.1} m² for {a:.1} m²\n",
            f.id, old.id
        );
    }

    out += "forest coverage (plan 12.7 % 2018, ≥ 19 % 2020, 20 % 2025)\n";
    for &(year, pct) in &FOREST_PCT {
        let forest = union_in(&data["forest"], year);
        let a = area_m2(&forest);
        let got = a / land_m2 * 100.0;
        assert!(
            (got - pct).abs() < 1e-4,
            "forest {year}: {got} % vs {pct} %"
        );
        out += &format!("  {year}: {:.4} km² = {got:.5} %\n", a / 1e6);
    }
    let forest = union_in(&data["forest"], LAST_YEAR);
    for (what, other) in [("water", water.clone()), ("farmland", farm.clone())] {
        let a = area_m2(&forest.intersection(&other));
        assert!(a < 100.0, "forest overlaps {what} by {a} m²");
        out += &format!("  forest ∩ {what}: {a:.1} m²\n");
    }
    let wa = area_m2(&water);
    out += &format!(
        "water: {:.4} km² = {:.5} % of land, constant ({} features)\n",
        wa / 1e6,
        wa / land_m2 * 100.0,
        data["water"].len()
    );
    out += &format!(
        "urban_boundary: {:.4} km² ({} polygons)\n",
        area_m2(&urban) / 1e6,
        data["urban_boundary"].len()
    );
    for l in names {
        out += &format!("{l}: {} features\n", data[l].len());
    }
    out
}
