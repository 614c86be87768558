// Package conversation is the WhatsApp chatbot: it reads what a customer's
// message asks for and decides what the bot answers and does, in English,
// Indonesian, Turkish, Italian and Arabic. It does no I/O; the hub keeps
// each customer's conversation state, carries out what the bot decides in
// its store and program, and sends the replies.
//
// Turn is the bot answering one message, a pure function:
//
//	res := conversation.Turn(state, msg, conversation.View{Bot: bot, Phone: phone, Member: mem, Now: now})
//
// From the conversation's State, the Message and a read-only View (the
// tenant's Bot with its catalog, keywords, settings and rewards; the
// customer's phone and membership; the time) it returns a Result: the new
// State (saved when Save is true), the Effects for the hub to carry out in
// order (SetConsent, Handoff), and the Replies, keyed after the message so
// that answering it again sends nothing twice.
//
// Some replies need the store's answer to an effect: the points a join
// earned, a redemption's code or why it was refused, the account's tier
// progress, expiring points and last entries (read only for the points
// answer, as it is costly). Then Result.Pending holds that effect (Join,
// Redeem or ReadAccount), Replies is empty, and the hub, once the Effects
// are carried out, carries it out and hands its answer to Joined, Redeemed
// or WithAccount, pure as well, which return the Result with its replies.
// A turn has at most one pending effect, and it comes last. Should an
// effect fail, the hub saves and sends nothing, and the message is handled
// again, which the effects bear: consent is recorded with the message's
// time, a phone joins once, and a redemption's request id is the question
// the customer answered.
//
//	for _, e := range res.Effects { … carry out … }
//	if j, ok := res.Pending.(conversation.Join); ok {
//		res = res.Joined(conversation.JoinAnswer{MemberID: id, Points: points, Balance: balance})
//	}
//	… save res.State if res.Save, send res.Replies …
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
