package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// APIKey is an admin API key as the store keeps it: its secret only as a
// hash. Times are zero when unset: ExpiresAt never, LastUsedAt not yet,
// RevokedAt still valid.
type APIKey struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Tenant is the one tenant the key opens, or "*" (access.AllTenants)
	// for an integrator key.
	Tenant     string    `json:"tenant"`
	Scope      string    `json:"scope"`
	Hash       []byte    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// ErrKeyTaken is returned when a new key's id is stored already.
var ErrKeyTaken = errors.New("api key id taken")

// APIKeys keeps the admin API's keys.
type APIKeys interface {
	// CreateAPIKey stores a new key; ErrKeyTaken when its id is stored.
	CreateAPIKey(ctx context.Context, k APIKey) error
	// APIKey returns the key with id, revoked or not, or ErrNotFound.
	APIKey(ctx context.Context, id string) (APIKey, error)
	// ListAPIKeys returns the keys of tenant ("*" for the integrator
	// keys; empty for every key), revoked ones too, oldest first.
	ListAPIKeys(ctx context.Context, tenant string) ([]APIKey, error)
	// RevokeAPIKey marks the key with id revoked at at and returns it; a
	// key revoked already keeps its first time. ErrNotFound when no key
	// has the id.
	RevokeAPIKey(ctx context.Context, id string, at time.Time) (APIKey, error)
	// TouchAPIKey records that the key with id was used at at, unless
	// its last use is recorded less than a minute before at. An unknown
	// id changes nothing and is not an error.
	TouchAPIKey(ctx context.Context, id string, at time.Time) error
}

// AuditEntry is one admin write: who, on which tenant, what, when, how it
// ended, and the request with what it changed. Request, Before and After
// are JSON or empty.
type AuditEntry struct {
	ID     int64  `json:"id"`
	Tenant string `json:"tenant"`
	// KeyID and KeyName name the key used, or are both "admin_token".
	KeyID   string          `json:"key_id"`
	KeyName string          `json:"key_name"`
	Method  string          `json:"method"`
	Route   string          `json:"route"`
	Path    string          `json:"path"`
	Status  int             `json:"status"`
	At      time.Time       `json:"at"`
	Request json.RawMessage `json:"request,omitempty"`
	Before  json.RawMessage `json:"before,omitempty"`
	After   json.RawMessage `json:"after,omitempty"`
}

// AuditQuery selects audit entries of Tenant, newest first: At within
// [From, To) where set, of KeyID when set, with ids below Before (the
// cursor of the next page) when set, at most Limit.
type AuditQuery struct {
	Tenant   string
	From, To time.Time
	KeyID    string
	Before   int64
	Limit    int
}

// Audit keeps the audit log of admin writes.
type Audit interface {
	// RecordAudit appends e (its ID is assigned) and returns its id.
	RecordAudit(ctx context.Context, e AuditEntry) (int64, error)
	// ListAudit returns the entries q selects.
	ListAudit(ctx context.Context, q AuditQuery) ([]AuditEntry, error)
}
