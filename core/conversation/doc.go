// Package conversation is the WhatsApp chatbot's language: it reads what a
// customer's message asks for and holds what the bot answers, in English,
// Indonesian, Turkish, Italian and Arabic. It does no I/O; the hub keeps
// each customer's conversation state, runs the loyalty program and sends
// the replies.
//
// A message is read with Parse, against Keywords (DefaultKeywords plus the
// tenant's words and join keyword):
//
//	it := conversation.Parse(conversation.Input{Text: "poin saya"}, kw)
//	// it.Kind == conversation.KindPoints, it.Lang == "id"
//
// Taps on the bot's own buttons and list rows come back as reply ids
// (ReplyConsentYes, RewardReplyID, ConfirmReplyID, CancelReplyID,
// LanguageReplyID, MenuReplyID) and decide alone. Typed yes and no answer
// only the question the bot says it waits for, in Input.Expect.
//
// Receive decides first whether a message is conversation at all, from
// its WhatsApp type and age: text, taps and media are read; a first
// opening of the chat (request_welcome) gets the welcome; reactions,
// locations, carts and the like, and messages over a day old, get no
// answer and are no misunderstanding.
//
// Parse forgives a typo only in words of five letters or more, word by
// word, so everyday sentences are not commands; testdata/corpus holds
// everyday messages in every language that must stay not understood, and
// requests for a person that must hand over.
//
// ChooseLanguage picks the language to answer in: the customer's choice,
// else the keyword's, else the phone's country's, else the tenant's
// default. AnswerLanguage applies it message after message: keywords
// several languages share (HELP, JOIN, OK) keep a member's language, a
// word of one language switches it. LocalName and Catalog.LedgerReason say
// rewards, levels, rules and ledger entries in the member's language. A Catalog (DefaultCatalog plus tenant overrides) holds every
// message in every language; Catalog.Text fills in placeholders such as
// {balance}, formatted with FormatPoints and FormatDate, and in Arabic
// isolates each value so that it keeps its order in right-to-left text.
//
// JoinText, JoinLink and QRCode make the links and QR codes a customer
// joins with; Parse reads their text back with the referral code and
// source.
package conversation
