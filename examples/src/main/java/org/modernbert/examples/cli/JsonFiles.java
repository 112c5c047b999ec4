package org.modernbert.examples.cli;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.modernbert.api.IoErrors;
import org.modernbert.api.ModernBertException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * JSON in and out for the command line. Input is strict: one JSON value per file (or per line of a JSON
 * lines file), nothing after it, no key twice in an object; a malformed input is one line naming the file,
 * line and column. Output goes through {@link OutputTarget}, so it never harms a file.
 */
final class JsonFiles {
    /** Writes the fields of one JSON object. */
    interface FieldsWriter {
        void write(JsonGenerator g) throws IOException;
    }

    /** The name of standard input in {@code --input}. */
    static final String STDIN = "-";

    /** Duplicate keys are errors (Jackson would keep the last one); trailing data is checked by {@link #parse}. */
    static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private static final Pattern CONTROL_CHAR = Pattern.compile("\\(\\(CTRL-CHAR, code (\\d+)\\)\\)");
    private static final Pattern DUPLICATE = Pattern.compile("duplicate field '(.*)'");

    private JsonFiles() {
    }

    /** Resolves and checks {@code target} before the slow work: see {@link OutputTarget#of}. */
    static OutputTarget checkWritable(Path target) {
        return OutputTarget.of(target);
    }

    /** Writes {@code {...fields...}} as UTF-8 JSON. */
    static void writeJsonObject(OutputTarget target, FieldsWriter fields) throws IOException {
        target.write(stream -> {
            try (JsonGenerator g = new JsonFactory().createGenerator(stream, JsonEncoding.UTF8)) {
                g.writeStartObject();
                fields.write(g);
                g.writeEndObject();
            }
        });
    }

    /** Fails with one line unless {@code input} is {@code -} or something readable that is not a folder (a FIFO is fine). */
    static void checkReadable(Path input) {
        if (input.toString().equals(STDIN)) {
            return;
        }
        if (Files.isDirectory(input)) {
            throw new ModernBertException("input " + input + " is a directory: give a file");
        }
        if (!Files.exists(input)) {
            throw new ModernBertException("input file " + input + " does not exist");
        }
    }

    /** A UTF-8 reader of {@code input} ({@code -}: standard input) that fails on bytes that are not UTF-8. */
    static BufferedReader reader(Path input) throws IOException {
        if (input.toString().equals(STDIN)) {
            return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)));
        }
        return Files.newBufferedReader(input, StandardCharsets.UTF_8);
    }

    /** The whole of {@code input} as text. */
    static String readText(Path input) throws IOException {
        try (BufferedReader in = reader(input)) {
            StringBuilder text = new StringBuilder();
            char[] buffer = new char[1 << 16];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                text.append(buffer, 0, n);
            }
            return text.toString();
        } catch (CharacterCodingException e) {
            throw notUtf8(input);
        }
    }

    static ModernBertException notUtf8(Path input) {
        return new ModernBertException(input + " is not valid UTF-8 text: JSON files must be UTF-8");
    }

    /**
     * Parses exactly one JSON value from {@code text}: nothing but whitespace may follow it (what Jackson's
     * FAIL_ON_TRAILING_TOKENS checks, with a message that says so). {@code line} is the line of a JSON lines
     * file ({@code text} is that line), or 0 for a whole file. Errors are one line: "FILE: line L, column C: what".
     * Returns null for text that is only whitespace.
     */
    static JsonNode parse(Path source, String text, int line) {
        if (line <= 1 && text.startsWith("\uFEFF")) {
            text = text.substring(1); // a byte order mark some editors write: not part of the JSON
        }
        try (JsonParser p = STRICT.createParser(text)) {
            if (p.nextToken() == null) {
                return null;
            }
            JsonNode node = STRICT.readTree(p);
            JsonToken next;
            try {
                next = p.nextToken();
            } catch (JsonProcessingException e) {
                throw invalid(source, line, e.getLocation(), trailing(line));
            }
            if (next != null) {
                throw invalid(source, line, p.currentTokenLocation(), trailing(line));
            }
            return node;
        } catch (JsonProcessingException e) {
            throw invalid(source, line, e.getLocation(), plain(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new ModernBertException(source + ": " + e.getMessage());
        }
    }

    private static String trailing(int line) {
        return line > 0 ? "more after the JSON object: give one object per line" : "more after the JSON value: give one value per file";
    }

    private static ModernBertException invalid(Path source, int line, JsonLocation where, String what) {
        String at = where == null ? "" : ", column " + where.getColumnNr();
        int l = line > 0 ? line : where != null ? where.getLineNr() : -1;
        return new ModernBertException(source + ": " + (l > 0 ? "line " + l + at + ": " : "") + "not valid JSON: " + what);
    }

    /**
     * Jackson's message without its internals ({@link IoErrors#jsonReason}), and in plain words where the
     * command line can say more: duplicate keys, control characters, input that ends early.
     */
    static String plain(String message) {
        String m = message == null ? "malformed" : CONTROL_CHAR.matcher(message).replaceAll("(control character $1)");
        m = IoErrors.jsonReason(m);
        var duplicate = DUPLICATE.matcher(m);
        if (duplicate.matches()) {
            return "the key \"" + duplicate.group(1) + "\" appears twice in one object";
        }
        return m.replace("unexpected end-of-input: expected close marker for Object", "it ends before the object is closed")
                .replace("unexpected end-of-input: expected close marker for Array", "it ends before the list is closed")
                .replace("unexpected end-of-input", "it ends early");
    }
}
