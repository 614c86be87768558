# whatsapp_cloud: Meta's WhatsApp Cloud API webhook envelope (360dialog
# forwards the same body).
#
#   {"object": "whatsapp_business_account",
#    "entry": [{"id": "<WABA id>", "time": ...,
#               "changes": [{"field": "...", "value": {...}}]}]}
#
# One request may batch several entries, changes, messages and statuses:
# each is mapped on its own. One that cannot be read is failed alone (its
# dead letter's payload is the envelope with that one item, a body this
# mapping takes) and the others are recorded.
#
# field "messages", value.statuses[]  -> message.status
#   id           status.id + "/" + status.status (a message reports each state once)
#   data         provider_message_id, status (as given: sent, delivered, read,
#                failed, played, deleted…), timestamp (RFC 3339), recipient_id,
#                recipient_user_id, recipient_parent_user_id (Meta's pages
#                also spell it parent_recipient_user_id; both, else the
#                value's contact of the recipient_id), callback_data
#                (biz_opaque_callback_data: our message key echoed back),
#                pricing_category, pricing {billable, pricing_model, type,
#                category} as given (extra keys left out) and, for failed messages, errors [{code,
#                title, message, details (error_data.details, or details
#                where Meta's older examples put it)}]
#
# field "messages", value.messages[]  -> message.received
#   id           the message id (wamid): a redelivered message is the same event
#   data         message_id, wa_id (the sender's WhatsApp id as given, digits,
#                absent for users whose number is withheld), phone ("+" + wa_id,
#                not checked here), user_id (business-scoped user id),
#                parent_user_id, username, name, type (as WhatsApp gives it:
#                text, image, reaction, request_welcome, order, unsupported…;
#                a message without one takes its content's: location…),
#                text (the body, a caption, or the title of a tapped button or
#                list row), reply {kind: button_reply|list_reply|quick_reply,
#                id (button or row id, or the template button's payload),
#                title, description}, flow {name, body, response_json} (a
#                Flow's answer, interactive nfm_reply), media {id, mime_type,
#                sha256, caption, filename, voice}, location, contacts (shared
#                contact cards, as given), reaction {message_id, emoji: absent
#                when the customer took the reaction back}, order (as given),
#                referral (click-to-WhatsApp ad), context {id, from, forwarded,
#                frequently_forwarded}, group_id (a message written in a
#                group the business is in), edit {original_message_id} (the
#                edited text or caption is the text), revoke
#                {original_message_id}, errors (the message's, and the value's),
#                timestamp, phone_number_id, display_phone_number
#
# field "messages", a value.messages[] of type "system" -> contact.identity_changed
#   id           "identity/" + the message id
#   data         kind (system.type: user_changed_number, user_changed_user_id,
#                customer_identity_changed…), message_id, old_wa_id (from),
#                new_wa_id (system.wa_id), old_user_id (system.previous_user_id,
#                else the sender's user id), new_user_id (system.user_id),
#                parent_user_id, body, timestamp, phone_number_id,
#                display_phone_number
#
# field "messages", value.errors[]    -> webhook.error
#   data         waba_id, phone_number_id, display_phone_number, errors,
#                timestamp (the entry's time, else the time of receipt)
#
# field "user_preferences"            -> consent.changed
#   data         phone, user_id (the preference's, else the value's only
#                contact's), category (marketing_messages), value (stop or
#                resume), detail, timestamp
#
# field "message_template_status_update" -> template.status
#   data         waba_id, template_id, name, language, event (APPROVED,
#                REJECTED, PAUSED, DISABLED…), reason
# field "message_template_quality_update" -> template.quality
#   data         waba_id, template_id, name, language, previous_quality, quality
# field "phone_number_quality_update"  -> number.quality
#   data         waba_id, display_phone_number, event (FLAGGED, UNFLAGGED,
#                DOWNGRADE, UPGRADE, ONBOARDING, THROUGHPUT_UPGRADE…),
#                current_limit and old_limit (TIER_250…TIER_UNLIMITED, on
#                older payloads), max_daily_conversations_per_business
#                (a number: 250, 2000, 10000, 100000, -1 unlimited)
# field "business_capability_update"   -> messaging.limit
#   id           "cap/" + waba id + "/" + the limit + "/" + entry time
#   data         waba_id, max_daily_conversations_per_business (a number,
#                -1 unlimited), timestamp (the entry's time)
#
# Every other field (account_update, template_category_update, security…)
# outputs {"ignored": field}, and a body that is not this envelope
# {"ignored": "not_an_envelope"}: the hub counts and logs them, nothing
# fails.

# obj is the value when it is an object, else null (never empty: a field
# built from it is then left out rather than dropping the whole event).
def obj: if type == "object" then . else null end;

def str: if type == "string" and . != "" then . elif type == "number" then tostring else null end;

# waid is a WhatsApp id as given, without a leading "+".
def waid: str | if . == null then null else ltrimstr("+") | if . == "" then null else . end end;

def flag: if . == true then true else null end;

# limit is a messaging limit given as a number or a numeric string: a
# whole number from -1 (unlimited) to 10^9, else null.
def limit:
  (if type == "number" then . elif type == "string" then (tonumber? // null) else null end)
  | if . == null or . != floor or . < -1 or . > 1000000000 then null else . end;

# pricing is a status's pricing object, its documented keys only.
def pricing:
  obj | if . == null then null else
    {billable: (.billable | if type == "boolean" then . else null end), pricing_model: (.pricing_model | str),
     type: (.type | str), category: (.category | str)} | drop_nulls
    | if . == {} then null else . end
  end;

# unix_time turns unix seconds, a number or a numeric string, into RFC 3339.
def unix_time($what):
  if type == "string" or type == "number" then
    . as $raw
    | (tonumber? // error("\($what) has a bad timestamp: \($raw | tojson)"))
    | if . >= 0 and . <= 253402300799 then todate else error("\($what) has a bad timestamp: \($raw | tojson)") end
  else error("\($what) without a timestamp") end;

# entry_time is the entry's time, RFC 3339, or null when it has none.
def entry_time($entry): $entry.time | if . == null then null else unix_time("entry") end;

def errors_list:
  if type == "array" and length > 0 then
    [.[] | objects | {
      code: (.code | if type == "string" then (tonumber? // 0) else . end
                     | if type == "number" and . >= 0 and . < 2147483648 then floor else 0 end),
      title: (.title | str),
      message: (.message | str),
      details: ((.error_data | obj | .details | str) // (.details | str))
    } | drop_nulls]
    | if length > 0 then . else null end
  else null end;

# one_item is the envelope of $entry and $change with $x as the only item
# of the value's list $key: a body this mapping maps to $x alone.
def one_item($entry; $change; $key; $x):
  {object: "whatsapp_business_account",
   entry: [($entry | {id, time} | drop_nulls) + {changes: [$change | .value = (.value | del(.messages, .statuses, .user_preferences) | .[$key] = [$x])]}]};

# isolated runs f for one item; an item f cannot map becomes a failure
# with body, the item's replayable body (built only then, from variables:
# inside catch, "." is the error).
def isolated(f; body): try f catch {error: ., item: body};

def status_event($value):
  if type != "object" then error("a status must be an object, got \(type)") else . end
  | if (.id | type) != "string" or .id == "" then error("status without an id") else . end
  | if (.status | type) != "string" or .status == "" then error("status \(.id) without a status") else . end
  | .id as $id
  | (.recipient_id | waid) as $recipient
  | ([$value.contacts | arrays | .[] | objects | select($recipient != null and (.wa_id | waid) == $recipient)] | first // {}) as $contact
  | (.timestamp | unix_time("status \($id)")) as $at
  | {
      type: "message.status",
      id: "\(.id)/\(.status)",
      occurred_at: $at,
      data: ({
        provider_message_id: .id,
        status: .status,
        timestamp: $at,
        recipient_id: (.recipient_id | str),
        recipient_user_id: ((.recipient_user_id | str) // ($contact.user_id | str)),
        recipient_parent_user_id: ((.recipient_parent_user_id | str) // (.parent_recipient_user_id | str)
                                   // ($contact.parent_user_id | str)),
        callback_data: (.biz_opaque_callback_data | str),
        pricing_category: (.pricing | obj | .category | str),
        pricing: (.pricing | pricing),
        errors: (.errors | errors_list)
      } | drop_nulls)
    };

# msg_type is a message's type as WhatsApp gives it; a message without one
# (some SDKs' examples) takes the type of the content it carries, else
# "unknown".
def msg_type:
  (.type | str)
  // (. as $m | ["text", "image", "video", "audio", "document", "sticker", "location", "contacts",
                 "interactive", "button", "reaction", "order", "system"]
      | map(select($m[.] != null)) | first)
  // "unknown";

def media:
  if type != "object" then null else {id: (.id | str), mime_type: (.mime_type | str), sha256: (.sha256 | str),
             caption: (.caption | str), filename: (.filename | str),
             voice: (.voice | if type == "boolean" then . else null end)} | drop_nulls end;

def reply:
  if msg_type == "interactive" then
    (.interactive | obj // {}) as $i
    | if $i.type == "button_reply" then
        ($i.button_reply | obj // {}) as $b
        | {kind: "button_reply", id: ($b.id | str), title: ($b.title | str)}
      elif $i.type == "list_reply" then
        ($i.list_reply | obj // {}) as $l
        | {kind: "list_reply", id: ($l.id | str), title: ($l.title | str), description: ($l.description | str)}
      else null end
  elif msg_type == "button" then
    (.button | obj // {}) as $b
    | {kind: "quick_reply", id: ($b.payload | str), title: ($b.text | str)}
  else null end
  | if . == null then null else drop_nulls end;

def flow:
  if msg_type == "interactive" and (.interactive | obj | .type) == "nfm_reply" then
    (.interactive.nfm_reply | obj // {})
    | {name: (.name | str), body: (.body | str),
       response_json: (.response_json | if type == "string" then . elif . == null then null else tojson end)}
    | drop_nulls
  else null end;

def reaction:
  if msg_type == "reaction" then
    (.reaction | obj // {}) | {message_id: (.message_id | str), emoji: (.emoji | str)} | drop_nulls
  else null end;

def context:
  obj | if . then
    {id: (.id | str), from: (.from | str), forwarded: (.forwarded | flag),
     frequently_forwarded: (.frequently_forwarded | flag)} | drop_nulls | if . == {} then null else . end
  else null end;

# sender is the contact of $value that sent the message ".": the one whose
# wa_id or user_id is the sender's, else the only one.
def sender($value):
  . as $m
  | ($m.from | waid) as $from
  | ($m.from_user_id | str) as $from_user
  | ([$value.contacts | arrays | .[] | objects
      | select(($from != null and (.wa_id | waid) == $from) or ($from_user != null and (.user_id | str) == $from_user))]
     | first)
    // ([$value.contacts | arrays | .[] | objects] | if length == 1 then first else null end)
    // {};

def message_event($value; $value_errors):
  . as $m
  | sender($value) as $contact
  | (($m.from | waid) // ($contact.wa_id | waid)) as $waid
  | (($m.from_user_id | str) // ($contact.user_id | str)) as $user
  | if $waid == null and $user == null then error("message \($m.id) names no sender: no from, wa_id or user_id") else . end
  | ($m.timestamp | unix_time("message \($m.id)")) as $at
  | ($m | reply) as $reply
  | ($m | msg_type) as $type
  | ($m[$type] | if ($type | IN("image", "video", "audio", "document", "sticker")) then media else null end) as $media
  | {
      type: "message.received",
      id: $m.id,
      occurred_at: $at,
      data: ({
        message_id: $m.id,
        wa_id: $waid,
        phone: (if $waid then "+" + $waid else null end),
        user_id: $user,
        parent_user_id: (($m.from_parent_user_id | str) // ($contact.parent_user_id | str)),
        username: (($contact.profile | obj | .username | str) // ($contact.username | str)),
        name: ($contact.profile | obj | .name | str),
        type: $type,
        text: (($m.text | objects | .body | str) // ($media | if . then .caption else null end) // ($reply | if . then .title else null end)
               // ($m.edit | obj | .message | obj | ((.text | obj | .body | str) // (.[.type | str // ""] | obj | .caption | str)))),
        reply: $reply,
        flow: ($m | flow),
        media: $media,
        location: ($m.location | obj),
        contacts: ($m.contacts | if type == "array" and length > 0 then . else null end),
        reaction: ($m | reaction),
        order: ($m.order | obj),
        referral: ($m.referral | obj),
        context: ($m.context | context),
        group_id: ($m.group_id | str),
        edit: ($m.edit | obj | {original_message_id: (.original_message_id | str)} | drop_nulls | if . == {} then null else . end),
        revoke: ($m.revoke | obj | {original_message_id: (.original_message_id | str)} | drop_nulls | if . == {} then null else . end),
        errors: ((($m.errors | errors_list) // []) + ($value_errors // []) | if length > 0 then . else null end),
        timestamp: $at,
        phone_number_id: ($value.metadata | obj | .phone_number_id | str),
        display_phone_number: ($value.metadata | obj | .display_phone_number | str)
      } | drop_nulls)
    };

def identity_event($value):
  . as $m
  | sender($value) as $contact
  | ($m.system | obj // {}) as $s
  | ($m.timestamp | unix_time("system message \($m.id)")) as $at
  | {
      type: "contact.identity_changed",
      id: "identity/\($m.id)",
      occurred_at: $at,
      data: ({
        kind: ($s.type | str // "unknown"),
        message_id: $m.id,
        old_wa_id: (($m.from | waid) // ($contact.wa_id | waid)),
        new_wa_id: (($s.wa_id | waid) // ($s.new_wa_id | waid)),
        old_user_id: (($s.previous_user_id | str) // ($m.from_user_id | str) // ($contact.user_id | str)),
        new_user_id: (($s.user_id | str) // ($s.new_user_id | str)),
        parent_user_id: (($s.parent_user_id | str) // ($m.from_parent_user_id | str) // ($contact.parent_user_id | str)),
        body: ($s.body | str),
        timestamp: $at,
        phone_number_id: ($value.metadata | obj | .phone_number_id | str),
        display_phone_number: ($value.metadata | obj | .display_phone_number | str)
      } | drop_nulls)
    };

def inbound_event($value; $value_errors):
  if type != "object" then error("a message must be an object, got \(type)") else . end
  | if (.id | type) != "string" or .id == "" then error("message without an id") else . end
  | if msg_type == "system" then identity_event($value) else message_event($value; $value_errors) end;

def webhook_error_event($entry; $value; $errors):
  entry_time($entry) as $at
  | {
    type: "webhook.error",
    id: "err/\($entry.id // "")/\($value.metadata | obj | .phone_number_id // "")/\($entry.time // "")/\($errors | tojson)",
    occurred_at: $at,
    data: ({
      waba_id: ($entry.id | str),
      phone_number_id: ($value.metadata | obj | .phone_number_id | str),
      display_phone_number: ($value.metadata | obj | .display_phone_number | str),
      errors: $errors,
      timestamp: ($at // $meta.received_at)
    } | drop_nulls)
  };

# A preference names its user by wa_id or user_id; Meta's examples also
# name them in the value's contacts, so a preference without either is the
# value's only contact's.
def preference_event($value):
  if type != "object" then error("a user preference must be an object, got \(type)") else . end
  | (if (.wa_id | waid) == null and (.user_id | str) == null then
       ([$value.contacts | arrays | .[] | objects] | if length == 1 then first else null end) as $c
       | if $c then .wa_id = ($c.wa_id | waid) | .user_id = ($c.user_id | str) else . end
     else . end)
  | (.wa_id | waid) as $waid
  | (if $waid then "+" + $waid else null end) as $phone
  | if $phone == null and (.user_id | str) == null then error("user preference names no user") else . end
  | (.timestamp | unix_time("user preference")) as $at
  | {
      type: "consent.changed",
      id: "pref/\($phone // .user_id)/\(.category)/\(.value)/\(.timestamp)",
      occurred_at: $at,
      data: ({
        phone: $phone,
        user_id: (.user_id | str),
        category: (.category | str),
        value: (.value | str),
        detail: (.detail | str),
        timestamp: $at
      } | drop_nulls)
    };

def template_key($entry): "\(.message_template_id // .message_template_name)/\(.message_template_language)";

# field_label is a change's field, fit to be counted.
def field_label: str // "no_field";

def change_events($entry):
  . as $change
  | ($change.value | obj // {}) as $value
  | if ($change.field | IN("messages", "user_preferences", "message_template_status_update",
                           "message_template_quality_update", "phone_number_quality_update",
                           "business_capability_update"))
       and ($change.value | type) != "object" then
      error("a \($change.field) change without a value object")
    elif $change.field == "messages" then
      ($value.errors | errors_list) as $value_errors
      | if $value_errors == null and ($value.statuses | type) != "array" and ($value.messages | type) != "array" then
          {ignored: "messages_without_content"}
        else
          (if $value_errors then
             isolated(webhook_error_event($entry; $value; $value_errors);
                      one_item($entry; $change; "errors"; null) | .entry[0].changes[0].value.errors = $value.errors)
           else empty end),
          ($value.statuses | arrays | .[] as $x
           | isolated($x | status_event($value); one_item($entry; $change; "statuses"; $x))),
          ($value.messages | arrays | .[] as $x
           | isolated($x | inbound_event($value; $value_errors); one_item($entry; $change; "messages"; $x)))
        end
    elif $change.field == "user_preferences" then
      $value.user_preferences | arrays | .[] as $x
      | isolated($x | preference_event($value); one_item($entry; $change; "user_preferences"; $x))
    elif $change.field == "message_template_status_update" then
      {
        type: "template.status",
        id: "tpl/\($value | template_key($entry))/\($value.event)/\($entry.time // "")",
        occurred_at: entry_time($entry),
        data: ({
          waba_id: ($entry.id | str),
          template_id: ($value.message_template_id | str),
          name: ($value.message_template_name | str),
          language: ($value.message_template_language | str),
          event: ($value.event | str),
          reason: ($value.reason | str)
        } | drop_nulls)
      }
    elif $change.field == "message_template_quality_update" then
      {
        type: "template.quality",
        id: "tplq/\($value | template_key($entry))/\($value.new_quality_score)/\($entry.time // "")",
        occurred_at: entry_time($entry),
        data: ({
          waba_id: ($entry.id | str),
          template_id: ($value.message_template_id | str),
          name: ($value.message_template_name | str),
          language: ($value.message_template_language | str),
          previous_quality: ($value.previous_quality_score | str),
          quality: ($value.new_quality_score | str)
        } | drop_nulls)
      }
    elif $change.field == "phone_number_quality_update" then
      {
        type: "number.quality",
        id: "numq/\($value.display_phone_number)/\($value.event)/\($entry.time // "")",
        occurred_at: entry_time($entry),
        data: ({
          waba_id: ($entry.id | str),
          display_phone_number: ($value.display_phone_number | str),
          event: ($value.event | str),
          current_limit: ($value.current_limit | str),
          old_limit: ($value.old_limit | str),
          max_daily_conversations_per_business: ($value.max_daily_conversations_per_business | limit)
        } | drop_nulls)
      }
    elif $change.field == "business_capability_update" then
      ($value.max_daily_conversations_per_business | limit) as $limit
      | if $limit == null then {ignored: "business_capability_update_without_limit"}
        else {
          type: "messaging.limit",
          id: "cap/\($entry.id)/\($limit)/\($entry.time // "")",
          occurred_at: entry_time($entry),
          data: ({
            waba_id: ($entry.id | str),
            max_daily_conversations_per_business: $limit,
            timestamp: entry_time($entry)
          } | drop_nulls)
        } end
    else {ignored: ($change.field | field_label)} end;

if type != "object" or (.entry | type) != "array"
   or (has("object") and .object != "whatsapp_business_account") then
  {ignored: "not_an_envelope"}
else
  .entry[] as $entry
  | if ($entry | type) != "object" then
      {error: "an entry must be an object, got \($entry | type)", item: {object: "whatsapp_business_account", entry: [$entry]}}
    elif ($entry.changes | type) != "array" then
      {error: "an entry must have a changes array", item: {object: "whatsapp_business_account", entry: [$entry]}}
    else
      $entry.changes[] as $change
      | isolated(
          if ($change | type) != "object" then error("a change must be an object, got \($change | type)")
          else $change | change_events($entry) end;
          {object: "whatsapp_business_account", entry: [($entry | {id, time} | drop_nulls) + {changes: [$change]}]})
    end
end
