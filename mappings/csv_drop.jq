# csv_drop: the rows of a CSV export dropped in a watched folder, as the
# csv_drop source sends them, a batch per delivery:
#
#   {"file": "sales-2026-11-23.csv",
#    "rows": [{"line": 2,                           the row's line in the file
#              "transaction_id": "INV-1001",        required
#              "type": "sale",                      sale (default), refund or void
#              "occurred_at": "2026-11-23T10:00:00+07:00", RFC 3339
#              "amount": "150000.00",               a decimal string, major units
#              "currency": "IDR",                   optional, ISO 4217
#              "customer_phone": "0812-3456-7890",  optional, any notation
#              "customer_email": "sari@example.com", optional
#              "member_id": "C-77",                 optional: the source's customer id
#              "customer_name": "Sari",             optional
#              "store_id": "JKT-01",                optional
#              "original_transaction_id": "INV-1000"}]} the sale a refund or void undoes
#
# Each row is mapped on its own: a row that cannot be mapped is failed alone
# (its dead letter's payload is the file with that row only, a body this
# mapping takes) and the other rows go on.
#
# Empty fields are left out. $meta.source.default_currency, when the
# connector sets one, is the currency of rows that name none.
#
# A sale becomes "order.paid" with id = transaction_id and the data of
# event.OrderPaid: order_id, phone, email, name, total, currency, store_id
# and customer_id (the member_id). A refund becomes "order.refunded"
# (order_id = original_transaction_id, refund_id = transaction_id, amount,
# currency) with id = original_transaction_id/transaction_id; a void
# becomes "order.cancelled" of original_transaction_id, or of its own
# transaction_id when it names no original. Event ids derive from these ids,
# so a file dropped again yields the same events.

def text:
  if type == "string" then . elif type == "number" then tostring else null end;

def decimal($field):
  (if type == "string" then . elif type == "number" then tostring else null end) as $s
  | if $s != null and ($s | test("^-?[0-9]+(\\.[0-9]+)?$")) then $s
    else error("\($field) must be a decimal string, got \(tojson)")
    end;

# drop_empty leaves out the fields that are null or empty strings.
def drop_empty: del(.[] | select(. == null or . == ""));

# at checks a row's occurred_at: RFC 3339 or unix seconds, as a number or
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

# row maps one row.
def row($default_currency):
  if type != "object" then error("a row must be a JSON object, got \(type)") else . end
  | (.line // "?") as $line
  | (.occurred_at | try at catch error("row at line \($line): \(.)")) as $at
  | (.transaction_id | text) as $id
  | if $id == null or $id == "" then error("row at line \($line): transaction_id is required") else . end
  | ((.currency | text) // $default_currency) as $currency
  | (.original_transaction_id | text) as $original
  | (.type // "sale") as $type
  | if $type == "sale" then
      {
        type: "order.paid",
        id: $id,
        occurred_at: $at,
        data: ({
          order_id: $id,
          phone: (.customer_phone | text // ""),
          email: (.customer_email | text),
          name: (.customer_name | text),
          total: (.amount | decimal("row at line \($line): amount")),
          currency: $currency,
          store_id: (.store_id | text),
          customer_id: (.member_id | text)
        } | .phone as $phone | drop_empty | .phone = $phone)
      }
    elif $type == "refund" then
      if $original == null or $original == "" then
        error("row at line \($line): a refund needs original_transaction_id")
      else . end
      | {
          type: "order.refunded",
          id: "\($original)/\($id)",
          occurred_at: $at,
          data: ({
            order_id: $original,
            refund_id: $id,
            amount: (.amount | decimal("row at line \($line): amount")),
            currency: $currency
          } | drop_empty)
        }
    elif $type == "void" then
      (if $original == null or $original == "" then $id else $original end) as $order
      | {type: "order.cancelled", id: $order, occurred_at: $at, data: {order_id: $order}}
    else
      error("row at line \($line): type must be sale, refund or void, got \($type | tojson)")
    end;

(($meta.source // {}).default_currency | text) as $default_currency
| if type != "object" or (.rows | type) != "array" then
    error("a csv_drop delivery is {\"file\": …, \"rows\": [...]}, got \(type)")
  else . end
| . as $file
| .rows[] as $row
| try ($row | row($default_currency)) catch {error: ., item: ($file | .rows = [$row])}
