# hubspot: HubSpot webhook batches, as the hubspot connector's Enrich
# completes them before mapping (a raw batch is refused: it carries ids,
# not phones):
#
#   {"events":   [HubSpot events as received: {"eventId", "portalId",
#                 "objectId", "occurredAt" (Unix ms), "subscriptionType",
#                 "objectTypeId", "propertyName", "propertyValue", ...}],
#    "contacts": {"<contact id>": {"phone", "mobilephone", "email",
#                 "firstname", "lastname", <consent property>: "..."}},
#    "deals":    {"<deal id>": {"properties": {"amount", "deal_currency_code",
#                 "dealstage", "dealname"}, "contact_ids": ["<contact id>"]}},
#    "settings": {"consent_property", "opt_in_values", "consent_category",
#                 "currency"},
#    "countries": {"<contact id>": "GB"}}   the ISO 3166 alpha-2 code of the
#                 contact's country property, when Enrich could tell it
#
# Classic subscription types ("contact.creation") and generic ones
# ("object.creation" with objectTypeId "0-1" for contacts, "0-3" for deals)
# map alike. An event without subscriptionType is read by its eventType,
# the name HubSpot's documented example payload gives the same field. Every event id but a deal's is
# "<portalId>/<objectId>/<eventId>/<occurredAt>": HubSpot's eventId alone is
# not unique, and a retried event keeps all four.
#
# contact creation, or property change of a property read -> customer.upserted
#   data         customer_id (the contact id), phone (phone, else mobilephone,
#                as written in HubSpot), phone_country (countries[contact id],
#                with a phone only), email, name (first and last name),
#                profile: source "hubspot", city, language (hs_language,
#                primary subtag lower-cased: "en-us" → "en") when read
#   A contact without phone and email, or no longer in HubSpot, yields
#   nothing.
# contact property change of settings.consent_property -> consent.changed
#   data         phone (the contact's), phone_country (as for
#                customer.upserted), category (settings.consent_category),
#                value: resume when the new value is one of
#                settings.opt_in_values (case-insensitive), else stop;
#                detail, source "hubspot", timestamp (occurredAt, else the
#                time of receipt)
#   A contact without a phone yields nothing. A REDACTED (sensitive) value
#   is replaced by the contact's current one.
# deal property change of dealstage (Enrich keeps paid stages only) -> order.paid
#   id           "deal-<deal id>": a deal is paid once
#   data         order_id "deal-<deal id>", phone, phone_country, email, name
#                and customer_id of the first associated contact with a phone
#                (else the first with an email), total (amount, a decimal
#                string), currency
#                (deal_currency_code, else settings.currency), and the
#                contact's profile (as for customer.upserted)
#   A deal without a decimal amount or a reachable contact yields nothing.
# contact.privacyDeletion -> privacy.redact
#   data         customer_id, and email and phone when the batch read them
#
# Everything else yields nothing and never fails the delivery. Each event is
# mapped on its own: one that cannot be mapped is failed alone (its dead
# letter's payload is the batch with that event only, a body this mapping
# takes). An event
# repeated in a batch (HubSpot may send one change under two subscriptions)
# is output once.

def str: if type == "string" and . != "" then . elif type == "number" then tostring else null end;

# ms_time turns Unix milliseconds into RFC 3339 (UTC, millisecond
# precision); null when it is not a sensible number.
def ms_time:
  if type == "number" and . >= 0 and . < 253402300800000 then
    (. / 1000 | floor) as $s
    | (. - $s * 1000 | floor) as $ms
    | ($s | todate | rtrimstr("Z")) + "." + ($ms + 1000 | tostring | .[1:4]) + "Z"
  else null end;

# kind is the event's object ("contact", "deal"…) and action ("creation",
# "propertyChange"…), for classic and generic subscription types.
def kind:
  ((.subscriptionType | select(type == "string" and . != "")) // (.eventType | select(type == "string")) // ""
   | split(".")) as $p
  | if ($p | length) != 2 then {object: null, action: null}
    elif $p[0] == "object" then
      {object: (if .objectTypeId == "0-1" then "contact" elif .objectTypeId == "0-3" then "deal" else null end),
       action: $p[1]}
    else {object: $p[0], action: $p[1]} end;

def event_id: "\(.portalId)/\(.objectId)/\(.eventId)/\(.occurredAt)";

def contact_phone: (.phone | str) // (.mobilephone | str);

def contact_name:
  [(.firstname | str), (.lastname | str)] | map(select(. != null)) | join(" ")
  | gsub("^\\s+|\\s+$"; "") | if . == "" then null else . end;

# phone_country($countries; $id; $phone): the contact's country code, when
# it has a phone to read with it.
def phone_country($countries; $id; $phone):
  if $phone == null then null
  else $countries[$id] | if type == "string" and test("^[A-Z]{2}$") then . else null end
  end;

# profile: a contact's member profile (event.OrderPaid.Profile).
def profile:
  {source: "hubspot", city: (.city | str),
   language: (.hs_language | str | if . == null then null else split("-")[0] | split("_")[0] | ascii_downcase end)}
  | drop_nulls;

def decimal: str | if . != null and test("^[0-9]+(\\.[0-9]+)?$") then . else null end;

# events maps the enriched body, event by event.
def events:
  if type != "object" or (.events | type) != "array" then
    error("the hubspot mapping reads the body the hubspot connector's Enrich returns ({\"events\": [...], \"contacts\": {...}, ...}), got \(if type == "array" then "a raw batch of HubSpot events" else type end)")
  else . end
  | (.contacts | if type == "object" then . else {} end) as $contacts
  | (.deals | if type == "object" then . else {} end) as $deals
  | (.settings | if type == "object" then . else {} end) as $settings
  | (.countries | if type == "object" then . else {} end) as $countries
  | ($settings.consent_property | str) as $consent_property
  | ([$settings.opt_in_values | arrays | .[] | str | ascii_downcase]) as $opt_in
  | . as $batch
  | .events[] | objects
  | . as $e
  | try (
    kind as $k
    | (.objectId | str) as $object_id
    | select($object_id != null)
    | (.occurredAt | ms_time) as $at
    | if $k.object == "contact" and ($k.action == "creation" or $k.action == "propertyChange") then
        ($contacts[$object_id] | objects) as $c
        | if $k.action == "propertyChange" and $consent_property != null and .propertyName == $consent_property then
            ($c | contact_phone) as $phone
            | select($phone != null)
            | (.propertyValue | if . == null or . == "REDACTED" then $c[$consent_property] else . end | str // "") as $value
            | {
                type: "consent.changed",
                id: event_id,
                occurred_at: $at,
                data: ({
                  phone: $phone,
                  phone_country: (phone_country($countries; $object_id; $phone)),
                  category: ($settings.consent_category | str // "marketing_messages"),
                  value: (if ($value | ascii_downcase | IN($opt_in[])) then "resume" else "stop" end),
                  detail: "HubSpot property \($consent_property) set to \($value | tojson)",
                  source: "hubspot",
                  timestamp: ($at // $meta.received_at)
                } | drop_nulls)
              }
          else
            ($c | contact_phone) as $phone
            | ($c.email | str) as $email
            | select($phone != null or $email != null)
            | {
                type: "customer.upserted",
                id: event_id,
                occurred_at: $at,
                data: ({customer_id: $object_id, phone: $phone, phone_country: (phone_country($countries; $object_id; $phone)),
                        email: $email, name: ($c | contact_name), profile: ($c | profile)} | drop_nulls)
              }
          end
      elif $k.object == "deal" and $k.action == "propertyChange" and .propertyName == "dealstage" then
        ($deals[$object_id] | objects) as $deal
        | ($deal.properties | if type == "object" then . else {} end) as $p
        | ($p.amount | decimal) as $total
        | select($total != null)
        | [$deal.contact_ids | arrays | .[] | str | select($contacts[.] | type == "object")] as $ids
        | (([$ids[] | select($contacts[.] | contact_phone != null)] | first)
           // ([$ids[] | select($contacts[.].email | str != null)] | first)) as $cid
        | select($cid != null)
        | $contacts[$cid] as $c
        | {
            type: "order.paid",
            id: "deal-\($object_id)",
            occurred_at: $at,
            data: ({
              order_id: "deal-\($object_id)",
              phone: ($c | contact_phone // ""),
              phone_country: (phone_country($countries; $cid; $c | contact_phone)),
              email: ($c.email | str),
              name: ($c | contact_name),
              total: $total,
              currency: (($p.deal_currency_code | str) // ($settings.currency | str)),
              customer_id: $cid,
              profile: ($c | profile)
            } | drop_nulls)
          }
      elif $k.object == "contact" and $k.action == "privacyDeletion" then
        ($contacts[$object_id] | objects // {}) as $c
        | {
            type: "privacy.redact",
            id: event_id,
            occurred_at: $at,
            data: ({customer_id: $object_id, email: ($c.email | str), phone: ($c | contact_phone)} | drop_nulls)
          }
      else empty end
  ) catch {error: ., item: ($batch | .events = [$e])};

reduce events as $e ({seen: {}, out: []};
  ("\($e.type)/\($e.id)") as $key
  | if ($e | has("error")) then .out += [$e]
    elif .seen[$key] then .
    else .seen[$key] = true | .out += [$e] end)
| .out[]
