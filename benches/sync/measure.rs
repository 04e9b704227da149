//! On-CPU accounting for the load bench, from /proc: per process (the server processes,
//! the load generator), the PostgreSQL cluster (its postmaster and every backend), and the
//! whole machine, so a run can say which side used the CPU and how much per request; and
//! an optional `perf` profile of the server processes, summed by component.

use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Clock ticks per second of /proc's utime/stime (USER_HZ; 100 on every Linux we run).
const TICKS: f64 = 100.0;

fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let after = stat.rsplit_once(')')?.1;
    Some(after.split_whitespace().map(str::to_owned).collect())
}

fn field(f: &[String], i: usize) -> f64 {
    f.get(i).and_then(|s| s.parse().ok()).unwrap_or(0.0)
}

/// utime + stime of a process, in seconds (fields 14 and 15 of /proc/PID/stat).
pub fn process_cpu(pid: u32) -> f64 {
    stat_fields(pid).map_or(0.0, |f| (field(&f, 11) + field(&f, 12)) / TICKS)
}

/// CPU of a process and all of its descendants, live and exited (cutime/cstime hold the
/// children it has reaped): for PostgreSQL, the postmaster and its backends.
pub fn tree_cpu(root: u32) -> f64 {
    let mut children: std::collections::HashMap<u32, Vec<u32>> = Default::default();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            if let Some(f) = stat_fields(pid) {
                children.entry(field(&f, 1) as u32).or_default().push(pid);
            }
        }
    }
    let mut total = 0.0;
    let mut todo = vec![root];
    while let Some(pid) = todo.pop() {
        if let Some(f) = stat_fields(pid) {
            total += (field(&f, 11) + field(&f, 12) + field(&f, 13) + field(&f, 14)) / TICKS;
        }
        todo.extend(children.get(&pid).into_iter().flatten());
    }
    total
}

/// The postmaster of the cluster scripts/pg-test-cluster.sh started, if it did.
pub fn postmaster_pid() -> Option<u32> {
    let dir = std::env::var_os("GLOVEBOX_PG_DIR")?;
    let pidfile = Path::new(&dir).join("data/postmaster.pid");
    std::fs::read_to_string(pidfile)
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()
}

/// Busy and total CPU seconds of the whole machine, all cores (/proc/stat).
#[derive(Debug, Clone, Copy, Default)]
pub struct MachineCpu {
    pub busy: f64,
    pub total: f64,
}

impl MachineCpu {
    pub fn now() -> MachineCpu {
        let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let v: Vec<f64> = text
            .lines()
            .next()
            .unwrap_or("")
            .split_whitespace()
            .skip(1)
            .filter_map(|s| s.parse().ok())
            .collect();
        let total: f64 = v.iter().take(8).sum();
        // idle + iowait.
        let idle = v.get(3).copied().unwrap_or(0.0) + v.get(4).copied().unwrap_or(0.0);
        MachineCpu {
            busy: (total - idle) / TICKS,
            total: total / TICKS,
        }
    }

    pub fn since(self, earlier: MachineCpu) -> MachineCpu {
        MachineCpu {
            busy: self.busy - earlier.busy,
            total: self.total - earlier.total,
        }
    }
}

/// The soft limit on open files of this process (inherited by the server processes).
pub fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// A `perf record` of some processes (software clock sampling: this VM has no hardware
/// counters), stopped and summarised by [`Profile::finish`].
pub struct Profile {
    child: Child,
    data: std::path::PathBuf,
}

impl Profile {
    pub fn start(pids: &[u32], data: &Path) -> Option<Profile> {
        let list = pids
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let child = Command::new("perf")
            .args([
                "record",
                "-q",
                "-e",
                "cpu-clock",
                "-F",
                "499",
                "-p",
                &list,
                "-o",
            ])
            .arg(data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| eprintln!("perf record: {e} (install linux-perf for --perf)"))
            .ok()?;
        Some(Profile {
            child,
            data: data.to_owned(),
        })
    }

    /// Stops the recording (SIGINT, as perf expects) and returns the share of samples per
    /// component, largest first, and the report's top symbols.
    pub fn finish(mut self) -> (Vec<(String, f64)>, Vec<String>) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        let out = Command::new("perf")
            .args([
                "report",
                "--stdio",
                "--no-children",
                "--sort",
                "dso,sym",
                "-i",
            ])
            .arg(&self.data)
            .stderr(Stdio::null())
            .output();
        let text = out
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let top = text
            .lines()
            .filter(|l| l.contains('%') && !l.trim_start().starts_with('#'))
            .take(25)
            .map(|l| l.trim().to_owned())
            .collect();
        (summarise(&text), top)
    }
}

/// Groups `perf report --sort dso,sym` lines (`  12.34%  binary  [.] symbol`) by the part
/// of the stack they belong to.
fn summarise(report: &str) -> Vec<(String, f64)> {
    let mut by: std::collections::BTreeMap<&'static str, f64> = Default::default();
    for line in report.lines() {
        let Some((pct, rest)) = line.trim_start().split_once('%') else {
            continue;
        };
        let Ok(pct) = pct.trim().parse::<f64>() else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let (Some(dso), Some(kind)) = (words.next(), words.next()) else {
            continue;
        };
        let sym: String = words.collect::<Vec<_>>().join(" ");
        *by.entry(component(dso, kind == "[k]", &sym)).or_default() += pct;
    }
    let mut v: Vec<(String, f64)> = by.into_iter().map(|(k, p)| (k.to_owned(), p)).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    v
}

fn component(dso: &str, kernel: bool, sym: &str) -> &'static str {
    let has = |needles: &[&str]| needles.iter().any(|n| sym.contains(n));
    if kernel {
        return if has(&[
            "tcp", "ip_", "sock", "skb", "net_", "loopback", "inet", "napi", "dev_",
        ]) {
            "kernel: network"
        } else if has(&[
            "ext4",
            "jbd2",
            "fsync",
            "blk",
            "vfs_",
            "filemap",
            "folio",
            "page_cache",
        ]) {
            "kernel: files, page cache, fsync"
        } else if has(&["copy_to_iter", "copy_from_iter", "copy_user"]) {
            "kernel: copying to and from user space"
        } else if has(&[
            "task_switch",
            "schedule",
            "spin_unlock_irq",
            "wake_up",
            "futex",
            "epoll",
        ]) {
            "kernel: scheduling, wake-ups, futex, epoll"
        } else if has(&["syscall", "entry_SYSCALL"]) {
            "kernel: system call entry and exit"
        } else {
            "kernel: other"
        };
    }
    let ours = !dso.contains(".so") && !dso.starts_with('[');
    if has(&["rusqlite"]) || (ours && !sym.contains("::") && !sym.starts_with(['<', '_', '0'])) {
        // The only C code linked into our binaries is the bundled SQLite.
        "SQLite"
    } else if has(&["tokio_postgres", "postgres_protocol", "deadpool", "sqlx"]) {
        "PostgreSQL client"
    } else if has(&["serde", "from_utf8", "btree"]) {
        "JSON (serde_json, its maps, UTF-8 checks)"
    } else if has(&["hyper", "axum", "http::", "httparse", "tower"]) {
        "HTTP (hyper, axum)"
    } else if has(&["tokio"]) {
        "tokio runtime"
    } else if has(&["sha2", "Sha256", "argon2", "blake2"]) {
        "hashing (token check)"
    } else if has(&[
        "malloc",
        "free",
        "realloc",
        "_int_",
        "unlink_chunk",
        "memcpy",
        "memmove",
        "memset",
    ]) {
        "allocation and copying (libc)"
    } else if has(&["hdrhistogram", "glovebox_perf"]) {
        "query tracker"
    } else if has(&["glovebox"]) {
        "glovebox server code"
    } else if has(&["pthread", "__lll", "syscall"]) {
        "libc: threads and syscalls"
    } else {
        "other"
    }
}
