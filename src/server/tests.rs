//! The handlers on random requests, in process: whatever the method, path, query or body, the
//! answer is a status from the API's list with a JSON body (JSON Lines for a batch), never a
//! 500 and never a panic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests may panic"
)]

use super::*;
use axum::body::Body;
use axum::http::{Method, Request};
use proptest::prelude::*;
use tower::ServiceExt;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn config() -> Config {
    Config {
        rules: repo().join("rules"),
        examples: Some(repo().join("examples")),
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        max_body: 64 * 1024,
        timeout: Duration::from_secs(30),
        concurrency: 4,
        cors: None,
        log: LogLevel::Warn,
    }
}

/// The application over the repository's rules, built once for all cases.
fn router() -> &'static Router {
    static ROUTER: std::sync::OnceLock<Router> = std::sync::OnceLock::new();
    ROUTER.get_or_init(|| {
        let config = config();
        let catalog = load_catalog(&config).expect("the repository's rules load");
        let state = Arc::new(AppState {
            catalog: RwLock::new(Arc::new(catalog)),
            permits: Arc::new(Semaphore::new(config.concurrency)),
            timeout: config.timeout,
        });
        app(state, &config)
    })
}

/// Sends one request; the status and the body.
fn send(method: Method, uri: &str, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::from(body))
            .unwrap();
        let response = router().clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, body.to_vec())
    })
}

/// What every answer must be: a listed status, and a body of JSON (one per line for a batch)
/// whose errors carry a `lawcode::` code and a message.
fn assert_well_formed(uri: &str, status: StatusCode, body: &[u8]) {
    let allowed = [200, 400, 404, 405, 413, 422, 503];
    assert!(
        allowed.contains(&status.as_u16()),
        "{uri}: status {status}: {}",
        String::from_utf8_lossy(body)
    );
    let text = std::str::from_utf8(body).expect("the body is UTF-8");
    if status == StatusCode::OK && uri.contains("/batch") {
        for line in text.lines() {
            serde_json::from_str::<J>(line).expect("every batch line is JSON");
        }
        return;
    }
    if status == StatusCode::OK
        && (uri == "/healthz"
            || !uri.starts_with("/v1")
            || uri.contains("/explain?format=")
            || uri.ends_with("/explain"))
    {
        return; // the page, its assets, the health check, a memo
    }
    let json: J = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("{uri}: {status}: not JSON ({e}): {text}"));
    if status != StatusCode::OK {
        let code = json["error"]["code"].as_str().unwrap_or_default();
        assert!(code.starts_with("lawcode::"), "{uri}: {text}");
        assert!(json["error"]["message"].is_string(), "{uri}: {text}");
    }
}

/// A facts file of the corpus with one value replaced by something else.
fn mutated_case(which: usize, at: usize, with: J) -> Vec<u8> {
    let dir = repo().join("tests/cases/usc-18-2259");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let case: J =
        serde_json::from_str(&std::fs::read_to_string(&files[which % files.len()]).unwrap())
            .unwrap();
    let mut facts = case["facts"].clone();
    let mut slots = Vec::new();
    collect_slots(&facts, &mut Vec::new(), &mut slots);
    if let Some(path) = slots.get(at % slots.len().max(1)) {
        let mut target = &mut facts;
        for key in path {
            target = match key {
                Key::Field(k) => &mut target[k.as_str()],
                Key::Index(i) => &mut target[*i],
            };
        }
        *target = with;
    }
    serde_json::to_vec(&facts).unwrap()
}

enum Key {
    Field(String),
    Index(usize),
}

fn collect_slots(value: &J, path: &mut Vec<Key>, out: &mut Vec<Vec<Key>>) {
    let here = |path: &Vec<Key>| {
        path.iter()
            .map(|k| match k {
                Key::Field(f) => Key::Field(f.clone()),
                Key::Index(i) => Key::Index(*i),
            })
            .collect()
    };
    out.push(here(path));
    match value {
        J::Object(map) => {
            for (k, v) in map {
                path.push(Key::Field(k.clone()));
                collect_slots(v, path, out);
                path.pop();
            }
        }
        J::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(Key::Index(i));
                collect_slots(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn any_json() -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[0-9]{0,30}(\\.[0-9]{0,6})?".prop_map(J::String),
        "\\PC{0,12}".prop_map(J::String),
        prop_oneof![
            Just("2018-12-07"),
            Just("2259(b)"),
            Just("therapy"),
            Just("0000-00-00")
        ]
        .prop_map(|s| J::String(s.to_string())),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(J::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..4)
                .prop_map(|m| J::Object(m.into_iter().collect())),
        ]
    })
}

fn any_uri() -> impl Strategy<Value = String> {
    let head = prop_oneof![
        Just("/v1/statutes/usc/18/2259/"),
        Just("/v1/statutes/"),
        Just("/v1/"),
        Just("/"),
        Just("/assets/"),
    ];
    let tail = prop_oneof![
        Just("evaluate".to_string()),
        Just("batch".to_string()),
        Just("explain".to_string()),
        Just("explain?format=html".to_string()),
        Just("why-not?outcome=restitution_amount&value=1".to_string()),
        Just("what-if".to_string()),
        Just("schema".to_string()),
        Just("examples".to_string()),
        Just("../../etc/passwd".to_string()),
        Just("%2e%2e/%2e%2e/Cargo.toml".to_string()),
        "[a-z0-9/._%-]{0,16}",
    ];
    let query = prop_oneof![
        Just(String::new()),
        Just("?trace=false".to_string()),
        Just("?as_of=1990-01-01".to_string()),
        Just("?as_of=2018-12-06&trace=true".to_string()),
        "\\?[a-z_=&0-9%-]{0,20}",
    ];
    (head, tail, query).prop_map(|(h, t, q)| format!("{h}{t}{q}"))
}

fn any_method() -> impl Strategy<Value = Method> {
    prop_oneof![
        3 => Just(Method::POST),
        2 => Just(Method::GET),
        1 => Just(Method::PUT),
        1 => Just(Method::DELETE),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Random methods, paths, queries and bytes.
    #[test]
    fn random_requests_are_answered_in_json(
        method in any_method(),
        uri in any_uri(),
        body in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let (status, out) = send(method, &uri, body);
        assert_well_formed(&uri, status, &out);
    }

    /// Facts of the corpus, one value replaced by random JSON, to `evaluate` and to `batch`.
    #[test]
    fn mutated_facts_are_evaluated_or_refused_with_a_path(
        which in 0usize..100,
        at in 0usize..1000,
        with in any_json(),
        trace in any::<bool>(),
    ) {
        let body = mutated_case(which, at, with);
        let uri = format!("/v1/statutes/usc/18/2259/evaluate?trace={trace}");
        let (status, out) = send(Method::POST, &uri, body.clone());
        assert_well_formed(&uri, status, &out);
        prop_assert!(status == StatusCode::OK || status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{status}: {}", String::from_utf8_lossy(&out));

        let uri = "/v1/statutes/usc/18/2259/explain?format=text";
        let (status, out) = send(Method::POST, uri, body.clone());
        assert_well_formed(uri, status, &out);

        let mut lines = body;
        lines.push(b'\n');
        let (status, out) = send(Method::POST, "/v1/statutes/usc/18/2259/batch", lines);
        prop_assert_eq!(status, StatusCode::OK);
        assert_well_formed("/v1/statutes/usc/18/2259/batch", status, &out);
        prop_assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
    }
}

/// A body past the limit is 413 in JSON, whatever the endpoint.
#[test]
fn a_body_past_the_limit_is_413() {
    let body = vec![b' '; config().max_body + 1];
    for uri in [
        "/v1/statutes/usc/18/2259/evaluate",
        "/v1/statutes/usc/18/2259/batch",
    ] {
        let (status, out) = send(Method::POST, uri, body.clone());
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}");
        assert_well_formed(uri, status, &out);
    }
}

/// A method an endpoint does not take is 405 in JSON.
#[test]
fn a_wrong_method_is_405_in_json() {
    let (status, out) = send(Method::DELETE, "/v1/statutes", Vec::new());
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_well_formed("/v1/statutes", status, &out);
}
