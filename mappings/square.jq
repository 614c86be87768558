# square: Square webhook notifications (the pos_webhook connector's square preset).
#
# Input: one notification, as Square sends it:
#
#   {"merchant_id": "6SSW7HV8K2ST5", "type": "payment.updated",
#    "event_id": "6a8f5f28-…", "created_at": "2020-02-06T21:27:34.308Z",
#    "data": {"type": "payment", "id": "hYy9pRFVxpDsO1FB05SunFWUe9JZY",
#             "object": {"payment": {…}}}}
#
# or, when the connector's customer lookup is on, that notification
# wrapped with the customers it looked up (a customer Square does not know
# is null):
#
#   {"payload": <the notification>,
#    "customers": {"<customer_id>": {"phone": "+1…", "email": "…", "name": "…",
#                                    "country": "US"}}}
#
# Events:
#
# - payment.created / payment.updated whose data.object.payment.status is
#   "COMPLETED" → "order.paid" with id = the payment's id and the data of
#   event.OrderPaid: order_id = the payment's id, total = total_money (else
#   amount_money) converted from the currency's minor unit to a decimal
#   string in its major unit with the ISO 4217 exponent (USD 100 → "1.00",
#   JPY 1500 → "1500", KWD 1500 → "1.500"), currency, store_id =
#   location_id, customer_id, and phone, email and name from the looked-up
#   customer (email falls back to buyer_email_address), with phone_country
#   = the country of the customer's address (ISO 3166 alpha-2), which the
#   hub reads the phone with before the tenant's region. Other statuses
#   (APPROVED, CANCELED, FAILED) yield nothing: points are earned once the
#   payment completes, and a payment updated again later maps to the same
#   event.
# - refund.created / refund.updated whose refund status is "COMPLETED" →
#   "order.refunded" with id = "<payment_id>/<refund id>": order_id = the
#   refunded payment's id, refund_id, amount (amount_money, converted as
#   above), currency, reason. Other statuses yield nothing, as does a refund
#   linked to no payment.
# - Anything else (webhooks.test_notification, order.*, customer.*…) yields
#   nothing.
#
# Orders are keyed by the payment, not by payment.order_id: a refund names
# the payment it refunds (its own order_id is the return order Square
# creates for it), and a sale paid with several tenders is several
# payments, each earning for its own amount.
#
# Without the lookup, a POS payment carries no phone, so its order.paid
# has phone "" and earns on a member known by the customer id (or the
# buyer's email) alone, whom no WhatsApp message reaches; a payment without
# either names nobody and is left aside: configure lookup.access_token.

def text:
  if type == "string" then . elif type == "number" then tostring else null end;

def drop_empty: del(.[] | select(. == null or . == "" or . == []));

def zeros($n): [range(0; $n) | "0"] | join("");

# The ISO 4217 minor-unit exponent of a currency code.
def exponent:
  if IN("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
        "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF") then 0
  elif IN("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND") then 3
  elif IN("CLF", "UYW") then 4
  else 2
  end;

# money($field): a Money object {"amount": <integer, minor units>,
# "currency": "USD"} as {"amount": "<decimal in major units>", "currency"}.
def money($field):
  if type != "object" then error("\($field) must be a Money object, got \(type)") else . end
  | (.currency
     | if type == "string" and test("^[A-Z]{3}$") then .
       else error("\($field).currency must be an ISO 4217 code, got \(tojson)")
       end) as $currency
  | (.amount
     | if type == "number" and (tostring | test("^-?[0-9]+$")) then tostring
       else error("\($field).amount must be an integer in minor units, got \(tojson)")
       end) as $minor
  | ($currency | exponent) as $e
  | ($minor | startswith("-")) as $negative
  | ($minor | ltrimstr("-")) as $digits
  | (if $e == 0 then $digits
     else (zeros($e + 1 - ($digits | length)) + $digits) as $padded
     | $padded[0:($padded | length) - $e] + "." + $padded[($padded | length) - $e:]
     end) as $major
  | {amount: ((if $negative then "-" else "" end) + $major), currency: $currency};

def required_id($field):
  if type == "string" and . != "" then .
  else error("\($field) is required (a non-empty string), got \(tojson)")
  end;

def payment($customers):
  .data.object.payment
  | if type != "object" then error("data.object.payment must be an object, got \(type)") else . end
  | (.id | required_id("data.object.payment.id")) as $id
  | if .status != "COMPLETED" then empty
    else
      (if .total_money != null then .total_money | money("data.object.payment.total_money")
       else .amount_money | money("data.object.payment.amount_money")
       end) as $total
      | (.customer_id | text) as $customer_id
      | (if $customer_id == null then {}
         else $customers[$customer_id] | if type == "object" then . else {} end
         end) as $c
      | (.buyer_email_address | text) as $buyer_email
      | {
          type: "order.paid",
          id: $id,
          occurred_at: (.created_at | text),
          data: ({
            order_id: $id,
            phone: ($c.phone | text // ""),
            phone_country: (if ($c.phone | text) != null then $c.country | text else null end),
            email: ($c.email | text // $buyer_email),
            name: ($c.name | text),
            total: $total.amount,
            currency: $total.currency,
            store_id: (.location_id | text),
            customer_id: $customer_id
          } | .phone as $phone | drop_empty | .phone = $phone)
        }
    end;

def refund:
  .data.object.refund
  | if type != "object" then error("data.object.refund must be an object, got \(type)") else . end
  | (.id | required_id("data.object.refund.id")) as $id
  | (.payment_id | text) as $payment_id
  | if .status != "COMPLETED" or $payment_id == null or $payment_id == "" then empty
    else
      (.amount_money | money("data.object.refund.amount_money")) as $amount
      | {
          type: "order.refunded",
          id: "\($payment_id)/\($id)",
          occurred_at: (.created_at | text),
          data: ({
            order_id: $payment_id,
            refund_id: $id,
            amount: ($amount.amount | ltrimstr("-")),
            currency: $amount.currency,
            reason: (.reason | text)
          } | drop_empty)
        }
    end;

(if type == "object" and has("payload") and has("customers") then
   {body: .payload, customers: (.customers | if type == "object" then . else {} end)}
 else {body: ., customers: {}}
 end) as $in
| $in.body
| if type != "object" then error("a Square notification must be a JSON object, got \(type)") else . end
| (.type | if type == "string" and . != "" then . else error("type is required (the event type, such as payment.updated)") end) as $type
| if $type == "payment.created" or $type == "payment.updated" then payment($in.customers)
  elif $type == "refund.created" or $type == "refund.updated" then refund
  else empty
  end
