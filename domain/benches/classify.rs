//! Rule-engine throughput: a mixed batch covering every strategy (rule hits and misses).
//! The reported time is per classification (one attempt per iteration, cycling the batch).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use innova_domain::rules::{AttemptInput, Operand, REGISTRY_KEYS, RawStep, classify};

fn attempt(step: &str, e: f64, s: f64, m: Option<f64>, t: Option<f64>) -> AttemptInput {
    AttemptInput {
        raw_steps: if step.is_empty() {
            Vec::new()
        } else {
            vec![RawStep {
                expression: step.to_owned(),
                is_final: true,
            }]
        },
        expected_answer: e,
        student_answer: s,
        minuend: Operand::from(m),
        subtrahend: Operand::from(t),
    }
}

fn batch() -> Vec<(&'static str, AttemptInput)> {
    vec![
        (
            "ARITH_SUB",
            attempt("53 - 26", 27.0, 33.0, Some(53.0), Some(26.0)),
        ),
        (
            "ARITH_SUB",
            attempt("100 - 27", 73.0, 91.0, Some(100.0), Some(27.0)),
        ),
        ("ARITH_SUB", attempt("", 27.0, 72.0, Some(53.0), Some(26.0))),
        (
            "ARITH_ADD",
            attempt("47 + 38", 85.0, 75.0, Some(47.0), Some(38.0)),
        ),
        ("ARITH_ADD", attempt("", 85.0, 97.0, Some(47.0), Some(38.0))),
        ("ARITH_MUL", attempt("23 × 14", 322.0, 115.0, None, None)),
        ("ARITH_MUL", attempt("7 × 8", 56.0, 60.0, None, None)),
        ("ARITH_DIV", attempt("315 : 3", 105.0, 15.0, None, None)),
        ("ARITH_DIV", attempt("84 ÷ 4", 21.0, 30.0, None, None)),
        ("INT_ADD", attempt("(-5) + (-3)", -8.0, -2.0, None, None)),
        ("INT_SUB", attempt("5 - (-3)", 8.0, 2.0, None, None)),
        ("INT_MUL", attempt("(-4) × 6", -24.0, 25.0, None, None)),
        ("FRACT_ADDSUB", attempt("2/5 + 1/5", 0.6, 3.0, None, None)),
        ("FRACT_ADDSUB", attempt("2 3/4", 2.75, 10.0, None, None)),
        (
            "FRACT_MUL",
            attempt("2/3 × 4/5", 8.0 / 15.0, 10.0 / 12.0, None, None),
        ),
        (
            "FRACT_DIV",
            attempt("2/3 : 4/5", 10.0 / 12.0, 1.3, None, None),
        ),
        ("DEC_ADD", attempt("2,5 + 1,25", 3.75, 1.5, None, None)),
        ("DEC_SUB", attempt("5,4 - 1,25", 4.15, 0.71, None, None)),
        ("DEC_MUL", attempt("3,5 × 100", 350.0, 0.035, None, None)),
        ("DEC_DIV", attempt("7,5 : 0,25", 30.0, 0.3, None, None)),
        ("RATIO_PERCENT", attempt("20% de 50", 10.0, 2.5, None, None)),
        (
            "RATIO_PROPORTION",
            attempt("2:4 = 6:x", 12.0, 3.0, None, None),
        ),
        (
            "ALGEBRA_EQ_LINEAR",
            attempt("2x + 3 = 11", 4.0, 2.5, None, None),
        ),
        ("POW_POWER", attempt("12^3 • 2^2", 6912.0, 64.0, None, None)),
        ("POW_POWER", attempt("5^0", 1.0, 0.0, None, None)),
        ("POW_ROOT", attempt("√(9 + 16)", 5.0, 7.0, None, None)),
        ("GEOM_TRI", attempt("", 3.0, 4.0, None, None)),
        ("ARITH_SUB", attempt("", 27.0, 27.0, Some(53.0), Some(26.0))),
    ]
}

fn bench_classify(c: &mut Criterion) {
    let batch = batch();
    // Every registered strategy is exercised.
    for key in REGISTRY_KEYS {
        assert!(
            batch.iter().any(|(k, _)| *k == key),
            "{key} missing from the batch"
        );
    }
    // Warm the lazily compiled patterns outside the measurement.
    for (key, input) in &batch {
        classify(Some(key), input);
    }
    let mut i = 0;
    c.bench_function("classify/mixed_batch_per_attempt", |b| {
        b.iter(|| {
            let (key, input) = &batch[i % batch.len()];
            i += 1;
            black_box(classify(black_box(Some(key)), black_box(input)))
        })
    });
    c.bench_function("classify/whole_batch_28", |b| {
        b.iter(|| {
            for (key, input) in &batch {
                black_box(classify(black_box(Some(key)), black_box(input)));
            }
        })
    });
}

criterion_group!(benches, bench_classify);
criterion_main!(benches);
