# whatsapp_cloud: Meta's WhatsApp Cloud API webhook envelope (360dialog
# forwards the same body).
#
#   {"object": "whatsapp_business_account",
#    "entry": [{"id": "<WABA id>", "time": ...,
#               "changes": [{"field": "...", "value": {...}}]}]}
#
# One request may batch several entries and changes; every change is
# mapped on its own:
#
# field "messages", value.statuses[]  -> message.status
#   id           status.id + "/" + status.status (a message reports each state once)
#   data         provider_message_id, status, timestamp (RFC 3339), recipient_id,
#                recipient_user_id, callback_data (biz_opaque_callback_data: our
#                message key echoed back), pricing_category and, for failed
#                messages, errors [{code, title, message, details}]
#
# field "messages", value.messages[]  -> message.received
#   id           the message id (wamid): a redelivered message is the same event
#   data         message_id, phone (E.164, absent for users whose number is
#                withheld), user_id (business-scoped user id), name, type,
#                text (the body, a caption, or the title of a tapped button or
#                list row), reply {kind: button_reply|list_reply|quick_reply,
#                id (button or row id, or the template button's payload),
#                title, description}, media {id, mime_type, sha256, caption,
#                filename, voice}, location, referral (click-to-WhatsApp ad),
#                context {id, from} (the message replied to), errors,
#                timestamp, phone_number_id, display_phone_number
#
# field "user_preferences"            -> consent.changed
#   data         phone, user_id, category (marketing_messages), value (stop or
#                resume), detail, timestamp
#
# field "message_template_status_update" -> template.status
#   data         waba_id, template_id, name, language, event (APPROVED,
#                REJECTED, PAUSED, DISABLED…), reason
# field "message_template_quality_update" -> template.quality
#   data         waba_id, template_id, name, language, previous_quality, quality
# field "phone_number_quality_update"  -> number.quality
#   data         waba_id, display_phone_number, event, current_limit
#
# Other fields yield nothing and never fail the delivery.

def drop_nulls: del(.[] | nulls);

# obj is the value when it is an object, else null (never empty: a field
# built from it is then left out rather than dropping the whole event).
def obj: if type == "object" then . else null end;

def str: if type == "string" and . != "" then . elif type == "number" then tostring else null end;

def e164: str | if . == null then null elif startswith("+") then . else "+" + . end;

def unix_time($what):
  if type == "string" or type == "number" then (tonumber? // error("\($what) has a bad timestamp: \(tojson)")) | todate
  else error("\($what) without a timestamp") end;

def errors_list:
  if type == "array" and length > 0 then
    [.[] | objects | {
      code: (.code | if type == "string" then (tonumber? // 0) else . end
                     | if type == "number" and . >= 0 and . < 2147483648 then floor else 0 end),
      title: (.title | str),
      message: (.message | str),
      details: (.error_data | obj | .details | str)
    } | drop_nulls]
  else null end;

def status_event:
  if type != "object" then error("a status must be an object, got \(type)") else . end
  | if (.id | type) != "string" or .id == "" then error("status without an id") else . end
  | if (.status | type) != "string" or .status == "" then error("status \(.id) without a status") else . end
  | if (.timestamp | type) != "string" and (.timestamp | type) != "number"
    then error("status \(.id) without a timestamp") else . end
  | {
      type: "message.status",
      id: "\(.id)/\(.status)",
      occurred_at: .timestamp,
      data: ({
        provider_message_id: .id,
        status: .status,
        timestamp: (.timestamp | unix_time("status")),
        recipient_id: (.recipient_id | str),
        recipient_user_id: (.recipient_user_id | str),
        callback_data: (.biz_opaque_callback_data | str),
        pricing_category: (.pricing | obj | .category | str),
        errors: (.errors | errors_list)
      } | drop_nulls)
    };

def media:
  if type != "object" then null else {id: (.id | str), mime_type: (.mime_type | str), sha256: (.sha256 | str),
             caption: (.caption | str), filename: (.filename | str),
             voice: (.voice | if type == "boolean" then . else null end)} | drop_nulls end;

def reply:
  if .type == "interactive" then
    (.interactive | obj // {}) as $i
    | if $i.type == "button_reply" then
        {kind: "button_reply", id: ($i.button_reply.id | str), title: ($i.button_reply.title | str)}
      elif $i.type == "list_reply" then
        {kind: "list_reply", id: ($i.list_reply.id | str), title: ($i.list_reply.title | str),
         description: ($i.list_reply.description | str)}
      else null end
  elif .type == "button" then
    {kind: "quick_reply", id: (.button.payload | str), title: (.button.text | str)}
  else null end
  | if . == null then null else drop_nulls end;

def message_event($value):
  if type != "object" then error("a message must be an object, got \(type)") else . end
  | if (.id | type) != "string" or .id == "" then error("message without an id") else . end
  | . as $m
  | ([$value.contacts | arrays | .[] | objects
      | select(($m.from | str) != null and (.wa_id | str) == ($m.from | str))] | first)
    // ([$value.contacts | arrays | .[] | objects] | if length == 1 then first else null end)
    // {} | . as $contact
  | (($m.from | e164) // ($contact.wa_id | e164)) as $phone
  | (($m.from_user_id | str) // ($contact.user_id | str)) as $user
  | if $phone == null and $user == null then error("message \($m.id) names no sender: no from, wa_id or user_id") else . end
  | ($m | reply) as $reply
  | ($m[$m.type // ""] | if ($m.type | IN("image", "video", "audio", "document", "sticker")) then media else null end) as $media
  | {
      type: "message.received",
      id: $m.id,
      occurred_at: $m.timestamp,
      data: ({
        message_id: $m.id,
        phone: $phone,
        user_id: $user,
        name: ($contact.profile | obj | .name | str),
        type: ($m.type | str // "unknown"),
        text: (($m.text | objects | .body | str) // ($media | if . then .caption else null end) // ($reply | if . then .title else null end)),
        reply: $reply,
        media: $media,
        location: ($m.location | obj),
        referral: ($m.referral | obj),
        context: ($m.context | obj | if . then {id: (.id | str), from: (.from | str)} | drop_nulls else null end),
        errors: ($m.errors | errors_list),
        timestamp: ($m.timestamp | unix_time("message \($m.id)")),
        phone_number_id: ($value.metadata | obj | .phone_number_id | str),
        display_phone_number: ($value.metadata | obj | .display_phone_number | str)
      } | drop_nulls)
    };

def preference_event:
  objects
  | ((.wa_id | e164)) as $phone
  | if $phone == null and (.user_id | str) == null then error("user preference names no user") else . end
  | {
      type: "consent.changed",
      id: "pref/\($phone // .user_id)/\(.category)/\(.value)/\(.timestamp)",
      occurred_at: .timestamp,
      data: ({
        phone: $phone,
        user_id: (.user_id | str),
        category: (.category | str),
        value: (.value | str),
        detail: (.detail | str),
        timestamp: (.timestamp | unix_time("user preference"))
      } | drop_nulls)
    };

def template_key($entry): "\(.message_template_id // .message_template_name)/\(.message_template_language)";

def change_events($entry):
  . as $change
  | ($change.value | obj // {}) as $value
  | if $change.field == "messages" then
      ($value.statuses | arrays | .[] | status_event),
      ($value.messages | arrays | .[] | message_event($value))
    elif $change.field == "user_preferences" then
      $value.user_preferences | arrays | .[] | preference_event
    elif $change.field == "message_template_status_update" then
      {
        type: "template.status",
        id: "tpl/\($value | template_key($entry))/\($value.event)/\($entry.time // "")",
        occurred_at: $entry.time,
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
        occurred_at: $entry.time,
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
        occurred_at: $entry.time,
        data: ({
          waba_id: ($entry.id | str),
          display_phone_number: ($value.display_phone_number | str),
          event: ($value.event | str),
          current_limit: ($value.current_limit | str)
        } | drop_nulls)
      }
    else empty end;

if type != "object" then error("webhook body must be a JSON object, got \(type)") else . end
| .entry | arrays | .[] | objects
| . as $entry
| .changes | arrays | .[] | objects
| change_events($entry)
