"""Part `prop` of the MCP benchmark (issue 3, item 2): override propagation. Used by harness.py.

One standalone ZooKeeper server on loopback, started here (its own JVM, from bench/zk-floor's
class path), serves everything in this part, so that MCP and the floor are measured on the same
server, warmed first with raw writes (a fresh server compiles its request path meanwhile):

1. Three real MCP nodes (`bin/mcp up`, each with its own root, a cluster.xml declaring members
   1, 2, 3 and pointing at that server, and files.d/bench.xml whose change action runs
   bench/prop-mark). Each write: the harness writes override/bench.conf on node 1 as an editor
   does (a temporary file, then rename) and times, from the rename, (a) nodes 2 and 3 holding the
   same bytes (inotify on their override/ directories: the time of each IN_MOVED_TO /
   IN_CLOSE_WRITE of the file; the files are compared once both have had one, and a node's time
   is its latest event before the bytes matched), (b) their change action started (the kernel's
   exec event of the action's process, netlink; else the time prop-mark itself read; looked for
   only 30 ms after the rename, so that the harness takes no CPU meanwhile), and (c) on every other write
   only, the file's znode written (a one-time watch in a separate session: `PropSim probe`; the
   figures (a) and (b) come from the writes without it).
2. The floor on the same server: bench/zk-floor's ZkFloor --connect (a raw setData seen by one
   watcher, and by the last of 50).
3. Fifty nodes: simulation mode, `PropSim sim`: 50 ClusterNode + OverrideSync pairs in one JVM,
   each with its own root, Curator client (own ZooKeeper session) and inotify watch. Each write
   goes to node 1's override/ and is timed until the last of the 49 others holds the bytes; right
   after it, a raw setData is timed until the last of 50 watchers has seen it (ZkFloor --serve),
   so that MCP and its floor are measured over the same stretch of a machine whose speed drifts.

Clocks: time.monotonic_ns() here, netlink event timestamps, prop-mark's CLOCK_MONOTONIC and
Java's System.nanoTime() are all CLOCK_MONOTONIC.
"""
import ctypes
import ctypes.util
import json
import os
import select
import shutil
import socket
import statistics
import struct
import subprocess
import time

NS = 1_000_000_000
FILE = "bench.conf"
FIRST_LOOK_NS = 30_000_000  # after the rename: when the change actions' start is first looked for
CLUSTER = "bench"
SIM_CLUSTER = "bench50"


def env_int(name, default):
    return int(os.environ.get(name, default))


def env_float(name, default):
    return float(os.environ.get(name, default))


PCFG = {
    "writes": env_int("BENCH_PROP_WRITES", 120),        # three real nodes: measured writes, half of them probed
    "writes50": env_int("BENCH_PROP_WRITES50", 80),     # fifty simulated nodes: measured writes, half probed
    "warmup": env_int("BENCH_PROP_WARMUP", 50),         # unmeasured writes first, each time (JIT)
    "zk_warmup": env_int("BENCH_PROP_ZK_WARMUP", 400),  # raw writes that warm the fresh server first
    "zk_warm_fast": env_int("BENCH_PROP_ZK_WARM_FAST", 5000),  # then back to back, read as MCP's nodes do
    "sim_nodes": env_int("BENCH_PROP_NODES", 50),
    "gap_s": env_float("BENCH_PROP_GAP_S", 0.25),       # quiet time between two writes
    "action_wait_s": env_float("BENCH_PROP_ACTION_WAIT_S", 3.0),
    "bytes": env_int("BENCH_PROP_BYTES", 512),          # size of the file written
}


def log(*a):
    import sys
    print("[bench %s]" % time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def pct(values, p):
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


def summary(values_ms, digits=2):
    if not values_ms:
        return {"n": 0}
    return {"n": len(values_ms), "p50": round(statistics.median(values_ms), digits),
            "p90": round(pct(values_ms, 90), digits), "min": round(min(values_ms), digits),
            "max": round(max(values_ms), digits)}


# ---------------------------------------------------------------------------------------------
# inotify, through ctypes

IN_CLOSE_WRITE, IN_MOVED_TO, IN_CREATE, IN_Q_OVERFLOW = 0x8, 0x80, 0x100, 0x4000
IN_NONBLOCK, IN_CLOEXEC = 0o4000, 0o2000000


class Inotify:
    def __init__(self):
        self.libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        self.fd = self.libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.wds = {}
        self.overflow = False

    def watch(self, path, key):
        wd = self.libc.inotify_add_watch(self.fd, os.fsencode(path), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE)
        if wd < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch " + path)
        self.wds[wd] = key

    def read(self):
        """[(key, name)] of the events queued now."""
        out = []
        while True:
            try:
                buf = os.read(self.fd, 65536)
            except BlockingIOError:
                return out
            off = 0
            while off + 16 <= len(buf):
                wd, mask, _, ln = struct.unpack_from("=iIII", buf, off)
                name = buf[off + 16:off + 16 + ln].split(b"\0", 1)[0].decode(errors="replace")
                off += 16 + ln
                if mask & IN_Q_OVERFLOW:
                    self.overflow = True
                if wd in self.wds:
                    out.append((self.wds[wd], name))

    def close(self):
        os.close(self.fd)


# ---------------------------------------------------------------------------------------------
# Processes

class Lines:
    """Lines of a child's stdout, read without blocking (the fd is polled with the others)."""

    def __init__(self, proc):
        self.proc = proc
        self.fd = proc.stdout.fileno()
        os.set_blocking(self.fd, False)
        self.buf = b""

    def read(self):
        out = []
        while True:
            try:
                d = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            if not d:
                break
            self.buf += d
        *lines, self.buf = self.buf.split(b"\n")
        return [l.decode(errors="replace") for l in lines]

    def wait_for(self, prefix, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s" % (self.proc.args[-6:], self.proc.returncode))
            select.select([self.fd], [], [], 0.2)
            for l in self.read():
                if l.startswith(prefix):
                    return l
        raise RuntimeError("no '%s' within %.0f s from %s" % (prefix, timeout, self.proc.args[-6:]))


def popen(h, argv, logfile, pipe_out=False, cwd=None):
    out = open(logfile, "ab")
    p = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.PIPE if pipe_out else subprocess.DEVNULL,
                         stdout=subprocess.PIPE if pipe_out else out,
                         stderr=out, start_new_session=True)
    out.close()
    h.started.append(p.pid)
    return p


def stop(h, p, graceful=False):
    if p is None or p.poll() is not None:
        return
    if graceful and p.stdin:
        try:
            p.stdin.close()  # PropSim closes its nodes and exits when stdin ends
            p.wait(timeout=20)
            return
        except (subprocess.TimeoutExpired, OSError):
            pass
    h.kill_tree(p.pid)
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cpu_ticks(pids):
    """utime + stime of whole processes, in clock ticks."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total


def zk_srvr(port):
    """The server's `srvr` answer, or None while it does not serve."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"srvr")
            data = b""
            while True:
                d = s.recv(4096)
                if not d:
                    break
                data += d
            return data.decode(errors="replace") if b"Mode:" in data else None
    except OSError:
        return None


# ---------------------------------------------------------------------------------------------
# The part

class Prop:
    def __init__(self, h, cfg):
        self.h = h
        self.cfg = cfg
        self.dir = os.path.join(h.work, "prop")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.zk_cp = h.zk_cp
        self.sim_cp = os.environ.get("BENCH_PROP_CP", "")
        self.mark = os.environ.get("BENCH_PROP_MARK", "")
        self.java = shutil.which("java") or "java"
        self.r = {"config": dict(PCFG)}
        self.seq = 0
        self.action_state = None  # None: not known yet; True: seen; False: never ran within the wait

    # -- the ZooKeeper server --

    def start_zk(self):
        d = os.path.join(self.dir, "zk")
        os.makedirs(d)
        self.zk_port = free_port()
        cfg = os.path.join(d, "zoo.cfg")
        with open(cfg, "w") as f:
            # As MCP's embedded server: tick 1 s; the data directory on the same disk as the nodes.
            f.write("tickTime=1000\ninitLimit=10\nsyncLimit=5\nadmin.enableServer=false\nmaxClientCnxns=200\n"
                    "dataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n" % (d, self.zk_port))
        self.zk = popen(self.h, [self.java, "-XX:+UseSerialGC", "-Xmx128m", "-Dzookeeper.jmx.log4j.disable=true",
                                 "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", self.zk_cp,
                                 "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg],
                        os.path.join(d, "server.log"))
        end = time.monotonic() + 60
        while time.monotonic() < end:
            if self.zk.poll() is not None:
                raise RuntimeError("ZooKeeper server exited (see %s/server.log)" % d)
            srvr = zk_srvr(self.zk_port)
            if srvr:
                self.r["zookeeper"] = {"version": srvr.splitlines()[0].split(":", 1)[1].strip().split("-")[0],
                                       "port": self.zk_port, "servers": 1,
                                       "how": "standalone server started by the bench, its own JVM"}
                return "127.0.0.1:%d" % self.zk_port
            time.sleep(0.2)
        raise RuntimeError("ZooKeeper server not serving within 60 s")

    # -- one write, timed --

    def content(self, tag):
        head = ("%s\n" % tag).encode()
        line = b"key%04d = value of the benchmark's override file, some ordinary configuration text\n"
        body = b"".join(line.replace(b"%04d", b"%04d" % i) for i in range(self.cfg["bytes"] // len(line) + 1))
        return (head + body)[:self.cfg["bytes"]]

    def write_round(self, writer, targets, ino, probe, deadline_s):
        """Writes override/FILE in `writer` (temp + rename); returns (t0, {target: arrival ns}, pub ns or
        None, tag, content). `targets` are override/ directories watched by `ino` (key = index)."""
        self.seq += 1
        tag = "prop-round %d %d" % (self.seq, time.time_ns())
        data = self.content(tag)
        tmp = os.path.join(writer, ".%s.edit" % FILE)
        with open(tmp, "wb") as f:
            f.write(data)
        ino.read()
        if probe:
            probe.read()
        t0 = time.monotonic_ns()
        os.rename(tmp, os.path.join(writer, FILE))
        pending = set(range(len(targets)))
        arrived, pub = {}, None
        # The time of each target's latest event for the file; its bytes are compared only once
        # every pending target has had one, so that reading them takes no CPU while a later node
        # is still on its way. The arrival is that latest event before the bytes matched: never
        # earlier than the rename that brought them.
        touched = {}
        fds = [ino.fd] + ([probe.fd] if probe else [])
        end = t0 + int(deadline_s * NS)
        while pending or (probe and pub is None):
            left = (end - time.monotonic_ns()) / NS
            if left <= 0:
                break
            r, _, _ = select.select(fds, [], [], left)
            now = time.monotonic_ns()
            if ino.fd in r:
                for key, name in ino.read():
                    if name == FILE and key in pending:
                        touched[key] = now
                if pending and pending <= touched.keys():
                    for key in list(pending):
                        if self.same(targets[key], data):
                            arrived[key] = touched[key]
                            pending.discard(key)
                        else:
                            del touched[key]
            if probe and probe.fd in r:
                for l in probe.read():
                    if l.startswith("pub ") and pub is None:
                        ns = int(l.split()[1])
                        if ns >= t0:
                            pub = ns
        return t0, arrived, pub, tag, data

    @staticmethod
    def same(d, data):
        try:
            with open(os.path.join(d, FILE), "rb") as f:
                return f.read() == data
        except OSError:
            return False

    # -- change actions --

    def collect_execs(self, first_exec):
        ev = self.h.ev
        if getattr(ev, "sock", None) is None:
            return
        while True:
            got = ev.events(0)
            if not got:
                return
            for pid, ts in got:
                if pid not in first_exec or ts < first_exec[pid]:
                    first_exec[pid] = ts

    def wait_actions(self, marks, tag, first_exec, t0):
        """{node: (start ns, how)} of the change actions that ran for `tag`, waiting at most
        action_wait_s (not at all once they are known not to run in this build)."""
        found = {}
        if self.action_state is False:
            return found
        # Their start comes from the kernel's exec events and prop-mark's own clock, whenever they
        # are read: the first look waits until the actions are most likely done, so that this
        # process takes no CPU from the nodes while their actions start.
        time.sleep(max(0.0, (t0 + FIRST_LOOK_NS - time.monotonic_ns()) / NS))
        end = time.monotonic() + self.cfg["action_wait_s"]
        while len(found) < len(marks) and time.monotonic() < end:
            self.collect_execs(first_exec)
            for node, path in marks.items():
                if node in found:
                    continue
                try:
                    with open(path) as f:
                        lines = f.read().splitlines()
                except OSError:
                    lines = []
                for l in lines:
                    parts = l.split(" ", 2)
                    if len(parts) == 3 and parts[2] == tag:
                        pid, mono = int(parts[1]), int(parts[0])
                        found[node] = (mono, pid)
            if len(found) < len(marks):
                time.sleep(0.005)
        self.collect_execs(first_exec)
        out = {}
        forks = getattr(self.h.ev, "forks", {})
        for node, (mono, pid) in found.items():
            ex = first_exec.get(pid)
            fork = forks.get(pid, (None,))[0]
            out[node] = ((ex, "exec") if ex and ex <= mono else (mono, "prop-mark")) + (fork,)
        return out

    # -- 1. three real nodes --

    def node_root(self, n):
        return os.path.join(self.dir, "node%d" % n)

    def setup_node(self, n, connect):
        root = self.node_root(n)
        for sub in ("services.d", "files.d", "override"):
            os.makedirs(os.path.join(root, sub), exist_ok=True)
        with open(os.path.join(root, "cluster.xml"), "w") as f:
            f.write('<cluster name="%s">\n  <zookeeper connect="%s" session-timeout="10s"/>\n  <node id="%d"/>\n'
                    '  <member id="1"/><member id="2"/><member id="3"/>\n</cluster>\n' % (CLUSTER, connect, n))
        marks = os.path.join(self.dir, "marks-node%d.log" % n)
        with open(os.path.join(root, "files.d", "bench.xml"), "w") as f:
            f.write('<file path="override/%s" notify="1">\n  <actionlist name="change"><action>%s %s %s'
                    '</action></actionlist>\n</file>\n' % (FILE, self.mark, marks, os.path.join(root, "override", FILE)))
        return marks

    def quorum(self, n):
        r = subprocess.run([os.path.join(self.h.mcp_home, "bin", "mcpctl"), "--root", self.node_root(n), "status",
                            "--json"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
        try:
            return r.returncode == 0 and json.loads(r.stdout).get("quorum") is True
        except ValueError:
            return False

    def three_nodes(self, connect):
        marks, procs = {}, []
        env_opts = self.h.java_opts
        try:
            for n in (1, 2, 3):
                marks[n] = self.setup_node(n, connect)
                env = dict(os.environ)
                if env_opts:
                    env["JAVA_TOOL_OPTIONS"] = env_opts
                out = open(os.path.join(self.node_root(n), "mcp.log"), "ab")
                p = subprocess.Popen([os.path.join(self.h.mcp_home, "bin", "mcp"), "up", "--root", self.node_root(n)],
                                     cwd=self.node_root(n), stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=subprocess.STDOUT, start_new_session=True, env=env)
                out.close()
                self.h.started.append(p.pid)
                procs.append(p)
            end = time.monotonic() + 90
            while not all(self.quorum(n) for n in (1, 2, 3)):
                if time.monotonic() > end or any(p.poll() is not None for p in procs):
                    raise RuntimeError("three MCP nodes not in quorum within 90 s (see %s/node*/mcp.log)" % self.dir)
                time.sleep(0.5)
            log("prop: three MCP nodes in quorum on %s" % connect)
            pids = {}
            for n in (1, 2, 3):
                run = os.path.join(self.node_root(n), "var", "run")
                for x in ("master", "forker"):
                    pids["node%d mcp-%s" % (n, x)] = [int(open(os.path.join(run, "mcp-%s.pid" % x)).read().strip())]
            pids["zookeeper"] = [self.zk.pid]
            return self.measure(self.node_root(1), [self.node_root(2), self.node_root(3)], self.cfg["writes"],
                                marks, connect, CLUSTER, None, pids)
        finally:
            for p in procs:
                stop(self.h, p)

    def measure(self, writer_root, target_roots, writes, marks, connect, cluster, probe_proc, cpu_groups,
                floor_proc=None):
        """Warm-up writes, then `writes` measured ones, from writer_root to target_roots. cpu_groups:
        {name: [pid]} whose CPU time per write is measured (their idle rate subtracted). floor_proc:
        a ZkFloor --serve whose raw write follows each of MCP's."""
        ino = Inotify()
        own_probe = probe_proc is None  # else it is PropSim sim, which runs the probe too and said ready
        if own_probe:
            probe_proc = popen(self.h, [self.java, "-XX:+UseSerialGC", "-Xmx32m", "-XX:TieredStopAtLevel=1", "-cp",
                                        self.sim_cp, "io.mcp.bench.PropSim", "probe", connect, cluster, FILE],
                               os.path.join(self.dir, "probe-%s.log" % cluster), pipe_out=True)
        probe = probe_proc.lines if not own_probe else Lines(probe_proc)
        try:
            if own_probe:
                probe.wait_for("ready", 60)
            targets = [os.path.join(r, "override") for r in target_roots]
            for i, t in enumerate(targets):
                ino.watch(t, i)
            writer = os.path.join(writer_root, "override")
            rounds, failures, first_exec = [], 0, {}
            total = self.cfg["warmup"] + writes
            tck = os.sysconf("SC_CLK_TCK")
            cpu = {}
            for i in range(total):
                if i == self.cfg["warmup"]:
                    # The idle rate of the processes measured, then their CPU over the measured writes.
                    idle0, t_idle = {k: cpu_ticks(v) for k, v in cpu_groups.items()}, time.monotonic()
                    time.sleep(3)
                    idle = {k: (cpu_ticks(v) - idle0[k]) / (time.monotonic() - t_idle) for k, v in cpu_groups.items()}
                    cpu0, t_cpu = {k: cpu_ticks(v) for k, v in cpu_groups.items()}, time.monotonic()
                time.sleep(self.cfg["gap_s"])
                deadline = 30 if i == 0 else 10
                # Every other write is probed: the probe's session and JVM take CPU in the very
                # window measured, on the two cores the nodes share, so the others go without it.
                probed = i % 2 == 0
                if probed:
                    probe_proc.stdin.write(b"arm\n")
                    probe_proc.stdin.flush()
                    probe.wait_for("armed", 30)
                t0, arrived, pub, tag, _ = self.write_round(writer, targets, ino, probe if probed else None,
                                                            deadline)
                floor_ms = None
                if floor_proc:
                    # Right after MCP's write has arrived, before the nodes' flush 100 ms later.
                    floor_proc.stdin.write(b"w\n")
                    floor_proc.stdin.flush()
                    floor_ms = float(floor_proc.lines.wait_for("floor", 30).split()[1])
                acts = self.wait_actions(marks, tag, first_exec, t0) if marks else {}
                if acts:
                    self.action_state = True
                elif marks and self.action_state is None and i >= 2:
                    # Three writes and no change action ran on any node: not in this build.
                    self.action_state = False
                    log("prop: no change action ran within %.1f s of 3 writes: not available in this build"
                        % self.cfg["action_wait_s"])
                if len(arrived) < len(targets):
                    log("prop: write %d reached %d of %d nodes within %d s" % (i + 1, len(arrived), len(targets),
                                                                            deadline))
                    if i >= self.cfg["warmup"]:
                        failures += 1
                    continue
                if i < self.cfg["warmup"]:
                    continue
                arr = sorted((arrived[k] - t0) / 1e6 for k in arrived)
                rec = {"probed": probed, "floor_ms": floor_ms, "bytes_last_ms": arr[-1], "bytes_first_ms": arr[0],
                       "bytes_median_ms": statistics.median(arr), "pub_ms": (pub - t0) / 1e6 if pub else None}
                if marks:
                    rec["action_ms"] = {str(n): round((ts - t0) / 1e6, 3) for n, (ts, _, _) in acts.items()}
                    rec["action_fork_ms"] = {str(n): round((f - t0) / 1e6, 3) for n, (_, _, f) in acts.items() if f}
                    rec["action_how"] = sorted({how for _, how, _ in acts.values()})
                    arrived_at = {str(k + 2): (v - t0) / 1e6 for k, v in arrived.items()}  # targets: nodes 2, 3
                    rec["bytes_to_action_fork_ms"] = [round(rec["action_fork_ms"][n] - a, 3)
                                                      for n, a in arrived_at.items() if n in rec["action_fork_ms"]]
                rounds.append(rec)
            el = time.monotonic() - t_cpu
            n = max(1, len(rounds))
            for k, v in cpu_groups.items():
                busy = cpu_ticks(v) - cpu0[k] - idle[k] * el
                cpu[k] = round(max(0.0, busy) / tck * 1000 / n, 2)
            self.r.setdefault("cpu_ms_per_write", {})[cluster] = cpu
            return rounds, failures, ino.overflow
        finally:
            ino.close()
            if own_probe:
                stop(self.h, probe_proc, graceful=True)

    # -- 3. fifty simulated nodes --

    def fifty(self, connect):
        n = self.cfg["sim_nodes"]
        d = os.path.join(self.dir, "sim")
        os.makedirs(d)
        # Heap for 50 nodes' clients and caches; otherwise the master's flags (C1 only and early, serial GC).
        floor = None
        p = popen(self.h, [self.java, "-XX:+UseSerialGC", "-Xss256k", "-XX:TieredStopAtLevel=1",
                           "-XX:CompileThresholdScaling=0.05", "-Xmx512m",
                           "-cp", self.sim_cp, "io.mcp.bench.PropSim", "sim", connect, d, str(n), SIM_CLUSTER, FILE],
                  os.path.join(self.dir, "sim.log"), pipe_out=True)
        try:
            lines = p.lines = Lines(p)
            t = time.monotonic()
            lines.wait_for("ready", 180)
            log("prop: %d simulated nodes in sync after %.1f s" % (n, time.monotonic() - t))
            roots = [os.path.join(d, "node%d" % i) for i in range(1, n + 1)]
            floor = popen(self.h, [self.java, "-XX:+UseSerialGC", "-cp", self.zk_cp, "io.mcp.bench.ZkFloor", "--serve",
                                   connect, str(n)], os.path.join(self.dir, "floor-serve.log"), pipe_out=True)
            floor.lines = Lines(floor)
            floor.lines.wait_for("ready", 120)
            return self.measure(roots[0], roots[1:], self.cfg["writes50"], None, connect, SIM_CLUSTER, p,
                                {"sim_jvm": [p.pid], "zookeeper_and_floor_writes": [self.zk.pid]}, floor)
        finally:
            stop(self.h, floor, graceful=True)
            stop(self.h, p, graceful=True)

    # -- 2. the floor --

    def floor(self, connect, writes, writes50):
        argv = [self.java, "-XX:+UseSerialGC", "-cp", self.zk_cp, "io.mcp.bench.ZkFloor", "--connect", connect,
                str(writes), str(writes50)]
        with open(os.path.join(self.dir, "floor.err"), "w") as err:
            r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, text=True,
                               timeout=600)
        if r.returncode != 0:
            with open(os.path.join(self.dir, "floor.err"), errors="replace") as f:
                why = [l.strip() for l in f if "Exception" in l or "Error" in l][-1:]
            return {"error": "ZkFloor exit %d%s" % (r.returncode, (": " + why[0][:200]) if why else "")}
        return json.loads(r.stdout.strip().splitlines()[-1])

    def run(self, zk_writes, zk_writes50):
        if not self.zk_cp or not self.sim_cp or not self.mark:
            self.r["error"] = "not built (bench/run builds bench/zk-floor, bench/prop-sim and prop-mark)"
            return self.r
        try:
            connect = self.start_zk()
            log("prop: ZooKeeper %s standalone on %s" % (self.r["zookeeper"]["version"], connect))
            # A fresh server compiles its request path (C2) during its first thousands of requests, on
            # the two cores MCP is measured on; the floor, measured later, found it warm. A real
            # ensemble runs for months: raw writes and reads warm it before anything is measured.
            if self.cfg["zk_warmup"] > 0:
                self.r["zookeeper"]["warmup"] = self.floor(connect, self.cfg["zk_warmup"], 10)
                log("prop: server warmed with %d raw writes" % self.cfg["zk_warmup"])
            if self.cfg["zk_warm_fast"] > 0:
                t = time.monotonic()
                subprocess.run([self.java, "-XX:+UseSerialGC", "-cp", self.zk_cp, "io.mcp.bench.ZkFloor", "--warm",
                                connect, str(self.cfg["zk_warm_fast"])], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600, check=True)
                self.r["zookeeper"]["warm_fast"] = self.cfg["zk_warm_fast"]
                log("prop: server warmed with %d more writes, back to back, in %.1f s"
                    % (self.cfg["zk_warm_fast"], time.monotonic() - t))

            load = [float(x) for x in open("/proc/loadavg").read().split()[:3]]
            rounds, failures, overflow = self.three_nodes(connect)
            self.r["three"] = self.reduce(rounds, failures, overflow, load, two=True)
            log("prop: three nodes: %s" % json.dumps({k: v for k, v in self.r["three"].items() if k != "samples"}))

            load = [float(x) for x in open("/proc/loadavg").read().split()[:3]]
            self.r["floor"] = self.floor(connect, zk_writes, zk_writes50)
            self.r["floor"]["loadavg"] = load
            log("prop: floor on the same server: %s" % self.r["floor"])

            load = [float(x) for x in open("/proc/loadavg").read().split()[:3]]
            rounds, failures, overflow = self.fifty(connect)
            self.r["fifty"] = self.reduce(rounds, failures, overflow, load, two=False)
            self.r["fifty"]["nodes"] = self.cfg["sim_nodes"]
            log("prop: %d nodes: %s" % (self.cfg["sim_nodes"],
                                         json.dumps({k: v for k, v in self.r["fifty"].items() if k != "samples"})))
        except (RuntimeError, OSError, subprocess.TimeoutExpired, subprocess.CalledProcessError) as e:
            log("prop: failed: %s" % e)
            self.r["error"] = str(e)
        finally:
            stop(self.h, getattr(self, "zk", None))
        return self.r

    def reduce(self, all_rounds, failures, overflow, load, two):
        """The end-to-end figures come from the writes without the probe, "published" from the probed ones."""
        rounds = [r for r in all_rounds if not r["probed"]]
        probed = [r for r in all_rounds if r["probed"]]
        out = {"failures": failures, "loadavg_before": load, "inotify_overflow": overflow,
               "bytes_last_ms": summary([r["bytes_last_ms"] for r in rounds]),
               "bytes_first_ms": summary([r["bytes_first_ms"] for r in rounds]),
               "pub_ms": summary([r["pub_ms"] for r in probed if r["pub_ms"] is not None]),
               "pub_to_last_ms": summary([r["bytes_last_ms"] - r["pub_ms"] for r in probed if r["pub_ms"] is not None]),
               "probed_bytes_last_ms": summary([r["bytes_last_ms"] for r in probed]),
               "samples": [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for r in all_rounds]}
        if not two:
            out["bytes_median_node_ms"] = summary([r["bytes_median_ms"] for r in rounds])
            out["floor_ms"] = summary([r["floor_ms"] for r in all_rounds if r.get("floor_ms") is not None])
        if two:
            def both(rs):
                acts = [r.get("action_ms", {}) for r in rs]
                return summary([max(a["2"], a["3"]) for a in acts if "2" in a and "3" in a])
            acts = [r.get("action_ms", {}) for r in rounds]
            out["action_state"] = {True: "ran", False: "not available in this build", None: "unknown"}[self.action_state]
            out["actions_last_ms"] = both(rounds)
            out["probed_actions_last_ms"] = both(probed)
            out["action_writer_ms"] = summary([a["1"] for a in acts if "1" in a])
            out["action_how"] = sorted({h for r in rounds for h in r.get("action_how", [])})
            # Where the action's time goes on the receiving nodes (netlink fork and exec events).
            out["bytes_to_action_fork_ms"] = summary([x for r in rounds for x in r.get("bytes_to_action_fork_ms", [])])
            out["action_fork_to_exec_ms"] = summary([r["action_ms"][n] - f for r in rounds
                                                     for n, f in r.get("action_fork_ms", {}).items()
                                                     if n in r["action_ms"] and n != "1"])
        return out


def run(h, zk_writes, zk_writes50):
    return Prop(h, PCFG).run(zk_writes, zk_writes50)


# ---------------------------------------------------------------------------------------------
# Rows of the table

PROBED = ("\"published\" from the alternate writes that a watcher session probes, the other figures from the "
          "writes in between, without it")


def rows(r, row, targets, verdict):
    """Adds the part's rows through row(figure, cells, target, status); r is results["prop"] or None."""
    dash = ["—"] * 4
    if not r:
        na = "not measured (BENCH_PARTS without prop)"
        row("2. Propagation: override file on 1 node → 2 other nodes, change action started", [na] + dash,
            "p50 ≤ 5 ms", "not measured")
        row("2. Propagation: → last of 50 nodes", [na] + dash, "≤ 25 ms", "not measured")
        return
    if r.get("error") and not r.get("three"):
        row("2. Propagation", ["failed: %s" % r["error"]] + dash, "p50 ≤ 5 ms; ≤ 25 ms", "not measured")
        return

    def cell(d, fmt="%.1f"):
        return "%s / %s (%d)" % (fmt % d["p50"], fmt % d["p90"], d["n"]) if d and d.get("n") else "—"

    zk = r.get("zookeeper", {})
    where = "one standalone ZooKeeper %s on loopback" % zk.get("version", "")
    if zk.get("warmup") and not zk["warmup"].get("error"):
        where += ", warmed with %d raw writes" % zk["warmup"]["one_watcher_ms"]["n"]
    if zk.get("warm_fast"):
        where += " and %d more back to back" % zk["warm_fast"]
    t = r.get("three")
    if t:
        b, a = t["bytes_last_ms"], t.get("actions_last_ms")
        if t.get("action_state") == "ran" and a and a.get("n"):
            text = ("%s, change action started on both; same bytes on both: %s" % (cell(a), cell(b)))
            fig = a
        else:
            text = ("same bytes on both: %s; change action: %s" % (cell(b), t.get("action_state")))
            fig = b
        text += ("; published (znode written) after %s *(3 real `bin/mcp up` nodes, %s; bytes seen by "
                 "inotify, actions by their exec event, after %d unmeasured writes; load average %.1f; %s)*"
                 % (cell(t["pub_ms"]), where, r["config"]["warmup"], (t.get("loadavg_before") or [0])[0], PROBED))
        st = verdict(fig["p50"] <= targets["prop_two_p50_ms"], "p50 %.1f ms" % fig["p50"]) if fig.get("n") else ""
        row("2. Propagation: override file on 1 node → 2 other nodes, change action started, ms p50 / p90 (writes)",
            [text] + dash, "p50 ≤ 5 ms", st)
    f = r.get("fifty")
    fl = (r.get("floor") or {}).get("last_of_50_ms")
    if f:
        b = f["bytes_last_ms"]
        text = "%s; published after %s" % (cell(b), cell(f["pub_ms"]))
        if f.get("floor_ms", {}).get("n"):
            fl = f["floor_ms"]  # measured between MCP's writes: the same stretch of the machine
            text += "; floor, a raw write seen by the last of %d watchers right after each of MCP's writes: %s" % (
                f["nodes"], cell(fl))
        text += (" *(simulation: %d nodes in one JVM, each with its own ZooKeeper session; they share the 2 cores and "
                 "one disk; load average %.1f; %s)*" % (f["nodes"], (f.get("loadavg_before") or [0])[0], PROBED))
        st = ""
        if b.get("n"):
            ok = b["p50"] <= targets["prop_fifty_ms"] and (not fl or not fl.get("n") or b["p50"] <= 4 * fl["p50"])
            st = verdict(ok, "p50 %.1f ms%s" % (b["p50"], ", %.1f× floor" % (b["p50"] / fl["p50"])
                                                if fl and fl.get("n") else ""))
        row("2. Propagation: → last of %d nodes, ms p50 / p90 (writes)" % f["nodes"], [text] + dash,
            "≤ 25 ms (≤ 4× floor)", st)
    fl_all = r.get("floor") or {}
    if fl_all.get("one_watcher_ms"):
        row("2. Floor on that same server: raw ZooKeeper write seen by 1 watcher / by the last of 50, ms p50 / p90",
            ["%s / %s *(raw ZooKeeper, no MCP)*" % (cell(fl_all["one_watcher_ms"], "%.2f"),
                                                    cell(fl_all["last_of_50_ms"], "%.1f"))] + dash, "", "")
