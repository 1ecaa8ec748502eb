package integratorio

import (
	"context"
	"fmt"
	"net/http"
)

// setToggled brings a boolean state of document id to want through an
// endpoint that flips it (PUT {document}/{action}), such as a user's
// disable or an environment's enable. The API only toggles, so the
// document is read first and the toggle sent only when state, read from
// it, is not want. The toggle is sent at most once: sent twice it undoes
// itself, so a failure after it may have reached the server (a lost
// answer, a 500, 502 or 504) matches ErrUnknownOutcome instead of being
// retried; read the document to learn its state. Within one Client the
// toggles and Modify calls of one document run one at a time, so two
// calls asking for the same state never flip it twice.
func (r *resource[T, P]) setToggled(ctx context.Context, id, action string, want bool, state func(*T) (bool, error)) error {
	p, err := r.docPath(id)
	if err != nil {
		return err
	}
	if ctx == nil {
		return invalidArgf("%s: nil context", action)
	}
	unlock, err := r.c.locks.lock(ctx, p)
	if err != nil {
		return fmt.Errorf("integratorio: %s %s: waiting for this client's other change of it: %w", action, p, err)
	}
	defer unlock()
	doc, err := r.Get(ctx, id)
	if err != nil {
		return err
	}
	current, err := state(doc)
	if err != nil {
		return err
	}
	if current == want {
		return nil
	}
	return r.c.send(request{ctx: ctx, method: http.MethodPut, path: p + "/" + action, raw: []byte("{}"), once: true}, nil)
}
