package integratorio

import "time"

// TagsService manages the tags of the account (/tags), which label
// errors. Client.Tags holds the real implementation.
type tagsService interface {
	// Documents gives Get, Create, Update, Patch, Delete and Modify.
	Documents[Tag]
	// Lister gives List and All.
	Lister[Tag, ListOptions]
}

// Tag is an integrator.io tag. Members it does not type are kept.
type Tag struct {
	// ID is the tag's id (`_id`); read-only.
	ID string `json:"_id"`
	// Tag is the label.
	Tag string `json:"tag"`
	// LastModified is when the tag last changed; read-only.
	LastModified time.Time `json:"lastModified"`
	// CreatedAt is when it was created; read-only.
	CreatedAt time.Time `json:"createdAt"`

	state docState
}

type tags struct {
	plainLister[Tag, *Tag]
}

var _ TagsService = (*tags)(nil)
