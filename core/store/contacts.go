package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/member"
)

// ContactRef names a WhatsApp user of one tenant by phone number, by
// business-scoped user id (BSUID), or both. A phone number is its canonical
// key (member.PhoneKey: E.164, with the forms of one person's number
// joined), the form contacts and members are stored and found by.
type ContactRef struct {
	Phone  string `json:"phone,omitempty"`
	UserID string `json:"user_id,omitempty"`
}

// Empty reports whether the reference names nobody.
func (r ContactRef) Empty() bool { return r.Phone == "" && r.UserID == "" }

// ErrNoContact is returned for a ContactRef that names nobody.
var ErrNoContact = errors.New("contact has neither a phone number nor a user id")

// InboundMessage is one message a customer sent to the business.
type InboundMessage struct {
	Tenant            string     `json:"tenant"`
	ProviderMessageID string     `json:"provider_message_id"`
	Contact           ContactRef `json:"contact"`
	WAID              string     `json:"wa_id,omitempty"` // the sender's wa_id as WhatsApp gave it
	Name              string     `json:"name,omitempty"`  // profile name
	Type              string     `json:"type"`
	Text              string     `json:"text,omitempty"`
	At                time.Time  `json:"at"`
	// GroupID is the group the message was written in; such a message
	// opens a window with the group, not with its sender.
	GroupID string `json:"group_id,omitempty"`
	// Content is what else the customer sent, as a JSON object: a Flow's
	// answer, contact cards, a reaction, a cart, a location, media, the
	// message replied to, errors' details (see event.MessageReceived).
	// Nil when there is nothing else, and after the contact's erasure.
	Content json.RawMessage `json:"content,omitempty"`
}

// ErrContentNotJSON is returned for an inbound message whose Content is
// not a JSON object.
var ErrContentNotJSON = errors.New("inbound message content is not a JSON object")

// CheckContent reports ErrContentNotJSON unless content is empty or a JSON
// object.
func CheckContent(content json.RawMessage) error {
	if len(content) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(content, &obj) != nil || obj == nil {
		return ErrContentNotJSON
	}
	return nil
}

// InboundRef is the reference ListInbound lists the messages of: ref, with
// the other identity of the contact it found (c, nil when none) where ref
// has none.
func InboundRef(ref ContactRef, c *member.Contact) ContactRef {
	if c == nil {
		return ref
	}
	if ref.Phone == "" {
		ref.Phone = c.Phone
	}
	if ref.UserID == "" {
		ref.UserID = c.UserID
	}
	return ref
}

// Contacts stores WhatsApp users' consent, windows and holds, and the
// inbound message log that opens windows.
type Contacts interface {
	// RecordInbound stores a customer's message once. The first time, it
	// opens or extends the contact's window (never moving it back), links
	// the phone number and user id the message carries, and keeps the
	// profile name. A message id already recorded changes nothing and
	// returns duplicate=true. m.Content, when set, must be a JSON object
	// (ErrContentNotJSON).
	RecordInbound(ctx context.Context, m InboundMessage) (c member.Contact, duplicate bool, err error)
	// ListInbound returns up to limit (see ClampLimit) of the inbound
	// messages of the contact ref names, newest first (by At, then by
	// message id), with their Content (but not WAID or Name). The contact
	// found by ref (by phone number first, else by user id) adds its other
	// identity: a message recorded under the user id alone before the
	// phone number was known is the same person's. A contact nobody wrote
	// as returns none, without error; erased messages name nobody and are
	// never listed.
	ListInbound(ctx context.Context, tenant string, ref ContactRef, limit int) ([]InboundMessage, error)
	// UpdateContact applies change to the contact ref names, creating it
	// when new, and returns the result.
	UpdateContact(ctx context.Context, tenant string, ref ContactRef, change member.Change) (member.Contact, error)
	// Contact returns the contact ref names: by phone number first, else
	// by user id. ErrNotFound when unknown.
	Contact(ctx context.Context, tenant string, ref ContactRef) (member.Contact, error)
	// ChangeIdentity applies WhatsApp's word that a user changed number or
	// user id, once per (tenant, message id): the message is recorded in
	// the inbound message log, and the same message again changes nothing
	// (Duplicate). In one transaction:
	//
	//   - the contact found by ch.Old (by phone number first, else by user
	//     id) takes ch.New's phone number and user id where they are set,
	//     and ch.NewWAID. When ch.New names another contact already (a
	//     message from the new number overtook the change), the two are one
	//     person: the old contact folds into that one as a user id folds
	//     into its phone number's contact (the later consent, the later
	//     window, the longer hold) and is deleted. No contact by ch.Old
	//     changes no contact; a contact by ch.New alone takes ch.NewWAID.
	//   - the chatbot's conversation moves the same way; when ch.New has one
	//     already, that one is kept and the old one deleted.
	//   - when the phone number changes, the member with the old number
	//     takes the new one, unless another member has the new number
	//     already: then neither member changes, and the result names both
	//     (a person's two memberships are not merged on WhatsApp's word;
	//     an operator decides).
	ChangeIdentity(ctx context.Context, ch IdentityChange) (IdentityResult, error)
	// CountMessages counts the messages of a category to a recipient
	// created since a time, that were sent or are being sent: not failed,
	// skipped, pending, or still queued in the outbox (a message waiting its
	// turn does not count against the one being decided).
	CountMessages(ctx context.Context, tenant, recipient, category string, since time.Time) (int, error)
}

// IdentityChange is WhatsApp's word that a user now has another phone
// number or business-scoped user id (a system message); see
// Contacts.ChangeIdentity.
type IdentityChange struct {
	Tenant    string
	MessageID string // the system message's id: it applies once
	Kind      string // the system message's type, such as user_changed_number
	// Old names the user before the change, New after it (phone numbers
	// as canonical keys). A field of New left empty keeps the old value.
	Old, New ContactRef
	NewWAID  string // the new wa_id as WhatsApp gave it
	At       time.Time
}

// Moves reports whether the change names an old and a new identity that
// differ: something to move.
func (ch IdentityChange) Moves() bool {
	return !ch.Old.Empty() && (ch.PhoneMoves() || (ch.New.UserID != "" && ch.New.UserID != ch.Old.UserID))
}

// PhoneMoves reports whether the change gives a known number a new one.
func (ch IdentityChange) PhoneMoves() bool {
	return ch.Old.Phone != "" && ch.New.Phone != "" && ch.Old.Phone != ch.New.Phone
}

// IdentityResult is what an identity change did.
type IdentityResult struct {
	// Duplicate is true when the message had been applied before: nothing
	// changed.
	Duplicate bool
	// Contact is the contact after the change; nil when none was known by
	// the old identity nor the new.
	Contact *member.Contact
	// MemberID is the member with the old number, when the number changed
	// and one had it.
	MemberID string
	// ConflictMemberID is the other member that already had the new
	// number, when there was one: neither member changed.
	ConflictMemberID string
}

// MovedMember reports whether the member with the old number took the new
// one: there was one, and no other member had the new number.
func (r IdentityResult) MovedMember() bool { return r.MemberID != "" && r.ConflictMemberID == "" }

// MergeContacts decides which stored row a reference resolves to when its
// phone number and its user id were first seen apart. The row found by
// phone wins and takes the user id; a different row found by user id alone
// gives it up (detach): its window, consent and hold are folded into the
// winner, and the adapter deletes it when it has no phone number left, or
// stores it without the user id otherwise. Either row may be nil; the
// result is a new contact when both are.
func MergeContacts(tenant string, ref ContactRef, byPhone, byUser *member.Contact) (target member.Contact, detach *member.Contact) {
	switch {
	case byPhone != nil:
		target = *byPhone
		if byUser != nil && byUser.Phone != byPhone.Phone {
			d := *byUser
			d.UserID = ""
			detach = &d
			target.Fold(*byUser)
		}
	case byUser != nil:
		target = *byUser
	default:
		target = member.Contact{Tenant: tenant}
	}
	if ref.Phone != "" {
		target.Phone = ref.Phone
	}
	if ref.UserID != "" {
		target.UserID = ref.UserID
	}
	return target, detach
}

// ApplyInbound is the change a new inbound message makes to its contact:
// it opens the window, keeps the profile name, and keeps the wa_id of the
// latest message. A message written in a group opens no window with its
// sender: WhatsApp opens that window with the whole group.
func ApplyInbound(c *member.Contact, m InboundMessage) {
	if m.WAID != "" && (c.WAID == "" || !m.At.Before(c.LastInboundAt)) {
		c.WAID = m.WAID
	}
	if m.GroupID == "" && m.At.After(c.LastInboundAt) {
		c.LastInboundAt = m.At.UTC()
	}
	if m.Name != "" {
		c.Name = m.Name
	}
}

// MoveContact decides what an identity change does to the contacts found
// by its old identity (old) and by its new one (cur, another row), either
// nil: target is the contact to write, to cur's row when there is one (the
// old row is then deleted first, dropOld), else to old's. ok is false when
// neither exists: no contact changes.
func MoveContact(ch IdentityChange, old, cur *member.Contact) (target member.Contact, dropOld, ok bool) {
	switch {
	case old == nil && cur == nil:
		return member.Contact{}, false, false
	case old == nil:
		target = *cur
		if ch.NewWAID != "" {
			target.WAID = ch.NewWAID
		}
		return target, false, true
	case cur == nil:
		target = *old
	default:
		target = *cur
		target.Fold(*old)
		if target.UserID == "" {
			target.UserID = old.UserID
		}
		dropOld = true
	}
	if ch.New.Phone != "" && ch.New.Phone != target.Phone {
		target.Phone, target.WAID = ch.New.Phone, ""
	}
	if ch.New.UserID != "" {
		target.UserID = ch.New.UserID
	}
	if ch.NewWAID != "" {
		target.WAID = ch.NewWAID
	}
	return target, dropOld, true
}

// IdentityRows is a store adapter's access to its rows of one kind, R
// (contacts or conversations), inside the transaction of a
// Contacts.ChangeIdentity: Find returns the rows a ref finds by phone
// number and by user id (nil where none does), ID a row's id, and Delete
// deletes the row with an id.
type IdentityRows[R any] struct {
	Find   func(ref ContactRef) (byPhone, byUser *R, err error)
	ID     func(row *R) int64
	Delete func(id int64) error
}

// first is the row found by phone number, else the one by user id.
func (rows IdentityRows[R]) first(byPhone, byUser *R) *R {
	if byPhone != nil {
		return byPhone
	}
	return byUser
}

// MoveContactRows applies an identity change to the contact rows (see
// Contacts.ChangeIdentity and MoveContact): contact returns a row's
// contact; detach makes a third row, one holding the new user id apart
// from the new number's, give the user id up, as a user id does when it
// joins its phone number's contact; write writes a contact to the row
// with an id, a new row for 0. It returns the contact written, nil when
// no contact changed.
func MoveContactRows[R any](ch IdentityChange, rows IdentityRows[R], contact func(row *R) *member.Contact,
	detach func(row *R) error, write func(id int64, c member.Contact) error) (*member.Contact, error) {
	oldP, oldU, err := rows.Find(ch.Old)
	if err != nil {
		return nil, err
	}
	old := rows.first(oldP, oldU)
	var cur *R
	if ch.Moves() || old == nil {
		curP, curU, err := rows.Find(ch.New)
		if err != nil {
			return nil, err
		}
		if cur = rows.first(curP, curU); cur != nil && old != nil && rows.ID(cur) == rows.ID(old) {
			cur = nil
		}
		if curP != nil && curU != nil && rows.ID(curP) != rows.ID(curU) && (old == nil || rows.ID(curU) != rows.ID(old)) {
			if err := detach(curU); err != nil {
				return nil, err
			}
		}
	}
	var o, c *member.Contact
	if old != nil {
		o = contact(old)
	}
	if cur != nil {
		c = contact(cur)
	}
	target, dropOld, ok := MoveContact(ch, o, c)
	if !ok {
		return nil, nil
	}
	id := int64(0)
	switch {
	case cur != nil:
		id = rows.ID(cur)
	case old != nil:
		id = rows.ID(old)
	}
	if dropOld {
		if err := rows.Delete(rows.ID(old)); err != nil {
			return nil, fmt.Errorf("deleting the old contact: %w", err)
		}
	}
	if err := write(id, target); err != nil {
		return nil, fmt.Errorf("writing the contact: %w", err)
	}
	return &target, nil
}

// MoveConversationRows applies an identity change that moves something
// (IdentityChange.Moves) to the chatbot's conversation rows: the old
// identity's conversation takes the new phone number and user id where
// they are set (update, given the row's id and its new ref), unless the
// new identity talked to the bot already: its state is then the current
// one, and the old conversation is deleted. ref returns a row's identity.
func MoveConversationRows[R any](ch IdentityChange, rows IdentityRows[R], ref func(row *R) ContactRef,
	update func(id int64, ref ContactRef) error) error {
	if !ch.Moves() {
		return nil
	}
	oldP, oldU, err := rows.Find(ch.Old)
	if err != nil {
		return err
	}
	old := rows.first(oldP, oldU)
	if old == nil {
		return nil
	}
	curP, curU, err := rows.Find(ch.New)
	if err != nil {
		return err
	}
	if cur := rows.first(curP, curU); cur != nil && rows.ID(cur) != rows.ID(old) {
		return rows.Delete(rows.ID(old))
	}
	moved := ref(old)
	if ch.New.Phone != "" {
		moved.Phone = ch.New.Phone
	}
	if ch.New.UserID != "" {
		moved.UserID = ch.New.UserID
	}
	return update(rows.ID(old), moved)
}
