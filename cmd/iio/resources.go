package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"github.com/spf13/cobra"

	"github.com/integratorio-go/integratorio"
)

// resourceSpec describes one resource to the generic commands list, get,
// create, update, set and delete: the SDK's service of type S for
// documents of type T, listed with options of type O. S always lists
// (Lister); each other command exists when S has its method (every
// Documents[T] has them all; a service such as Users lacks Create).
type resourceSpec[T, O any, S integratorio.Lister[T, O]] struct {
	name, kind string // "flows", "flow"
	svc        func(*integratorio.Client) S
	// scoped, when set, makes the list options of one integration
	// (--integration); nil for a resource listed only as a whole.
	scoped  func(integrationID string) *O
	columns []column
}

// The calls of a service that the commands use, one interface each, so
// that a service offering only some of them gets only those commands.
type (
	getter[T any] interface {
		Get(context.Context, string) (*T, error)
	}
	creator[T any] interface {
		Create(context.Context, *T) (*T, error)
	}
	updater[T any] interface {
		Update(context.Context, string, *T) (*T, error)
	}
	modifier[T any] interface {
		Modify(context.Context, string, func(*T) error) (*T, error)
	}
	deleter interface {
		Delete(context.Context, string) error
	}
)

// has reports whether the service type S has the methods of interface I.
func has[S, I any]() bool {
	return reflect.TypeFor[S]().Implements(reflect.TypeFor[I]())
}

// commander is a resource registered with the command.
type commander interface {
	command(a *app) *cobra.Command
}

// spec is the spec of a resource listed with ListOptions.
func spec[T any, S integratorio.Lister[T, integratorio.ListOptions]](name, kind string, svc func(*integratorio.Client) S, columns []column) resourceSpec[T, integratorio.ListOptions, S] {
	return resourceSpec[T, integratorio.ListOptions, S]{name: name, kind: kind, svc: svc, columns: columns}
}

// scopedSpec is the spec of a resource listed with ResourceListOptions,
// of one integration with --integration.
func scopedSpec[T any, S integratorio.Lister[T, integratorio.ResourceListOptions]](name, kind string, svc func(*integratorio.Client) S, columns []column) resourceSpec[T, integratorio.ResourceListOptions, S] {
	return resourceSpec[T, integratorio.ResourceListOptions, S]{
		name: name, kind: kind, svc: svc, columns: columns,
		scoped: func(id string) *integratorio.ResourceListOptions {
			return &integratorio.ResourceListOptions{IntegrationID: id}
		},
	}
}

// resources are the resources with the generic commands.
func resources() []commander {
	type C = integratorio.Client
	return []commander{
		spec[integratorio.Integration](
			"integrations", "integration", func(c *C) integratorio.IntegrationsService { return c.Integrations },
			cols("ID", "_id", "NAME", "name", "VERSION", "version", "MODE", "mode", "LOCKED", "updateInProgress")),
		scopedSpec[integratorio.Flow](
			"flows", "flow", func(c *C) integratorio.FlowsService { return c.Flows },
			cols("ID", "_id", "NAME", "name", "INTEGRATION", "_integrationId", "DISABLED", "disabled", "SCHEDULE", "schedule")),
		scopedSpec[integratorio.Connection](
			"connections", "connection", func(c *C) integratorio.ConnectionsService { return c.Connections },
			cols("ID", "_id", "NAME", "name", "TYPE", "type", "OFFLINE", "offline")),
		scopedSpec[integratorio.Export](
			"exports", "export", func(c *C) integratorio.ExportsService { return c.Exports },
			cols("ID", "_id", "NAME", "name", "ADAPTOR", "adaptorType", "CONNECTION", "_connectionId")),
		scopedSpec[integratorio.Import](
			"imports", "import", func(c *C) integratorio.ImportsService { return c.Imports },
			cols("ID", "_id", "NAME", "name", "ADAPTOR", "adaptorType", "CONNECTION", "_connectionId")),
		spec[integratorio.Script](
			"scripts", "script", func(c *C) integratorio.ScriptsService { return c.Scripts },
			cols("ID", "_id", "NAME", "name", "DESCRIPTION", "description")),
		scopedSpec[integratorio.User](
			"users", "user", func(c *C) integratorio.UsersService { return c.Users },
			cols("ID", "_id", "EMAIL", "sharedWithUser.email", "NAME", "sharedWithUser.name", "ACCESS", "accessLevel", "ACCEPTED", "accepted", "DISABLED", "disabled")),
		spec[integratorio.IClient](
			"iclients", "iClient", func(c *C) integratorio.IClientsService { return c.IClients },
			cols("ID", "_id", "NAME", "name", "PROVIDER", "provider")),
		spec[integratorio.Environment](
			"environments", "environment", func(c *C) integratorio.EnvironmentsService { return c.Environments },
			cols("ID", "_id", "NAME", "name", "ENABLED", "enabled")),
		spec[integratorio.Tag](
			"tags", "tag", func(c *C) integratorio.TagsService { return c.Tags },
			cols("ID", "_id", "TAG", "tag")),
		spec[integratorio.LookupCache](
			"lookupcaches", "lookup cache", func(c *C) integratorio.LookupCachesService { return c.LookupCaches },
			cols("ID", "_id", "NAME", "name", "DESCRIPTION", "description")),
	}
}

func (a *app) addResources(root *cobra.Command) {
	for _, r := range resources() {
		root.AddCommand(r.command(a))
	}
}

// findCommand returns the subcommand of parent named name.
func findCommand(parent *cobra.Command, name string) *cobra.Command {
	for _, c := range parent.Commands() {
		if c.Name() == name {
			return c
		}
	}
	return nil
}

const exampleID = "64b0c0ffee0000000000aaaa"

func (r resourceSpec[T, O, S]) command(a *app) *cobra.Command {
	verbs := []string{"List"}
	for _, v := range []struct {
		ok   bool
		verb string
	}{
		{has[S, getter[T]](), "read"},
		{has[S, creator[T]](), "create"},
		{has[S, updater[T]]() || has[S, modifier[T]](), "change"},
		{has[S, deleter](), "delete"},
	} {
		if v.ok {
			verbs = append(verbs, v.verb)
		}
	}
	short := verbs[0]
	if n := len(verbs); n > 1 {
		short = strings.Join(verbs[:n-1], ", ") + " and " + verbs[n-1]
	}
	group := &cobra.Command{
		Use:     r.name,
		Short:   short + " " + r.name,
		Example: fmt.Sprintf("  iio %s list\n  iio %s get %s -o json", r.name, r.name, exampleID),
	}
	group.AddCommand(r.listCommand(a))
	for _, add := range []struct {
		ok  bool
		cmd func(*app) *cobra.Command
	}{
		{has[S, getter[T]](), r.getCommand},
		{has[S, creator[T]](), r.createCommand},
		{has[S, updater[T]](), r.updateCommand},
		{has[S, modifier[T]](), r.setCommand},
		{has[S, deleter](), r.deleteCommand},
	} {
		if add.ok {
			group.AddCommand(add.cmd(a))
		}
	}
	return group
}

func (r resourceSpec[T, O, S]) listCommand(a *app) *cobra.Command {
	var limit int
	var integrationID string
	cmd := &cobra.Command{
		Use:   "list",
		Short: fmt.Sprintf("List every %s, paging to the end", r.kind),
		Long: fmt.Sprintf(`List every %s, following pages to the last. The list is written as it
comes: JSON is one array with a record per line (a list cut short by an
error is left unterminated, so that no JSON reader takes it for the whole
list); --limit N stops after N records and says so on standard error.
With --jq the list is gathered first, then filtered as one array.`, r.kind),
		Example: fmt.Sprintf("  iio %s list\n  iio %s list --limit 10 -o json\n  iio %s list --jq '.[].name'", r.name, r.name, r.name),
		Args:    exactArgs(),
		RunE: a.cmd(func(cmd *cobra.Command, _ []string) error {
			if limit < 0 {
				return usagef("--limit %d: use a positive number, or 0 for no limit", limit)
			}
			c, err := a.getClient()
			if err != nil {
				return err
			}
			var opts *O
			if integrationID != "" {
				opts = r.scoped(integrationID)
			}
			out, err := a.newList(r.columns)
			if err != nil {
				return err
			}
			more := false
			for doc, err := range r.svc(c).All(a.ctx, opts) {
				if err != nil {
					_ = out.w.Flush()
					return err
				}
				if limit > 0 && out.n == limit {
					more = true
					break
				}
				if err := out.add(doc); err != nil {
					return err
				}
			}
			if err := out.close(); err != nil {
				return err
			}
			if more {
				fmt.Fprintf(a.io.err, "iio: stopped after %d %s (--limit %d); there are more\n", limit, r.name, limit)
			}
			return nil
		}),
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "stop after `N` records (0: all)")
	if r.scoped != nil {
		cmd.Flags().StringVar(&integrationID, "integration", "", "list only the "+r.name+" of this integration `id`")
	}
	return cmd
}

func (r resourceSpec[T, O, S]) getCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "get ID",
		Short:   fmt.Sprintf("Print one %s", r.kind),
		Example: fmt.Sprintf("  iio %s get %s\n  iio %s get %s --jq .name", r.name, exampleID, r.name, exampleID),
		Args:    exactArgs("ID"),
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			c, err := a.getClient()
			if err != nil {
				return err
			}
			doc, err := any(r.svc(c)).(getter[T]).Get(a.ctx, args[0])
			if err != nil {
				return err
			}
			return a.emit(doc, nil)
		}),
	}
}

func (r resourceSpec[T, O, S]) createCommand(a *app) *cobra.Command {
	var file string
	var allowMasked bool
	cmd := &cobra.Command{
		Use:   "create -f FILE",
		Short: fmt.Sprintf("Create %s from a JSON document", article(r.kind)),
		Long: fmt.Sprintf(`Create %s from the JSON document in FILE (- for standard input) and
print it as stored. The create is sent once: if its answer is lost, iio
exits 6 (the %s may exist) rather than creating it twice.

Reads answer secrets masked ("******"): a document copied from a read
holds masks where it had secrets, and the API may store a mask as the new
document's secret. So a document holding a mask is refused; put the real
secrets in the file, or pass --allow-masked to send it anyway.`, article(r.kind), r.kind),
		Example: fmt.Sprintf("  iio %s create -f %s.json\n  iio %s get %s -o json | iio %s create -f -", r.name, r.kind, r.name, exampleID, r.name),
		Args:    exactArgs(),
		RunE: a.cmd(func(cmd *cobra.Command, _ []string) error {
			doc, err := readDocument[T](a, file)
			if err != nil {
				return err
			}
			return r.write(a, allowMasked, func(ctx context.Context, svc S) (*T, error) {
				return any(svc).(creator[T]).Create(ctx, doc)
			})
		}),
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the JSON document: a `FILE`, or - for standard input (required)")
	cmd.Flags().BoolVar(&allowMasked, "allow-masked", false, "send a document holding masked secrets (see above)")
	return cmd
}

const maskedHelp = `Reads answer secrets masked ("******"). What the API does with a mask
written back is not settled: it may keep the secret, or store the mask as
the new secret and break the connection. So a document holding a mask is
refused; --allow-masked sends it anyway.`

func (r resourceSpec[T, O, S]) updateCommand(a *app) *cobra.Command {
	var file string
	var allowMasked bool
	cmd := &cobra.Command{
		Use:   "update ID -f FILE",
		Short: fmt.Sprintf("Replace %s with a JSON document (PUT)", article(r.kind)),
		Long: fmt.Sprintf(`Replace the %s with the JSON document in FILE (- for standard input) and
print it as stored. PUT replaces the whole document: members the file lacks
are erased, so start from iio %s get ID -o json. To change a few members,
use set.

%s`, r.kind, r.name, maskedHelp),
		Example: fmt.Sprintf("  iio %s get %s -o json > doc.json\n  iio %s update %s -f doc.json", r.name, exampleID, r.name, exampleID),
		Args:    exactArgs("ID"),
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			doc, err := readDocument[T](a, file)
			if err != nil {
				return err
			}
			return r.write(a, allowMasked, func(ctx context.Context, svc S) (*T, error) {
				return any(svc).(updater[T]).Update(ctx, args[0], doc)
			})
		}),
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the JSON document: a `FILE`, or - for standard input (required)")
	cmd.Flags().BoolVar(&allowMasked, "allow-masked", false, "send a document holding masked secrets (see above)")
	return cmd
}

// write sends one write of the service, with masked secrets allowed when
// the user passed --allow-masked, and prints the document it answers.
func (r resourceSpec[T, O, S]) write(a *app, allowMasked bool, send func(context.Context, S) (*T, error)) error {
	c, err := a.getClient()
	if err != nil {
		return err
	}
	ctx := a.ctx
	if allowMasked {
		ctx = integratorio.AllowMaskedSecrets(ctx)
	}
	doc, err := send(ctx, r.svc(c))
	if err != nil {
		return err
	}
	return a.emit(doc, nil)
}

func (r resourceSpec[T, O, S]) setCommand(a *app) *cobra.Command {
	var allowMasked bool
	cmd := &cobra.Command{
		Use:   "set ID path=value...",
		Short: fmt.Sprintf("Change members of %s by read-modify-write", article(r.kind)),
		Long: fmt.Sprintf(`Change members of the %s: read it, set each path to its value, and
write it back, keeping every other member. A path is a dot path from the
document's root (settings.general.enabled; a number indexes an array);
a value is JSON if it parses as JSON (true, 3, {"a":1}, "quoted"), else a
string. If the document changed meanwhile, it is read again (three tries).

%s`, r.kind, maskedHelp),
		Example: fmt.Sprintf("  iio %s set %s name='Orders (EU)' settings.general.enabled=true", r.name, exampleID),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usagef("%s takes an ID and at least one path=value (see %s --help)", cmd.CommandPath(), cmd.CommandPath())
			}
			return nil
		},
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			as, err := parseAssignments(args[1:])
			if err != nil {
				return err
			}
			return r.write(a, allowMasked, func(ctx context.Context, svc S) (*T, error) {
				return any(svc).(modifier[T]).Modify(ctx, args[0], func(doc *T) error { return modifyDoc(doc, as) })
			})
		}),
	}
	cmd.Flags().BoolVar(&allowMasked, "allow-masked", false, "write the document back even though it holds masked secrets (see above)")
	return cmd
}

func (r resourceSpec[T, O, S]) deleteCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: fmt.Sprintf("Delete %s", article(r.kind)),
		Long: fmt.Sprintf(`Delete the %s. On a terminal iio asks first; otherwise it needs --yes.`,
			r.kind),
		Example: fmt.Sprintf("  iio %s delete %s --yes", r.name, exampleID),
		Args:    exactArgs("ID"),
		RunE: a.cmd(func(cmd *cobra.Command, args []string) error {
			if err := a.confirm(fmt.Sprintf("Delete %s %s?", r.kind, args[0])); err != nil {
				return err
			}
			c, err := a.getClient()
			if err != nil {
				return err
			}
			if err := any(r.svc(c)).(deleter).Delete(a.ctx, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.io.err, "deleted %s %s\n", r.kind, args[0])
			return nil
		}),
	}
}

// confirm asks on a terminal; off one it needs --yes.
func (a *app) confirm(question string) error {
	if a.yes {
		return nil
	}
	if !a.inTTY() {
		return usagef("standard input is not a terminal, so iio cannot ask: add --yes to confirm")
	}
	fmt.Fprintf(a.io.err, "%s [y/N] ", question)
	line, _ := bufio.NewReader(a.io.in).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return failf("not confirmed: nothing was changed")
}

// readInput reads FILE, or standard input for -.
func (a *app) readInput(file string) ([]byte, error) {
	if file == "" {
		return nil, usagef("give the document with -f FILE, or -f - for standard input")
	}
	var b []byte
	var err error
	if file == "-" {
		b, err = io.ReadAll(a.io.in)
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, usagef("reading %s: %v", file, err)
	}
	return b, nil
}

// readDocument reads a JSON object from FILE into a new T; every member
// is kept, typed or not.
func readDocument[T any](a *app, file string) (*T, error) {
	b, err := a.readInput(file)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if !json.Valid(b) || len(b) == 0 || b[0] != '{' {
		return nil, usagef("%s does not hold one JSON object", nameOf(file))
	}
	doc := new(T)
	if err := json.Unmarshal(b, doc); err != nil {
		return nil, usagef("%s: %v", nameOf(file), err)
	}
	return doc, nil
}

func nameOf(file string) string {
	if file == "-" {
		return "standard input"
	}
	return file
}

// article puts "a" or "an" before a noun.
func article(noun string) string {
	if noun != "" && strings.ContainsRune("aeiouAEIOU", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}
