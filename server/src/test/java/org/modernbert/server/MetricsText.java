package org.modernbert.server;

import java.util.LinkedHashMap;
import java.util.Map;

/** Parses Prometheus' text format strictly enough to catch a malformed line. */
final class MetricsText {
    private MetricsText() {
    }

    static Map<String, Double> parse(String text) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                continue;
            }
            if (!line.matches("[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\"(,[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\")*})? \\S+")) {
                throw new AssertionError("not a Prometheus sample line: " + line);
            }
            int space = line.lastIndexOf(' ');
            out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return out;
    }
}
