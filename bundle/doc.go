// Package bundle deploys an integration as code: it reads an integration
// and everything it references from one account (Snapshot) into files
// meant for review in git (Write, Read), compares those files with a
// target account (Bundle.Plan) and makes the target match them, in place
// and safe to re-run (Plan.Apply).
//
//	b, err := bundle.Snapshot(ctx, template, integrationID, nil)
//	err = b.Write("orders")            // one JSON file per resource
//	b, err = bundle.Read("orders")     // after a review, or an edit
//	state, err := bundle.LoadState("orders.customer.state.json")
//	plan, err := b.Plan(ctx, customer, &bundle.Target{State: state, Connections: connectionMap})
//	fmt.Print(plan)                    // what would change, no values
//	res, err := plan.Apply(ctx, &bundle.ApplyOptions{
//		Checkpoint: func(s *bundle.State) error { return s.Save("orders.customer.state.json") },
//	})
//
// Files. A bundle folder holds a manifest (bundle.json) and one folder per
// resource type (integrations, flows, exports, imports, scripts,
// connections), each with one pretty-printed JSON file per resource named
// by a key made from its name ("Orders sync" is flows/orders-sync.json;
// namesakes get -2, -3, … in the order they were created). A script's
// content is the .js file beside its JSON file. No file holds an id of the
// source account: a reference to another resource of the bundle is its
// ref, such as "exports/get-orders", in the member that held the id; a
// flow's grouping is "flowGroupings/<name>"; a masked secret is a marker
// (SecretPrefix); read-only and changing members are left out.
//
// References. Snapshot follows the known paths (page generators, page
// processors, router branches, _runNextFlowIds, hooks) and any member
// named _<type>Id or _<type>Ids, and turns every id of a bundle resource
// held by such a member into a ref. Any other id-looking string is
// reported by Bundle.Warnings with its file and path.
//
// State. A State holds, by ref, the target's id of each resource, and the
// creates that were sent but not answered. Apply records into it as it
// goes and calls ApplyOptions.Checkpoint after each change, so that a
// crash, a cancelled context or a lost answer leaves a state from which
// the next Plan reconciles instead of creating twice. See docs/bundle.md
// for what is and is not recoverable.
//
// Secrets never reach a file, a plan's text, or an error: a masked value is
// never written to the target, and a created connection gets its secrets
// from Target.Secrets.
package bundle
