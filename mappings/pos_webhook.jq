# pos_webhook: the plain JSON sale format loyalhub documents for POS vendors.
#
# One sale per request:
#
#   {"sale_id": "S-1001",                       required, string or integer
#    "store_id": "JKT-01",                      optional
#    "occurred_at": "2026-11-23T10:00:00+07:00", optional, RFC 3339 or unix seconds;
#                                               the time of receipt when absent
#    "status": "paid",                          optional; "void" and "refunded" sales
#                                               are skipped
#    "customer": {"phone": "0812-3456-7890",    the member's phone, any notation
#                 "name": "Sari", "email": "sari@example.com"},
#    "total": "257500.00",                      required, a decimal string or a number,
#                                               in the currency's major unit
#    "currency": "IDR",                         optional, ISO 4217
#    "items": [{"sku", "name", "qty", "price"}]} optional, not used yet
#
# or a batch of them: {"sales": [sale, ...]}.
#
# Each paid sale becomes one "order.paid" event with id = sale_id and the
# data of event.OrderPaid: order_id, phone, email, name, total (a decimal
# string, exactly as sent when sent as a string), currency, store_id.

def text:
  if type == "string" then . elif type == "number" then tostring else null end;

def decimal($field):
  (if type == "string" then . elif type == "number" then tostring else null end) as $s
  | if $s != null and ($s | test("^-?[0-9]+(\\.[0-9]+)?$")) then $s
    else error("\($field) must be a decimal string or number, got \(tojson)")
    end;

def sale:
  if type != "object" then error("a sale must be a JSON object, got \(type)") else . end
  | if (.status | type) == "string" and (.status | ascii_downcase | IN("void", "refunded")) then empty
    else
      (.sale_id | text) as $id
      | if $id == null or $id == "" then error("sale_id is required (a string or an integer)") else . end
      | (.customer | if type == "object" then . else {} end) as $c
      | {
          type: "order.paid",
          id: $id,
          occurred_at: (.occurred_at | if . == "" then null else . end),
          data: ({
            order_id: $id,
            phone: ($c.phone | text // ""),
            email: ($c.email | text),
            name: ($c.name | text),
            total: (.total | decimal("total")),
            currency: (.currency | text),
            store_id: (.store_id | text)
          } | with_entries(select(.value != null and .value != "" or .key == "phone")))
        }
    end;

if type == "object" and has("sales") then
  if (.sales | type) == "array" then .sales[] | sale
  else error("sales must be an array, got \(.sales | type)")
  end
else sale
end
