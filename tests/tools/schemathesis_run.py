"""`schemathesis run` (the pinned 3.x CLI, same arguments) with the few constraints of the service
that OpenAPI 3.0 cannot state, so that tests/schemathesis_test.rs can hold the served document to
"every request it calls valid is accepted" (`positive_data_acceptance`) as well as to the other
checks. Each constraint ties two values together, or needs a grammar or a database a JSON schema
does not have; the document says each in words. They are applied to positive cases only, just
before the call, and only so far as to make the case what the words ask; negative cases are sent
as generated.

  - a tile's column and row are below 2^zoom (`/tiles/…` answers 400 outside the grid; OGC API –
    Tiles' route 404, which the checks accept, but is kept inside too, so real tiles are asked);
  - a `bbox` has its lower corner first, and its lon/lat in range (no tuple schemas in 3.0);
    `bbox-crs` is left out (the box's numbers would be the CRS's);
  - `datetime` names days that exist, its interval's start no later than its end, and is not
    sent together with `year`;
  - `filter` is CQL2 (a grammar, over the collection's queryables): a positive case sends none,
    nor `filter-lang` / `filter-crs`, which need one; tests/ogc_filter_test.rs checks filters
    against pygeofilter;
  - `crs` on /check and the report names an EPSG code PROJ knows: a positive case sends one of a
    few;
  - `from` is no later than `to`, a span at most 100 years, on the indicator and change
    routes; an end left out defaults to the data's, so a positive case gives both or neither.
    On the indicator routes a span is kept to 10 years: a cold year costs ~0.4 s in a debug
    build, and 100 of them would pass the server's 30-s request timeout (504) — a time budget
    of this test, not a limit of the API.

A negative case whose query and path, as `requests` sends them, are valid after all (`from=[]`
goes as nothing, `z="3"` as `3`) is judged as the valid request it is.

usage: schemathesis_run.py URL [schemathesis run options]
"""

import calendar
import re
import sys
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import requests
import schemathesis
from jsonschema import Draft4Validator
from schemathesis import DataGenerationMethod
from schemathesis.cli import schemathesis as cli
from schemathesis.transports import RequestsTransport

DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(.*)$")


def _real_day(text):
    """The date in `text` with its day clamped into its month (the rest kept)."""
    m = DATE.match(text)
    if not m:
        return text
    y, mo, d, rest = int(m[1]), int(m[2]), int(m[3]), m[4]
    mo = min(max(mo, 1), 12)
    d = min(max(d, 1), calendar.monthrange(max(y, 1), mo)[1])
    return f"{y:04d}-{mo:02d}-{d:02d}{rest}"


def _utc_year(text):
    """The UTC calendar year of an RFC 3339 date or date-time (as the server reads it)."""
    if len(text) == 10 or text.startswith("0000"):  # Python's dates have no year 0
        return int(text[:4])
    local = datetime.fromisoformat(text[:10] + "T" + text[11:19].replace(":60", ":59"))
    if text[-1] in "Zz":
        return local.year
    offset = timedelta(hours=int(text[-5:-3]), minutes=int(text[-2:]))
    return (local + offset if text[-6] == "-" else local - offset).year


def _datetime(value):
    if "/" not in value:
        return _real_day(value)
    a, b = (_real_day(p) for p in value.split("/", 1))
    if a not in ("", "..") and b not in ("", "..") and _utc_year(a) > _utc_year(b):
        a, b = b, a
    return f"{a}/{b}"


def _bbox(text):
    """Lower corner first, lon in [-180, 180] and lat in [-90, 90] (heights as they are)."""
    try:
        value = [float(v) for v in str(text).split(",")]
    except ValueError:
        return text
    if len(value) not in (4, 6):
        return text
    k = len(value) // 2
    lo = [min(a, b) for a, b in zip(value[:k], value[k:])]
    hi = [max(a, b) for a, b in zip(value[:k], value[k:])]
    for corner in (lo, hi):
        corner[0] = max(-180.0, min(180.0, corner[0]))
        corner[1] = max(-90.0, min(90.0, corner[1]))
    return ",".join(repr(v) for v in lo + hi)


# A negative case as it goes on the wire, read back as the server's parsers read it.
# schemathesis 3.x judges a negative case by the values it generated, but what is sent can be
# valid all the same: `requests` drops None and [] from a query, a one-item list is its item, a
# path value is `str()`-ed (`z="3"` is `3`). Such a case is judged as the valid request it is.
INT = re.compile(r"^[+-]?[0-9]+$")
FLOAT = re.compile(
    r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$|^[+-]?(?:inf|infinity|nan)$", re.I
)
INVALID = object()


def _read(text, schema):
    kind = schema.get("type")
    if kind == "integer":
        return int(text) if INT.match(text) else INVALID
    if kind == "number":
        return float(text) if FLOAT.match(text) else INVALID
    if kind == "array":
        items = [_read(t, schema.get("items", {})) for t in text.split(",")]
        return INVALID if INVALID in items else items
    return text


def _sent_query(case):
    """The query string `requests` sends for the case, as (name, value) pairs."""
    kwargs = RequestsTransport().serialize_case(case, base_url="http://h")
    url = requests.Request("GET", kwargs["url"], params=kwargs.get("params")).prepare().url
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def _valid_as_sent(case):
    """Whether a negative case's query and path, as sent, are valid after all (and its body, if
    any, is not the negative part); if so, the case is set to what is sent."""
    meta = case.meta
    if meta is None or (meta.body and meta.body.is_negative):
        return False
    sent = {
        "query": _sent_query(case),
        "path_parameters": [(k, str(v)) for k, v in (case.path_parameters or {}).items()],
    }
    read = {}
    for where, pairs in sent.items():
        params = {p.name: p for p in getattr(case.operation, where)}
        names = [k for k, _ in pairs]
        if len(set(names)) < len(names) or any(k not in params for k in names):
            return False  # a name twice, or one the route does not take: refused
        values = dict(pairs)
        for name, p in params.items():
            if name not in values:
                if p.is_required:
                    return False
                continue
            schema = p.definition.get("schema", {})
            v = _read(values[name], schema)
            if v is INVALID or not Draft4Validator(schema).is_valid(v):
                return False
        read[where] = values
    case.query = read["query"] or None
    if case.path_parameters:
        case.path_parameters = read["path_parameters"]
    return True


@schemathesis.hook
def before_call(context, case):
    method = case.data_generation_method
    if method and method.is_negative and _valid_as_sent(case):
        case.data_generation_method = DataGenerationMethod.positive
    if not (case.data_generation_method and case.data_generation_method.is_positive):
        return
    path = case.operation.path
    q = case.query if isinstance(case.query, dict) else None
    p = case.path_parameters if isinstance(case.path_parameters, dict) else None
    if path == "/tiles/{layers}/{z}/{x}/{y}.mvt" and p:
        n = 1 << int(p["z"])
        p["x"], p["y"] = int(p["x"]) % n, int(p["y"]) % n
    if path == "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}" and p:
        n = 1 << int(p["tileMatrix"])
        p["tileRow"], p["tileCol"] = int(p["tileRow"]) % n, int(p["tileCol"]) % n
    if q is None:
        return
    q.pop("bbox-crs", None)
    if "bbox" in q:
        q["bbox"] = _bbox(q["bbox"])
    if "datetime" in q:
        q.pop("year", None)
        q["datetime"] = _datetime(q["datetime"])
    for name in ("filter", "filter-lang", "filter-crs"):
        q.pop(name, None)
    if path in ("/check", "/check/batch", "/check/report") and "crs" in q:
        q["crs"] = ("EPSG:4549", "EPSG:4490", "GCJ02", "BD09")[len(str(q["crs"])) % 4]
    if "from" in q or "to" in q:
        a, b = sorted(int(v) for v in (q.get("from", q.get("to")), q.get("to", q.get("from"))))
        span = 9 if path.startswith("/indicators") else 99
        q["from"], q["to"] = a, min(b, a + span)


@schemathesis.serializer("text/csv")
class Csv:
    """`/check/batch` takes CSV: the generated text, as UTF-8."""

    def as_requests(self, context, value):
        return {"data": value.encode() if isinstance(value, str) else str(value).encode()}

    def as_werkzeug(self, context, value):
        return {"data": value if isinstance(value, str) else str(value)}


if __name__ == "__main__":
    sys.exit(cli(["run", *sys.argv[1:]], prog_name="schemathesis"))
