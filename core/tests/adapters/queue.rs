//! The queue port: `SqsQueue` against moto, `EmbeddedQueue` with recording handlers.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use innova_core::config::QueueUrls;
use innova_core::messages::{AttemptStreamMessage, GuideIngestMessage, RawStep};
use innova_core::queue::{
    EmbeddedOptions, EmbeddedQueue, Queue, QueueError, QueueName, SqsBatchResponse, SqsEvent,
    SqsHandler, SqsMessage, SqsQueue,
};
use innova_core::services::{Runtime, Services};

use crate::{aws, config, create_fifo_queue, create_standard_queue};

fn attempt_message(attempt_id: &str) -> AttemptStreamMessage {
    AttemptStreamMessage {
        attempt_id: attempt_id.into(),
        trace_id: "trace-1".into(),
        raw_steps: vec![RawStep {
            expression: "35".into(),
            is_final: true,
        }],
    }
}

async fn receive_all(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
    let out = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    out.messages.unwrap_or_default()
}

#[tokio::test]
async fn sqs_fifo_publish_carries_the_group_and_is_deduplicated_by_content() {
    let aws = aws();
    let sqs = aws.sqs().await;
    let url = create_fifo_queue(&sqs).await;
    let queue: Arc<dyn Queue> = Arc::new(SqsQueue::new(
        aws.clone(),
        QueueUrls {
            attempt_stream: Some(url.clone()),
            ..Default::default()
        },
    ));
    let message = attempt_message("a-1");
    queue
        .publish_message(&message, Some("student-1".into()))
        .await
        .unwrap();
    // Same body within 5 minutes: content-based deduplication keeps one.
    queue
        .publish_message(&message, Some("student-1".into()))
        .await
        .unwrap();

    let received = receive_all(&sqs, &url).await;
    assert_eq!(received.len(), 1, "content-based deduplication");
    let m = &received[0];
    assert_eq!(
        m.body(),
        Some(
            r#"{"attemptId":"a-1","traceId":"trace-1","rawSteps":[{"expression":"35","isFinal":true}]}"#
        )
    );
    let attributes = m.attributes().unwrap();
    assert_eq!(
        attributes
            .get(&MessageSystemAttributeName::MessageGroupId)
            .map(String::as_str),
        Some("student-1")
    );

    let err = queue.publish_message(&message, None).await.unwrap_err();
    assert!(matches!(
        err,
        QueueError::MissingGroupId(QueueName::AttemptStream)
    ));
}

#[tokio::test]
async fn sqs_standard_publish_depth_and_errors() {
    let aws = aws();
    let sqs = aws.sqs().await;
    let url = create_standard_queue(&sqs).await;
    let queue: Arc<dyn Queue> = Arc::new(SqsQueue::new(
        aws.clone(),
        QueueUrls {
            guide_ingest: Some(url.clone()),
            // A queue that does not exist on the server.
            solution_gen: Some(format!(
                "{}/000000000000/missing-queue",
                crate::aws_endpoint()
            )),
            ..Default::default()
        },
    ));
    let message = GuideIngestMessage {
        guide_id: "g1".into(),
        source_pdf_key: "guides/uploads/x.pdf".into(),
        course_grade_level: 5,
        trace_id: "t".into(),
    };
    queue.publish_message(&message, None).await.unwrap();
    queue.publish_message(&message, None).await.unwrap();
    assert_eq!(
        queue
            .approximate_depth(QueueName::GuideIngest)
            .await
            .unwrap(),
        2
    );
    let received = receive_all(&sqs, &url).await;
    let body: serde_json::Value = serde_json::from_str(received[0].body().unwrap()).unwrap();
    assert_eq!(body["source_pdf_key"], "guides/uploads/x.pdf");

    let err = queue
        .send(QueueName::SolutionGen, "{}".into(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            QueueError::Send {
                queue: QueueName::SolutionGen,
                ..
            }
        ),
        "{err}"
    );
    let err = queue
        .send(QueueName::AdhocSolve, "{}".into(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            QueueError::NotConfigured {
                var: "SQS_ADHOC_SOLVE_URL",
                ..
            }
        ),
        "{err}"
    );
}

/// Records every batch; fails the records `fail` picks.
struct Recorder {
    batches: Mutex<Vec<Vec<SqsMessage>>>,
    #[allow(clippy::type_complexity)]
    fail: Box<dyn Fn(&SqsMessage) -> bool + Send + Sync>,
}

impl Recorder {
    fn new(fail: impl Fn(&SqsMessage) -> bool + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Recorder {
            batches: Mutex::new(Vec::new()),
            fail: Box::new(fail),
        })
    }

    fn batches(&self) -> Vec<Vec<SqsMessage>> {
        self.batches.lock().unwrap().clone()
    }

    /// Bodies in delivery order.
    fn bodies(&self) -> Vec<String> {
        self.batches()
            .into_iter()
            .flatten()
            .map(|m| m.body.unwrap())
            .collect()
    }
}

#[async_trait]
impl SqsHandler for Recorder {
    async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for record in &event.records {
            if (self.fail)(record) {
                response.add_failure(record.message_id.clone().unwrap());
            }
        }
        self.batches.lock().unwrap().push(event.records);
        response
    }
}

fn fast() -> EmbeddedOptions {
    EmbeddedOptions {
        base_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
        ..Default::default()
    }
}

async fn idle(queue: &EmbeddedQueue) {
    tokio::time::timeout(Duration::from_secs(10), queue.wait_idle())
        .await
        .expect("the queue goes idle");
}

fn receive_count(m: &SqsMessage) -> u32 {
    m.attributes["ApproximateReceiveCount"].parse().unwrap()
}

#[tokio::test]
async fn embedded_batches_are_sqs_shaped_and_sized_per_queue() {
    let queue = EmbeddedQueue::new(fast());
    let recorder = Recorder::new(|_| false);
    queue.register(QueueName::LlmClassify, recorder.clone());
    for i in 0..25 {
        queue
            .send(
                QueueName::LlmClassify,
                format!("{{\"n\":{i}}}"),
                Some("ignored".into()),
            )
            .await
            .unwrap();
    }
    idle(&queue).await;
    let sizes: Vec<_> = recorder.batches().iter().map(Vec::len).collect();
    assert_eq!(sizes, [20, 5], "llm-classify batches hold up to 20 records");
    let record = &recorder.batches()[0][0];
    assert_eq!(record.body.as_deref(), Some("{\"n\":0}"));
    assert!(
        record
            .message_id
            .as_deref()
            .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok())
    );
    assert!(record.receipt_handle.is_some());
    assert_eq!(record.event_source.as_deref(), Some("aws:sqs"));
    let arn = record.event_source_arn.as_deref().unwrap();
    assert!(
        arn.starts_with("arn:aws:sqs:us-east-1:") && arn.ends_with("-llm-classify-queue"),
        "{arn}"
    );
    assert_eq!(record.aws_region.as_deref(), Some("us-east-1"));
    assert_eq!(receive_count(record), 1);
    assert!(record.attributes.contains_key("SentTimestamp"));
    assert!(
        !record.attributes.contains_key("MessageGroupId"),
        "standard queues have no group"
    );
}

#[tokio::test]
async fn embedded_fifo_keeps_group_order_across_retries() {
    let queue = EmbeddedQueue::new(fast());
    // a1 fails on its first receive: a2 must not overtake it; group b is not held up.
    let recorder = Recorder::new(|m| m.body.as_deref() == Some("a1") && receive_count(m) == 1);
    queue.register(QueueName::AttemptStream, recorder.clone());
    for (body, group) in [("a1", "a"), ("b1", "b"), ("a2", "a"), ("b2", "b")] {
        queue
            .send(QueueName::AttemptStream, body.into(), Some(group.into()))
            .await
            .unwrap();
    }
    idle(&queue).await;
    let batches = recorder.batches();
    let first: Vec<_> = batches[0].iter().map(|m| m.body.clone().unwrap()).collect();
    assert_eq!(first, ["a1", "b1", "a2", "b2"]);
    let record = &batches[0][0];
    assert_eq!(record.attributes["MessageGroupId"], "a");
    assert_eq!(
        record.attributes["MessageDeduplicationId"].len(),
        64,
        "SHA-256 of the body"
    );
    assert!(record.attributes.contains_key("SequenceNumber"));
    // a1 failed (a2 was in the same batch and succeeded, as on Lambda); a1 comes back alone.
    let retried: Vec<_> = batches[1..]
        .iter()
        .flatten()
        .map(|m| m.body.clone().unwrap())
        .collect();
    assert_eq!(retried, ["a1"]);
    assert_eq!(receive_count(&batches[1][0]), 2);
    assert!(queue.dead_letters(QueueName::AttemptStream).is_empty());
}

#[tokio::test]
async fn embedded_fifo_holds_back_a_group_behind_a_retry() {
    // Long enough backoff that the sends below surely happen while a1 waits for its retry.
    let queue = EmbeddedQueue::new(EmbeddedOptions {
        base_backoff: Duration::from_millis(300),
        max_backoff: Duration::from_millis(300),
        ..Default::default()
    });
    let recorder = Recorder::new(|m| m.body.as_deref() == Some("a1") && receive_count(m) < 3);
    queue.register(QueueName::AttemptStream, recorder.clone());
    queue
        .send(QueueName::AttemptStream, "a1".into(), Some("a".into()))
        .await
        .unwrap();
    // Once a1 has failed its first receive (its batch recorded; no sleep standing in for it),
    // send more: a2 waits behind a1, b1 goes at once.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while recorder.batches().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "a1 was never delivered"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    queue
        .send(QueueName::AttemptStream, "a2".into(), Some("a".into()))
        .await
        .unwrap();
    queue
        .send(QueueName::AttemptStream, "b1".into(), Some("b".into()))
        .await
        .unwrap();
    idle(&queue).await;
    let batches: Vec<Vec<String>> = recorder
        .batches()
        .into_iter()
        .map(|b| b.into_iter().map(|m| m.body.unwrap()).collect())
        .collect();
    // a2 rides with a1 (in group order) and succeeds; a1 alone until its third receive.
    assert_eq!(
        batches,
        [vec!["a1"], vec!["b1"], vec!["a1", "a2"], vec!["a1"]]
    );
}

#[tokio::test]
async fn embedded_fifo_deduplicates_identical_bodies() {
    let queue = EmbeddedQueue::new(fast());
    let recorder = Recorder::new(|_| false);
    queue.register(QueueName::AttemptStream, recorder.clone());
    for _ in 0..3 {
        queue
            .send(QueueName::AttemptStream, "same".into(), Some("g".into()))
            .await
            .unwrap();
    }
    idle(&queue).await;
    assert_eq!(recorder.bodies(), ["same"]);
    let err = queue
        .send(QueueName::AttemptStream, "x".into(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, QueueError::MissingGroupId(_)));
}

#[tokio::test]
async fn embedded_failures_are_retried_then_dead_lettered() {
    let queue = EmbeddedQueue::new(fast());
    let recorder = Recorder::new(|m| m.body.as_deref() == Some("poison"));
    queue.register(QueueName::LlmClassify, recorder.clone());
    queue
        .send(QueueName::LlmClassify, "poison".into(), None)
        .await
        .unwrap();
    queue
        .send(QueueName::LlmClassify, "fine".into(), None)
        .await
        .unwrap();
    idle(&queue).await;
    let poison: Vec<_> = recorder
        .batches()
        .into_iter()
        .flatten()
        .filter(|m| m.body.as_deref() == Some("poison"))
        .collect();
    let counts: Vec<_> = poison.iter().map(receive_count).collect();
    assert_eq!(counts, [1, 2, 3], "maxReceiveCount of llm-classify is 3");
    let dead = queue.dead_letters(QueueName::LlmClassify);
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].body.as_str(), dead[0].receive_count),
        ("poison", 3)
    );
    assert_eq!(recorder.bodies().iter().filter(|b| *b == "fine").count(), 1);

    // attempt-reprocess allows 5 receives.
    let reprocess = Recorder::new(|_| true);
    queue.register(QueueName::AttemptReprocess, reprocess.clone());
    queue
        .send(QueueName::AttemptReprocess, "{}".into(), None)
        .await
        .unwrap();
    idle(&queue).await;
    assert_eq!(reprocess.bodies().len(), 5);
    assert_eq!(
        queue.dead_letters(QueueName::AttemptReprocess)[0].receive_count,
        5
    );
}

/// Holds every batch until the test opens the gate; counts the records it stored.
struct Gate {
    open: tokio::sync::Semaphore,
    stored: Mutex<usize>,
    batch_sizes: Mutex<Vec<usize>>,
}

#[async_trait]
impl SqsHandler for Gate {
    async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        self.open.acquire().await.unwrap().forget();
        *self.stored.lock().unwrap() += event.records.len();
        self.batch_sizes.lock().unwrap().push(event.records.len());
        SqsBatchResponse::default()
    }
}

/// Backpressure: while the consumer is stuck, sends beyond `max_backlog` wait (the publisher
/// slows down to the consumer's pace) and fail after `backlog_wait`; once it stores again, the
/// waiting send goes through and the backlog empties. Time bounds are generous guards only.
#[tokio::test]
async fn embedded_sends_wait_for_room_when_the_consumer_falls_behind() {
    let queue = EmbeddedQueue::new(EmbeddedOptions {
        max_backlog: 15,
        backlog_wait: Duration::from_millis(300),
        ..fast()
    });
    let gate = Arc::new(Gate {
        open: tokio::sync::Semaphore::new(0),
        stored: Mutex::new(0),
        batch_sizes: Mutex::new(Vec::new()),
    });
    queue.register(QueueName::AttemptStream, gate.clone());
    let send = |i: usize| {
        let queue = queue.clone();
        async move {
            queue
                .send(
                    QueueName::AttemptStream,
                    format!("{{\"n\":{i}}}"),
                    Some(format!("g{}", i % 3)),
                )
                .await
        }
    };
    for i in 0..15 {
        send(i).await.expect("room for the first 15");
    }
    assert_eq!(queue.backlog(QueueName::AttemptStream), 15);
    // Full: the 16th waits, then fails like an unreachable SQS (the outbox keeps the message).
    let err = tokio::time::timeout(Duration::from_secs(30), send(15))
        .await
        .expect("a full queue answers within its backlog_wait")
        .unwrap_err();
    assert!(matches!(err, QueueError::Send { .. }), "{err}");
    assert_eq!(queue.backlog(QueueName::AttemptStream), 15, "nothing added");

    // A send waiting for room goes through once the consumer stores a batch.
    let waiting = tokio::spawn(send(16));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiting.is_finished(), "no room yet: the send waits");
    gate.open.add_permits(1_000);
    tokio::time::timeout(Duration::from_secs(30), waiting)
        .await
        .expect("room is made within the guard")
        .unwrap()
        .expect("sent once there is room");
    idle(&queue).await;
    assert_eq!(*gate.stored.lock().unwrap(), 16);
    assert_eq!(queue.backlog(QueueName::AttemptStream), 0);
    // Delivered in SQS-sized batches (FIFO: up to 10).
    let sizes = gate.batch_sizes.lock().unwrap().clone();
    assert!(sizes.iter().all(|n| (1..=10).contains(n)), "{sizes:?}");
}

/// Reports an id that is not in the batch on the first call, then succeeds.
struct Liar(Mutex<u32>);

#[async_trait]
impl SqsHandler for Liar {
    async fn handle(&self, _event: SqsEvent) -> SqsBatchResponse {
        let mut calls = self.0.lock().unwrap();
        *calls += 1;
        let mut response = SqsBatchResponse::default();
        if *calls == 1 {
            response.add_failure("not-in-this-batch");
        }
        response
    }
}

/// Panics on the first call, then succeeds.
struct Panicky(Mutex<u32>);

#[async_trait]
impl SqsHandler for Panicky {
    async fn handle(&self, _event: SqsEvent) -> SqsBatchResponse {
        let first = {
            let mut calls = self.0.lock().unwrap();
            *calls += 1;
            *calls == 1
        };
        if first {
            panic!("handler bug");
        }
        SqsBatchResponse::default()
    }
}

#[tokio::test]
async fn embedded_unknown_ids_and_panics_fail_the_whole_batch() {
    let queue = EmbeddedQueue::new(fast());
    let liar = Arc::new(Liar(Mutex::new(0)));
    queue.register(QueueName::AttemptReprocess, liar.clone());
    queue
        .send(QueueName::AttemptReprocess, "1".into(), None)
        .await
        .unwrap();
    queue
        .send(QueueName::AttemptReprocess, "2".into(), None)
        .await
        .unwrap();
    idle(&queue).await;
    assert_eq!(*liar.0.lock().unwrap(), 2, "the whole batch came back once");

    let panicky = Arc::new(Panicky(Mutex::new(0)));
    queue.register(QueueName::LlmClassify, panicky.clone());
    queue
        .send(QueueName::LlmClassify, "1".into(), None)
        .await
        .unwrap();
    idle(&queue).await;
    assert_eq!(*panicky.0.lock().unwrap(), 2);
    assert!(queue.dead_letters(QueueName::LlmClassify).is_empty());
}

#[tokio::test]
async fn embedded_queue_without_consumer_keeps_messages_until_one_registers() {
    let queue = EmbeddedQueue::new(EmbeddedOptions {
        unconsumed_capacity: 2,
        ..fast()
    });
    for i in 0..3 {
        queue
            .send(QueueName::GuideIngest, format!("m{i}"), None)
            .await
            .unwrap();
    }
    idle(&queue).await; // nothing outstanding: no consumer
    let kept: Vec<_> = queue
        .unconsumed(QueueName::GuideIngest)
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(kept, ["m1", "m2"], "bounded: the oldest was dropped");
    assert_eq!(
        queue
            .approximate_depth(QueueName::GuideIngest)
            .await
            .unwrap(),
        2
    );
    assert!(!queue.has_consumer(QueueName::GuideIngest));

    let recorder = Recorder::new(|_| false);
    queue.register(QueueName::GuideIngest, recorder.clone());
    idle(&queue).await;
    assert_eq!(recorder.bodies(), ["m1", "m2"]);
    assert!(queue.unconsumed(QueueName::GuideIngest).is_empty());
}

#[tokio::test]
async fn services_route_each_queue_to_sqs_or_the_embedded_queue() {
    let sqs = aws().sqs().await;
    let url = create_fifo_queue(&sqs).await;
    let services = Services::build(
        &config(&[("SQS_ATTEMPT_STREAM_URL", &url)]),
        Runtime::Local,
        fast(),
    );
    let recorder = Recorder::new(|_| false);
    assert!(
        !services.register_handler(QueueName::AttemptStream, recorder.clone()),
        "SQS-backed"
    );
    assert!(services.register_handler(QueueName::LlmClassify, recorder.clone()));

    services
        .queue
        .publish_message(&attempt_message("a-routed"), Some("s1".into()))
        .await
        .unwrap();
    services
        .queue
        .send(QueueName::LlmClassify, "local".into(), None)
        .await
        .unwrap();
    services.wait_idle().await;
    assert_eq!(recorder.bodies(), ["local"]);
    let received = receive_all(&sqs, &url).await;
    assert!(received[0].body().unwrap().contains("a-routed"));
}
