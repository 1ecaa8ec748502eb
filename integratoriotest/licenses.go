package integratoriotest

import (
	"strings"
	"time"
)

// checkLicense refuses a license whose email cannot be a user's (400
// invalid_user, as the API answers an unknown user) or whose expires is
// not a time.
func checkLicense(doc map[string]any) error {
	email, _ := doc["email"].(string)
	if local, domain, ok := strings.Cut(email, "@"); !ok || local == "" || domain == "" {
		return badRequest("invalid_user", "email", "%q is not an integrator.io user", email)
	}
	if v, ok := doc["expires"].(string); ok {
		if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
			return badRequest("invalid_field", "expires", "expires must be a date and time (RFC 3339)")
		}
	}
	return nil
}
