package integratoriotest

import (
	_ "embed"
	"slices"
)

//go:embed samples/smartconnector.json
var sampleSmartConnector []byte

// SampleSmartConnectorJSON returns the sample SmartConnector integration
// of integrator.io's API documentation ("BigCommerce - NetSuite
// Connector"), as published: install steps, mode "install", settings with
// sections and commonresources, version "1.0.1". Its ids are the
// documentation's placeholders, which are not 24-hex ids. Each call returns
// a new copy.
//
// The sample's connections are referenced by SampleNetSuiteConnectionID (the
// install steps' _connectionId) and, in settings.commonresources, by
// SampleBigCommerceConnectionID and SampleNetSuiteCommonConnectionID.
func SampleSmartConnectorJSON() []byte {
	return slices.Clone(sampleSmartConnector)
}

// Ids appearing in SampleSmartConnectorJSON.
const (
	// SampleSmartConnectorID is the sample's _id.
	SampleSmartConnectorID = "123ab456c789de1011fg12h13i"
	// SampleConnectorID is the sample's _connectorId.
	SampleConnectorID = "56fd5ad0945g2345c4e678aca76"
	// SampleNetSuiteConnectionID is the _connectionId of the sample's
	// install steps (the documentation uses the same id for both
	// connection steps, and for _connectorId).
	SampleNetSuiteConnectionID = "56fd5ad0945g2345c4e678aca76"
	// SampleBigCommerceConnectionID is
	// settings.commonresources.bigcommerceConnectionId.
	SampleBigCommerceConnectionID = "56fd5ad09a67g564e678aca76"
	// SampleNetSuiteCommonConnectionID is
	// settings.commonresources.netsuiteConnectionId.
	SampleNetSuiteCommonConnectionID = "56fd5ad09a67g56412gh23a5"
)
