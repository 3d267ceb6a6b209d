//! Events out: the outbox relay. Every write records its events in the
//! outbox in its own transaction; the relay publishes them to the topic
//! exchange in id (commit) order, at least once, and marks them published
//! only after the broker confirmed them:
//!
//! - one batch (up to 500 events) is one store transaction: it takes the
//!   relay lock (a PostgreSQL advisory lock held to the commit, so one relay
//!   at a time among processes; SQLite has one writer), reads the oldest
//!   unpublished events, publishes them, waits for the broker's confirms,
//!   and marks them; a failure anywhere rolls the marks back, and the batch
//!   is published again (consumers deduplicate by message id);
//! - a lost broker connection is reopened after a growing pause.
//!
//! Messages follow fedora-messaging's conventions (JSON body, `sent-at` and
//! the base schema in the headers, the message id `almanac-event-<id>`), so
//! its consumers read them.

use super::amqp::{Endpoint, backoff, endpoint};
use almanac_model::Timestamp;
use almanac_store::outbox::{self, StoredEvent};
use almanac_store::{Engine, Store, StoreError};
use amqprs::callbacks::ChannelCallback;
use amqprs::channel::{BasicPublishArguments, Channel, ConfirmSelectArguments};
use amqprs::connection::{Connection, OpenConnectionArguments};
use amqprs::{Ack, BasicProperties, Cancel, CloseChannel, FieldTable, FieldValue, Nack, Return};
use std::collections::BTreeSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Where events go.
#[derive(Debug, Clone)]
pub struct RelayOptions {
    pub url: String,
    pub exchange: String,
    /// Put before each event's topic (`org.fedoraproject.prod.`).
    pub topic_prefix: String,
}

/// Events a batch publishes at most.
const BATCH: i64 = 500;

/// The relay lock's key among PostgreSQL advisory locks.
const RELAY_LOCK: i64 = 0x0061_6c6d_7265_6c79; // "almrely"

/// What the broker has not confirmed yet, and whether it refused any.
#[derive(Default)]
struct Pending {
    tags: BTreeSet<u64>,
    refused: bool,
}

#[derive(Clone, Default)]
struct Confirms {
    pending: Arc<Mutex<Pending>>,
    changed: Arc<Notify>,
}

impl Confirms {
    fn settle(&self, tag: u64, multiple: bool, refused: bool) {
        if let Ok(mut p) = self.pending.lock() {
            if multiple {
                p.tags.retain(|t| *t > tag);
            } else {
                p.tags.remove(&tag);
            }
            p.refused |= refused;
        }
        self.changed.notify_waiters();
    }

    /// Waits until every tag is confirmed; false if one was refused or the
    /// broker took too long.
    async fn all_confirmed(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            // Registered before the check, so a confirm in between is not missed.
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let Ok(p) = self.pending.lock() else {
                    return false;
                };
                if p.refused {
                    return false;
                }
                if p.tags.is_empty() {
                    return true;
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return false;
            }
        }
    }
}

#[async_trait::async_trait]
impl ChannelCallback for Confirms {
    async fn close(&mut self, _: &Channel, _: CloseChannel) -> Result<(), amqprs::error::Error> {
        if let Ok(mut p) = self.pending.lock() {
            p.refused = true;
        }
        self.changed.notify_waiters();
        Ok(())
    }
    async fn cancel(&mut self, _: &Channel, _: Cancel) -> Result<(), amqprs::error::Error> {
        Ok(())
    }
    async fn flow(&mut self, _: &Channel, active: bool) -> Result<bool, amqprs::error::Error> {
        Ok(active)
    }
    async fn publish_ack(&mut self, _: &Channel, ack: Ack) {
        self.settle(ack.delivery_tag(), ack.mutiple(), false);
    }
    async fn publish_nack(&mut self, _: &Channel, nack: Nack) {
        self.settle(nack.delivery_tag(), nack.multiple(), true);
    }
    async fn publish_return(&mut self, _: &Channel, _: Return, _: BasicProperties, _: Vec<u8>) {}
}

struct Publisher {
    conn: Connection,
    ch: Channel,
    confirms: Confirms,
    next_tag: u64,
}

async fn connect(e: &Endpoint) -> Result<Publisher, String> {
    let args = OpenConnectionArguments::new(&e.host, e.port, &e.user, &e.password)
        .virtual_host(&e.vhost)
        .connection_name("almanac relay")
        .finish();
    let conn = Connection::open(&args)
        .await
        .map_err(|err| format!("cannot connect to {}:{}: {err}", e.host, e.port))?;
    let ch = conn
        .open_channel(None)
        .await
        .map_err(|err| format!("cannot open a channel: {err}"))?;
    let confirms = Confirms::default();
    ch.register_callback(confirms.clone())
        .await
        .map_err(|err| format!("cannot watch confirms: {err}"))?;
    ch.confirm_select(ConfirmSelectArguments::default())
        .await
        .map_err(|err| format!("cannot ask for confirms: {err}"))?;
    Ok(Publisher {
        conn,
        ch,
        confirms,
        next_tag: 1,
    })
}

fn header(headers: &mut FieldTable, name: &str, value: FieldValue) {
    if let Ok(k) = amqprs::FieldName::try_from(name) {
        headers.insert(k, value);
    }
}

/// Publishes `events` and waits for the broker to confirm every one.
async fn publish(
    p: &mut Publisher,
    opts: &RelayOptions,
    events: &[StoredEvent],
) -> Result<(), String> {
    let sent_at = Timestamp::now().to_iso_z();
    for e in events {
        let mut headers = FieldTable::new();
        if let Ok(v) = sent_at.clone().try_into() {
            header(&mut headers, "sent-at", FieldValue::S(v));
        }
        if let Ok(v) = "base.message".try_into() {
            header(&mut headers, "fedora_messaging_schema", FieldValue::S(v));
        }
        header(&mut headers, "fedora_messaging_severity", FieldValue::l(20));
        let mut props = BasicProperties::default();
        props
            .with_message_id(&format!("almanac-event-{}", e.id))
            .with_content_type("application/json")
            .with_content_encoding("utf-8")
            .with_persistence(true)
            .with_headers(headers);
        if let Ok(mut pending) = p.confirms.pending.lock() {
            pending.tags.insert(p.next_tag);
        }
        p.next_tag += 1;
        let topic = format!("{}{}", opts.topic_prefix, e.topic);
        p.ch.basic_publish(
            props,
            e.payload.clone().into_bytes(),
            BasicPublishArguments::new(&opts.exchange, &topic),
        )
        .await
        .map_err(|err| format!("publishing event {}: {err}", e.id))?;
    }
    if p.confirms.all_confirmed(Duration::from_secs(30)).await {
        Ok(())
    } else {
        Err("the broker did not confirm every event".into())
    }
}

/// Publishes one batch; answers how many events it published.
fn batch(
    store: &Store,
    handle: &tokio::runtime::Handle,
    publisher: Arc<tokio::sync::Mutex<Publisher>>,
    opts: &RelayOptions,
) -> Result<usize, StoreError> {
    let (handle, opts, engine) = (handle.clone(), opts.clone(), store.engine());
    store.write_blocking(move |c| {
        if engine == Engine::Postgres {
            c.query("SELECT pg_advisory_xact_lock($1)", &[RELAY_LOCK.into()])?;
        }
        let events = outbox::unpublished(c, BATCH)?;
        if events.is_empty() {
            return Ok(0);
        }
        handle
            .block_on(async {
                let mut p = publisher.lock().await;
                publish(&mut p, &opts, &events).await
            })
            .map_err(|e| StoreError::Internal(format!("relay: {e}")))?;
        let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
        outbox::mark_published(c, &ids)?;
        Ok(events.len())
    })
}

/// Relays the outbox until `shutdown`; answers how many events it published.
pub async fn relay(store: Store, opts: RelayOptions, shutdown: impl Future<Output = ()>) -> usize {
    tokio::pin!(shutdown);
    let Ok(e) = endpoint(&opts.url) else {
        tracing::error!(url = %opts.url, "the relay's broker URL is not an amqp:// URL");
        return 0;
    };
    let mut published = 0;
    let mut attempt = 0u32;
    'connection: loop {
        let publisher = tokio::select! {
            p = connect(&e) => p,
            _ = &mut shutdown => return published,
        };
        let publisher = match publisher {
            Ok(p) => Arc::new(tokio::sync::Mutex::new(p)),
            Err(err) => {
                attempt += 1;
                tracing::warn!(error = %err, retry_in = ?backoff(attempt), "the relay cannot reach the broker");
                tokio::select! {
                    _ = tokio::time::sleep(backoff(attempt)) => continue 'connection,
                    _ = &mut shutdown => return published,
                }
            }
        };
        attempt = 0;
        tracing::info!(exchange = %opts.exchange, prefix = %opts.topic_prefix, "relaying events");
        loop {
            let (store, p, opts) = (store.clone(), publisher.clone(), opts.clone());
            let handle = tokio::runtime::Handle::current();
            let done = tokio::task::spawn_blocking(move || batch(&store, &handle, p, &opts)).await;
            let pause = match done {
                Ok(Ok(0)) => Duration::from_millis(200),
                Ok(Ok(n)) => {
                    published += n;
                    Duration::ZERO
                }
                Ok(Err(err)) => {
                    tracing::warn!(error = %err, "relaying events failed; they are published again");
                    let p = publisher.lock().await;
                    if !p.ch.is_open() || !p.conn.is_open() {
                        continue 'connection;
                    }
                    backoff(1)
                }
                Err(join) => {
                    tracing::error!(error = %join, "the relay panicked");
                    backoff(3)
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = &mut shutdown => return published,
            }
        }
    }
}
