package org.modernbert.spark;

import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;
import org.modernbert.api.ModernBertException;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where executors find the model: the driver's folder itself (local mode, or a path mounted on every
 * node), or the copies Spark shipped with {@code spark.files}. Carries the model's fingerprint, so an
 * executor refuses files that differ from what the driver validated.
 *
 * @param driverFolder the folder as the driver sees it (absolute)
 * @param shipped      true: the files arrive through {@code spark.files} (see {@link #sparkFiles})
 * @param files        the model's file names, relative to the folder
 * @param sha256       SHA-256 over those files' names and contents
 */
public record ModelSource(String driverFolder, boolean shipped, List<String> files, String sha256) implements Serializable {

    public ModelSource {
        files = List.copyOf(files);
    }

    /** A folder at the same path on the driver and on every executor (local mode, a shared mount). */
    public static ModelSource onEveryNode(Path folder) {
        Path abs = folder.toAbsolutePath().normalize();
        List<String> files = ModelFolder.files(abs);
        return new ModelSource(abs.toString(), false, files, ModelFolder.sha256(abs, files));
    }

    /**
     * A folder on the driver whose files Spark ships to every executor. Spark only ships what is in
     * {@code spark.files} when the session starts: build the session with {@link #sparkFiles}.
     */
    public static ModelSource shipped(Path folder) {
        ModelSource local = onEveryNode(folder);
        for (String f : local.files) {
            if (f.contains("/")) {
                throw new ModernBertException("model file " + f + " is in a subfolder of " + folder
                        + ": spark.files ships files flat; put the model on a path every node mounts instead");
            }
        }
        return new ModelSource(local.driverFolder, true, local.files, local.sha256);
    }

    /** {@code spark.files} with this model's files added to what it already lists ({@code existing} may be null or blank). */
    public String sparkFiles(String existing) {
        StringBuilder sb = new StringBuilder(existing == null ? "" : existing.strip());
        for (String f : files) {
            if (!sb.isEmpty()) {
                sb.append(',');
            }
            sb.append(Path.of(driverFolder, f).toUri());
        }
        return sb.toString();
    }

    /** The folder as this JVM sees it: on an executor, where Spark put the shipped files. */
    public Path folderHere() {
        SparkEnv env = SparkEnv.get();
        if (!shipped || env == null || "driver".equals(env.executorId())) {
            return Path.of(driverFolder); // not shipped, or the driver (validation, local mode): its own folder
        }
        Path root = Path.of(SparkFiles.getRootDirectory()).toAbsolutePath(); // "." on executors: their work folder
        for (String f : files) {
            if (!Files.isRegularFile(root.resolve(f))) {
                throw new ModernBertException("model file " + f + " is not among the files Spark shipped to executor "
                        + env.executorId() + " (" + root + "): start the session with spark.files = ModelSource.sparkFiles(...)");
            }
        }
        return root;
    }
}
