package org.modernbert.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What Linux's /proc tells about this machine and process; nulls (or -1) where there is no /proc. */
final class SystemInfo {
    private SystemInfo() {
    }

    /** MemAvailable of /proc/meminfo in bytes, or -1. */
    static long availableMemoryBytes() {
        Long kb = kilobytes(Path.of("/proc/meminfo"), "MemAvailable:");
        return kb == null ? -1 : kb * 1024;
    }

    /** The process's peak resident set (VmHWM), or null where /proc/self/status does not exist. */
    static Long peakResidentBytes() {
        Long kb = kilobytes(Path.of("/proc/self/status"), "VmHWM:");
        return kb == null ? null : kb * 1024;
    }

    /** The process's resident set now (VmRSS), or null. */
    static Long residentBytes() {
        Long kb = kilobytes(Path.of("/proc/self/status"), "VmRSS:");
        return kb == null ? null : kb * 1024;
    }

    /** The largest cache of CPU 0 in /sys (the last-level cache), or 0 where it is not listed. */
    static long largestCacheBytes() {
        long largest = 0;
        Path caches = Path.of("/sys/devices/system/cpu/cpu0/cache");
        if (!Files.isDirectory(caches)) {
            return 0;
        }
        try (var dirs = Files.list(caches)) {
            for (Path d : dirs.filter(p -> p.getFileName().toString().startsWith("index")).toList()) {
                List<String> size = lines(d.resolve("size"));
                if (!size.isEmpty()) {
                    largest = Math.max(largest, parseSize(size.getFirst().trim()));
                }
            }
        } catch (IOException | RuntimeException e) {
            return largest;
        }
        return largest;
    }

    /** "32768K", "32M", "1024" (bytes) as bytes; 0 when unreadable. */
    static long parseSize(String s) {
        if (s.isEmpty()) {
            return 0;
        }
        char unit = Character.toUpperCase(s.charAt(s.length() - 1));
        long factor = unit == 'K' ? 1L << 10 : unit == 'M' ? 1L << 20 : unit == 'G' ? 1L << 30 : 1;
        try {
            return Long.parseLong(factor == 1 ? s : s.substring(0, s.length() - 1)) * factor;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The CPU's model name from /proc/cpuinfo, else os.arch. */
    static String cpuName() {
        for (String line : lines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("model name") && line.contains(":")) {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        return System.getProperty("os.arch");
    }

    private static Long kilobytes(Path file, String key) {
        for (String line : lines(file)) {
            if (line.startsWith(key)) {
                String[] parts = line.substring(key.length()).trim().split("\\s+");
                try {
                    return Long.parseLong(parts[0]);
                } catch (NumberFormatException e) {
                    return null;
                }
            }
        }
        return null;
    }

    private static List<String> lines(Path file) {
        try {
            return Files.isReadable(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }
}
