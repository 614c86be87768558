# pos_webhook: the plain JSON sale format loyalhub documents for POS vendors.
#
# One sale per request:
#
#   {"sale_id": "S-1001",                       required, string or integer
#    "store_id": "JKT-01",                      optional
#    "occurred_at": "2026-11-23T10:00:00+07:00", optional, RFC 3339 or unix seconds;
#                                               the time of receipt when absent
#    "status": "paid",                          optional: "paid" (default), "refunded"
#                                               or "void" (also "cancelled")
#    "customer": {"phone": "0812-3456-7890",    the member's phone, any notation
#                 "country": "ID",              optional: ISO 3166 alpha-2 of the
#                                               customer's address, which the phone is
#                                               read with before the tenant's region
#                 "id": "C-42",                 optional: the POS's customer id
#                 "name": "Sari", "email": "sari@example.com",
#                 "birthday": "1990-04-12",     optional: a date or "04-12"
#                 "city": "Jakarta",            optional: the member's profile
#                 "language": "id",             (event.OrderPaid.Profile); tags an
#                 "tags": ["vip"],              array or a comma-separated string,
#                 "attributes": {"size": "M"}}, attributes strings, numbers, booleans
#    "total": "257500.00",                      required, a decimal string or a number,
#                                               in the currency's major unit
#    "currency": "IDR",                         optional, ISO 4217
#    "items": [{"sku", "name", "category",      optional; lines for excluded SKUs and
#               "qty", "price", "total"}],      categories and for multipliers
#    "referral_code": "K7QM2XPA",               optional: the referral code a new member
#                                               joins with
#    "refund_id": "R-1",                        with status refunded: the refund's id
#    "refund_amount": "50000"}                  with status refunded: the amount
#                                               refunded (default: the total)
#
# or a batch of them: {"sales": [sale, ...]}. Each sale of a batch is
# mapped on its own: a sale that cannot be mapped is failed alone (its dead
# letter's payload is the sale, a body this mapping takes) and the others
# earn.
#
# A paid sale becomes one "order.paid" event with id = sale_id and the data
# of event.OrderPaid: order_id, phone, phone_country (customer.country,
# upper-cased, when it is two letters and there is a phone), customer_id
# (customer.id), email, name, total (a decimal string, exactly as sent when
# sent as a string), currency, store_id, items, referral_code when the
# sale carries one, and profile: source "pos", store = store_id, and the
# customer's city, language, tags and attributes. A
# refunded sale becomes "order.refunded" (order_id, refund_id, amount, with
# id = sale_id/refund_id), a void one "order.cancelled" (order_id).

def text:
  if type == "string" then . elif type == "number" then tostring else null end;

def decimal($field):
  (if type == "string" then . elif type == "number" then tostring else null end) as $s
  | if $s != null and ($s | test("^-?[0-9]+(\\.[0-9]+)?$")) then $s
    else error("\($field) must be a decimal string or number, got \(tojson)")
    end;

# at checks a sale's occurred_at: RFC 3339 or unix seconds, as a number or
# a numeric string; null or "" for the time of receipt.
def at:
  if . == null or . == "" then null
  elif type == "number" and . >= 0 and . <= 253402300799 then .
  elif type == "string" and test("^[0-9]+(\\.[0-9]+)?$") and (tonumber <= 253402300799) then .
  elif type == "string"
       and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$")
       and (sub("\\.[0-9]+"; "") | try (fromdateiso8601 | true) catch false) then .
  else error("occurred_at must be RFC 3339 or unix seconds, got \(tojson)")
  end;

# drop_empty leaves out the fields that are null, empty strings or empty
# arrays.
def drop_empty: del(.[] | select(. == null or . == "" or . == []));

def item:
  if type != "object" then error("an item must be a JSON object, got \(type)") else . end
  | {
      sku: (.sku | text),
      name: (.name | text),
      category: (.category | text),
      quantity: (.qty // .quantity | if . == null then null else decimal("items[].qty") end),
      price: (.price | if . == null then null else decimal("items[].price") end),
      total: (.total | if . == null then null else decimal("items[].total") end)
    }
  | drop_empty;

def sale:
  if type != "object" then error("a sale must be a JSON object, got \(type)") else . end
  | (.sale_id | text) as $id
  | if $id == null or $id == "" then error("sale_id is required (a string or an integer)") else . end
  | (.status | if type == "string" then ascii_downcase else "paid" end) as $status
  | (.occurred_at | at) as $at
  | if $status == "void" or $status == "cancelled" then
      {type: "order.cancelled", id: $id, occurred_at: $at, data: {order_id: $id}}
    elif $status == "refunded" then
      ((.refund_id | text) // "refund") as $refund
      | {
          type: "order.refunded",
          id: "\($id)/\($refund)",
          occurred_at: $at,
          data: ({
            order_id: $id,
            refund_id: $refund,
            amount: (.refund_amount // .total | decimal("refund_amount")),
            currency: (.currency | text)
          } | drop_empty)
        }
    else
      (.customer | if type == "object" then . else {} end) as $c
      | {
          type: "order.paid",
          id: $id,
          occurred_at: $at,
          data: ({
            order_id: $id,
            phone: ($c.phone | text // ""),
            phone_country: ($c.country | text
                            | if . != null and test("^[A-Za-z]{2}$") and ($c.phone | text // "") != ""
                              then ascii_upcase else null end),
            customer_id: ($c.id | text),
            email: ($c.email | text),
            birthday: ($c.birthday | text),
            name: ($c.name | text),
            total: (.total | decimal("total")),
            currency: (.currency | text),
            store_id: (.store_id | text),
            referral_code: (.referral_code | text),
            items: (.items | if type == "array" then map(item) else null end),
            profile: ({
              source: "pos",
              store: (.store_id | text),
              city: ($c.city | text),
              language: ($c.language | text),
              tags: ($c.tags | if type == "array" then map(text | select(. != null))
                     elif type == "string" then [split(",")[] | gsub("^\\s+|\\s+$"; "") | select(. != "")]
                     else null end),
              attributes: ($c.attributes | if type == "object" and length > 0 then . else null end)
            } | drop_empty)
          } | .phone as $phone | drop_empty | .phone = $phone)
        }
    end;

if type == "object" and has("sales") then
  if (.sales | type) == "array" then .sales[] as $sale | try ($sale | sale) catch {error: ., item: $sale}
  else error("sales must be an array, got \(.sales | type)")
  end
else sale
end
