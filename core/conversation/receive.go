package conversation

import "time"

// Reception is what the bot does with a customer's message, decided from
// its WhatsApp type and age before reading it.
type Reception string

// Receptions.
const (
	// ReceiveAnswer: conversation. Read it with Parse and answer; a message
	// not understood counts toward a handoff.
	ReceiveAnswer Reception = "answer"
	// ReceiveWelcome: the customer opened the chat for the first time
	// (request_welcome). Answer with the welcome, or the join prompt to
	// someone not a member yet; nothing is read.
	ReceiveWelcome Reception = "welcome"
	// ReceiveIgnore: not conversation (a reaction, a sticker, a location, a
	// cart, a contact card, a system notice, a type WhatsApp could not
	// show). Recorded, not answered, and not a misunderstanding.
	ReceiveIgnore Reception = "ignore"
	// ReceiveStale: older than MaxAnswerAge, such as a message WhatsApp
	// delivers again after an outage. Recorded, not answered: an answer
	// would come out of the blue, and the window it opened has closed.
	ReceiveStale Reception = "stale"
)

// MaxAnswerAge is how old a customer's message may be and still be
// answered: WhatsApp's customer service window.
const MaxAnswerAge = 24 * time.Hour

// answeredTypes are the WhatsApp message types the bot reads: text, taps
// on the buttons and list rows it sent (interactive) or on a template's
// quick reply (button), and media, whose caption is read and which
// otherwise get not_understood with the menu, so the customer knows to
// write.
var answeredTypes = map[string]bool{
	"text": true, "interactive": true, "button": true,
	"image": true, "video": true, "document": true, "audio": true,
}

// TypeRequestWelcome is the type of the message WhatsApp sends when a
// customer opens a chat with the business for the first time.
const TypeRequestWelcome = "request_welcome"

// Received is what Receive looks at in a customer's message.
type Received struct {
	// Type is the message's type as WhatsApp gives it (messages[].type).
	Type string
	// Sent is when the customer sent it (messages[].timestamp); zero when
	// unknown.
	Sent time.Time
	// Text is what they wrote, a caption, or the title of what they
	// tapped; ReplyID the id of a button, list row or quick reply tapped.
	Text, ReplyID string
	// GroupID is the group the message was written in, when it was
	// written in a group the business is in rather than to the business.
	GroupID string
}

// Receive decides what the bot does with a message, at now. A message
// older than MaxAnswerAge is stale, whatever its type; a zero Sent is
// taken as now. request_welcome asks for the welcome. text, button,
// image, video, document and audio are conversation, and so is an
// interactive message that is a tap on a button or list row (a reply id
// or a title); another interactive answer, such as a Flow's form
// (nfm_reply), is not the bot's to read. Every other type is ignored:
// reaction, sticker, location, contacts, order, system, ephemeral,
// unsupported, and any type WhatsApp adds later, which the bot cannot
// know how to read. A message written in a group is the group's
// conversation, not one with the bot: it is ignored whatever its type.
//
// Receive is pure: now is the caller's clock.
func Receive(m Received, now time.Time) Reception {
	switch {
	case !m.Sent.IsZero() && now.Sub(m.Sent) > MaxAnswerAge:
		return ReceiveStale
	case m.GroupID != "":
		return ReceiveIgnore
	case m.Type == TypeRequestWelcome:
		return ReceiveWelcome
	case m.Type == "interactive" && m.ReplyID == "" && m.Text == "":
		return ReceiveIgnore
	case answeredTypes[m.Type]:
		return ReceiveAnswer
	}
	return ReceiveIgnore
}
