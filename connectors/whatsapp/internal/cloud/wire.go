package cloud

// sendRequest is the body of POST /{version}/{phone-number-id}/messages.
type sendRequest struct {
	MessagingProduct      string        `json:"messaging_product"`
	RecipientType         string        `json:"recipient_type"`
	To                    string        `json:"to,omitempty"`
	Recipient             string        `json:"recipient,omitempty"` // a business-scoped user id
	BizOpaqueCallbackData string        `json:"biz_opaque_callback_data,omitempty"`
	Context               *replyContext `json:"context,omitempty"`
	Type                  string        `json:"type"`
	Template              *template     `json:"template,omitempty"`
	Text                  *text         `json:"text,omitempty"`
	Interactive           *interactive  `json:"interactive,omitempty"`
	Image                 *media        `json:"image,omitempty"`
	Document              *media        `json:"document,omitempty"`
}

// readRequest marks an inbound message as read, on the same endpoint.
type readRequest struct {
	MessagingProduct string `json:"messaging_product"`
	Status           string `json:"status"`
	MessageID        string `json:"message_id"`
}

type replyContext struct {
	MessageID string `json:"message_id"`
}

type template struct {
	Name       string      `json:"name"`
	Language   language    `json:"language"`
	Components []component `json:"components,omitempty"`
}

type language struct {
	Code   string `json:"code"`
	Policy string `json:"policy,omitempty"`
}

type component struct {
	Type       string      `json:"type"`
	SubType    string      `json:"sub_type,omitempty"`
	Index      string      `json:"index,omitempty"` // a string on the wire: "0".."9"
	Parameters []parameter `json:"parameters"`
}

type parameter struct {
	Type          string `json:"type"`
	ParameterName string `json:"parameter_name,omitempty"`
	Text          string `json:"text,omitempty"`
	Payload       string `json:"payload,omitempty"`
	CouponCode    string `json:"coupon_code,omitempty"`
	Image         *media `json:"image,omitempty"`
	Document      *media `json:"document,omitempty"`
	Video         *media `json:"video,omitempty"`
}

type text struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"preview_url,omitempty"`
}

type media struct {
	Link     string `json:"link"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

type interactive struct {
	Type   string             `json:"type"` // button, list, cta_url
	Header *interactiveHeader `json:"header,omitempty"`
	Body   textOnly           `json:"body"`
	Footer *textOnly          `json:"footer,omitempty"`
	Action action             `json:"action"`
}

type interactiveHeader struct {
	Type     string `json:"type"`
	Text     string `json:"text,omitempty"`
	Image    *media `json:"image,omitempty"`
	Document *media `json:"document,omitempty"`
	Video    *media `json:"video,omitempty"`
}

type textOnly struct {
	Text string `json:"text"`
}

type action struct {
	Buttons    []replyButton `json:"buttons,omitempty"`
	Button     string        `json:"button,omitempty"`
	Sections   []section     `json:"sections,omitempty"`
	Name       string        `json:"name,omitempty"`
	Parameters *ctaURL       `json:"parameters,omitempty"`
}

type replyButton struct {
	Type  string `json:"type"` // reply
	Reply reply  `json:"reply"`
}

type reply struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type section struct {
	Title string `json:"title,omitempty"`
	Rows  []row  `json:"rows"`
}

type row struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

type ctaURL struct {
	DisplayText string `json:"display_text"`
	URL         string `json:"url"`
}

// sendResponse is Meta's answer to an accepted send.
type sendResponse struct {
	MessagingProduct string `json:"messaging_product"`
	Contacts         []struct {
		Input  string `json:"input"`
		WaID   string `json:"wa_id"`
		UserID string `json:"user_id,omitempty"`
	} `json:"contacts"`
	Messages []struct {
		ID            string `json:"id"`
		MessageStatus string `json:"message_status,omitempty"`
	} `json:"messages"`
}

// errorResponse is a Graph API error response.
type errorResponse struct {
	Error *GraphError `json:"error"`
}

// GraphError is the error object of a Graph API error response.
type GraphError struct {
	Message      string     `json:"message"`
	Type         string     `json:"type,omitempty"`
	Code         int        `json:"code"`
	ErrorSubcode int        `json:"error_subcode,omitempty"`
	ErrorData    *ErrorData `json:"error_data,omitempty"`
	FBTraceID    string     `json:"fbtrace_id,omitempty"`
}

// ErrorData holds the details Meta adds to WhatsApp errors.
type ErrorData struct {
	MessagingProduct string `json:"messaging_product,omitempty"`
	Details          string `json:"details,omitempty"`
}
