package bundle

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/integratorio-go/integratorio"
)

// The resource types a bundle holds, each a folder of its own.
const (
	typeIntegrations = "integrations"
	typeFlows        = "flows"
	typeExports      = "exports"
	typeImports      = "imports"
	typeScripts      = "scripts"
	typeConnections  = "connections"
)

// groupingPrefix starts a flow's reference to a grouping of the bundle's
// integration: "flowGroupings/<name>".
const groupingPrefix = "flowGroupings/"

// kind is what the engine needs of one resource type: its calls on the
// SDK, as raw JSON, and what the files leave out.
type kind struct {
	name  string // folder and ref prefix, e.g. "flows"
	model string // one document in messages, e.g. "flow"
	// volatile are the top-level members a file leaves out: read-only or
	// changing on their own.
	volatile []string
	// scoped: reconciliation lists the resource under its integration
	// (/integrations/{id}/<name>), which holds every flow of it. Other
	// resources are listed whole: what the API lists under an integration
	// for them is not documented.
	scoped bool

	get    func(ctx context.Context, c *integratorio.Client, id string) (json.RawMessage, error)
	create func(ctx context.Context, c *integratorio.Client, doc []byte) (json.RawMessage, error)
	update func(ctx context.Context, c *integratorio.Client, id string, doc []byte) (json.RawMessage, error)
	modify func(ctx context.Context, c *integratorio.Client, id string, fn func(json.RawMessage) ([]byte, error)) (json.RawMessage, error)
	list   func(ctx context.Context, c *integratorio.Client, integrationID string) ([]listed, error)
}

// listed is a record of a list, as reconciliation reads it.
type listed struct {
	ID            string    `json:"_id"`
	Name          string    `json:"name"`
	IntegrationID string    `json:"_integrationId"`
	CreatedAt     time.Time `json:"createdAt"`
}

// commonVolatile are left out of every file.
var commonVolatile = []string{"_id", "lastModified", "createdAt", "lastModifiedBy", "deletedAt", "_sourceId", "_templateId"}

var kinds = map[string]*kind{
	typeScripts: {
		name: typeScripts, model: "script",
		volatile: []string{"debugUntil"},
	},
	typeConnections: {
		name: typeConnections, model: "connection",
		volatile: []string{"offline", "queues", "queueSize", "debugDate", "_connectorId"},
	},
	typeExports: {
		name: typeExports, model: "export",
		volatile: []string{"apiIdentifier", "asynchronous", "debugUntil", "debugDate"},
	},
	typeImports: {
		name: typeImports, model: "import",
		volatile: []string{"apiIdentifier", "debugUntil", "debugDate"},
	},
	typeIntegrations: {
		name: typeIntegrations, model: "integration",
		volatile: []string{"_registeredConnectionIds", "_connectorId", "updateInProgress", "numFlows", "numError",
			"numRegisteredConnections", "numOfflineConnections", "lastErrorAt"},
	},
	typeFlows: {
		name: typeFlows, model: "flow", scoped: true,
		volatile: []string{"lastExecutedAt", "free"},
	},
}

// kindOrder lists the kinds in creation order, for stable output.
var kindOrder = []string{typeScripts, typeConnections, typeExports, typeImports, typeIntegrations, typeFlows}

func init() {
	bind(kinds[typeScripts], func(c *integratorio.Client) integratorio.Documents[integratorio.Script] { return c.Scripts },
		func(ctx context.Context, c *integratorio.Client, _ string) iter.Seq2[*integratorio.Script, error] {
			return c.Scripts.All(ctx, &integratorio.ListOptions{Include: listFields})
		})
	bind(kinds[typeConnections], func(c *integratorio.Client) integratorio.Documents[integratorio.Connection] { return c.Connections },
		func(ctx context.Context, c *integratorio.Client, in string) iter.Seq2[*integratorio.Connection, error] {
			return c.Connections.All(ctx, &integratorio.ResourceListOptions{ListOptions: integratorio.ListOptions{Include: listFields}, IntegrationID: in})
		})
	bind(kinds[typeExports], func(c *integratorio.Client) integratorio.Documents[integratorio.Export] { return c.Exports },
		func(ctx context.Context, c *integratorio.Client, in string) iter.Seq2[*integratorio.Export, error] {
			return c.Exports.All(ctx, &integratorio.ResourceListOptions{ListOptions: integratorio.ListOptions{Include: listFields}, IntegrationID: in})
		})
	bind(kinds[typeImports], func(c *integratorio.Client) integratorio.Documents[integratorio.Import] { return c.Imports },
		func(ctx context.Context, c *integratorio.Client, in string) iter.Seq2[*integratorio.Import, error] {
			return c.Imports.All(ctx, &integratorio.ResourceListOptions{ListOptions: integratorio.ListOptions{Include: listFields}, IntegrationID: in})
		})
	bind(kinds[typeIntegrations], func(c *integratorio.Client) integratorio.Documents[integratorio.Integration] { return c.Integrations },
		func(ctx context.Context, c *integratorio.Client, _ string) iter.Seq2[*integratorio.Integration, error] {
			return c.Integrations.All(ctx, &integratorio.ListOptions{Include: listFields})
		})
	bind(kinds[typeFlows], func(c *integratorio.Client) integratorio.Documents[integratorio.Flow] { return c.Flows },
		func(ctx context.Context, c *integratorio.Client, in string) iter.Seq2[*integratorio.Flow, error] {
			return c.Flows.All(ctx, &integratorio.ResourceListOptions{ListOptions: integratorio.ListOptions{Include: listFields}, IntegrationID: in})
		})
}

// listFields are the members reconciliation reads of a list.
var listFields = []string{"name", "createdAt", "_integrationId"}

// document is what the SDK's models share: JSON both ways.
type document[T any] interface {
	*T
	json.Marshaler
	json.Unmarshaler
}

// bind gives k its calls on the service svc returns.
func bind[T any, P document[T]](k *kind, svc func(*integratorio.Client) integratorio.Documents[T],
	all func(ctx context.Context, c *integratorio.Client, integrationID string) iter.Seq2[*T, error]) {
	k.get = func(ctx context.Context, c *integratorio.Client, id string) (json.RawMessage, error) {
		doc, err := svc(c).Get(ctx, id)
		if err != nil {
			return nil, err
		}
		return P(doc).MarshalJSON()
	}
	k.create = func(ctx context.Context, c *integratorio.Client, raw []byte) (json.RawMessage, error) {
		var doc T
		if err := P(&doc).UnmarshalJSON(raw); err != nil {
			return nil, err
		}
		out, err := svc(c).Create(ctx, &doc)
		if err != nil {
			return nil, err
		}
		return P(out).MarshalJSON()
	}
	k.update = func(ctx context.Context, c *integratorio.Client, id string, raw []byte) (json.RawMessage, error) {
		var doc T
		if err := P(&doc).UnmarshalJSON(raw); err != nil {
			return nil, err
		}
		out, err := svc(c).Update(ctx, id, &doc)
		if err != nil {
			return nil, err
		}
		return P(out).MarshalJSON()
	}
	k.modify = func(ctx context.Context, c *integratorio.Client, id string, fn func(json.RawMessage) ([]byte, error)) (json.RawMessage, error) {
		out, err := svc(c).Modify(ctx, id, func(doc *T) error {
			raw, err := P(doc).MarshalJSON()
			if err != nil {
				return err
			}
			next, err := fn(raw)
			if err != nil {
				return err
			}
			var fresh T
			if err := P(&fresh).UnmarshalJSON(next); err != nil {
				return err
			}
			*doc = fresh
			return nil
		})
		if err != nil {
			return nil, err
		}
		return P(out).MarshalJSON()
	}
	k.list = func(ctx context.Context, c *integratorio.Client, integrationID string) ([]listed, error) {
		var out []listed
		for doc, err := range all(ctx, c, integrationID) {
			if err != nil {
				return nil, err
			}
			raw, err := P(doc).MarshalJSON()
			if err != nil {
				return nil, err
			}
			var l listed
			if err := json.Unmarshal(raw, &l); err != nil {
				return nil, fmt.Errorf("reading a listed %s: %w", k.model, err)
			}
			out = append(out, l)
		}
		return out, nil
	}
}

// refMember reports whether a member of this name holds references: its
// name starts with "_" and ends with "Id" or "Ids".
func refMember(name string) bool {
	return len(name) > 3 && name[0] == '_' && (strings.HasSuffix(name, "Id") || strings.HasSuffix(name, "Ids"))
}

// memberKind returns the resource type whose ids a reference member of
// this name holds ("_exportId", "_keepDeltaBehindFlowId",
// "_runNextFlowIds": by the word before Id), or "".
func memberKind(name string) string {
	if !refMember(name) {
		return ""
	}
	base := strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(name, "s"), "Id"))
	for _, w := range []struct{ word, typ string }{
		{"flowgrouping", ""}, {"script", typeScripts}, {"connection", typeConnections},
		{"export", typeExports}, {"import", typeImports}, {"integration", typeIntegrations}, {"flow", typeFlows},
	} {
		if strings.HasSuffix(base, w.word) {
			return w.typ
		}
	}
	return ""
}

// parseRef splits a ref "flows/orders-sync" into its type and key.
func parseRef(ref string) (typ, key string, ok bool) {
	typ, key, ok = strings.Cut(ref, "/")
	if !ok || key == "" || kinds[typ] == nil || strings.Contains(key, "/") {
		return "", "", false
	}
	return typ, key, true
}

// idLike reports whether s looks like an integrator.io id: 24 lowercase
// hex digits.
func idLike(s string) bool {
	if len(s) != 24 {
		return false
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}

// idsIn returns the id-looking words of s: runs of exactly 24 hex digits.
func idsIn(s string) []string {
	var out []string
	isHex := func(b byte) bool { return '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F' }
	for i := 0; i < len(s); {
		if !isHex(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isHex(s[j]) {
			j++
		}
		if j-i == 24 && (i == 0 || !isWord(s[i-1])) && (j == len(s) || !isWord(s[j])) {
			out = append(out, strings.ToLower(s[i:j]))
		}
		i = j
	}
	return slices.Compact(out)
}

func isWord(b byte) bool {
	return b == '_' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}
