package org.modernbert.examples.cli;

import org.modernbert.api.ModernBertException;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Where a command writes its output, chosen so that writing never harms a file:
 * <ul>
 * <li>{@code -} is standard output, and so are {@code /dev/stdout} and {@code /dev/fd/1};</li>
 * <li>another open descriptor ({@code /dev/fd/N}, {@code /proc/self/fd/N}: {@code >(cmd)}, {@code 3>file}) is
 *     written in place: it is not a name to replace;</li>
 * <li>a symbolic link is followed (all the way) and its target is what gets written;</li>
 * <li>a device, FIFO or other non-regular file is written directly, in place (never replaced);</li>
 * <li>a regular file (or a new one) is written to a hidden temporary file in the same folder and renamed
 *     over it atomically, with the permissions the old file had: a failure midway leaves the old file
 *     as it was, and the temporary file is removed on every failure path, SIGTERM and SIGINT included
 *     (a shutdown hook removes the ones in flight; only SIGKILL or a crash of the machine can leave one).</li>
 * </ul>
 * A write error (disk full, {@code /dev/full}, a closed pipe) is an {@link OutputFailure}.
 */
final class OutputTarget {
    interface Writer {
        void write(OutputStream out) throws IOException;
    }

    private enum Kind { STDOUT, IN_PLACE, REPLACE }

    /** The name of standard output in {@code --output}. */
    static final String STDOUT = "-";
    private static final int MAX_LINKS = 40; // what Linux allows (ELOOP)
    /** An open file descriptor: its "link" names a pipe or terminal ("pipe:[123]"), not a path to follow. */
    private static final java.util.regex.Pattern DESCRIPTOR = java.util.regex.Pattern.compile("/(dev|proc/[^/]+)/fd/(\\d+)");

    private final Path given;
    private final Path path;
    private final Kind kind;

    private OutputTarget(Path given, Path path, Kind kind) {
        this.given = given;
        this.path = path;
        this.kind = kind;
    }

    /**
     * Resolves {@code given} and checks that it can be written, failing with one clear line when not (its
     * folder is missing or not writable, it is a folder, a file that is not writable). Commands call it
     * before the slow work, so a typo in the output path does not cost a model load.
     */
    static OutputTarget of(Path given) {
        if (given.toString().equals(STDOUT)) {
            return new OutputTarget(given, null, Kind.STDOUT);
        }
        Path path = followLinks(given);
        var fd = DESCRIPTOR.matcher(path.toString());
        if (fd.matches()) {
            if (fd.group(2).equals("1") && (fd.group(1).equals("dev") || fd.group(1).equals("proc/self")
                    || fd.group(1).equals("proc/" + ProcessHandle.current().pid()))) {
                return new OutputTarget(given, null, Kind.STDOUT);
            }
            return new OutputTarget(given, path, Kind.IN_PLACE);
        }
        if (Files.isDirectory(path)) {
            throw new ModernBertException("output " + given + " is a directory: give a file name");
        }
        if (Files.exists(path) && !Files.isRegularFile(path)) {
            if (!Files.isWritable(path)) {
                throw new ModernBertException("output " + given + " is not writable");
            }
            return new OutputTarget(given, path, Kind.IN_PLACE);
        }
        Path dir = path.getParent();
        if (!Files.isDirectory(dir)) {
            throw new ModernBertException("output " + given + ": folder " + dir + " does not exist");
        }
        if (Files.exists(path) && !Files.isWritable(path)) {
            throw new ModernBertException("output " + given + " is not writable: it is left as it is");
        }
        if (!Files.isWritable(dir)) {
            throw new ModernBertException("output " + given + ": folder " + dir + " is not writable");
        }
        return new OutputTarget(given, path, Kind.REPLACE);
    }

    /** The path a write ends at: {@code given} with every symbolic link of its last part followed. */
    private static Path followLinks(Path given) {
        Path path = given.toAbsolutePath();
        for (int hops = 0; Files.isSymbolicLink(path) && !DESCRIPTOR.matcher(path.toString()).matches(); hops++) {
            if (hops == MAX_LINKS) {
                throw new ModernBertException("output " + given + ": too many levels of symbolic links");
            }
            try {
                path = path.resolveSibling(Files.readSymbolicLink(path));
            } catch (IOException e) {
                throw new ModernBertException("output " + given + ": cannot read the symbolic link " + path);
            }
        }
        return path;
    }

    void write(Writer writer) throws IOException {
        switch (kind) {
            case STDOUT -> writeStdout(writer);
            case IN_PLACE -> writeInPlace(writer);
            case REPLACE -> replace(writer);
        }
    }

    private void writeStdout(Writer writer) throws IOException {
        PrintStream stdout = System.out;
        OutputStream out = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[]{(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                stdout.write(b, off, len);
                check();
            }

            @Override
            public void flush() throws IOException {
                stdout.flush();
                check();
            }

            @Override
            public void close() throws IOException {
                flush(); // standard output stays open for whatever comes next
            }

            private void check() throws OutputFailure {
                // PrintStream keeps the IOException to itself: checkError() tells, StandardOutput says why.
                if (stdout.checkError()) {
                    throw OutputFailure.stdout(StandardOutput.lastError());
                }
            }
        };
        writer.write(out);
        out.flush();
    }

    /**
     * Whether {@code path} is an inherited descriptor ({@code /dev/fd/N}, {@code /proc/.../fd/N}) that
     * was opened with O_APPEND: Linux tells in {@code /proc/self/fdinfo/N} ("flags:" in octal).
     */
    private static boolean appendOnly(Path path) {
        var fd = DESCRIPTOR.matcher(path.toString());
        if (!fd.matches()) {
            return false;
        }
        try {
            String process = fd.group(1).equals("dev") ? "self" : fd.group(1).substring("proc/".length());
            for (String line : Files.readAllLines(Path.of("/proc/" + process + "/fdinfo/" + fd.group(2)))) {
                if (line.startsWith("flags:")) {
                    return (Long.parseLong(line.substring(6).trim(), 8) & 02000) != 0; // O_APPEND
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or the descriptor is not ours to inspect: write as before
        }
        return false;
    }

    private void writeInPlace(Writer writer) throws IOException {
        OutputStream raw;
        try {
            // no CREATE, no TRUNCATE: a device, a FIFO or an inherited descriptor; one opened for appending
            // (3>>log) is appended to, as the shell would, not overwritten from its start
            raw = appendOnly(path) ? Files.newOutputStream(path, StandardOpenOption.WRITE, StandardOpenOption.APPEND)
                    : Files.newOutputStream(path, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw cannotWrite(e);
        }
        try (raw) {
            OutputStream out = new Guarded(new BufferedOutputStream(raw, 1 << 16), given);
            writer.write(out);
            out.flush();
        } catch (FileSystemException e) {
            throw cannotWrite(e);
        }
    }

    private void replace(Writer writer) throws IOException {
        Path tmp = path.resolveSibling("." + path.getFileName() + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
        Set<PosixFilePermission> keep = null;
        if (Files.isRegularFile(path) && Files.getFileAttributeView(path, PosixFileAttributeView.class) != null) {
            keep = Files.getPosixFilePermissions(path);
        }
        InFlight.add(tmp);
        try {
            // Not Files.createTempFile: that makes the file owner-only (0600), and a new output would keep it.
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                if (keep != null) {
                    Files.setPosixFilePermissions(tmp, keep); // before any byte is written: a 0600 secret never sits in a 0644 file
                }
                OutputStream out = new Guarded(new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16), given);
                writer.write(out);
                out.flush();
                try {
                    channel.force(true); // the rename must not reach the disk before the data
                } catch (IOException e) {
                    throw OutputFailure.of(given, e);
                }
            }
            try {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (FileSystemException e) {
            throw cannotWrite(e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } finally {
                InFlight.remove(tmp);
            }
        }
    }

    private ModernBertException cannotWrite(IOException e) {
        if (e instanceof AccessDeniedException) {
            return new ModernBertException("cannot write output " + given + ": permission denied", e);
        }
        String reason = e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : e.getMessage();
        return new ModernBertException("cannot write output " + given + ": " + (reason != null ? reason : e.getClass().getSimpleName()), e);
    }

    /**
     * Turns every write error of the stream it wraps into an {@link OutputFailure} naming the output; closing
     * it only flushes (a writer's JsonGenerator closes its stream).
     */
    private static final class Guarded extends OutputStream {
        private final OutputStream out;
        private final Path name;

        Guarded(OutputStream out, Path name) {
            this.out = out;
            this.name = name;
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (OutputFailure e) {
                throw e;
            } catch (IOException e) {
                throw OutputFailure.of(name, e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (OutputFailure e) {
                throw e;
            } catch (IOException e) {
                throw OutputFailure.of(name, e);
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (OutputFailure e) {
                throw e;
            } catch (IOException e) {
                throw OutputFailure.of(name, e);
            }
        }

        @Override
        public void close() throws IOException {
            flush(); // the file is closed by its owner, after force()
        }
    }

    /** Temporary files being written: a shutdown hook (SIGTERM, SIGINT, System.exit) removes them. */
    static final class InFlight {
        private static final Set<Path> FILES = ConcurrentHashMap.newKeySet();

        static {
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    for (Path p : FILES) {
                        try {
                            Files.deleteIfExists(p);
                        } catch (IOException | RuntimeException ignored) {
                            // the JVM is going away: nothing else to do with it
                        }
                    }
                }, "modernbert-output-cleanup"));
            } catch (IllegalStateException alreadyShuttingDown) {
                // nothing is written after this point anyway
            }
        }

        private InFlight() {
        }

        static void add(Path tmp) {
            FILES.add(tmp);
        }

        static void remove(Path tmp) {
            FILES.remove(tmp);
        }

        static boolean isEmpty() {
            return FILES.isEmpty();
        }
    }
}
