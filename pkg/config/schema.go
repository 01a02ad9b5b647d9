package config

import _ "embed" // the schema is a file editors read too

// schemaJSON is the JSON Schema (draft 2020-12) of the model file's shape.
// schema_test.go keeps it equal to what Load accepts: every example and
// valid fixture passes it, every invalid fixture whose problem is one of
// shape fails it.
//
//go:embed jobermodel.schema.json
var schemaJSON []byte

// Schema returns the JSON Schema of the model file, for editors
// (`jobernetes schema`).
func Schema() []byte {
	return append([]byte(nil), schemaJSON...)
}
