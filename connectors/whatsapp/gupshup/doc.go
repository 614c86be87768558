// Package gupshup is the whatsapp_gupshup connector: WhatsApp through
// Gupshup's self-serve API.
//
// The sender posts form-encoded messages (channel, source, destination,
// src.name and message, Gupshup's message JSON) with the apikey header to
// /wa/api/v1/msg, and templates by Gupshup's template id with their body
// parameters (template={"id","params"}) to /wa/api/v1/template/msg,
// through the same throughput limits and circuit breaker as the Cloud API
// senders. It sends text, images and documents by link, reply buttons
// (quick_reply) and lists; a call-to-action URL, a quoted message, a media
// header on an interactive message, a text header parameter or button
// values of a template are refused. Gupshup's own error codes are
// classified like Meta's, and those that mean the same refusal carry the
// hub's code for it (1005 outside the window is 131047, 1012 opted out is
// 131050); Meta's codes, which Gupshup passes on, are classified as the
// Cloud API senders classify them.
//
// The source reads Gupshup's v2 webhooks (app, timestamp, version, type,
// payload). Gupshup signs none: the callback URL carries a secret token in
// its token query parameter, compared in constant time, and a request
// without it is unauthorized. Statuses find their message by the message
// id (gsId) the sender recorded.
package gupshup
