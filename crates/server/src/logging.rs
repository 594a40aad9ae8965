//! `tracing` output: human-readable or JSON lines, filtered by `VALET_LOG` / `--log-level`.
//!
//! actix-http logs at ERROR, with no request id, every connection whose client broke HTTP/1 (a
//! request line with characters a URI may not hold, a body cut short): the client was answered 400
//! or dropped already, and a scanner could fill the error log with such lines. They are left out
//! unless the filter names `actix_http` itself (`--log-level info,actix_http=debug`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::Directive;

use crate::config::LogFormat;

/// The target of actix-http's per-connection protocol errors.
const CONNECTION_ERRORS: &str = "actix_http::h1::dispatcher";

/// The filter `spec` asks for (`info` when it is not one), without actix-http's connection errors
/// unless it names `actix_http`.
fn filter(spec: &str) -> EnvFilter {
    let (filter, spec) = match EnvFilter::try_new(spec) {
        Ok(filter) => (filter, spec),
        Err(_) => (EnvFilter::new("info"), "info"),
    };
    if spec.contains("actix_http") {
        return filter;
    }
    match format!("{CONNECTION_ERRORS}=off").parse::<Directive>() {
        Ok(quiet) => filter.add_directive(quiet),
        Err(_) => filter,
    }
}

pub fn init(format: LogFormat, spec: &str) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter(spec))
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    // A second initialisation (tests) keeps the first subscriber; that is fine.
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing::subscriber::with_default;
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::{Context, SubscriberExt};

    use super::*;

    /// The targets of the events that got through, in order.
    #[derive(Clone, Default)]
    struct Seen(Arc<Mutex<Vec<String>>>);

    impl<S: tracing::Subscriber> Layer<S> for Seen {
        fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
            if let Ok(mut seen) = self.0.lock() {
                seen.push(event.metadata().target().to_owned());
            }
        }
    }

    fn logged(spec: &str) -> Vec<String> {
        let seen = Seen::default();
        let subscriber =
            tracing_subscriber::registry().with(seen.clone().with_filter(filter(spec)));
        with_default(subscriber, || {
            tracing::error!(target: "actix_http::h1::dispatcher", "stream error: request parse error");
            tracing::error!(target: "actix_http::h1::service", "HTTP/1 service readiness error");
            tracing::error!(target: "valet_server::http", "cannot end the session");
            tracing::info!(target: "valet_server::http", "served");
        });
        seen.0.lock().map(|s| s.clone()).unwrap_or_default()
    }

    #[test]
    fn a_client_s_broken_connection_is_not_an_error_line() {
        assert_eq!(
            logged("info"),
            [
                "actix_http::h1::service",
                "valet_server::http",
                "valet_server::http"
            ]
        );
        assert_eq!(
            logged("error"),
            ["actix_http::h1::service", "valet_server::http"]
        );
        assert_eq!(logged("actix_http=[not a filter"), logged("info"));
    }

    #[test]
    fn naming_actix_http_in_the_filter_brings_them_back() {
        assert_eq!(
            logged("info,actix_http=debug"),
            [
                "actix_http::h1::dispatcher",
                "actix_http::h1::service",
                "valet_server::http",
                "valet_server::http"
            ]
        );
    }
}
