package pipelines

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// errNoPhone is an event that names its member by nothing: no member id
// and no phone number.
var errNoPhone = errors.New("no phone number and no member id")

// AccountRef names the member a loyalty event is about. A refund or a
// cancellation finds the member of its order by data.order_id. Any other
// event names its member by data.member_id, else by data.phone, which is
// normalized with region (the tenant's default_region) and creates the
// member when the tenant has not seen the number yet; its name (cleaned by
// member.CleanName), email and birthday fill the member's empty fields.
func AccountRef(region string, ev event.Event) (store.AccountRef, error) {
	var d struct {
		OrderID  string `json:"order_id"`
		MemberID string `json:"member_id"`
		Phone    string `json:"phone"`
		Name     string `json:"name"`
		Email    string `json:"email"`
		Birthday string `json:"birthday"`
	}
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return store.AccountRef{}, fmt.Errorf("decoding %s data: %w", ev.Type, err)
	}
	if ev.Type == event.TypeOrderRefunded || ev.Type == event.TypeOrderCancelled {
		if d.OrderID == "" {
			return store.AccountRef{}, fmt.Errorf("%s %s has no order_id", ev.Type, ev.ID)
		}
		return store.AccountRef{OrderID: d.OrderID}, nil
	}
	ref := store.AccountRef{MemberID: d.MemberID, OrderID: d.OrderID, Name: member.CleanName(d.Name), Email: d.Email, Create: true}
	if d.Birthday != "" {
		// A birthday that is not a date is left out; the event itself is
		// fine.
		ref.Birthday, _ = member.ParseBirthday(d.Birthday)
	}
	if d.MemberID == "" {
		if strings.TrimSpace(d.Phone) == "" {
			return store.AccountRef{}, fmt.Errorf("%s %s: %w", ev.Type, ev.ID, errNoPhone)
		}
		phone, err := member.NormalizePhone(d.Phone, region)
		if err != nil {
			return store.AccountRef{}, fmt.Errorf("%s %s: %w", ev.Type, ev.ID, err)
		}
		ref.Phone = phone
	}
	return ref, nil
}
