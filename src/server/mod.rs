//! `lawcode serve`: the rule sets of a directory over HTTP (axum on tokio).
//!
//! Every rule file under the rules directory that has a `statute` header is loaded once at
//! start, under its id (its path without `.law`: `usc/18/2259`), and again on SIGHUP: a reload
//! that fails keeps the rules in use and logs why. Requests name statutes by id and are looked
//! up in that set only, so no request can name a file. Evaluation is CPU work: it runs on
//! tokio's blocking pool, under a per-request timeout; past the concurrency limit a request is
//! refused at once with 503 and `Retry-After`, rather than queued without bound. Bodies are
//! limited (413). Every error is `{"error": {"code", "message", "help"?, "path"?}}`.

use crate::eval::EvalOptions;
use crate::eval::Program;
use crate::render;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value as J, json};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::Semaphore;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The directory searched (at any depth) for rule files.
    pub rules: PathBuf,
    /// Where bundled example facts are read from (`*.json`); each is offered for the statutes
    /// whose facts reader accepts it.
    pub examples: Option<PathBuf>,
    /// The address to listen on.
    pub addr: SocketAddr,
    /// The largest request body, in bytes.
    pub max_body: usize,
    /// The longest a request may take.
    pub timeout: Duration,
    /// Requests evaluated at once; more are refused with 503.
    pub concurrency: usize,
    /// The one origin allowed cross-origin requests; none when `None`.
    pub cors: Option<String>,
    /// The least severe log lines written to stderr: `Info` logs every request (method, path,
    /// status, latency); `Warn` only what went wrong.
    pub log: LogLevel,
}

/// How much the server logs (to stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogLevel {
    /// Errors alone: a failed reload, a bug answered as a 500.
    Error,
    /// Errors, and requests answered with a 5xx status.
    Warn,
    /// Start, reload and stop, and one line per request.
    #[default]
    Info,
    /// Everything, including when each request starts.
    Debug,
}

impl std::str::FromStr for LogLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "error" => Ok(LogLevel::Error),
            "warn" => Ok(LogLevel::Warn),
            "info" => Ok(LogLevel::Info),
            "debug" => Ok(LogLevel::Debug),
            _ => Err(format!(
                "`{s}` is not a log level: error, warn, info or debug"
            )),
        }
    }
}

impl LogLevel {
    fn tracing(self) -> tracing::Level {
        match self {
            LogLevel::Error => tracing::Level::ERROR,
            LogLevel::Warn => tracing::Level::WARN,
            LogLevel::Info => tracing::Level::INFO,
            LogLevel::Debug => tracing::Level::DEBUG,
        }
    }
}

/// One loaded rule set.
struct Statute {
    program: Program,
    /// The bundled examples its facts reader accepts, by name.
    examples: BTreeMap<String, J>,
}

/// Every rule set the server answers for, by id.
#[derive(Default)]
struct Catalog {
    statutes: BTreeMap<String, Statute>,
}

struct AppState {
    catalog: RwLock<Arc<Catalog>>,
    permits: Arc<Semaphore>,
    timeout: Duration,
}

/// Loads every rule set under `config.rules`; a file that fails to load fails the whole load
/// (the message names it), except data files without a `statute` header, which are imports.
fn load_catalog(config: &Config) -> Result<Catalog, String> {
    let mut catalog = Catalog::default();
    let files = crate::format::files::law_files(std::slice::from_ref(&config.rules))
        .map_err(|e| format!("cannot list {}: {e}", config.rules.display()))?;
    let examples = read_examples(config.examples.as_deref());
    for path in files {
        let id = path
            .strip_prefix(&config.rules)
            .unwrap_or(&path)
            .with_extension("")
            .to_string_lossy()
            .replace('\\', "/");
        match crate::pipeline::load_program(&path) {
            Ok((program, _)) => {
                let examples = examples
                    .iter()
                    .filter(|(_, (text, _))| program.read_facts("example.json", text).is_ok())
                    .map(|(name, (_, json))| (name.clone(), json.clone()))
                    .collect();
                catalog.statutes.insert(id, Statute { program, examples });
            }
            Err(crate::pipeline::Error::Check(problems))
                if problems
                    .problems
                    .iter()
                    .all(|p| p.code == crate::check::codes::NO_STATUTE) => {}
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
    }
    Ok(catalog)
}

fn read_examples(dir: Option<&Path>) -> BTreeMap<String, (String, J)> {
    let mut out = BTreeMap::new();
    let Some(entries) = dir.and_then(|d| std::fs::read_dir(d).ok()) else {
        return out;
    };
    // The examples of other statutes stand one folder down (`examples/usc-18-2248/…`); each
    // statute is offered the ones its facts reader accepts.
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Ok(inner) = std::fs::read_dir(&path) {
                paths.extend(inner.flatten().map(|e| e.path()));
            }
        } else {
            paths.push(path);
        }
    }
    for path in paths {
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if let (Some(name), Ok(json)) = (
            path.file_stem().map(|s| s.to_string_lossy().into_owned()),
            serde_json::from_str::<J>(&text),
        ) {
            out.insert(name, (text, json));
        }
    }
    out
}

/// An error response: `{"error": {"code", "message", …}}` with `status`.
fn error(status: StatusCode, code: &str, message: impl Into<String>, extra: J) -> Response {
    let mut body = json!({ "code": code, "message": message.into() });
    if let (J::Object(b), J::Object(x)) = (&mut body, extra) {
        b.extend(x);
    }
    (status, axum::Json(json!({ "error": body }))).into_response()
}

fn not_found(id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "lawcode::serve::unknown_statute",
        format!("no statute `{id}` is loaded"),
        json!({ "help": "GET /v1/statutes lists the statutes this server answers for" }),
    )
}

fn json_response(value: &J) -> Response {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    ([(header::CONTENT_TYPE, "application/json")], text).into_response()
}

/// The explainer page (`web/`), embedded in the binary: no files are read to serve it.
const PAGE: &str = include_str!("../../web/index.html");
const APP_JS: &str = include_str!("../../web/app.js");
const STYLE_CSS: &str = include_str!("../../web/style.css");

fn page(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// Builds the application: its routes and limits, for `config`.
fn app(state: Arc<AppState>, config: &Config) -> Router {
    let mut router = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/", get(|| async { page("text/html; charset=utf-8", PAGE) }))
        .route(
            "/assets/app.js",
            get(|| async { page("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/assets/style.css",
            get(|| async { page("text/css; charset=utf-8", STYLE_CSS) }),
        )
        .route("/v1/statutes", get(list))
        .route("/v1/statutes/{*rest}", get(get_statute).post(post_statute))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "lawcode::serve::unknown_endpoint",
                "no such endpoint",
                json!({ "help": "GET /v1/statutes, /v1/statutes/{id}/schema or /examples; POST /v1/statutes/{id}/evaluate or /batch; GET /healthz" }),
            )
        })
        .method_not_allowed_fallback(|| async {
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                "lawcode::serve::method_not_allowed",
                "this endpoint does not take that method",
                json!({ "help": "GET /v1/statutes, …/schema, …/examples and /healthz; POST …/evaluate, …/explain and …/batch" }),
            )
        })
        .with_state(state)
        .layer(DefaultBodyLimit::max(config.max_body))
        .layer(request_log());
    if let Some(origin) = &config.cors {
        if let Ok(origin) = HeaderValue::from_str(origin) {
            router = router.layer(
                tower_http::cors::CorsLayer::new()
                    .allow_origin(origin)
                    .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
                    .allow_headers([header::CONTENT_TYPE]),
            );
        }
    }
    router
}

/// One log line per request at `info` (method, path, status, latency in the request's span);
/// a 5xx answer at `warn`; the request's start at `debug`.
fn request_log() -> tower_http::trace::TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
> {
    use tower_http::trace::{
        DefaultMakeSpan, DefaultOnFailure, DefaultOnRequest, DefaultOnResponse,
    };
    tower_http::trace::TraceLayer::new_for_http()
        .make_span_with(DefaultMakeSpan::new().level(tracing::Level::INFO))
        .on_request(DefaultOnRequest::new().level(tracing::Level::DEBUG))
        .on_response(
            DefaultOnResponse::new()
                .level(tracing::Level::INFO)
                .latency_unit(tower_http::LatencyUnit::Micros),
        )
        .on_failure(DefaultOnFailure::new().level(tracing::Level::WARN))
}

fn catalog(state: &AppState) -> Arc<Catalog> {
    match state.catalog.read() {
        Ok(c) => Arc::clone(&c),
        Err(poisoned) => Arc::clone(&poisoned.into_inner()),
    }
}

async fn list(State(state): State<Arc<AppState>>) -> Response {
    let catalog = catalog(&state);
    let statutes: Vec<J> = catalog
        .statutes
        .iter()
        .map(|(id, s)| {
            let p = &s.program;
            json!({
                "id": id,
                "citation": p.statute().citation,
                "title": p.statute().title,
                "versions": p.versions().iter().map(|v| json!({
                    "name": v.name,
                    "effective": v.effective.to_string(),
                    "enacted_by": v.enacted_by,
                })).collect::<Vec<_>>(),
                "outcomes": p.outcomes().iter().map(|o| json!({
                    "name": o.name,
                    "type": o.ty.to_string(),
                    "description": o.description,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json_response(&json!({ "statutes": statutes }))
}

/// `usc/18/2259/schema` → (`usc/18/2259`, `schema`).
fn split(rest: &str) -> (&str, &str) {
    rest.rsplit_once('/').unwrap_or((rest, ""))
}

/// A path that does not decode (`%aa` is not UTF-8) names no endpoint.
fn undecodable(e: &axum::extract::rejection::PathRejection) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "lawcode::serve::unknown_endpoint",
        format!("no such endpoint: {}", e.body_text()),
        json!({ "help": "statute ids are paths like usc/18/2259; GET /v1/statutes lists them" }),
    )
}

async fn get_statute(
    State(state): State<Arc<AppState>>,
    rest: Result<UrlPath<String>, axum::extract::rejection::PathRejection>,
) -> Response {
    let rest = match rest {
        Ok(UrlPath(rest)) => rest,
        Err(e) => return undecodable(&e),
    };
    let (id, what) = split(&rest);
    let catalog = catalog(&state);
    let Some(statute) = catalog.statutes.get(id) else {
        return not_found(id);
    };
    match what {
        "schema" => json_response(&crate::tools::schema::facts_schema(&statute.program, id)),
        "examples" => json_response(&json!({
            "examples": statute.examples.iter()
                .map(|(name, facts)| json!({ "name": name, "facts": facts }))
                .collect::<Vec<_>>(),
        })),
        _ => error(
            StatusCode::NOT_FOUND,
            "lawcode::serve::unknown_endpoint",
            format!("`{what}` is not something to GET of a statute"),
            json!({ "help": "GET …/schema or …/examples; POST …/evaluate or …/batch" }),
        ),
    }
}

/// The query of `evaluate`, `explain` and `batch`.
#[derive(Debug, serde::Deserialize)]
struct EvalQuery {
    as_of: Option<String>,
    trace: Option<bool>,
    /// `explain`'s format: `markdown` (the default), `html` or `text`.
    format: Option<String>,
    /// `explain`: only the provisions that decided this outcome; `why-not`: the outcome asked
    /// about.
    outcome: Option<String>,
    /// `why-not`: the value asked about (a JSON literal, else a string).
    value: Option<String>,
    /// `explain`: the full memo (every provision quoted) rather than the one-page memo.
    full: Option<bool>,
}

/// What a POST about one case answers.
enum Answer {
    /// The contract's JSON (`…/evaluate`).
    Contract,
    /// The decision memo (`…/explain`).
    Memo(Explain),
    /// Why an outcome is not a value (`…/why-not`).
    WhyNot { outcome: String, value: J },
    /// The outcomes with some facts changed (`…/what-if`; the body is `{"facts", "set"}`).
    WhatIf,
}

async fn post_statute(
    State(state): State<Arc<AppState>>,
    rest: Result<UrlPath<String>, axum::extract::rejection::PathRejection>,
    query: Result<Query<EvalQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let rest = match rest {
        Ok(UrlPath(rest)) => rest,
        Err(e) => return undecodable(&e),
    };
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "lawcode::serve::too_large",
                "the body is larger than this server accepts",
                json!({ "help": "send less, or start the server with a larger --max-body" }),
            );
        }
        Err(e) => {
            return error(
                e.status(),
                "lawcode::serve::bad_body",
                e.body_text(),
                J::Null,
            );
        }
    };
    let (id, what) = split(&rest);
    let catalog = catalog(&state);
    if !catalog.statutes.contains_key(id) {
        return not_found(id);
    }
    if !matches!(
        what,
        "evaluate" | "batch" | "explain" | "why-not" | "what-if"
    ) {
        return error(
            StatusCode::NOT_FOUND,
            "lawcode::serve::unknown_endpoint",
            format!("`{what}` is not something to POST to a statute"),
            json!({ "help": "POST …/evaluate (one case), …/explain (its memo), …/why-not, …/what-if or …/batch (JSON Lines)" }),
        );
    }
    let Ok(Query(query)) = query else {
        return error(
            StatusCode::BAD_REQUEST,
            "lawcode::serve::bad_query",
            "the query is not `as_of=YYYY-MM-DD&trace=true|false` (and for explain `format=markdown|html|text&outcome=NAME`)",
            J::Null,
        );
    };
    let as_of = match query
        .as_of
        .as_deref()
        .map(crate::tools::rule_source::parse_date)
    {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "lawcode::source::bad_date",
                e.to_string(),
                J::Null,
            );
        }
    };
    // Past the limit, refused at once: a client backs off rather than piling up.
    let Ok(permit) = Arc::clone(&state.permits).try_acquire_owned() else {
        let mut r = error(
            StatusCode::SERVICE_UNAVAILABLE,
            "lawcode::serve::busy",
            "the server is evaluating as many requests as it may; try again shortly",
            J::Null,
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return r;
    };
    let answer = match what {
        "explain" => match Explain::new(&query) {
            Ok(e) => Answer::Memo(e),
            Err(refused) => return refused,
        },
        "why-not" => match (&query.outcome, &query.value) {
            (Some(outcome), Some(value)) => Answer::WhyNot {
                outcome: outcome.clone(),
                value: serde_json::from_str(value).unwrap_or_else(|_| J::String(value.clone())),
            },
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "lawcode::serve::bad_query",
                    "why-not needs `outcome=NAME&value=VALUE`",
                    json!({ "help": "POST …/why-not?outcome=restitution_amount&value=1200.00 with the facts as the body" }),
                );
            }
        },
        "what-if" => Answer::WhatIf,
        _ => Answer::Contract,
    };
    let id = id.to_string();
    let batch = what == "batch";
    let trace = !matches!(answer, Answer::Contract) || query.trace.unwrap_or(!batch);
    let options = EvalOptions { trace, as_of };
    let before_first_version = move |program: &Program| {
        let date = as_of?;
        let e = crate::tools::rule_source::check_as_of(program, date).err()?;
        Some(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "lawcode::source::before_first_version",
            e.to_string(),
            J::Null,
        ))
    };
    if batch {
        let Some(statute) = catalog.statutes.get(&id) else {
            return not_found(&id);
        };
        if let Some(refused) = before_first_version(&statute.program) {
            return refused;
        }
        return stream_batch(catalog, id, options, body, permit, state.timeout);
    }
    let work = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let Some(statute) = catalog.statutes.get(&id) else {
            return not_found(&id);
        };
        if let Some(refused) = before_first_version(&statute.program) {
            return refused;
        }
        match answer {
            Answer::WhatIf => what_if_one(&statute.program, options, &body),
            answer => evaluate_one(&statute.program, options, &body, &answer),
        }
    });
    match tokio::time::timeout(state.timeout, work).await {
        Ok(Ok(response)) => response,
        Ok(Err(_)) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "lawcode::serve::internal",
            "the request could not be answered; this is a bug in lawcode",
            J::Null,
        ),
        Err(_) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "lawcode::serve::timeout",
            format!(
                "the request took longer than {} ms",
                state.timeout.as_millis()
            ),
            J::Null,
        ),
    }
}

/// What `…/explain` writes: the memo in a format, of every outcome or one.
struct Explain {
    format: &'static str,
    outcomes: Vec<String>,
    full: bool,
}

impl Explain {
    fn new(query: &EvalQuery) -> Result<Explain, Response> {
        let format = match query.format.as_deref() {
            None | Some("markdown") => "markdown",
            Some("html") => "html",
            Some("text") => "text",
            Some(other) => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "lawcode::serve::bad_query",
                    format!("`{other}` is not a format of the memo"),
                    json!({ "help": "format=markdown (the default), html or text" }),
                ));
            }
        };
        Ok(Explain {
            format,
            outcomes: query.outcome.iter().cloned().collect(),
            full: query.full.unwrap_or(false),
        })
    }

    fn respond(&self, program: &Program, result: &crate::eval::Evaluation) -> Response {
        if let Err(p) = render::View::new(program, self.outcomes.clone(), false) {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                p.code,
                p.message,
                json!({ "help": p.help }),
            );
        }
        let memo = if self.full {
            render::memo::Memo::full(program, result, &self.outcomes)
        } else {
            render::memo::Memo::new(program, result, &self.outcomes)
        };
        let Some(memo) = memo else {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "lawcode::serve::internal",
                "the evaluation kept no trace to explain; this is a bug in lawcode",
                J::Null,
            );
        };
        let (content_type, body) = match self.format {
            "html" => ("text/html; charset=utf-8", memo.html()),
            "text" => ("text/plain; charset=utf-8", memo.text()),
            _ => ("text/markdown; charset=utf-8", memo.markdown()),
        };
        ([(header::CONTENT_TYPE, content_type)], body).into_response()
    }
}

fn evaluate_one(program: &Program, options: EvalOptions, body: &[u8], answer: &Answer) -> Response {
    let text = match std::str::from_utf8(body) {
        Ok(t) => t,
        Err(e) => {
            let p = crate::facts::not_utf8("the body", body, e);
            return error(StatusCode::BAD_REQUEST, p.code, p.message, J::Null);
        }
    };
    let facts = match program.read_facts("body.json", text) {
        Ok(f) => f,
        Err(e) => return facts_error(&e),
    };
    let result = match program.evaluate(&facts, options) {
        Ok(r) => r,
        Err(p) => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                p.code,
                p.message.clone(),
                json!({ "help": p.help }),
            );
        }
    };
    match answer {
        Answer::Memo(e) => return e.respond(program, &result),
        Answer::WhyNot { outcome, value } => {
            return match render::why_not::WhyNot::new(program, &result, outcome, value.clone()) {
                Ok(w) => json_response(&serde_json::to_value(&w).unwrap_or_default()),
                Err(p) => error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    p.code,
                    p.message,
                    json!({ "help": p.help }),
                ),
            };
        }
        Answer::Contract | Answer::WhatIf => {}
    }
    match render::View::new(program, Vec::new(), false) {
        Ok(view) => json_response(&render::evaluation_json_with(&result, &view)),
        Err(p) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            p.code,
            p.message,
            J::Null,
        ),
    }
}

/// `…/what-if`: the body is `{"facts": {…}, "set": {"PATH": VALUE, …}}`; the answer is what
/// `lawcode what-if --format json` prints.
fn what_if_one(program: &Program, options: EvalOptions, body: &[u8]) -> Response {
    let shape = || {
        error(
            StatusCode::BAD_REQUEST,
            "lawcode::serve::bad_body",
            "the body of what-if is `{\"facts\": {…}, \"set\": {\"PATH\": VALUE, …}}`",
            json!({ "help": "put the case under `facts` and each change under `set`, e.g. {\"set\": {\"court.relative_role_amount\": \"5000\"}}" }),
        )
    };
    let Ok(J::Object(doc)) = serde_json::from_slice::<J>(body) else {
        return shape();
    };
    let (Some(facts), Some(J::Object(sets))) = (doc.get("facts"), doc.get("set")) else {
        return shape();
    };
    let mut assignments = Vec::new();
    for (path, value) in sets {
        match crate::facts::set::parse_path(path) {
            Ok(steps) => assignments.push(crate::facts::set::Assignment {
                path_text: path.clone(),
                path: steps,
                value: value.clone(),
            }),
            Err(p) => {
                return error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    p.code,
                    p.message,
                    json!({ "help": p.help, "path": path }),
                );
            }
        }
    }
    let text = serde_json::to_string_pretty(facts).unwrap_or_default();
    match crate::tools::what_if::what_if(program, "facts", &text, &assignments, options.as_of) {
        Ok(report) => json_response(&serde_json::to_value(&report).unwrap_or_default()),
        Err(crate::pipeline::Error::Facts(e)) => facts_error(&e),
        Err(e) => {
            // An evaluation error (overflow, a missing table row): its own code.
            let code = miette::Diagnostic::code(&e)
                .map(|c| c.to_string())
                .unwrap_or_else(|| "lawcode::serve::internal".to_string());
            let help = miette::Diagnostic::help(&e).map(|h| h.to_string());
            error(
                StatusCode::UNPROCESSABLE_ENTITY,
                &code,
                e.to_string(),
                json!({ "help": help }),
            )
        }
    }
}

/// 400 for a body that is not JSON, 422 for facts the rules refuse; every problem listed with
/// its fact path.
fn facts_error(e: &crate::facts::FactsError) -> Response {
    let problems: Vec<J> = e
        .problems
        .iter()
        .map(|p| {
            json!({
                "code": p.code,
                "message": p.message,
                "help": p.help,
                "path": p.fact_path,
            })
        })
        .collect();
    let Some(first) = e.problems.first() else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "lawcode::serve::internal",
            e.summary.clone(),
            J::Null,
        );
    };
    let status = if first.kind() == Some(crate::facts::FactsKind::JsonSyntax)
        || first.kind() == Some(crate::facts::FactsKind::NotAnObject)
        || first.kind() == Some(crate::facts::FactsKind::Empty)
    {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    error(
        status,
        first.code,
        first.message.clone(),
        json!({ "help": first.help, "path": first.fact_path, "problems": problems }),
    )
}

/// `…/batch`: the results are streamed as they are written, in chunks, so a large batch is
/// never held whole in memory. The status is sent before the first line is evaluated, so the
/// request's time limit ends the stream with one last error line
/// (`{"error": {"code": "lawcode::serve::timeout", …}}`) rather than a 503; a client that goes
/// away stops the evaluation at its next chunk.
fn stream_batch(
    catalog: Arc<Catalog>,
    id: String,
    options: EvalOptions,
    body: Bytes,
    permit: tokio::sync::OwnedSemaphorePermit,
    timeout: Duration,
) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(STREAM_CHUNKS_IN_FLIGHT);
    let deadline = std::time::Instant::now() + timeout;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let Some(statute) = catalog.statutes.get(&id) else {
            return;
        };
        let mut out = ChunkWriter {
            tx,
            buffer: Vec::new(),
            deadline,
        };
        let options = crate::tools::batch::BatchOptions {
            eval: options,
            threads: 1,
        };
        match crate::tools::batch::run(&statute.program, &body[..], &mut out, options, None) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                let line = json!({ "error": {
                    "code": "lawcode::serve::timeout",
                    "message": format!("the batch took longer than {} ms; the lines above are all that were evaluated", timeout.as_millis()),
                    "help": "send fewer lines per request, or start the server with a larger --timeout-ms",
                }});
                out.buffer.clear();
                let _ = out.tx.blocking_send(Bytes::from(format!("{line}\n")));
            }
            // The client went away: nobody is left to tell.
            Err(_) => {}
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let chunk = rx.recv().await?;
        Some((Ok::<_, std::io::Error>(chunk), rx))
    });
    (
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        axum::body::Body::from_stream(stream),
    )
        .into_response()
}

/// Chunks of a streamed batch that may wait for a slow client.
const STREAM_CHUNKS_IN_FLIGHT: usize = 4;
/// The size at which a streamed batch's output is sent on.
const STREAM_CHUNK_BYTES: usize = 64 * 1024;

/// The output of a streamed batch: bytes gathered into chunks and sent to the response body.
struct ChunkWriter {
    tx: tokio::sync::mpsc::Sender<Bytes>,
    buffer: Vec<u8>,
    deadline: std::time::Instant,
}

impl ChunkWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buffer));
        self.tx.blocking_send(chunk).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })
    }
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if std::time::Instant::now() > self.deadline {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the batch's time is up",
            ));
        }
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= STREAM_CHUNK_BYTES {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// Runs the server until SIGTERM or Ctrl-C (finishing the requests in flight), reloading the
/// rules on SIGHUP. Reports `ready` (the address bound) once it listens.
pub fn run(config: Config, ready: impl FnOnce(SocketAddr)) -> Result<(), String> {
    let catalog = load_catalog(&config)?;
    if catalog.statutes.is_empty() {
        return Err(format!(
            "no rule file with a statute header under {}",
            config.rules.display()
        ));
    }
    let _ = tracing_subscriber::fmt()
        .with_max_level(config.log.tracing())
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let state = Arc::new(AppState {
            catalog: RwLock::new(Arc::new(catalog)),
            permits: Arc::new(Semaphore::new(config.concurrency.max(1))),
            timeout: config.timeout,
        });
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        tracing::info!(%addr, "listening");
        ready(addr);
        tokio::spawn(reload_on_hangup(Arc::clone(&state), config.clone()));
        let app = app(state, &config);
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| format!("the server stopped: {e}"))
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

async fn reload_on_hangup(state: Arc<AppState>, config: Config) {
    #[cfg(unix)]
    {
        let Ok(mut hangup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hangup.recv().await.is_some() {
            let config = config.clone();
            match tokio::task::spawn_blocking(move || load_catalog(&config)).await {
                Ok(Ok(catalog)) if !catalog.statutes.is_empty() => {
                    let n = catalog.statutes.len();
                    if let Ok(mut c) = state.catalog.write() {
                        *c = Arc::new(catalog);
                    }
                    tracing::info!(statutes = n, "reloaded the rules");
                }
                Ok(Ok(_)) => tracing::error!("reload found no statute; keeping the rules in use"),
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "reload failed; keeping the rules in use")
                }
                Err(e) => tracing::error!(error = %e, "reload failed; keeping the rules in use"),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (state, config);
}

#[cfg(test)]
mod tests;
