// Command integratorio-fake serves a fake integrator.io API on this machine,
// for trying the API with curl or Postman and for tests written in any
// language.
//
//	go run ./cmd/integratorio-fake -addr 127.0.0.1:8080 -token dev-token [-load dir]
//
// It serves every endpoint of package integratoriotest under /v1
// (integrations, connections with their pings, exports with their
// invocations, imports, scripts, flows with their runs and errors, jobs,
// state, tokenInfo, the connector endpoints, lookup caches and their data,
// the audit log, revisions, template zips at signed URLs under /_signed/
// and the deploy endpoints), accepts only the given bearer token, and
// stops cleanly on SIGINT or SIGTERM. Nothing is kept after it stops.
//
// Flags:
//
//	-addr host:port   where to listen (default 127.0.0.1:8080; port 0 picks a free one)
//	-token string     the bearer token to accept (default "dev-token")
//	-load dir         store the documents of dir at start, and seed behaviour
//	                  (see "The -load folder" below)
//	-page-size n      records per list page before a Link rel="next" (default 1000)
//	-clone-response   "document" (default) or "created": the shape of a clone's answer
//	-rate-limit-per-second r
//	                  limit each token as the real service does: a leaky bucket
//	                  draining r requests a second; over it, 429 with Retry-After
//	                  and the error code rate_limited (default 0: no limit)
//	-rate-limit-burst n
//	                  the bucket's size (default 1000, the real service's; the
//	                  real rate is 300)
//	-latency d        hold every answer for d, such as 200ms (default 0)
//	-fail-next spec   answer the next matching requests with a status, without
//	                  running them (repeatable)
//	-rate-limit-next spec
//	                  answer the next matching requests 429 rate_limited (repeatable)
//	-drop-next spec   run the next matching requests, then close the connection
//	                  without answering (repeatable)
//	-tls              serve HTTPS with a new self-signed certificate, valid for
//	                  localhost, 127.0.0.1, ::1, the -addr host, this machine's
//	                  host name and -tls-hosts
//	-tls-hosts names  more comma-separated host names (or IP addresses) for the
//	                  -tls certificate, such as the CI service name clients use
//	-tls-cert-out file
//	                  write the -tls certificate (PEM) to file before serving,
//	                  for clients to trust
//	-quiet            do not log each request
//
// The -load folder holds one subfolder per resource (integrations/,
// connections/, exports/, imports/, scripts/, flows/, jobs/), each of
// *.json files of one document or an array (*.json files directly in the
// folder are integrations), and these subfolders, where each file's name
// less .json is an id:
//
//	flowErrors/{flowID}/{stepID}.json  open errors of a step of a flow: an array of
//	                                   error objects ({"code","message","source",
//	                                   "retryDataKey",...}), or one object
//	runScripts/{flowID}.json           how the flow's runs go: {"status":"failed",
//	                                   "numSuccess":1,"numError":2,"numIgnore":0,"stall":false}
//	pingAnswers/{connectionID}.json    how the connection's pings answer:
//	                                   {"status":200,"code":401,"errors":[{"code","message"}]}
//	invokeAnswers/{exportID}.json      what invoking the export answers: any JSON value
//
// The flow of flow errors must be loaded with its _id (or the errors are
// refused). Other folders are not read: each gets a warning on stderr.
//
// To reach the fake by host name from another machine or container (a
// CI service), start it with -addr 0.0.0.0:8080 -tls -tls-hosts NAME
// -tls-cert-out FILE and make the client trust FILE: the SDK, like most
// clients, talks plain http only to loopback hosts.
//
// A fault's spec is words separated by spaces, in any order:
//
//	STATUS       -fail-next only, and required there: the status to answer, 200 to 599
//	RETRY-AFTER  -rate-limit-next only: a duration such as 2s, sent as Retry-After
//	             in whole seconds, rounded up (absent: no Retry-After header)
//	xN           how many matching requests the fault applies to (default x1)
//	METHOD       only requests with this method: GET, POST, PUT, PATCH, DELETE, HEAD
//	             or OPTIONS, in any case
//	/PATH        only requests whose path, relative to /v1, matches this
//	             path.Match pattern, such as /integrations/* (a leading /v1 is
//	             taken off; * does not match /)
//
// for instance
//
//	-fail-next '503 x2 PUT /integrations/*'   the next two PUTs to an integration get 503
//	-rate-limit-next '2s GET'                 the next GET gets 429 with Retry-After: 2
//	-drop-next 'POST /integrations'           the next create is stored, but not answered
//
// Faults are kept in the order given; each request is subject to the first
// one it matches. They apply before the rate limit, like a proxy in front
// of the API: a request a fault answers is not counted.
//
// The control API, under /_fake beside /v1, lets a test add faults and read
// the request log while the command runs:
//
//	POST   /_fake/faults          add a fault; answers {"pendingFaults":N}
//	DELETE /_fake/faults          remove every pending fault; 204
//	GET    /_fake/requests        the request log, oldest first, as a JSON array of
//	                              {"method","path","query","header","body","status","dropped"}
//	                              ("bodyBase64" for a body that is not UTF-8), which
//	                              decodes with encoding/json into []integratoriotest.Request
//	POST   /_fake/reset-requests  forget the request log; 204
//	GET    /_fake/stats           {"pendingFaults":N,"rateLimited":N}
//	POST   /_fake/flows/{flowID}/{stepID}/errors
//	                              add open errors to a step: an array of error objects; 204
//	PUT    /_fake/flows/{flowID}/runs
//	                              how the flow's runs go: a run script as in runScripts/; 204
//	PUT    /_fake/connections/{id}/ping
//	                              how the connection's pings answer, as in pingAnswers/; 204
//	PUT    /_fake/exports/{id}/invoke
//	                              what invoking the export answers, any JSON value
//	                              (an empty body restores the default); 204
//
// where a fault is a JSON object such as
//
//	{"kind":"fail","status":503,"n":2,"method":"PUT","path":"/integrations/*"}
//	{"kind":"rate-limit","retryAfter":"2s"}
//	{"kind":"drop","method":"POST","path":"/integrations"}
//
// ("n" defaults to 1; "retryAfter" is a duration string or a number of
// seconds). The control API requires the same bearer token as the API,
// since the command may listen beyond loopback. Its requests escape the
// faults, the rate limit and the latency, and are neither in the request
// log nor logged: the log holds only what clients of the API did. The
// request log keeps the last 1000 requests.
package main

import (
	"context"
	"os"

	"github.com/integratorio-go/integratorio/internal/fakecli"
)

func main() {
	os.Exit(fakecli.Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
