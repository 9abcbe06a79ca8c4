//! `lawcode serve` on loopback: the binary started on a free port, spoken to over HTTP. The
//! answers, the error shapes and statuses, and the limits (body, concurrency, time), each with
//! a test; the server ends cleanly on SIGTERM.

use crate::support::{lawcode_in, repo, stdout_of};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    base: String,
    /// The server's stderr (its log), line by line, after the line saying where it listens.
    log: std::sync::mpsc::Receiver<String>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lawcode"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .current_dir(repo())
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let (log_tx, log) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                if let Some(addr) = line.strip_prefix("lawcode serve: listening on ") {
                    let _ = tx.send(addr.to_string());
                } else {
                    let _ = log_tx.send(line);
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the server did not start listening");
        Server { child, base, log }
    }

    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into()
    }

    fn get(&self, path: &str) -> (u16, Value) {
        let mut r = Self::agent()
            .get(&format!("{}{path}", self.base))
            .call()
            .unwrap();
        let status = r.status().as_u16();
        let text = r.body_mut().read_to_string().unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    fn post(&self, path: &str, body: &[u8]) -> (u16, String, Option<String>) {
        post(&self.base, path, body)
    }
}

/// POSTs `body` to `base` + `path`: the status, the body, and `Retry-After` if any.
fn post(base: &str, path: &str, body: &[u8]) -> (u16, String, Option<String>) {
    {
        let mut r = Server::agent()
            .post(&format!("{base}{path}"))
            .send(body)
            .unwrap();
        let status = r.status().as_u16();
        let retry = r
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        let text = r
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_string()
            .unwrap();
        (status, text, retry)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const EVALUATE: &str = "/v1/statutes/usc/18/2259/evaluate";

#[test]
fn statutes_schema_examples_and_evaluate_as_the_cli_does() {
    let server = Server::start(&[]);
    let (status, list) = server.get("/v1/statutes");
    assert_eq!(status, 200);
    // Each request is logged (`--log info`, the default): method, path, status, latency.
    let logged = std::iter::from_fn(|| server.log.recv_timeout(Duration::from_secs(10)).ok())
        .find(|l| l.contains("uri=/v1/statutes ") && l.contains("status=200"))
        .expect("the request was not logged");
    assert!(
        logged.contains("method=GET") && logged.contains("latency="),
        "{logged}"
    );
    let statute = list["statutes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "usc/18/2259")
        .unwrap();
    assert_eq!(statute["citation"], "18 U.S.C. § 2259");
    assert_eq!(statute["versions"][1]["effective"], "2018-12-07");
    assert!(
        statute["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["name"] == "restitution_amount")
    );
    // The data files and the loss library (no statute header) are imports, not statutes.
    let ids: Vec<&str> = list["statutes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["usc/18/1593", "usc/18/2248", "usc/18/2259"]);

    let (status, schema) = server.get("/v1/statutes/usc/18/2259/schema");
    assert_eq!(status, 200);
    let cli = lawcode_in(repo(), &["schema", "rules/usc/18/2259.law"]);
    assert_eq!(
        schema,
        serde_json::from_str::<Value>(&stdout_of(&cli)).unwrap()
    );

    let (status, examples) = server.get("/v1/statutes/usc/18/2259/examples");
    assert_eq!(status, 200);
    assert!(
        examples["examples"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "trafficking-floor")
    );
    // Each statute is offered the examples its facts reader accepts, subfolders included.
    let names = |examples: &Value| -> Vec<String> {
        examples["examples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    let (status, examples) = server.get("/v1/statutes/usc/18/2248/examples");
    assert_eq!(status, 200);
    let names = names(&examples);
    assert!(
        names.contains(&"aggravated-sexual-abuse".to_string()),
        "{names:?}"
    );
    // A § 2259 example with a `court` object is no § 2248 case.
    assert!(
        !names.contains(&"trafficking-floor".to_string()),
        "{names:?}"
    );

    // Byte for byte what `lawcode eval --format json` prints, with and without the trace.
    let facts = std::fs::read(repo().join("examples/trafficking-floor.json")).unwrap();
    for (query, extra) in [
        ("", None),
        ("?trace=false", Some("--no-trace")),
        ("?as_of=2018-12-06", None),
    ] {
        let (status, body, _) = server.post(&format!("{EVALUATE}{query}"), &facts);
        assert_eq!(status, 200, "{body}");
        let mut args = vec![
            "eval",
            "rules/usc/18/2259.law",
            "--facts",
            "examples/trafficking-floor.json",
            "--format",
            "json",
        ];
        args.extend(extra);
        if query.contains("as_of") {
            args.extend(["--as-of", "2018-12-06"]);
        }
        assert_eq!(body, stdout_of(&lawcode_in(repo(), &args)), "{query}");
    }

    // The memo, as `lawcode explain` writes it, in each format.
    for (format, args) in [
        ("markdown", vec![]),
        ("html", vec!["--format", "html"]),
        ("text", vec!["--format", "text"]),
        ("markdown&full=true", vec!["--full"]),
    ] {
        let (status, body, _) = server.post(
            &format!("/v1/statutes/usc/18/2259/explain?format={format}"),
            &facts,
        );
        assert_eq!(status, 200, "{body}");
        let mut cli = vec![
            "explain",
            "rules/usc/18/2259.law",
            "--facts",
            "examples/trafficking-floor.json",
        ];
        cli.extend(args);
        assert_eq!(body, stdout_of(&lawcode_in(repo(), &cli)), "{format}");
    }
    let (status, body, _) = server.post("/v1/statutes/usc/18/2259/explain?format=pdf", &facts);
    assert_eq!(status, 400, "{body}");
    let (status, body, _) = server.post(
        "/v1/statutes/usc/18/2259/explain?outcome=restitution_amont",
        &facts,
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("restitution_amount"), "{body}");

    // Why not, and what if: as `lawcode explain --why-not` and `lawcode what-if` print them.
    let (status, body, _) = server.post(
        "/v1/statutes/usc/18/2259/why-not?outcome=restitution_amount&value=1200.00",
        &facts,
    );
    assert_eq!(status, 200, "{body}");
    let cli = stdout_of(&lawcode_in(
        repo(),
        &[
            "explain",
            "rules/usc/18/2259.law",
            "--facts",
            "examples/trafficking-floor.json",
            "--why-not",
            "restitution_amount=1200.00",
            "--format",
            "json",
        ],
    ));
    assert_eq!(body, cli);
    let case: Value = serde_json::from_slice(&facts).unwrap();
    let request =
        serde_json::json!({ "facts": case, "set": { "court.relative_role_amount": "5000" } });
    let (status, body, _) = server.post(
        "/v1/statutes/usc/18/2259/what-if",
        request.to_string().as_bytes(),
    );
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["changed"], serde_json::json!(["restitution_amount"]));
    assert_eq!(answer["outcomes"][5]["after"], "5000.00");
    let bad = serde_json::json!({ "facts": {}, "set": { "victim.losses[9].amount": 1 } });
    let (status, body, _) = server.post(
        "/v1/statutes/usc/18/2259/what-if",
        bad.to_string().as_bytes(),
    );
    assert_eq!(status, 422, "{body}");
    let (status, _, _) = server.post("/v1/statutes/usc/18/2259/what-if", b"{}");
    assert_eq!(status, 400);
    let (status, _, _) = server.post("/v1/statutes/usc/18/2259/why-not", &facts);
    assert_eq!(status, 400);

    // A batch: JSON Lines in, one result per line out, in order.
    let lines = b"{\"offense_date\": \"2019-05-01\", \"convictions\": [{\"section\": \"2252\"}], \"victim\": {}, \"court\": {}}\nnot json\n";
    let (status, body, _) = server.post("/v1/statutes/usc/18/2259/batch", lines);
    assert_eq!(status, 200);
    let out: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0]["statute"], "18 U.S.C. § 2259");
    assert!(
        out[1]["error"]["code"]
            .as_str()
            .unwrap()
            .starts_with("lawcode::facts::")
    );
    assert_eq!(server.get("/healthz").0, 200);

    // The explainer page and its assets, embedded in the binary.
    for (path, kind, needle) in [
        ("/", "text/html", "id=\"statute\""),
        ("/assets/app.js", "text/javascript", "/v1/statutes"),
        ("/assets/style.css", "text/css", "@media print"),
    ] {
        let mut r = Server::agent()
            .get(&format!("{}{path}", server.base))
            .call()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
        let ct = r
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(ct.starts_with(kind), "{path}: {ct}");
        assert!(
            r.body_mut().read_to_string().unwrap().contains(needle),
            "{path}"
        );
    }
}

#[test]
fn errors_are_json_with_the_status_that_fits() {
    let server = Server::start(&["--max-body", "2048"]);
    let error_of =
        |body: &str| -> Value { serde_json::from_str::<Value>(body).unwrap()["error"].clone() };

    let (status, body, _) = server.post(EVALUATE, b"{ not json");
    assert_eq!(status, 400);
    assert_eq!(error_of(&body)["code"], "lawcode::facts::json_syntax");

    let (status, body, _) =
        server.post(EVALUATE, br#"{"offense_date": "2020-01-01", "victm": {}}"#);
    assert_eq!(status, 422);
    let e = error_of(&body);
    assert_eq!(e["code"], "lawcode::facts::unknown_key");
    assert_eq!(e["path"], "victm");
    assert_eq!(e["help"], "did you mean `victim`?");
    let problems = e["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p["code"] == "lawcode::facts::missing_required" && p["path"] == "convictions"),
        "{e}"
    );

    let (status, body, _) = server.post(EVALUATE, &vec![b' '; 4096]);
    assert_eq!(status, 413);
    assert_eq!(error_of(&body)["code"], "lawcode::serve::too_large");

    // Statutes are looked up in the loaded set only: no request names a file.
    for path in [
        "/v1/statutes/../../etc/passwd/schema",
        "/v1/statutes/%2e%2e/%2e%2e/etc/passwd/schema",
        "/v1/statutes/data/cpi-u/schema",
        "/v1/statutes/usc/18/9999/schema",
        "/v1/nothing",
    ] {
        let (status, body) = server.get(path);
        assert_eq!(status, 404, "{path}");
        assert!(
            body["error"]["code"]
                .as_str()
                .unwrap()
                .starts_with("lawcode::serve::"),
            "{path}: {body}"
        );
    }
    let (status, body, _) = server.post(&format!("{EVALUATE}?as_of=2019-02-30"), b"{}");
    assert_eq!(status, 400);
    assert_eq!(error_of(&body)["code"], "lawcode::source::bad_date");
}

/// Past the concurrency limit a request is refused at once with 503 and `Retry-After`; past the
/// time limit, 503 too. Neither ends the server.
#[test]
fn concurrency_and_time_limits() {
    let server = Server::start(&[
        "--concurrency",
        "1",
        "--max-body",
        "104857600",
        "--timeout-ms",
        "300000",
    ]);
    let mut g = crate::generate::Generator::new(11);
    let big: String = (0..4_000).map(|_| g.line() + "\n").collect();
    let base = server.base.clone();
    // The batch retries while a probe below holds the one permit.
    let busy = std::thread::spawn(move || {
        loop {
            let r = post(
                &base,
                "/v1/statutes/usc/18/2259/batch?trace=true",
                big.as_bytes(),
            );
            if r.0 != 503 {
                return r;
            }
        }
    });
    let facts = std::fs::read(repo().join("examples/trafficking-floor.json")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut refused = None;
    while Instant::now() < deadline && !busy.is_finished() {
        let (status, body, retry) = server.post(EVALUATE, &facts);
        if status == 503 {
            refused = Some((body, retry));
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let Some((body, retry)) = refused else {
        let (status, body, _) = busy.join().unwrap();
        panic!(
            "no request was refused while the batch ran: {status} {}",
            &body[..body.len().min(400)]
        );
    };
    assert_eq!(retry.as_deref(), Some("1"));
    assert!(body.contains("lawcode::serve::busy"), "{body}");
    let (status, _, _) = busy.join().unwrap();
    assert_eq!(status, 200);
    // Once the batch is done, the next request is served.
    assert_eq!(server.post(EVALUATE, &facts).0, 200);

    let slow = Server::start(&["--timeout-ms", "1", "--max-body", "104857600"]);
    // One case past the time limit: 503.
    let losses: Vec<String> = (0..100_000)
        .map(|_| r#"{"category": "medical", "amount": "1.00"}"#.to_string())
        .collect();
    let huge = format!(
        r#"{{"offense_date": "2020-02-14", "order_date": "2023-06-15", "convictions": [{{"section": "2252(a)(2)"}}], "victim": {{"losses": [{}]}}}}"#,
        losses.join(",")
    );
    let (status, body, _) = slow.post(EVALUATE, huge.as_bytes());
    assert_eq!(status, 503, "{}", &body[..body.len().min(300)]);
    assert!(body.contains("lawcode::serve::timeout"), "{body}");
    // A batch is streamed, so its status is sent first: past the limit it ends with one error
    // line after the lines it evaluated.
    let mut g = crate::generate::Generator::new(12);
    let big: String = (0..5_000).map(|_| g.line() + "\n").collect();
    let (status, body, _) = slow.post("/v1/statutes/usc/18/2259/batch?trace=true", big.as_bytes());
    assert_eq!(status, 200);
    let lines: Vec<&str> = body.lines().collect();
    assert!(lines.len() < 5_000, "{} lines", lines.len());
    let last = lines.last().copied().unwrap_or_default();
    assert!(
        last.starts_with(r#"{"error":{"code":"lawcode::serve::timeout""#),
        "{last}"
    );
    assert_eq!(slow.get("/healthz").0, 200);
}

/// Sends `sig` (`-TERM`, `-HUP`) to process `pid`.
#[cfg(unix)]
fn signal(sig: &str, pid: &str) {
    assert!(
        Command::new("kill")
            .args([sig, pid])
            .status()
            .unwrap()
            .success()
    );
}

#[cfg(unix)]
#[test]
fn sigterm_ends_the_server_cleanly() {
    let mut server = Server::start(&[]);
    assert_eq!(server.get("/healthz").0, 200);
    let pid = server.child.id().to_string();
    signal("-TERM", &pid);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "exited with {status}");
            return;
        }
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// SIGHUP reloads the rules: a reload that fails keeps the rules in use; one that works
/// serves the new set.
#[cfg(unix)]
#[test]
fn sighup_reloads_and_a_failed_reload_keeps_the_old_rules() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(rules.join("usc/18")).unwrap();
    std::fs::create_dir_all(rules.join("data")).unwrap();
    std::fs::create_dir_all(rules.join("usc/18/lib")).unwrap();
    for f in ["usc/18/2259.law", "usc/18/lib/losses.law", "data/cpi-u.law"] {
        std::fs::copy(repo().join("rules").join(f), rules.join(f)).unwrap();
    }
    let server = Server::start(&["--rules", rules.to_str().unwrap()]);
    let pid = server.child.id().to_string();
    let ids = |s: &Server| -> Vec<String> {
        let (_, list) = s.get("/v1/statutes");
        list["statutes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect()
    };
    let hangup_and_wait = |want: &[&str]| {
        signal("-HUP", &pid);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if ids(&server) == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "still {:?}, not {want:?}",
                ids(&server)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    assert_eq!(ids(&server), ["usc/18/2259"]);
    // A new statute, and a broken file: the reload fails, the old set stays.
    std::fs::write(
        rules.join("usc/18/9999.law"),
        "statute \"18 U.S.C. § 9999\"\noutcomes { x: bool \"x\" }\n(a) { rule x = true }\n",
    )
    .unwrap();
    std::fs::write(
        rules.join("usc/18/broken.law"),
        "statute \"T\"\n(a) { rule x = }\n",
    )
    .unwrap();
    signal("-HUP", &pid);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let line = server
            .log
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the server did not log the failed reload");
        if line.contains("reload failed") {
            assert!(line.contains("broken.law"), "{line}");
            break;
        }
    }
    assert_eq!(ids(&server), ["usc/18/2259"]);
    // Fixed: the reload serves both.
    std::fs::remove_file(rules.join("usc/18/broken.law")).unwrap();
    hangup_and_wait(&["usc/18/2259", "usc/18/9999"]);
}

/// Cross-origin requests are refused unless `--cors ORIGIN` allows that one origin: without it
/// no answer carries `Access-Control-Allow-Origin`; with it, only that origin's do.
#[test]
fn cors_is_off_unless_one_origin_is_allowed() {
    let allow_origin = |base: &str, origin: &str| -> (Option<String>, Option<String>) {
        let agent = Server::agent();
        let get = agent
            .get(&format!("{base}/v1/statutes"))
            .header("Origin", origin)
            .call()
            .unwrap();
        let preflight = agent
            .options(&format!("{base}{EVALUATE}"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type")
            .call()
            .unwrap();
        let header = |r: &ureq::http::Response<ureq::Body>| {
            r.headers()
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap().to_string())
        };
        (header(&get), header(&preflight))
    };
    let closed = Server::start(&[]);
    assert_eq!(
        allow_origin(&closed.base, "https://court.example"),
        (None, None)
    );
    let open = Server::start(&["--cors", "https://court.example"]);
    let allowed = Some("https://court.example".to_string());
    assert_eq!(
        allow_origin(&open.base, "https://court.example"),
        (allowed.clone(), allowed)
    );
    let (get, preflight) = allow_origin(&open.base, "https://elsewhere.example");
    assert_ne!(get.as_deref(), Some("https://elsewhere.example"));
    assert_ne!(preflight.as_deref(), Some("https://elsewhere.example"));
}
