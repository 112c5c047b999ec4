package org.modernbert.core.safetensors;

import org.modernbert.api.IoErrors;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.modernbert.api.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The weights of a Hugging Face model folder: {@value #SINGLE_FILE} when present, else the shards
 * listed by {@value #INDEX_FILE} ({@code {"metadata": ..., "weight_map": {tensor: file}}}). Each
 * shard is mapped once into the caller's arena. A shard name in the index must be a plain file name in
 * the folder: absolute names, {@code ..} and path separators are refused (an index could otherwise
 * point at any file). The user's own symlinks are followed for every file alike, as in the Hugging Face
 * cache, where {@code snapshots/<rev>/} holds symlinks into {@code ../../blobs/}. The shards must hold
 * exactly the tensors the weight map assigns to them.
 */
public final class SafetensorsCheckpoint {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path folder;
    private final Path source;
    private final List<SafetensorsFile> files;
    private final Map<String, Tensor> tensors;
    private final Map<String, Path> fileOf;

    private SafetensorsCheckpoint(Path folder, Path source, List<SafetensorsFile> files, Map<String, Tensor> tensors,
                                  Map<String, Path> fileOf) {
        this.folder = folder;
        this.source = source;
        this.files = List.copyOf(files);
        this.tensors = Collections.unmodifiableMap(tensors);
        this.fileOf = Collections.unmodifiableMap(fileOf);
    }

    /** Opens the checkpoint of {@code folder}; the mappings live in {@code arena}. */
    public static SafetensorsCheckpoint open(Path folder, Arena arena) {
        if (!Files.isDirectory(folder)) {
            throw new SafetensorsException("model folder " + folder + " does not exist or is not a directory");
        }
        Path single = folder.resolve(SINGLE_FILE);
        requireLinkTarget(single, single.getFileName().toString());
        if (Files.exists(single)) {
            SafetensorsFile file = SafetensorsFile.open(single, arena);
            Map<String, Path> fileOf = new LinkedHashMap<>();
            file.tensors().keySet().forEach(name -> fileOf.put(name, single));
            return new SafetensorsCheckpoint(folder, single, List.of(file), new LinkedHashMap<>(file.tensors()), fileOf);
        }
        Path index = folder.resolve(INDEX_FILE);
        requireLinkTarget(index, index.getFileName().toString());
        if (Files.exists(index)) {
            return openSharded(folder, index, arena);
        }
        String hint = "";
        if (Files.exists(folder.resolve("pytorch_model.bin")) || Files.exists(folder.resolve("pytorch_model.bin.index.json"))) {
            hint = " (found pytorch_model.bin: PyTorch pickles are not supported, save the model with safe_serialization=True)";
        }
        throw new SafetensorsException("no weights in model folder " + folder + ": looked for " + SINGLE_FILE + " and "
                + INDEX_FILE + hint);
    }

    private static SafetensorsCheckpoint openSharded(Path folder, Path index, Arena arena) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(index));
        } catch (JsonProcessingException e) {
            throw new SafetensorsException("shard index " + index + " is not valid JSON at " + IoErrors.json(e));
        } catch (IOException e) {
            throw new SafetensorsException("cannot read shard index " + index + ": " + IoErrors.reason(e), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException("shard index " + index + " must be a JSON object with a weight_map");
        }
        JsonNode weightMap = root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new SafetensorsException("shard index " + index + " must have a weight_map object {tensor name: shard file}, got "
                    + weightMap);
        }
        // tensor -> shard name, shard name -> resolved path, in first-seen order
        Map<String, String> assigned = new LinkedHashMap<>();
        Map<String, Path> shardPaths = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new SafetensorsException("shard index " + index + ": weight_map entry for tensor " + e.getKey()
                        + " must be a shard file name, got " + e.getValue());
            }
            String shard = e.getValue().asText();
            assigned.put(e.getKey(), shard);
            if (!shardPaths.containsKey(shard)) {
                shardPaths.put(shard, shardPath(folder, index, shard, e.getKey()));
            }
        }
        if (assigned.isEmpty()) {
            throw new SafetensorsException("shard index " + index + " has an empty weight_map");
        }
        List<SafetensorsFile> files = new ArrayList<>();
        Map<String, SafetensorsFile> byShard = new LinkedHashMap<>();
        for (Map.Entry<String, Path> s : shardPaths.entrySet()) {
            SafetensorsFile f = SafetensorsFile.open(s.getValue(), arena);
            files.add(f);
            byShard.put(s.getKey(), f);
        }
        List<String> problems = new ArrayList<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, Path> fileOf = new LinkedHashMap<>();
        for (Map.Entry<String, String> a : assigned.entrySet()) {
            SafetensorsFile f = byShard.get(a.getValue());
            Tensor t = f.tensor(a.getKey());
            if (t == null) {
                problems.add("tensor " + a.getKey() + " is assigned to shard " + a.getValue() + " but that file has no such tensor");
            } else {
                tensors.put(a.getKey(), t);
                fileOf.put(a.getKey(), f.path());
            }
        }
        for (Map.Entry<String, SafetensorsFile> s : byShard.entrySet()) {
            for (String name : new TreeSet<>(s.getValue().tensors().keySet())) {
                String owner = assigned.get(name);
                if (owner == null) {
                    problems.add("tensor " + name + " is in shard " + s.getKey() + " but not in the weight_map");
                } else if (!owner.equals(s.getKey())) {
                    problems.add("tensor " + name + " is in shard " + s.getKey() + " but the weight_map assigns it to " + owner);
                }
            }
        }
        if (!problems.isEmpty()) {
            // The first few name the kind of mismatch; a wholesale one would otherwise be thousands of characters.
            String shown = String.join("; ", problems.subList(0, Math.min(5, problems.size())));
            String more = problems.size() > 5 ? "; and " + (problems.size() - 5) + " more" : "";
            throw new SafetensorsException("shard index " + index + " does not match its shards: " + shown + more);
        }
        return new SafetensorsCheckpoint(folder, index, files, tensors, fileOf);
    }

    /**
     * A symlink whose target is missing (a download the Hugging Face cache never finished, a moved blob)
     * is named as such rather than reported as an absent file.
     */
    private static void requireLinkTarget(Path p, String what) {
        if (Files.isSymbolicLink(p) && !Files.exists(p)) {
            String target;
            try {
                target = String.valueOf(Files.readSymbolicLink(p));
            } catch (IOException e) {
                target = "?";
            }
            throw new SafetensorsException(what + " in " + p.getParent() + " is a symlink to " + target
                    + ", which does not exist (an unfinished download?)");
        }
    }

    /**
     * Resolves a shard name: a plain file name in the folder. Absolute names, {@code ..} and path
     * separators are refused; a symlink placed in the folder is followed like any other file.
     */
    private static Path shardPath(Path folder, Path index, String shard, String tensor) {
        String refused = "shard index " + index + ": shard file \"" + shard + "\" (for tensor " + tensor + ") ";
        if (shard.isEmpty()) {
            throw new SafetensorsException(refused + "is refused: the shard name is empty");
        }
        if (shard.startsWith("/") || shard.startsWith("\\") || shard.matches("^[A-Za-z]:.*")) {
            throw new SafetensorsException(refused + "is refused: shard names must be file names in the model folder "
                    + folder + ", not absolute paths");
        }
        if (shard.equals("..") || shard.startsWith("../") || shard.startsWith("..\\") || shard.contains("/../")
                || shard.contains("\\..\\") || shard.endsWith("/..") || shard.endsWith("\\..")) {
            throw new SafetensorsException(refused + "is refused: it uses .. to leave the model folder " + folder);
        }
        if (shard.indexOf('/') >= 0 || shard.indexOf('\\') >= 0) {
            throw new SafetensorsException(refused + "is refused: shard names must be file names in the model folder "
                    + folder + ", without a path separator");
        }
        if (shard.equals(".")) {
            throw new SafetensorsException(refused + "is refused: it names the model folder itself");
        }
        Path resolved;
        try {
            resolved = folder.resolve(shard);
        } catch (InvalidPathException e) {
            throw new SafetensorsException(refused + "is not a valid file name");
        }
        requireLinkTarget(resolved, "shard file \"" + shard + "\" (for tensor " + tensor + ")");
        if (!Files.exists(resolved)) {
            throw new SafetensorsException(refused + "does not exist in the model folder " + folder);
        }
        return resolved;
    }

    /** The model folder. */
    public Path folder() {
        return folder;
    }

    /** {@value #SINGLE_FILE} or {@value #INDEX_FILE}: what the weights were read from. */
    public Path source() {
        return source;
    }

    /** The mapped files (one, or one per shard). */
    public List<SafetensorsFile> files() {
        return files;
    }

    /** Every tensor of the checkpoint by name. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The file that holds {@code tensor}, or null when the checkpoint has none of that name. */
    public Path fileOf(String tensor) {
        return fileOf.get(tensor);
    }
}
