package org.modernbert.api;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Why an I/O operation failed, in words that fit after "cannot read FILE: " — without repeating the
 * path (a {@link FileSystemException}'s message is often just the path) and without exception class
 * names.
 */
public final class IoErrors {
    private IoErrors() {
    }

    public static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NotDirectoryException) {
            return "a path element is not a folder";
        }
        if (e instanceof CharacterCodingException) {
            return "not valid UTF-8 text";
        }
        if (e instanceof FileSystemException f) {
            return f.getReason() != null ? lowerFirst(f.getReason()) : "the file system refused it";
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? "an I/O error" : lowerFirst(m);
    }

    /**
     * Where and why a JSON text is malformed, for "FILE: not valid JSON at ...": the line and column, and
     * the parser's reason without its internals (character codes, source markers, feature names).
     */
    public static String json(com.fasterxml.jackson.core.JsonProcessingException e) {
        var at = e.getLocation();
        String where = at == null || at.getLineNr() < 0 ? "" : "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
        return where + jsonReason(e.getOriginalMessage());
    }

    /**
     * A JSON parser's own message without its internals: its first line, no source or start markers,
     * no feature names, no character codes.
     */
    public static String jsonReason(String parserMessage) {
        if (parserMessage == null || parserMessage.isBlank()) {
            return "malformed";
        }
        String m = parserMessage;
        int cut = m.indexOf('\n');
        m = cut >= 0 ? m.substring(0, cut) : m;
        for (String noise : new String[]{" (start marker at ", " (for Object starting at ", " (for Array starting at ", " at [Source: "}) {
            cut = m.indexOf(noise);
            m = cut >= 0 ? m.substring(0, cut) : m;
        }
        m = m.replaceAll(" \\(code -?\\d+( / 0x[0-9a-fA-F]+)?\\)", "")
                .replaceAll(": enable `[^`]*` to allow", "")
                .strip();
        return m.isEmpty() ? "malformed" : lowerFirst(m);
    }

    private static String lowerFirst(String s) {
        return s.isEmpty() || Character.isUpperCase(s.charAt(0)) && s.length() > 1 && Character.isUpperCase(s.charAt(1))
                ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
