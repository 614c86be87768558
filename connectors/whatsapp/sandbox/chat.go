package sandbox

import (
	_ "embed"
	"net/http"
)

// The chat page shows each customer's conversation with the business, and
// lets a person type, or tap buttons, as the customer. It is plain HTML and
// script with no outside assets.
var (
	//go:embed static/chat.html
	chatHTML []byte
	//go:embed static/chat.js
	chatJS []byte
)

func (s *Server) handleChatPage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline' 'self'")
	_, _ = w.Write(chatHTML)
}

func (s *Server) handleChatScript(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	_, _ = w.Write(chatJS)
}
