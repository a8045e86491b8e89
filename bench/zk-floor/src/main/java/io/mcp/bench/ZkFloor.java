package io.mcp.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

/**
 * The ZooKeeper floor of propagation (issue 3, item 2): how long a raw {@code setData} takes to
 * reach a watcher in another session, on a loopback ensemble of 1 and of 3 servers, and how long
 * until the last of 50 watchers has it. Servers run as separate JVMs ({@code QuorumPeerMain}),
 * started and stopped here; the writer and the watchers are sessions of this JVM, each with its
 * own connection. On a 3-server ensemble the writer talks to server 1 and the watchers to the
 * others, so every change crosses the ensemble.
 *
 * <p>{@code ZkFloor WORKDIR [writes] [writes50]}: prints one JSON object on stdout.
 *
 * <p>{@code ZkFloor --connect HOST:PORT [writes] [writes50]}: the same two figures on a server that
 * is already running (the propagation part measures MCP and this floor on one server), writer and
 * watchers all connected to it.
 *
 * <p>{@code ZkFloor --warm HOST:PORT WRITES}: warms a server with writes back to back, each read by
 * a watcher as MCP's nodes read the overrides (see {@link #warm}).
 *
 * <p>{@code ZkFloor --serve HOST:PORT COUNT}: the last of COUNT watchers, one write per line
 * {@code w} on stdin (see {@link #serve}).
 */
public final class ZkFloor {
    private static final String NODE = "/mcp-bench-floor";
    private static final int BASE_PORT = 21810;
    private static final int WARMUP = 50;

    private ZkFloor() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        if (args[0].equals("--warm")) {
            waitReady(args[1], List.of());
            warm(args[1], Integer.parseInt(args[2]));
            System.exit(0);
        }
        if (args[0].equals("--serve")) {
            waitReady(args[1], List.of());
            serve(args[1], Integer.parseInt(args[2]));
            System.exit(0);
        }
        if (args[0].equals("--connect")) {
            int writes = args.length > 2 ? Integer.parseInt(args[2]) : 200;
            int writes50 = args.length > 3 ? Integer.parseInt(args[3]) : 50;
            waitReady(args[1], List.of());
            System.out.println(String.format(Locale.ROOT, "{\"one_watcher_ms\":%s,\"last_of_50_ms\":%s}",
                    summary(measure(args[1], args[1], 1, writes)), summary(measure(args[1], args[1], 50, writes50))));
            System.exit(0);
        }
        Path work = Path.of(args[0]);
        int writes = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int writes50 = args.length > 2 ? Integer.parseInt(args[2]) : 50;
        StringBuilder json = new StringBuilder("{");
        for (int servers : new int[] {1, 3}) {
            List<Process> procs = startEnsemble(work.resolve("zk" + servers), servers);
            try {
                String all = connectString(servers, 0, servers);
                waitReady(all, procs);
                String writerAt = connectString(servers, 0, 1);
                String watchersAt = servers == 1 ? writerAt : connectString(servers, 1, servers);
                double[] one = measure(writerAt, watchersAt, 1, writes);
                double[] fifty = measure(writerAt, watchersAt, 50, writes50);
                if (json.length() > 1) {
                    json.append(',');
                }
                json.append(String.format(Locale.ROOT, "\"servers_%d\":{\"one_watcher_ms\":%s,\"last_of_50_ms\":%s}",
                        servers, summary(one), summary(fifty)));
            } finally {
                for (Process p : procs) {
                    p.destroyForcibly();
                }
                for (Process p : procs) {
                    p.waitFor(5, TimeUnit.SECONDS);
                }
            }
        }
        System.out.println(json.append('}'));
        System.exit(0);
    }

    private static String connectString(int servers, int from, int to) {
        List<String> hosts = new ArrayList<>();
        for (int i = from; i < to; i++) {
            hosts.add("127.0.0.1:" + (BASE_PORT + 10 * servers + i));
        }
        return String.join(",", hosts);
    }

    private static List<Process> startEnsemble(Path dir, int servers) throws IOException {
        List<Process> procs = new ArrayList<>();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        for (int i = 0; i < servers; i++) {
            Path data = dir.resolve("server" + (i + 1));
            Files.createDirectories(data);
            StringBuilder cfg = new StringBuilder()
                    .append("tickTime=200\ninitLimit=50\nsyncLimit=25\nadmin.enableServer=false\n")
                    .append("dataDir=").append(data).append('\n')
                    .append("clientPort=").append(BASE_PORT + 10 * servers + i).append('\n')
                    .append("clientPortAddress=127.0.0.1\n");
            if (servers > 1) {
                Files.writeString(data.resolve("myid"), Integer.toString(i + 1));
                for (int j = 0; j < servers; j++) {
                    cfg.append("server.").append(j + 1).append("=127.0.0.1:")
                            .append(BASE_PORT + 100 + 10 * j).append(':').append(BASE_PORT + 200 + 10 * j).append('\n');
                }
            }
            Path conf = data.resolve("zoo.cfg");
            Files.writeString(conf, cfg.toString());
            ProcessBuilder pb = new ProcessBuilder(java, "-XX:+UseSerialGC", "-Xmx128m",
                    "-Dzookeeper.jmx.log4j.disable=true",
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", cp,
                    "org.apache.zookeeper.server.quorum.QuorumPeerMain", conf.toString());
            pb.redirectErrorStream(true).redirectOutput(data.resolve("server.log").toFile());
            procs.add(pb.start());
        }
        return procs;
    }

    private static void waitReady(String connect, List<Process> servers) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (ZooKeeper zk = connect(connect)) {
                if (zk.exists(NODE, false) == null) {
                    zk.create(NODE, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
                }
                return;
            } catch (IOException | KeeperException e) {
                if (System.nanoTime() > deadline || servers.stream().anyMatch(p -> !p.isAlive())) {
                    throw new IllegalStateException("ZooKeeper ensemble " + connect + " not ready", e);
                }
                Thread.sleep(200);
            }
        }
    }

    private static ZooKeeper connect(String connect) throws IOException, InterruptedException {
        CountDownLatch up = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(connect, 10_000, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                up.countDown();
            }
        });
        if (!up.await(5, TimeUnit.SECONDS)) {
            zk.close();
            throw new IOException("no connection to " + connect);
        }
        return zk;
    }

    /** For each write, the milliseconds until the last of {@code count} watchers saw it. */
    private static double[] measure(String writerAt, String watchersAt, int count, int writes) throws Exception {
        try (Rig rig = new Rig(writerAt, watchersAt, count)) {
            double[] out = new double[writes];
            for (int i = 0; i < writes + WARMUP; i++) {
                double ms = rig.write();
                if (i >= WARMUP) { // the first writes warm up the code paths (JIT) of servers and clients
                    out[i - WARMUP] = ms;
                }
                Thread.sleep(20); // a pause between writes, as between the harness's
            }
            return out;
        }
    }

    /**
     * {@code --serve}: after the warm-up, one write for each line {@code w} on stdin, answered with
     * {@code floor MS} on stdout, until stdin ends. The propagation part interleaves these writes
     * with MCP's, so that the two are measured over the same stretch of a machine whose speed drifts.
     */
    private static void serve(String connect, int count) throws Exception {
        try (Rig rig = new Rig(connect, connect, count);
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (int i = 0; i < WARMUP; i++) {
                rig.write();
                Thread.sleep(20);
            }
            System.out.println("ready");
            for (String line; (line = in.readLine()) != null; ) {
                if (line.equals("w")) {
                    System.out.println(String.format(Locale.ROOT, "floor %.3f", rig.write()));
                }
            }
        }
    }

    /**
     * {@code --warm}: {@code writes} raw writes back to back, each seen by a persistent recursive
     * watch and read, as MCP's nodes watch and read the overrides. A fresh server compiles its
     * request path (C2) during its first thousands of requests; a server of a cluster that runs for
     * months has long done so, and these writes do it before anything is measured.
     */
    private static void warm(String connect, int writes) throws Exception {
        try (ZooKeeper writer = connect(connect); ZooKeeper watcher = connect(connect)) {
            Semaphore read = new Semaphore(0);
            watcher.addWatch(NODE, e -> {
                if (e.getType() == Watcher.Event.EventType.NodeDataChanged) {
                    watcher.getData(NODE, false, (rc, path, ctx, data, stat) -> read.release(), null);
                }
            }, AddWatchMode.PERSISTENT_RECURSIVE);
            for (int i = 0; i < writes; i++) {
                writer.setData(NODE, Integer.toString(i).getBytes(StandardCharsets.UTF_8), -1);
                if (!read.tryAcquire(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("write " + i + " not seen within 10 s");
                }
            }
        }
    }

    /** A writer and {@code count} watchers of {@link #NODE}, each a session of its own. */
    private static final class Rig implements AutoCloseable {
        private final List<ZooKeeper> sessions = new ArrayList<>();
        private final ZooKeeper writer;
        private final int count;
        private final AtomicLongArray seenAt;
        private volatile CountDownLatch round;
        // Every watch is re-armed before the next write: on a busy machine 20 ms may not be enough.
        private volatile CountDownLatch armed = new CountDownLatch(0);
        private int writes;

        Rig(String writerAt, String watchersAt, int count) throws Exception {
            this.count = count;
            this.seenAt = new AtomicLongArray(count);
            this.round = new CountDownLatch(count);
            try {
                writer = connect(writerAt);
                sessions.add(writer);
                String[] hosts = watchersAt.split(",");
                for (int i = 0; i < count; i++) {
                    ZooKeeper w = connect(hosts[i % hosts.length]);
                    sessions.add(w);
                    int index = i;
                    Watcher[] self = new Watcher[1];
                    self[0] = (WatchedEvent e) -> {
                        if (e.getType() == Watcher.Event.EventType.NodeDataChanged) {
                            seenAt.set(index, System.nanoTime());
                            round.countDown();
                            w.getData(NODE, self[0], (rc, path, ctx, data, stat) -> armed.countDown(), null);
                        }
                    };
                    w.getData(NODE, self[0], null);
                }
            } catch (Exception e) {
                close();
                throw e;
            }
        }

        /** One write: the milliseconds until the last watcher saw it. */
        double write() throws Exception {
            if (!armed.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("watches not re-armed after write " + writes);
            }
            armed = new CountDownLatch(count);
            round = new CountDownLatch(count);
            long t0 = System.nanoTime();
            writer.setData(NODE, Integer.toString(++writes).getBytes(StandardCharsets.UTF_8), -1);
            if (!round.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("a watcher missed write " + writes);
            }
            long last = 0;
            for (int k = 0; k < count; k++) {
                last = Math.max(last, seenAt.get(k));
            }
            return (last - t0) / 1e6;
        }

        @Override
        public void close() throws InterruptedException {
            for (ZooKeeper zk : sessions) {
                zk.close();
            }
        }
    }

    private static String summary(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        double p50 = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        double p90 = s[Math.max(0, (int) Math.ceil(0.9 * s.length) - 1)];
        return String.format(Locale.ROOT, "{\"n\":%d,\"p50\":%.2f,\"p90\":%.2f,\"min\":%.2f,\"max\":%.2f}",
                s.length, p50, p90, s[0], s[s.length - 1]);
    }
}
