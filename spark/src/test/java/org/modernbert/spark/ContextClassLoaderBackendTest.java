package org.modernbert.spark;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modernbert.api.backend.Availability;
import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.BackendProvider;
import org.modernbert.core.backend.BackendRegistry;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On Spark, a backend jar given with {@code spark.jars} is only visible to the task's context class
 * loader, not to the loader of the core classes: discovery must look there too (and list each provider once).
 */
class ContextClassLoaderBackendTest {

    /** A provider registered only in a folder that the context class loader alone sees. */
    public static final class ContextOnlyProvider implements BackendProvider {
        @Override
        public String name() {
            return "context-only";
        }

        @Override
        public int priority() {
            return -1;
        }

        @Override
        public Availability probe() {
            return Availability.unavailable("test provider");
        }

        @Override
        public Backend create(BackendOptions options) {
            throw new UnsupportedOperationException();
        }
    }

    @TempDir
    Path dir;

    @Test
    void providersOfTheContextClassLoaderAreFoundOnce() throws IOException {
        Path services = Files.createDirectories(dir.resolve("META-INF/services"));
        Files.writeString(services.resolve(BackendProvider.class.getName()), ContextOnlyProvider.class.getName() + "\n");
        assertFalse(names(BackendRegistry.discover()).contains("context-only"), "not on the class path of the core classes");
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        try (URLClassLoader tasks = new URLClassLoader(new URL[]{dir.toUri().toURL()}, before)) {
            Thread.currentThread().setContextClassLoader(tasks);
            var found = names(BackendRegistry.discover());
            assertTrue(found.contains("context-only"), found.toString());
            assertEquals(1, found.stream().filter("cpu"::equals).count(), "cpu is visible to both loaders, listed once: " + found);
        } finally {
            Thread.currentThread().setContextClassLoader(before);
        }
    }

    private static java.util.List<String> names(BackendRegistry registry) {
        return registry.probeAll().stream().map(BackendRegistry.ProbedProvider::name).toList();
    }
}
