// Package mappings turns accepted deliveries into normalized events with jq
// programs (github.com/itchyny/gojq), and bundles the default mapping of
// every source connector.
//
// # The contract of a mapping
//
// A mapping is a jq program. Its input "." is the delivery's body, parsed as
// JSON with numbers kept exact: integers stay integers of any size (provider
// ids often exceed 2^53) and other numbers become float64, so 257500.50
// prints as "257500.5" with tostring. The variable $meta describes the
// delivery:
//
//	{"tenant": "acme", "connector": "pos", "kind": "pos_webhook",
//	 "delivery_id": "…", "topic": "", "received_at": "2026-11-23T03:00:00Z",
//	 "source": {}}
//
// received_at is RFC 3339 in UTC, to the second, so fromdate reads it.
// topic is the provider's topic (Shopify's X-Shopify-Topic); source holds
// what the source read from the request besides the body, as strings (the
// shop's domain, a connector setting such as include_test_orders).
//
// Each value the program outputs is one event (or a failed item or an
// ignored part, see below) and must be an object:
//
//	{"type": "order.paid",            // required, non-empty string
//	 "id": "S-1001",                  // required: the provider's id of the object,
//	                                  // unique per type; a string or an integer
//	 "occurred_at": "2026-11-23T10:00:00+07:00", // optional: RFC 3339, or unix
//	                                  // seconds as a number or numeric string
//	 "data": {...}}                   // required object: the event's data
//
// No other keys are allowed, so a misspelt key fails loudly instead of being
// ignored. A program that outputs nothing (empty) yields no events. The
// engine derives each event's id from (tenant, connector, type + "/" + id),
// so the same provider object always yields the same event id, and uses the
// delivery's received_at when occurred_at is absent or null. Times are
// stored in UTC.
//
// # One item at a time
//
// A delivery often carries several items: a POS batch of sales, the rows of
// a CSV file, WhatsApp's messages and statuses. One bad item must not sink
// the others, so a mapping that iterates items maps each inside jq's try,
// and outputs, for an item it cannot map, a failure instead of its events:
//
//	{"error": "sale_id is required",   // the reason: a string (another
//	                                   // value is kept as its JSON text)
//	 "item": {...}}                    // required: the item's JSON
//
// The item is best given as a body that the same mapping maps to that item
// alone (a batch of one: {"sales": [sale]}), so that the item can be replayed
// once its cause is fixed; else the item itself. Inside catch, "." is the
// error, so bind the item first:
//
//	.sales[] as $sale | try ($sale | sale) catch {error: ., item: {sales: [$sale]}}
//
// The mapping stage stores each failed item as a dead letter of its own
// (the reason, the item as payload, the delivery's metadata, and an id
// derived from the connector and the item, so that the same item delivered
// again is not stored twice) and publishes the delivery's events. An error
// that escapes every try still fails the whole delivery, as below, and so
// does an event that breaks the contract, which is checked after the
// program ran: a mapping checks inside its try what an item brings that the
// contract refuses (pos_webhook and csv_drop check occurred_at).
//
// A part of a delivery that the mapping leaves aside on purpose (a webhook
// field the hub does not handle, a body that is not the provider's
// envelope) is not silently dropped: the mapping outputs
//
//	{"ignored": "account_update"}      // a short label, such as the field
//
// and the hub counts it by label (loyalhub_mapping_parts_ignored_total)
// and logs the first of each label at info. Keep labels few: they are
// metric labels (one longer than 64 characters, or with characters other
// than letters, digits and "_.:-", is counted as "other").
//
// Program.Map returns the three kinds of output apart (*Result); Program.Run
// returns the events only, and fails with an *ItemError when an item
// failed, for tools that show a mapping's answer whole.
//
// # Errors
//
// Every failure that retrying cannot fix is a permanent core/fault error of
// class ClassRequest with a reason fit for the dead-letter store: a body that
// is not JSON, a jq runtime error (including error("...") raised by the
// mapping itself), an output that breaks the contract above (the message
// names the output index and the field), or more than MaxOutputs outputs
// (events, failures and ignored parts together).
// Only cancellation of ctx is returned unclassified, so that a delivery
// interrupted by a shutdown is retried rather than dead-lettered.
//
// Program.Locate finds the error("…") call that raised a runtime error, or
// the reason of a failed item, so that tools can point at the line of the
// mapping.
//
// Programs cannot read the process environment ($ENV and env are empty), nor
// inputs or modules.
//
// Besides jq's builtins, a mapping may call drop_nulls: the object without
// its null values (or the array without its null elements), as
// del(.[] | nulls) gives it, at a fraction of the cost. A mapping that
// defines its own drop_nulls uses its own.
//
// Program.LocateRun finds the place of gojq's own runtime errors too
// (iterating over null, indexing a string, a builtin such as tonumber
// refusing its input), which carry no position: it runs the program again
// with every stage of its source marked and reports the stage the failure
// happened in, also for an error the mapping caught and reported as a
// failed item; other errors it locates as Locate does.
//
// # Bundled mappings and their samples
//
// Each source connector type has a bundled mapping, <name>.jq in this
// package, tested against recorded payloads of its source in
// testdata/<name>/: <case>.json, the expected <case>.golden.json, and
// optionally <case>.delivery.json with the delivery's topic and source
// meta. The payloads are embedded (Samples), so that loyalhub mapping lint
// can run a tenant's own mapping over them.
package mappings
