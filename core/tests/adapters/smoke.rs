//! Each test service through the real client crates (issue 2's smoke test).

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use mongodb::bson::{Document, doc};

use crate::{aws, create_bucket, create_fifo_queue, mongo_uri_with_fresh_database};

#[tokio::test]
async fn postgres_answers_a_query() {
    let mut conn = innova_testkit::admin_connection().await;
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(one, 1);
}

#[tokio::test]
async fn mongodb_inserts_and_finds() {
    let (uri, name) = mongo_uri_with_fresh_database();
    let client = mongodb::Client::with_uri_str(&uri).await.unwrap();
    let db = client.database(&name);
    let events = db.collection::<Document>("smoke");
    events
        .insert_one(doc! {"attempt_id": "a1", "n": 1})
        .await
        .unwrap();
    let found = events
        .find_one(doc! {"attempt_id": "a1"})
        .await
        .unwrap()
        .expect("the document");
    assert_eq!(found.get_i32("n").unwrap(), 1);
    db.drop().await.unwrap();
}

#[tokio::test]
async fn sqs_fifo_send_and_receive() {
    let sqs = aws().sqs().await;
    let url = create_fifo_queue(&sqs).await;
    sqs.send_message()
        .queue_url(&url)
        .message_body(r#"{"hello":"fifo"}"#)
        .message_group_id("student-1")
        .send()
        .await
        .unwrap();
    let received = sqs
        .receive_message()
        .queue_url(&url)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    let message = &received.messages()[0];
    assert_eq!(message.body(), Some(r#"{"hello":"fifo"}"#));
    let group = message
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId))
        .cloned();
    assert_eq!(group.as_deref(), Some("student-1"));
}

#[tokio::test]
async fn s3_presigned_put_then_get() {
    let s3 = aws().s3().await;
    let bucket = create_bucket(&s3).await;
    let presign = PresigningConfig::expires_in(Duration::from_secs(60)).unwrap();
    let put = s3
        .put_object()
        .bucket(&bucket)
        .key("smoke/photo.jpg")
        .content_type("image/jpeg")
        .presigned(presign.clone())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let response = http
        .put(put.uri())
        .header("content-type", "image/jpeg")
        .body(b"jpeg bytes".to_vec())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "PUT {}", response.status());
    let get = s3
        .get_object()
        .bucket(&bucket)
        .key("smoke/photo.jpg")
        .presigned(presign)
        .await
        .unwrap();
    let body = http
        .get(get.uri())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&body[..], b"jpeg bytes");
}
