//! Request counters and latency histograms per route, rendered as Prometheus text.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Latency histogram bucket bounds, seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Debug, Default)]
struct RouteStats {
    /// status code → count
    counts: BTreeMap<u16, u64>,
    /// cumulative bucket counts, then +Inf
    buckets: [u64; BUCKETS.len() + 1],
    sum_s: f64,
}

/// Request counters and latency histograms per route, for `GET /metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    /// route template → (method, stats), methods in order; looked up without allocating.
    routes: Mutex<BTreeMap<String, Vec<(String, RouteStats)>>>,
    /// The next request id to hand out.
    pub(super) next_id: AtomicU64,
    pub shed: AtomicU64,
    pub timeouts: AtomicU64,
    pub panics: AtomicU64,
}

impl Metrics {
    pub(super) fn record(&self, method: &str, route: &str, status: u16, secs: f64) {
        let Ok(mut m) = self.routes.lock() else {
            return;
        };
        if !m.contains_key(route) {
            m.insert(route.to_string(), Vec::new());
        }
        let Some(methods) = m.get_mut(route) else {
            return;
        };
        let i = match methods.binary_search_by(|(k, _)| k.as_str().cmp(method)) {
            Ok(i) => i,
            Err(i) => {
                methods.insert(i, (method.to_string(), RouteStats::default()));
                i
            }
        };
        let s = &mut methods[i].1;
        *s.counts.entry(status).or_default() += 1;
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                s.buckets[i] += 1;
            }
        }
        s.buckets[BUCKETS.len()] += 1;
        s.sum_s += secs;
    }

    /// Prometheus text exposition of everything recorded plus the given gauges.
    pub fn render(&self, gauges: &[(&str, &str, String, f64)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP ecospace_http_requests_total HTTP requests by route, method and status.\n# TYPE ecospace_http_requests_total counter\n");
        let m = self.routes.lock().map(|m| {
            m.iter()
                .flat_map(|(route, methods)| {
                    methods.iter().map(move |(method, v)| {
                        (
                            (route.clone(), method.clone()),
                            v.counts.clone(),
                            v.buckets,
                            v.sum_s,
                        )
                    })
                })
                .collect::<Vec<_>>()
        });
        let m = m.unwrap_or_default();
        for ((route, method), counts, _, _) in &m {
            for (status, n) in counts {
                out.push_str(&format!(
                    "ecospace_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}\n"
                ));
            }
        }
        out.push_str("# HELP ecospace_http_request_duration_seconds Request latency by route.\n# TYPE ecospace_http_request_duration_seconds histogram\n");
        for ((route, method), _, buckets, sum) in &m {
            let labels = format!("route=\"{route}\",method=\"{method}\"");
            for (i, b) in BUCKETS.iter().enumerate() {
                out.push_str(&format!(
                    "ecospace_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {}\n",
                    buckets[i]
                ));
            }
            let total = buckets[BUCKETS.len()];
            out.push_str(&format!(
                "ecospace_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {total}\n"
            ));
            out.push_str(&format!(
                "ecospace_http_request_duration_seconds_sum{{{labels}}} {sum}\n"
            ));
            out.push_str(&format!(
                "ecospace_http_request_duration_seconds_count{{{labels}}} {total}\n"
            ));
        }
        for (name, help, labels, value) in gauges {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name}{labels} {value}\n"
            ));
        }
        for (name, help, v) in [
            (
                "ecospace_requests_shed_total",
                "Requests refused with 503 because the concurrency limit was reached.",
                &self.shed,
            ),
            (
                "ecospace_requests_timed_out_total",
                "Requests answered 504 after the request timeout.",
                &self.timeouts,
            ),
            (
                "ecospace_handler_panics_total",
                "Handler panics turned into 500 responses.",
                &self.panics,
            ),
        ] {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
                v.load(Ordering::Relaxed)
            ));
        }
        out
    }
}
