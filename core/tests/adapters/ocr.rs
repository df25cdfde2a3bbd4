//! The Gemini OCR adapter against a wiremock fake of the Generative Language API.

use std::time::Duration;

use bytes::Bytes;
use innova_core::config::GeminiSettings;
use innova_core::messages::RawStep;
use innova_core::ocr::{GeminiOcr, MathOcr, OcrError};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PATH: &str = "/v1beta/models/gemini-2.5-flash:generateContent";

fn settings(server: &MockServer) -> GeminiSettings {
    GeminiSettings {
        api_key: "AIza-test-key".into(),
        model: "gemini-2.5-flash".into(),
        base_url: url::Url::parse(&server.uri()).unwrap(),
    }
}

fn answer(exercises: Value) -> Value {
    json!({
        "candidates": [{
            "content": {"role": "model", "parts": [{"text": json!({"exercises": exercises}).to_string()}]},
            "finishReason": "STOP"
        }],
        "usageMetadata": {"promptTokenCount": 1500, "candidatesTokenCount": 120, "thoughtsTokenCount": 400}
    })
}

#[tokio::test]
async fn transcribes_every_exercise_of_the_photo() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .and(header("x-goog-api-key", "AIza-test-key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer(json!([
            {"problem": "52 - 17 = ?", "latex_steps": ["52 - 17", "45"], "final_answer": "45",
             "overall_confidence": 0.9, "topic_hint": "resta con reserva"},
            {"problem": "\\frac{1}{2} + \\frac{1}{4}", "latex_steps": ["\\frac{2}{4} + \\frac{1}{4}\n\\frac{3}{4}"],
             "final_answer": "\\frac{3}{4}", "overall_confidence": 0.7, "topic_hint": null}
        ]))))
        .expect(1)
        .mount(&server)
        .await;

    let ocr = GeminiOcr::new(&settings(&server));
    let page = ocr
        .extract(Bytes::from_static(b"\xff\xd8jpeg"), "image/jpeg")
        .await
        .unwrap();
    assert_eq!(page.exercises.len(), 2);
    assert!((page.confidence - 0.8).abs() < 1e-9);
    assert_eq!(
        (page.provider.as_str(), page.model.as_str()),
        ("gemini", "gemini-2.5-flash")
    );
    assert_eq!(
        (page.usage.input_tokens, page.usage.output_tokens),
        (1500, 520)
    );
    let second = &page.exercises[1];
    assert_eq!(second.raw_steps.len(), 2, "one step per transcribed line");
    assert_eq!(
        second.raw_steps[1],
        RawStep {
            expression: "\\frac{3}{4}".into(),
            is_final: true
        }
    );
    assert!(!second.raw_steps[0].is_final);
    assert_eq!(second.topic_hint, None);
    // The route's JSON shape (api.md R11).
    let wire = serde_json::to_value(&page.exercises[0]).unwrap();
    assert_eq!(
        wire,
        json!({"problem": "52 - 17 = ?", "rawSteps": [{"expression": "52 - 17", "isFinal": false},
            {"expression": "45", "isFinal": true}], "finalAnswer": "45", "topicHint": "resta con reserva",
            "confidence": 0.9})
    );

    let request = &server.received_requests().await.unwrap()[0];
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["generationConfig"]["temperature"], 0);
    assert_eq!(body["generationConfig"]["maxOutputTokens"], 8192);
    assert_eq!(
        body["generationConfig"]["responseMimeType"],
        "application/json"
    );
    assert_eq!(
        body["generationConfig"]["responseSchema"]["required"],
        json!(["exercises"])
    );
    assert_eq!(
        body["contents"][0]["parts"][1]["inlineData"]["data"],
        "/9hqcGVn"
    );
    assert!(
        body["systemInstruction"]["parts"][0]["text"]
            .as_str()
            .unwrap()
            .contains("grades 3 to 6")
    );
    assert!(
        !request.url.as_str().contains("AIza"),
        "the key travels in a header, not the URL"
    );
}

#[tokio::test]
async fn an_unreadable_photo_is_an_empty_page() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer(json!([]))))
        .mount(&server)
        .await;
    let page = GeminiOcr::new(&settings(&server))
        .extract(Bytes::from_static(b"x"), "image/png")
        .await
        .unwrap();
    assert!(page.exercises.is_empty());
    assert_eq!(page.confidence, 0.0);
}

#[tokio::test]
async fn provider_failures_are_errors_that_say_what_happened() {
    let server = MockServer::start().await;
    let ocr = GeminiOcr::with_timeout(&settings(&server), Duration::from_millis(500));
    let image = Bytes::from_static(b"x");
    let cases = [
        (ResponseTemplate::new(503).set_body_json(json!({"error": {"code": 503, "message": "The model is overloaded."}})), "unavailable"),
        (ResponseTemplate::new(429).set_body_json(json!({"error": {"message": "Resource exhausted"}})), "unavailable"),
        (ResponseTemplate::new(400).set_body_json(json!({"error": {"message": "API key not valid."}})), "provider"),
        (ResponseTemplate::new(200).set_body_json(json!({"candidates": [{"content": {"parts": [{"text": "{\"exercises\": [{\"problem"}]}, "finishReason": "MAX_TOKENS"}]})), "invalid"),
        (ResponseTemplate::new(200).set_body_json(answer(json!([]))).set_delay(Duration::from_secs(3)), "unavailable"),
    ];
    for (template, expected) in cases {
        server.reset().await;
        Mock::given(method("POST"))
            .and(path(PATH))
            .respond_with(template)
            .mount(&server)
            .await;
        let err = ocr.extract(image.clone(), "image/jpeg").await.unwrap_err();
        let kind = match &err {
            OcrError::Unavailable(_) => "unavailable",
            OcrError::Provider {
                status: 400,
                message,
            } => {
                assert_eq!(message, "API key not valid.");
                "provider"
            }
            OcrError::InvalidResponse(m) => {
                assert!(m.contains("MAX_TOKENS"), "{m}");
                "invalid"
            }
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(kind, expected, "{err}");
    }
    let empty = ocr.extract(Bytes::new(), "image/jpeg").await.unwrap_err();
    assert!(matches!(empty, OcrError::InvalidImage(_)));
}
