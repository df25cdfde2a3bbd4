//! Gemini vision adapter: `generateContent` (Generative Language API v1beta) with the photo as
//! inline data, temperature 0, a JSON response schema and 8192 output tokens (headroom for 2.5's
//! thinking tokens; less truncated the JSON in the reference).

use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use bytes::Bytes;
use serde_json::{Value, json};

use super::{MathOcr, OcrError, OcrExercise, OcrPage, OcrUsage};
use crate::config::GeminiSettings;
use crate::messages::RawStep;

/// Gemini's limit for a request with inline data.
const MAX_IMAGE_BYTES: usize = 20 * 1024 * 1024;

// Gemini's timeouts, stated once (docs/architecture.md, "Timeouts"). Its callers: the API's photo
// routes inside API Gateway's 29 s, and the OCR worker inside its 60 s.

/// Opening a connection to the API: 5 s.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// One request, answer included: 20 s, leaving 9 s of API Gateway's 29 s for the route's S3
/// check and its transaction.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

const SYSTEM_INSTRUCTION: &str = "You transcribe handwritten math from photos of worksheets \
done by Chilean students in grades 3 to 6. A photo may contain several exercises: return each \
one separately, in reading order, with `problem` (the exercise statement only, without the \
student's work), `latex_steps` (the student's work in LaTeX, one entry per written line, in \
order), `final_answer` (the student's final answer as written), `overall_confidence` (0 to 1: \
how sure you are of the transcription) and `topic_hint` (a short topic guess, or null). \
Transcribe exactly what the student wrote, mistakes included; never solve or correct. If \
nothing is readable, return {\"exercises\": []}.";

const USER_PROMPT: &str = "Transcribe EVERY exercise in this worksheet photo.";

/// Image types Gemini accepts inline; anything else is sent as JPEG, as the reference did.
const SUPPORTED_MIME: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heic",
    "image/heif",
];

/// Math OCR through Gemini.
pub struct GeminiOcr {
    http: reqwest::Client,
    endpoint: String,
    api_key: String,
    model: String,
}

impl std::fmt::Debug for GeminiOcr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeminiOcr")
            .field("endpoint", &self.endpoint)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl GeminiOcr {
    pub fn new(settings: &GeminiSettings) -> Self {
        Self::with_timeout(settings, DEFAULT_TIMEOUT)
    }

    pub fn with_timeout(settings: &GeminiSettings, timeout: Duration) -> Self {
        if !settings.api_key.starts_with("AIza") {
            tracing::warn!("GEMINI_API_KEY does not look like an AI Studio key (AIza…)");
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .expect("the HTTP client builds with static settings");
        GeminiOcr {
            http,
            endpoint: format!(
                "{}/v1beta/models/{}:generateContent",
                settings.base_url.as_str().trim_end_matches('/'),
                settings.model
            ),
            api_key: settings.api_key.clone(),
            model: settings.model.clone(),
        }
    }

    fn request_body(image: &[u8], mime: &str) -> Value {
        let mime = if SUPPORTED_MIME.contains(&mime) {
            mime
        } else {
            "image/jpeg"
        };
        json!({
            "systemInstruction": {"parts": [{"text": SYSTEM_INSTRUCTION}]},
            "contents": [{
                "role": "user",
                "parts": [
                    {"text": USER_PROMPT},
                    {"inlineData": {
                        "mimeType": mime,
                        "data": base64::engine::general_purpose::STANDARD.encode(image)
                    }}
                ]
            }],
            "generationConfig": {
                "temperature": 0,
                "maxOutputTokens": 8192,
                "responseMimeType": "application/json",
                "responseSchema": {
                    "type": "OBJECT",
                    "properties": {
                        "exercises": {
                            "type": "ARRAY",
                            "items": {
                                "type": "OBJECT",
                                "properties": {
                                    "problem": {"type": "STRING"},
                                    "latex_steps": {"type": "ARRAY", "items": {"type": "STRING"}},
                                    "final_answer": {"type": "STRING"},
                                    "overall_confidence": {"type": "NUMBER"},
                                    "topic_hint": {"type": "STRING", "nullable": true}
                                },
                                "required": ["problem", "latex_steps", "final_answer", "overall_confidence"]
                            }
                        }
                    },
                    "required": ["exercises"]
                }
            }
        })
    }
}

#[async_trait]
impl MathOcr for GeminiOcr {
    async fn extract(&self, image: Bytes, mime: &str) -> Result<OcrPage, OcrError> {
        if image.is_empty() {
            return Err(OcrError::InvalidImage("the image is empty".into()));
        }
        if image.len() > MAX_IMAGE_BYTES {
            return Err(OcrError::InvalidImage(
                "the image is larger than 20 MB".into(),
            ));
        }
        let started = std::time::Instant::now();
        let response = self
            .http
            .post(&self.endpoint)
            .header("x-goog-api-key", &self.api_key)
            .json(&Self::request_body(&image, mime))
            .send()
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "Gemini OCR request failed");
                OcrError::Unavailable(if e.is_timeout() {
                    "timed out".into()
                } else {
                    "cannot reach Gemini".into()
                })
            })?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| OcrError::Unavailable(format!("reading Gemini's answer: {e}")))?;
        if !status.is_success() {
            let message = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| {
                    v.pointer("/error/message")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
            tracing::warn!(status = status.as_u16(), %message, "Gemini OCR refused");
            return Err(match status.as_u16() {
                429 | 500 | 502 | 503 | 504 => {
                    OcrError::Unavailable(format!("Gemini answered {status}: {message}"))
                }
                code => OcrError::Provider {
                    status: code,
                    message,
                },
            });
        }
        let page = parse_response(&body, &self.model);
        match &page {
            Ok(p) => tracing::info!(
                exercises = p.exercises.len(),
                confidence = p.confidence,
                input_tokens = p.usage.input_tokens,
                output_tokens = p.usage.output_tokens,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "Gemini OCR done"
            ),
            Err(e) => tracing::warn!(error = %e, "Gemini OCR answer unreadable"),
        }
        page
    }
}

/// Reads a `generateContent` response body into a page.
pub(crate) fn parse_response(body: &str, model: &str) -> Result<OcrPage, OcrError> {
    let response: Value = serde_json::from_str(body)
        .map_err(|e| OcrError::InvalidResponse(format!("not JSON: {e}")))?;
    let usage = OcrUsage {
        input_tokens: token_count(&response, "promptTokenCount"),
        output_tokens: token_count(&response, "candidatesTokenCount")
            + token_count(&response, "thoughtsTokenCount"),
    };
    let Some(candidate) = response.pointer("/candidates/0") else {
        let reason = response
            .pointer("/promptFeedback/blockReason")
            .and_then(Value::as_str)
            .unwrap_or("no candidate");
        return Err(OcrError::InvalidResponse(format!(
            "no transcription ({reason})"
        )));
    };
    let text: String = candidate
        .pointer("/content/parts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|p| !p.get("thought").and_then(Value::as_bool).unwrap_or(false))
        .filter_map(|p| p.get("text").and_then(Value::as_str))
        .collect();
    let json = parse_json_text(&text).ok_or_else(|| {
        let finish = candidate
            .get("finishReason")
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        OcrError::InvalidResponse(format!(
            "the transcription is not valid JSON (finish reason {finish})"
        ))
    })?;
    let items = json
        .get("exercises")
        .and_then(Value::as_array)
        .ok_or_else(|| OcrError::InvalidResponse("no `exercises` array".into()))?;
    let exercises: Vec<OcrExercise> = items.iter().map(exercise).collect();
    let confidence = if exercises.is_empty() {
        tracing::warn!("Gemini found no exercise on the photo");
        0.0
    } else {
        exercises.iter().map(|e| e.confidence).sum::<f64>() / exercises.len() as f64
    };
    Ok(OcrPage {
        confidence,
        exercises,
        provider: "gemini".into(),
        model: model.to_string(),
        usage,
    })
}

fn token_count(response: &Value, field: &str) -> u64 {
    response
        .pointer(&format!("/usageMetadata/{field}"))
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

/// The JSON in the model's text: as is, without Markdown fences, or from the first `{` to the
/// last `}`.
fn parse_json_text(text: &str) -> Option<Value> {
    let trimmed = text.trim();
    let unfenced = trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .map(|s| s.trim_end().trim_end_matches("```"))
        .unwrap_or(trimmed)
        .trim();
    serde_json::from_str(unfenced).ok().or_else(|| {
        let start = unfenced.find('{')?;
        let end = unfenced.rfind('}')?;
        serde_json::from_str(unfenced.get(start..=end)?).ok()
    })
}

fn exercise(item: &Value) -> OcrExercise {
    let lines: Vec<String> = item
        .get("latex_steps")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(as_text)
        .flat_map(|step| {
            step.lines()
                .map(|l| l.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|l| !l.is_empty())
        .collect();
    let last = lines.len().saturating_sub(1);
    let raw_steps = lines
        .into_iter()
        .enumerate()
        .map(|(i, expression)| RawStep {
            expression,
            is_final: i == last,
        })
        .collect();
    let topic_hint = item
        .get("topic_hint")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    OcrExercise {
        problem: item.get("problem").map(as_text).unwrap_or_default(),
        raw_steps,
        final_answer: item.get("final_answer").map(as_text).unwrap_or_default(),
        topic_hint,
        confidence: confidence(item.get("overall_confidence")),
    }
}

/// A string field, whatever JSON type the model used (null → empty).
fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A finite number clamped to [0, 1]; anything else is 0.
fn confidence(v: Option<&Value>) -> f64 {
    let n = match v {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0.0),
        _ => 0.0,
    };
    if n.is_finite() {
        n.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response_with_text(text: &str) -> String {
        json!({
            "candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 1200, "candidatesTokenCount": 80, "thoughtsTokenCount": 300}
        })
        .to_string()
    }

    #[test]
    fn maps_exercises_steps_and_confidences() {
        let text = json!({"exercises": [
            {"problem": "52 - 17", "latex_steps": ["52 - 17", "= 45\n"], "final_answer": "45",
             "overall_confidence": 1.7, "topic_hint": "subtraction"},
            {"problem": "3 x 4", "latex_steps": ["12"], "final_answer": 12, "overall_confidence": -2,
             "topic_hint": null}
        ]})
        .to_string();
        let page = parse_response(&response_with_text(&text), "gemini-2.5-flash").unwrap();
        assert_eq!(page.exercises.len(), 2);
        let first = &page.exercises[0];
        assert_eq!(
            first.raw_steps,
            [
                RawStep {
                    expression: "52 - 17".into(),
                    is_final: false
                },
                RawStep {
                    expression: "= 45".into(),
                    is_final: true
                }
            ]
        );
        assert_eq!(first.confidence, 1.0);
        assert_eq!(page.exercises[1].confidence, 0.0);
        assert_eq!(page.exercises[1].final_answer, "12");
        assert_eq!(page.exercises[1].topic_hint, None);
        assert_eq!(page.confidence, 0.5);
        assert_eq!(
            page.usage,
            OcrUsage {
                input_tokens: 1200,
                output_tokens: 380
            }
        );
    }

    #[test]
    fn fenced_or_wrapped_json_is_accepted() {
        let fenced = "```json\n{\"exercises\": []}\n```";
        assert!(
            parse_response(&response_with_text(fenced), "m")
                .unwrap()
                .exercises
                .is_empty()
        );
        let wrapped = "Here you go: {\"exercises\": []} done";
        assert_eq!(
            parse_response(&response_with_text(wrapped), "m")
                .unwrap()
                .confidence,
            0.0
        );
    }

    #[test]
    fn unreadable_answers_are_errors() {
        let truncated = response_with_text("{\"exercises\": [{\"problem\": \"1");
        assert!(matches!(
            parse_response(&truncated, "m"),
            Err(OcrError::InvalidResponse(_))
        ));
        let blocked = json!({"promptFeedback": {"blockReason": "SAFETY"}}).to_string();
        let err = parse_response(&blocked, "m").unwrap_err().to_string();
        assert!(err.contains("SAFETY"), "{err}");
        assert!(parse_response("<html>", "m").is_err());
    }

    #[test]
    fn request_has_the_reference_settings() {
        let body = GeminiOcr::request_body(b"img", "application/octet-stream");
        assert_eq!(
            body.pointer("/generationConfig/temperature"),
            Some(&json!(0))
        );
        assert_eq!(
            body.pointer("/generationConfig/maxOutputTokens"),
            Some(&json!(8192))
        );
        assert_eq!(
            body.pointer("/generationConfig/responseMimeType"),
            Some(&json!("application/json"))
        );
        assert_eq!(
            body.pointer("/contents/0/parts/1/inlineData/mimeType"),
            Some(&json!("image/jpeg"))
        );
        assert_eq!(
            body.pointer("/contents/0/parts/1/inlineData/data"),
            Some(&json!("aW1n"))
        );
        let png = GeminiOcr::request_body(b"img", "image/png");
        assert_eq!(
            png.pointer("/contents/0/parts/1/inlineData/mimeType"),
            Some(&json!("image/png"))
        );
    }
}
