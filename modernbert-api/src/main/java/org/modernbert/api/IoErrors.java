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

    /** A JSON parser's own message without its internals (character codes). */
    public static String jsonReason(String parserMessage) {
        return parserMessage == null ? "malformed" : parserMessage.replaceAll(" \\(code -?\\d+\\)", "");
    }

    private static String lowerFirst(String s) {
        return s.isEmpty() || Character.isUpperCase(s.charAt(0)) && s.length() > 1 && Character.isUpperCase(s.charAt(1))
                ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
