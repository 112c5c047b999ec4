package org.modernbert.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/** Typed reads of request fields; a wrong one is a 400 that names the field and what was expected. */
final class Fields {
    private Fields() {
    }

    private static JsonNode present(ObjectNode body, String name) {
        JsonNode v = body.get(name);
        return v == null || v.isNull() ? null : v;
    }

    static Integer optInt(ObjectNode body, String name, int min, int max) {
        JsonNode v = present(body, name);
        if (v == null) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < min || v.intValue() > max) {
            throw ApiError.invalid(name, name + " must be an integer in [" + min + ", " + max + "], got " + shown(v));
        }
        return v.intValue();
    }

    static Long optLong(ObjectNode body, String name) {
        JsonNode v = present(body, name);
        if (v == null) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiError.invalid(name, name + " must be an integer, got " + shown(v));
        }
        return v.longValue();
    }

    /** A number in [min, max]; {@code openMin}: min itself excluded. */
    static Double optDouble(ObjectNode body, String name, double min, boolean openMin, double max) {
        JsonNode v = present(body, name);
        if (v == null) {
            return null;
        }
        double d = v.isNumber() ? v.doubleValue() : Double.NaN;
        if (!v.isNumber() || !(openMin ? d > min : d >= min) || !(d <= max)) {
            throw ApiError.invalid(name, name + " must be a number in " + (openMin ? "(" : "[") + number(min) + ", "
                    + number(max) + "], got " + shown(v));
        }
        return d;
    }

    static boolean optBool(ObjectNode body, String name, boolean fallback) {
        JsonNode v = present(body, name);
        if (v == null) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw ApiError.invalid(name, name + " must be true or false, got " + shown(v));
        }
        return v.booleanValue();
    }

    static String optString(ObjectNode body, String name) {
        JsonNode v = present(body, name);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiError.invalid(name, name + " must be a string, got " + shown(v));
        }
        return v.textValue();
    }

    static String requireString(ObjectNode body, String name) {
        String s = optString(body, name);
        if (s == null) {
            throw ApiError.invalid(name, "the field " + name + " is required (a string)");
        }
        return s;
    }

    /** A string or a list of strings ({@code stop}, {@code input}); null when absent. */
    static List<String> optStrings(ObjectNode body, String name, boolean allowEmptyStrings) {
        JsonNode v = present(body, name);
        if (v == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        if (v.isTextual()) {
            out.add(v.textValue());
        } else if (v.isArray()) {
            for (JsonNode e : v) {
                if (!e.isTextual()) {
                    throw ApiError.invalid(name, name + " must be a string or a list of strings, got a list holding " + shown(e));
                }
                out.add(e.textValue());
            }
        } else {
            throw ApiError.invalid(name, name + " must be a string or a list of strings, got " + shown(v));
        }
        if (!allowEmptyStrings && out.stream().anyMatch(String::isEmpty)) {
            throw ApiError.invalid(name, name + " must not hold empty strings");
        }
        return out;
    }

    /** A list of token ids, each in [0, vocab). */
    static int[] tokenIds(JsonNode v, String name, int vocab) {
        if (!v.isArray()) {
            throw ApiError.invalid(name, name + " must be a list of token ids, got " + shown(v));
        }
        int[] ids = new int[v.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode e = v.get(i);
            if (!e.isIntegralNumber() || !e.canConvertToInt() || e.intValue() < 0 || e.intValue() >= vocab) {
                throw ApiError.invalid(name, name + " must hold token ids in [0, " + vocab + "), got " + shown(e) + " at index " + i);
            }
            ids[i] = e.intValue();
        }
        return ids;
    }

    static String shown(JsonNode v) {
        String s = v.toString();
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }

    private static String number(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
