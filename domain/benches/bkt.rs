//! One BKT update.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use innova_domain::bkt::{BktParams, update};

fn bench_bkt(c: &mut Criterion) {
    let params = BktParams::default();
    c.bench_function("bkt/update", |b| {
        b.iter(|| update(black_box(0.3), black_box(&params), black_box(true)))
    });
}

criterion_group!(benches, bench_bkt);
criterion_main!(benches);
