//! The embedded queue: in-process delivery to the same [`SqsHandler`]s the Lambda workers run.
//!
//! What it reproduces of SQS + Lambda's event source mapping:
//! * **SQS-shaped batches**: records with `messageId`, `receiptHandle`, `body`, `attributes`
//!   (`ApproximateReceiveCount`, `SentTimestamp`, `ApproximateFirstReceiveTimestamp`, `SenderId`,
//!   and for FIFO `MessageGroupId`, `MessageDeduplicationId`, `SequenceNumber`), `eventSource`
//!   `aws:sqs`, `eventSourceARN`, `awsRegion`; up to the queue's batch size
//!   ([`QueueName::spec`]). `md5OfBody` is not filled in.
//! * **FIFO**: order per message group; a group whose next message waits for a retry is held
//!   back (later messages of that group are not delivered before it); content-based
//!   deduplication over 5 minutes, remembering a 64-bit digest of each body (not the body), at
//!   most [`EmbeddedOptions::dedup_capacity`] of them.
//! * **Partial batch failures**: the records listed in `batch_item_failures` are redelivered
//!   with exponential backoff until the queue's `maxReceiveCount`, then dead-lettered (logged and
//!   kept in a list tests can read). A handler that panics or exceeds the queue's Lambda timeout,
//!   or reports an id that is not in the batch, fails the whole batch, as on Lambda. Queues
//!   without a DLQ are retried [`EmbeddedOptions::retry_cap_without_dlq`] times (SQS would retry
//!   for the 1-day retention).
//!
//! One batch at a time per queue (a Lambda with reserved concurrency 1). **Backpressure**: a
//! queue whose consumer runs here holds at most [`EmbeddedOptions::max_backlog`] messages; a
//! send beyond waits for room (the publishing request slows down to the consumer's pace), up to
//! [`EmbeddedOptions::backlog_wait`], then fails like an unreachable SQS would (an outbox message
//! stays for the relay; telemetry, fire-and-forget, is logged and lost). So neither the backlog nor the memory grows without bound when
//! the API publishes faster than a consumer stores. A queue without a
//! registered handler (consumed by the external AI engine) keeps its messages in a bounded
//! buffer and says so in the log. Everything lives in memory: a restart loses what was queued.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use super::{Queue, QueueError, QueueName, SqsBatchResponse, SqsEvent, SqsHandler, SqsMessage};

/// How long FIFO content-based deduplication remembers a body (SQS: 5 minutes).
const DEDUP_WINDOW: Duration = Duration::from_secs(300);

/// Tuning of the embedded queue.
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// Region written into records and ARNs.
    pub region: String,
    /// First retry delay; doubles with each receive.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// Messages kept per queue without a consumer; the oldest is dropped (with a warning) beyond.
    pub unconsumed_capacity: usize,
    /// Receives before a message of a queue without DLQ is given up.
    pub retry_cap_without_dlq: u32,
    /// Messages a queue with a consumer here may hold (waiting or being handled); a send beyond
    /// waits for room.
    pub max_backlog: usize,
    /// How long a send waits for room before failing ([`QueueError::Send`]): as long as an SQS
    /// call may take (`aws::ATTEMPT_TIMEOUT`).
    pub backlog_wait: Duration,
    /// Body digests a FIFO queue remembers for deduplication; beyond, the oldest is forgotten
    /// before its 5 minutes (at 1,000 messages a second, 5 minutes is 300,000).
    pub dedup_capacity: usize,
}

impl Default for EmbeddedOptions {
    fn default() -> Self {
        EmbeddedOptions {
            region: "us-east-1".into(),
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            unconsumed_capacity: 1000,
            retry_cap_without_dlq: 10,
            max_backlog: 1000,
            backlog_wait: crate::aws::ATTEMPT_TIMEOUT,
            dedup_capacity: 300_000,
        }
    }
}

/// FIFO content-based deduplication: the 64-bit digests (the first 8 bytes of the body's
/// SHA-256) of the bodies sent within [`DEDUP_WINDOW`], oldest first, at most `capacity`.
/// About 40 bytes a message, whatever the body's size; expiring is amortised O(1) per send.
#[derive(Debug, Default)]
struct DedupDigests {
    seen: HashSet<u64>,
    order: VecDeque<(Instant, u64)>,
    capacity: usize,
}

impl DedupDigests {
    fn new(capacity: usize) -> Self {
        DedupDigests {
            capacity: capacity.max(1),
            ..Default::default()
        }
    }

    /// The digest of a body.
    fn digest(sha256: &[u8]) -> u64 {
        let mut first = [0u8; 8];
        first.copy_from_slice(&sha256[..8]);
        u64::from_be_bytes(first)
    }

    /// Remembers `digest` at `now`; false when it was already seen within the window (the
    /// message is a duplicate).
    fn insert(&mut self, digest: u64, now: Instant) -> bool {
        while let Some((at, old)) = self.order.front().copied() {
            if now.duration_since(at) < DEDUP_WINDOW && self.order.len() < self.capacity {
                break;
            }
            self.order.pop_front();
            self.seen.remove(&old);
        }
        if !self.seen.insert(digest) {
            return false;
        }
        self.order.push_back((now, digest));
        true
    }

    /// Digests remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.order.len()
    }
}

/// A message that exhausted its receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub message_id: String,
    pub body: String,
    pub group_id: Option<String>,
    pub receive_count: u32,
}

/// A message waiting for a consumer that does not run in this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferedMessage {
    pub message_id: String,
    pub body: String,
    pub group_id: Option<String>,
    pub sent_at: DateTime<Utc>,
}

/// The in-process queue. Cloning shares it.
#[derive(Clone)]
pub struct EmbeddedQueue {
    inner: Arc<Inner>,
}

struct Inner {
    options: EmbeddedOptions,
    state: Mutex<State>,
    /// Signalled whenever `outstanding` drops to zero.
    idle: Notify,
    /// Signalled whenever a batch is settled (room for waiting sends).
    room: Notify,
}

#[derive(Default)]
struct State {
    queues: HashMap<QueueName, QueueState>,
    /// Messages waiting for or being handled by a registered handler.
    outstanding: usize,
}

#[derive(Default)]
struct QueueState {
    handler: Option<Arc<dyn SqsHandler>>,
    pending: VecDeque<Pending>,
    unconsumed: VecDeque<BufferedMessage>,
    dead: Vec<DeadLetter>,
    draining: bool,
    /// Messages of the batch being handled.
    in_flight: usize,
    /// Wakes a drain that waits for a retry when a new message arrives.
    wake: Arc<Notify>,
    dedup: DedupDigests,
    sequence: u64,
}

#[derive(Debug, Clone)]
struct Pending {
    id: String,
    body: String,
    group_id: Option<String>,
    dedup_id: Option<String>,
    sequence: Option<u64>,
    sent_at: DateTime<Utc>,
    first_received_at: Option<DateTime<Utc>>,
    receive_count: u32,
    visible_at: Instant,
}

impl Default for EmbeddedQueue {
    fn default() -> Self {
        Self::new(EmbeddedOptions::default())
    }
}

impl EmbeddedQueue {
    pub fn new(options: EmbeddedOptions) -> Self {
        EmbeddedQueue {
            inner: Arc::new(Inner {
                options,
                state: Mutex::default(),
                idle: Notify::new(),
                room: Notify::new(),
            }),
        }
    }

    /// Messages of `queue` waiting for or being handled by its consumer here.
    pub fn backlog(&self, queue: QueueName) -> usize {
        self.inner
            .lock()
            .queues
            .get(&queue)
            .map_or(0, |q| q.pending.len() + q.in_flight)
    }

    /// Makes `handler` the consumer of `queue` (replacing any previous one). Messages buffered
    /// while the queue had no consumer are delivered to it.
    pub fn register(&self, queue: QueueName, handler: Arc<dyn SqsHandler>) {
        let mut state = self.inner.lock();
        let q = state.queues.entry(queue).or_default();
        q.handler = Some(handler);
        let buffered: Vec<_> = q.unconsumed.drain(..).collect();
        let moved = buffered.len();
        for m in buffered {
            let pending = Pending {
                id: m.message_id,
                body: m.body,
                group_id: m.group_id,
                dedup_id: None,
                sequence: None,
                sent_at: m.sent_at,
                first_received_at: None,
                receive_count: 0,
                visible_at: Instant::now(),
            };
            q.pending.push_back(pending);
        }
        state.outstanding += moved;
        if moved > 0 {
            self.start_drain(&mut state, queue);
        }
    }

    /// True when `queue` has a handler in this process.
    pub fn has_consumer(&self, queue: QueueName) -> bool {
        self.inner
            .lock()
            .queues
            .get(&queue)
            .is_some_and(|q| q.handler.is_some())
    }

    /// Messages of `queue` that exhausted their receives.
    pub fn dead_letters(&self, queue: QueueName) -> Vec<DeadLetter> {
        self.inner
            .lock()
            .queues
            .get(&queue)
            .map(|q| q.dead.clone())
            .unwrap_or_default()
    }

    /// Messages of `queue` waiting for a consumer that does not run in this process.
    pub fn unconsumed(&self, queue: QueueName) -> Vec<BufferedMessage> {
        let state = self.inner.lock();
        state
            .queues
            .get(&queue)
            .map(|q| q.unconsumed.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Removes and returns the messages [`unconsumed`](Self::unconsumed) lists.
    pub fn take_unconsumed(&self, queue: QueueName) -> Vec<BufferedMessage> {
        let mut state = self.inner.lock();
        state
            .queues
            .get_mut(&queue)
            .map(|q| q.unconsumed.drain(..).collect())
            .unwrap_or_default()
    }

    /// Waits until every message sent to a queue with a handler has been handled successfully or
    /// dead-lettered (retries included). For tests and graceful shutdown.
    pub async fn wait_idle(&self) {
        loop {
            // Created before the check: `notify_waiters` reaches a `Notified` from its creation.
            let notified = self.inner.idle.notified();
            if self.inner.lock().outstanding == 0 {
                return;
            }
            notified.await;
        }
    }

    /// Adds a message to `queue` (deduplicated for FIFO queues, whose `sha256` of the body is
    /// given); the caller checked there is room.
    fn enqueue(
        &self,
        state: &mut State,
        queue: QueueName,
        body: String,
        group_id: Option<String>,
        sha256: Option<&[u8]>,
    ) {
        let capacity = self.inner.options.unconsumed_capacity;
        let q = state.queues.entry(queue).or_default();
        let now = Instant::now();
        let mut dedup_id = None;
        let mut sequence = None;
        if let Some(sha256) = sha256 {
            if q.dedup.capacity == 0 {
                q.dedup = DedupDigests::new(self.inner.options.dedup_capacity);
            }
            if !q.dedup.insert(DedupDigests::digest(sha256), now) {
                tracing::debug!(%queue, "duplicate body within 5 minutes: deduplicated");
                return;
            }
            q.sequence += 1;
            dedup_id = Some(hex::encode(sha256));
            sequence = Some(q.sequence);
        }
        let message_id = uuid::Uuid::new_v4().to_string();
        let sent_at = Utc::now();
        if q.handler.is_none() {
            if q.unconsumed.len() >= capacity {
                q.unconsumed.pop_front();
                tracing::warn!(%queue, capacity, "embedded queue buffer full: dropped the oldest message");
            }
            tracing::info!(%queue, %message_id, "no local consumer for this queue: message kept in memory");
            q.unconsumed.push_back(BufferedMessage {
                message_id,
                body,
                group_id,
                sent_at,
            });
            return;
        }
        q.pending.push_back(Pending {
            id: message_id,
            body,
            group_id,
            dedup_id,
            sequence,
            sent_at,
            first_received_at: None,
            receive_count: 0,
            visible_at: now,
        });
        q.wake.notify_one();
        state.outstanding += 1;
        self.start_drain(state, queue);
    }

    fn start_drain(&self, state: &mut State, queue: QueueName) {
        let q = state.queues.entry(queue).or_default();
        if q.draining {
            return;
        }
        // Without a runtime (a constructor outside async code) the next send starts it.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            q.draining = true;
            runtime.spawn(drain(self.inner.clone(), queue));
        }
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (every mutation is a few
        // statements); keep going rather than poisoning every later publish.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn backoff(&self, receive_count: u32) -> Duration {
        let factor = 2u32.saturating_pow(receive_count.saturating_sub(1));
        self.options
            .base_backoff
            .saturating_mul(factor)
            .min(self.options.max_backoff)
    }

    fn arn(&self, queue: QueueName) -> String {
        format!(
            "arn:aws:sqs:{}:000000000000:innova-backend-serverless-local-{}",
            self.options.region,
            queue.suffix()
        )
    }
}

#[async_trait]
impl Queue for EmbeddedQueue {
    async fn send(
        &self,
        queue: QueueName,
        body: String,
        group_id: Option<String>,
    ) -> Result<(), QueueError> {
        let fifo = queue.is_fifo();
        if fifo && group_id.is_none() {
            return Err(QueueError::MissingGroupId(queue));
        }
        let group_id = if fifo { group_id } else { None };
        // Hashed once, outside the lock.
        let sha256 = fifo.then(|| Sha256::digest(body.as_bytes()));
        let deadline = tokio::time::Instant::now() + self.inner.options.backlog_wait;
        let mut body = Some(body);
        let mut group_id = group_id;
        loop {
            // Registered before the check, so a batch settled in between is not missed.
            let room = self.inner.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            {
                let mut state = self.inner.lock();
                let q = state.queues.entry(queue).or_default();
                let full = q.handler.is_some()
                    && q.pending.len() + q.in_flight >= self.inner.options.max_backlog;
                if !full {
                    let body = body.take().expect("sent once");
                    self.enqueue(&mut state, queue, body, group_id.take(), sha256.as_deref());
                    return Ok(());
                }
            }
            if tokio::time::timeout_at(deadline, room).await.is_err() {
                tracing::warn!(%queue, max_backlog = self.inner.options.max_backlog,
                    "embedded queue full: the consumer does not keep up, message not sent");
                return Err(QueueError::Send {
                    queue,
                    message: format!(
                        "the embedded queue holds {} messages and its consumer made no room within {:?}",
                        self.inner.options.max_backlog, self.inner.options.backlog_wait
                    ),
                });
            }
        }
    }

    async fn approximate_depth(&self, queue: QueueName) -> Result<u64, QueueError> {
        let state = self.inner.lock();
        Ok(state
            .queues
            .get(&queue)
            .map(|q| (q.pending.len() + q.unconsumed.len()) as u64)
            .unwrap_or(0))
    }

    /// The messages that exhausted their receives, for queues that have a dead-letter queue.
    async fn dead_letter_depth(&self, queue: QueueName) -> Result<Option<u64>, QueueError> {
        if queue.spec().max_receive_count.is_none() {
            return Ok(None);
        }
        let state = self.inner.lock();
        Ok(Some(
            state.queues.get(&queue).map_or(0, |q| q.dead.len() as u64),
        ))
    }
}

/// What the drain loop does next.
enum Next {
    Deliver(Arc<dyn SqsHandler>, Vec<Pending>),
    /// Nothing visible: wait for the next retry, or for a new message.
    WaitUntil(Instant, Arc<Notify>),
    Stop,
}

/// Delivers `queue`'s messages batch by batch until it is empty.
async fn drain(inner: Arc<Inner>, queue: QueueName) {
    let spec = queue.spec();
    loop {
        let (handler, mut batch) = match next_batch(&inner, queue) {
            Next::Stop => return,
            Next::WaitUntil(at, wake) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(at.into()) => {}
                    _ = wake.notified() => {}
                }
                continue;
            }
            Next::Deliver(handler, batch) => (handler, batch),
        };
        let received_at = Utc::now();
        for m in &mut batch {
            m.receive_count += 1;
            m.first_received_at.get_or_insert(received_at);
        }
        let event = sqs_event(&inner, queue, &batch);
        let timeout = Duration::from_secs(spec.handler_timeout_secs);
        let call = tokio::spawn(async move { handler.handle(event).await });
        let failed: HashSet<String> = match tokio::time::timeout(timeout, call).await {
            Ok(Ok(response)) => failed_ids(queue, &batch, response),
            Ok(Err(join_error)) => {
                tracing::error!(%queue, error = %join_error, "handler panicked: the whole batch failed");
                batch.iter().map(|m| m.id.clone()).collect()
            }
            Err(_) => {
                tracing::error!(%queue, ?timeout, "handler timed out: the whole batch failed");
                batch.iter().map(|m| m.id.clone()).collect()
            }
        };
        settle(&inner, queue, batch, &failed);
    }
}

/// Takes the next batch, or says how long to wait for one.
fn next_batch(inner: &Inner, queue: QueueName) -> Next {
    let mut state = inner.lock();
    let q = state
        .queues
        .get_mut(&queue)
        .expect("a draining queue exists");
    let Some(handler) = q.handler.clone() else {
        q.draining = false;
        return Next::Stop;
    };
    let batch = take_batch(
        &mut q.pending,
        queue.spec().batch_size,
        queue.is_fifo(),
        Instant::now(),
    );
    if !batch.is_empty() {
        q.in_flight = batch.len();
        return Next::Deliver(handler, batch);
    }
    match q.pending.iter().map(|p| p.visible_at).min() {
        Some(at) => Next::WaitUntil(at, q.wake.clone()),
        None => {
            q.draining = false;
            Next::Stop
        }
    }
}

/// Acknowledges the handled messages; schedules the failed ones for redelivery or dead-letters
/// them after their last receive.
fn settle(inner: &Inner, queue: QueueName, batch: Vec<Pending>, failed: &HashSet<String>) {
    let max_receives = queue
        .spec()
        .max_receive_count
        .unwrap_or(inner.options.retry_cap_without_dlq);
    let mut state = inner.lock();
    let q = state
        .queues
        .get_mut(&queue)
        .expect("a draining queue exists");
    let mut retry = Vec::new();
    let mut done = 0;
    for mut m in batch {
        if !failed.contains(&m.id) {
            done += 1;
        } else if m.receive_count >= max_receives {
            tracing::error!(
                %queue, message_id = %m.id, receive_count = m.receive_count,
                "message dead-lettered after its last receive"
            );
            q.dead.push(DeadLetter {
                message_id: m.id,
                body: m.body,
                group_id: m.group_id,
                receive_count: m.receive_count,
            });
            done += 1;
        } else {
            let delay = inner.backoff(m.receive_count);
            tracing::warn!(
                %queue, message_id = %m.id, receive_count = m.receive_count, ?delay,
                "message failed: will be redelivered"
            );
            m.visible_at = Instant::now() + delay;
            retry.push(m);
        }
    }
    // Back at the front, in their order: a FIFO group resumes with its failed message.
    for m in retry.into_iter().rev() {
        q.pending.push_front(m);
    }
    q.in_flight = 0;
    state.outstanding -= done;
    if state.outstanding == 0 {
        inner.idle.notify_waiters();
    }
    inner.room.notify_waiters();
}

/// Takes up to `size` visible messages in queue order. For FIFO, a group stops at its first
/// message that is not visible yet, so no message overtakes an earlier one of its group.
fn take_batch(
    pending: &mut VecDeque<Pending>,
    size: usize,
    fifo: bool,
    now: Instant,
) -> Vec<Pending> {
    // Stops at a full batch: the cost is the batch's (plus the messages waiting for a retry
    // ahead of it), not the backlog's.
    let mut batch = Vec::with_capacity(size.min(pending.len()));
    let mut held_groups: HashSet<Option<String>> = HashSet::new();
    let mut i = 0;
    while i < pending.len() && batch.len() < size {
        let m = &pending[i];
        let held = fifo && held_groups.contains(&m.group_id);
        if !held && m.visible_at <= now {
            batch.extend(pending.remove(i));
        } else {
            if fifo {
                held_groups.insert(m.group_id.clone());
            }
            i += 1;
        }
    }
    batch
}

/// The ids to redeliver. Like Lambda, an id that is not in the batch fails the whole batch.
fn failed_ids(queue: QueueName, batch: &[Pending], response: SqsBatchResponse) -> HashSet<String> {
    let ids: HashSet<&str> = batch.iter().map(|m| m.id.as_str()).collect();
    let failed: HashSet<String> = response
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect();
    if failed.iter().any(|id| !ids.contains(id.as_str())) {
        tracing::error!(%queue, "handler reported an id that is not in the batch: the whole batch failed");
        return ids.into_iter().map(String::from).collect();
    }
    failed
}

fn sqs_event(inner: &Inner, queue: QueueName, batch: &[Pending]) -> SqsEvent {
    let arn = inner.arn(queue);
    let mut event = SqsEvent::default();
    event.records = batch
        .iter()
        .map(|m| {
            let mut record = SqsMessage::default();
            record.message_id = Some(m.id.clone());
            record.receipt_handle = Some(format!("{}#{}", m.id, m.receive_count));
            record.body = Some(m.body.clone());
            let attributes = &mut record.attributes;
            attributes.insert(
                "ApproximateReceiveCount".into(),
                m.receive_count.to_string(),
            );
            attributes.insert(
                "SentTimestamp".into(),
                m.sent_at.timestamp_millis().to_string(),
            );
            if let Some(first) = m.first_received_at {
                attributes.insert(
                    "ApproximateFirstReceiveTimestamp".into(),
                    first.timestamp_millis().to_string(),
                );
            }
            attributes.insert("SenderId".into(), "innova-embedded".into());
            if let Some(group) = &m.group_id {
                attributes.insert("MessageGroupId".into(), group.clone());
            }
            if let Some(dedup) = &m.dedup_id {
                attributes.insert("MessageDeduplicationId".into(), dedup.clone());
            }
            if let Some(seq) = m.sequence {
                attributes.insert("SequenceNumber".into(), format!("{seq:020}"));
            }
            record.event_source = Some("aws:sqs".into());
            record.event_source_arn = Some(arn.clone());
            record.aws_region = Some(inner.options.region.clone());
            record
        })
        .collect();
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(id: &str, group: &str, visible_in: i64, now: Instant) -> Pending {
        let visible_at = if visible_in >= 0 {
            now + Duration::from_secs(visible_in as u64)
        } else {
            now - Duration::from_secs((-visible_in) as u64)
        };
        Pending {
            id: id.into(),
            body: String::new(),
            group_id: Some(group.into()),
            dedup_id: None,
            sequence: None,
            sent_at: Utc::now(),
            first_received_at: None,
            receive_count: 0,
            visible_at,
        }
    }

    #[test]
    fn a_fifo_group_waiting_for_a_retry_is_held_back() {
        let now = Instant::now();
        let mut q: VecDeque<_> = [
            pending("a1", "a", 10, now), // retrying: group a is held
            pending("b1", "b", 0, now),
            pending("a2", "a", 0, now),
            pending("b2", "b", 0, now),
        ]
        .into();
        let batch = take_batch(&mut q, 10, true, now);
        let ids: Vec<_> = batch.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["b1", "b2"]);
        let left: Vec<_> = q.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(left, ["a1", "a2"]);
    }

    #[test]
    fn batches_respect_the_size_and_standard_queues_skip_invisible_messages() {
        let now = Instant::now();
        let mut q: VecDeque<_> = [
            pending("1", "g", 5, now),
            pending("2", "g", 0, now),
            pending("3", "g", 0, now),
        ]
        .into();
        let batch = take_batch(&mut q, 1, false, now);
        assert_eq!(batch[0].id, "2");
        assert_eq!(q.len(), 2);
    }

    #[test]
    fn dedup_keeps_64_bit_digests_for_five_minutes_and_at_most_its_capacity() {
        let digest = |body: &str| DedupDigests::digest(&Sha256::digest(body.as_bytes()));
        let t0 = Instant::now();
        let mut dedup = DedupDigests::new(3);
        assert!(dedup.insert(digest("a"), t0));
        assert!(
            !dedup.insert(digest("a"), t0 + Duration::from_secs(299)),
            "a duplicate"
        );
        assert!(dedup.insert(digest("b"), t0 + Duration::from_secs(1)));
        // After the window the body is new again (and the expired digest is gone).
        assert!(dedup.insert(digest("a"), t0 + DEDUP_WINDOW));
        assert_eq!(dedup.len(), 2);
        // Bounded: the oldest digest is forgotten first.
        let t1 = t0 + DEDUP_WINDOW;
        for body in ["c", "d", "e"] {
            assert!(dedup.insert(digest(body), t1));
        }
        assert_eq!(dedup.len(), 3);
        assert!(dedup.insert(digest("a"), t1), "forgotten: over capacity");
        assert!(!dedup.insert(digest("e"), t1), "still remembered");
        // What is kept per message: 8 bytes of digest and an instant, whatever the body's size.
        let big = "x".repeat(1 << 20);
        let mut one = DedupDigests::new(10);
        assert!(one.insert(digest(&big), t0));
        assert_eq!(
            std::mem::size_of_val(&one.order[0]),
            std::mem::size_of::<(Instant, u64)>()
        );
        assert_eq!(
            DedupDigests::digest(&Sha256::digest(b"a")),
            0xca97_8112_ca1b_bdca
        );
    }

    #[test]
    fn taking_a_batch_stops_at_its_size() {
        let now = Instant::now();
        let mut q: VecDeque<_> = (0..10_000)
            .map(|i| pending(&i.to_string(), &format!("g{}", i % 7), 0, now))
            .collect();
        let batch = take_batch(&mut q, 10, true, now);
        let ids: Vec<_> = batch.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
        assert_eq!(q.len(), 9_990);
        assert_eq!(q[0].id, "10", "the rest keeps its order");
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let inner = Inner {
            options: EmbeddedOptions {
                base_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_millis(350),
                ..Default::default()
            },
            state: Mutex::default(),
            idle: Notify::new(),
            room: Notify::new(),
        };
        let delays: Vec<_> = (1..=4).map(|n| inner.backoff(n).as_millis()).collect();
        assert_eq!(delays, [100, 200, 350, 350]);
    }
}
