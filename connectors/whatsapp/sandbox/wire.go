package sandbox

import "encoding/json"

// sendRequest is the body of POST /{version}/{phone-number-id}/messages: a
// message to send, or a mark-as-read request.
type sendRequest struct {
	MessagingProduct      *string           `json:"messaging_product"`
	RecipientType         string            `json:"recipient_type"`
	To                    string            `json:"to"`
	Recipient             string            `json:"recipient"`
	Type                  string            `json:"type"`
	Status                string            `json:"status"`
	MessageID             string            `json:"message_id"`
	BizOpaqueCallbackData string            `json:"biz_opaque_callback_data"`
	Context               *replyContext     `json:"context"`
	Text                  *textObject       `json:"text"`
	Template              *templateObject   `json:"template"`
	Interactive           *interactiveObj   `json:"interactive"`
	Image                 *mediaObject      `json:"image"`
	Document              *mediaObject      `json:"document"`
	Audio                 *mediaObject      `json:"audio"`
	Video                 *mediaObject      `json:"video"`
	Sticker               *mediaObject      `json:"sticker"`
	Location              *locationObject   `json:"location"`
	Contacts              []json.RawMessage `json:"contacts"`
	Reaction              *reactionObject   `json:"reaction"`
}

type replyContext struct {
	MessageID string `json:"message_id"`
}

type textObject struct {
	Body       *string `json:"body"`
	PreviewURL bool    `json:"preview_url"`
}

type templateObject struct {
	Name       string              `json:"name"`
	Language   *templateLanguage   `json:"language"`
	Components []templateComponent `json:"components"`
}

type templateLanguage struct {
	Code   string `json:"code"`
	Policy string `json:"policy"`
}

type templateComponent struct {
	Type       string              `json:"type"`
	SubType    string              `json:"sub_type"`
	Index      json.RawMessage     `json:"index"`
	Parameters []templateParameter `json:"parameters"`
}

type templateParameter struct {
	Type          string          `json:"type"`
	ParameterName string          `json:"parameter_name"`
	Text          *string         `json:"text"`
	Payload       *string         `json:"payload"`
	Currency      json.RawMessage `json:"currency"`
	DateTime      json.RawMessage `json:"date_time"`
	Image         *mediaObject    `json:"image"`
	Document      *mediaObject    `json:"document"`
	Video         *mediaObject    `json:"video"`
	Location      *locationObject `json:"location"`
	CouponCode    *string         `json:"coupon_code"`
	Action        json.RawMessage `json:"action"`
}

type interactiveObj struct {
	Type   string          `json:"type"`
	Header json.RawMessage `json:"header"`
	Body   *struct {
		Text string `json:"text"`
	} `json:"body"`
	Footer json.RawMessage `json:"footer"`
	Action *struct {
		Button  string `json:"button"`
		Buttons []struct {
			Type  string `json:"type"`
			Reply struct {
				ID    string `json:"id"`
				Title string `json:"title"`
			} `json:"reply"`
		} `json:"buttons"`
		Sections []struct {
			Title string `json:"title"`
			Rows  []struct {
				ID          string `json:"id"`
				Title       string `json:"title"`
				Description string `json:"description"`
			} `json:"rows"`
		} `json:"sections"`
		Name       string          `json:"name"`
		Parameters json.RawMessage `json:"parameters"`
	} `json:"action"`
}

type mediaObject struct {
	ID       string `json:"id"`
	Link     string `json:"link"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

type locationObject struct {
	Latitude  *float64 `json:"latitude"`
	Longitude *float64 `json:"longitude"`
	Name      string   `json:"name"`
	Address   string   `json:"address"`
}

type reactionObject struct {
	MessageID string `json:"message_id"`
	Emoji     string `json:"emoji"`
}

// sendResponse is Meta's answer to an accepted send.
type sendResponse struct {
	MessagingProduct string            `json:"messaging_product"`
	Contacts         []responseContact `json:"contacts"`
	Messages         []responseMessage `json:"messages"`
}

type responseContact struct {
	Input  string `json:"input"`
	WaID   string `json:"wa_id"`
	UserID string `json:"user_id,omitempty"`
}

type responseMessage struct {
	ID            string `json:"id"`
	MessageStatus string `json:"message_status,omitempty"`
}

// graphErrorBody is a Graph API error response.
type graphErrorBody struct {
	Error graphError `json:"error"`
}

type graphError struct {
	Message      string     `json:"message"`
	Type         string     `json:"type"`
	Code         int        `json:"code"`
	ErrorSubcode int        `json:"error_subcode,omitempty"`
	ErrorData    *errorData `json:"error_data,omitempty"`
	FBTraceID    string     `json:"fbtrace_id"`
}

type errorData struct {
	MessagingProduct string `json:"messaging_product,omitempty"`
	Details          string `json:"details"`
}

// Webhook envelope, in Meta's field order.
type webhookBody struct {
	Object string         `json:"object"`
	Entry  []webhookEntry `json:"entry"`
}

type webhookEntry struct {
	ID      string          `json:"id"`
	Changes []webhookChange `json:"changes"`
}

type webhookChange struct {
	Value webhookValue `json:"value"`
	Field string       `json:"field"`
}

type webhookValue struct {
	MessagingProduct string          `json:"messaging_product"`
	Metadata         webhookMetadata `json:"metadata"`
	Statuses         []Status        `json:"statuses"`
}

type webhookMetadata struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	PhoneNumberID      string `json:"phone_number_id"`
}

// Status is one entry of a status webhook's statuses array.
type Status struct {
	ID                    string        `json:"id"`
	Status                string        `json:"status"`
	Timestamp             string        `json:"timestamp"`
	RecipientID           string        `json:"recipient_id"`
	RecipientUserID       string        `json:"recipient_user_id,omitempty"`
	BizOpaqueCallbackData string        `json:"biz_opaque_callback_data,omitempty"`
	Pricing               *Pricing      `json:"pricing,omitempty"`
	Errors                []StatusError `json:"errors,omitempty"`
}

// Pricing is the pricing object of a status.
type Pricing struct {
	Billable     bool   `json:"billable"`
	PricingModel string `json:"pricing_model"`
	Type         string `json:"type"`
	Category     string `json:"category"`
}

// StatusError is an error of a failed status.
type StatusError struct {
	Code      int             `json:"code"`
	Title     string          `json:"title"`
	Message   string          `json:"message"`
	ErrorData StatusErrorData `json:"error_data"`
	Href      string          `json:"href,omitempty"`
}

// StatusErrorData holds a status error's details.
type StatusErrorData struct {
	Details string `json:"details"`
}
