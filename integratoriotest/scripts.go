package integratoriotest

// scriptFields are the typed members of a script document. Its name is
// required (see resourceTable); its content is answered only by a GET by
// id, never in a list, as on the real service.
var scriptFields = fieldTypes{
	"name": jsonString, "description": jsonString, "content": jsonString,
}
