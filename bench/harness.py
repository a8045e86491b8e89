#!/usr/bin/env python3
"""Measuring harness of the MCP benchmark (issue 3). Started by bench/run; standard library only.

    harness.py measure --work DIR --mcp-home DIR --out DIR
    harness.py cleanup --work DIR

Every supervisor (MCP, supervisord, runit, s6, daemontools) runs the same static bench-svc on
a private directory under --work, in the foreground, started by this harness in its own session.
Process start-ups are timed with the kernel's process connector (netlink, PROC_EVENT_EXEC,
whose timestamps are CLOCK_MONOTONIC nanoseconds): no polling, so the harness does not steal
the CPU the supervisor under test needs. Without it (not root, or a kernel without
CONFIG_PROC_EVENTS) it falls back to scanning /proc every millisecond.
"""
import argparse
import errno
import json
import os
import platform
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time

import prop

NS = 1_000_000_000
CLK_TCK = os.sysconf("SC_CLK_TCK")


def env_int(name, default):
    return int(os.environ.get(name, default))


def env_float(name, default):
    return float(os.environ.get(name, default))


CFG = {
    "kills": env_int("BENCH_KILLS", 30),             # crash -> restart: kills per supervisor
    "stable_s": env_float("BENCH_STABLE_S", 1.2),    # uptime before each kill (> every 1 s throttle)
    "services": env_int("BENCH_SERVICES", 100),      # footprint, start-up and CLI
    "startup_runs": env_int("BENCH_STARTUP_RUNS", 5),
    "cli_runs": env_int("BENCH_CLI_RUNS", 20),
    "settle_s": env_float("BENCH_SETTLE_S", 3.0),    # idle time before the scale part's idle CPU
    # Idle time before a footprint reading: a JVM keeps the start-up's compile arenas for up to
    # 5 s (HotSpot's chunk pool cleaner), then hands them back within 1 s (the native-heap
    # trimmer); read at 3 s, about one MCP process in ten was 11 MB above its idle size.
    "footprint_settle_s": env_float("BENCH_FOOTPRINT_SETTLE_S", 10.0),
    "scale_services": env_int("BENCH_SCALE_SERVICES", 1000),
    "idle_cpu_s": env_float("BENCH_IDLE_CPU_S", 30.0),
    "pass_watch_s": env_float("BENCH_PASS_WATCH_S", 11.0),
    "idle_settled_after_s": env_float("BENCH_IDLE_SETTLED_AFTER_S", 60.0),  # the second idle window's start
    "supervisors": os.environ.get("BENCH_SUPERVISORS", "mcp,supervisord,runit,s6,daemontools").split(","),
    "zk_writes": env_int("BENCH_ZK_WRITES", 200),    # ZooKeeper floor: writes seen by one watcher
    "zk_writes50": env_int("BENCH_ZK_WRITES50", 50),  # ... and by 50 watchers
    "parts": os.environ.get("BENCH_PARTS", "crash,footprint,startup,cli,scale,zk,prop").split(","),
}

SVC = "bench-svc"


def log(*a):
    print("[bench %s]" % time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def pct(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


def summary(values, unit_scale=1.0, digits=3):
    if not values:
        return {"n": 0}
    v = [x * unit_scale for x in values]
    return {"n": len(v), "p50": round(statistics.median(v), digits), "p90": round(pct(v, 90), digits),
            "min": round(min(v), digits), "max": round(max(v), digits)}


# ---------------------------------------------------------------------------------------------
# /proc helpers

def read(path, mode="r"):
    try:
        with open(path, mode) as f:
            return f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError, OSError):
        return None


def idle_cpu(pids):
    """The CPU each of {name: pid} uses over BENCH_IDLE_CPU_S, in % of one core; and the window, s."""
    before = {k: proc_stat(p)[3] for k, p in pids.items()}
    t0 = time.monotonic()
    time.sleep(CFG["idle_cpu_s"])
    el = time.monotonic() - t0
    after = {k: proc_stat(p)[3] for k, p in pids.items()}
    return round(el, 1), {k: round((after[k] - before[k]) / CLK_TCK / el * 100, 2) for k in pids}


def proc_stat(pid):
    """(comm, state, ppid, utime+stime ticks, starttime) or None."""
    s = read("/proc/%d/stat" % pid)
    if s is None:
        return None
    o, c = s.index("("), s.rindex(")")
    f = s[c + 2:].split()
    return s[o + 1:c], f[0], int(f[1]), int(f[11]) + int(f[12]), int(f[19])


def all_pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def snapshot():
    """pid -> (comm, state, ppid) of every process."""
    out = {}
    for pid in all_pids():
        st = proc_stat(pid)
        if st:
            out[pid] = st[:3]
    return out


def descendants(root, snap=None):
    snap = snap or snapshot()
    children = {}
    for pid, (_, _, ppid) in snap.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        if p in snap:
            out.append(p)
        todo.extend(children.get(p, []))
    return out


def exe(pid):
    try:
        return os.readlink("/proc/%d/exe" % pid)
    except OSError:
        return None


def alive(pid):
    st = proc_stat(pid)
    return st is not None and st[1] != "Z"


def smaps_rollup(pid):
    """(rss_kb, pss_kb) of one process."""
    s = read("/proc/%d/smaps_rollup" % pid)
    rss = pss = 0
    for line in (s or "").splitlines():
        if line.startswith("Rss:"):
            rss = int(line.split()[1])
        elif line.startswith("Pss:"):
            pss = int(line.split()[1])
    return rss, pss


# ---------------------------------------------------------------------------------------------
# Exec events

class ExecEvents:
    """Exec events of all processes: (tgid, CLOCK_MONOTONIC ns). Netlink process connector."""
    NETLINK_CONNECTOR, CN_IDX_PROC, PROC_CN_MCAST_LISTEN = 11, 1, 1
    PROC_EVENT_FORK, PROC_EVENT_EXEC, PROC_EVENT_EXIT = 0x1, 0x2, 0x80000000

    def __init__(self, binary):
        self.binary = binary
        self.sock = None
        self.method = "netlink process connector (PROC_EVENT_EXEC)"
        try:
            s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, self.NETLINK_CONNECTOR)
            try:
                s.setsockopt(socket.SOL_SOCKET, 33, 32 << 20)  # SO_RCVBUFFORCE: 1,000 start-ups at once
            except OSError:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
            s.bind((os.getpid(), self.CN_IDX_PROC))
            op = struct.pack("=I", self.PROC_CN_MCAST_LISTEN)
            cn = struct.pack("=IIIIHH", self.CN_IDX_PROC, 1, 0, 0, len(op), 0) + op
            s.send(struct.pack("=IHHII", 16 + len(cn), 3, 0, 0, os.getpid()) + cn)  # NLMSG_DONE
            s.setblocking(False)
            self.sock = s
            self.overrun = False
        except OSError as e:
            self.method = "1 ms scan of /proc (process connector unavailable: %s)" % e
            self.known = set(self._scan())
        self.forks, self.exits = {}, {}

    def _scan(self):
        return [p for p in all_pids() if self.is_ours(p)]

    def is_ours(self, pid):
        return read("/proc/%d/comm" % pid) == SVC + "\n" and exe(pid) == self.binary

    def events(self, timeout):
        """Exec events within timeout seconds: list of (tgid, ts_ns). Fork and exit events of
        processes (not threads) are kept in self.forks (child -> (ts, parent)) and self.exits."""
        if self.sock is None:
            time.sleep(0.001)
            now = time.monotonic_ns()
            cur = set(self._scan())
            new = cur - self.known
            self.known = cur
            return [(p, now) for p in new]
        r, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        out = []
        if not r:
            return out
        while True:
            try:
                d = self.sock.recv(65536)
            except BlockingIOError:
                break
            except OSError as e:
                if e.errno == errno.ENOBUFS:
                    self.overrun = True
                    continue
                raise
            off = 0
            while off + 16 <= len(d):
                ln = struct.unpack_from("=I", d, off)[0]
                if ln < 16:
                    break
                if ln >= 16 + 20 + 16:
                    what, _, ts = struct.unpack_from("=IIQ", d, off + 36)
                    if what == self.PROC_EVENT_EXEC:
                        _, tgid = struct.unpack_from("=II", d, off + 52)
                        out.append((tgid, ts))
                    elif what == self.PROC_EVENT_FORK and ln >= 36 + 16 + 16:
                        _, ptgid, cpid, ctgid = struct.unpack_from("=IIII", d, off + 52)
                        if cpid == ctgid:
                            self.forks[ctgid] = (ts, ptgid)
                    elif what == self.PROC_EVENT_EXIT:
                        pid, tgid = struct.unpack_from("=II", d, off + 52)
                        if pid == tgid:
                            self.exits[tgid] = ts
                off += (ln + 3) & ~3
        return out

    def drain(self):
        while self.events(0):
            pass
        self.forks.clear()
        self.exits.clear()
        if self.sock is None:
            self.known = set(self._scan())

    def wait_service_execs(self, count, deadline_s, exclude=()):
        """Waits until `count` new bench-svc processes have exec'ed; returns {pid: ts of its last exec}.

        A service started through a shell (`sh -c 'exec bench-svc'`, or a run script) execs twice
        in the same PID; the bench-svc exec is the last one, so each PID's latest exec time counts.
        """
        last, first, ours = {}, {}, set()
        end = time.monotonic() + deadline_s
        while len(ours) < count and time.monotonic() < end:
            for pid, ts in self.events(min(0.2, end - time.monotonic())):
                last[pid] = ts
                first.setdefault(pid, ts)
                if pid not in ours and pid not in exclude and self.is_ours(pid):
                    ours.add(pid)
        # An exec event already read may have been the shell's, with bench-svc's still queued.
        stop = time.monotonic() + 0.02
        while time.monotonic() < stop:
            for pid, ts in self.events(0.005):
                if pid in ours:
                    last[pid] = ts
        self.first_exec = {p: first[p] for p in ours}
        return {p: last[p] for p in ours}


# ---------------------------------------------------------------------------------------------
# Supervisors

class Supervisor:
    name = "?"
    label = "?"

    def __init__(self, h, n, tag):
        self.h = h
        self.n = n
        self.dir = os.path.join(h.work, "%s-%d-%s" % (self.name, n, tag))
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.proc = None
        self.names = ["svc%04d" % i for i in range(1, n + 1)]
        self.setup()

    def setup(self):
        raise NotImplementedError

    def command(self):
        raise NotImplementedError

    def launch(self):
        out = open(os.path.join(self.dir, "supervisor.out"), "ab")
        self.proc = subprocess.Popen(self.command(), cwd=self.dir, stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=subprocess.STDOUT, start_new_session=True, env=self.env())
        self.h.started.append(self.proc.pid)
        out.close()
        return self.proc

    def env(self):
        return dict(os.environ)

    def own_pids(self):
        """The supervisor's own processes: everything it started except the services."""
        snap = snapshot()
        return [p for p in descendants(self.proc.pid, snap) if snap[p][0] != SVC and snap[p][1] != "Z"]

    def stop(self):
        if self.proc is None:
            return
        self.h.kill_tree(self.proc.pid)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.h.kill_services()
        self.proc = None

    def run_script(self, d):
        os.makedirs(d)
        p = os.path.join(d, "run")
        with open(p, "w") as f:
            f.write("#!/bin/sh\nexec %s\n" % self.h.binary)
        os.chmod(p, 0o755)

    # CLI commands: (label, argv) or None
    def cli_all(self):
        return None

    def cli_one(self):
        return None


class Mcp(Supervisor):
    name, label = "mcp", "MCP"
    zk_connect = None  # set on an instance (before setup) to point cluster.xml at an external ZooKeeper

    def __init__(self, h, n, tag, zk_connect=None):
        self.zk_connect = zk_connect
        super().__init__(h, n, tag)

    def setup(self):
        # The embedded ZooKeeper listens on 2181 unless told otherwise: a free port instead, so that
        # a node of another run on this machine (another benchmark, a test) cannot take it first and
        # keep this master from starting.
        if self.zk_connect:
            zk = '<zookeeper connect="%s"/>' % self.zk_connect
        else:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                zk = '<zookeeper connect="embedded" port="%d"/>' % s.getsockname()[1]
        with open(os.path.join(self.dir, "cluster.xml"), "w") as f:
            f.write('<cluster name="bench">%s<node id="1"/><member id="1"/></cluster>\n' % zk)
        d = os.path.join(self.dir, "services.d")
        os.makedirs(d)
        for s in self.names:
            with open(os.path.join(d, s + ".xml"), "w") as f:
                f.write('<service name="%s" enable="1"><process name="%s"/>\n'
                        '  <actionlist name="start"><action>%s</action></actionlist>\n'
                        '  <restart reset-after="1s"/></service>\n' % (s, SVC, self.h.binary))

    def command(self):
        return [os.path.join(self.h.mcp_home, "bin", "mcp"), "up", "--root", self.dir]

    def env(self):
        e = dict(os.environ)
        if self.h.java_opts:
            e["JAVA_TOOL_OPTIONS"] = self.h.java_opts
        return e

    def pid_of(self, name):
        s = read(os.path.join(self.dir, "var", "run", name + ".pid"))
        return int(s.strip()) if s and s.strip().isdigit() else None

    def ctl(self):
        return [os.path.join(self.h.mcp_home, "bin", "mcpctl"), "--root", self.dir]

    def cli_all(self):
        return "mcpctl services -a", self.ctl() + ["services", "-a"]

    def cli_one(self):
        return "mcpctl services NAME", self.ctl() + ["services", self.names[0]]


class Supervisord(Supervisor):
    name, label = "supervisord", "supervisord"

    def setup(self):
        self.conf = os.path.join(self.dir, "supervisord.conf")
        os.makedirs(os.path.join(self.dir, "log"))
        with open(self.conf, "w") as f:
            f.write("[supervisord]\nnodaemon=true\nlogfile=%(d)s/supervisord.log\npidfile=%(d)s/supervisord.pid\n"
                    "childlogdir=%(d)s/log\n\n[unix_http_server]\nfile=%(d)s/supervisor.sock\n\n"
                    "[rpcinterface:supervisor]\n"
                    "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
                    "[supervisorctl]\nserverurl=unix://%(d)s/supervisor.sock\n\n" % {"d": self.dir})
            for s in self.names:
                f.write("[program:%s]\ncommand=%s\nautorestart=true\n\n" % (s, self.h.binary))

    def command(self):
        return ["supervisord", "-n", "-c", self.conf]

    def cli_all(self):
        return "supervisorctl status", ["supervisorctl", "-c", self.conf, "status"]

    def cli_one(self):
        return "supervisorctl status NAME", ["supervisorctl", "-c", self.conf, "status", self.names[0]]


class Runit(Supervisor):
    name, label = "runit", "runit"

    def setup(self):
        self.scan = os.path.join(self.dir, "service")
        os.makedirs(self.scan)
        for s in self.names:
            self.run_script(os.path.join(self.scan, s))

    def command(self):
        return ["runsvdir", self.scan]

    def cli_all(self):
        return "sv status DIR/*", ["sv", "status"] + [os.path.join(self.scan, s) for s in self.names]

    def cli_one(self):
        return "sv status NAME", ["sv", "status", os.path.join(self.scan, self.names[0])]


class S6(Supervisor):
    name, label = "s6", "s6"

    def setup(self):
        self.scan = os.path.join(self.dir, "scan")
        os.makedirs(self.scan)
        for s in self.names:
            self.run_script(os.path.join(self.scan, s))

    def command(self):
        return ["s6-svscan", self.scan]

    def cli_all(self):
        # s6-svstat takes one service directory: all of them is one call each.
        return "s6-svstat, each service (sh loop)", ["sh", "-c", 'for d in "$1"/*/; do s6-svstat "$d"; done', "sh",
                                                     self.scan]

    def cli_one(self):
        return "s6-svstat NAME", ["s6-svstat", os.path.join(self.scan, self.names[0])]


class Daemontools(Supervisor):
    name, label = "daemontools", "daemontools"

    def setup(self):
        self.scan = os.path.join(self.dir, "service")
        os.makedirs(self.scan)
        for s in self.names:
            self.run_script(os.path.join(self.scan, s))

    def command(self):
        return ["svscan", self.scan]

    def cli_all(self):
        return "svstat DIR/*", ["svstat"] + [os.path.join(self.scan, s) for s in self.names]

    def cli_one(self):
        return "svstat NAME", ["svstat", os.path.join(self.scan, self.names[0])]


SUPERVISORS = {c.name: c for c in (Mcp, Supervisord, Runit, S6, Daemontools)}


# ---------------------------------------------------------------------------------------------
# The harness

class Harness:
    def __init__(self, work, mcp_home, out):
        self.work = os.path.abspath(work)
        self.mcp_home = os.path.abspath(mcp_home)
        self.out = out
        self.binary = os.path.join(self.work, SVC)
        self.started = []
        self.java_opts = os.environ.get("BENCH_MCP_JAVA_TOOL_OPTIONS", "")
        self.zk_cp = os.environ.get("BENCH_ZK_CP", "")
        self.ev = ExecEvents(self.binary)
        self.results = {}

    # -- processes --

    def kill_tree(self, root):
        """SIGKILLs root and its descendants, supervisors before the services they would restart."""
        snap = snapshot()
        tree = descendants(root, snap)
        for p in [p for p in tree if snap[p][0] != SVC] + [p for p in tree if snap[p][0] == SVC]:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def our_services(self):
        return [p for p in all_pids() if exe(p) == self.binary]

    def kill_services(self):
        """Kills every bench-svc of ours (by PID, found through its executable) until none is left."""
        end = time.monotonic() + 10
        while time.monotonic() < end:
            left = [p for p in self.our_services() if alive(p)]
            if not left:
                return
            for p in left:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)
        log("warning: bench-svc processes still alive after 10 s")

    def start(self, sup):
        """Launches sup and waits for all its services; returns seconds from launch to the last exec."""
        self.ev.drain()
        t0 = time.monotonic_ns()
        sup.launch()
        got = self.ev.wait_service_execs(sup.n, 60 + sup.n * 0.2)
        if len(got) < sup.n:
            raise RuntimeError("%s: only %d of %d services started within the time limit (see %s)"
                               % (sup.label, len(got), sup.n, sup.dir))
        return (max(got.values()) - t0) / NS, got

    def footprint(self, sup):
        time.sleep(CFG["footprint_settle_s"])
        pids = sup.own_pids()
        rss = pss = 0
        procs, rss_by_name = {}, {}
        for p in pids:
            r, s = smaps_rollup(p)
            rss += r
            pss += s
            comm = proc_stat(p)[0] if proc_stat(p) else "?"
            procs[comm] = procs.get(comm, 0) + 1
            rss_by_name[comm] = rss_by_name.get(comm, 0) + r
        return {"rss_kb": rss, "pss_kb": pss, "processes": sum(procs.values()), "by_name": procs,
                "rss_kb_by_name": rss_by_name}

    def external_zk(self):
        """Starts a standalone ZooKeeper server (from the master's own class path) on a free loopback
        port; returns (process, connect string). The footprint target is for MCP with an external
        ensemble, which runs outside MCP's three processes."""
        d = os.path.join(self.work, "zk-external")
        os.makedirs(os.path.join(d, "data"), exist_ok=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        cfg = os.path.join(d, "zoo.cfg")
        with open(cfg, "w") as f:
            f.write("tickTime=2000\ndataDir=%s/data\nclientPort=%d\nclientPortAddress=127.0.0.1\n"
                    "admin.enableServer=false\n4lw.commands.whitelist=ruok\n" % (d, port))
        lib = os.path.join(self.mcp_home, "mcp-master", "target", "lib", "*")
        out = open(os.path.join(d, "zk.out"), "ab")
        p = subprocess.Popen(["java", "-XX:+UseSerialGC", "-Xmx128m", "-cp", lib,
                              "org.apache.zookeeper.server.ZooKeeperServerMain", cfg],
                             cwd=d, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)
        out.close()
        self.started.append(p.pid)
        end = time.monotonic() + 30
        while time.monotonic() < end:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as c:
                    c.sendall(b"ruok")
                    if c.recv(4) == b"imok":
                        return p, "127.0.0.1:%d" % port
            except OSError:
                pass
            time.sleep(0.1)
        self.kill_tree(p.pid)
        raise RuntimeError("external ZooKeeper did not start (see %s/zk.out)" % d)

    def footprint_external_zk(self):
        """3: MCP's three processes, idle with 100 services, cluster.xml pointing at an external
        ZooKeeper that the benchmark runs (the issue's target); the embedded figure stays a row of its own."""
        zk, connect = self.external_zk()
        try:
            sup = Mcp(self, CFG["services"], "extzk", zk_connect=connect)
            try:
                self.start(sup)
                fp = self.footprint(sup)
                fp["zookeeper"] = connect
                self.results.setdefault("footprint", {}).setdefault("mcp", {})["%d-external-zk" % sup.n] = fp
                log("mcp footprint with %d, external ZooKeeper: %s" % (sup.n, fp))
            finally:
                sup.stop()
        finally:
            self.kill_tree(zk.pid)
            try:
                zk.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    # -- 1 and 3: crash -> restart, footprint with 1 service --

    def crash_and_footprint1(self, cls):
        sup = cls(self, 1, "crash")
        try:
            _, got = self.start(sup)
            if "footprint" in CFG["parts"]:
                self.results.setdefault("footprint", {}).setdefault(cls.name, {})["1"] = self.footprint(sup)
            if "crash" not in CFG["parts"]:
                return
            (pid, ts), = got.items()
            lat, failures = [], 0
            phases = {"kill_to_exit": [], "exit_to_fork": [], "fork_to_exec": []}
            for i in range(CFG["kills"]):
                # Up long enough to count as a stable run for every supervisor (each has a 1 s throttle).
                wait = ts / NS + CFG["stable_s"] - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                self.ev.drain()
                t0 = time.monotonic_ns()
                os.kill(pid, signal.SIGKILL)
                new = self.ev.wait_service_execs(1, 10, exclude=(pid,))
                if not new:
                    failures += 1
                    log("%s: no restart within 10 s after kill %d" % (cls.name, i + 1))
                    cur = [p for p in self.our_services() if alive(p)]
                    if not cur:
                        break
                    pid, ts = cur[0], time.monotonic_ns()
                    continue
                old = pid
                (pid, ts), = new.items()
                lat.append((ts - t0) / NS)
                # Where the time goes, from the kernel's own events: the old process's exit, the
                # fork of the new one, its (last) exec.
                exit_ts, fork = self.ev.exits.get(old), self.ev.forks.get(pid)
                if exit_ts and fork:
                    phases["kill_to_exit"].append((exit_ts - t0) / NS)
                    phases["exit_to_fork"].append((fork[0] - exit_ts) / NS)
                    phases["fork_to_exec"].append((ts - fork[0]) / NS)
            r = summary(lat, 1000.0, 2)
            r["failures"] = failures
            r["samples_ms"] = [round(x * 1000, 2) for x in lat]
            r["phases_p50_ms"] = {k: round(statistics.median(v) * 1000, 3) for k, v in phases.items() if v}
            self.results.setdefault("crash_ms", {})[cls.name] = r
            log("%s crash->restart ms: %s" % (cls.name, r))
        finally:
            sup.stop()

    # -- 3, 4, 5: start-up, footprint and CLI with 100 services --

    def startup_footprint_cli(self, cls):
        times = []
        for run in range(CFG["startup_runs"]):
            sup = cls(self, CFG["services"], "run%d" % run)
            try:
                t, _ = self.start(sup)
                times.append(t)
                log("%s: %d services running %.3f s after launch" % (cls.name, sup.n, t))
                if run == 0:
                    if "footprint" in CFG["parts"]:
                        fp = self.footprint(sup)
                        self.results.setdefault("footprint", {}).setdefault(cls.name, {})[str(sup.n)] = fp
                        log("%s footprint with %d: %s" % (cls.name, sup.n, fp))
                    if "cli" in CFG["parts"]:
                        self.cli(sup)
            finally:
                sup.stop()
            if "startup" not in CFG["parts"]:
                break
        if "startup" in CFG["parts"]:
            self.results.setdefault("startup_s", {})[cls.name] = summary(times, 1.0, 3)

    def time_command(self, argv, runs):
        out, bad = [], 0
        for _ in range(runs):
            t0 = time.perf_counter()
            rc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL).returncode
            out.append(time.perf_counter() - t0)
            # sv and svstat exit non-zero for reasons of their own (sv: count of services not up)
            bad += rc != 0
        return out, bad

    def cli(self, sup):
        for kind, spec in (("all", sup.cli_all()), ("one", sup.cli_one())):
            if spec is None:
                continue
            label, argv = spec
            # One untimed run first: it makes mcpctl's class-data archive after a build, and warms
            # the page cache for everyone.
            first = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
            if sup.name == "mcp" and first.returncode != 0:
                raise RuntimeError("%s failed: %s" % (label, first.stderr.strip()))
            times, bad = self.time_command(argv, CFG["cli_runs"])
            r = summary(times, 1000.0, 1)
            r.update({"command": label, "nonzero_exits": bad})
            self.results.setdefault("cli_ms", {}).setdefault(sup.name, {})[kind] = r
            log("%s cli %s: %s" % (sup.name, label, r))

    def jvm_floor(self):
        """Reference: an empty main class with mcpctl's JVM flags (the floor any Java CLI pays)."""
        d = os.path.join(self.work, "jvm-floor")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "Empty.java"), "w") as f:
            f.write("public class Empty { public static void main(String[] a) { } }\n")
        subprocess.run(["javac", "-d", d, os.path.join(d, "Empty.java")], check=True)
        argv = ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-Xss256k",
                "-XX:-UsePerfData", "-cp", d, "Empty"]
        subprocess.run(argv, check=True)
        times, _ = self.time_command(argv, CFG["cli_runs"])
        self.results["jvm_floor_ms"] = summary(times, 1000.0, 1)

    # -- 6: scale --

    def scale(self):
        n = CFG["scale_services"]
        sup = Mcp(self, n, "scale")
        r = {"services": n}
        try:
            t, _ = self.start(sup)
            all_running = time.monotonic()
            r["start_to_all_running_s"] = round(t, 3)
            log("mcp: %d services running %.3f s after launch" % (n, t))
            time.sleep(CFG["settle_s"])
            master = sup.pid_of("mcp-master")
            pids = {"mcp-master": master, "mcp-forker": sup.pid_of("mcp-forker"),
                    "mcp-failsafe": sup.pid_of("mcp-failsafe")}
            r["idle_window_s"], r["idle_cpu_pct_of_core"] = idle_cpu(pids)
            r["footprint_1000"] = {"rss_kb": 0, "pss_kb": 0}
            for p in pids.values():
                rs, ps = smaps_rollup(p)
                r["footprint_1000"]["rss_kb"] += rs
                r["footprint_1000"]["pss_kb"] += ps
            r["passes"] = self.watch_passes(master)
            # The same window again once the JIT has compiled what the periodic work calls (master and
            # forker compile a method after 10 calls, so the first minute still compiles): the figure
            # above is the one judged; this one says what an idle master costs for good.
            time.sleep(max(0.0, all_running + CFG["idle_settled_after_s"] - time.monotonic()))
            window, cpu = idle_cpu(pids)
            r["idle_settled"] = {"after_s": CFG["idle_settled_after_s"], "window_s": window, "cpu_pct_of_core": cpu}
            log("mcp scale: %s" % r)
        finally:
            sup.stop()
        self.results["scale"] = r

    def watch_passes(self, master):
        """Times the master's periodic passes from outside: the CPU time of its 'supervision' thread
        (/proc/PID/task/TID/schedstat, in ns) sampled every millisecond; a pass is a burst of it."""
        tid = None
        for t in os.listdir("/proc/%d/task" % master):
            if read("/proc/%d/task/%s/comm" % (master, t)) == "supervision\n":
                tid = t
        if tid is None:
            return {"error": "no 'supervision' thread in the master"}
        path = "/proc/%d/task/%s/schedstat" % (master, tid)
        samples = []
        end = time.monotonic() + CFG["pass_watch_s"]
        while time.monotonic() < end:
            samples.append((time.monotonic_ns(), int(read(path).split()[0])))
            time.sleep(0.001)
        bursts, cur = [], None
        for (t1, c1), (t2, c2) in zip(samples, samples[1:]):
            if c2 > c1:
                if cur and t1 - cur[1] < 50_000_000:  # within 50 ms: the same pass
                    cur[1], cur[3] = t2, c2
                else:
                    cur = [t1, t2, c1, c2]
                    bursts.append(cur)
        wall = [(b[1] - b[0]) / 1e6 for b in bursts]
        cpu = [(b[3] - b[2]) / 1e6 for b in bursts]
        starts = [b[0] for b in bursts]
        gaps = [(b - a) / 1e9 for a, b in zip(starts, starts[1:])]
        return {"n": len(bursts), "wall_ms": [round(w, 1) for w in wall], "cpu_ms": [round(c, 1) for c in cpu],
                "p50_wall_ms": round(statistics.median(wall), 1) if wall else None,
                "p50_cpu_ms": round(statistics.median(cpu), 1) if cpu else None,
                "interval_s": [round(g, 2) for g in gaps], "sample_period_ms": 1}

    # -- 2: the ZooKeeper floor under propagation --

    def zk_floor(self):
        d = os.path.join(self.work, "zk")
        os.makedirs(d, exist_ok=True)
        argv = ["java", "-XX:+UseSerialGC", "-cp", self.zk_cp, "io.mcp.bench.ZkFloor", d,
                str(CFG["zk_writes"]), str(CFG["zk_writes50"])]
        with open(os.path.join(d, "floor.err"), "w") as err:
            r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, text=True,
                               timeout=300)
        if r.returncode != 0:
            log("ZooKeeper floor failed (exit %d): see %s/floor.err" % (r.returncode, d))
            self.results["zk_floor_ms"] = {"error": "exit %d" % r.returncode}
            return
        self.results["zk_floor_ms"] = json.loads(r.stdout.strip().splitlines()[-1])
        log("ZooKeeper floor: %s" % self.results["zk_floor_ms"])

    # -- all --

    def run(self):
        t_all = time.monotonic()
        log("exec timing: %s" % self.ev.method)
        self.results["method"] = {"exec_timing": self.ev.method}
        for name in CFG["supervisors"]:
            cls = SUPERVISORS[name]
            if {"crash", "footprint"} & set(CFG["parts"]):
                log("== %s: crash -> restart, footprint with 1 service" % name)
                self.crash_and_footprint1(cls)
            if {"startup", "footprint", "cli"} & set(CFG["parts"]):
                log("== %s: start-up, footprint and CLI with %d services" % (name, CFG["services"]))
                self.startup_footprint_cli(cls)
            if name == "mcp" and "footprint" in CFG["parts"]:
                log("== mcp: footprint with %d services and an external ZooKeeper" % CFG["services"])
                self.footprint_external_zk()
        if "cli" in CFG["parts"]:
            self.jvm_floor()
        if "scale" in CFG["parts"] and "mcp" in CFG["supervisors"]:
            log("== mcp: scale, %d services" % CFG["scale_services"])
            self.scale()
        if "zk" in CFG["parts"] and self.zk_cp:
            log("== ZooKeeper floor (raw ZooKeeper, no MCP): 1 and 3 servers on loopback")
            self.zk_floor()
        if "prop" in CFG["parts"]:
            log("== propagation (bench/prop.py): 3 MCP nodes, the floor and 50 simulated nodes on one ZooKeeper")
            self.results["prop"] = prop.run(self, CFG["zk_writes"], CFG["zk_writes50"])
        if getattr(self.ev, "overrun", False):
            self.results["method"]["warning"] = "netlink receive buffer overran: some exec events were lost"
        self.results["harness_s"] = round(time.monotonic() - t_all, 1)
        return self.results


def cpu_busy(seconds=1.0):
    """Share of the machine's CPU time that was not idle over the next `seconds`."""
    def sample():
        f = [int(x) for x in read("/proc/stat").splitlines()[0].split()[1:]]
        return sum(f), f[3] + f[4]
    t1, i1 = sample()
    time.sleep(seconds)
    t2, i2 = sample()
    return 1 - (i2 - i1) / max(1, t2 - t1)


def wait_quiet():
    """Waits (BENCH_QUIET_WAIT_S at most) for an idle machine: the figures are only comparable on one."""
    end = time.monotonic() + env_float("BENCH_QUIET_WAIT_S", 120)
    b = cpu_busy()
    while b > 0.15 and time.monotonic() < end:
        log("machine %.0f%% busy: waiting for it to be idle" % (b * 100))
        time.sleep(4)
        b = cpu_busy()
    if b > 0.15:
        log("warning: measuring on a machine %.0f%% busy" % (b * 100))
    return round(b * 100, 1)


def machine():
    model = "?"
    for line in (read("/proc/cpuinfo") or "").splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = (read("/proc/meminfo") or "MemTotal: 0 kB").split("\n")[0].split()[1]
    def version(argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True)
            return (r.stdout + r.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return None
    def deb(pkg):
        r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg], capture_output=True, text=True)
        return r.stdout.strip() or None
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "memory_gib": round(int(mem) / 1024 / 1024, 1), "java": version(["java", "-version"]),
            "python": platform.python_version(),
            "peers": {p: deb(p) for p in ("supervisor", "runit", "s6", "daemontools")},
            "loadavg_before": (read("/proc/loadavg") or "").split()[:3]}


def cleanup(work):
    """Kills whatever the benchmark left behind: processes whose executable, working directory or
    command line lies under the work directory (supervisors, their helpers, services)."""
    work = os.path.abspath(work)
    me = os.getpid()
    for rounds in range(20):
        victims = []
        for p in all_pids():
            if p == me:
                continue
            try:
                cwd = os.readlink("/proc/%d/cwd" % p)
            except OSError:
                cwd = ""
            cmd = (read("/proc/%d/cmdline" % p, "rb") or b"").decode(errors="replace")
            e = exe(p) or ""
            if any(x == work or x.startswith(work + "/") for x in (cwd, e)) or work + "/" in cmd:
                if alive(p):
                    victims.append(p)
        if not victims:
            return
        for p in victims:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)


# ---------------------------------------------------------------------------------------------
# The table

TARGETS = {
    "crash_p50_ms": 3.0,
    "prop_two_p50_ms": 5.0,
    "prop_fifty_ms": 25.0,
    "rss100_mb": 150.0,
    "startup_p50_s": 0.8,
    "cli_all_p50_ms": 150.0,
    "idle_cpu_pct": 1.0,
}
PEERS = ["mcp", "supervisord", "runit", "s6", "daemontools"]


def verdict(ok, text):
    return ("met (%s)" % text) if ok else ("**MISSED** (%s)" % text)


def report(doc, total_s=None):
    r = doc.get("results", {})
    m = doc.get("machine", {})
    cfg = doc.get("config", {})

    def cell(d, fmt="%.1f", unit=""):
        if not d or not d.get("n"):
            return "—"
        return ("%s / %s%s (%d)" % (fmt % d["p50"], fmt % d["p90"], unit, d["n"]))

    rows = []

    def row(figure, cells, target="", status=""):
        rows.append("| %s | %s | %s | %s |" % (figure, " | ".join(cells), target, status))

    crash = r.get("crash_ms", {})
    cr = [cell(crash.get(p), "%.1f") for p in PEERS]
    c = crash.get("mcp")
    st = verdict(c["p50"] <= TARGETS["crash_p50_ms"], "p50 %.1f ms" % c["p50"]) if c and c.get("n") else ""
    row("1. Crash → restart: SIGKILL to exec of the new process, ms p50 / p90 (kills)", cr, "p50 ≤ 3 ms", st)
    ph = [crash.get(p, {}).get("phases_p50_ms") for p in PEERS]
    row("1a. … of which: death → supervisor forks the new process, ms p50",
        ["%.2f" % x["exit_to_fork"] if x else "—" for x in ph], "", "")
    row("1b. … of which: fork → exec of bench-svc, ms p50",
        ["%.2f" % x["fork_to_exec"] if x else "—" for x in ph], "", "")
    prop.rows(r.get("prop"), row, TARGETS, verdict)
    zk = r.get("zk_floor_ms", {})
    for key, label in (("servers_1", "1 server"), ("servers_3", "3-server ensemble")):
        z = zk.get(key)
        if z:
            row("2. Floor: raw ZooKeeper write seen by 1 watcher (%s), ms p50 / p90 (writes)" % label,
                [cell(z["one_watcher_ms"], "%.2f") + " *(raw ZooKeeper, no MCP)*"] + ["—"] * 4, "", "")
            row("2. Floor: … seen by the last of 50 watchers (%s), ms" % label,
                [cell(z["last_of_50_ms"], "%.1f") + " *(raw ZooKeeper, no MCP)*"] + ["—"] * 4, "", "")
    fp = r.get("footprint", {})
    n100 = str(cfg.get("services", 100))
    ext = fp.get("mcp", {}).get(n100 + "-external-zk")
    for n in ("1", n100):
        cells = []
        for p in PEERS:
            f = fp.get(p, {}).get(n)
            cells.append("%.1f / %.1f MB (%d proc)" % (f["rss_kb"] / 1024, f["pss_kb"] / 1024, f["processes"])
                         if f else "—")
        st, tg = "", ""
        f = fp.get("mcp", {}).get(n)
        if n != "1" and not ext:
            tg = "RSS ≤ 150 MB"
            if f:
                st = verdict(f["rss_kb"] / 1024 <= TARGETS["rss100_mb"], "%.0f MB RSS" % (f["rss_kb"] / 1024))
        label = "3. Footprint idle, %s service%s: the supervisor's own processes, RSS / PSS" % (
            n, "" if n == "1" else "s")
        if ext:
            label += " (MCP: embedded ZooKeeper in the master)"
        row(label, cells, tg, st)
    if ext:
        row("3. Footprint idle, %s services, MCP with an external ZooKeeper (its server not counted): "
            "MCP's three processes, RSS / PSS" % n100,
            ["%.1f / %.1f MB (%d proc)" % (ext["rss_kb"] / 1024, ext["pss_kb"] / 1024, ext["processes"])]
            + ["—"] * 4, "RSS ≤ 150 MB",
            verdict(ext["rss_kb"] / 1024 <= TARGETS["rss100_mb"], "%.0f MB RSS" % (ext["rss_kb"] / 1024)))
    su = r.get("startup_s", {})
    s1 = su.get("mcp")
    st = verdict(s1["p50"] <= TARGETS["startup_p50_s"], "p50 %.2f s" % s1["p50"]) if s1 and s1.get("n") else ""
    row("4. Start-up: launch → %s services running (last exec), s p50 / p90 (runs)" % cfg.get("services", 100),
        [cell(su.get(p), "%.2f") for p in PEERS], "p50 ≤ 0.8 s", st)
    cli = r.get("cli_ms", {})
    for kind, label in (("all", "5. CLI, status of all %s services" % cfg.get("services", 100)),
                        ("one", "5. CLI, status of one service")):
        cells = []
        for p in PEERS:
            d = cli.get(p, {}).get(kind)
            cells.append("%s: %s" % ("`%s`" % d["command"], cell(d, "%.1f")) if d else "—")
        st, tg = "", ""
        if kind == "all":
            tg = "p50 ≤ 150 ms and < ½ supervisorctl"
            a, b = cli.get("mcp", {}).get("all"), cli.get("supervisord", {}).get("all")
            if a:
                ok = a["p50"] <= TARGETS["cli_all_p50_ms"] and (not b or a["p50"] < b["p50"] / 2)
                st = verdict(ok, "p50 %.0f ms%s" % (a["p50"], ", supervisorctl %.0f ms" % b["p50"] if b else ""))
        row(label + ", ms p50 / p90 (runs)", cells, tg, st)
    if r.get("jvm_floor_ms"):
        row("5. Reference: empty Java main with mcpctl's JVM flags, ms", [cell(r["jvm_floor_ms"], "%.1f")] + ["—"] * 4,
            "", "")
    sc = r.get("scale")
    if sc:
        n = sc["services"]
        cpu = sc["idle_cpu_pct_of_core"]["mcp-master"]
        row("6. Scale, %d services: master's CPU while idle, %% of one core over %.0f s" % (n, sc["idle_window_s"]),
            ["%.2f %% (forker %.2f %%, failsafe %.2f %%)" % (cpu, sc["idle_cpu_pct_of_core"]["mcp-forker"],
                                                         sc["idle_cpu_pct_of_core"]["mcp-failsafe"])] + ["—"] * 4,
            "< 1 %", verdict(cpu < TARGETS["idle_cpu_pct"], "%.2f %%" % cpu))
        st = sc.get("idle_settled")
        if st:
            c = st["cpu_pct_of_core"]
            row("6. … the same, from %.0f s after all run (the first minute compiles), %% of one core over %.0f s" % (st["after_s"], st["window_s"]),
                ["%.2f %% (forker %.2f %%, failsafe %.2f %%)" % (c["mcp-master"], c["mcp-forker"], c["mcp-failsafe"])]
                + ["—"] * 4, "", "")
        ps = sc.get("passes", {})
        if ps.get("n"):
            row("6. Scale, %d services: one periodic reconcile pass (every 5 s), wall / CPU ms p50 (passes)" % n,
                ["%.1f / %.1f (%d)" % (ps["p50_wall_ms"], ps["p50_cpu_ms"], ps["n"])] + ["—"] * 4, "", "")
        row("6. Scale, %d services: launch → all running, s" % n, ["%.2f" % sc["start_to_all_running_s"]] + ["—"] * 4,
            "", "")
        f = sc.get("footprint_1000")
        if f:
            row("6. Scale, %d services: footprint RSS / PSS" % n,
                ["%.1f / %.1f MB" % (f["rss_kb"] / 1024, f["pss_kb"] / 1024)] + ["—"] * 4, "", "")

    out = ["| Figure | MCP | supervisord | runit | s6 | daemontools | MCP target | MCP vs target |",
           "|---|---|---|---|---|---|---|---|"] + rows
    out.append("")
    out.append("Machine: %s × %s, kernel %s, %s GiB; %s; peers from Debian: %s. Load average before the run: %s."
               % (m.get("nproc"), m.get("cpu"), m.get("kernel"), m.get("memory_gib"), m.get("java"),
                  ", ".join("%s %s" % kv for kv in (m.get("peers") or {}).items()),
                  " ".join(m.get("loadavg_before") or [])))
    if "cpu_busy_pct_before" in m:
        out[-1] += " CPU busy just before measuring: %s %%." % m["cpu_busy_pct_before"]
    meth = r.get("method", {})
    out.append("Every supervisor runs the same static `bench-svc` (runit, s6 and daemontools through a `#!/bin/sh` "
               "`exec` run script; MCP and supervisord exec it directly: the command has no shell syntax). Exec times: %s. "
               "p90 is nearest-rank." % meth.get("exec_timing", "?"))
    if meth.get("warning"):
        out.append("Warning: %s." % meth["warning"])
    if total_s is not None:
        out.append("Whole run (`bench/run`, including builds): %d s; measurements: %s s." % (total_s, r.get("harness_s")))
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("action", choices=["measure", "cleanup", "report"])
    ap.add_argument("--work")
    ap.add_argument("--json")
    ap.add_argument("--total-s", type=int)
    ap.add_argument("--mcp-home")
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.action == "report":
        with open(a.json) as f:
            doc = json.load(f)
        if a.total_s is not None:
            doc.setdefault("results", {})["total_s"] = a.total_s
            with open(a.json, "w") as f:
                json.dump(doc, f, indent=2)
                f.write("\n")
        sys.stdout.write(report(doc, a.total_s))
        return
    if a.action == "cleanup":
        cleanup(a.work)
        return
    h = Harness(a.work, a.mcp_home, a.out)
    busy = wait_quiet()
    doc = {"machine": machine(), "config": CFG}
    doc["machine"]["cpu_busy_pct_before"] = busy
    try:
        doc["results"] = h.run()
    finally:
        cleanup(a.work)
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
