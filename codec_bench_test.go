package integratorio

import "testing"

// codecBenchDocs are the documents the codec benchmarks decode and encode:
// the test fixtures (pretty-printed, members in the API's order), one
// compact document with its typed members first in struct order (the
// order the encoder writes by default), and one whose strings have escapes.
func codecBenchDocs(b *testing.B) map[string][]byte {
	return map[string][]byte{
		"simple":         fixture(b, "integration_simple.json"),
		"smartconnector": fixture(b, "integration_smartconnector.json"),
		"rich":           fixture(b, "integration_rich.json"),
		"structorder": []byte(`{"_id":"5f0c1a2b3c4d5e6f7a8b9c0d","name":"Shopify - NetSuite","description":"Syncs orders","mode":"settings","version":"1.2.3","updateInProgress":false,` +
			`"_connectorId":"5f0c00000000000000000002","sandbox":false,"install":[{"name":"NetSuite Connection","description":"Configure","completed":true,"_connectionId":"5f0c0000000000000000000a","type":"connection","isCurrentStep":false}],` +
			`"settings":{"general":{"storeName":"acme"}},"_registeredConnectionIds":["5f0c0000000000000000000a","5f0c0000000000000000000b"],"lastModified":"2024-03-01T10:00:00.123Z",` +
			`"flowGroupings":[{"_id":"g1","name":"Orders"}],"_sourceId":"5d9e8f7a6b5c4d3e2f1a0b9c","draft":false,"maxFlows":12}`),
		"escapes": []byte(`{"_id":"5f0c1a2b3c4d5e6f7a8b9c0d","name":"Caf\u00e9 \u003c\u003e","readme":"## Operations\nOrders sync every 15 minutes.\n\nAsk first.","description":"a \"quoted\" word",` +
			`"lastModified":"2024-03-01T10:00:00.000Z","x\u0041":{"y":"\u00e9"},"install":[{"name":"Step \/ 1","completed":true}]}`),
	}
}

func BenchmarkCodecDecode(b *testing.B) {
	for name, doc := range codecBenchDocs(b) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				var in Integration
				if err := in.UnmarshalJSON(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCodecEncode(b *testing.B) {
	for name, doc := range codecBenchDocs(b) {
		b.Run(name, func(b *testing.B) {
			var in Integration
			if err := in.UnmarshalJSON(doc); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				if _, err := in.MarshalJSON(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
