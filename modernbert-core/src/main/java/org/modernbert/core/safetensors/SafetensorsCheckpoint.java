package org.modernbert.core.safetensors;

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
 * shard is mapped once into the caller's arena. Shard names must stay inside the folder (no absolute
 * paths, no {@code ..}, no symlink leading out), and the shards must hold exactly the tensors the
 * weight map assigns to them.
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
        if (Files.exists(single)) {
            SafetensorsFile file = SafetensorsFile.open(single, arena);
            Map<String, Path> fileOf = new LinkedHashMap<>();
            file.tensors().keySet().forEach(name -> fileOf.put(name, single));
            return new SafetensorsCheckpoint(folder, single, List.of(file), new LinkedHashMap<>(file.tensors()), fileOf);
        }
        Path index = folder.resolve(INDEX_FILE);
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
            throw new SafetensorsException("shard index " + index + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new SafetensorsException("cannot read shard index " + index + ": " + e, e);
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
        Path realFolder = realPath(folder, index);
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
                shardPaths.put(shard, shardPath(folder, realFolder, index, shard, e.getKey()));
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

    private static Path realPath(Path p, Path index) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            throw new SafetensorsException("cannot resolve " + p + " (for shard index " + index + "): " + e, e);
        }
    }

    /** Resolves a shard name, refusing anything that could read a file outside the model folder. */
    private static Path shardPath(Path folder, Path realFolder, Path index, String shard, String tensor) {
        String refused = "shard index " + index + ": shard file \"" + shard + "\" (for tensor " + tensor + ") ";
        Path name;
        try {
            name = Path.of(shard);
        } catch (InvalidPathException e) {
            throw new SafetensorsException(refused + "is not a valid file name");
        }
        if (shard.isEmpty() || name.isAbsolute() || shard.startsWith("/") || shard.startsWith("\\")) {
            throw new SafetensorsException(refused + "is refused: shard names must be relative to the model folder " + folder);
        }
        for (Path part : name) {
            if (part.toString().equals("..")) {
                throw new SafetensorsException(refused + "is refused: it uses .. to leave the model folder " + folder);
            }
        }
        Path resolved = folder.resolve(name);
        if (!Files.exists(resolved)) {
            throw new SafetensorsException(refused + "does not exist in the model folder " + folder);
        }
        Path real = realPath(resolved, index);
        if (!real.startsWith(realFolder)) {
            throw new SafetensorsException(refused + "is refused: it resolves to " + real + ", outside the model folder " + realFolder);
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
