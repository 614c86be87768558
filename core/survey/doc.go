// Package survey is the hub's NPS and CSAT surveys over WhatsApp, as pure
// decisions: the invitation a trigger sends (an interactive list), the
// answers a customer may give (a tapped row or a typed number in any of
// the chatbot's languages), what the chat does with a message while a
// survey waits (Decide), and the scores' summary (Summarize).
//
// NPS asks "how likely are you to recommend us" from 0 to 10. WhatsApp
// allows at most 10 rows in a list, so the list shows 10 down to 1 and its
// text invites typing 0; any typed score from 0 to 10 ("7", "7/10", "7 out
// of 10", "7 dari 10", "10 üzerinden 7", "٧") is accepted as well. CSAT
// asks for satisfaction from 1 to 5: reply buttons allow only three, so it
// is a list of five rows, and typed 1 to 5 counts too.
package survey
