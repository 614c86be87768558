// Package dialog360 connects loyalhub to 360dialog's WhatsApp Cloud API,
// registered as the connector type "whatsapp_360dialog".
//
// 360dialog forwards Meta's Cloud API: a sender posts the same bodies to
// {base_url}/messages with the channel's D360-API-KEY (one key per phone
// number) and gets Meta's answers and error codes back, so the encoding,
// error classification, circuit breaker and throughput limits are shared
// with the whatsapp_cloud connector (connectors/whatsapp/internal/cloud).
// Templates are listed from {base_url}/v1/configs/templates.
//
// As a source it receives the Cloud API webhook envelope 360dialog
// forwards. Those webhooks carry no signature the hub could check (Meta
// signs them for 360dialog's app), so each tenant's webhook is registered
// with a secret header that the source compares in constant time. Register
// the URL once per number:
//
//	curl -X POST https://waba-v2.360dialog.io/v1/configs/webhook \
//	  -H "D360-API-KEY: $KEY" -H 'Content-Type: application/json' \
//	  -d '{"url":"https://hub.example.com/hooks/<tenant>/<connector>",
//	       "headers":{"X-Loyalhub-Webhook-Token":"<webhook_token>"}}'
//
// 360dialog refuses webhook hosts with an underscore and URLs with a custom
// port. The bundled "whatsapp_cloud" mapping reads the deliveries.
package dialog360
