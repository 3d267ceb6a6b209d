//! The store handle: the reader threads, each with its own connection, and
//! the writer, which commits concurrent writes together (group commit).
//!
//! Every write runs on a writer thread inside a transaction shared with the
//! other writes queued at that moment; each write has its own savepoint, so one
//! that fails is rolled back alone, and each is answered only after COMMIT.
//! Result submissions are merged further: all those in one batch are written
//! by one call of [`results::insert_batch`], a fixed number of statements.

use crate::changes::Actor;
use crate::db::postgres::PgConn;
use crate::db::sqlite::{self, MemoryLimits, SqliteConn, SqliteSync};
use crate::db::{Conn, DbError, Engine, engine_of, redact_url};
use crate::error::{StoreError, StoreResult};
use crate::{migrate, results};
use almanac_model::results::{NewResult, StoredResult};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// How the store is run; defaults suit one machine.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Reader threads, each with its connection (concurrent reads).
    pub readers: usize,
    /// Writer threads. SQLite has one writer whatever this says.
    pub writers: usize,
    pub sqlite_sync: SqliteSync,
    /// What SQLite's page caches may hold together, in MiB: the pages
    /// not read through a memory map. The writer's cache is half of it;
    /// each reader's an equal share of the other half
    /// ([`StoreOptions::sqlite_cache_kib`]). It is also the size of the pool
    /// SQLite's page buffers come from, with `sqlite_page_pool`.
    pub sqlite_cache_mib: u64,
    /// Whether SQLite's page buffers come from a pool of `sqlite_cache_mib`
    /// set aside (and made resident) at start: for the processes that run
    /// until stopped, where the heap would fragment around page buffers. A
    /// command that runs a second would pay for it (about 60 ms and the
    /// whole budget resident) and not use it.
    pub sqlite_page_pool: bool,
    /// How much of the SQLite file each connection reads through a memory
    /// map, in MiB (0: none, pages are read into the page caches). Off by
    /// default: in WAL mode a reader drops its map whenever another
    /// connection has written, so under a steady write load every read
    /// faults its pages in again (at 1,000,000 results the soak's mixed load
    /// peaked at 1,842/s without the map, 1,618/s with the whole file
    /// mapped and 1,483/s with 1 GiB, which also left every reader's cache
    /// to fill past the map).
    pub sqlite_mmap_mib: u64,
    /// A PostgreSQL read replica the readers connect to (reads through
    /// [`Store::read`]); writes, and reads inside a write, stay on the primary.
    pub replica_url: Option<String>,
    /// Most writes one transaction takes.
    pub max_batch_jobs: usize,
    /// Most results one transaction takes.
    pub max_batch_results: usize,
    /// The absolute URL of `/api/v2.0`, for the links inside events.
    pub results_api_url: String,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            readers: 8,
            writers: 2,
            sqlite_sync: SqliteSync::Full,
            sqlite_cache_mib: 128,
            sqlite_page_pool: false,
            sqlite_mmap_mib: 0,
            replica_url: None,
            max_batch_jobs: 256,
            max_batch_results: 2000,
            results_api_url: "http://127.0.0.1:8080/api/v2.0".to_string(),
        }
    }
}

impl StoreOptions {
    /// The page cache of SQLite's writer and of each reader, in KiB: half
    /// the budget for the writer (the pages it changes, the indexes it
    /// walks), the other half shared by the readers, at least 1 MiB each.
    /// (The checkpointer opens as the writer does, but copies the WAL
    /// without filling its cache.)
    pub fn sqlite_cache_kib(&self) -> (u64, u64) {
        let budget = self.sqlite_cache_mib.saturating_mul(1024);
        let readers = self.readers.max(1) as u64;
        (budget / 2, (budget / 2 / readers).max(1024))
    }
}

type Opener = Arc<dyn Fn(bool) -> Result<Box<dyn Conn>, DbError> + Send + Sync>;
type Completion = Box<dyn FnOnce(StoreResult<()>) + Send>;
type WriteFn = Box<dyn FnOnce(&mut dyn Conn) -> (bool, Completion) + Send>;

type ResultsReply = oneshot::Sender<StoreResult<Vec<StoredResult>>>;

/// A read queued for the reader threads: it runs on the thread's connection
/// and answers through a channel of its own.
type ReadJob = Box<dyn FnOnce(&mut ReaderConn) + Send>;

enum Job {
    Results {
        items: Vec<NewResult>,
        actor: Actor,
        reply: ResultsReply,
    },
    Write(WriteFn),
}

/// A handle on the store; cheap to clone, shared by every door.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    url: String,
    open: Opener,
    /// Opens a reader: on the replica when there is one.
    open_reader: Opener,
    /// Readers for [`Store::read_blocking`], which runs on its caller's thread.
    idle: Mutex<Vec<Box<dyn Conn>>>,
    /// The reader threads' queue ([`Store::read`]).
    reads: Mutex<Option<mpsc::Sender<ReadJob>>>,
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    /// Tells the background threads (the SQLite checkpointer) to stop.
    stopping: Arc<std::sync::atomic::AtomicBool>,
    options: StoreOptions,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the queues lets the reader and writer threads finish what
        // they hold and exit (closing their connections on their own threads).
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.take();
        }
        if let Ok(mut reads) = self.reads.lock() {
            reads.take();
        }
        self.stopping
            .store(true, std::sync::atomic::Ordering::Relaxed);
        // Closing a PostgreSQL connection blocks, which an async thread must not
        // do; the last handle may well be dropped on one (at server shutdown).
        let idle = self.idle.get_mut().map(std::mem::take).unwrap_or_default();
        if !idle.is_empty() {
            let _ = std::thread::spawn(move || drop(idle)).join();
        }
    }
}

impl Store {
    /// Opens the store named by `url` (`sqlite://path` or `postgres://...`).
    /// Fails at once if the database cannot be reached.
    ///
    /// This, [`Store::migrate`] and the `*_blocking` methods block: call them
    /// before the async runtime starts, or from `spawn_blocking`, never on an
    /// async thread (the PostgreSQL client refuses to).
    pub fn open(url: &str, options: StoreOptions) -> StoreResult<Store> {
        let engine = engine_of(url).ok_or_else(|| {
            StoreError::Invalid(almanac_model::ModelError::new(
                "database_url",
                format!(
                    "database URL '{}' must start with sqlite:// or postgres://",
                    redact_url(url)
                ),
            ))
        })?;
        let open: Opener = match engine {
            Engine::Sqlite => {
                let path = sqlite::path_of(url);
                let sync = options.sqlite_sync;
                let (writer_kib, reader_kib) = options.sqlite_cache_kib();
                let mmap_bytes = options.sqlite_mmap_mib.saturating_mul(1 << 20);
                let page_pool_bytes = if options.sqlite_page_pool {
                    options.sqlite_cache_mib.saturating_mul(1 << 20)
                } else {
                    0
                };
                Arc::new(move |read_only| {
                    let memory = MemoryLimits {
                        cache_kib: if read_only { reader_kib } else { writer_kib },
                        mmap_bytes,
                        page_pool_bytes,
                    };
                    Ok(Box::new(SqliteConn::open(&path, read_only, sync, memory)?)
                        as Box<dyn Conn>)
                })
            }
            Engine::Postgres => {
                let url = url.to_string();
                Arc::new(move |_| Ok(Box::new(PgConn::connect(&url)?) as Box<dyn Conn>))
            }
        };
        let open_reader = match (&options.replica_url, engine) {
            (None, _) => open.clone(),
            (Some(replica), Engine::Postgres) if engine_of(replica) == Some(Engine::Postgres) => {
                let replica = replica.clone();
                Arc::new(move |_| Ok(Box::new(PgConn::connect(&replica)?) as Box<dyn Conn>))
            }
            (Some(replica), _) => {
                return Err(StoreError::Invalid(almanac_model::ModelError::new(
                    "replica_url",
                    format!(
                        "a read replica ('{}') needs a postgres:// database URL and a postgres:// replica URL",
                        redact_url(replica)
                    ),
                )));
            }
        };
        let writers = match engine {
            Engine::Sqlite => 1,
            Engine::Postgres => options.writers.max(1),
        };
        // Open the writers first: for SQLite this creates the file and WAL.
        let mut writer_conns = Vec::new();
        for _ in 0..writers {
            writer_conns.push(open(false)?);
        }
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for (i, conn) in writer_conns.into_iter().enumerate() {
            let rx = rx.clone();
            let open = open.clone();
            let options = options.clone();
            std::thread::Builder::new()
                .name(format!("almanac-writer-{i}"))
                .spawn(move || writer_loop(conn, rx, open, options))
                .map_err(|e| StoreError::Internal(format!("cannot start a writer thread: {e}")))?;
        }
        let (reads, read_rx) = mpsc::channel::<ReadJob>();
        let read_rx = Arc::new(Mutex::new(read_rx));
        for i in 0..options.readers.max(1) {
            let rx = read_rx.clone();
            let reader = ReaderConn {
                conn: None,
                open: open_reader.clone(),
                sqlite: engine == Engine::Sqlite,
            };
            std::thread::Builder::new()
                .name(format!("almanac-reader-{i}"))
                .spawn(move || reader_loop(rx, reader))
                .map_err(|e| StoreError::Internal(format!("cannot start a reader thread: {e}")))?;
        }
        let stopping = Arc::new(std::sync::atomic::AtomicBool::new(false));
        if engine == Engine::Sqlite {
            let conn = open(false)?;
            let stopping = stopping.clone();
            std::thread::Builder::new()
                .name("almanac-checkpoint".into())
                .spawn(move || checkpoint_loop(conn, stopping))
                .map_err(|e| {
                    StoreError::Internal(format!("cannot start the checkpoint thread: {e}"))
                })?;
        }
        Ok(Store {
            inner: Arc::new(Inner {
                engine,
                url: url.to_string(),
                open,
                open_reader,
                idle: Mutex::new(Vec::new()),
                reads: Mutex::new(Some(reads)),
                jobs: Mutex::new(Some(tx)),
                stopping,
                options,
            }),
        })
    }

    pub fn engine(&self) -> Engine {
        self.inner.engine
    }

    /// The database URL with any password hidden.
    pub fn url_redacted(&self) -> String {
        redact_url(&self.inner.url)
    }

    pub fn options(&self) -> &StoreOptions {
        &self.inner.options
    }

    /// Applies pending migrations (blocking); answers the versions applied.
    pub fn migrate(&self) -> StoreResult<Vec<i64>> {
        let mut conn = (self.inner.open)(false)?;
        migrate::migrate(conn.as_mut())
    }

    /// What the database server is set to that a store in production must
    /// not run with, each as a sentence for the log. On PostgreSQL: autovacuum
    /// off, under which the tables Almanac updates (the outbox, the bus
    /// journal) bloat and every table's statistics go stale as it grows.
    /// Blocking.
    pub fn server_warnings(&self) -> StoreResult<Vec<String>> {
        if self.inner.engine != Engine::Postgres {
            return Ok(Vec::new());
        }
        let mut conn = (self.inner.open)(false)?;
        let mut row = conn
            .query_opt("SELECT current_setting('autovacuum')", &[])?
            .ok_or_else(|| {
                StoreError::Internal("current_setting('autovacuum') answered no row".into())
            })?;
        Ok(postgres_warnings(&row.text(0)?))
    }

    /// A pooled reader, or a fresh one; says which.
    fn take_reader(&self) -> StoreResult<(Box<dyn Conn>, bool)> {
        let idle = self.inner.idle.lock().expect("reader pool lock").pop();
        match idle {
            Some(c) => Ok((c, true)),
            None => Ok((
                (self.inner.open_reader)(self.inner.engine == Engine::Sqlite)?,
                false,
            )),
        }
    }

    fn return_reader(&self, conn: Box<dyn Conn>) {
        if !conn.is_broken() {
            self.inner.idle.lock().expect("reader pool lock").push(conn);
        }
    }

    /// Runs `f` on one of the reader threads (`[store] readers` of them),
    /// each with a connection of its own: reads beyond that many wait their
    /// turn. A connection stays on its thread, so what it allocates (SQLite's
    /// page cache, its statements) is allocated and freed on one thread, and
    /// the process's threads are as many as the settings say, whatever the
    /// load did before (on tokio's blocking pool, which grows with every
    /// burst, the soak's resident memory grew with the threads).
    pub async fn read<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: Fn(&mut dyn Conn) -> StoreResult<R> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: ReadJob = Box::new(move |reader| {
            let _ = tx.send(reader.read(f));
        });
        {
            let reads = self.inner.reads.lock().expect("read queue lock");
            reads
                .as_ref()
                .ok_or_else(|| StoreError::Internal("the store is closed".into()))?
                .send(job)
                .map_err(|_| StoreError::Internal("the readers have stopped".into()))?;
        }
        rx.await
            .map_err(|_| StoreError::Internal("the read failed: its thread panicked".into()))?
    }

    /// [`Store::read`] on the caller's thread, for code that is not async (the
    /// CLI, benchmarks, the bus listener's blocking tasks), on a pooled
    /// connection.
    pub fn read_blocking<R>(&self, f: impl Fn(&mut dyn Conn) -> StoreResult<R>) -> StoreResult<R> {
        let (conn, reused) = self.take_reader()?;
        let sqlite = self.inner.engine == Engine::Sqlite;
        let (conn, result) = read_on(conn, reused, || (self.inner.open_reader)(sqlite), f);
        if let Some(conn) = conn {
            self.return_reader(conn);
        }
        result
    }

    fn send(&self, job: Job) -> StoreResult<()> {
        let jobs = self.inner.jobs.lock().expect("job queue lock");
        let sender = jobs
            .as_ref()
            .ok_or_else(|| StoreError::Internal("the store is closed".into()))?;
        sender
            .send(job)
            .map_err(|_| StoreError::Internal("the writer has stopped".into()))
    }

    fn queue_write<R, E, F>(&self, f: F) -> Result<oneshot::Receiver<Result<R, E>>, StoreError>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Conn) -> Result<R, E> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: WriteFn = Box::new(move |conn| {
            let outcome = f(conn);
            let failed = outcome.is_err();
            let done: Completion = Box::new(move |commit| {
                let _ = tx.send(match commit {
                    Ok(()) => outcome,
                    Err(e) => Err(E::from(e)),
                });
            });
            (failed, done)
        });
        self.send(Job::Write(job))?;
        Ok(rx)
    }

    /// Runs `f` in a write transaction (shared with other queued writes, in a
    /// savepoint of its own, rolled back if `f` fails); answers once the
    /// transaction has committed. `f` may fail with the caller's own error
    /// type (an API's refusal), which reaches the caller unchanged.
    pub async fn write<R, E, F>(&self, f: F) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Conn) -> Result<R, E> + Send + 'static,
    {
        self.queue_write(f)?
            .await
            .map_err(|_| E::from(StoreError::Internal("the writer dropped a write".into())))?
    }

    /// [`Store::write`] for code that is not async.
    pub fn write_blocking<R, E, F>(&self, f: F) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Conn) -> Result<R, E> + Send + 'static,
    {
        self.queue_write(f)?
            .blocking_recv()
            .map_err(|_| E::from(StoreError::Internal("the writer dropped a write".into())))?
    }

    fn queue_results(
        &self,
        items: Vec<NewResult>,
        actor: Actor,
    ) -> StoreResult<oneshot::Receiver<StoreResult<Vec<StoredResult>>>> {
        let (reply, rx) = oneshot::channel();
        self.send(Job::Results {
            items,
            actor,
            reply,
        })?;
        Ok(rx)
    }

    /// Stores new results; concurrent submissions share one transaction and
    /// one set of bulk statements. Answers after COMMIT.
    pub async fn submit_results(
        &self,
        items: Vec<NewResult>,
        actor: Actor,
    ) -> StoreResult<Vec<StoredResult>> {
        self.queue_results(items, actor)?
            .await
            .map_err(|_| StoreError::Internal("the writer dropped a write".into()))?
    }

    /// [`Store::submit_results`] for code that is not async.
    pub fn submit_results_blocking(
        &self,
        items: Vec<NewResult>,
        actor: Actor,
    ) -> StoreResult<Vec<StoredResult>> {
        self.queue_results(items, actor)?
            .blocking_recv()
            .map_err(|_| StoreError::Internal("the writer dropped a write".into()))?
    }

    /// True when the database answers a trivial query.
    /// Whether the database answers: a read and, with a replica (where the
    /// reads go), a write transaction on the primary that changes nothing.
    pub async fn ping(&self) -> bool {
        let read = self.read(|conn| Ok(conn.query("SELECT 1", &[])?)).await;
        if read.is_err() {
            return false;
        }
        if self.inner.options.replica_url.is_none() {
            return true;
        }
        self.write(|conn| Ok::<_, StoreError>(conn.query("SELECT 1", &[])?))
            .await
            .is_ok()
    }
}

/// Runs `f` on `conn`. A connection that was reused may have died while idle
/// (the database restarted): a read that fails because of that runs once
/// more on a fresh connection, which reads may, as they change nothing.
/// Answers the connection to keep, if it still works, with the outcome.
fn read_on<R>(
    mut conn: Box<dyn Conn>,
    reused: bool,
    open: impl Fn() -> Result<Box<dyn Conn>, DbError>,
    f: impl Fn(&mut dyn Conn) -> StoreResult<R>,
) -> (Option<Box<dyn Conn>>, StoreResult<R>) {
    let mut result = f(conn.as_mut());
    if reused && conn.is_broken() && matches!(result, Err(StoreError::Unavailable(_))) {
        tracing::info!("a pooled connection was lost; reading again on a fresh one");
        conn = match open() {
            Ok(fresh) => fresh,
            Err(e) => return (None, Err(e.into())),
        };
        result = f(conn.as_mut());
    }
    ((!conn.is_broken()).then_some(conn), result)
}

/// A reader thread's connection: opened at the thread's first read, and
/// again after it broke.
struct ReaderConn {
    conn: Option<Box<dyn Conn>>,
    open: Opener,
    sqlite: bool,
}

impl ReaderConn {
    fn read<R>(&mut self, f: impl Fn(&mut dyn Conn) -> StoreResult<R>) -> StoreResult<R> {
        let (conn, reused) = match self.conn.take() {
            Some(conn) => (conn, true),
            None => ((self.open)(self.sqlite)?, false),
        };
        let (conn, result) = read_on(conn, reused, || (self.open)(self.sqlite), f);
        self.conn = conn;
        result
    }
}

fn reader_loop(rx: Arc<Mutex<mpsc::Receiver<ReadJob>>>, mut reader: ReaderConn) {
    loop {
        let job = {
            let Ok(rx) = rx.lock() else { return };
            let Ok(job) = rx.recv() else { return };
            job
        };
        let run = std::panic::AssertUnwindSafe(|| job(&mut reader));
        if std::panic::catch_unwind(run).is_err() {
            // The caller hears of it (its channel closed unanswered); the
            // connection may be mid-statement, so the next read opens another.
            reader.conn = None;
        }
    }
}

/// Copies SQLite's write-ahead log into the database file in the background
/// (PASSIVE: never waits for, nor blocks, the writer or the readers), so
/// commits do not pay for checkpoints and pages rewritten often are copied
/// once. The writer's own automatic checkpoint stays as a safety net.
fn checkpoint_loop(mut conn: Box<dyn Conn>, stopping: Arc<std::sync::atomic::AtomicBool>) {
    while !stopping.load(std::sync::atomic::Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(250));
        if let Err(e) = conn.query("PRAGMA wal_checkpoint(PASSIVE)", &[]) {
            tracing::debug!(error = %e, "background checkpoint");
        }
    }
}

fn writer_loop(
    mut conn: Box<dyn Conn>,
    rx: Arc<Mutex<mpsc::Receiver<Job>>>,
    open: Opener,
    options: StoreOptions,
) {
    loop {
        let batch = {
            let Ok(rx) = rx.lock() else { return };
            let Ok(first) = rx.recv() else { return };
            let mut batch = vec![first];
            let mut results = batch_results(&batch[0]);
            while batch.len() < options.max_batch_jobs && results < options.max_batch_results {
                match rx.try_recv() {
                    Ok(job) => {
                        results += batch_results(&job);
                        batch.push(job);
                    }
                    Err(_) => break,
                }
            }
            batch
        };
        if conn.is_broken() {
            match open(false) {
                Ok(fresh) => conn = fresh,
                Err(e) => {
                    tracing::warn!(error = %e, "writer cannot reconnect");
                    fail_all(batch, StoreError::from(e));
                    std::thread::sleep(Duration::from_millis(200));
                    continue;
                }
            }
        }
        run_batch(&mut conn, &open, batch, &options);
    }
}

fn batch_results(job: &Job) -> usize {
    match job {
        Job::Results { items, .. } => items.len(),
        Job::Write(_) => 1,
    }
}

fn fail_all(batch: Vec<Job>, error: StoreError) {
    for job in batch {
        match job {
            Job::Results { reply, .. } => {
                let _ = reply.send(Err(error.clone()));
            }
            Job::Write(f) => {
                // The write meets a connection that refuses everything; its
                // completion then reports the real failure.
                let (_, done) = f(&mut Refused);
                done(Err(error.clone()));
            }
        }
    }
}

/// Runs one batch of jobs in one transaction.
fn run_batch(
    conn_slot: &mut Box<dyn Conn>,
    open: &Opener,
    batch: Vec<Job>,
    options: &StoreOptions,
) {
    let mut begun = conn_slot.begin_write();
    // A connection lost while idle (the database restarted): nothing has run
    // yet, so beginning again on a fresh connection is safe.
    if matches!(begun, Err(DbError::Unavailable(_)))
        && conn_slot.is_broken()
        && let Ok(fresh) = open(false)
    {
        tracing::info!("the writer's connection was lost; continuing on a fresh one");
        *conn_slot = fresh;
        begun = conn_slot.begin_write();
    }
    let conn = conn_slot.as_mut();
    for attempt in 1..=3 {
        match &begun {
            Err(DbError::Busy(_)) if attempt < 3 => {
                std::thread::sleep(Duration::from_millis(50 * attempt));
                begun = conn.begin_write();
            }
            _ => break,
        }
    }
    if let Err(e) = begun {
        tracing::warn!(error = %e, "cannot begin a write transaction");
        fail_all(batch, StoreError::from(e));
        return;
    }
    let mut completions: Vec<Completion> = Vec::new();
    let mut result_jobs = Vec::new();
    let mut systemic: Option<StoreError> = None;
    for job in batch {
        match job {
            Job::Results {
                items,
                actor,
                reply,
            } => result_jobs.push((items, actor, reply)),
            Job::Write(f) => {
                if systemic.is_some() {
                    completions.push(f(&mut Refused).1);
                    continue;
                }
                match in_savepoint(conn, |conn| {
                    let (failed, done) = f(conn);
                    (!failed, done)
                }) {
                    Ok(done) => completions.push(done),
                    Err(e) => systemic = Some(e),
                }
            }
        }
    }
    if !result_jobs.is_empty() && systemic.is_none() {
        completions.extend(write_results(conn, result_jobs, options, &mut systemic));
    } else {
        for (_, _, reply) in result_jobs {
            let err = systemic
                .clone()
                .unwrap_or_else(|| StoreError::Internal("batch aborted".into()));
            let _ = reply.send(Err(err));
        }
    }
    let commit = match systemic {
        Some(e) => {
            let _ = conn.batch("ROLLBACK");
            Err(e)
        }
        None => conn.batch("COMMIT").map_err(|e| {
            let _ = conn.batch("ROLLBACK");
            StoreError::from(e)
        }),
    };
    if let Err(e) = &commit {
        tracing::warn!(error = %e, "write transaction failed");
    }
    for done in completions {
        done(commit.clone());
    }
}

/// Writes all queued results with one `insert_batch`; if that fails, each
/// submission alone, so a bad one does not sink the others.
fn write_results(
    conn: &mut dyn Conn,
    jobs: Vec<(Vec<NewResult>, Actor, ResultsReply)>,
    options: &StoreOptions,
    systemic: &mut Option<StoreError>,
) -> Vec<Completion> {
    let api = options.results_api_url.clone();
    let mut completions: Vec<Completion> = Vec::new();
    let answer = |reply: oneshot::Sender<StoreResult<Vec<StoredResult>>>,
                  stored: Vec<StoredResult>|
     -> Completion {
        Box::new(move |commit: StoreResult<()>| {
            let _ = reply.send(commit.map(|_| stored));
        })
    };
    if jobs.len() > 1 {
        let all: Vec<NewResult> = jobs
            .iter()
            .flat_map(|(items, _, _)| items.iter().cloned())
            .collect();
        let actor = jobs[0].1.clone();
        let merged = in_savepoint(conn, |conn| {
            match results::insert_batch(conn, all, &actor, &api) {
                Ok(stored) => (true, Some(stored)),
                Err(_) => (false, None),
            }
        });
        match merged {
            Ok(Some(mut stored)) => {
                for (items, _, reply) in jobs.into_iter().rev() {
                    let mine = stored.split_off(stored.len() - items.len());
                    completions.push(answer(reply, mine));
                }
                return completions;
            }
            Ok(None) => {}
            Err(e) => {
                for (_, _, reply) in jobs {
                    let _ = reply.send(Err(e.clone()));
                }
                *systemic = Some(e);
                return completions;
            }
        }
    }
    for (items, actor, reply) in jobs {
        if let Some(e) = systemic.clone() {
            let _ = reply.send(Err(e));
            continue;
        }
        match in_savepoint(conn, |conn| {
            match results::insert_batch(conn, items, &actor, &api) {
                Ok(stored) => (true, Ok(stored)),
                Err(e) => (false, Err(e)),
            }
        }) {
            Ok(Ok(stored)) => completions.push(answer(reply, stored)),
            Ok(Err(e)) => {
                let _ = reply.send(Err(e));
            }
            Err(e) => {
                let _ = reply.send(Err(e.clone()));
                *systemic = Some(e);
            }
        }
    }
    completions
}

/// Runs `f` inside a savepoint, rolled back when `f` says it failed. An error
/// of the savepoint statements themselves is systemic (the connection or the
/// transaction is gone) and answered as `Err`.
fn in_savepoint<T>(
    conn: &mut dyn Conn,
    f: impl FnOnce(&mut dyn Conn) -> (bool, T),
) -> StoreResult<T> {
    conn.batch("SAVEPOINT job")?;
    let (ok, value) = f(conn);
    if ok {
        conn.batch("RELEASE SAVEPOINT job")?;
    } else {
        conn.batch("ROLLBACK TO SAVEPOINT job")?;
        conn.batch("RELEASE SAVEPOINT job")?;
    }
    Ok(value)
}

/// A connection that refuses everything: given to writes that arrive after
/// their transaction has already failed, so they answer without running.
struct Refused;

impl Conn for Refused {
    fn engine(&self) -> Engine {
        Engine::Sqlite
    }
    fn execute(&mut self, _: &str, _: &[crate::db::Value]) -> Result<u64, DbError> {
        Err(DbError::Unavailable("the transaction was aborted".into()))
    }
    fn query(&mut self, _: &str, _: &[crate::db::Value]) -> Result<Vec<crate::db::Row>, DbError> {
        Err(DbError::Unavailable("the transaction was aborted".into()))
    }
    fn batch(&mut self, _: &str) -> Result<(), DbError> {
        Err(DbError::Unavailable("the transaction was aborted".into()))
    }
    fn begin_write(&mut self) -> Result<(), DbError> {
        Err(DbError::Unavailable("the transaction was aborted".into()))
    }
    fn insert_rows(&mut self, _: crate::db::BulkInsert<'_>) -> Result<u64, DbError> {
        Err(DbError::Unavailable("the transaction was aborted".into()))
    }
    fn next_ids(&mut self, _: &str, _: usize) -> Result<Vec<i64>, DbError> {
        Err(DbError::Unavailable("the transaction was aborted".into()))
    }
    fn is_broken(&self) -> bool {
        true
    }
}

/// [`Store::server_warnings`] for a PostgreSQL server whose `autovacuum`
/// setting reads `autovacuum`.
fn postgres_warnings(autovacuum: &str) -> Vec<String> {
    let mut warnings = Vec::new();
    if autovacuum != "on" {
        warnings.push(
            "PostgreSQL's autovacuum is off: Almanac's tables will bloat and their \
             statistics go stale; turn it on (autovacuum = on) or vacuum and analyze \
             them on a schedule"
                .to_string(),
        );
    }
    warnings
}

#[cfg(test)]
mod tests {
    #[test]
    fn autovacuum_off_is_warned_of_and_on_is_not() {
        assert!(super::postgres_warnings("on").is_empty());
        let off = super::postgres_warnings("off");
        assert_eq!(off.len(), 1, "{off:?}");
        assert!(off[0].contains("autovacuum is off"), "{off:?}");
    }
}
