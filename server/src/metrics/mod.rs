//! The server's Prometheus metrics (SPEC §7c), named `thaiid_*`: logins by method and
//! outcome, the card login's latency and refusals, the card logins in progress (their queue), OpenID
//! Connect codes issued, the database pool. Counting is an atomic add on a counter made
//! at start (no lock, no map lookup on an accepted login); the pool and the queue are
//! read when Prometheus scrapes. Served on a listen address of their own
//! (`THAIID_SERVER_METRICS_LISTEN`), never beside the pages.

mod latency;

pub use latency::Latency;

use crate::audit::Method;
use crate::card_login::queue::Queue;
use crate::db::Pool;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Duration;
use thaiid_protocol::api::ServerErrorCode;

/// What a scrape answers with: the Prometheus text format, version 0.0.4.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The methods counted as logins, as the audit log names them: a card's assertion, a
/// password, an OTP, a card login's ticket redeemed (by the browser or a front end).
const LOGIN_METHODS: [Method; 4] = [Method::Card, Method::Password, Method::Otp, Method::Ticket];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LoginLabels {
    method: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabel {
    code: &'static str,
}

/// The server's metrics; clones share them.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    registry: Registry,
    /// `[method][0: ok, 1: refused]`, in the order of [`LOGIN_METHODS`].
    logins: [[Counter; 2]; LOGIN_METHODS.len()],
    card_refusals: Family<CodeLabel, Counter>,
    card_seconds: Latency,
    oidc_codes: Counter,
}

impl Metrics {
    /// The metrics of a server on `pool`, with the card logins' `queue`.
    pub fn new(pool: Pool, queue: Queue) -> Metrics {
        let mut registry = Registry::with_prefix("thaiid");
        let logins = Family::<LoginLabels, Counter>::default();
        let counter = |method: Method, outcome| {
            logins.get_or_create_owned(&LoginLabels {
                method: method.as_str(),
                outcome,
            })
        };
        let logins_by_method = LOGIN_METHODS.map(|m| [counter(m, "ok"), counter(m, "refused")]);
        registry.register(
            "logins",
            "Login attempts by method (card, password, otp, ticket) and outcome (ok, refused)",
            logins,
        );
        let card_refusals = Family::<CodeLabel, Counter>::default();
        registry.register(
            "card_login_refusals",
            "Card logins refused, by reason code",
            card_refusals.clone(),
        );
        let card_seconds = Latency::default();
        registry.register(
            "card_login_seconds",
            "Time to verify a card login and write its ticket and audit row",
            card_seconds.clone(),
        );
        let oidc_codes = Counter::default();
        registry.register(
            "oidc_codes_issued",
            "OpenID Connect authorization codes issued to systems",
            oidc_codes.clone(),
        );
        registry.register_collector(Box::new(Sampled { pool, queue }));
        Metrics(Arc::new(Inner {
            registry,
            logins: logins_by_method,
            card_refusals,
            card_seconds,
            oidc_codes,
        }))
    }

    /// A login attempt by `method` decided (nothing for a method that is no login).
    pub fn login(&self, method: Method, accepted: bool) {
        if let Some(index) = LOGIN_METHODS.iter().position(|&m| m == method) {
            self.0.logins[index][usize::from(!accepted)].inc();
        }
    }

    /// A card login decided after `took`: accepted, or refused with `code`.
    pub fn card_login(&self, took: Duration, refused: Option<ServerErrorCode>) {
        self.0.card_seconds.observe(took);
        self.login(Method::Card, refused.is_none());
        if let Some(code) = refused {
            self.0
                .card_refusals
                .get_or_create(&CodeLabel {
                    code: code.as_str(),
                })
                .inc();
        }
    }

    /// An OpenID Connect authorization code issued.
    pub fn oidc_code_issued(&self) {
        self.0.oidc_codes.inc();
    }

    /// Every metric in the Prometheus text format.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.0.registry)?;
        Ok(text)
    }
}

/// What is read at each scrape: the pool's connections, the card logins' queue.
#[derive(Debug)]
struct Sampled {
    pool: Pool,
    queue: Queue,
}

impl Collector for Sampled {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let gauges = [
            (
                "db_pool_size",
                "Connections the database pool holds (open)",
                self.pool.size() as i64,
            ),
            (
                "db_pool_idle",
                "Connections of the pool waiting for work",
                self.pool.num_idle() as i64,
            ),
            (
                "card_login_queue_depth",
                "Card logins in progress (arrived, not yet answered)",
                self.queue.depth() as i64,
            ),
            (
                "card_login_queue_limit",
                "Card logins in progress beyond which the answer is 503 SERVER_BUSY",
                self.queue.limit() as i64,
            ),
        ];
        for (name, help, value) in gauges {
            let gauge = ConstGauge::new(value);
            let metric = encoder.encode_descriptor(name, help, None, gauge.metric_type())?;
            gauge.encode(metric)?;
        }
        Ok(())
    }
}
