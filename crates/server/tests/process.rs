//! The `glovebox-server` binary as an operator runs it: config validated at start with
//! the key named, and the memory bound of issue 9 problem 5 — logins with megabyte user
//! names leave the server's resident memory flat (measured on the real process).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn server(dir: &std::path::Path, env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_glovebox-server"));
    c.arg("serve")
        .env("GLOVEBOX_LISTEN", "127.0.0.1:0")
        .env("GLOVEBOX_DATABASE", dir.join("server.db"))
        .env_remove("GLOVEBOX_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

struct Running {
    child: Child,
    addr: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &std::path::Path) -> Running {
    let mut child = server(dir, &[]).spawn().expect("spawn server");
    let stderr = child.stderr.take().expect("stderr");
    let mut line = String::new();
    BufReader::new(stderr)
        .read_line(&mut line)
        .expect("first line");
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .expect("listening line")
        .to_owned();
    Running { child, addr }
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// One login request on its own connection; returns the status line (or the I/O error,
/// e.g. a reset when the server stops reading an over-long body).
fn raw_login(addr: &str, body: &[u8], chunked: bool) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = if chunked {
        "POST /v1/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
         transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
            .to_owned()
    } else {
        format!(
            "POST /v1/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        )
    };
    let _ = s.write_all(head.as_bytes());
    if chunked {
        for chunk in body.chunks(64 * 1024) {
            if s.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .is_err()
                || s.write_all(chunk).is_err()
                || s.write_all(b"\r\n").is_err()
            {
                break;
            }
        }
        let _ = s.write_all(b"0\r\n\r\n");
    } else {
        let _ = s.write_all(body);
    }
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    String::from_utf8_lossy(&resp)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

#[test]
fn logins_with_megabyte_names_leave_the_server_memory_flat() {
    let dir = tempfile::tempdir().unwrap();
    let srv = start(dir.path());
    let pid = srv.child.id();
    // Warm up: the first requests allocate the runtime's buffers and the dummy hash.
    for _ in 0..3 {
        raw_login(
            &srv.addr,
            br#"{"user":"x","password":"y","device_name":"z"}"#,
            false,
        );
    }
    let before = rss_kib(pid);
    let name = "n".repeat(3 * 1024 * 1024);
    let body = format!(r#"{{"user":"{name}","password":"p","device_name":"d"}}"#);
    for i in 0..40 {
        let status = raw_login(&srv.addr, body.as_bytes(), i % 2 == 0);
        assert!(
            status.is_empty() || status.contains("413") || status.contains("429"),
            "{status}"
        );
    }
    let after = rss_kib(pid);
    let growth = after.saturating_sub(before);
    println!("server RSS before {before} KiB, after 40 logins with 3 MiB names {after} KiB (+{growth} KiB)");
    assert!(growth < 16 * 1024, "RSS grew by {growth} KiB");
}

#[test]
fn bad_config_values_stop_the_server_at_start_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (env, value, key) in [
        ("GLOVEBOX_MAX_PULL_LIMIT", "0", "limits.max_pull_limit"),
        ("GLOVEBOX_MAX_BATCH_ROWS", "0", "limits.max_batch_rows"),
        (
            "GLOVEBOX_LOGIN_ATTEMPTS_PER_MINUTE",
            "0",
            "limits.login_attempts_per_minute",
        ),
        ("GLOVEBOX_MAX_BODY_BYTES", "12", "limits.max_body_bytes"),
    ] {
        let out = server(dir.path(), &[(env, value)])
            .stderr(Stdio::piped())
            .output()
            .expect("run");
        assert!(!out.status.success(), "{env}={value} must not start");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(key) && err.contains(env), "{env}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let toml = dir.path().join("server.toml");
    std::fs::write(&toml, "[limits]\nmax_pull_limit = 0\n").unwrap();
    let out = server(dir.path(), &[])
        .arg("--config")
        .arg(&toml)
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("limits.max_pull_limit"));
}

#[test]
fn migrate_storage_copies_everything_and_refuses_a_non_empty_destination() {
    use glovebox_server::storage::{PageLimits, Pull, PushRow, SqliteStorage, Storage};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.db");
    {
        let s = SqliteStorage::open(&src, Arc::new(Default::default())).unwrap();
        s.add_user("ann", "hash").unwrap();
        let id = s.login_user("ann").unwrap().unwrap().id;
        s.add_device(id, "laptop", "token-hash").unwrap();
        let rows = (0..5)
            .map(|n| PushRow {
                table: glovebox_protocol::SyncTable::Vehicles,
                id: format!("0190aaaa-0000-7000-8000-{n:012x}"),
                hlc: glovebox_protocol::Hlc::new(1_000 + n, 0, "aa"),
                deleted: false,
                data: "{\"name\":\"x\"}".into(),
            })
            .collect();
        s.push(id, rows, 77_000, 0).unwrap();
    }
    let dst = dir.path().join("dst.db");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_glovebox-server"))
            .args(["migrate-storage", "--from"])
            .arg(format!("sqlite:{}", src.display()))
            .arg("--to")
            .arg(format!("sqlite:{}", dst.display()))
            .output()
            .expect("run")
    };
    let out = run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("1 accounts, 1 devices, 1 sequence gaps and 5 rows"),
        "{said}"
    );
    let d = SqliteStorage::open(&dst, Arc::new(Default::default())).unwrap();
    let s = SqliteStorage::open(&src, Arc::new(Default::default())).unwrap();
    assert_eq!(d.server_epoch(), s.server_epoch());
    let who = d
        .authenticate("token-hash")
        .unwrap()
        .expect("token hash copied");
    assert_eq!(
        who.account_epoch,
        s.authenticate("token-hash").unwrap().unwrap().account_epoch
    );
    let all = PageLimits {
        rows: 100,
        bytes: 1 << 20,
    };
    assert_eq!(
        d.pull(who.user_id, 0, all).unwrap(),
        s.pull(who.user_id, 0, all).unwrap()
    );
    assert!(
        matches!(
            d.pull(who.user_id, 100, all).unwrap(),
            Pull::CursorAhead { .. }
        ),
        "gap copied"
    );
    drop((d, s));
    let again = run();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    let bad = Command::new(env!("CARGO_BIN_EXE_glovebox-server"))
        .args([
            "migrate-storage",
            "--from",
            "mysql://x",
            "--to",
            "sqlite:/tmp/x",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--from"));
}
