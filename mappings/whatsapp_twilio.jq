# whatsapp_twilio: Twilio's WhatsApp webhooks. Twilio posts them
# form-encoded; the whatsapp_twilio connector hands this mapping a JSON
# object of the parameters, each a string (a repeated one a list of
# strings, of which the first counts). Twilio sends no timestamp: events
# occur when the hub received them.
#
# status callback (a MessageStatus)   -> message.status
#   id           MessageSid + "/" + MessageStatus
#   data         provider_message_id (MessageSid, the SID the sender
#                recorded), status (MessageStatus; undelivered is failed,
#                queued, sending, accepted… are given as they are and the
#                hub tracks none of them), recipient_id (To without
#                "whatsapp:" and "+"), callback_data (the message key the
#                status callback URL carried: $meta.source.callback_data),
#                errors [{code (ErrorCode), message (ErrorMessage)}] when
#                Twilio reports an error, timestamp
#
# incoming message (no MessageStatus) -> message.received
#   id           the MessageSid: a redelivered message is the same event
#   data         message_id, wa_id (WaId, else From's digits), phone ("+" and
#                those digits), name (ProfileName), type (MessageType when
#                Twilio gives it, else location, the first medium's kind,
#                button, or text), text (Body, else ButtonText), reply
#                {kind: quick_reply (a template's button) or button_reply
#                (an interactive message's), id: ButtonPayload, title:
#                ButtonText; or list_reply: ListId, ListTitle}, media {id:
#                MediaUrl0, the medium's URL at Twilio, mime_type:
#                MediaContentType0, caption: Body}, location {latitude,
#                longitude, name (Label), address (Address)}, context {id:
#                OriginalRepliedMessageSid, from: OriginalRepliedMessageSender,
#                forwarded, frequently_forwarded}, referral {source_url,
#                source_id, source_type, headline, body, media_type, media_url,
#                ctwa_clid} (a click-to-WhatsApp ad), timestamp,
#                display_phone_number (To's digits)
#
# A webhook from another channel (an SMS: From without "whatsapp:") is
# ignored as "not_whatsapp", a body that is not an object as
# "not_a_webhook". A status or message without a MessageSid, or with an
# ErrorCode that is not a number, fails, with the parameters as its item.

def str: if type == "string" and . != "" then . elif type == "array" then (.[0] | if type == "string" and . != "" then . else null end) else null end;

# address is a Twilio address ("whatsapp:+14155238886") as WhatsApp digits.
def address: str | if . == null then null else ltrimstr("whatsapp:") | ltrimstr("+") | if . == "" then null else . end end;

def whatsapp: (.From | str // "") | startswith("whatsapp:");

def number($what):
  str | if . == null then null else . as $raw | (tonumber? // error("\($what) is not a number: \($raw | tojson)")) end;

def object_or_null: drop_nulls | if . == {} then null else . end;

def status_event:
  (.MessageSid | str // error("status callback without a MessageSid")) as $sid
  | (.MessageStatus | str // error("status callback \($sid) without a MessageStatus")) as $status
  | (.ErrorCode | number("ErrorCode of \($sid)")) as $code
  | {
      type: "message.status",
      id: "\($sid)/\($status)",
      data: ({
        provider_message_id: $sid,
        status: (if $status == "undelivered" then "failed" else $status end),
        recipient_id: (.To | address),
        callback_data: ($meta.source.callback_data | str),
        errors: (if $code == null or $code == 0 then null
                 else [{code: $code, message: (.ErrorMessage | str)} | drop_nulls] end),
        timestamp: $meta.received_at
      } | drop_nulls)
    };

def media_kind:
  if . == null then null
  elif startswith("image/") then if . == "image/webp" then "sticker" else "image" end
  elif startswith("video/") then "video"
  elif startswith("audio/") then "audio"
  else "document" end;

def message_type:
  (.MessageType | str | if . == null then null else ascii_downcase end)
  // (if (.Latitude | str) != null then "location"
      elif ((.NumMedia | str // "0") != "0") then (.MediaContentType0 | str | media_kind) // "document"
      elif (.ButtonPayload | str) != null then "button"
      else "text" end);

def message_event:
  (.MessageSid | str // error("message without a MessageSid")) as $sid
  | (((.WaId | str) // (.From | address)) // error("message \($sid) without a sender")) as $waid
  | message_type as $type
  | ((.NumMedia | str // "0") != "0") as $media
  | {
      type: "message.received",
      id: $sid,
      data: ({
        message_id: $sid,
        wa_id: $waid,
        phone: "+\($waid)",
        name: (.ProfileName | str),
        type: $type,
        text: ((.Body | str) // (.ButtonText | str) // (.ListTitle | str)),
        reply: (if (.ListId | str) != null then
                  {kind: "list_reply", id: (.ListId | str), title: (.ListTitle | str)} | drop_nulls
                elif (.ButtonPayload | str) != null then
                  {kind: (if $type == "interactive" then "button_reply" else "quick_reply" end),
                   id: (.ButtonPayload | str), title: (.ButtonText | str)} | drop_nulls
                else null end),
        media: (if $media then
                  {id: (.MediaUrl0 | str), mime_type: (.MediaContentType0 | str), caption: (.Body | str)} | object_or_null
                else null end),
        location: (if (.Latitude | str) != null then
                     {latitude: (.Latitude | number("Latitude of \($sid)")), longitude: (.Longitude | number("Longitude of \($sid)")),
                      name: (.Label | str), address: (.Address | str)} | object_or_null
                   else null end),
        context: ({id: (.OriginalRepliedMessageSid | str), from: (.OriginalRepliedMessageSender | address),
                   forwarded: (if (.Forwarded | str) == "true" then true else null end),
                   frequently_forwarded: (if (.FrequentlyForwarded | str) == "true" then true else null end)} | object_or_null),
        referral: ({source_url: (.ReferralSourceUrl | str), source_id: (.ReferralSourceId | str),
                    source_type: (.ReferralSourceType | str), headline: (.ReferralHeadline | str),
                    body: (.ReferralBody | str), media_type: (.ReferralMediaContentType | str),
                    media_url: (.ReferralMediaUrl | str), ctwa_clid: (.ReferralCtwaClid | str)} | object_or_null),
        timestamp: $meta.received_at,
        display_phone_number: (.To | address)
      } | drop_nulls)
    };

if type != "object" then {ignored: "not_a_webhook"}
else . as $params
  | if (.MessageStatus | str) != null then (try status_event catch {error: ., item: $params})
    elif whatsapp | not then {ignored: "not_whatsapp"}
    else (try message_event catch {error: ., item: $params}) end
end
