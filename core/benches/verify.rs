//! Verifying a bearer token with the keys already cached (the cost every authenticated request
//! pays before touching the database). Target: ≤ 50 µs.
//!
//! `cargo bench -p innova-core --bench verify`

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use innova_core::identity::Verifier;
use innova_core::identity::jwks::StaticJwks;
use innova_core::identity::keys::{SigningKey, generate_ec_p256_pkcs8, generate_rsa_pem};
use jsonwebtoken::jwk::{Jwk, JwkSet, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

const ISSUER: &str = "http://localhost:3000/auth/v1";

fn claims() -> serde_json::Value {
    let now = jsonwebtoken::get_current_timestamp();
    json!({
        "iss": ISSUER, "sub": "00000000-0000-0000-0000-000000000011", "aud": "authenticated",
        "exp": now + 3600, "iat": now, "email": "student1@innova.demo", "role": "authenticated",
        "app_metadata": {"provider": "email", "providers": ["email"], "role": "student"},
        "user_metadata": {"display_name": "Diego Vega"},
    })
}

fn verify(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    // RS256, as the embedded provider issues.
    let rsa = SigningKey::from_pem(generate_rsa_pem().unwrap().as_bytes()).unwrap();
    // ES256, as Supabase's asymmetric keys.
    let ec = EncodingKey::from_ec_der(&generate_ec_p256_pkcs8().unwrap());
    let mut ec_jwk = Jwk::from_encoding_key(&ec, Algorithm::ES256).unwrap();
    let ec_kid = ec_jwk.thumbprint(ThumbprintHash::SHA256).unwrap();
    ec_jwk.common.key_id = Some(ec_kid.clone());

    let set = JwkSet {
        keys: vec![rsa.jwks().keys[0].clone(), ec_jwk.clone()],
    };
    let verifier = Verifier::new(Arc::new(StaticJwks::new(set)), ISSUER.into());
    let rs_token = rsa.sign(&claims()).unwrap();
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(ec_kid);
    let es_token = jsonwebtoken::encode(&header, &claims(), &ec).unwrap();
    // Warm the key cache.
    runtime.block_on(verifier.verify(&rs_token)).unwrap();
    runtime.block_on(verifier.verify(&es_token)).unwrap();

    c.bench_function("verify RS256 (cached keys)", |b| {
        b.iter(|| {
            runtime
                .block_on(verifier.verify(std::hint::black_box(&rs_token)))
                .unwrap()
        })
    });
    c.bench_function("verify ES256 (cached keys)", |b| {
        b.iter(|| {
            runtime
                .block_on(verifier.verify(std::hint::black_box(&es_token)))
                .unwrap()
        })
    });

    // The floor: the P-256 signature check alone (aws-lc-rs, key parsed once), to show how much
    // of the ES256 figure is the primitive rather than our code.
    let jwk = serde_json::to_value(&ec_jwk).unwrap();
    let coordinate = |k: &str| URL_SAFE_NO_PAD.decode(jwk[k].as_str().unwrap()).unwrap();
    let point = [vec![0x04], coordinate("x"), coordinate("y")].concat();
    let parsed = aws_lc_rs::signature::ParsedPublicKey::new(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED,
        point,
    )
    .unwrap();
    let dot = es_token.rfind('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(&es_token[dot + 1..]).unwrap();
    let message = es_token.as_bytes()[..dot].to_vec();
    c.bench_function("P-256 signature check alone (aws-lc-rs)", |b| {
        b.iter(|| {
            parsed
                .verify_sig(std::hint::black_box(&message), &signature)
                .unwrap()
        })
    });
}

criterion_group!(benches, verify);
criterion_main!(benches);
