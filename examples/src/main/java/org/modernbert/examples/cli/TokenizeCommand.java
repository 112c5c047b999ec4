package org.modernbert.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.modernbert.api.ModernBertException;
import org.modernbert.core.tokenizer.HuggingFaceTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code modernbert tokenize --model DIR --input IN.jsonl --output OUT.jsonl}: each input line
 * {@code {"text": ...}} gives one output line with {@code ids_with_special}, {@code ids_without_special},
 * {@code decoded} and {@code decoded_skip_special}: output line N always answers input line N. Input is
 * strict: a line that is not exactly one JSON object with a string "text" (a blank line, a second object on
 * the line, a key given twice, trailing data) is an error naming the file, line and column, and no output
 * file is written (with {@code --output -} the lines before it have been printed). {@code -} reads standard input / writes standard output; a file output is written as
 * {@link OutputTarget} describes (atomically, never harming a special file, a link or the file's mode).
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Tokenize JSONL text with a model folder's tokenizer.json (HF tokenizers semantics).",
                "Output line N answers input line N; a blank or malformed input line is an error naming its line and column",
                "(give {\"text\": \"\"} for an empty text)."})
public final class TokenizeCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "model folder with tokenizer.json (and tokenizer_config.json)")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "IN.jsonl", description = "one {\"text\": ...} object per line; - for standard input")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "OUT.jsonl",
            description = "where to write one result per input line; - for standard output")
    Path output;

    @Override
    public Integer call() throws IOException {
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.load(model);
        JsonFiles.checkReadable(input);
        OutputTarget target = JsonFiles.checkWritable(output);
        try {
            target.write(stream -> {
                try (BufferedReader in = JsonFiles.reader(input)) {
                    BufferedWriter out = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), 1 << 16);
                    String line;
                    int lineNumber = 0;
                    while ((line = in.readLine()) != null) {
                        lineNumber++;
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
                    out.flush();
                }
            });
        } catch (CharacterCodingException e) {
            throw new ModernBertException(input + " is not valid UTF-8 text: JSON lines files must be UTF-8", e);
        }
        return 0;
    }

    private String text(String line, int lineNumber) {
        JsonNode node = JsonFiles.parse(input, line, lineNumber);
        if (node == null) {
            throw new ModernBertException(input + ": line " + lineNumber
                    + ": blank line: each line must be one {\"text\": ...} object, so that output line N answers input line N");
        }
        JsonNode text = node.get("text");
        if (!node.isObject() || text == null || !text.isTextual()) {
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
