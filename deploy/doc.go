// Package deploy holds what runs loyalhub outside a developer's machine:
// the Dockerfile (with the .dockerignore at the repository root, its build
// context), the compose file (loyalhub, PostgreSQL, NATS), the Helm chart,
// the systemd unit and example configurations. Its tests check their
// structure and run the image's defaults with the binary, since a
// container engine is not always at hand where the tests run.
package deploy
