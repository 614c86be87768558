package config

import (
	"net/url"
	"strings"
)

// OTLP protocols.
const (
	ProtocolHTTP = "http/protobuf"
	ProtocolGRPC = "grpc"
)

// Telemetry defaults.
const (
	DefaultServiceName  = "loyalhub"
	DefaultOTLPProtocol = ProtocolHTTP
	DefaultSampleRatio  = 1.0
)

// Telemetry is the export of OpenTelemetry traces: a span for each webhook,
// stage, BSP call and delivery report, carried across the queue and the
// outbox (docs/tracing.md). With no OTLP endpoint nothing is exported and
// the tracer is a no-op.
//
// The standard OTEL_EXPORTER_OTLP_* variables (ENDPOINT, TRACES_ENDPOINT,
// PROTOCOL, TRACES_PROTOCOL, HEADERS, TRACES_HEADERS) and OTEL_SERVICE_NAME
// fill the keys the file leaves unset.
type Telemetry struct {
	// ServiceName is the service.name of the spans. Default "loyalhub".
	ServiceName string `koanf:"service_name"`
	// SampleRatio is the share of new traces recorded, from 0 to 1; a
	// webhook carrying a traceparent follows its caller's decision.
	// Default 1.
	SampleRatio float64 `koanf:"sample_ratio"`
	OTLP        OTLP    `koanf:"otlp"`
}

// OTLP is the collector the spans are exported to.
type OTLP struct {
	// Endpoint is the collector's URL, http:// (plain) or https://. A URL
	// without a path is a base: OTLP/HTTP posts to its /v1/traces. Default
	// empty: no export.
	Endpoint string `koanf:"endpoint"`
	// Protocol is http/protobuf or grpc. Default http/protobuf.
	Protocol string `koanf:"protocol"`
	// Headers are sent with every export (an API key of a hosted
	// collector).
	Headers map[string]string `koanf:"headers"`
}

// Enabled reports whether spans are exported.
func (t Telemetry) Enabled() bool { return t.OTLP.Endpoint != "" }

// ApplyDefaults fills the telemetry's zero values; a sample ratio written
// as 0 is restored by the loader.
func (t *Telemetry) ApplyDefaults() {
	setString(&t.ServiceName, DefaultServiceName)
	setString(&t.OTLP.Protocol, DefaultOTLPProtocol)
	if t.SampleRatio == 0 {
		t.SampleRatio = DefaultSampleRatio
	}
}

// ApplyEnv fills the keys left unset from the standard OpenTelemetry
// variables in env: the traces-only ones win over the general ones.
func (t *Telemetry) ApplyEnv(env map[string]string) {
	first := func(names ...string) string {
		for _, n := range names {
			if v := strings.TrimSpace(env[n]); v != "" {
				return v
			}
		}
		return ""
	}
	setString(&t.ServiceName, first("OTEL_SERVICE_NAME"))
	if t.OTLP.Endpoint == "" {
		if v := first("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); v != "" {
			t.OTLP.Endpoint = v
		} else if v := first("OTEL_EXPORTER_OTLP_ENDPOINT"); v != "" {
			// The general variable is a base URL: the traces' path is
			// added to it.
			t.OTLP.Endpoint = strings.TrimRight(v, "/")
		}
	}
	setString(&t.OTLP.Protocol, first("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"))
	if len(t.OTLP.Headers) == 0 {
		for _, kv := range strings.Split(first("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS"), ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				continue
			}
			k, _ = url.QueryUnescape(strings.TrimSpace(k))
			v, _ = url.QueryUnescape(strings.TrimSpace(v))
			if t.OTLP.Headers == nil {
				t.OTLP.Headers = map[string]string{}
			}
			t.OTLP.Headers[k] = v
		}
	}
}

func (t Telemetry) validate(v *validator) {
	v.required("telemetry.service_name", t.ServiceName)
	if t.SampleRatio < 0 || t.SampleRatio > 1 {
		v.add("telemetry.sample_ratio", "must be between 0 and 1, got %g", t.SampleRatio)
	}
	v.oneOf("telemetry.otlp.protocol", t.OTLP.Protocol, ProtocolHTTP, ProtocolGRPC)
	if t.OTLP.Endpoint != "" {
		u, err := url.Parse(t.OTLP.Endpoint)
		switch {
		case err != nil:
			v.add("telemetry.otlp.endpoint", "%q is not a URL: %v", t.OTLP.Endpoint, err)
		case u.Scheme != "http" && u.Scheme != "https":
			v.add("telemetry.otlp.endpoint", "%q must start with http:// or https://", t.OTLP.Endpoint)
		case u.Host == "":
			v.add("telemetry.otlp.endpoint", "%q names no host", t.OTLP.Endpoint)
		}
	}
	for k := range t.OTLP.Headers {
		if strings.TrimSpace(k) == "" || strings.ContainsAny(k, " :\r\n") {
			v.add("telemetry.otlp.headers", "%q is not a header name", k)
		}
	}
}
