// Package deploy holds what runs loyalhub outside a developer's machine:
// the Dockerfile (with the .dockerignore at the repository root, its build
// context), the compose file (loyalhub, PostgreSQL, NATS), the Helm chart,
// the Grafana dashboard, the systemd unit and example configurations. Its
// tests check their structure, render the chart with Helm's engine, check
// the dashboard's queries against the hub's metrics and run the image's
// defaults with the binary, since neither a container engine nor a cluster
// is always at hand where the tests run.
package deploy
