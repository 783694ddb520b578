"""QGIS as a client of a running ecospace (tests/qgis_test.rs), and the independent measure the
test compares QGIS's answers with. Two modes, for two Pythons:

  /usr/bin/python3 qgis_check.py qgis BASE_URL OUT_DIR WIDTH HEIGHT W S E N BW BS BE BN
      Debian's python3-qgis, headless (QT_QPA_PLATFORM=offscreen). Loads the `redline`
      collection through QGIS's OAPIF provider (count, geometry type, attributes, capabilities,
      a subset string, a bbox request BW BS BE BN sent to the server, pages of 5) and the tiles
      through QgsVectorTileLayer; renders each alone to OUT_DIR/{oapif,tiles}.png in EPSG:3857
      over the lon/lat box W S E N, pure red fill for the features and pure blue for the tiles,
      no outline, no antialiasing. Prints JSON with the pixel counts, the exact extent QGIS drew,
      every HTTP request QGIS made (method, URL, status) and every message QGIS logged.

  .venv/bin/python3 qgis_check.py expect REDLINE.geojson XMIN YMIN XMAX YMAX BW BS BE BN
      shapely + pyproj, from the GeoJSON file alone: the share of the EPSG:3857 rectangle the
      red line's union covers, its boundary length inside the rectangle (m), and the ids of the
      features that meet the lon/lat box BW BS BE BN (and of those whose envelope meets it).
      Prints JSON.
"""
import json
import os
import sys
from array import array


def expect(path, xmin, ymin, xmax, ymax, bw, bs, be, bn):
    import shapely
    from pyproj import Transformer
    from shapely.geometry import box, shape

    to_3857 = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform
    with open(path, encoding="utf-8") as f:
        feats = json.load(f)["features"]
    geoms = [shape(f["geometry"]) for f in feats]
    union = shapely.union_all([shapely.transform(g, to_3857, interleaved=False) for g in geoms])
    frame = box(xmin, ymin, xmax, ymax)
    inside = union.intersection(frame)
    lonlat = box(bw, bs, be, bn)
    return {
        "share": inside.area / frame.area,
        "boundary_m": inside.boundary.intersection(frame).length,
        "in_box": sorted(f["id"] for f, g in zip(feats, geoms) if g.intersects(lonlat)),
        "envelope_in_box": sorted(
            f["id"] for f, g in zip(feats, geoms) if g.envelope.intersects(lonlat)
        ),
    }


def qgis(base, out_dir, width, height, w, s, e, n, bw, bs, be, bn):
    from qgis.core import (
        Qgis,
        QgsApplication,
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsFeatureRequest,
        QgsFillSymbol,
        QgsMapRendererSequentialJob,
        QgsMapSettings,
        QgsNetworkAccessManager,
        QgsNetworkReplyContent,
        QgsNetworkRequestParameters,
        QgsProject,
        QgsRectangle,
        QgsSingleSymbolRenderer,
        QgsVectorDataProvider,
        QgsVectorLayer,
        QgsVectorTileBasicRenderer,
        QgsVectorTileBasicRendererStyle,
        QgsVectorTileLayer,
        QgsWkbTypes,
    )
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor, QImage
    from qgis.PyQt.QtNetwork import QNetworkAccessManager, QNetworkRequest

    # A settings and cache folder of its own: nothing read from or written to the user's profile.
    app = QgsApplication([], False, os.path.join(out_dir, "profile"))
    app.initQgis()

    messages, requests = [], {}
    QgsApplication.messageLog().messageReceived[str, str, Qgis.MessageLevel].connect(
        lambda msg, tag, level: messages.append({"tag": tag, "level": int(level), "text": msg})
    )
    ops = {
        QNetworkAccessManager.HeadOperation: "HEAD",
        QNetworkAccessManager.GetOperation: "GET",
        QNetworkAccessManager.PutOperation: "PUT",
        QNetworkAccessManager.PostOperation: "POST",
        QNetworkAccessManager.DeleteOperation: "DELETE",
        QNetworkAccessManager.CustomOperation: "CUSTOM",
    }

    def about(p):
        requests[p.requestId()] = {
            "method": ops.get(p.operation(), str(p.operation())),
            "url": p.request().url().toString(),
        }

    def finished(reply):
        r = requests.setdefault(reply.requestId(), {})
        code = reply.attribute(QNetworkRequest.HttpStatusCodeAttribute)
        r["status"] = int(code) if code is not None else None
        if reply.error():
            r["error"] = reply.errorString()

    # The main thread's manager relays every thread's requests (queued: processEvents delivers).
    nam = QgsNetworkAccessManager.instance()
    nam.requestAboutToBeCreated[QgsNetworkRequestParameters].connect(about)
    nam.finished[QgsNetworkReplyContent].connect(finished)

    def drain(phase):
        app.processEvents()
        for r in requests.values():
            r.setdefault("phase", phase)

    out = {"version": Qgis.QGIS_VERSION}

    # 1. The collection through the OAPIF provider.
    # No progress dialog: there is no GUI (QGIS would try to make one and warn).
    uri = f"url='{base}' typename='redline' hideDownloadProgressDialog='1'"
    layer = QgsVectorLayer(uri, "redline", "OAPIF")
    out["valid"] = layer.isValid()
    prov = layer.dataProvider()
    caps = prov.capabilities() if prov else 0
    out["crs"] = layer.crs().authid()
    out["geometry_type"] = QgsWkbTypes.displayString(layer.wkbType())
    out["feature_count"] = layer.featureCount()
    out["fields"] = [f.name() for f in layer.fields()]
    out["features"] = [
        {k: f[k] for k in ("id", "name", "county") if k in out["fields"]}
        | {"geometry_type": QgsWkbTypes.displayString(f.geometry().wkbType())}
        for f in layer.getFeatures()
    ]
    out["capabilities"] = prov.capabilitiesString() if prov else ""
    out["can"] = {
        name: bool(caps & getattr(QgsVectorDataProvider, name))
        for name in (
            "AddFeatures",
            "DeleteFeatures",
            "ChangeAttributeValues",
            "ChangeGeometries",
            "SelectAtId",
        )
    }
    out["start_editing"] = layer.startEditing()
    drain("load")

    subset = "\"county\" = '330402'"
    out["subset"] = {
        "expression": subset,
        "accepted": layer.setSubsetString(subset),
        "feature_count": layer.featureCount(),
        "names": sorted(f["name"] for f in layer.getFeatures()),
    }
    drain("subset")
    layer.setSubsetString("")

    # A bbox the provider sends to the server (restrictToRequestBBOX; without it QGIS 3.22
    # downloads the whole collection and filters itself).
    boxed = QgsVectorLayer(uri + " restrictToRequestBBOX='1'", "boxed", "OAPIF")
    request = QgsFeatureRequest().setFilterRect(QgsRectangle(bw, bs, be, bn))
    out["bbox_ids"] = sorted(f["id"] for f in boxed.getFeatures(request))
    drain("bbox")

    # Pages of 5: QGIS follows the server's `next` links.
    paged = QgsVectorLayer(uri + " pageSize='5'", "paged", "OAPIF")
    out["paged_ids"] = sorted(f["id"] for f in paged.getFeatures())
    drain("paged")

    # 2. The vector tiles, and both drawn.
    tiles = QgsVectorTileLayer(
        f"type=xyz&url={base}/tiles/redline/{{z}}/{{x}}/{{y}}&zmin=0&zmax=14", "tiles"
    )
    out["tiles_valid"] = tiles.isValid()

    red = QgsFillSymbol.createSimple({"color": "255,0,0,255", "outline_style": "no"})
    layer.setRenderer(QgsSingleSymbolRenderer(red))
    blue = QgsFillSymbol.createSimple({"color": "0,0,255,255", "outline_style": "no"})
    style = QgsVectorTileBasicRendererStyle("fill", "redline", QgsWkbTypes.PolygonGeometry)
    style.setSymbol(blue)
    renderer = QgsVectorTileBasicRenderer()
    renderer.setStyles([style])
    tiles.setRenderer(renderer)

    mercator = QgsCoordinateReferenceSystem("EPSG:3857")
    to_map = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem("EPSG:4326"), mercator, QgsProject.instance()
    )
    extent = to_map.transformBoundingBox(QgsRectangle(w, s, e, n))

    def render(layers, name):
        ms = QgsMapSettings()
        ms.setLayers(layers)
        ms.setDestinationCrs(mercator)
        ms.setOutputSize(QSize(width, height))
        ms.setExtent(extent)
        ms.setBackgroundColor(QColor(255, 255, 255))
        ms.setFlag(QgsMapSettings.Antialiasing, False)
        job = QgsMapRendererSequentialJob(ms)
        job.start()
        job.waitForFinished()
        img = job.renderedImage().convertToFormat(QImage.Format_RGB32)
        img.save(os.path.join(out_dir, name + ".png"))
        drain("render " + name)
        bits = img.constBits()
        bits.setsize(img.sizeInBytes())
        px = array("I", bytes(bits))  # 0xAARRGGBB, one per pixel
        v = ms.visibleExtent()
        return px, [v.xMinimum(), v.yMinimum(), v.xMaximum(), v.yMaximum()], job.errors()

    a, out["extent_3857"], errs_a = render([layer], "oapif")
    b, extent_b, errs_b = render([tiles], "tiles")
    out["render_errors"] = [f"{x.layerID}: {x.message}" for x in list(errs_a) + list(errs_b)]
    assert extent_b == out["extent_3857"]
    RED, BLUE, WHITE = 0xFFFF0000, 0xFF0000FF, 0xFFFFFFFF
    out["pixels"] = {
        "total": len(a),
        "oapif_red": a.count(RED),
        "oapif_other": len(a) - a.count(RED) - a.count(WHITE),
        "tiles_blue": b.count(BLUE),
        "tiles_other": len(b) - b.count(BLUE) - b.count(WHITE),
        "disagree": sum((p == RED) != (q == BLUE) for p, q in zip(a, b)),
    }

    out["requests"] = [requests[k] for k in sorted(requests)]
    out["messages"] = messages
    # Layers go before the application does (the other way round, QGIS 3.22 crashes on exit).
    del prov, layer, boxed, paged, tiles
    app.exitQgis()
    return out


def main():
    mode, *args = sys.argv[1:] or [""]
    if mode == "expect":
        print(json.dumps(expect(args[0], *map(float, args[1:]))))
    elif mode == "qgis":
        base, out_dir, width, height, *box = args
        out = qgis(base, out_dir, int(width), int(height), *map(float, box))
        print(json.dumps(out, ensure_ascii=False))
    else:
        sys.exit(f"unknown mode {mode!r}: use qgis or expect")


if __name__ == "__main__":
    main()
