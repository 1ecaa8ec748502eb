package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/integratorio-go/integratorio"
)

// benchToken is the API token both sides send; the server checks it.
const benchToken = "bench-fake-token"

// seedID is the id of the SmartConnector sample document.
const seedID = "123ab456c789de1011fg12h13i"

// seedDoc is the SmartConnector integration from the API documentation's
// "get a specific SmartConnector integration" sample, as printed there.
const seedDoc = `{
"_id": "123ab456c789de1011fg12h13i",
"lastModified": "2017-09-15T10:55:15.675Z",
"name": "BigCommerce - NetSuite Connector",
"_connectorId": "56fd5ad0945g2345c4e678aca76",
"install": [
{
"name": "NetSuite Connection",
"description": "Configure NetSuite account credentials",
"imageURL": "/images/company-logos/netsuite.png",
"completed": false,
"installerFunction": "verifyNetSuiteConnection",
"uninstallerFunction": "deleteNetSuiteConnection",
"_connectionId": "56fd5ad0945g2345c4e678aca76"
},
{
"name": "BigCommerce Connection",
"description": "Configure BigCommerce store credentials",
"imageURL": "/images/company-logos/BigCommerce.png",
"completed": false,
"installerFunction": "verifyBigCommerceConnection",
"uninstallerFunction": "deleteBigCommerceConnection",
"_connectionId": "56fd5ad0945g2345c4e678aca76"
},
{
"name": "Integrator Bundle",
"description": "Install Integrator Bundle in NetSuite",
"imageURL": "/images/company-logos/netsuite.png",
"installURL": "",
"completed": false,
"installerFunction": "verifyIntegratorBundleInstallation",
"uninstallerFunction": "uninstallVerifyIntegratorBundle"
},
{
"name": "BigCommerce Bundle",
"description": "Install BigCommerce Bundle in NetSuite",
"imageURL": "/images/company-logos/netsuite.png",
"installURL": "",
"completed": false,
"installerFunction": "verifyBigCommerceBundleInstallation",
"uninstallerFunction": "uninstallVerifyBigCommerceBundle"
}
],
"mode": "install",
"settings": {
"sections": [
{
"temp": "remove_me"
}
],
"commonresources": {
"genericExportApiIdentifier": "e7654358b7",
"bigcommerceConnectionId": "56fd5ad09a67g564e678aca76",
"netsuiteConnectionId": "56fd5ad09a67g56412gh23a5"
}
},
"version": "1.0.1"
}`

// minimalID is the id of a document with only an id and a name, which
// leaves JSON decoding out of the cost of a request.
const minimalID = "5e8f1c2a9b3d4e0012a7c9f0"

// minimalDoc is the document answered for minimalID.
const minimalDoc = `{"_id":"5e8f1c2a9b3d4e0012a7c9f0","name":"Minimal"}`

// richID is the id of the document the Update benchmark writes.
const richID = "5e8f1c2a9b3d4e0012a7c9f1"

// richDoc is an installed SmartConnector integration carrying many members
// the SDK does not type (flow groupings, aliases, hooks, a settings form,
// licensing, nested install-step state), as the API returns them.
const richDoc = `{
  "_id": "5e8f1c2a9b3d4e0012a7c9f1",
  "lastModified": "2024-03-18T09:41:27.512Z",
  "createdAt": "2021-06-02T14:03:55.120Z",
  "name": "Shopify - NetSuite Connector",
  "description": "Syncs orders, customers, items, inventory and fulfillments between Shopify and NetSuite.",
  "readme": "## Operations\nOrders sync every 15 minutes. Inventory syncs hourly.\n\nContact the integration team before changing the order flow's mappings.",
  "mode": "settings",
  "version": "1.42.3",
  "updateInProgress": false,
  "_connectorId": "5b61ae4aeb538642c26bdbe6",
  "_templateId": "5c1b2a3d4e5f60718293a4b5",
  "sandbox": false,
  "tag": "Production store",
  "_registeredConnectionIds": ["5e8f1c2a9b3d4e0012a7c9a1", "5e8f1c2a9b3d4e0012a7c9a2", "5e8f1c2a9b3d4e0012a7c9a3"],
  "install": [
    {"name": "NetSuite Connection", "description": "Configure NetSuite account credentials", "imageURL": "/images/company-logos/netsuite.png", "completed": true, "installerFunction": "verifyNetSuiteConnection", "uninstallerFunction": "deleteNetSuiteConnection", "_connectionId": "5e8f1c2a9b3d4e0012a7c9a1", "type": "connection", "isCurrentStep": false, "sourceConnection": {"type": "netsuite", "name": "NetSuite Connection", "netsuite": {"authType": "token-auto"}}, "_stackId": null},
    {"name": "Shopify Connection", "description": "Configure Shopify store credentials", "imageURL": "/images/company-logos/shopify.png", "completed": true, "installerFunction": "verifyShopifyConnection", "uninstallerFunction": "deleteShopifyConnection", "_connectionId": "5e8f1c2a9b3d4e0012a7c9a2", "type": "connection", "isCurrentStep": false, "sourceConnection": {"type": "http", "name": "Shopify Connection", "http": {"formType": "assistant", "baseURI": "https://store.myshopify.com/admin/api/2024-01"}}},
    {"name": "Integrator Bundle", "description": "Install Integrator Bundle in NetSuite", "imageURL": "/images/company-logos/netsuite.png", "installURL": "https://system.netsuite.com/app/bundler/bundledetails.nl?sourcecompanyid=TSTDRV1234567&id=20038", "completed": true, "installerFunction": "verifyIntegratorBundleInstallation", "uninstallerFunction": "uninstallVerifyIntegratorBundle", "type": "installPackage", "installPackageStatus": {"bundleId": 20038, "installedVersion": "1.21.0.4"}},
    {"name": "Shopify Bundle", "description": "Install Shopify Bundle in NetSuite", "imageURL": "/images/company-logos/netsuite.png", "installURL": "https://system.netsuite.com/app/bundler/bundledetails.nl?sourcecompanyid=TSTDRV1234567&id=20039", "completed": true, "installerFunction": "verifyShopifyBundleInstallation", "uninstallerFunction": "uninstallVerifyShopifyBundle", "type": "installPackage", "installPackageStatus": {"bundleId": 20039, "installedVersion": "1.42.0.1"}}
  ],
  "uninstallSteps": [
    {"name": "Uninstall Shopify Bundle", "description": "Remove the Shopify bundle from NetSuite", "completed": false, "uninstallerFunction": "uninstallShopifyBundle", "type": "url", "url": "https://system.netsuite.com/app/bundler/installedbundlelist.nl"}
  ],
  "settings": {
    "general": {"storeName": "acme-outdoor", "timezone": "America/Los_Angeles", "currency": "USD", "multiCurrency": false, "subsidiary": {"id": "1", "name": "Parent Company"}},
    "sections": [
      {"title": "Order", "flows": [{"_id": "5e8f1c2a9b3d4e0012a7d001", "showMapping": true, "showSchedule": true}, {"_id": "5e8f1c2a9b3d4e0012a7d002", "showMapping": true, "showSchedule": false}], "fields": [{"label": "Order prefix", "name": "shopify_order_prefix", "type": "text", "value": "SHOP-"}, {"label": "Import orders since", "name": "shopify_order_since", "type": "date", "value": "2021-06-01"}]},
      {"title": "Inventory", "flows": [{"_id": "5e8f1c2a9b3d4e0012a7d003", "showMapping": true, "showSchedule": true}], "fields": [{"label": "Locations", "name": "ns_locations", "type": "multiselect", "value": ["1", "3", "7"]}, {"label": "Buffer stock", "name": "buffer", "type": "number", "value": 2}]}
    ],
    "commonresources": {"genericExportApiIdentifier": "e7654358b7", "shopifyConnectionId": "5e8f1c2a9b3d4e0012a7c9a2", "netsuiteConnectionId": "5e8f1c2a9b3d4e0012a7c9a1", "savedSearchIds": [1201, 1202, 1207]},
    "storemap": [{"shopifyStoreId": "acme-outdoor", "nsSubsidiary": "1", "priceLevel": "Base Price", "locationMap": {"gid://shopify/Location/1": "1", "gid://shopify/Location/2": "3"}}]
  },
  "flowGroupings": [
    {"_id": "5e8f1c2a9b3d4e0012a7e001", "name": "Orders"},
    {"_id": "5e8f1c2a9b3d4e0012a7e002", "name": "Inventory"},
    {"_id": "5e8f1c2a9b3d4e0012a7e003", "name": "Customers"}
  ],
  "aliases": [
    {"alias": "shopify", "_connectionId": "5e8f1c2a9b3d4e0012a7c9a2", "description": "Primary store"},
    {"alias": "netsuite", "_connectionId": "5e8f1c2a9b3d4e0012a7c9a1"}
  ],
  "preSave": {"function": "preSaveSettings", "_scriptId": "5e8f1c2a9b3d4e0012a7f001"},
  "settingsForm": {"form": {"fieldMap": {"storeName": {"id": "storeName", "name": "storeName", "type": "text", "label": "Store name", "required": true}, "timezone": {"id": "timezone", "name": "timezone", "type": "select", "label": "Time zone", "options": [{"items": ["America/Los_Angeles", "America/New_York", "Europe/London"]}]}}, "layout": {"fields": ["storeName", "timezone"]}}, "init": {"function": "initSettingsForm", "_scriptId": "5e8f1c2a9b3d4e0012a7f002"}},
  "installSteps": [],
  "_sourceId": "5d9e8f7a6b5c4d3e2f1a0b9c",
  "_parentId": null,
  "draft": false,
  "initChild": {"function": "initChild", "_scriptId": "5e8f1c2a9b3d4e0012a7f003"},
  "childDisplayName": "Store",
  "licenseExpires": "2026-06-01T00:00:00.000Z",
  "licenseEdition": "premium",
  "maxStores": 5,
  "changeEditionSteps": [],
  "installedBy": {"_userId": "5a1b2c3d4e5f607182930a1b", "email": "ops@example.com"},
  "updateHistory": [
    {"version": "1.41.0", "at": "2023-11-02T08:00:00.000Z", "status": "done"},
    {"version": "1.42.3", "at": "2024-03-18T09:41:27.000Z", "status": "done"}
  ],
  "notes": null,
  "ratio": 0.875
}`

// listDoc returns the JSON of integration i of a listing: about 2 KB, with
// the typed members (some optional), members the SDK does not type, and
// variation from a generator seeded by i so that every document differs.
func listDoc(i int) []byte {
	r := rand.New(rand.NewPCG(uint64(i), 0x5eed))
	id := fmt.Sprintf("5e8f1c2a%016x", i)
	hex := func() string { return fmt.Sprintf("%08x%016x", r.Uint32(), r.Uint64()) }
	stores := [...]string{"Shopify", "BigCommerce", "Salesforce", "Amazon", "Magento", "Zendesk", "HubSpot"}
	store := stores[r.IntN(len(stores))]
	modified := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(400*24*3600)) * time.Second)

	type step struct {
		Name                string          `json:"name"`
		Description         string          `json:"description"`
		ImageURL            string          `json:"imageURL"`
		Completed           bool            `json:"completed"`
		InstallerFunction   string          `json:"installerFunction,omitempty"`
		UninstallerFunction string          `json:"uninstallerFunction,omitempty"`
		ConnectionID        string          `json:"_connectionId,omitempty"`
		Type                string          `json:"type"`
		IsCurrentStep       bool            `json:"isCurrentStep"`
		SourceConnection    json.RawMessage `json:"sourceConnection,omitempty"`
	}
	type group struct {
		ID   string `json:"_id"`
		Name string `json:"name"`
	}
	doc := struct {
		ID               string          `json:"_id"`
		LastModified     time.Time       `json:"lastModified"`
		CreatedAt        time.Time       `json:"createdAt"`
		Name             string          `json:"name"`
		Description      string          `json:"description"`
		Readme           string          `json:"readme,omitempty"`
		Mode             string          `json:"mode"`
		Version          string          `json:"version,omitempty"`
		UpdateInProgress bool            `json:"updateInProgress"`
		ConnectorID      string          `json:"_connectorId,omitempty"`
		TemplateID       string          `json:"_templateId,omitempty"`
		Sandbox          bool            `json:"sandbox"`
		Tag              string          `json:"tag,omitempty"`
		Install          []step          `json:"install,omitempty"`
		InstallSteps     []step          `json:"installSteps,omitempty"`
		Settings         json.RawMessage `json:"settings,omitempty"`
		Registered       []string        `json:"_registeredConnectionIds"`
		FlowGroupings    []group         `json:"flowGroupings"`
		SourceID         string          `json:"_sourceId"`
		Draft            bool            `json:"draft"`
		PreSave          json.RawMessage `json:"preSave"`
		InstalledBy      json.RawMessage `json:"installedBy"`
		LicenseEdition   string          `json:"licenseEdition"`
		MaxFlows         int             `json:"maxFlows"`
		Ratio            float64         `json:"ratio"`
		ParentID         *string         `json:"_parentId"`
		Aliases          json.RawMessage `json:"aliases,omitempty"`
	}{
		ID:           id,
		LastModified: modified,
		CreatedAt:    modified.Add(-time.Duration(r.IntN(900*24)) * time.Hour),
		Name:         fmt.Sprintf("%s - NetSuite Connector #%d", store, i),
		Description: fmt.Sprintf("Syncs orders, customers and inventory between %s and NetSuite for business unit %d. "+
			"Owned by the integrations team.", store, r.IntN(90)+10),
		Mode:           [...]string{"settings", "settings", "settings", "install"}[r.IntN(4)],
		Sandbox:        r.IntN(10) == 0,
		Registered:     []string{hex(), hex()},
		SourceID:       hex(),
		Draft:          r.IntN(5) == 0,
		PreSave:        json.RawMessage(fmt.Sprintf(`{"function":"preSave%d","_scriptId":%q}`, r.IntN(10), hex())),
		InstalledBy:    json.RawMessage(fmt.Sprintf(`{"_userId":%q,"email":"user%d@example.com"}`, hex(), r.IntN(1000))),
		LicenseEdition: [...]string{"starter", "standard", "premium"}[r.IntN(3)],
		MaxFlows:       r.IntN(200),
		Ratio:          float64(r.IntN(1000)) / 1000,
	}
	if r.IntN(3) > 0 {
		doc.Readme = "Orders sync every 15 minutes; inventory hourly. Ask before changing mappings."
	}
	if r.IntN(4) > 0 { // a SmartConnector install
		doc.Version = fmt.Sprintf("1.%d.%d", r.IntN(50), r.IntN(10))
		doc.ConnectorID = hex()
		doc.Tag = fmt.Sprintf("store-%d", r.IntN(100))
		doc.Install = []step{
			{Name: "NetSuite Connection", Description: "Configure NetSuite account credentials", ImageURL: "/images/company-logos/netsuite.png",
				Completed: true, InstallerFunction: "verifyNetSuiteConnection", UninstallerFunction: "deleteNetSuiteConnection",
				ConnectionID: doc.Registered[0], Type: "connection", SourceConnection: json.RawMessage(`{"type":"netsuite","netsuite":{"authType":"token-auto"}}`)},
			{Name: store + " Connection", Description: "Configure " + store + " credentials", ImageURL: "/images/company-logos/" + strings.ToLower(store) + ".png",
				Completed: r.IntN(4) > 0, InstallerFunction: "verify" + store + "Connection", UninstallerFunction: "delete" + store + "Connection",
				ConnectionID: doc.Registered[1], Type: "connection", IsCurrentStep: r.IntN(2) == 0},
			{Name: "Integrator Bundle", Description: "Install Integrator Bundle in NetSuite", ImageURL: "/images/company-logos/netsuite.png",
				Completed: r.IntN(3) > 0, InstallerFunction: "verifyIntegratorBundleInstallation", UninstallerFunction: "uninstallVerifyIntegratorBundle", Type: "installPackage"},
		}
		doc.Settings = json.RawMessage(fmt.Sprintf(`{"general":{"storeName":"store-%d","timezone":"America/New_York"},`+
			`"sections":[{"title":"Order","flows":[{"_id":%q,"showMapping":true}]}],`+
			`"commonresources":{"netsuiteConnectionId":%q,"savedSearchIds":[%d,%d]}}`,
			r.IntN(1000), hex(), doc.Registered[0], r.IntN(5000), r.IntN(5000)))
	} else { // installed from a template, with the newer install steps
		doc.TemplateID = hex()
		doc.InstallSteps = []step{
			{Name: "NetSuite Connection", Description: "Set up the NetSuite connection", ImageURL: "/images/company-logos/netsuite.png",
				Completed: true, ConnectionID: doc.Registered[0], Type: "connection",
				SourceConnection: json.RawMessage(`{"type":"netsuite","name":"NetSuite"}`)},
			{Name: store + " Connection", Description: "Set up the " + store + " connection", ImageURL: "/images/company-logos/" + strings.ToLower(store) + ".png",
				Completed: r.IntN(4) > 0, ConnectionID: doc.Registered[1], Type: "connection", IsCurrentStep: r.IntN(2) == 0},
			{Name: "Integrator Bundle", Description: "Install the integrator.io bundle in NetSuite", ImageURL: "/images/company-logos/netsuite.png",
				Completed: r.IntN(3) > 0, Type: "installPackage"},
		}
		doc.Aliases = json.RawMessage(fmt.Sprintf(`[{"alias":"netsuite","_connectionId":%q},{"alias":%q,"_connectionId":%q,"description":"Store connection"}]`,
			doc.Registered[0], strings.ToLower(store), doc.Registered[1]))
	}
	for g := range 2 + r.IntN(3) {
		doc.FlowGroupings = append(doc.FlowGroupings, group{ID: hex(), Name: [...]string{"Orders", "Inventory", "Customers", "Fulfillment", "Returns"}[g]})
	}
	b, err := json.Marshal(&doc)
	if err != nil {
		panic(err)
	}
	return b
}

// fixture is the loopback API server the benchmarks talk to. Every answer
// is encoded before the server starts, so serving costs both sides the
// same.
type fixture struct {
	srv *httptest.Server
	// root is the API root, srv.URL + "/v1".
	root string

	seed, rich, minimal []byte
	pages               [][]byte
	links               [][]string // Link header value of each page, nil on the last
	perPage             int

	// conns counts the connections the server accepted.
	conns atomic.Int64

	// record makes the server keep the last PUT body (tests only).
	record  bool
	mu      sync.Mutex
	lastPut []byte

	// One client of each kind, shared by every benchmark that uses f.
	clientsOnce sync.Once
	sdk         *integratorio.Client
	sdkErr      error
	base        *baseClient
}

var jsonContentType = []string{"application/json"}

// newFixture starts a server listing nPages pages of perPage documents.
func newFixture(nPages, perPage int) *fixture {
	f := &fixture{seed: []byte(seedDoc), rich: []byte(richDoc), minimal: []byte(minimalDoc), perPage: perPage}
	for p := range nPages {
		buf := []byte{'['}
		for i := range perPage {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, listDoc(p*perPage+i)...)
		}
		f.pages = append(f.pages, append(buf, ']'))
	}
	f.srv = httptest.NewUnstartedServer(f)
	f.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.conns.Add(1)
		}
	}
	f.srv.Start()
	f.root = f.srv.URL + "/v1"
	f.links = make([][]string, nPages)
	for p := range nPages - 1 {
		f.links[p] = []string{fmt.Sprintf(`<%s/integrations?page=%d>; rel="next"`, f.root, p+2)}
	}
	return f
}

// clients returns the fixture's SDK client, built as a user would, and its
// hand-written baseline client.
func (f *fixture) clients(tb testing.TB) (*integratorio.Client, *baseClient) {
	tb.Helper()
	f.clientsOnce.Do(func() {
		f.sdk, f.sdkErr = integratorio.NewClient(benchToken, integratorio.WithBaseURL(f.root), integratorio.WithRateLimit(0, 0)) // measure the client, not the pacing
		f.base = newBaseClient(f.root, benchToken)
	})
	if f.sdkErr != nil {
		tb.Fatal(f.sdkErr)
	}
	return f.sdk, f.base
}

// Close stops the server.
func (f *fixture) Close() {
	if f.base != nil {
		f.base.hc.CloseIdleConnections()
	}
	f.srv.Close()
}

// totalDocs is how many documents the listing holds.
func (f *fixture) totalDocs() int { return len(f.pages) * f.perPage }

// ServeHTTP answers GET /v1/integrations[?page=N], GET of the seed and the
// minimal document, and PUT of the rich document; anything else is a 404.
func (f *fixture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+benchToken {
		http.Error(w, `{"message":"Unauthorized"}`, http.StatusUnauthorized)
		return
	}
	var body []byte
	h := w.Header()
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/integrations":
		page := 1
		if v, ok := strings.CutPrefix(r.URL.RawQuery, "page="); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > len(f.pages) {
				http.NotFound(w, r)
				return
			}
			page = n
		}
		body = f.pages[page-1]
		if l := f.links[page-1]; l != nil {
			h["Link"] = l
		}
	case r.Method == http.MethodGet && r.URL.Path == "/v1/integrations/"+seedID:
		body = f.seed
	case r.Method == http.MethodGet && r.URL.Path == "/v1/integrations/"+minimalID:
		body = f.minimal
	case r.Method == http.MethodPut && r.URL.Path == "/v1/integrations/"+richID:
		if f.record {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			f.mu.Lock()
			f.lastPut = b
			f.mu.Unlock()
		} else if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = f.rich
	default:
		http.NotFound(w, r)
		return
	}
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// lastPutBody returns the body of the last PUT when record is set.
func (f *fixture) lastPutBody() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastPut
}
