// Package twilio is the whatsapp_twilio connector: WhatsApp through
// Twilio's Programmable Messaging API.
//
// The sender posts form-encoded messages (To and From as whatsapp:+E.164,
// Body, MediaUrl, ContentSid and ContentVariables) with HTTP Basic auth,
// through the same throughput limits and circuit breaker as the Cloud API
// senders. The hub's templates map to Twilio Content templates by name and
// language (Config.Templates). Twilio's error codes are classified like
// Meta's, and those that mean the same refusal carry the hub's code for it
// (63016 outside the window is 131047, 21610 unsubscribed is 131050, 63049
// is 131049), so that the hub acts on both alike. Interactive session
// messages need Content templates and are refused; so is a document name
// other than the last segment of its URL.
//
// The source verifies X-Twilio-Signature against the configured public
// webhook URL, and the enricher turns the form-encoded webhooks (incoming
// messages and status callbacks) into JSON for the whatsapp_twilio mapping.
// Status callbacks are asked for per message, with the message's key in the
// callback URL, so that a status arriving before the message's SID is
// recorded still finds its message.
package twilio
