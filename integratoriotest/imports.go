package integratoriotest

// importFields are the typed members of an import document (AI agents and
// guardrails are imports too). Its adaptorType is required (see
// resourceTable) but not checked against a list.
var importFields = fieldTypes{
	"name": jsonString, "adaptorType": jsonString, "_connectionId": jsonString, "_integrationId": jsonString,
	"mapping": jsonObject, "hooks": jsonObject,
}
