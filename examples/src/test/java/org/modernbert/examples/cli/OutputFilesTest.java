package org.modernbert.examples.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modernbert.conformance.ReferenceFixtures;

import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Writing output never harms a file: special files are written in place, links are followed, a replaced
 * file keeps its permissions, no temporary file survives a failure or a kill, and write errors on files and
 * on standard output are one line (a closed pipe is quiet). The kill and standard-output cases run the real
 * command line in a child JVM.
 */
class OutputFilesTest {
    private static final String LINE = "{\"text\": \"In the beginning\"}";

    @TempDir
    Path dir;

    private Path input(int lines) throws IOException {
        Path in = dir.resolve("in.jsonl");
        Files.write(in, java.util.Collections.nCopies(lines, LINE));
        return in;
    }

    private static CliRun tokenize(Path in, String output) {
        return CliRun.of("tokenize", "--model", ReferenceFixtures.tokenizerDir().toString(), "--input", in.toString(), "--output", output);
    }

    private static boolean posix(Path p) throws IOException {
        return Files.getFileStore(p).supportsFileAttributeView("posix");
    }

    private List<String> leftovers() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
        }
    }

    @Test
    void devFullIsAWriteErrorAndStaysADevice() throws IOException {
        Path full = Path.of("/dev/full");
        assumeTrue(Files.exists(full) && !Files.isRegularFile(full), "needs /dev/full");
        CliRun run = tokenize(input(3), "/dev/full");
        assertEquals(1, run.exitCode());
        assertEquals("error: cannot write output /dev/full: No space left on device", run.err().strip());
        assertTrue(Files.exists(full) && !Files.isRegularFile(full), "/dev/full is still a device");
    }

    @Test
    void fifoIsWrittenInPlaceNotReplaced() throws Exception {
        Path fifo = mkfifo(dir.resolve("out.fifo"));
        CompletableFuture<String> reader = CompletableFuture.supplyAsync(() -> {
            try (InputStream in = Files.newInputStream(fifo)) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        CliRun run = tokenize(input(2), fifo.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(2, reader.get(30, TimeUnit.SECONDS).lines().count());
        assertTrue(Files.exists(fifo) && !Files.isRegularFile(fifo), "the FIFO is still a FIFO");
        assertEquals(List.of(), leftovers());
    }

    @Test
    void symlinkIsFollowedAndItsTargetReplacedKeepingItsMode() throws IOException {
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        Path real = Files.writeString(elsewhere.resolve("real.jsonl"), "old\n");
        Path link = Files.createSymbolicLink(dir.resolve("link.jsonl"), Path.of("elsewhere", "real.jsonl"));
        Path linkToLink = Files.createSymbolicLink(dir.resolve("link2.jsonl"), link.getFileName());
        if (posix(dir)) {
            Files.setPosixFilePermissions(real, PosixFilePermissions.fromString("rw-r-----"));
        }
        CliRun run = tokenize(input(2), linkToLink.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(Files.isSymbolicLink(link) && Files.isSymbolicLink(linkToLink), "the links are still links");
        assertEquals(Path.of("elsewhere", "real.jsonl"), Files.readSymbolicLink(link));
        assertEquals(2, Files.readAllLines(real).size());
        assertTrue(Files.readString(real).startsWith("{\"ids_with_special\""));
        if (posix(dir)) {
            assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(real)));
        }
        assertEquals(List.of(), leftovers());
    }

    @Test
    void danglingSymlinkGetsItsTargetCreated() throws IOException {
        Path link = Files.createSymbolicLink(dir.resolve("link.jsonl"), Path.of("new.jsonl"));
        CliRun run = tokenize(input(1), link.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(Files.isSymbolicLink(link));
        assertEquals(1, Files.readAllLines(dir.resolve("new.jsonl")).size());
    }

    @Test
    void replacedFileKeepsOwnerOnlyMode() throws IOException {
        Path in = dir.resolve("in.json");
        Files.writeString(in, "{\"input_ids\": [[1, 2]]}");
        Path out = Files.writeString(dir.resolve("out.json"), "secret");
        assumeTrue(posix(dir));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-------"));
        CliRun run = CliRun.of("forward", "--model", ReferenceFixtures.modelDir("tiny-mbd").toString(),
                "--input", in.toString(), "--output", out.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(Files.readString(out).startsWith("{\"logits\""));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));

        run = tokenize(input(1), out.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
    }

    @Test
    void readOnlyFileIsLeftAsItIs() throws IOException {
        assumeFalse("root".equals(System.getProperty("user.name")), "root may write any file");
        assumeTrue(posix(dir));
        Path out = Files.writeString(dir.resolve("out.jsonl"), "keep me");
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("r--r--r--"));
        CliRun run = tokenize(input(1), out.toString());
        assertEquals(1, run.exitCode());
        assertEquals("error: output " + out + " is not writable: it is left as it is", run.err().strip());
        assertEquals("keep me", Files.readString(out));
    }

    @Test
    void dashAndDevStdoutAreStandardOutput() throws IOException {
        CliRun run = tokenize(input(3), "-");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(3, run.out().lines().count());
        assertFalse(Files.exists(Path.of("-").toAbsolutePath()), "no file named -");
        if (Files.isSymbolicLink(Path.of("/dev/stdout"))) {
            // a link to /proc/self/fd/1, whose own "link" names a pipe or terminal: it is standard output too
            run = tokenize(input(2), "/dev/stdout");
            assertEquals(0, run.exitCode(), run.err());
            assertEquals(2, run.out().lines().count());
        }
    }

    @Test
    void standardOutputErrorsAreOneLineAndAClosedPipeIsQuiet() throws IOException {
        Path in = input(2);
        assertEquals(new CliRun(1, "", "error: cannot write to standard output: No space left on device"),
                withFailingStdout("No space left on device", "tokenize", in, "-"));
        assertEquals(new CliRun(ModernBertCli.BROKEN_PIPE, "", ""), withFailingStdout("Broken pipe", "tokenize", in, "-"));
        // printed by the command (not through --output): checked once the command is done
        assertEquals(new CliRun(1, "", "error: cannot write to standard output: No space left on device"),
                withFailingStdout("No space left on device", "backends", null, null));
    }

    /** Runs the CLI in-process with a System.out whose writes fail with {@code reason}, as the real one is set up. */
    private static synchronized CliRun withFailingStdout(String reason, String command, Path in, String output) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(new StandardOutput(new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    throw new IOException(reason);
                }
            }), true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = in == null ? ModernBertCli.run(command)
                    : ModernBertCli.run(command, "--model", ReferenceFixtures.tokenizerDir().toString(), "--input", in.toString(), "--output", output);
            return new CliRun(code, "", err.toString(StandardCharsets.UTF_8).strip());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void realProcessWritingToDevFullFailsWithOneLine() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/full")), "needs /dev/full");
        Path in = input(3);
        Child c = shell("\"$@\" --output - > /dev/full", "tokenize", "--model", ReferenceFixtures.tokenizerDir().toString(), "--input", in.toString());
        assertEquals(1, c.code(), c.err());
        assertEquals("error: cannot write to standard output: No space left on device", c.err());
        c = shell("\"$@\" > /dev/full", "tokenize", "--help");
        assertEquals(1, c.code(), c.err());
        assertEquals("error: cannot write to standard output: No space left on device", c.err());
    }

    @Test
    void realProcessIntoAClosedPipeEndsQuietly() throws Exception {
        Path in = input(20_000); // several MB of output: far more than a pipe holds
        Child c = shell("\"$@\" --output - | head -1; exit ${PIPESTATUS[0]}",
                "tokenize", "--model", ReferenceFixtures.tokenizerDir().toString(), "--input", in.toString());
        assertTrue(c.code() == 0 || c.code() == ModernBertCli.BROKEN_PIPE, "exit " + c.code() + ": " + c.err());
        assertEquals("", c.err(), "nothing on stderr");
        assertEquals(1, c.out().lines().count());
        assertTrue(c.out().startsWith("{\"ids_with_special\""), c.out());
    }

    @Test
    void anAppendingDescriptorIsAppendedTo() throws Exception {
        Path in = input(3);
        Path log = Files.writeString(dir.resolve("app.log"), "x".repeat(300) + "\nLINE2\n");
        Child c = shell("\"$@\" --output /dev/fd/3 3>>\"$LOG\"".replace("$LOG", log.toString()),
                "tokenize", "--model", ReferenceFixtures.tokenizerDir().toString(), "--input", in.toString());
        assertEquals(0, c.code(), c.err());
        List<String> lines = Files.readAllLines(log);
        assertEquals("x".repeat(300), lines.get(0), "the old content is kept");
        assertEquals("LINE2", lines.get(1));
        assertEquals(5, lines.size(), "and the three answers follow it");
        assertTrue(lines.get(2).startsWith("{\"ids_with_special\""), lines.get(2));
    }

    /** generate reading standard input stops at the first answer its reader no longer takes. */
    @Test
    void aReaderThatLeavesStopsGeneratingFromStandardInput() throws Exception {
        Child c = shell("yes 'In the beginning' | head -100000 | timeout 60 \"$@\" | head -1; exit ${PIPESTATUS[2]}",
                "generate", "--model", Path.of("models/kjv-mbd-4m").toAbsolutePath().toString(), "--greedy",
                "--max-new-tokens", "2");
        assertTrue(c.code() == 0 || c.code() == ModernBertCli.BROKEN_PIPE,
                "exit " + c.code() + " (124: still generating when timeout killed it): " + c.err());
        assertEquals(1, c.out().lines().count());
        assertTrue(c.err().lines().noneMatch(l -> l.startsWith("error")), c.err());
    }

    @Test
    void sigtermRemovesTheTemporaryFileAndLeavesTheOldOutput() throws Exception {
        killMidWrite(Process::destroy, 143, false);
    }

    @Test
    void sigtermDuringALargeTokenizeRemovesTheTemporaryFile() throws Exception {
        Path in = input(200_000); // seconds of work: the temporary output grows meanwhile
        Path out = Files.writeString(dir.resolve("out.jsonl"), "old\n");
        Path err = dir.resolve("stderr.txt");
        List<String> command = new ArrayList<>(java());
        command.addAll(List.of("tokenize", "--model", ReferenceFixtures.tokenizerDir().toString(),
                "--input", in.toString(), "--output", out.toString()));
        Process child = new ProcessBuilder(command).redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); leftovers().isEmpty(); Thread.sleep(5)) {
                assumeTrue(child.isAlive(), "the child finished before its temporary file was seen");
                assertTrue(System.nanoTime() < deadline, "the child never made its temporary file");
            }
            child.destroy();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child ends");
            assertEquals(143, child.exitValue(), Files.readString(err));
            assertEquals(List.of(), leftovers(), "no temporary file is left behind");
            assertEquals("old\n", Files.readString(out), "the old output is untouched");
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void sigintRemovesTheTemporaryFileAndLeavesTheOldOutput() throws Exception {
        killMidWrite(p -> {
            try {
                new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).inheritIO().start().waitFor();
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, 130, true);
    }

    /**
     * A real {@code tokenize} whose input is a FIFO this test feeds: it has written one line to its
     * temporary output and waits for more, when it is killed.
     */
    private void killMidWrite(java.util.function.Consumer<Process> kill, int expectedExit, boolean mayBeIgnored) throws Exception {
        Path fifo = mkfifo(dir.resolve("in.fifo"));
        Path out = Files.writeString(dir.resolve("out.jsonl"), "old\n");
        Path err = dir.resolve("stderr.txt");
        List<String> command = new ArrayList<>(java());
        command.addAll(List.of("tokenize", "--model", ReferenceFixtures.tokenizerDir().toString(),
                "--input", fifo.toString(), "--output", out.toString()));
        Process child = new ProcessBuilder(command).redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            // Opening a FIFO for writing waits for its reader: the child, which has its temporary file by then.
            CompletableFuture<OutputStream> opened = CompletableFuture.supplyAsync(() -> {
                try {
                    return new FileOutputStream(fifo.toFile());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            OutputStream feed = null;
            for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); feed == null; ) {
                if (!child.isAlive()) {
                    fail("the child ended early (" + child.exitValue() + "): " + Files.readString(err));
                }
                if (System.nanoTime() > deadline) {
                    fail("the child never opened its input");
                }
                try {
                    feed = opened.get(100, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException notYet) {
                    // keep waiting
                }
            }
            try (OutputStream f = feed) {
                f.write((LINE + "\n").getBytes(StandardCharsets.UTF_8));
                f.flush();
                waitFor(() -> leftovers().size() == 1, "the temporary output file");
                kill.accept(child);
                boolean ended = child.waitFor(mayBeIgnored ? 10 : 30, TimeUnit.SECONDS);
                // A background job of a non-interactive shell starts with SIGINT ignored, and so do its children.
                assumeTrue(ended || !mayBeIgnored, "the signal is ignored in this process tree");
                assertTrue(ended, "the child ends");
            } catch (IOException brokenPipe) {
                // the child is gone: closing the feed may say so
            }
            assertEquals(expectedExit, child.exitValue(), Files.readString(err));
            assertEquals(List.of(), leftovers(), "no temporary file is left behind");
            assertEquals("old\n", Files.readString(out), "the old output is untouched");
        } finally {
            child.destroyForcibly();
            if (Files.exists(fifo)) {
                // unblock the opener if the child never read
                new ProcessBuilder("sh", "-c", "exec 3<>\"$0\"", fifo.toString()).start().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    private interface Check {
        boolean ok() throws IOException;
    }

    private static void waitFor(Check check, String what) throws Exception {
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); !check.ok(); Thread.sleep(10)) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
        }
    }

    private static Path mkfifo(Path path) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
        } catch (IOException e) {
            assumeTrue(false, "needs mkfifo");
            throw e;
        }
        assumeTrue(p.waitFor() == 0, "mkfifo works here");
        return path;
    }

    /** The java command of a child that runs the CLI from the module path these tests run on. */
    private static List<String> java() {
        String modulePath = System.getProperty("jdk.module.path");
        assumeTrue(modulePath != null, "tests run on the module path");
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-p", modulePath, "-m", "org.modernbert.examples/org.modernbert.examples.cli.ModernBertCli");
    }

    private record Child(int code, String out, String err) {
    }

    /** Runs {@code bash -c script} with the child's java command line and {@code args} as "$@"; stderr without JVM notices. */
    private Child shell(String script, String... args) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "needs bash");
        List<String> command = new ArrayList<>(List.of("/bin/bash", "-c", script, "bash"));
        command.addAll(java());
        command.addAll(List.of(args));
        Path out = dir.resolve("child.out");
        Path err = dir.resolve("child.err");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child ends");
        String stderr = Files.readString(err).lines()
                .filter(l -> !l.startsWith("WARNING: Using incubator modules"))
                .reduce((a, b) -> a + "\n" + b).orElse("");
        return new Child(p.exitValue(), Files.readString(out), stderr);
    }
}
