package integratoriotest_test

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
)

// coverageRow is one endpoint of docs/coverage.md.
type coverageRow struct {
	method, path, call string
	served             bool
}

var coverageTotals = regexp.MustCompile(`Documented endpoints: (\d+) · typed by the SDK: (\d+) · served by the fake: (\d+)`)

// readCoverage parses the table and the totals of docs/coverage.md.
func readCoverage(t *testing.T) (rows []coverageRow, totals [3]int) {
	t.Helper()
	b, err := os.ReadFile("../docs/coverage.md")
	require.NoError(t, err)
	m := coverageTotals.FindSubmatch(b)
	require.NotNil(t, m, "docs/coverage.md states its totals")
	for i := range totals {
		totals[i], _ = strconv.Atoi(string(m[i+1]))
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), "|")
		require.Len(t, cells, 4, "row %q", line)
		for i := range cells {
			cells[i] = strings.Trim(strings.TrimSpace(cells[i]), "`")
		}
		require.Contains(t, []string{"yes", "no"}, cells[3], "row %q", line)
		rows = append(rows, coverageRow{cells[0], cells[1], cells[2], cells[3] == "yes"})
	}
	return rows, totals
}

// coverageIDs fill the path parameters of docs/coverage.md.
var coverageIDs = strings.NewReplacer(
	"{id}", "0123456789abcdef01234567", "{rid}", "1123456789abcdef01234567",
	"{lid}", "2123456789abcdef01234567", "{cid}", "3123456789abcdef01234567",
	"{step}", "4123456789abcdef01234567", "{key}", "k", "{type}", "imports",
)

// Every SDK call docs/coverage.md names exists, every endpoint it says the
// fake serves has a route there (and every one it says it does not, has
// none), and its totals count its rows: the file cannot go stale silently.
func TestCoverageDocumentMatchesTheSDKAndTheFake(t *testing.T) {
	t.Parallel()
	rows, totals := readCoverage(t)
	require.NotEmpty(t, rows)
	srv := newServer(t)
	c := srv.Client()
	cv := reflect.ValueOf(c).Elem()
	seen := map[string]bool{}
	typed, served := 0, 0
	for _, r := range rows {
		key := r.method + " " + r.path
		assert.False(t, seen[key], "%s is listed twice", key)
		seen[key] = true
		if r.call != "—" {
			typed++
			svc, method, ok := strings.Cut(r.call, ".")
			require.True(t, ok, "%s: %q is not Service.Method", key, r.call)
			if svc == "Client" {
				_, ok = reflect.TypeOf(c).MethodByName(method)
			} else if f := cv.FieldByName(svc); f.IsValid() {
				_, ok = f.Type().MethodByName(method)
			} else {
				ok = false
			}
			assert.True(t, ok, "%s: the SDK has no %s", key, r.call)
		}
		if r.served {
			served++
		}
		var body io.Reader
		if r.method != http.MethodGet && r.method != http.MethodDelete {
			body = strings.NewReader("{}")
		}
		req, err := http.NewRequest(r.method, srv.URL+coverageIDs.Replace(r.path), body)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.HTTPClient().Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		routed := !bytes.Contains(b, []byte("no route for"))
		assert.Equal(t, r.served, routed, "%s: docs/coverage.md says served=%v; the fake answered %d %s", key, r.served, resp.StatusCode, b)
	}
	assert.Equal(t, [3]int{len(rows), typed, served}, totals, "the totals at the top of docs/coverage.md")
	_ = integratorio.ErrNotFound
}
