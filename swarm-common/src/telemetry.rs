//! Telemetry set up once per process: tracing logs (pretty or JSON), an
//! OpenTelemetry OTLP trace exporter when `OTEL_EXPORTER_OTLP_ENDPOINT` is
//! set (Jaeger ingests OTLP natively), and the global Prometheus recorder
//! whose handle renders `/metrics`.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Latency histogram buckets, in seconds (sub-millisecond to 10 s).
pub const LATENCY_BUCKETS_SECONDS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, one line per event.
    #[default]
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Command-line flags every binary accepts for its telemetry.
#[derive(Debug, Clone, clap::Args)]
pub struct TelemetryArgs {
    /// Log format on stderr.
    #[arg(long, env = "SWARM_LOG_FORMAT", value_enum, default_value = "pretty")]
    pub log_format: LogFormat,
    /// OTLP gRPC endpoint for traces (e.g. http://127.0.0.1:4317); unset = traces off.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
}

/// Why telemetry could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The OTLP trace exporter could not be built.
    #[error("cannot build the OTLP exporter for {endpoint}: {message}")]
    Otlp {
        /// The OTLP collector endpoint configured.
        endpoint: String,
        /// The exporter builder's error text.
        message: String,
    },
}

/// Keeps the trace pipeline alive; call [`Telemetry::shutdown`] before exit
/// to flush buffered spans.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Flushes and stops the trace exporter. The flush blocks, so it runs
    /// on a blocking thread while the runtime keeps driving the exporter's
    /// network I/O (a blocked single-threaded runtime would deadlock).
    pub async fn shutdown(self) {
        let Some(provider) = self.provider else {
            return;
        };
        let flushed = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        if let Ok(Err(error)) = flushed {
            eprintln!("trace exporter shutdown: {error}");
        }
    }
}

/// Installs logging, tracing export and the metrics recorder for `service`.
/// Safe to call more than once in a process (tests, embedded mode): later
/// calls keep the first subscriber.
///
/// # Errors
///
/// An OTLP endpoint that cannot be used.
pub fn init(service: &'static str, args: &TelemetryArgs) -> Result<Telemetry, Error> {
    init_with_filter(service, args, "info")
}

/// [`init`] with another log filter than `info` when `RUST_LOG` is unset
/// (command-line tools log only warnings).
///
/// # Errors
///
/// As [`init`].
pub fn init_with_filter(
    service: &'static str,
    args: &TelemetryArgs,
    default_filter: &'static str,
) -> Result<Telemetry, Error> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let _ = metrics_handle();
    let filter =
        || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let fmt_layer = match args.log_format {
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_target(false)
            .compact()
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .json()
            .flatten_event(true)
            .boxed(),
    };
    let provider = match args.otlp_endpoint.as_deref().filter(|e| !e.is_empty()) {
        Some(endpoint) => Some(otlp_provider(service, endpoint)?),
        None => None,
    };
    // Spans are exported at `info` whatever the log verbosity
    // (`SWARM_TRACE_FILTER` overrides), so quiet tools still join traces.
    let otel_layer = provider.as_ref().map(|p| {
        let trace_filter = EnvFilter::try_from_env("SWARM_TRACE_FILTER")
            .unwrap_or_else(|_| EnvFilter::new("info"));
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer(service))
            .with_filter(trace_filter)
    });
    let installed = tracing_subscriber::registry()
        .with(fmt_layer.with_filter(filter()))
        .with(otel_layer)
        .try_init()
        .is_ok();
    if installed && let Some(p) = &provider {
        opentelemetry::global::set_tracer_provider(p.clone());
        tracing::info!(service, endpoint = ?args.otlp_endpoint, "exporting traces over OTLP");
    }
    Ok(Telemetry { provider })
}

fn otlp_provider(service: &'static str, endpoint: &str) -> Result<SdkTracerProvider, Error> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .with_timeout(Duration::from_secs(3))
        .build()
        .map_err(|e| Error::Otlp {
            endpoint: endpoint.to_string(),
            message: e.to_string(),
        })?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name(service).build())
        .build())
}

/// The process-wide Prometheus recorder, installed on first use.
pub fn metrics_handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(LATENCY_BUCKETS_SECONDS)
            .expect("bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (tests); then this one
        // only renders what it is given, which is harmless.
        let _ = metrics::set_global_recorder(recorder);
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            })
            .ok();
        handle
    })
}
