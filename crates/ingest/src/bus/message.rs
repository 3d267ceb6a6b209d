//! A bus message as every door gives it: AMQP (fedora-messaging's
//! conventions: routing key = topic, JSON body, headers with the schema and
//! `sent-at`, the message id in the properties), or one line of a
//! datagrepper export (`{"msg_id", "topic", "msg", "headers", "timestamp"}`).

use almanac_model::Timestamp;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: String,
    pub topic: String,
    /// Always an object.
    pub headers: Value,
    pub body: Value,
    pub sent_at: Option<Timestamp>,
}

/// Why a message could not even be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unreadable(pub String);

fn sent_at_of(headers: &Map<String, Value>, fallback: Option<&Value>) -> Option<Timestamp> {
    match headers.get("sent-at").or(fallback) {
        Some(Value::String(s)) => Timestamp::parse_iso8601(s),
        Some(Value::Number(n)) => n
            .as_f64()
            .map(|secs| Timestamp::from_micros((secs * 1e6) as i64)),
        _ => None,
    }
}

impl Message {
    /// A message from its AMQP parts. The body must be JSON; the id is the
    /// `message_id` property (fedora-messaging always sets it).
    pub fn from_amqp(
        topic: &str,
        message_id: Option<&str>,
        headers: Map<String, Value>,
        body: &[u8],
    ) -> Result<Message, Unreadable> {
        let body: Value = serde_json::from_slice(body)
            .map_err(|e| Unreadable(format!("the body is not JSON: {e}")))?;
        let id = match message_id.filter(|m| !m.is_empty()) {
            Some(id) => id.to_string(),
            None => return Err(Unreadable("the message has no message_id property".into())),
        };
        let sent_at = sent_at_of(&headers, None);
        Ok(Message {
            id,
            topic: topic.to_string(),
            headers: Value::Object(headers),
            body,
            sent_at,
        })
    }

    /// One line of a datagrepper export.
    pub fn from_datagrepper(line: &str) -> Result<Message, Unreadable> {
        let v: Value =
            serde_json::from_str(line).map_err(|e| Unreadable(format!("not JSON: {e}")))?;
        let Value::Object(mut o) = v else {
            return Err(Unreadable("a message must be a JSON object".into()));
        };
        let text =
            |o: &Map<String, Value>, k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
        let id = text(&o, "msg_id")
            .or_else(|| text(&o, "id"))
            .ok_or_else(|| Unreadable("no msg_id".into()))?;
        let topic = text(&o, "topic").ok_or_else(|| Unreadable("no topic".into()))?;
        let body = o
            .remove("msg")
            .or_else(|| o.remove("body"))
            .ok_or_else(|| Unreadable("no msg".into()))?;
        let headers = match o.remove("headers") {
            Some(Value::Object(h)) => h,
            None | Some(Value::Null) => Map::new(),
            Some(_) => return Err(Unreadable("headers must be an object".into())),
        };
        let sent_at = sent_at_of(&headers, o.get("timestamp"));
        Ok(Message {
            id,
            topic,
            headers: Value::Object(headers),
            body,
            sent_at,
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_datagrepper_line_reads_with_its_headers_and_time() {
        let m = Message::from_datagrepper(
            r#"{"msg_id": "2026-abc", "topic": "org.fedoraproject.prod.ci.koji-build.test.complete",
                "headers": {"sent-at": "2026-12-01T10:00:00+00:00", "JMSXUserID": "ci-bot"},
                "msg": {"version": "1.0.0"}, "timestamp": 1.0}"#,
        )
        .unwrap();
        assert_eq!(m.id, "2026-abc");
        assert_eq!(m.header("JMSXUserID"), Some("ci-bot"));
        assert_eq!(m.sent_at.unwrap().to_iso_z(), "2026-12-01T10:00:00.000Z");
        assert!(Message::from_datagrepper("{}").is_err());
        assert!(Message::from_datagrepper("[1]").is_err());
        assert!(Message::from_amqp("t", None, Map::new(), b"{}").is_err());
        assert!(Message::from_amqp("t", Some("id"), Map::new(), b"not json").is_err());
    }
}
