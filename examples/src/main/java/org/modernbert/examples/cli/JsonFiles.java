package org.modernbert.examples.cli;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.modernbert.api.ModernBertException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/** Writes output files atomically: a failure midway never leaves a truncated or half-written file. */
final class JsonFiles {
    interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** Writes the fields of one JSON object. */
    interface FieldsWriter {
        void write(JsonGenerator g) throws IOException;
    }

    private JsonFiles() {
    }

    /**
     * Fails with one clear line when {@code target} cannot be an output file (its folder is missing or
     * not writable, or it is a folder itself). Commands call it before the slow work, so a typo in the
     * output path does not cost a model load.
     */
    static void checkWritable(Path target) {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        if (Files.isDirectory(absolute)) {
            throw new ModernBertException("output " + target + " is a directory: give a file name");
        }
        if (!Files.isDirectory(dir)) {
            throw new ModernBertException("output " + target + ": folder " + dir + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw new ModernBertException("output " + target + ": folder " + dir + " is not writable");
        }
    }

    /** Writes {@code {...fields...}} as UTF-8 JSON, atomically. */
    static void writeJsonObject(Path target, FieldsWriter fields) throws IOException {
        writeAtomically(target, stream -> {
            try (JsonGenerator g = new JsonFactory().createGenerator(stream, JsonEncoding.UTF8)) {
                g.writeStartObject();
                fields.write(g);
                g.writeEndObject();
            }
        });
    }

    static void writeAtomically(Path target, Writer writer) throws IOException {
        checkWritable(target);
        Path absolute = target.toAbsolutePath();
        // Not Files.createTempFile: that makes the file owner-only (0600), and the result would keep it.
        Path tmp = absolute.resolveSibling("." + absolute.getFileName() + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writer.write(out);
            }
            try {
                Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (java.nio.file.AtomicMoveNotSupportedException e) {
                Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (AccessDeniedException e) {
            throw new ModernBertException("cannot write output " + target + ": permission denied", e);
        } catch (java.nio.file.FileSystemException e) {
            throw new ModernBertException("cannot write output " + target + ": "
                    + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName()), e);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
