//! The YAML parser's own cost (issue 16, item 4): the same generated Compose base file read by
//! saphyr-parser (the events envparity builds on), by yaml-rust2 (another maintained
//! YAML 1.2 parser with line and column marks), and by envparity's span tree on saphyr's
//! events. `cargo bench --bench yaml_parsers`; divan prints MB/s per parser.

#[path = "../bench/gen/gen.rs"]
#[allow(dead_code)]
mod gen;

use std::sync::OnceLock;

use divan::counter::BytesCount;
use divan::Bencher;

fn main() {
    divan::main();
}

/// The Compose base of the generator's 1,000- and 10,000-service repositories.
fn base(objects: usize) -> &'static str {
    static SMALL: OnceLock<String> = OnceLock::new();
    static LARGE: OnceLock<String> = OnceLock::new();
    let cell = if objects <= 1000 { &SMALL } else { &LARGE };
    cell.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        gen::write_scale(dir.path(), &gen::Config::new(objects, 42)).unwrap();
        std::fs::read_to_string(dir.path().join("compose/docker-compose.yml")).unwrap()
    })
}

const SIZES: [usize; 2] = [1000, 10_000];

#[divan::bench(args = SIZES)]
fn saphyr_parser_events(bencher: Bencher, objects: usize) {
    let text = base(objects);
    bencher.counter(BytesCount::of_str(text)).bench(|| {
        let mut events = 0usize;
        for event in saphyr_parser::Parser::new_from_str(text) {
            event.unwrap();
            events += 1;
        }
        events
    });
}

#[divan::bench(args = SIZES)]
fn yaml_rust2_events(bencher: Bencher, objects: usize) {
    let text = base(objects);
    bencher.counter(BytesCount::of_str(text)).bench(|| {
        let mut parser = yaml_rust2::parser::Parser::new_from_str(text);
        let mut events = 0usize;
        loop {
            let (event, _mark) = parser.next_token().unwrap();
            events += 1;
            if event == yaml_rust2::parser::Event::StreamEnd {
                return events;
            }
        }
    });
}

#[divan::bench(args = SIZES)]
fn envparity_span_tree(bencher: Bencher, objects: usize) {
    let text = base(objects);
    bencher.counter(BytesCount::of_str(text)).bench(|| {
        envparity::yaml::parse_documents(
            text,
            "docker-compose.yml",
            envparity::yaml::Limits::default(),
        )
        .unwrap()
    });
}
