package org.modernbert.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.modernbert.api.ModernBertException;
import org.modernbert.core.tokenizer.HuggingFaceTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code modernbert tokenize --model DIR --input IN.jsonl --output OUT.jsonl}: each input line
 * {@code {"text": ...}} gives one output line with {@code ids_with_special}, {@code ids_without_special},
 * {@code decoded} and {@code decoded_skip_special}. The output is written to a temporary file and moved
 * into place at the end, so a failure never leaves a partial file.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Tokenize JSONL text with a model folder's tokenizer.json (HF tokenizers semantics).")
public final class TokenizeCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "model folder with tokenizer.json (and tokenizer_config.json)")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "IN.jsonl", description = "one {\"text\": ...} object per line")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "OUT.jsonl", description = "where to write one result per input line")
    Path output;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try {
            run();
            return 0;
        } catch (ModernBertException | IOException e) {
            spec.commandLine().getErr().println("error: " + e.getMessage());
            return 1;
        }
    }

    private void run() throws IOException {
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.load(model);
        if (!Files.isRegularFile(input)) {
            throw new ModernBertException(input + ": no such input file");
        }
        JsonFiles.checkWritable(output);
        try {
            JsonFiles.writeAtomically(output, stream -> {
                try (BufferedReader in = Files.newBufferedReader(input, StandardCharsets.UTF_8);
                     BufferedWriter out = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8))) {
                    String line;
                    int lineNumber = 0;
                    while ((line = in.readLine()) != null) {
                        lineNumber++;
                        if (line.isBlank()) {
                            continue;
                        }
                        String text = text(line, lineNumber);
                        int[] withSpecial = tokenizer.encode(text, true).ids();
                        ObjectNode result = JSON.createObjectNode();
                        result.set("ids_with_special", ids(withSpecial));
                        result.set("ids_without_special", ids(tokenizer.encode(text, false).ids()));
                        result.put("decoded", tokenizer.decode(withSpecial, false));
                        result.put("decoded_skip_special", tokenizer.decode(withSpecial, true));
                        out.write(JSON.writeValueAsString(result));
                        out.write('\n');
                    }
                }
            });
        } catch (CharacterCodingException e) {
            throw new ModernBertException(input + " is not valid UTF-8 text: JSON lines files must be UTF-8", e);
        }
    }

    private String text(String line, int lineNumber) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (IOException e) {
            throw new ModernBertException(input + ": line " + lineNumber + ": not valid JSON");
        }
        JsonNode text = node == null ? null : node.get("text");
        if (text == null || !text.isTextual()) {
            throw new ModernBertException(input + ": line " + lineNumber + ": expected an object with a string \"text\"");
        }
        return text.asText();
    }

    private static ArrayNode ids(int[] ids) {
        ArrayNode array = JSON.createArrayNode();
        for (int id : ids) {
            array.add(id);
        }
        return array;
    }
}
