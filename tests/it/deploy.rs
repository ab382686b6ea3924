//! The deployment files in deploy/: what can be checked without a container engine or a
//! cluster. The Kubernetes YAML parses and holds one StatefulSet replica on its own volume,
//! probes on the port `serve` listens on, and tokens from the Secret; the systemd unit carries
//! its hardening and, where `systemd-analyze` is installed, verifies against the built binary;
//! the Dockerfile has two stages, a non-root user, the data volume and the healthcheck; the
//! README covers each target. The values the files share (data dir, port, user) agree.

use serde_yaml::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const DEPLOY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy");

fn read(rel: &str) -> String {
    let path = Path::new(DEPLOY).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("can't read {}: {e}", path.display()))
}

// ---- Kubernetes ----

/// Every non-empty YAML document of one file.
fn yaml_docs(path: &Path) -> Vec<Value> {
    use serde::Deserialize;
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("can't read {}: {e}", path.display()));
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| {
            Value::deserialize(doc)
                .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()))
        })
        .filter(|doc| !doc.is_null())
        .collect()
}

/// Every document of every *.yaml / *.yml file directly in `deploy/<dir>`.
fn manifests(dir: &str) -> Vec<Value> {
    let dir = Path::new(DEPLOY).join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("can't list {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no YAML in {}", dir.display());
    let docs: Vec<Value> = files.iter().flat_map(|f| yaml_docs(f)).collect();
    for doc in &docs {
        assert!(
            doc["apiVersion"].is_string() && doc["kind"].is_string(),
            "a document without apiVersion/kind: {doc:?}"
        );
        assert!(
            doc["metadata"]["name"].is_string(),
            "no metadata.name: {doc:?}"
        );
    }
    docs
}

fn kinds(docs: &[Value]) -> BTreeSet<&str> {
    docs.iter().filter_map(|d| d["kind"].as_str()).collect()
}

fn the<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    let mut found = docs.iter().filter(|d| d["kind"].as_str() == Some(kind));
    let one = found.next().unwrap_or_else(|| panic!("no {kind}"));
    assert!(found.next().is_none(), "more than one {kind}");
    one
}

fn seq(v: &Value) -> &[Value] {
    v.as_sequence().map(Vec::as_slice).unwrap_or(&[])
}

fn str_of<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {v:?}"))
}

/// The twohats container of the StatefulSet's pod template.
fn twohats_container(sts: &Value) -> &Value {
    let containers = seq(&sts["spec"]["template"]["spec"]["containers"]);
    assert_eq!(containers.len(), 1, "one container in the pod");
    &containers[0]
}

/// The container's env var `name`.
fn env_var<'a>(container: &'a Value, name: &str) -> &'a Value {
    seq(&container["env"])
        .iter()
        .find(|e| e["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("the container has no env var {name}"))
}

fn port_of(listen: &str) -> u16 {
    listen
        .parse::<std::net::SocketAddr>()
        .unwrap_or_else(|e| panic!("`{listen}` is not an address: {e}"))
        .port()
}

/// A probe's or Service's port: a number, or the name of a container port.
fn resolve_port(container: &Value, port: &Value) -> u16 {
    if let Some(n) = port.as_u64() {
        return n as u16;
    }
    let name = str_of(port, "port");
    let found = seq(&container["ports"])
        .iter()
        .find(|p| p["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no container port named {name}"));
    found["containerPort"].as_u64().expect("containerPort") as u16
}

#[test]
fn kubernetes_manifests_parse_and_are_exactly_a_secret_a_statefulset_and_a_service() {
    let docs = manifests("kubernetes");
    assert_eq!(
        kinds(&docs),
        BTreeSet::from(["Secret", "Service", "StatefulSet"]),
        "`kubectl apply -f deploy/kubernetes/` creates exactly these"
    );
    assert_eq!(docs.len(), 3, "one of each");
    // The backup pod is kept apart, so that applying the folder never starts it beside serve.
    assert_eq!(
        kinds(&manifests("kubernetes/backup")),
        BTreeSet::from(["Pod"])
    );
}

#[test]
fn statefulset_runs_one_replica_on_its_own_volume_at_the_data_dir() {
    let docs = manifests("kubernetes");
    let sts = the(&docs, "StatefulSet");
    assert_eq!(
        sts["spec"]["replicas"].as_u64(),
        Some(1),
        "sled: one process per database"
    );
    // Stop the old pod before starting the new one: no parallel start, no OnDelete surprises.
    assert_ne!(
        sts["spec"]["podManagementPolicy"].as_str(),
        Some("Parallel")
    );
    assert_eq!(
        sts["spec"]["updateStrategy"]["type"].as_str(),
        Some("RollingUpdate")
    );
    assert!(
        sts["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"].is_null(),
        "leave maxUnavailable at 1"
    );

    let container = twohats_container(sts);
    let data_dir = str_of(
        &env_var(container, "TWOHATS_DATA_DIR")["value"],
        "the data dir",
    );
    let mount = seq(&container["volumeMounts"])
        .iter()
        .find(|m| m["mountPath"].as_str() == Some(data_dir))
        .unwrap_or_else(|| panic!("nothing is mounted at TWOHATS_DATA_DIR={data_dir}"));
    assert_ne!(mount["readOnly"].as_bool(), Some(true));
    let claim_name = str_of(&mount["name"], "the mount's name");
    let templates = seq(&sts["spec"]["volumeClaimTemplates"]);
    let template = templates
        .iter()
        .find(|t| t["metadata"]["name"].as_str() == Some(claim_name))
        .unwrap_or_else(|| panic!("{data_dir} is not a volumeClaimTemplate ({claim_name})"));
    let modes: Vec<&str> = seq(&template["spec"]["accessModes"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        !modes.is_empty()
            && modes
                .iter()
                .all(|m| ["ReadWriteOnce", "ReadWriteOncePod"].contains(m)),
        "single-writer storage only, got {modes:?}"
    );
    assert!(template["spec"]["resources"]["requests"]["storage"].is_string());
    // A pod volume of the same name would shadow the claim.
    assert!(seq(&sts["spec"]["template"]["spec"]["volumes"])
        .iter()
        .all(|v| v["name"].as_str() != Some(claim_name)));
}

#[test]
fn probes_and_service_use_the_port_serve_listens_on() {
    let docs = manifests("kubernetes");
    let sts = the(&docs, "StatefulSet");
    let container = twohats_container(sts);
    let listen = str_of(
        &env_var(container, "TWOHATS_LISTEN")["value"],
        "TWOHATS_LISTEN",
    );
    let port = port_of(listen);
    assert!(
        seq(&container["ports"])
            .iter()
            .any(|p| p["containerPort"].as_u64() == Some(port.into())),
        "containerPort {port} (TWOHATS_LISTEN={listen})"
    );
    for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
        let get = &container[probe]["httpGet"];
        assert_eq!(get["path"].as_str(), Some(path), "{probe}");
        assert_eq!(
            resolve_port(container, &get["port"]),
            port,
            "{probe}'s port"
        );
    }
    if !container["startupProbe"].is_null() {
        let get = &container["startupProbe"]["httpGet"];
        assert_eq!(get["path"].as_str(), Some("/healthz"));
        assert_eq!(resolve_port(container, &get["port"]), port);
    }

    let service = the(&docs, "Service");
    assert_eq!(service["spec"]["type"].as_str(), Some("ClusterIP"));
    let service_port = &seq(&service["spec"]["ports"])[0];
    assert_eq!(
        resolve_port(container, &service_port["targetPort"]),
        port,
        "the Service reaches the listen port"
    );
    let labels = &sts["spec"]["template"]["metadata"]["labels"];
    let selector = service["spec"]["selector"]
        .as_mapping()
        .expect("a selector");
    assert!(!selector.is_empty());
    for (k, v) in selector {
        assert_eq!(
            &labels[k.as_str().unwrap()],
            v,
            "the Service selects the pod"
        );
    }
    assert_eq!(
        sts["spec"]["selector"]["matchLabels"]
            .as_mapping()
            .map(|m| m.len()),
        Some(selector.len())
    );
}

#[test]
fn statefulset_takes_the_slack_credentials_from_the_secret() {
    let docs = manifests("kubernetes");
    let secret = the(&docs, "Secret");
    let secret_name = str_of(&secret["metadata"]["name"], "the Secret's name");
    let data = secret["stringData"].as_mapping().expect("stringData");
    let container = twohats_container(the(&docs, "StatefulSet"));
    for name in ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"] {
        let var = env_var(container, name);
        assert!(var["value"].is_null(), "{name} must not be a plain value");
        let r = &var["valueFrom"]["secretKeyRef"];
        assert_eq!(r["name"].as_str(), Some(secret_name), "{name}'s Secret");
        let key = str_of(&r["key"], "secretKeyRef.key");
        assert!(
            data.contains_key(key),
            "{name}: the Secret has no key {key}"
        );
    }
    // The bot token is required; the app token (Socket Mode) or the signing secret (HTTP mode)
    // is whichever the Secret holds.
    assert_ne!(
        env_var(container, "SLACK_BOT_TOKEN")["valueFrom"]["secretKeyRef"]["optional"].as_bool(),
        Some(true)
    );
    // Placeholders, not tokens: nothing that `serve` would accept as one.
    for (key, value) in data {
        let value = value.as_str().unwrap_or_default();
        assert!(
            !value.starts_with("xoxb-") && !value.starts_with("xapp-") && !value.starts_with("xox"),
            "{key:?} in the shipped Secret looks like a real token"
        );
    }
    // No credential in the rest of the manifests.
    for doc in &docs {
        let text = serde_yaml::to_string(doc).unwrap();
        assert!(!text.contains("xoxb-") && !text.contains("xapp-"), "{text}");
    }
}

#[test]
fn statefulset_is_locked_down_and_has_requests_and_limits() {
    let docs = manifests("kubernetes");
    let sts = the(&docs, "StatefulSet");
    let pod = &sts["spec"]["template"]["spec"];
    let container = twohats_container(sts);
    let (psc, csc) = (&pod["securityContext"], &container["securityContext"]);
    let run_as_non_root = csc["runAsNonRoot"]
        .as_bool()
        .or(psc["runAsNonRoot"].as_bool());
    assert_eq!(run_as_non_root, Some(true));
    let uid = csc["runAsUser"].as_u64().or(psc["runAsUser"].as_u64());
    assert_ne!(uid, Some(0));
    assert_eq!(csc["readOnlyRootFilesystem"].as_bool(), Some(true));
    assert_eq!(csc["allowPrivilegeEscalation"].as_bool(), Some(false));
    assert!(seq(&csc["capabilities"]["drop"])
        .iter()
        .any(|c| c.as_str() == Some("ALL")));
    assert!(seq(&csc["capabilities"]["add"]).is_empty());

    let resources = &container["resources"];
    for path in [
        ["requests", "cpu"],
        ["requests", "memory"],
        ["limits", "memory"],
    ] {
        assert!(
            resources[path[0]][path[1]].is_string(),
            "resources.{}.{}",
            path[0],
            path[1]
        );
    }
    // serve's graceful shutdown takes up to ~10 s: don't SIGKILL before that.
    let grace = pod["terminationGracePeriodSeconds"].as_u64().unwrap_or(30);
    assert!(grace >= 15, "terminationGracePeriodSeconds {grace}");
}

#[test]
fn backup_pod_mounts_the_statefulsets_claim_and_runs_twohats_backup() {
    let docs = manifests("kubernetes");
    let sts = the(&docs, "StatefulSet");
    let container = twohats_container(sts);
    let data_dir = str_of(&env_var(container, "TWOHATS_DATA_DIR")["value"], "data dir");
    let template = &seq(&sts["spec"]["volumeClaimTemplates"])[0];
    // A StatefulSet's claims are named <template>-<statefulset>-<ordinal>.
    let claim = format!(
        "{}-{}-0",
        str_of(&template["metadata"]["name"], "template name"),
        str_of(&sts["metadata"]["name"], "statefulset name")
    );

    let backup = manifests("kubernetes/backup");
    let pod = the(&backup, "Pod");
    let volume = seq(&pod["spec"]["volumes"])
        .iter()
        .find(|v| v["persistentVolumeClaim"]["claimName"].as_str() == Some(claim.as_str()))
        .unwrap_or_else(|| panic!("the backup pod does not mount {claim}"));
    let runner = seq(&pod["spec"]["initContainers"])
        .iter()
        .find(|c| seq(&c["args"]).first().and_then(Value::as_str) == Some("backup"))
        .expect("a container running `twohats backup`");
    assert_eq!(runner["image"], container["image"], "the same image");
    assert_eq!(
        env_var(runner, "TWOHATS_DATA_DIR")["value"].as_str(),
        Some(data_dir)
    );
    assert!(seq(&runner["volumeMounts"])
        .iter()
        .any(|m| { m["name"] == volume["name"] && m["mountPath"].as_str() == Some(data_dir) }));
    assert_eq!(
        pod["spec"]["securityContext"]["runAsUser"],
        sts["spec"]["template"]["spec"]["securityContext"]["runAsUser"],
        "the backup writes as the same user as serve"
    );
}

// ---- systemd ----

/// `(section, key, value)` of a unit file, in order; repeated keys stay repeated.
fn unit_entries(text: &str) -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let mut line = line.trim().to_string();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        while line.ends_with('\\') {
            line.pop();
            line.push(' ');
            line.push_str(lines.next().unwrap_or_default().trim());
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("not `key=value` in the unit: {line}"));
        out.push((
            section.clone(),
            key.trim().to_string(),
            value.trim().to_string(),
        ));
    }
    out
}

struct Unit(Vec<(String, String, String)>);

impl Unit {
    fn load() -> Self {
        Unit(unit_entries(&read("systemd/twohats.service")))
    }

    /// Every value of `section.key`, in order.
    fn all(&self, section: &str, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(s, k, _)| s == section && k == key)
            .map(|(_, _, v)| v.as_str())
            .collect()
    }

    /// The effective value of a single-valued key: the last one.
    fn get(&self, key: &str) -> &str {
        self.all("Service", key)
            .last()
            .copied()
            .unwrap_or_else(|| panic!("the unit has no {key}="))
    }
}

/// Seconds of a systemd time span like `30s`, `1min 30s`, or `30`.
fn seconds(span: &str) -> u64 {
    span.split_whitespace()
        .map(|part| {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            let n: u64 = digits
                .parse()
                .unwrap_or_else(|_| panic!("time span {span}"));
            match &part[digits.len()..] {
                "" | "s" | "sec" => n,
                "m" | "min" => n * 60,
                other => panic!("unit {other} in {span}"),
            }
        })
        .sum()
}

#[test]
fn systemd_unit_is_hardened_and_keeps_its_data_in_the_state_directory() {
    let unit = Unit::load();
    for (key, want) in [
        ("DynamicUser", "yes"),
        ("StateDirectory", "twohats"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("NoNewPrivileges", "yes"),
        ("CapabilityBoundingSet", ""),
        ("Restart", "on-failure"),
        ("EnvironmentFile", "/etc/twohats/twohats.env"),
        ("KillSignal", "SIGTERM"),
    ] {
        assert_eq!(unit.get(key), want, "{key}=");
    }
    let families: BTreeSet<&str> = unit.get("RestrictAddressFamilies").split(' ').collect();
    assert_eq!(families, BTreeSet::from(["AF_INET", "AF_INET6", "AF_UNIX"]));
    assert!(unit
        .all("Service", "SystemCallFilter")
        .iter()
        .any(|f| f.split(' ').any(|g| g == "@system-service")));
    assert!(!unit.get("MemoryMax").is_empty());
    // Every HTTP connection is a file: the connection cap sits well below the file limit.
    let nofile: usize = unit
        .get("LimitNOFILE")
        .parse()
        .expect("LimitNOFILE= a number");
    assert!(
        nofile >= 16 * twohats::slack::incoming::MAX_CONNECTIONS,
        "LimitNOFILE={nofile} leaves too little beside the connection cap"
    );
    // serve's graceful shutdown takes up to ~10 s; SIGKILL only well after that.
    assert!(seconds(unit.get("TimeoutStopSec")) >= 15);

    // The data goes where the service may write: its StateDirectory.
    let env = unit.all("Service", "Environment");
    assert!(
        env.contains(&"TWOHATS_DATA_DIR=/var/lib/twohats"),
        "TWOHATS_DATA_DIR in {env:?}"
    );
    let exec = unit.get("ExecStart");
    assert!(exec.ends_with("/twohats serve"), "ExecStart={exec}");
    // No secret in the (world-readable) unit itself.
    for (_, key, value) in &unit.0 {
        assert!(
            !value.contains("SLACK_BOT_TOKEN")
                && !value.contains("SLACK_APP_TOKEN")
                && !value.contains("SLACK_SIGNING_SECRET"),
            "{key}={value}: secrets belong in the EnvironmentFile"
        );
    }
    // One instance: not a template unit.
    assert!(!Path::new(DEPLOY).join("systemd/twohats@.service").exists());
    assert_eq!(unit.all("Install", "WantedBy"), ["multi-user.target"]);
}

#[test]
fn systemd_env_example_has_placeholders_only() {
    let text = read("systemd/twohats.env.example");
    let known = [
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_API_URL",
        "TWOHATS_DATA_DIR",
        "TWOHATS_LISTEN",
        "TWOHATS_DEFAULT_TZ",
        "TWOHATS_LOG_FORMAT",
        "RUST_LOG",
    ];
    let mut set = BTreeSet::new();
    for line in text.lines() {
        // Commented-out settings are checked too, but only the others are set.
        let commented = line.trim_start().starts_with('#');
        let line = line.trim().trim_start_matches('#').trim();
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            continue; // prose
        }
        assert!(known.contains(&key), "{key} is not a setting of serve");
        assert!(
            !value.starts_with("xox") && !value.starts_with("xapp-"),
            "{key}: a placeholder, not a token"
        );
        if !commented {
            set.insert(key);
        }
    }
    assert_eq!(
        set,
        BTreeSet::from(["SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"]),
        "Socket Mode by default"
    );
}

/// `systemd-analyze`'s major version, if it is on PATH.
fn systemd_analyze_version() -> Option<u32> {
    let out = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn systemd_unit_verifies_with_systemd_analyze_against_the_built_binary() {
    // The unit with ExecStart pointing at the binary this test run built.
    let text = read("systemd/twohats.service");
    let bin = env!("CARGO_BIN_EXE_twohats");
    let mut rewritten = 0;
    let copy: String = text
        .lines()
        .map(|line| {
            if line.starts_with("ExecStart=") {
                rewritten += 1;
                format!("ExecStart={bin} serve\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    assert_eq!(rewritten, 1, "one ExecStart");
    assert!(Path::new(bin).is_file());

    let Some(version) = systemd_analyze_version() else {
        eprintln!(
            "note: systemd-analyze is not installed; the unit was checked by the parser only \
             (apt-get install systemd to verify it)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("twohats.service");
    std::fs::write(&path, copy).unwrap();
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .expect("run systemd-analyze verify");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.contains("twohats.service:"),
        "systemd-analyze verify: {}\n{stderr}",
        out.status
    );

    // The exposure score of the hardening (0 = locked down, 10 = none), offline since v250.
    if version < 250 {
        eprintln!("note: systemd {version} has no `security --offline`; the score is not checked");
        return;
    }
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--threshold=20", "--no-pager"])
        .arg(&path)
        .output()
        .expect("run systemd-analyze security");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "exposure above 2.0:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---- Docker ----

/// `(INSTRUCTION, arguments)` of a Dockerfile: comments dropped, continuations joined.
fn dockerfile() -> Vec<(String, String)> {
    let text = read("Dockerfile");
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                let (word, rest) = current.split_once(char::is_whitespace).unwrap();
                out.push((word.to_uppercase(), rest.trim().to_string()));
                current.clear();
            }
        }
    }
    assert!(current.is_empty(), "a dangling continuation");
    out
}

/// An exec-form (JSON) argument list; shell form is split on whitespace.
fn argv(args: &str) -> Vec<String> {
    match serde_json::from_str::<Vec<String>>(args) {
        Ok(list) => list,
        Err(_) => args.split_whitespace().map(str::to_string).collect(),
    }
}

/// `KEY=value` pairs of ENV instructions (the `ENV a=b c=d` form).
fn env_pairs(args: &str) -> Vec<(String, String)> {
    args.split_whitespace()
        .map(|pair| {
            let (k, v) = pair
                .split_once('=')
                .unwrap_or_else(|| panic!("use ENV KEY=value, not `{pair}`"));
            (k.to_string(), v.trim_matches('"').to_string())
        })
        .collect()
}

#[test]
fn dockerfile_builds_in_two_stages_and_runs_serve_as_non_root_with_a_data_volume() {
    let steps = dockerfile();
    let all = |word: &str| -> Vec<&str> {
        steps
            .iter()
            .filter(|(w, _)| w == word)
            .map(|(_, a)| a.as_str())
            .collect()
    };
    let froms = all("FROM");
    assert!(froms.len() >= 2, "multi-stage: {froms:?}");
    let builder = froms[0]
        .split_whitespace()
        .last()
        .expect("the builder stage's name");
    assert!(
        froms[0].to_lowercase().contains(" as "),
        "a named build stage"
    );
    assert!(all("RUN")
        .iter()
        .any(|r| r.contains("cargo build") && r.contains("--release")));

    // Everything from the last FROM on is the runtime image.
    let last_from = steps.iter().rposition(|(w, _)| w == "FROM").unwrap();
    let runtime = &steps[last_from..];
    let one = |word: &str| -> &str {
        let found: Vec<&str> = runtime
            .iter()
            .filter(|(w, _)| w == word)
            .map(|(_, a)| a.as_str())
            .collect();
        assert!(!found.is_empty(), "no {word} in the runtime stage");
        found.last().unwrap()
    };

    let user = one("USER");
    let uid = user.split(':').next().unwrap();
    assert!(
        uid != "root" && uid != "0",
        "a non-root runtime user, got {user}"
    );
    let env: Vec<(String, String)> = runtime
        .iter()
        .filter(|(w, _)| w == "ENV")
        .flat_map(|(_, a)| env_pairs(a))
        .collect();
    let env_of = |key: &str| {
        env.iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(env_of("TWOHATS_DATA_DIR"), Some("/data"));
    assert!(argv(one("VOLUME")).contains(&"/data".to_string()));
    let port = port_of(env_of("TWOHATS_LISTEN").unwrap_or("0.0.0.0:3000"));
    assert_eq!(port, 3000);
    assert!(argv(one("EXPOSE")).contains(&port.to_string()));

    let entry = argv(one("ENTRYPOINT"));
    let bin = entry[0].clone();
    assert!(bin.ends_with("/twohats"), "ENTRYPOINT {entry:?}");
    let mut command = entry.clone();
    command.extend(argv(one("CMD")));
    assert_eq!(
        command,
        [bin.as_str(), "serve"],
        "the container runs `twohats serve`"
    );
    // That binary comes from the build stage.
    assert!(runtime.iter().any(|(w, a)| w == "COPY"
        && a.contains(&format!("--from={builder}"))
        && a.trim_end().ends_with(bin.as_str())));

    let healthcheck = one("HEALTHCHECK");
    let cmd = healthcheck
        .split_once("CMD")
        .map(|(_, c)| argv(c.trim()))
        .expect("HEALTHCHECK … CMD …");
    assert!(
        cmd.len() == 2 && cmd[0].ends_with("twohats") && cmd[1] == "healthcheck",
        "HEALTHCHECK runs `twohats healthcheck`, got {cmd:?}"
    );
    assert_eq!(one("STOPSIGNAL"), "SIGTERM");

    // The same user and data dir as the Kubernetes pod.
    let docs = manifests("kubernetes");
    let sts = the(&docs, "StatefulSet");
    let k8s_uid = sts["spec"]["template"]["spec"]["securityContext"]["runAsUser"]
        .as_u64()
        .expect("runAsUser");
    assert_eq!(
        uid,
        k8s_uid.to_string(),
        "USER is numeric and matches runAsUser"
    );
    assert_eq!(
        env_var(twohats_container(sts), "TWOHATS_DATA_DIR")["value"].as_str(),
        env_of("TWOHATS_DATA_DIR")
    );
}

#[test]
fn dockerignore_keeps_build_output_and_secrets_out_of_the_context() {
    let text = read("Dockerfile.dockerignore");
    let patterns: BTreeSet<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for needed in ["target", ".git", "twohats-data", "**/*.env"] {
        assert!(patterns.contains(needed), "{needed} in {patterns:?}");
    }
    // What the release build reads must stay in the context.
    for kept in ["Cargo.toml", "Cargo.lock", "src", "benches", "manifest.yml"] {
        assert!(!patterns.contains(kept), "{kept} is needed by the build");
    }
}

// ---- README ----

/// `## ` sections of deploy/README.md: (heading, body).
fn readme_sections() -> Vec<(String, String)> {
    let text = read("README.md");
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            out.push((heading.to_string(), String::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

#[test]
fn readme_has_a_section_per_target_with_commands_secrets_and_backups() {
    let sections = readme_sections();
    let section = |name: &str| -> &str {
        sections
            .iter()
            .find(|(h, _)| h.contains(name))
            .map(|(_, b)| b.as_str())
            .unwrap_or_else(|| panic!("deploy/README.md has no `## …{name}…` section"))
    };
    for (target, commands) in [
        (
            "Docker",
            [
                "docker build -f deploy/Dockerfile",
                "--env-file",
                "-v twohats-data:/data",
            ],
        ),
        (
            "systemd",
            [
                "systemctl enable --now twohats",
                "journalctl -u twohats",
                "/etc/twohats/twohats.env",
            ],
        ),
        (
            "Kubernetes",
            [
                "kubectl -n twohats create secret generic twohats-slack",
                "deploy/kubernetes/statefulset.yaml",
                "kubectl -n twohats scale statefulset twohats --replicas=0",
            ],
        ),
    ] {
        let body = section(target);
        for command in commands {
            assert!(body.contains(command), "{target}: `{command}`");
        }
        assert!(
            body.contains("twohats backup") || body.contains(" backup /"),
            "{target}: how to back up"
        );
        assert!(body.contains("twohats restore") || body.contains(" restore /"));
        assert!(body.contains("**Secrets:**"), "{target}: secrets");
    }
    // What could not be run here is said plainly.
    let text = read("README.md");
    assert!(text.contains("no container engine"));
    assert!(text.contains("not built"));

    // Every deploy/ path the README names exists.
    for word in text.split(|c: char| c.is_whitespace() || "`()[],".contains(c)) {
        if let Some(rel) = word.strip_prefix("deploy/") {
            let rel = rel.trim_end_matches(['.', ':']);
            assert!(
                Path::new(DEPLOY).join(rel).exists(),
                "deploy/README.md names deploy/{rel}, which does not exist"
            );
        }
    }
}
