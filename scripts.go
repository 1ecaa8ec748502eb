package integratorio

import (
	"time"
)

// ScriptsService manages scripts (/scripts): the JavaScript of hooks and
// transformations. Client.Scripts holds the real implementation. Lists
// leave out each script's content, so listed scripts are Partial and
// Update refuses them: Get a script before changing it.
type scriptsService interface {
	// Documents gives Get, Create, Update, Patch, Delete and Modify.
	Documents[Script]
	// Lister gives List and All.
	Lister[Script, ListOptions]
}

// Script is an integrator.io script. Members it does not type are kept.
type Script struct {
	// ID is the script's id (`_id`); read-only.
	ID string `json:"_id"`
	// Name is the display name.
	Name string `json:"name"`
	// Description is free text.
	Description string `json:"description"`
	// Content is the JavaScript source; only a script read by id has it.
	Content string `json:"content"`
	// LastModified is when the script last changed; read-only.
	LastModified time.Time `json:"lastModified"`
	// CreatedAt is when it was created; read-only.
	CreatedAt time.Time `json:"createdAt"`

	state docState
}

type scripts struct {
	plainLister[Script, *Script]
}

var _ ScriptsService = (*scripts)(nil)
