// Package hubspot is the HubSpot CRM connector ("hubspot"): one HubSpot app
// installed in one portal. It is a webhook source, an enricher and a
// member syncer.
//
// # Webhooks
//
// HubSpot POSTs batches of up to 100 events, a JSON array, to the app's
// target URL, https://<host>/hooks/<tenant>/<connector>. Accept checks the
// signature against the raw body and the configured webhook_url (never a
// URL rebuilt from the request):
//
//	v3  X-HubSpot-Signature-v3: base64(HMAC-SHA256(client secret,
//	        method + URI + body + X-HubSpot-Request-Timestamp))
//	    where URI is webhook_url with %3A %2F %3F %40 %21 %24 %27 %28 %29
//	    %2A %2C %3B decoded; the timestamp (Unix milliseconds) must be
//	    within max_age of now, either way.
//	v2  X-HubSpot-Signature: hex(SHA-256(client secret + method + URI + body)),
//	    with X-HubSpot-Signature-Version: v2
//	v1  X-HubSpot-Signature: hex(SHA-256(client secret + body))
//
// Only the versions in signature_versions count (v3 by default), and when
// a request carries a v3 signature that v3 accepts, v3 alone decides.
// Signatures are compared in constant time. The delivery id is the hex
// SHA-256 of the body. The body is never parsed on receipt: a signed but
// malformed batch is stored and dead-lettered by the mapping stage.
//
// # Enrichment
//
// HubSpot's events name records, not their properties. Enrich, which the
// mapping stage calls before mapping, reads the contacts and deals they
// name with HubSpot's batch APIs and returns the body the bundled mapping
// "hubspot" maps (see Enrich). It drops the events that cannot matter,
// among them the property changes the connector's own write-back causes.
//
// # Write-back
//
// With write_back.enabled, SyncMembers writes members' points and tier to
// contact properties, matched on a unique contact property (email by
// default), 100 contacts per call; members HubSpot does not know are
// skipped.
//
// Every API call, retries included, waits for one rate limiter per
// connector, which never lets more than rate_limit.requests calls through in
// any rate_limit.interval.
package hubspot
