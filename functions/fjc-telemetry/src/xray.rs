//! Lambda's X-Ray trace header as the parent of an invocation's spans, so its
//! exported traces join the X-Ray trace.

use opentelemetry::trace::TraceContextExt;
use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};

/// The OpenTelemetry parent context of an X-Ray trace header
/// (`Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=<0|1>`): the trace id is the
/// root's two hex parts joined. `None` for a header without a valid root and
/// parent.
pub fn xray_parent(header: &str) -> Option<opentelemetry::Context> {
    let mut root = None;
    let mut parent = None;
    let mut sampled = false;
    for part in header.split(';') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "Root" => {
                let mut p = v.split('-');
                let (version, epoch, rest) = (p.next()?, p.next()?, p.next()?);
                if version != "1" || epoch.len() != 8 || rest.len() != 24 {
                    return None;
                }
                root = TraceId::from_hex(&format!("{epoch}{rest}")).ok();
            }
            "Parent" => parent = SpanId::from_hex(v).ok(),
            "Sampled" => sampled = v == "1",
            _ => {}
        }
    }
    let (trace, span) = (root?, parent?);
    if trace == TraceId::INVALID || span == SpanId::INVALID {
        return None;
    }
    let flags = if sampled {
        TraceFlags::SAMPLED
    } else {
        TraceFlags::default()
    };
    let context = SpanContext::new(trace, span, flags, true, TraceState::default());
    Some(opentelemetry::Context::new().with_remote_span_context(context))
}

/// Makes `span` a child of the X-Ray trace in `header` (no-op without a valid one
/// or without span export).
pub fn join_xray(span: &tracing::Span, header: Option<&str>) {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    if let Some(cx) = header.and_then(xray_parent) {
        let _ = span.set_parent(cx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xray_header_becomes_the_parent_context() {
        let cx = xray_parent(
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        )
        .expect("valid header");
        let sc = cx.span().span_context().clone();
        assert_eq!(
            sc.trace_id().to_string(),
            "5759e988bd862e3fe1be46a994272793"
        );
        assert_eq!(sc.span_id().to_string(), "53995c3f42cd8ad8");
        assert!(sc.is_sampled() && sc.is_remote());
    }

    #[test]
    fn bad_xray_headers_are_ignored() {
        for h in [
            "",
            "Root=1-5759e988-bd862e3fe1be46a994272793",
            "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
            "Root=1-zz59e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
            "Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8",
            "garbage",
        ] {
            assert!(xray_parent(h).is_none(), "{h:?}");
        }
    }
}
