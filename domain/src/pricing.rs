//! What a model call costs (`cost_events.cost_usd`): USD per million tokens, per model family
//! (workers-infra.md §4.4, the AI engine's table). An unknown model costs 0, as there.

/// Token counts of one call, as the provider's `usage` reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_read_input_tokens: u64,
}

/// USD per million tokens: input, output, cache write, cache read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    pub cache_write: f64,
    pub cache_read: f64,
}

/// Model-id prefixes and their prices. A dated id (`claude-haiku-4-5-20251001`) is priced by
/// the family it starts with.
const TABLE: &[(&str, Price)] = &[
    (
        "claude-sonnet-4-6",
        Price {
            input: 3.0,
            output: 15.0,
            cache_write: 3.75,
            cache_read: 0.30,
        },
    ),
    (
        "claude-haiku-4-5",
        Price {
            input: 1.0,
            output: 5.0,
            cache_write: 1.25,
            cache_read: 0.10,
        },
    ),
    // --- OCR / archive
    // Google's public Gemini API price list (ai.google.dev/gemini-api/docs/pricing, paid tier,
    // prompts of text/image): input 0.30, output (thinking included) 2.50 USD per million tokens,
    // context-cache reads 0.03. The OCR worker does not cache; a cache write is billed as input.
    (
        "gemini-2.5-flash",
        Price {
            input: 0.30,
            output: 2.50,
            cache_write: 0.30,
            cache_read: 0.03,
        },
    ),
];

/// The price of `model`, if the table knows it.
pub fn price(model: &str) -> Option<Price> {
    TABLE
        .iter()
        .find(|(prefix, _)| model.starts_with(prefix))
        .map(|(_, p)| *p)
}

/// The cost of one call in USD (0 for an unknown model).
pub fn cost_usd(model: &str, usage: Usage) -> f64 {
    let Some(p) = price(model) else { return 0.0 };
    let per_token =
        |tokens: u64, usd_per_million: f64| tokens as f64 * usd_per_million / 1_000_000.0;
    per_token(usage.input_tokens, p.input)
        + per_token(usage.output_tokens, p.output)
        + per_token(usage.cache_creation_input_tokens, p.cache_write)
        + per_token(usage.cache_read_input_tokens, p.cache_read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haiku_prices_each_kind_of_token() {
        let usage = Usage {
            input_tokens: 1_000_000,
            output_tokens: 1_000_000,
            cache_creation_input_tokens: 1_000_000,
            cache_read_input_tokens: 1_000_000,
        };
        assert_eq!(
            cost_usd("claude-haiku-4-5-20251001", usage),
            1.0 + 5.0 + 1.25 + 0.10
        );
        assert_eq!(
            cost_usd("claude-sonnet-4-6", usage),
            3.0 + 15.0 + 3.75 + 0.30
        );
    }

    // --- OCR / archive
    #[test]
    fn gemini_flash_prices_input_and_output() {
        let usage = Usage {
            input_tokens: 2_000_000,
            output_tokens: 1_000_000,
            ..Usage::default()
        };
        assert!((cost_usd("gemini-2.5-flash", usage) - (0.60 + 2.50)).abs() < 1e-9);
    }

    #[test]
    fn an_unknown_model_costs_nothing() {
        let usage = Usage {
            input_tokens: 10,
            ..Usage::default()
        };
        assert_eq!(cost_usd("gpt-9", usage), 0.0);
        assert!(price("claude-opus-1").is_none());
    }
}
