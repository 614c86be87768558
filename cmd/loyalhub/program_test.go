package main

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProgramTestPassesOnTheShippedExamples(t *testing.T) {
	examples := []struct {
		file  string
		cases int
	}{
		{file: "coffee-chain.test.yaml", cases: 16},
		{file: "fashion-retailer.test.yaml", cases: 12},
	}
	for _, ex := range examples {
		t.Run(ex.file, func(t *testing.T) {
			// Secrets the configs reference are not needed: placeholders
			// stand in for them.
			out, stderr, err := runCLI(t, nil, "program", "test", filepath.Join("..", "..", "deploy", "examples", ex.file))
			require.NoError(t, err, "%s%s", out, stderr)
			assert.NotContains(t, out, "FAIL")
			assert.Contains(t, out, "PASS  ")
			assert.Contains(t, out, fmt.Sprintf("%d passed, 0 failed", ex.cases))
		})
	}
}

func TestProgramTestFailsAndNamesTheMismatch(t *testing.T) {
	tests := []struct {
		name string
		args []string
		out  []string
		err  []string
	}{
		{
			name: "failing cases",
			args: []string{filepath.Join("testdata", "failing.test.yaml")},
			out: []string{
				"PASS  a sale earns the welcome bonus and its points\n",
				"FAIL  a sale rounds its points half up\n      balance: want 46, got 45\n",
				"FAIL  a refund of an unknown order\n      step 2 (order.refunded): order not found: A9\n",
				"1 passed, 2 failed\n",
			},
		},
		{
			name: "a file that cannot be loaded",
			args: []string{filepath.Join("testdata", "missing.test.yaml"), filepath.Join("..", "..", "deploy", "examples", "coffee-chain.test.yaml")},
			out:  []string{"16 passed, 0 failed, 1 file(s) could not be loaded\n"},
			err:  []string{"ERROR " + filepath.Join("testdata", "missing.test.yaml") + "\n", "no such file or directory"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, err := runCLI(t, nil, append([]string{"program", "test"}, tt.args...)...)
			require.Error(t, err)
			for _, want := range tt.out {
				assert.Contains(t, out, want)
			}
			for _, want := range tt.err {
				assert.Contains(t, stderr, want)
			}
		})
	}
}

func TestProgramTestNeedsAFile(t *testing.T) {
	_, _, err := runCLI(t, nil, "program", "test")
	require.ErrorContains(t, err, "requires at least 1 arg")
}
