package respond

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestErrorAnswersJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	code := Error(rec, http.StatusUnauthorized, "bad signature")
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	assert.JSONEq(t, `{"error":"bad signature"}`, rec.Body.String())
}

func TestJSONEncodesTheValue(t *testing.T) {
	rec := httptest.NewRecorder()
	JSON(rec, http.StatusOK, map[string]int{"members": 3})
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"members":3}`, rec.Body.String())
}
