package org.modernbert.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The job on a real standalone cluster on loopback: a master and a worker in their own JVMs, the job
 * submitted with Spark's own {@code SparkSubmit} (what the spark-submit script runs) in client mode,
 * the model shipped with {@code spark.files} to an executor JVM the worker starts. The Spark jars come
 * from the Maven build (there is no Spark distribution here): a SPARK_HOME with a RELEASE file and an
 * empty jars folder, and the jars as {@code spark.executor.extraClassPath}.
 */
class StandaloneClusterIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> PROMPTS = List.of("In the beginning", "And God said", "The LORD is my shepherd",
            "Blessed are the meek", "And it came to pass", "Let there be light");

    @TempDir
    static Path dir;

    private static final List<Process> DAEMONS = new ArrayList<>();
    private static String master;
    private static Path work;

    private static String classpath() throws IOException {
        return Files.readString(Path.of(System.getProperty("modernbert.spark.classpath"))).strip();
    }

    private static ProcessBuilder java(Path log, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + System.getProperty("modernbert.spark.jvmArgsFile"), "-Xmx1g", "-cp", classpath(), mainClass));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        Path sparkHome = Files.createDirectories(dir.resolve("spark-home"));
        Files.createDirectories(sparkHome.resolve("jars"));
        Files.writeString(sparkHome.resolve("RELEASE"), "Spark from the Maven build (modernbert-spark integration test)\n");
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", sparkHome.toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        env.put("JAVA_HOME", System.getProperty("java.home"));
        return pb;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void await(Path log, String line, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(line)) {
                return;
            }
            if (!p.isAlive()) {
                fail("exited before '" + line + "': " + Files.readString(log));
            }
            Thread.sleep(200);
        }
        fail("no '" + line + "' within 90 s: " + Files.readString(log));
    }

    @BeforeAll
    static void startCluster() throws Exception {
        int port = freePort();
        master = "spark://127.0.0.1:" + port;
        Path masterLog = dir.resolve("master.log");
        Process m = java(masterLog, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", Integer.toString(port),
                "--webui-port", Integer.toString(freePort())).start();
        DAEMONS.add(m);
        await(masterLog, "I have been elected leader", m);
        work = Files.createDirectories(dir.resolve("work"));
        Path workerLog = dir.resolve("worker.log");
        Process w = java(workerLog, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "2",
                "--memory", "2g", "--work-dir", work.toString(), "--webui-port", Integer.toString(freePort()), master).start();
        DAEMONS.add(w);
        await(workerLog, "Successfully registered with master", w);
    }

    @AfterAll
    static void stopCluster() {
        for (Process p : DAEMONS.reversed()) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
    }

    /** spark-submit --master spark://... --class org.modernbert.spark.BatchJob modernbert-spark.jar ARGS. */
    private static String submit(String... jobArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("--master", master, "--deploy-mode", "client",
                "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
                "--conf", "spark.ui.enabled=false", "--conf", "spark.executor.memory=1g",
                "--conf", "spark.executor.extraClassPath=" + classpath(),
                "--class", "org.modernbert.spark.BatchJob", System.getProperty("modernbert.spark.jar")));
        args.addAll(List.of(jobArgs));
        Path log = dir.resolve("driver-" + System.nanoTime() + ".log");
        Process driver = java(log, "org.apache.spark.deploy.SparkSubmit", args.toArray(String[]::new)).start();
        if (!driver.waitFor(4, TimeUnit.MINUTES)) {
            driver.descendants().forEach(ProcessHandle::destroy);
            driver.destroy();
            fail("the job did not finish within 4 minutes: " + Files.readString(log));
        }
        String out = Files.readString(log);
        assertEquals(0, driver.exitValue(), out);
        return out;
    }

    /** The greedy continuations ./modernbert generate prints for the prompts (one JSON line each, from standard input). */
    private static List<String> cliGreedy(int maxNewTokens) throws Exception {
        Path launcher = Path.of("..", "modernbert").toAbsolutePath().normalize();
        Process cli = new ProcessBuilder(launcher.toString(), "generate", "--greedy", "--max-new-tokens",
                Integer.toString(maxNewTokens), "--json").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        cli.getOutputStream().write((String.join("\n", PROMPTS) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        cli.getOutputStream().close();
        List<String> texts = new ArrayList<>();
        for (String line : new String(cli.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
            texts.add(JSON.readTree(line).get("generated_text").asText());
        }
        assertEquals(0, cli.waitFor());
        return texts;
    }

    /** The executor logs of every application the worker ran. */
    private static String executorLogs() throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> files = Files.walk(work)) {
            for (Path f : files.filter(p -> p.getFileName().toString().equals("stderr")).toList()) {
                sb.append(Files.readString(f));
            }
        }
        return sb.toString();
    }

    @Test
    void greedyGenerationOnTheClusterEqualsTheCommandLine() throws Exception {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < PROMPTS.size(); i++) {
            jsonl.append(JSON.createObjectNode().put("id", i).put("text", PROMPTS.get(i))).append('\n');
        }
        Path input = Files.writeString(dir.resolve("prompts.jsonl"), jsonl);
        Path output = dir.resolve("generated");
        String driverLog = submit("--model", SparkTasksTest.BUNDLED.toString(), "--task", "generate", "--input", input.toString(),
                "--output", output.toString(), "--format", "json", "--max-new-tokens", "16", "--greedy", "--partitions", "3",
                "--batch-size", "2");
        assertTrue(driverLog.contains("generate: 6 rows (0 errors)"), driverLog);

        // The executor is a JVM of its own, which loaded the model once, from the files Spark shipped to it.
        String executors = executorLogs();
        Files.writeString(Files.createDirectories(Path.of("target", "it-logs")).resolve("executors.log"), executors);
        Matcher loads = Pattern.compile("modernbert: loaded TextGenerationPipeline from (\\S+)").matcher(executors);
        assertTrue(loads.find(), "no model load in the executor logs: " + executors);
        String folder = loads.group(1);
        assertTrue(Path.of(folder).startsWith(work), "loaded from " + folder + ", not from the files Spark shipped to the worker");
        assertTrue(!loads.find(), "the model was loaded twice in one executor: " + executors);
        List<JsonNode> rows = BatchJobTest.readJson(output);
        List<String> expected = cliGreedy(16);
        assertEquals(PROMPTS.size(), rows.size());
        for (int i = 0; i < PROMPTS.size(); i++) {
            assertEquals(PROMPTS.get(i), rows.get(i).get("text").asText());
            assertEquals(expected.get(i), rows.get(i).get("generated_text").asText(), "prompt " + PROMPTS.get(i) + " in " + rows);
        }

    }
}
