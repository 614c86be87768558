package pipelines_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// adminSend sends a JSON body (none when nil) to the admin API and
// returns the status and the answer's body.
func (h *harness) adminSend(method, path string, body any) (int, []byte) {
	h.t.Helper()
	code, out, _ := h.adminDo(method, path, body)
	return code, out
}

// adminDo is adminSend with the answer's header.
func (h *harness) adminDo(method, path string, body any) (int, []byte, http.Header) {
	h.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(h.t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, h.url+"/api/v1/tenants/acme"+path, r)
	require.NoError(h.t, err)
	req.Header.Set("Authorization", "Bearer "+testAdmin)
	resp, err := h.client.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	return resp.StatusCode, out, resp.Header
}

type previewBody struct {
	Count  int64 `json:"count"`
	Sample []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"sample"`
	Scanned int64 `json:"scanned"`
}

func TestSegmentsSavePreviewAndExport(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	require.Equal(t, http.StatusOK, h.postSale(sale("SEG-1", "081234560201", "Ani", "500000")))
	require.Equal(t, http.StatusOK, h.postSale(sale("SEG-2", "081234560202", "Budi", "20000")))
	eventually(t, "both members", func() bool {
		return h.admin(http.MethodGet, "/members?phone=081234560201", nil) == http.StatusOK &&
			h.admin(http.MethodGet, "/members?phone=081234560202", nil) == http.StatusOK
	})

	code, body := h.adminSend(http.MethodPut, "/segments/big-spenders",
		map[string]string{"description": "Spent over 100,000 this month", "condition": `spend(30) > 100000`})
	require.Equal(t, http.StatusOK, code, string(body))
	var saved struct {
		Name  string `json:"name"`
		Needs struct {
			Windows []int `json:"windows"`
		} `json:"needs"`
	}
	require.NoError(t, json.Unmarshal(body, &saved))
	assert.Equal(t, "big-spenders", saved.Name)
	assert.Equal(t, []int{30}, saved.Needs.Windows, "the facts the condition reads")

	for path, c := range map[string]struct{ condition, want string }{
		"/segments/big-spenders": {`spend(30) >`, "condition: "},
		"/segments/Big":          {`true`, "name: "},
		"/segments/lapsed":       {`spend(balance) > 1`, "spend takes a number of days"},
	} {
		code, body := h.adminSend(http.MethodPut, path, map[string]string{"condition": c.condition})
		assert.Equal(t, http.StatusBadRequest, code, path)
		assert.Contains(t, string(body), c.want, path)
	}

	var list struct {
		Segments []struct {
			Name, Condition string
		} `json:"segments"`
	}
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/segments", &list))
	require.Len(t, list.Segments, 1)
	assert.Equal(t, `spend(30) > 100000`, list.Segments[0].Condition, "a refused save changed nothing")
	assert.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/segments/big-spenders", nil))
	assert.Equal(t, http.StatusNotFound, h.admin(http.MethodGet, "/segments/nope", nil))

	var p previewBody
	code, body = h.adminSend(http.MethodPost, "/segments/preview?name=big-spenders", nil)
	require.Equal(t, http.StatusOK, code, string(body))
	require.NoError(t, json.Unmarshal(body, &p))
	assert.EqualValues(t, 1, p.Count)
	require.Len(t, p.Sample, 1)
	assert.Equal(t, "Ani", p.Sample[0].Name)

	code, body = h.adminSend(http.MethodPost, "/segments/preview?sample=1", map[string]string{"condition": `orders > 0 && balance > 0`})
	require.Equal(t, http.StatusOK, code, string(body))
	p = previewBody{}
	require.NoError(t, json.Unmarshal(body, &p))
	assert.EqualValues(t, 2, p.Count)
	assert.EqualValues(t, 2, p.Scanned)
	assert.Len(t, p.Sample, 1, "the sample size asked for")

	for _, c := range []struct {
		path string
		body any
		code int
	}{
		{"/segments/preview", map[string]string{"condition": `tier ==`}, http.StatusBadRequest},
		{"/segments/preview?sample=0", map[string]string{"condition": `true`}, http.StatusBadRequest},
		{"/segments/preview?name=nope", nil, http.StatusNotFound},
	} {
		code, body := h.adminSend(http.MethodPost, c.path, c.body)
		assert.Equal(t, c.code, code, "%s: %s", c.path, body)
	}

	code, body, header := h.adminDo(http.MethodGet, "/segments/big-spenders/members", nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "text/csv; charset=utf-8", header.Get("Content-Type"))
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, []string{"id", "phone", "name", "email", "tier", "balance", "store", "city", "language", "tags"}, rows[0])
	assert.Equal(t, []string{"+6281234560201", "Ani"}, rows[1][1:3])

	var exported []struct {
		Name    string `json:"name"`
		Balance int64  `json:"balance"`
	}
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/segments/big-spenders/members?format=json", &exported))
	require.Len(t, exported, 1)
	assert.Equal(t, "Ani", exported[0].Name)
	assert.Equal(t, http.StatusBadRequest, h.admin(http.MethodGet, "/segments/big-spenders/members?format=xml", nil))
	assert.Equal(t, http.StatusNotFound, h.admin(http.MethodGet, "/segments/nope/members", nil))

	code, _ = h.adminSend(http.MethodDelete, "/segments/big-spenders", nil)
	assert.Equal(t, http.StatusNoContent, code)
	code, _ = h.adminSend(http.MethodDelete, "/segments/big-spenders", nil)
	assert.Equal(t, http.StatusNotFound, code)
}
