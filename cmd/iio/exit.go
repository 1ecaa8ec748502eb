package main

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/integratorio-go/integratorio"
)

// The exit codes: part of the command's contract.
const (
	exitOK             = 0
	exitError          = 1
	exitUsage          = 2
	exitNotFound       = 3
	exitUnauthorized   = 4
	exitRateLimited    = 5
	exitUnknownOutcome = 6
	exitChanges        = 10
)

// codeError carries an exit code chosen by a command.
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string { return e.err.Error() }
func (e *codeError) Unwrap() error { return e.err }

// usagef is a usage error (exit 2).
func usagef(format string, args ...any) error {
	return &codeError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// failf is an error with exit code 1 that is not the API's.
func failf(format string, args ...any) error {
	return &codeError{code: exitError, err: fmt.Errorf(format, args...)}
}

// ranError marks an error returned by a command's own code, as opposed to
// cobra's parsing of the command line (which is a usage error).
type ranError struct{ err error }

func (e *ranError) Error() string { return e.err.Error() }
func (e *ranError) Unwrap() error { return e.err }

// exitCode maps an error to the exit code.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ce *codeError
	if errors.As(err, &ce) {
		return ce.code
	}
	var re *ranError
	if !errors.As(err, &re) {
		return exitUsage // from parsing the command line
	}
	switch {
	case errors.Is(err, integratorio.ErrUnknownOutcome):
		return exitUnknownOutcome
	case errors.Is(err, integratorio.ErrNotFound):
		return exitNotFound
	case errors.Is(err, integratorio.ErrUnauthorized), errors.Is(err, integratorio.ErrForbidden):
		return exitUnauthorized
	case errors.Is(err, integratorio.ErrRateLimited):
		return exitRateLimited
	case errors.Is(err, integratorio.ErrInvalidArgument):
		return exitUsage // refused before anything was sent
	}
	return exitError
}

// hint names what to do about an error of the given exit code.
func hint(code int, err error) string {
	switch code {
	case exitUsage:
		if errors.Is(err, integratorio.ErrMaskedSecret) {
			return "the API may store the mask as the secret: change secrets with iio api PATCH, or pass --allow-masked"
		}
		if !strings.Contains(err.Error(), "--help") {
			return "see iio --help"
		}
	case exitNotFound:
		return "check the id or key"
	case exitUnauthorized:
		return "check the token and its region: iio profile list, --profile, INTEGRATORIO_API_TOKEN"
	case exitRateLimited:
		return "the account's rate limit was hit: wait, then run it again"
	case exitUnknownOutcome:
		return "the write may have happened: check before running it again"
	case exitError:
		var ue *url.Error
		var ae *integratorio.APIError
		switch {
		case errors.As(err, &ue):
			return "check the network and the endpoint: --base-url, --region, iio profile list"
		case errors.As(err, &ae) && ae.StatusCode >= 500:
			return "the API failed: try again later"
		}
	}
	return ""
}

// errorLine is the one line printed for an error.
func errorLine(err error) string {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	var me *integratorio.MaskedSecretError
	if errors.As(err, &me) {
		// The SDK's message names the SDK's ways on; say the command's.
		what := strings.TrimSpace(me.Kind + " " + me.ID)
		msg = fmt.Sprintf("%s: the document holds masked secrets (\"******\") at %s: restore their real values", what, strings.Join(me.Paths, ", "))
	}
	code := exitCode(err)
	if h := hint(code, err); h != "" {
		msg += " (" + h + ")"
	}
	return "iio: " + msg
}
