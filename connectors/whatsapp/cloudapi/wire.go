package cloudapi

// sendRequest is the body of POST /{version}/{phone-number-id}/messages.
type sendRequest struct {
	MessagingProduct      string    `json:"messaging_product"`
	RecipientType         string    `json:"recipient_type"`
	To                    string    `json:"to"`
	BizOpaqueCallbackData string    `json:"biz_opaque_callback_data,omitempty"`
	Type                  string    `json:"type"`
	Template              *template `json:"template,omitempty"`
	Text                  *text     `json:"text,omitempty"`
}

type template struct {
	Name       string      `json:"name"`
	Language   language    `json:"language"`
	Components []component `json:"components,omitempty"`
}

type language struct {
	Code string `json:"code"`
}

type component struct {
	Type       string      `json:"type"`
	Parameters []parameter `json:"parameters"`
}

type parameter struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type text struct {
	Body string `json:"body"`
}

// sendResponse is Meta's answer to an accepted send.
type sendResponse struct {
	MessagingProduct string `json:"messaging_product"`
	Contacts         []struct {
		Input string `json:"input"`
		WaID  string `json:"wa_id"`
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
