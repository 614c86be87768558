// Package sandbox is a faithful in-memory fake of Meta's WhatsApp Cloud API
// for tests, demos and throughput benchmarks.
//
// It serves the send endpoint (POST /{version}/{phone-number-id}/messages)
// with Meta's bearer authentication, payload validation, success and error
// shapes, and answers mark-as-read requests. Every accepted message is kept
// in memory and, when a webhook URL is configured, produces status webhooks
// (sent, delivered, read by default) in Meta's envelope, batched several
// statuses per POST and signed with X-Hub-Signature-256 exactly as Meta signs
// them. Webhooks that are not answered with 2xx are retried with backoff for
// as long as the server runs. Each number may have a webhook URL and app
// secret of its own (Number.WebhookURL, Number.AppSecret), so that numbers
// of several tenants post to their own hooks.
//
// Control endpoints let a test or an operator inspect and steer it:
//
//	GET    /sandbox/messages   accepted messages in order (?to= filters by recipient)
//	GET    /sandbox/stats      counts of accepted messages and send attempts
//	DELETE /sandbox/messages   forget accepted messages
//	POST   /sandbox/faults     make the next sends fail: {"count":1,"http_status":500} or {"count":2,"code":130429}
//	DELETE /sandbox/faults     clear pending faults
//	POST   /sandbox/templates  add templates in Meta's message_templates shape (ParseTemplates); ?waba_id= for one account's own
//	GET    /sandbox/numbers    the business numbers served
//	POST   /sandbox/numbers/{id}/quality  post phone_number_quality_update: {"event":"FLAGGED","current_limit":"TIER_2K"}
//	POST   /sandbox/messaging_limit       post business_capability_update: {"max_daily_conversations_per_business":2000}
//	GET    /healthz            liveness
//
// Record returns what the sandbox saw, for an audit from the BSP's side:
// each accepted message with its template's category and its time on the
// sandbox's clock (Config.Clock, a simulated one in `loyalhub simulate`)
// and on the machine's, customers' messages, marketing stops and the
// messaging limits announced. Customers' windows are judged on
// Config.Clock; a number's throughput per second on the machine's clock.
//
// The send path is cheap (one mutex-protected append), so the sandbox takes
// thousands of sends per second; webhooks go out through a bounded worker
// pool started by Start and stopped by Close.
package sandbox
