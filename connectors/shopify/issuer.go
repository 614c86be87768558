package shopify

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/loyalty"
)

// codeLen is the length of the part of a code derived from the redemption.
const codeLen = 10

// DiscountCode is the code issued for a redemption: prefix, then 10
// characters of the base32 SHA-256 of the redemption id (A–Z, 2–7). The
// same redemption always gets the same code, so that a retry after a crash
// asks the shop for the code it may already have created.
func DiscountCode(prefix, redemptionID string) string {
	sum := sha256.Sum256([]byte(redemptionID))
	return prefix + base32.StdEncoding.EncodeToString(sum[:])[:codeLen]
}

// Issue creates the reward's discount code in the shop with the Admin
// GraphQL API (discountCodeBasicCreate) and returns it: a single-use code
// for every customer, valid from now for the discount's valid_days. It is
// idempotent by redemptionID: the code is derived from it, and a code that
// exists already (an earlier attempt was answered but the answer lost)
// counts as issued.
//
// Errors are classified with core/fault: permanent when the connector has
// no admin block or no discount for the reward, when Shopify refuses the
// discount (its userErrors) or the access token (class auth); retryable
// when Shopify throttles (with RetryAfter from the throttle status or the
// Retry-After header), fails (5xx) or cannot be reached. Calls are paced at
// admin.requests_per_second. The HTTP layer asks again, at once, only for
// what Shopify certainly did not process (a failed connection, a 502, 503
// or 504 without a long Retry-After); a retryable error goes back to the
// caller, who asks again after its RetryAfter: the code is the same.
func (c *Connector) Issue(ctx context.Context, tenant string, reward loyalty.Reward, memberID, redemptionID string) (string, error) {
	if c.admin == nil {
		return "", fault.Permanent(fault.ClassRequest, fmt.Errorf(
			"issuing a shopify discount code for reward %s: the connector has no admin.access_token", reward.ID))
	}
	code, err := c.admin.issue(ctx, reward, redemptionID)
	if err != nil {
		return "", fmt.Errorf("issuing a shopify discount code for reward %s: %w", reward.ID, err)
	}
	c.logger.Debug("shopify discount code issued", "tenant", tenant, "reward", reward.ID, "redemption", redemptionID)
	return code, nil
}

func (a *adminClient) issue(ctx context.Context, reward loyalty.Reward, redemptionID string) (string, error) {
	d, ok := a.discounts[reward.ID]
	if !ok {
		return "", fault.Permanent(fault.ClassRequest, fmt.Errorf(
			"no discount is configured for it: add admin.discounts.%s to the connector", reward.ID))
	}
	if redemptionID == "" {
		return "", fault.Permanent(fault.ClassRequest, errors.New("no redemption id to derive the code from"))
	}
	prefix := d.Prefix
	if prefix == "" {
		prefix = DefaultCodePrefix
	}
	code := DiscountCode(prefix, redemptionID)
	body, err := json.Marshal(graphQLRequest{
		Query:     createDiscountMutation,
		Variables: createDiscount{BasicCodeDiscount: discountInput(d, reward, code, a.apiVersion, a.now())},
	})
	if err != nil {
		return "", fault.Permanent(fault.ClassRequest, fmt.Errorf("encoding the discount: %w", err))
	}
	if err := a.post(ctx, body); err != nil {
		return "", err
	}
	return code, nil
}

// discountInput is the DiscountCodeBasicInput of a reward's code.
func discountInput(d Discount, reward loyalty.Reward, code, apiVersion string, now time.Time) basicCodeDiscountInput {
	days := d.ValidDays
	if days == 0 {
		days = DefaultValidDays
	}
	title := d.Title
	if title == "" {
		name := reward.Name
		if name == "" {
			name = reward.ID
		}
		title = DefaultTitlePrefix + name
	}
	now = now.UTC().Truncate(time.Second)
	in := basicCodeDiscountInput{
		Title:                  title,
		Code:                   code,
		StartsAt:               now.Format(time.RFC3339),
		EndsAt:                 now.AddDate(0, 0, days).Format(time.RFC3339),
		UsageLimit:             1,
		AppliesOncePerCustomer: true,
		CustomerGets:           customerGets{Items: discountItems{All: true}},
	}
	if apiVersion >= contextSince {
		in.Context = &discountContext{All: "ALL"}
	} else {
		in.CustomerSelection = &customerSelection{All: true}
	}
	if d.Amount != "" {
		in.CustomerGets.Value.DiscountAmount = &discountAmount{Amount: d.Amount}
	} else {
		fraction := d.Percentage / 100
		in.CustomerGets.Value.Percentage = &fraction
	}
	if d.MinimumSubtotal != "" {
		in.MinimumRequirement = &minimumRequirement{Subtotal: minimumSubtotal{GreaterThanOrEqualToSubtotal: d.MinimumSubtotal}}
	}
	return in
}
