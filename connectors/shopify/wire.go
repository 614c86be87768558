package shopify

// The Admin GraphQL API's request and answer, as far as issuing discount
// codes needs them.

// createDiscountMutation creates one basic code discount.
const createDiscountMutation = `mutation discountCodeBasicCreate($basicCodeDiscount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}`

// contextSince is the first API version whose DiscountCodeBasicInput takes
// context (which replaced customerSelection).
const contextSince = "2025-10"

type graphQLRequest struct {
	Query     string         `json:"query"`
	Variables createDiscount `json:"variables"`
}

type createDiscount struct {
	BasicCodeDiscount basicCodeDiscountInput `json:"basicCodeDiscount"`
}

// basicCodeDiscountInput is a DiscountCodeBasicInput.
type basicCodeDiscountInput struct {
	Title                  string `json:"title"`
	Code                   string `json:"code"`
	StartsAt               string `json:"startsAt"`
	EndsAt                 string `json:"endsAt"`
	UsageLimit             int    `json:"usageLimit"`
	AppliesOncePerCustomer bool   `json:"appliesOncePerCustomer"`
	// Context is set from API version 2025-10, CustomerSelection before.
	Context            *discountContext    `json:"context,omitempty"`
	CustomerSelection  *customerSelection  `json:"customerSelection,omitempty"`
	CustomerGets       customerGets        `json:"customerGets"`
	MinimumRequirement *minimumRequirement `json:"minimumRequirement,omitempty"`
}

// discountContext is a DiscountContextInput; All is a DiscountBuyerSelection.
type discountContext struct {
	All string `json:"all"`
}

// customerSelection is the DiscountCustomerSelectionInput of versions
// before 2025-10.
type customerSelection struct {
	All bool `json:"all"`
}

type customerGets struct {
	Value customerGetsValue `json:"value"`
	Items discountItems     `json:"items"`
}

// customerGetsValue holds exactly one of its fields.
type customerGetsValue struct {
	DiscountAmount *discountAmount `json:"discountAmount,omitempty"`
	// Percentage is a fraction: 0.1 is 10% off.
	Percentage *float64 `json:"percentage,omitempty"`
}

type discountAmount struct {
	Amount            string `json:"amount"`
	AppliesOnEachItem bool   `json:"appliesOnEachItem"`
}

type discountItems struct {
	All bool `json:"all"`
}

type minimumRequirement struct {
	Subtotal minimumSubtotal `json:"subtotal"`
}

type minimumSubtotal struct {
	GreaterThanOrEqualToSubtotal string `json:"greaterThanOrEqualToSubtotal"`
}

// graphQLResponse is the Admin API's answer. Throttled requests carry no
// data, a top-level error with extensions.code THROTTLED, and the cost.
type graphQLResponse struct {
	Data *struct {
		DiscountCodeBasicCreate *struct {
			CodeDiscountNode *struct {
				ID string `json:"id"`
			} `json:"codeDiscountNode"`
			UserErrors []userError `json:"userErrors"`
		} `json:"discountCodeBasicCreate"`
	} `json:"data"`
	Errors     []graphQLError     `json:"errors"`
	Extensions *responseExtension `json:"extensions"`
}

// userError is a DiscountUserError.
type userError struct {
	Field   []string `json:"field"`
	Code    string   `json:"code"`
	Message string   `json:"message"`
}

type graphQLError struct {
	Message    string `json:"message"`
	Extensions *struct {
		Code string     `json:"code"`
		Cost *queryCost `json:"cost"`
	} `json:"extensions"`
}

type responseExtension struct {
	Cost *queryCost `json:"cost"`
}

type queryCost struct {
	RequestedQueryCost float64 `json:"requestedQueryCost"`
	ThrottleStatus     *struct {
		MaximumAvailable   float64 `json:"maximumAvailable"`
		CurrentlyAvailable float64 `json:"currentlyAvailable"`
		RestoreRate        float64 `json:"restoreRate"`
	} `json:"throttleStatus"`
}

// restEnvelope is the error body of a non-GraphQL answer (401, 404…).
type restEnvelope struct {
	Errors any `json:"errors"`
}
