# whatsapp_cloud: Meta's WhatsApp Cloud API webhook envelope.
#
#   {"object": "whatsapp_business_account",
#    "entry": [{"id": "<WABA id>",
#               "changes": [{"field": "messages",
#                            "value": {"metadata": {...}, "statuses": [...], "messages": [...]}}]}]}
#
# One request may batch several entries, changes and statuses; all are
# mapped. Every status in a "messages" change becomes one "message.status"
# event:
#
#   id           status.id + "/" + status.status (a message reports each state once)
#   occurred_at  status.timestamp (unix seconds, as a string)
#   data         event.MessageStatus: provider_message_id, status, timestamp
#                (RFC 3339), recipient_id, callback_data (biz_opaque_callback_data,
#                our message key echoed back) and, for failed messages,
#                errors [{code, title, message, details}]
#
# Inbound customer messages and other change fields (template, quality and
# account updates) yield nothing yet, and never fail the delivery.

def drop_nulls: with_entries(select(.value != null));

def str: if type == "string" and . != "" then . else null end;

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
        timestamp: (.timestamp | tonumber? // error("status has a bad timestamp: \(tojson)") | todate),
        recipient_id: (.recipient_id | str),
        callback_data: (.biz_opaque_callback_data | str),
        errors: (
          if (.errors | type) == "array" and (.errors | length) > 0 then
            [.errors[] | objects | {
              code: (.code | if type == "string" then (tonumber? // 0) else . end
                             | if type == "number" and . >= 0 and . < 2147483648 then floor else 0 end),
              title: (.title | str),
              message: (.message | str),
              details: (.error_data | if type == "object" then .details | str else null end)
            } | drop_nulls]
          else null
          end)
      } | drop_nulls)
    };

if type != "object" then error("webhook body must be a JSON object, got \(type)") else . end
| .entry | arrays | .[] | objects
| .changes | arrays | .[] | objects
| select(.field == "messages")
| .value | objects
| .statuses | arrays | .[]
| status_event
