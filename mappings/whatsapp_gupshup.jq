# whatsapp_gupshup: Gupshup's v2 webhooks (the callback's "Gupshup
# format", version 2): {"app", "timestamp" (milliseconds), "version": 2,
# "type", "payload"}. Gupshup can forward Meta's format instead; this
# mapping reads its own.
#
# message-event (enqueued, sent, delivered, read, failed) -> message.status
#   id           provider message id + "/" + status
#   data         provider_message_id (payload.gsId, else payload.id: the
#                message id Gupshup answered the send with, which the
#                sender recorded; sent, delivered and read events carry
#                WhatsApp's id in id and Gupshup's in gsId), status
#                (enqueued is given as it is; the hub tracks none of it),
#                recipient_id (payload.destination), errors [{code,
#                message: reason}] of a failed event, timestamp
#
# message -> message.received
#   id           payload.id, WhatsApp's message id: a redelivered message
#                is the same event
#   data         message_id, wa_id (sender.phone, else source), phone ("+"
#                and those digits), name (sender.name), type (text, image,
#                video, audio, file as document, sticker, location,
#                contact as contacts, button_reply and list_reply as
#                interactive, quick_reply as button), text, reply {kind,
#                id: postbackText (the id the hub gave the button or row),
#                title}, media {id: url, the medium's URL at Gupshup,
#                mime_type: contentType, caption, filename: name}, location
#                {latitude, longitude, name, address}, context {id, from},
#                timestamp
#
# user-event opted-out / opted-in -> consent.changed
#   id           "user/" + phone + "/" + type + "/" + timestamp
#   data         phone ("+" and payload.phone's digits: the WhatsApp id,
#                as Meta's own reports give it), category
#                marketing_messages, value stop (opted-out: Gupshup refuses
#                sends to the number with 1012 until it opts in again) or
#                resume (opted-in), detail ("gupshup " + the type),
#                timestamp
#   A user-event of another type (sandbox-start) is ignored as
#   "user-event/<type>".
#
# billing-event, platform-event and other types are ignored by their type;
# a body that is not this envelope as "not_a_webhook". A message,
# message-event or user-event without an id or phone, or with a bad
# timestamp or code, fails, with the payload as its item.

def str: if type == "string" and . != "" then . elif type == "number" then tostring else null end;

def digits: str | if . == null then null else ltrimstr("+") | if test("^[0-9]{6,15}$") then . else null end end;

def object_or_null: if type == "object" then (drop_nulls | if . == {} then null else . end) else null end;

def ms_time($what):
  if type == "number" and . >= 0 and . <= 253402300799999 then (. / 1000 | floor | todate)
  else error("\($what) has a bad timestamp: \(tojson)") end;

def number($what):
  if . == null then null
  elif type == "number" then .
  elif type == "string" then (. as $raw | tonumber? // error("\($what) is not a number: \($raw | tojson)"))
  else error("\($what) is not a number: \(tojson)") end;

def status_event($at):
  .payload as $p
  | if ($p | type) != "object" then error("message-event without a payload") else . end
  | (($p.gsId | str) // ($p.id | str) // error("message-event without an id")) as $id
  | (($p.type | str) // error("message-event \($id) without a type")) as $status
  | ($p.payload | if type == "object" then . else {} end) as $detail
  | ($detail.code | number("code of \($id)")) as $code
  | {
      type: "message.status",
      id: "\($id)/\($status)",
      occurred_at: $at,
      data: ({
        provider_message_id: $id,
        status: $status,
        recipient_id: ($p.destination | digits),
        errors: (if $status == "failed" then
                   [{code: $code, message: ($detail.reason | str)} | drop_nulls]
                 else null end),
        timestamp: $at
      } | drop_nulls)
    };

def message_type:
  {text: "text", image: "image", video: "video", audio: "audio", file: "document", sticker: "sticker",
   location: "location", contact: "contacts", button_reply: "interactive", list_reply: "interactive",
   quick_reply: "button"}[.] // .;

def message_event($at):
  .payload as $p
  | if ($p | type) != "object" then error("message without a payload") else . end
  | (($p.id | str) // error("message without an id")) as $id
  | ($p.sender | if type == "object" then . else {} end) as $sender
  | ((($sender.phone | digits) // ($p.source | digits)) // error("message \($id) without a sender")) as $waid
  | (($p.type | str) // error("message \($id) without a type")) as $kind
  | ($p.payload | if type == "object" then . else {} end) as $c
  | {
      type: "message.received",
      id: $id,
      occurred_at: $at,
      data: ({
        message_id: $id,
        wa_id: $waid,
        phone: "+\($waid)",
        name: ($sender.name | str),
        type: ($kind | message_type),
        text: (if $kind == "text" then ($c.text | str)
               elif $kind == "quick_reply" then ($c.text | str)
               elif ($kind == "button_reply" or $kind == "list_reply") then ($c.title | str)
               else null end),
        reply: (if $kind == "button_reply" or $kind == "list_reply" then
                  {kind: $kind, id: (($c.postbackText | str) // ($c.id | str)), title: ($c.title | str),
                   description: ($c.description | str)} | drop_nulls
                elif $kind == "quick_reply" then
                  {kind: "quick_reply", id: (($c.postbackText | str) // ($c.text | str)), title: ($c.text | str)} | drop_nulls
                else null end),
        media: (if ["image", "video", "audio", "file", "sticker"] | index($kind) then
                  {id: ($c.url | str), mime_type: ($c.contentType | str), caption: ($c.caption | str),
                   filename: ($c.name | str)} | object_or_null
                else null end),
        location: (if $kind == "location" then
                     {latitude: ($c.latitude | number("latitude of \($id)")), longitude: ($c.longitude | number("longitude of \($id)")),
                      name: ($c.name | str), address: ($c.address | str)} | object_or_null
                   else null end),
        context: ($p.context | object_or_null | if . then {id: (.gsId // .id | str), from: (.from | digits)} | object_or_null else null end),
        timestamp: $at
      } | drop_nulls)
    };

def user_event($at):
  .payload as $p
  | (($p.type | str) // error("user-event without a type")) as $kind
  | if ($kind | IN("opted-out", "opted-in")) | not then {ignored: "user-event/\($kind)"}
    else
      (($p.phone | digits) // error("user-event \($kind) without a phone")) as $phone
      | {
          type: "consent.changed",
          id: "user/\($phone)/\($kind)/\($at)",
          occurred_at: $at,
          data: {
            phone: "+\($phone)",
            category: "marketing_messages",
            value: (if $kind == "opted-out" then "stop" else "resume" end),
            detail: "gupshup \($kind)",
            timestamp: $at
          }
        }
    end;

if type != "object" or (.payload | type) != "object" or (.type | type) != "string" then {ignored: "not_a_webhook"}
else . as $body
  | if .type == "message-event" or .type == "message" or .type == "user-event" then
      (try ((.timestamp | ms_time("\($body.type)")) as $at
            | if $body.type == "message" then message_event($at)
              elif $body.type == "user-event" then user_event($at)
              else status_event($at) end)
       catch {error: ., item: $body.payload})
    else {ignored: .type} end
end
