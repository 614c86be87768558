package member

// Profile is what shops, CRMs, imports and the chat say of a member beyond
// their identity and their standing in the program. Segments select
// members by it; the hub never sends it anywhere.
type Profile struct {
	// Source is how the member joined: "whatsapp" (the chat), a
	// connector's name ("shopify", "pos"), "import", or the source of the
	// join link they used.
	Source string `json:"source,omitempty"`
	// Store is the member's home store: the store id a source gave, or the
	// store of their last purchase when none was given.
	Store string `json:"store,omitempty"`
	City  string `json:"city,omitempty"`
	// Language is the language the member speaks with the hub, as the
	// chatbot names it ("en", "id").
	Language string `json:"language,omitempty"`
	// Tags are labels from a shop, a CRM or an operator ("vip", "staff"),
	// each once, in the order first given.
	Tags []string `json:"tags,omitempty"`
	// Attributes are custom attributes by name (strings, numbers,
	// booleans), from connectors' mappings or an import.
	Attributes map[string]any `json:"attributes,omitempty"`
}
