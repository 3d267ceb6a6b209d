//! The listener on RabbitMQ (AMQP 0.9.1, fedora-messaging's conventions):
//! a durable queue bound to the topics on a topic exchange, a dead-letter
//! exchange and queue beside it, a bounded prefetch, and one message at a
//! time in delivery order:
//!
//! - applied, duplicate or ignored: acknowledged after the transaction
//!   that journalled it commits;
//! - failed (malformed, refused by its handler): published to the
//!   dead-letter exchange with the reason in the `x-almanac-reason` header,
//!   then acknowledged (a crash between the two redelivers it, the journal
//!   calls it a duplicate, and it is acknowledged then);
//! - the store or a source is down: neither acknowledged nor skipped; the
//!   same message is tried again after a growing pause, so nothing is lost
//!   or reordered.
//!
//! A lost broker connection is reopened with the same pauses; unacknowledged
//! messages come back from the broker. Several listeners may share the
//! queue (competing consumers): each message is delivered to one, and the
//! journal's unique message id makes a redelivery to another harmless.

use super::Tally;
use super::apply::{self, Applied, Context};
use super::message::Message;
use almanac_store::Store;
use amqprs::channel::{
    BasicAckArguments, BasicConsumeArguments, BasicPublishArguments, BasicQosArguments,
    BasicRejectArguments, Channel, ExchangeDeclareArguments, QueueBindArguments,
    QueueDeclareArguments,
};
use amqprs::connection::{Connection, OpenConnectionArguments};
use amqprs::{BasicProperties, FieldTable, FieldValue};
use serde_json::{Map, Value};
use std::future::Future;
use std::time::Duration;

/// Where to listen and what for.
#[derive(Debug, Clone)]
pub struct Options {
    pub url: String,
    /// The topic exchange messages are published to (`amq.topic`).
    pub exchange: String,
    pub queue: String,
    /// Routing-key patterns to bind (`org.fedoraproject.prod.ci.#`).
    pub topics: Vec<String>,
    /// Messages the broker may hand over before they are acknowledged.
    pub prefetch: u16,
}

/// The parts of an `amqp://user:password@host:port/vhost` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub vhost: String,
}

fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads an AMQP URL (`amqps://` is refused: this build has no TLS).
pub fn endpoint(url: &str) -> Result<Endpoint, String> {
    let rest = match url.split_once("://") {
        Some(("amqp", rest)) => rest,
        Some(("amqps", _)) => {
            return Err(format!(
                "{url}: amqps:// needs TLS, which this build does not have"
            ));
        }
        _ => return Err(format!("'{url}' is not an amqp:// URL")),
    };
    let (authority, vhost) = match rest.split_once('/') {
        Some((a, v)) => (
            a,
            if v.is_empty() {
                "/".to_string()
            } else {
                unescape(v)
            },
        ),
        None => (rest, "/".to_string()),
    };
    let (credentials, hostport) = match authority.rsplit_once('@') {
        Some((c, h)) => (Some(c), h),
        None => (None, authority),
    };
    let (user, password) = match credentials.map(|c| c.split_once(':').unwrap_or((c, ""))) {
        Some((u, p)) => (unescape(u), unescape(p)),
        None => ("guest".to_string(), "guest".to_string()),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (
            h.to_string(),
            p.parse().map_err(|_| format!("{url}: bad port '{p}'"))?,
        ),
        None => (hostport.to_string(), 5672),
    };
    if host.is_empty() {
        return Err(format!("{url}: no host"));
    }
    Ok(Endpoint {
        host,
        port,
        user,
        password,
        vhost,
    })
}

/// A header table as JSON, as fedora-messaging's headers read.
pub fn headers_json(table: Option<&FieldTable>) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(t) = table {
        let map: &std::collections::HashMap<_, _> = t.as_ref();
        for (k, v) in map {
            out.insert(k.to_string(), field_json(v));
        }
    }
    out
}

fn field_json(v: &FieldValue) -> Value {
    match v {
        FieldValue::t(b) => Value::Bool(*b),
        FieldValue::b(n) => Value::from(*n),
        FieldValue::B(n) => Value::from(*n),
        FieldValue::s(n) => Value::from(*n),
        FieldValue::u(n) => Value::from(*n),
        FieldValue::I(n) => Value::from(*n),
        FieldValue::i(n) => Value::from(*n),
        FieldValue::l(n) => Value::from(*n),
        FieldValue::f(n) => Value::from(*n),
        FieldValue::d(n) => Value::from(*n),
        FieldValue::T(n) => Value::from(*n),
        FieldValue::S(s) => Value::String(s.to_string()),
        FieldValue::A(a) => Value::Array(
            Vec::<FieldValue>::from(a.clone())
                .iter()
                .map(field_json)
                .collect(),
        ),
        FieldValue::F(t) => Value::Object(headers_json(Some(t))),
        FieldValue::V => Value::Null,
        other => Value::String(other.to_string()),
    }
}

fn dlx(queue: &str) -> String {
    format!("{queue}.dlx")
}

/// The dead-letter queue of `queue`.
pub fn dead_letter_queue(queue: &str) -> String {
    format!("{queue}.dead")
}

fn short(s: &str) -> Result<amqprs::FieldName, String> {
    s.try_into()
        .map_err(|_| format!("'{s}' is too long for an AMQP field name"))
}

/// Opens a connection and declares the queue, its bindings and its
/// dead-letter side (also for a publisher that must not lose what it sends
/// before a listener has started).
pub async fn open(opts: &Options) -> Result<(Connection, Channel), String> {
    let e = endpoint(&opts.url)?;
    let args = OpenConnectionArguments::new(&e.host, e.port, &e.user, &e.password)
        .virtual_host(&e.vhost)
        .connection_name("almanac listen")
        .finish();
    let conn = Connection::open(&args)
        .await
        .map_err(|err| format!("cannot connect to {}:{}: {err}", e.host, e.port))?;
    let ch = conn
        .open_channel(None)
        .await
        .map_err(|err| format!("cannot open a channel: {err}"))?;
    let fail = |what: &str| {
        let what = what.to_string();
        move |err: amqprs::error::Error| format!("{what}: {err}")
    };
    if !opts.exchange.starts_with("amq.") {
        ch.exchange_declare(
            ExchangeDeclareArguments::new(&opts.exchange, "topic")
                .durable(true)
                .finish(),
        )
        .await
        .map_err(fail("declaring the exchange"))?;
    }
    ch.exchange_declare(
        ExchangeDeclareArguments::new(&dlx(&opts.queue), "fanout")
            .durable(true)
            .finish(),
    )
    .await
    .map_err(fail("declaring the dead-letter exchange"))?;
    let dead = dead_letter_queue(&opts.queue);
    ch.queue_declare(QueueDeclareArguments::durable_client_named(&dead))
        .await
        .map_err(fail("declaring the dead-letter queue"))?;
    ch.queue_bind(QueueBindArguments::new(&dead, &dlx(&opts.queue), ""))
        .await
        .map_err(fail("binding the dead-letter queue"))?;
    let mut args = FieldTable::new();
    args.insert(
        short("x-dead-letter-exchange")?,
        FieldValue::S(
            dlx(&opts.queue)
                .try_into()
                .map_err(|_| "dead-letter exchange name".to_string())?,
        ),
    );
    ch.queue_declare(
        QueueDeclareArguments::durable_client_named(&opts.queue)
            .arguments(args)
            .finish(),
    )
    .await
    .map_err(fail("declaring the queue"))?;
    for t in &opts.topics {
        ch.queue_bind(QueueBindArguments::new(&opts.queue, &opts.exchange, t))
            .await
            .map_err(fail(&format!("binding {t}")))?;
    }
    ch.basic_qos(BasicQosArguments::new(0, opts.prefetch.max(1), false))
        .await
        .map_err(fail("setting the prefetch"))?;
    Ok((conn, ch))
}

/// The pause before try `n` (1-based): 0.2 s doubling, at most 30 s.
pub fn backoff(n: u32) -> Duration {
    Duration::from_millis((200u64 << n.saturating_sub(1).min(8)).min(30_000))
}

/// Listens until `shutdown` completes (SIGTERM, Ctrl-C): the message in
/// hand is finished (or left unacknowledged), then the channel closes.
pub async fn listen(
    store: Store,
    opts: Options,
    ctx: Context,
    shutdown: impl Future<Output = ()>,
) -> Tally {
    let mut tally = Tally::default();
    tokio::pin!(shutdown);
    let mut attempt = 0u32;
    'connection: loop {
        let (conn, ch) = tokio::select! {
            opened = open(&opts) => match opened {
                Ok(c) => c,
                Err(e) => {
                    attempt += 1;
                    tracing::warn!(error = %e, retry_in = ?backoff(attempt), "the broker is not reachable");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff(attempt)) => continue 'connection,
                        _ = &mut shutdown => return tally,
                    }
                }
            },
            _ = &mut shutdown => return tally,
        };
        let consumed = ch
            .basic_consume_rx(
                BasicConsumeArguments::new(&opts.queue, "")
                    .manual_ack(true)
                    .finish(),
            )
            .await;
        let mut rx = match consumed {
            Ok((_, rx)) => rx,
            Err(e) => {
                attempt += 1;
                tracing::warn!(error = %e, "cannot consume");
                tokio::time::sleep(backoff(attempt)).await;
                continue 'connection;
            }
        };
        attempt = 0;
        tracing::info!(queue = %opts.queue, topics = ?opts.topics, "listening");
        loop {
            let delivery = tokio::select! {
                d = rx.recv() => d,
                _ = &mut shutdown => {
                    let _ = ch.close().await;
                    let _ = conn.close().await;
                    return tally;
                }
            };
            let Some(first) = delivery else {
                tracing::warn!("the broker connection closed; reopening");
                continue 'connection;
            };
            // What else is already here, up to the prefetch: one transaction.
            let mut deliveries = vec![first];
            while deliveries.len() < usize::from(opts.prefetch.max(1)) {
                match rx.try_recv() {
                    Ok(d) => deliveries.push(d),
                    Err(_) => break,
                }
            }
            let items: Vec<Delivered> = deliveries.into_iter().filter_map(Delivered::of).collect();
            let Some(last_tag) = items.last().map(|d| d.tag) else {
                continue;
            };
            // The store may be down: the same messages again, after a pause.
            let mut tries = 0u32;
            let outcomes = loop {
                let (store, ctx) = (store.clone(), ctx.clone());
                let parts: Vec<Delivered> = items.clone();
                let done =
                    tokio::task::spawn_blocking(move || apply_all(&store, &parts, &ctx)).await;
                match done {
                    Ok(Ok(outcomes)) => break outcomes,
                    Ok(Err(unavailable)) => {
                        tries += 1;
                        tracing::warn!(error = %unavailable, retry_in = ?backoff(tries), "cannot apply the message yet");
                        tokio::select! {
                            _ = tokio::time::sleep(backoff(tries)) => {}
                            _ = &mut shutdown => {
                                // Not acknowledged: the broker gives them back later.
                                let _ = ch.close().await;
                                let _ = conn.close().await;
                                return tally;
                            }
                        }
                    }
                    Err(join) => {
                        break items
                            .iter()
                            .map(|_| Applied::Failed(format!("the handler panicked: {join}")))
                            .collect();
                    }
                }
            };
            let mut broken = false;
            for (item, outcome) in items.iter().zip(&outcomes) {
                tally.add(outcome);
                if let Applied::Failed(reason) = outcome
                    && dead_letter(
                        &ch,
                        &opts.queue,
                        &item.props,
                        &item.content,
                        &item.topic,
                        reason,
                    )
                    .await
                    .is_err()
                {
                    // The dead-letter exchange refused it: the queue's own
                    // dead-lettering takes it, and the rest are acknowledged.
                    broken |= ch
                        .basic_reject(BasicRejectArguments::new(item.tag, false))
                        .await
                        .is_err();
                }
            }
            if broken
                || ch
                    .basic_ack(BasicAckArguments::new(last_tag, true))
                    .await
                    .is_err()
            {
                tracing::warn!("acknowledging failed; reopening");
                continue 'connection;
            }
        }
    }
}

/// One delivery, read.
#[derive(Clone)]
struct Delivered {
    tag: u64,
    topic: String,
    props: BasicProperties,
    content: Vec<u8>,
    parsed: Result<Message, super::message::Unreadable>,
}

impl Delivered {
    fn of(d: amqprs::channel::ConsumerMessage) -> Option<Delivered> {
        let (Some(deliver), Some(props)) = (d.deliver, d.basic_properties) else {
            return None;
        };
        let topic = deliver.routing_key().clone();
        let content = d.content.unwrap_or_default();
        let parsed = Message::from_amqp(
            &topic,
            props.message_id().map(String::as_str),
            headers_json(props.headers()),
            &content,
        );
        Some(Delivered {
            tag: deliver.delivery_tag(),
            topic,
            props,
            content,
            parsed,
        })
    }
}

/// Applies deliveries in order: runs of readable messages as batches,
/// the unreadable ones journalled as failed.
fn apply_all(
    store: &Store,
    items: &[Delivered],
    ctx: &Context,
) -> Result<Vec<Applied>, apply::Unavailable> {
    let mut out = Vec::with_capacity(items.len());
    let mut run: Vec<Message> = Vec::new();
    for d in items {
        match &d.parsed {
            Ok(m) => run.push(m.clone()),
            Err(e) => {
                if !run.is_empty() {
                    out.extend(apply::apply_batch(store, &std::mem::take(&mut run), ctx)?);
                }
                apply::unreadable(
                    store,
                    &d.topic,
                    d.props.message_id().map(String::as_str),
                    &d.content,
                    &e.0,
                )?;
                out.push(Applied::Failed(e.0.clone()));
            }
        }
    }
    if !run.is_empty() {
        out.extend(apply::apply_batch(store, &run, ctx)?);
    }
    Ok(out)
}

async fn dead_letter(
    ch: &Channel,
    queue: &str,
    props: &BasicProperties,
    content: &[u8],
    topic: &str,
    reason: &str,
) -> Result<(), amqprs::error::Error> {
    let mut headers = props.headers().cloned().unwrap_or_default();
    let reason: String = reason.chars().take(2_000).collect();
    if let (Ok(k), Ok(v)) = (
        amqprs::FieldName::try_from("x-almanac-reason"),
        reason.try_into(),
    ) {
        headers.insert(k, FieldValue::S(v));
    }
    if let (Ok(k), Ok(v)) = (
        amqprs::FieldName::try_from("x-almanac-topic"),
        topic.to_string().try_into(),
    ) {
        headers.insert(k, FieldValue::S(v));
    }
    let mut p = props.clone();
    p.with_headers(headers);
    ch.basic_publish(
        p,
        content.to_vec(),
        BasicPublishArguments::new(&dlx(queue), topic),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amqp_urls_read_as_fedora_messaging_writes_them() {
        let e = endpoint("amqp://guest:guest@127.0.0.1:5672/%2F").unwrap();
        assert_eq!(
            (
                e.host.as_str(),
                e.port,
                e.user.as_str(),
                e.password.as_str(),
                e.vhost.as_str()
            ),
            ("127.0.0.1", 5672, "guest", "guest", "/")
        );
        let e = endpoint("amqp://localhost").unwrap();
        assert_eq!(
            (e.port, e.user.as_str(), e.vhost.as_str()),
            (5672, "guest", "/")
        );
        assert_eq!(endpoint("amqp://u:p%40ss@h:1/v").unwrap().password, "p@ss");
        assert!(endpoint("amqps://h").unwrap_err().contains("TLS"));
        assert!(endpoint("http://h").is_err());
        assert!(endpoint("amqp://h:port").is_err());
        assert_eq!(backoff(1), Duration::from_millis(200));
        assert_eq!(backoff(40), Duration::from_secs(30));
    }
}
