package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The templates file shipped for a sandbox run on its own holds the
// template the demo's notification sends, with as many body parameters.
func TestShippedSandboxTemplatesFitTheDemo(t *testing.T) {
	ts, err := readSandboxTemplates(filepath.Join("..", "..", "deploy", "examples", "demo-templates.json"))
	require.NoError(t, err)
	require.Len(t, ts, 1)
	assert.Equal(t, "points_earned", ts[0].Name)
	assert.Equal(t, "en", ts[0].Language)
	assert.Len(t, ts[0].BodyParams, 3)
}
