"""The cluster profiles against a real single-node SLURM started by the test.

Where the machine allows (root, Debian's apt), a session fixture installs SLURM 22.05 (slurmctld,
slurmd, the client tools, munge) with accounting (slurmdbd + MariaDB, so the executor plugin's
default status query, ``sacct``, works as on a real cluster) and a fake GPU through GRES
(``File=/dev/null``). Every config file, socket, pid file, log, spool and database lives in one
temporary folder; nothing is written under /etc or /run, and every daemon started here is
stopped by its PID at the end. Elsewhere the tests skip, saying why.

The pipeline then runs on a small config through ``--workflow-profile profiles/slurm`` (the
test cluster's partition replacing the profile's on the command line), and through
``profiles/slurm-gpu`` with a GPU job and a job that fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import helpers
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SNAKEMAKE = BIN / "snakemake"
PACKAGES = ["slurmctld", "slurmd", "slurm-client", "munge", "slurmdbd", "mariadb-server"]
DAEMONS = ["munged", "mariadbd", "mariadb-install-db", "slurmdbd", "slurmctld", "slurmd", "sbatch"]
PARTITION = "hw6test"
# Where SLURM's tools look when $SLURM_CONF is unset. The executor's job step removes SLURM_*
# variables before it calls `srun` inside a job, so the test cluster's config must be found
# here: a symlink to it, made only where no SLURM config exists, removed at the end.
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
FALLBACK_LINE = "device auto: no CUDA device available, training on the CPU"
# The retried job's work, in seconds: more than its first attempt's limit of 1 minute can hold
# even though slurmctld enforces limits only every 30 s (so it ends that attempt 60-90 s in),
# and less than the 2 minutes of the second attempt (the third, of 3 minutes, is to spare).
RETRY_SLEEP = 92
# Every wait below polls for its event (a daemon answers, a process is gone, a run ends); these
# are only the overall limits after which a stuck daemon or run fails the test, generous so that
# a loaded machine (a busy CI runner, other jobs on the cores) slows the test but cannot fail it.
DAEMON_TIMEOUT = 600.0  # a daemon to come up, or a client command to answer
STOP_TIMEOUT = 120.0  # a daemon to exit after SIGTERM, before SIGKILL
RUN_TIMEOUT = 1800  # one Snakemake run through the test cluster (SIGINT after it)

# Jobs of the default target submitted with sbatch (real work: each has a benchmark) and the
# short ones run inside Snakemake on the login node (the Snakefile's localrules). Before
# localrules every one of the 20 jobs of the small config was its own sbatch.
SUBMITTED_RULES = {
    "p1_simulate", "p1_fit", "p1_gradcheck", "card_synthetic", "card_split", "tree_fit",
    "tree_sweep", "mlp_train", "mlp_published", "mlp_best_scores",
}  # fmt: skip
LOCAL_RULES = {
    "p1_compare", "p1_figures", "tree_figure", "mlp_collect", "mlp_figures", "pr_figure",
    "summary", "confusion_figure", "provenance", "report", "all",
}  # fmt: skip

# Small enough for a 2-core machine, large enough to exercise every Problem 1 rule.
# The suite's small config, with Problem 1 trimmed further (fewer starts and check points).
SMALL_CONFIG = helpers.small_config()
SMALL_CONFIG["problem1"].update(
    {"multistart": {"points": 4}, "gradcheck": {"points": 1, "rows": 2000}}
)

# Test-only rules, added by a wrapper Snakefile that includes the real workflow: a job that
# fails at job time, a job that needs more than its first attempt's one minute (its runtime grows
# with the attempt as every workflow rule's does, through common.smk's by_attempt), and a GPU
# probe (used while the workflow has no `mlp_train` rule) that resolves the torch device as the
# training code does.
WRAPPER = """\
include: {snakefile!r}


rule slurm_test_fail:
    output:
        "results/slurmtest/fail.txt",
    log:
        "logs/slurmtest/fail.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=2,
    shell:
        "echo 'hw6 test: this job fails on purpose' > {{log}}; exit 3"


rule slurm_test_retry:
    output:
        "results/slurmtest/retry.txt",
    log:
        "logs/slurmtest/retry.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=by_attempt(1),
    shell:
        "echo 'limit {{resources.runtime}} min' >> {{log}}; sleep {retry_sleep}; "
        "echo done > {{output}}"


rule slurm_test_gpu:
    output:
        probe="results/slurmtest/gpu_probe.json",
    log:
        "logs/slurmtest/gpu_probe.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        {probe!r}
"""

PROBE = """\
import os
from typing import TYPE_CHECKING

from hw6lib.pipeline.device import resolve_device
from hw6lib.pipeline.resultfiles import write_json
from hw6lib.pipeline.runlog import job_logging

if TYPE_CHECKING:
    from snakemake.script import snakemake

with job_logging(snakemake.log[0]) as log:
    device = resolve_device("auto", log)
    write_json(
        snakemake.output.probe,
        {
            "device": str(device),
            "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
            "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
        },
    )
"""


# ----------------------------------------------------------------------------------------------
# A single-node SLURM in a temporary folder
# ----------------------------------------------------------------------------------------------


@dataclass
class Cluster:
    """A running test cluster: its folder, client environment and the daemons' pid files."""

    root: Path
    env: dict[str, str]
    pidfiles: list[Path] = field(default_factory=list)
    links: list[Path] = field(default_factory=list)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a SLURM client command against this cluster."""
        return subprocess.run(
            args, env=self.env, check=check, capture_output=True, text=True, timeout=DAEMON_TIMEOUT
        )


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _wait(what: str, ok, logs: list[Path], seconds: float = DAEMON_TIMEOUT) -> None:
    """Poll ``ok()`` until true; after ``seconds`` fail with the tail of the daemons' logs."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            if ok():
                return
        time.sleep(0.2)
    tails = "\n".join(
        f"--- {p}\n" + "\n".join(p.read_text(errors="replace").splitlines()[-15:])
        for p in logs
        if p.exists()
    )
    raise RuntimeError(f"test cluster: timed out waiting for {what}\n{tails}")


def _sh(*args: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env=env, check=True, capture_output=True, text=True, timeout=DAEMON_TIMEOUT, **kw
    )


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has stopped (PID 1 reaps late)


def _stop(pidfiles: list[Path]) -> None:
    """Stop the daemons behind ``pidfiles`` (in reverse start order) by PID, never by name."""
    for pidfile in reversed(pidfiles):
        with contextlib.suppress(OSError, ValueError):
            pid = int(pidfile.read_text().split()[0])
            if not _alive(pid):
                continue
            os.kill(pid, signal.SIGTERM)
            end = time.monotonic() + STOP_TIMEOUT
            while _alive(pid) and time.monotonic() < end:
                time.sleep(0.1)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _ours(conf: Path) -> bool:
    """True for a link this test made (a run killed before its clean-up leaves one)."""
    with contextlib.suppress(OSError):
        return conf.is_symlink() and "ClusterName=hw6test" in conf.read_text()
    return conf.is_symlink() and not conf.exists()


def _unlink(links: list[Path]) -> None:
    for link in links:
        if _ours(link):
            link.unlink()


def _why_no_slurm() -> str | None:
    """Install SLURM if needed and possible; the reason it cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root to start SLURM daemons"
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        return "snakemake-executor-plugin-slurm is not installed (the `slurm` extra)"
    if not all(shutil.which(d) or Path("/usr/sbin", d).exists() for d in DAEMONS):
        if not shutil.which("apt-get"):
            return "SLURM is not installed and apt-get is not available"
        done = subprocess.run(
            [str(REPO / ".ci" / "apt-packages"), *PACKAGES], capture_output=True, text=True
        )
        if done.returncode != 0:
            return f"could not install {' '.join(PACKAGES)}: {done.stderr.strip()[-300:]}"
    if (SYSTEM_CONF.exists() or SYSTEM_CONF.is_symlink()) and not _ours(SYSTEM_CONF):
        return f"{SYSTEM_CONF} exists (a configured SLURM here); the test does not touch it"
    return None


def start_cluster(root: Path) -> Cluster:
    """Start munged, MariaDB, slurmdbd, slurmctld and slurmd with all state under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)  # munged refuses to use a socket folder it cannot reach
    logs = root / "log"
    logs.mkdir()
    mysql_port, dbd_port, ctld_port, d_port = _free_ports(4)
    env = {**os.environ, "SLURM_CONF": str(root / "slurm.conf")}
    cluster = Cluster(root, env)
    log_files = [logs / n for n in ("munged.log", "mariadb.log", "slurmdbd.log")]
    log_files += [logs / "slurmctld.log", logs / "slurmd.log"]
    try:
        # munge: its own key, socket and pid file (as root: --force).
        munge = root / "munge"
        munge.mkdir(mode=0o755)
        key = munge / "munge.key"
        _sh("mungekey", "--create", f"--keyfile={key}")
        key.chmod(0o400)
        msock = munge / "munge.socket"
        cluster.pidfiles.append(munge / "munged.pid")
        _sh(
            "munged", "--force", f"--socket={msock}", f"--key-file={key}",
            f"--pid-file={munge / 'munged.pid'}", f"--log-file={logs / 'munged.log'}",
            f"--seed-file={munge / 'munged.seed'}",
        )  # fmt: skip
        _wait(
            "munged",
            lambda: (
                subprocess.run(
                    f"munge -S {msock} -n | unmunge -S {msock}", shell=True, capture_output=True
                ).returncode
                == 0
            ),
            log_files,
        )

        # MariaDB for slurmdbd: a fresh database folder, TCP on a free port of 127.0.0.1.
        db = root / "mariadb"
        _sh(
            "mariadb-install-db", "--no-defaults", "--user=root", f"--datadir={db}",
            "--auth-root-authentication-method=socket", "--skip-test-db",
        )  # fmt: skip
        dbsock = root / "mariadb.sock"
        cluster.pidfiles.append(root / "mariadb.pid")
        # mariadbd stays in the foreground: detach it through a shell that exits at once
        _sh(
            "sh", "-c", 'exec "$@" </dev/null >/dev/null 2>&1 &', "sh",
            "mariadbd", "--no-defaults", "--user=root", f"--datadir={db}",
            f"--socket={dbsock}", "--bind-address=127.0.0.1", f"--port={mysql_port}",
            f"--pid-file={root / 'mariadb.pid'}", f"--log-error={logs / 'mariadb.log'}",
            "--skip-log-bin",
        )  # fmt: skip
        _wait(
            "MariaDB",
            lambda: _sh("mariadb-admin", "--no-defaults", f"--socket={dbsock}", "ping"),
            log_files,
        )
        _sh(
            "mariadb", "--no-defaults", f"--socket={dbsock}", "-e",
            "CREATE DATABASE slurm_acct_db; "
            "CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY 'hw6test'; "
            "GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';",
        )  # fmt: skip

        auth = f"AuthType=auth/munge\nAuthInfo=socket={msock}\n"
        dbd_conf = root / "slurmdbd.conf"  # found next to $SLURM_CONF
        dbd_conf.write_text(
            auth
            + f"DbdHost=localhost\nDbdPort={dbd_port}\nSlurmUser=root\n"
            + f"PidFile={root / 'slurmdbd.pid'}\nLogFile={logs / 'slurmdbd.log'}\n"
            + "StorageType=accounting_storage/mysql\nStorageHost=127.0.0.1\n"
            + f"StoragePort={mysql_port}\nStorageUser=slurm\nStoragePass=hw6test\n"
            + "StorageLoc=slurm_acct_db\n"
        )
        dbd_conf.chmod(0o600)  # slurmdbd refuses a readable file (it holds a password)

        # slurm.conf: one node with the machine's CPUs, 90% of its memory and a fake GPU.
        hw = _sh("slurmd", "-C", env=env).stdout
        cpus = int(re.search(r"\bCPUs=(\d+)", hw).group(1))
        mem = int(int(re.search(r"\bRealMemory=(\d+)", hw).group(1)) * 0.9)
        spool = root / "spool"
        (spool / "ctld").mkdir(parents=True)
        (spool / "d").mkdir()
        (root / "slurm.conf").write_text(
            "ClusterName=hw6test\nSlurmctldHost=localhost\n"
            + f"SlurmctldPort={ctld_port}\nSlurmdPort={d_port}\n"
            + "SlurmUser=root\nSlurmdUser=root\n"
            + auth
            + "CredType=cred/munge\nMpiDefault=none\nMailProg=/bin/true\n"
            # no cgroups here: track processes by parent PID, bind nothing
            + "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n"
            + "SelectType=select/cons_tres\nSelectTypeParameters=CR_Core_Memory\n"
            + "SchedulerType=sched/backfill\nReturnToService=2\n"
            + f"StateSaveLocation={spool / 'ctld'}\nSlurmdSpoolDir={spool / 'd'}\n"
            + f"SlurmctldPidFile={root / 'slurmctld.pid'}\nSlurmdPidFile={root / 'slurmd.pid'}\n"
            + f"SlurmctldLogFile={logs / 'slurmctld.log'}\nSlurmdLogFile={logs / 'slurmd.log'}\n"
            + "AccountingStorageType=accounting_storage/slurmdbd\n"
            + f"AccountingStorageHost=localhost\nAccountingStoragePort={dbd_port}\n"
            # for slurmdbd this names the munge socket slurmctld authenticates with
            + f"AccountingStoragePass={msock}\n"
            + "JobAcctGatherType=jobacct_gather/none\nJobCompType=jobcomp/none\n"
            + "GresTypes=gpu\n"
            + f"NodeName=localhost CPUs={cpus} RealMemory={mem} Gres=gpu:1 State=UNKNOWN\n"
            + f"PartitionName={PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n"
        )
        (root / "gres.conf").write_text("NodeName=localhost Name=gpu File=/dev/null\n")
        _unlink([SYSTEM_CONF])  # a link left by an earlier, killed run
        SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
        SYSTEM_CONF.symlink_to(root / "slurm.conf")
        cluster.links.append(SYSTEM_CONF)

        cluster.pidfiles.append(root / "slurmdbd.pid")
        _sh("slurmdbd", env=env)  # daemonizes
        _wait(
            "slurmdbd",
            lambda: socket.create_connection(("127.0.0.1", dbd_port), timeout=1).close() is None,
            log_files,
        )
        cluster.pidfiles.append(root / "slurmctld.pid")
        _sh("slurmctld", env=env)
        _wait("slurmctld", lambda: cluster.run("scontrol", "ping").returncode == 0, log_files)
        cluster.pidfiles.append(root / "slurmd.pid")
        _sh("slurmd", "-N", "localhost", env=env)  # -N: the host is not called localhost
        _wait(
            "the node to be idle",
            lambda: cluster.run("sinfo", "-h", "-o", "%T").stdout.strip() == "idle",
            log_files,
        )
    except BaseException:
        _stop(cluster.pidfiles)
        _unlink(cluster.links)
        raise
    return cluster


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A running single-node SLURM with accounting and one fake GPU; skips where impossible."""
    reason = _why_no_slurm()
    if reason:
        pytest.skip(f"no test SLURM cluster: {reason}")
    cluster = start_cluster(tmp_path_factory.mktemp("slurm"))
    try:
        yield cluster
    finally:
        _stop(cluster.pidfiles)
        _unlink(cluster.links)


# ----------------------------------------------------------------------------------------------
# Running Snakemake through the profiles
# ----------------------------------------------------------------------------------------------


def _profile(name: str) -> dict:
    return yaml.safe_load((REPO / "profiles" / name / "config.yaml").read_text())


def _with_partition(resources: dict[str, object]) -> list[str]:
    """``NAME=VALUE`` arguments for resources, the test cluster's partition replacing any."""
    out = []
    for key, value in resources.items():
        value = PARTITION if key == "slurm_partition" else value
        out.append(f"{key}={value}")
    return out


def profile_overrides(name: str, extra_rules: dict[str, str] | None = None) -> list[str]:
    """Command-line arguments that keep a profile's resources but use the test partition.

    A top-level key given on the command line replaces the profile's whole entry, so every
    default and per-rule resource is repeated, only ``slurm_partition`` changed. Polling is
    made fast (the cluster is idle and the jobs take seconds).
    ``extra_rules`` maps a test rule to the profile rule whose resources it gets.
    """
    prof = _profile(name)
    set_res = dict(prof.get("set-resources", {}))
    for test_rule, like in (extra_rules or {}).items():
        set_res[test_rule] = set_res[like]
    args = ["--default-resources", *_with_partition(prof["default-resources"])]
    args.append("--set-resources")
    for rule, res in set_res.items():
        args += [f"{rule}:{a}" for a in _with_partition(res)]
    args += [
        "--seconds-between-status-checks",
        "2",
        "--slurm-init-seconds-before-status-checks",
        "2",
    ]
    return args


def snakemake(
    workdir: Path, args: list[str], env: dict[str, str] | None = None, limit: int = RUN_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run Snakemake in ``workdir``; SIGINT on timeout (it cancels SLURM jobs and exits)."""
    return subprocess.run(
        ["timeout", "-s", "INT", "-k", "30", str(limit), str(SNAKEMAKE), *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
    )


def submitted(output: str) -> dict[str, str]:
    """SLURM job id of every job the plugin submitted, by Snakemake job id."""
    return dict(re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+)", output))


def sbatch_calls(output: str) -> list[str]:
    """The plugin's sbatch command lines (logged with --verbose)."""
    return re.findall(r"sbatch call: (.*)", output)


def dry_run_jobs(workdir: Path, args: list[str]) -> list[dict[str, str]]:
    """Rule, output and log of every job a dry run would run (Snakemake's plain listing)."""
    out = snakemake(workdir, ["-n", *args])
    assert out.returncode == 0, out.stderr[-3000:]
    jobs: list[dict[str, str]] = []
    for line in (out.stdout + out.stderr).splitlines():
        if m := re.match(r"(?:local)?rule (\w+):$", line):
            jobs.append({"rule": m.group(1)})
        elif jobs and (m := re.match(r"\s+(output|log): (.*)$", line)):
            jobs[-1][m.group(1)] = m.group(2).split(", ")[0]
    return jobs


def wrapper(probe: Path) -> str:
    """The wrapper Snakefile's text (the real workflow and the test-only rules)."""
    return WRAPPER.format(
        snakefile=str(REPO / "Snakefile"), probe=str(probe), retry_sleep=RETRY_SLEEP
    )


def result_jsons(workdir: Path) -> dict[str, object]:
    return {
        str(p.relative_to(workdir)): json.loads(p.read_text())
        for p in sorted((workdir / "results").rglob("*.json"))
        if "slurmtest" not in p.parts
        and "benchmarks" not in p.parts
        and p.name != "provenance.json"  # timings and dates: expected to differ
    }


@pytest.fixture(scope="module")
def small_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("slurmcfg") / "small.yaml"
    path.write_text(yaml.safe_dump(SMALL_CONFIG))
    return path


def test_slurm_profile_repeats_the_portable_settings() -> None:
    """profiles/slurm replaces profiles/default, so it must carry the same portable keys."""
    default = _profile("default")
    slurm = _profile("slurm")
    for key, value in default.items():
        if key != "latency-wait":  # the cluster profile waits longer for shared file systems
            assert slurm.get(key) == value, key
    assert slurm["executor"] == "slurm"
    assert {"slurm_partition", "runtime", "mem_mb"} <= set(slurm["default-resources"])


def test_gpu_profile_is_the_slurm_profile_plus_a_gpu_for_training() -> None:
    slurm = _profile("slurm")
    gpu = _profile("slurm-gpu")
    train = gpu["set-resources"].pop("mlp_train")
    slurm["set-resources"].pop("mlp_train")
    assert gpu == slurm
    assert train["gpu"] == 1


@pytest.mark.slurm
def test_pipeline_through_slurm_matches_a_local_run(
    slurm_cluster: Cluster, small_config: Path, tmp_path: Path
) -> None:
    """Every job goes through sbatch; the results equal those of a local run."""
    local, cluster = tmp_path / "local", tmp_path / "cluster"
    local.mkdir()
    cluster.mkdir()
    common = ["-s", str(REPO / "Snakefile"), "--configfile", str(small_config)]
    ran_local = snakemake(local, [*common, "--cores", "2"])
    assert ran_local.returncode == 0, ran_local.stderr[-3000:]

    run = snakemake(
        cluster,
        [
            *common,
            "--workflow-profile", str(REPO / "profiles" / "slurm"),
            *profile_overrides("slurm"),
            "--verbose",
        ],
        env=slurm_cluster.env,
    )  # fmt: skip
    log = run.stdout + run.stderr
    (tmp_path / "snakemake-slurm.log").write_text(log)
    assert run.returncode == 0, log[-4000:]

    # only real work was submitted; the short jobs ran inside Snakemake (localrules)
    ran = re.findall(r"^rule (\w+):$", log, flags=re.MULTILINE)
    ran_locally = re.findall(r"^localrule (\w+):$", log, flags=re.MULTILINE)
    jobs = submitted(log)
    assert len(ran) >= 6 and len(jobs) == len(ran), (ran, jobs)
    assert set(ran) == SUBMITTED_RULES, ran
    assert set(ran_locally) == LOCAL_RULES, ran_locally
    acct = slurm_cluster.run(
        "sacct", "-X", "-n", "-P", "-o", "JobID,Partition,State,ExitCode",
        "-j", ",".join(jobs.values()),
    ).stdout.split()  # fmt: skip
    assert sorted(acct) == sorted(f"{j}|{PARTITION}|COMPLETED|0:0" for j in jobs.values())
    calls = sbatch_calls(log)
    assert len(calls) == len(jobs)
    assert all(f"-p {PARTITION}" in c and "--gpus" not in c for c in calls), calls
    comments = re.findall(r"--comment rule_(\w+)", " ".join(calls))  # rule_<rule>_wildcards_...
    assert {re.sub(r"_wildcards_\w*$", "", c) for c in comments} == SUBMITTED_RULES
    # the plugin's per-job SLURM logs (kept by the profile)
    assert len(list((cluster / ".snakemake" / "slurm_logs").rglob("*.log"))) == len(jobs)

    assert (cluster / "reports" / "hw6.html").is_file()
    assert result_jsons(cluster) == result_jsons(local)
    assert result_jsons(local)


@pytest.mark.slurm
def test_gpu_job_and_failing_job(
    slurm_cluster: Cluster, small_config: Path, tmp_path: Path
) -> None:
    """Under profiles/slurm-gpu a training job asks for --gpus, finds no CUDA and says so;
    a job that fails is reported as failed and Snakemake exits instead of waiting."""
    work = tmp_path / "gpu"
    work.mkdir()
    probe = tmp_path / "gpu_probe.py"
    probe.write_text(PROBE)
    snakefile = tmp_path / "Snakefile"
    snakefile.write_text(wrapper(probe))
    common = ["-s", str(snakefile), "--configfile", str(small_config)]

    # the real training rule when the workflow has it, else the test's probe in its place
    # (named: the wrapper's first rule would otherwise be the default target)
    jobs = dry_run_jobs(work, ["all", *common])
    train = next((j for j in jobs if j["rule"] == "mlp_train"), None)
    if train is None:
        train = {
            "rule": "slurm_test_gpu",
            "output": "results/slurmtest/gpu_probe.json",
            "log": "logs/slurmtest/gpu_probe.log",
        }
        extra = {"slurm_test_gpu": "mlp_train"}
    else:
        extra = {}
    run = snakemake(
        work,
        [
            *common,
            "--workflow-profile", str(REPO / "profiles" / "slurm-gpu"),
            *profile_overrides("slurm-gpu", extra),
            "--verbose",
            train["output"], "results/slurmtest/fail.txt",
        ],
        env=slurm_cluster.env,
    )  # fmt: skip
    log = run.stdout + run.stderr
    (tmp_path / "snakemake-slurm-gpu.log").write_text(log)
    assert run.returncode == 1, f"rc {run.returncode} (124/130: a hang)\n{log[-4000:]}"

    # the failure is reported, with SLURM's view of it
    assert re.search(r"Error in rule slurm_test_fail", log), log[-4000:]
    assert "SLURM status is: 'FAILED'" in log, log[-4000:]
    assert not (work / "results/slurmtest/fail.txt").exists()

    # the training job asked for a GPU, got the fake one, and fell back to the CPU
    calls = sbatch_calls(log)
    gpu_calls = [c for c in calls if f"--comment rule_{train['rule']}" in c]
    assert len(gpu_calls) >= 1 and all("--gpus=1" in c for c in gpu_calls), calls
    assert all("--gpus" not in c for c in calls if "rule_slurm_test_fail" in c), calls
    assert (work / train["output"]).is_file(), log[-4000:]
    assert FALLBACK_LINE in (work / train["log"]).read_text()
    if train["rule"] == "mlp_train":  # said in Snakemake's own output, not only the job's log
        assert re.search(
            r"^hw6: warning: \d+ training job\(s\) were given a GPU but found no "
            r"CUDA device",
            log,
            re.MULTILINE,
        ), log[-4000:]
    if train["rule"] == "slurm_test_gpu":
        probe_out = json.loads((work / train["output"]).read_text())
        assert probe_out["device"] == "cpu"
        assert probe_out["cuda_visible_devices"] == "0"  # SLURM bound the fake GPU
        assert probe_out["slurm_job_id"]


@pytest.mark.slurm
def test_job_out_of_time_is_retried_with_more(
    slurm_cluster: Cluster, small_config: Path, tmp_path: Path
) -> None:
    """A job that SLURM stops at its time limit is submitted again with a longer one (the
    profiles' ``retries``, the rules' runtime times the attempt) and then completes."""
    work = tmp_path / "retry"
    work.mkdir()
    probe = tmp_path / "gpu_probe.py"
    probe.write_text(PROBE)
    snakefile = tmp_path / "Snakefile"
    snakefile.write_text(wrapper(probe))
    run = snakemake(
        work,
        [
            "-s", str(snakefile), "--configfile", str(small_config),
            "--workflow-profile", str(REPO / "profiles" / "slurm"),
            *profile_overrides("slurm"),
            "--verbose",
            "results/slurmtest/retry.txt",
        ],
        env=slurm_cluster.env,
    )  # fmt: skip
    log = run.stdout + run.stderr
    (tmp_path / "snakemake-slurm-retry.log").write_text(log)
    assert run.returncode == 0, f"rc {run.returncode}\n{log[-4000:]}"
    assert (work / "results/slurmtest/retry.txt").read_text() == "done\n"

    calls = [c for c in sbatch_calls(log) if "--comment rule_slurm_test_retry" in c]
    limits = [int(re.search(r" -t (\d+)", c).group(1)) for c in calls]
    assert limits in ([1, 2], [1, 2, 3]), calls  # one minute, then two (then three)
    ids = re.findall(r"Job \d+ has been submitted with SLURM jobid (\d+)", log)
    assert len(ids) == len(calls), log[-4000:]
    states = slurm_cluster.run(
        "sacct", "-X", "-n", "-P", "-o", "JobID,State,Timelimit", "-j", ",".join(ids)
    ).stdout.split()
    by_id = {line.split("|")[0]: line.split("|")[1:] for line in states}
    assert [by_id[i][0] for i in ids] == ["TIMEOUT"] * (len(ids) - 1) + ["COMPLETED"], states
    assert [by_id[i][1] for i in ids] == [f"00:0{m}:00" for m in limits], states
