# loyverse: Loyverse webhooks (the pos_webhook connector's loyverse preset).
#
# Input: one webhook, as Loyverse sends it:
#
#   {"merchant_id": "…", "type": "receipts.update", "created_at": "…",
#    "receipts": [{"receipt_number": "2-1008", "receipt_type": "SALE",
#                  "refund_for": null, "receipt_date": "…", "cancelled_at": null,
#                  "total_money": 136.00, "customer_id": "…", "store_id": "…",
#                  "line_items": [{"item_name", "sku", "quantity", "price",
#                                  "total_money", …}], …}]}
#
# or, when the connector's customer lookup is on, that webhook wrapped with
# the customers it looked up (a customer Loyverse does not know is null):
#
#   {"payload": <the webhook>,
#    "customers": {"<customer_id>": {"phone": "+66…", "email": "…", "name": "…",
#                                    "country": "TH"}}}
#
# receipts.update fires when a receipt is created and when it changes. Each
# receipt of it becomes at most one event, mapped on its own: a receipt that
# cannot be mapped is failed alone (its dead letter's payload is the webhook
# with that receipt only, a body this mapping takes) and the others earn:
#
# - a SALE → "order.paid" with id = receipt_number and the data of
#   event.OrderPaid: order_id = receipt_number, total = total_money (a
#   decimal in the currency's major unit, kept exact), store_id,
#   customer_id, items from line_items (sku, name = item_name, quantity,
#   price, total = total_money), and phone, email and name from the
#   looked-up customer, with phone_country = the customer's country_code
#   (ISO 3166 alpha-2), which the hub reads the phone with before the
#   tenant's region. Loyverse receipts carry no currency.
# - a SALE with cancelled_at → "order.cancelled" (order_id =
#   receipt_number), which takes back the sale's points.
# - a REFUND → "order.refunded" with id = "<refund_for>/<receipt_number>":
#   order_id = refund_for (the refunded sale's receipt_number), refund_id =
#   receipt_number, amount = total_money. A cancelled REFUND yields nothing.
#
# Other webhook types (customers.update, items.update,
# inventory_levels.update) yield nothing. Without the lookup a receipt
# carries no phone, so its order.paid has phone "" and earns on a member
# known by the customer id alone, whom no WhatsApp message reaches (a
# receipt without a customer names nobody and is left aside): configure
# lookup.access_token.

def text:
  if type == "string" then . elif type == "number" then tostring else null end;

def drop_empty: del(.[] | select(. == null or . == "" or . == []));

def decimal($field):
  (if type == "string" then . elif type == "number" then tostring else null end) as $s
  | if $s != null and ($s | test("^-?[0-9]+(\\.[0-9]+)?$")) then $s
    else error("\($field) must be a decimal number, got \(tojson)")
    end;

def optional_decimal($field): if . == null then null else decimal($field) end;

def item:
  if type != "object" then error("receipts[].line_items[] must be an object, got \(type)") else . end
  | {
      sku: (.sku | text),
      name: (.item_name | text),
      quantity: (.quantity | optional_decimal("receipts[].line_items[].quantity")),
      price: (.price | optional_decimal("receipts[].line_items[].price")),
      total: (.total_money | optional_decimal("receipts[].line_items[].total_money"))
    }
  | drop_empty;

def receipt($customers):
  if type != "object" then error("receipts[] must be an object, got \(type)") else . end
  | (.receipt_number
     | if type == "string" and . != "" then .
       else error("receipts[].receipt_number is required (a non-empty string), got \(tojson)")
       end) as $number
  | (.receipt_type
     | if type == "string" then .
       else error("receipts[].receipt_type of receipt \($number) must be SALE or REFUND, got \(tojson)")
       end) as $kind
  | (.cancelled_at | if . == "" then null else . end) as $cancelled_at
  | (.receipt_date // .created_at) as $at
  | if $kind == "SALE" and $cancelled_at != null then
      {type: "order.cancelled", id: $number, occurred_at: $cancelled_at, data: {order_id: $number}}
    elif $kind == "SALE" then
      (.customer_id | text) as $customer_id
      | (if $customer_id == null then {}
         else $customers[$customer_id] | if type == "object" then . else {} end
         end) as $c
      | {
          type: "order.paid",
          id: $number,
          occurred_at: $at,
          data: ({
            order_id: $number,
            phone: ($c.phone | text // ""),
            phone_country: (if ($c.phone | text) != null then $c.country | text else null end),
            email: ($c.email | text),
            name: ($c.name | text),
            total: (.total_money | decimal("receipts[].total_money of receipt \($number)")),
            store_id: (.store_id | text),
            customer_id: $customer_id,
            items: (.line_items
                    | if type == "array" then map(item)
                      elif . == null then null
                      else error("receipts[].line_items of receipt \($number) must be an array, got \(type)")
                      end)
          } | .phone as $phone | drop_empty | .phone = $phone)
        }
    elif $kind == "REFUND" and $cancelled_at != null then empty
    elif $kind == "REFUND" then
      (.refund_for
       | if type == "string" and . != "" then .
         else error("receipts[].refund_for of refund \($number) is required (the refunded receipt_number), got \(tojson)")
         end) as $sale
      | {
          type: "order.refunded",
          id: "\($sale)/\($number)",
          occurred_at: $at,
          data: {
            order_id: $sale,
            refund_id: $number,
            amount: (.total_money | decimal("receipts[].total_money of refund \($number)") | ltrimstr("-"))
          }
        }
    else error("receipts[].receipt_type of receipt \($number) must be SALE or REFUND, got \($kind | tojson)")
    end;

(if type == "object" and has("payload") and has("customers") then
   {body: .payload, customers: (.customers | if type == "object" then . else {} end), wrapped: true}
 else {body: ., customers: {}, wrapped: false}
 end) as $in
| $in.body
| if type != "object" then error("a Loyverse webhook must be a JSON object, got \(type)") else . end
| (.type | if type == "string" and . != "" then . else error("type is required (the webhook type, such as receipts.update)") end) as $type
| if $type == "receipts.update" then
    (.receipts | if type == "array" then . else error("receipts must be an array, got \(type)") end) as $receipts
    | . as $webhook
    | $receipts[] as $r
    | try ($r | receipt($in.customers))
      catch {error: ., item: ($webhook | .receipts = [$r] | if $in.wrapped then {payload: ., customers: $in.customers} else . end)}
  else empty
  end
