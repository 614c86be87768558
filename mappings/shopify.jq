# shopify: Shopify webhook payloads, one per delivery, chosen by the delivery's
# topic ($meta.topic, from X-Shopify-Topic). Ids are kept as strings (order
# ids exceed 2^53) and money as decimal strings exactly as sent; sums are
# computed on integers of the smallest unit sent, never on floats.
#
#   orders/paid             order.paid     id = order id; data of event.OrderPaid:
#                                          total = current_total_price (after edits
#                                          and refunds) or total_price; phone from
#                                          customer.phone, phone, billing_address.phone,
#                                          shipping_address.phone or
#                                          customer.default_address.phone, and
#                                          phone_country (see below); items from
#                                          line_items, total = price × quantity − its
#                                          discount_allocations (or total_discount),
#                                          category "gift-card" for gift cards;
#                                          store_id = location_id (POS orders);
#                                          profile (see below).
#                                          Test orders ("test": true) yield nothing
#                                          unless $meta.source.include_test_orders is
#                                          "true".
#   orders/create           order.created  the same data and test rule
#   orders/updated          order.paid     the same, only while financial_status is
#                                          "paid": it catches a missed orders/paid, and
#                                          its event id is the order's, so an order
#                                          earns once whichever topic comes first;
#                                          other states yield nothing
#   orders/cancelled        order.cancelled {order_id, reason = cancel_reason}; the same
#                                          test rule: a test order's cancellation
#                                          yields nothing, as the order earned nothing;
#                                          nor does a guest's (an order naming no
#                                          customer id, email or phone), counted as
#                                          ignored "guest_order"
#   refunds/create          order.refunded id = refund id; amount = the sum of
#                                          refund_line_items' subtotals, or without
#                                          lines the sum of successful refund
#                                          transactions; lines without subtotals
#                                          (older API versions) count the successful
#                                          refund transactions, else each line's
#                                          line_item.price × quantity; a refund of
#                                          nothing (restock only) yields nothing. The test rule: a
#                                          refund whose transactions are all test
#                                          transactions ("test": true, a test order's)
#                                          yields nothing unless test orders count; a
#                                          refund without transactions cannot tell
#   customers/create|update customer.upserted id = customer id/updated_at; customer_id,
#                                          email, name, phone (phone, else
#                                          default_address.phone) and phone_country;
#                                          profile (see below)
#   customers_marketing_consent/update
#                           consent.changed sms_marketing: "subscribed" resumes,
#                                          "unsubscribed", "not_subscribed" and
#                                          "redacted" stop; pending or unknown states,
#                                          or no phone, yield nothing
#   checkouts/create|update checkout.updated id = token/updated_at; phone from phone,
#                                          sms_marketing_phone, customer.phone,
#                                          shipping_address.phone or
#                                          billing_address.phone, and phone_country;
#                                          customer_id = customer.id, else customer_id
#   checkouts/delete        checkout.updated {token, completed: true} (nothing when the
#                                          payload has no token)
#   customers/data_request  privacy.data_request {shop_domain, customer_id, email, phone,
#                                          orders = orders_requested, request_id =
#                                          data_request.id}: customer.id, .email and
#                                          .phone as sent, any one of them enough
#   customers/redact        privacy.redact  the same, orders = orders_to_redact
#   shop/redact             privacy.shop_redact {shop_domain}
#
# phone_country is the ISO 3166 alpha-2 country_code of the address the
# phone was read from (billing_address, shipping_address,
# customer.default_address), upper-cased; a phone that is not an
# address's (customer.phone, the order's or checkout's phone,
# sms_marketing_phone) takes the country of the billing address, else the
# shipping address, else the customer's default address (a customer's own
# phone: its default address). It is left out when that address has no
# two-letter country_code, or there is no phone: the hub then reads the
# phone with the tenant's default_region. customer_id and email are emitted
# whenever the payload has them, with or without a phone, as sent (the hub
# lower-cases emails).
#
# customers_email_marketing_consent/update, orders/edited, orders/fulfilled,
# customers/delete, customers/merge, app/uninstalled and any other topic
# yield nothing. A payload of a known topic that lacks what
# its event needs is an error, so that the delivery is dead-lettered with the
# reason.

def text:
  if type == "string" then . elif type == "number" then tostring else null end;

# nonblank: the text, or null when it is missing or empty.
def nonblank: text | if . == null or . == "" then null else . end;

def obj: if type == "object" then . else {} end;

# first_of(f): the first non-empty text among the outputs of f, or null.
def first_of(f): [f | nonblank | select(. != null)] | .[0];

def require_object($what):
  if type == "object" then . else error("\($what) must be a JSON object, got \(type)") end;

# id_of($what): a provider id as a string: integers exactly, of any size.
def id_of($what):
  if type == "number" or type == "string" then tostring else null end
  | if . == null or . == "" then error("\($what) is required (an integer or a string)") else . end;

def decimal($field):
  (if type == "string" then . elif type == "number" then tostring else null end) as $s
  | if $s != null and ($s | test("^-?[0-9]+(\\.[0-9]+)?$")) then $s
    else error("\($field) must be a decimal string or number, got \(tojson)")
    end;

# Exact decimal arithmetic: a decimal string is scaled to an integer of
# 10^-$d units, summed or multiplied as integers, and formatted back.
def scale: split(".") | if length > 1 then .[1] | length else 0 end;

def to_minor($d):
  startswith("-") as $neg
  | ltrimstr("-") | split(".") as $p
  | ($p[0] + ((($p[1] // "") + ("0" * $d)) // "")[:$d]) | tonumber
  | if $neg then -. else . end;

def from_minor($d):
  (if . < 0 then "-" else "" end) as $sign
  | (if . < 0 then -. else . end | tostring) as $s
  | if $d == 0 then $sign + $s
    else ((("0" * ($d + 1 - ($s | length))) // "") + $s) as $p
    | $sign + $p[:-$d] + "." + $p[-$d:]
    end;

# decimal_sum: the sum of an array of decimal strings, with as many decimals
# as the most precise of them; "0" for none.
def decimal_sum:
  (map(scale) | max // 0) as $d
  | map(to_minor($d)) | add // 0 | from_minor($d);

def positive_decimal: to_minor(scale) > 0;

# time_or_null: a timestamp string as sent, or null so that the engine uses
# the time of receipt.
def time_or_null: if type == "string" and . != "" then . else null end;

def person_name: obj | [.first_name, .last_name] | map(nonblank) | map(select(. != null)) | join(" ")
  | if . == "" then null else . end;

def address_name: obj | (.name | nonblank) // person_name;

def drop_empty: del(.[] | select(. == null or . == "" or . == []));

def include_test_orders: ($meta.source | obj | .include_test_orders) == "true";

# test_order: a test order (or its cancellation) that does not count.
def test_order: .test == true and (include_test_orders | not);

# An order's and a customer's profile (event.OrderPaid.Profile): source
# "shopify", store = the order's location_id, city = the customer's
# default_address.city, language = the customer's locale (an order's
# customer_locale without one), primary subtag lower-cased ("id-ID" → "id"),
# tags = the customer's comma-separated tags (payloads of API versions
# before 2025-01 carry them), each once.

# country: an address's country_code, upper-cased, when it is two letters.
def country:
  obj | .country_code | if type == "string" and test("^[A-Za-z]{2}$") then ascii_upcase else null end;

# phone_with_country(candidates): {phone, phone_country} of the first
# candidate {phone, country} whose phone is not blank; both null without
# one.
def phone_with_country(candidates):
  [candidates | {phone: (.phone | nonblank), phone_country: .country} | select(.phone != null)]
  | .[0] // {phone: null, phone_country: null};

# countries: the countries of an order's or a checkout's addresses, and
# the buyer's: the one a phone that is no address's is read with.
def countries:
  {billing: (.billing_address | country), shipping: (.shipping_address | country),
   home: (.customer | obj | .default_address | country)}
  | .buyer = (.billing // .shipping // .home);

# language: a locale ("en-US", "id") as the language the chatbot names
# ("en", "id"); null when blank.
def language: nonblank | if . == null then null else split("-")[0] | split("_")[0] | ascii_downcase | nonblank end;

# tag_list: Shopify's comma-separated tags ("vip, staff") as a list, each
# once, blank ones left out.
def tag_list:
  if type == "string"
  then reduce (split(",")[] | gsub("^\\s+|\\s+$"; "") | select(. != "")) as $t ([]; if any(.[]; . == $t) then . else . + [$t] end)
  else [] end;

# profile($store; $city; $locale): the member profile part of an order's or a customer's
# data (event.OrderPaid.Profile): source "shopify", the store (a POS
# order's location_id), the city of the customer's default address, the
# language of their locale, and their tags.
def profile($store; $city; $locale):
  {source: "shopify", store: $store, city: ($city | nonblank), language: ($locale | language),
   tags: (.tags | tag_list)} | drop_empty;

# line_item: one order line as an event.OrderItem.
def line_item:
  require_object("a line item")
  | (.price | if . == null then null else decimal("line_items[].price") end) as $price
  | (.quantity | if type == "number" and . == floor then . else null end) as $qty
  | (.discount_allocations
     | if type == "array" and length > 0
       then map(obj | .amount | decimal("line_items[].discount_allocations[].amount")) | decimal_sum
       else null end) as $allocated
  | ($allocated // (.total_discount | if . == null then "0" else decimal("line_items[].total_discount") end)) as $discount
  | {
      sku: (.sku | nonblank),
      name: ((.title | nonblank) // (.name | nonblank)),
      category: (if .gift_card == true then "gift-card" else null end),
      quantity: (.quantity | text),
      price: $price,
      total: (if $price != null and $qty != null
              then ([$price, $discount] | map(scale) | max) as $d
                   | ($price | to_minor($d)) * $qty - ($discount | to_minor($d)) | from_minor($d)
              else null end)
    }
  | drop_empty;

def order($event_type):
  require_object("an order")
  | if test_order then empty
    else
      (.id | id_of("order id")) as $id
      | . as $order
      | (.customer | obj) as $c
      | countries as $where
      | phone_with_country(
          {phone: $c.phone, country: $where.buyer}, {phone: .phone, country: $where.buyer},
          {phone: (.billing_address | obj | .phone), country: $where.billing},
          {phone: (.shipping_address | obj | .phone), country: $where.shipping},
          {phone: ($c.default_address | obj | .phone), country: $where.home}) as $phone
      | (if .current_total_price != null then .current_total_price else .total_price end) as $total
      | if $total == null then error("order \($id): total_price is required") else . end
      | {
          type: $event_type,
          id: $id,
          occurred_at: (.processed_at // .created_at | time_or_null),
          data: ({
            order_id: $id,
            phone: ($phone.phone // ""),
            phone_country: $phone.phone_country,
            email: first_of(.email, .contact_email, $c.email),
            name: (($c | person_name) // (.billing_address | address_name) // (.shipping_address | address_name)),
            total: ($total | decimal("total_price")),
            currency: (.currency | nonblank),
            store_id: (.location_id | nonblank),
            customer_id: ($c.id | nonblank),
            checkout_token: (.checkout_token | nonblank),
            discount_codes: (.discount_codes
              | if type == "array" then map(obj | .code | nonblank | select(. != null)) else null end),
            items: (.line_items | if type == "array" then map(line_item) else null end),
            profile: ($c | profile($order.location_id | nonblank; .default_address | obj | .city; $c.locale // $order.customer_locale))
          } | .phone as $phone | drop_empty | .phone = $phone)
        }
    end;

# guest_order: an order that names no customer (no customer id, email or
# phone anywhere): a walk-in sale that earned nothing, so that its
# cancellation has nothing to take back.
def guest_order:
  ([.customer | obj | .id, .email, .phone] + [.email, .contact_email, .phone]
   + [.billing_address, .shipping_address | obj | .phone] | map(nonblank) | all(. == null));

def cancelled_order:
  require_object("an order")
  | if test_order then empty
    elif guest_order then {ignored: "guest_order"}
    else
      (.id | id_of("order id")) as $id
      | {
          type: "order.cancelled",
          id: $id,
          occurred_at: (.cancelled_at // .updated_at | time_or_null),
          data: ({order_id: $id, reason: (.cancel_reason | nonblank)} | drop_empty)
        }
    end;

# paid_order: orders/updated, while the order is paid.
def paid_order:
  require_object("an order")
  | if .financial_status == "paid" then order("order.paid") else empty end;

# line_subtotal: a refund line's subtotal in the shop's currency, or null
# when the line has none (refunds of older API versions).
def line_subtotal: (.subtotal_set | obj | .shop_money | obj | .amount) // .subtotal;

# refunded_line_value: a refund line without a subtotal, valued at its
# order line's price × the quantity refunded.
def refunded_line_value($refund):
  (.line_item | obj | .price) as $price
  | .quantity as $qty
  | if $price == null or ($qty | type) != "number" or $qty != ($qty | floor) then
      error("refund \($refund): a refund line item has no subtotal, nor a line_item price and quantity")
    else
      ($price | decimal("refund_line_items[].line_item.price")) as $p
      | ($p | to_minor($p | scale)) * $qty | from_minor($p | scale)
    end;

def refund:
  require_object("a refund")
  | (.id | id_of("refund id")) as $refund
  | (.order_id | id_of("refund \($refund): order_id")) as $order
  | (.refund_line_items
     | if . == null then [] elif type == "array" then . else error("refund \($refund): refund_line_items must be an array") end
     | map(require_object("a refund line item"))) as $lines
  | (.transactions
     | if . == null then [] elif type == "array" then . else error("refund \($refund): transactions must be an array") end
     | map(obj)) as $transactions
  | ($transactions | map(select(.kind == "refund" and .status == "success"))) as $paid
  | (($transactions | length) > 0 and ($transactions | all(.test == true)) and (include_test_orders | not)) as $test
  | ($lines | all(line_subtotal != null)) as $subtotals
  | (if ($lines | length) > 0 and $subtotals
     then $lines | map(line_subtotal | decimal("refund_line_items[].subtotal"))
     elif ($paid | length) > 0 or ($lines | length) == 0
     then $paid | map(.amount | decimal("transactions[].amount"))
     else $lines | map(refunded_line_value($refund))
     end | decimal_sum) as $amount
  | if $test or ($amount | positive_decimal | not) then empty
    else {
      type: "order.refunded",
      id: $refund,
      occurred_at: (.processed_at // .created_at | time_or_null),
      data: ({
        order_id: $order,
        refund_id: $refund,
        amount: $amount,
        currency: first_of(($lines[] | .subtotal_set | obj | .shop_money | obj | .currency_code), ($paid[] | .currency))
      } | drop_empty)
    }
    end;

def customer:
  require_object("a customer")
  | (.id | id_of("customer id")) as $id
  | (.updated_at | time_or_null) as $at
  | (.default_address | country) as $home
  | phone_with_country({phone: .phone, country: $home},
      {phone: (.default_address | obj | .phone), country: $home}) as $phone
  | {
      type: "customer.upserted",
      id: (if $at != null then "\($id)/\($at)" else $id end),
      occurred_at: $at,
      data: ({
        customer_id: $id,
        phone: $phone.phone,
        phone_country: $phone.phone_country,
        email: (.email | nonblank),
        name: (person_name // (.default_address | address_name)),
        profile: profile(null; .default_address | obj | .city; .locale)
      } | drop_empty)
    };

def sms_consent:
  require_object("a consent update")
  | (.sms_marketing_consent
     | if . == null then {} elif type == "object" then . else error("sms_marketing_consent must be an object, got \(type)") end) as $s
  | ($s.state | nonblank) as $state
  | (if $state == "subscribed" then "resume"
     elif $state == "unsubscribed" or $state == "not_subscribed" or $state == "redacted" then "stop"
     else null end) as $value
  | (.phone | nonblank) as $phone
  | if $value == null or $phone == null then empty
    else
      ((.id // .customer_id) | nonblank) as $customer
      | ($s.consent_updated_at | time_or_null) as $at
      | {
          type: "consent.changed",
          id: "\($customer // $phone)/\($state)/\($at // $meta.delivery_id)",
          occurred_at: ($at // $meta.received_at),
          data: {
            phone: $phone,
            category: "sms_marketing",
            value: $value,
            detail: ("state=\($state)" + (($s.opt_in_level | nonblank) as $level
                      | if $level != null then ", opt_in_level=\($level)" else "" end)),
            source: "shopify",
            timestamp: ($at // $meta.received_at)
          }
        }
    end;

def checkout:
  require_object("a checkout")
  | (.token | nonblank) as $token
  | if $token == null then error("checkout token is required") else . end
  | (.customer | obj) as $c
  | (.updated_at | time_or_null) as $at
  | countries as $where
  | phone_with_country(
      {phone: .phone, country: $where.buyer}, {phone: .sms_marketing_phone, country: $where.buyer},
      {phone: $c.phone, country: $where.buyer},
      {phone: (.shipping_address | obj | .phone), country: $where.shipping},
      {phone: (.billing_address | obj | .phone), country: $where.billing}) as $phone
  | {
      type: "checkout.updated",
      id: (if $at != null then "\($token)/\($at)" else $token end),
      occurred_at: $at,
      data: ({
        token: $token,
        phone: $phone.phone,
        phone_country: $phone.phone_country,
        customer_id: first_of($c.id, .customer_id),
        email: first_of(.email, $c.email),
        name: (($c | person_name) // (.billing_address | address_name) // (.shipping_address | address_name)),
        total: (.total_price | if . == null then null else decimal("total_price") end),
        currency: first_of(.currency, .presentment_currency),
        url: (.abandoned_checkout_url | nonblank),
        completed: (.completed_at != null)
      } | drop_empty)
    };

def deleted_checkout:
  require_object("a checkout")
  | (.token | nonblank) as $token
  | if $token == null then empty
    else {type: "checkout.updated", id: "\($token)/deleted", data: {token: $token, completed: true}}
    end;

def shop_domain: first_of(.shop_domain, ($meta.source | obj | .shop_domain));

def customer_privacy($event_type):
  require_object("a privacy request")
  | (.customer
     | if . == null then {} elif type == "object" then . else error("customer must be an object, got \(type)") end) as $c
  | ($c.id | nonblank) as $customer
  | ($c.email | nonblank) as $email
  | ($c.phone | nonblank) as $phone
  | if $customer == null and $email == null and $phone == null
    then error("\($meta.topic): customer with an id, email or phone is required") else . end
  | (.data_request | obj | .id | nonblank) as $request
  | {
      type: $event_type,
      id: (if $request != null then $request else "\($customer // $email // $phone)/\($meta.delivery_id)" end),
      data: ({
        shop_domain: shop_domain,
        customer_id: $customer,
        phone: $phone,
        email: $email,
        orders: ((.orders_requested // .orders_to_redact)
                 | if type == "array" then map(id_of("an order id")) else null end),
        request_id: $request
      } | drop_empty)
    };

def shop_privacy:
  require_object("a privacy request")
  | shop_domain as $shop
  | if $shop == null then error("shop/redact: shop_domain is required") else . end
  | {type: "privacy.shop_redact", id: "\($shop)/\($meta.delivery_id)", data: {shop_domain: $shop}};

($meta.topic // "" | ascii_downcase) as $topic
| if $topic == "orders/paid" then order("order.paid")
  elif $topic == "orders/create" then order("order.created")
  elif $topic == "orders/updated" then paid_order
  elif $topic == "orders/cancelled" then cancelled_order
  elif $topic == "refunds/create" then refund
  elif $topic == "customers/create" or $topic == "customers/update" then customer
  elif $topic == "customers_marketing_consent/update" then sms_consent
  elif $topic == "checkouts/create" or $topic == "checkouts/update" then checkout
  elif $topic == "checkouts/delete" then deleted_checkout
  elif $topic == "customers/data_request" then customer_privacy("privacy.data_request")
  elif $topic == "customers/redact" then customer_privacy("privacy.redact")
  elif $topic == "shop/redact" then shop_privacy
  else empty
  end
