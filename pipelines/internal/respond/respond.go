// Package respond writes the hub's JSON answers over HTTP: the webhook
// endpoints', the admin API's and the health checks', in one shape.
package respond

import (
	"encoding/json"
	"net/http"
)

// JSON answers with code and v as JSON, and returns code (for the
// callers that count answers by status).
func JSON(w http.ResponseWriter, code int, v any) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
	return code
}

// Error answers with code and {"error": msg}, and returns code.
func Error(w http.ResponseWriter, code int, msg string) int {
	return JSON(w, code, map[string]string{"error": msg})
}
