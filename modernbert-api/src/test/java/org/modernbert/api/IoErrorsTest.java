package org.modernbert.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modernbert.api.config.ConfigException;
import org.modernbert.api.config.ModernBertDecoderConfig;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** "cannot read FILE: reason" names the file once and says why in words, never "cannot read X: X". */
class IoErrorsTest {
    @TempDir
    Path dir;

    @Test
    void reasonsNeverRepeatThePath() {
        assertEquals("no such file", IoErrors.reason(new NoSuchFileException("/m/config.json")));
        assertEquals("permission denied", IoErrors.reason(new AccessDeniedException("/m/config.json")));
        assertEquals("is a directory", IoErrors.reason(new FileSystemException("/m/config.json", null, "Is a directory")));
        assertEquals("an I/O error", IoErrors.reason(new IOException()));
    }

    @Test
    void anUnreadableConfigIsNamedOnce() throws IOException {
        Path config = Files.createDirectory(dir.resolve("config.json"));
        ConfigException e = assertThrows(ConfigException.class, () -> ModernBertDecoderConfig.fromJsonFile(config));
        assertEquals("cannot read " + config + ": is a directory", e.getMessage());
    }

    @Test
    void malformedConfigJsonGivesLineAndColumn() throws IOException {
        Path config = Files.writeString(dir.resolve("config.json"), "{\n  \"hidden_size\": 64,\n  \"vocab_size\" 512\n}");
        ConfigException e = assertThrows(ConfigException.class, () -> ModernBertDecoderConfig.fromJsonFile(config));
        assertEquals(config + ": config is not valid JSON at line 3, column 16: unexpected character ('5'):"
                + " was expecting a colon to separate field name and value", e.getMessage());
    }

    @Test
    void parserInternalsAreLeftOut() {
        assertEquals("non-standard token 'NaN'",
                IoErrors.jsonReason("Non-standard token 'NaN': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow"));
        assertEquals("unexpected end-of-input: expected close marker for Object",
                IoErrors.jsonReason("Unexpected end-of-input: expected close marker for Object (start marker at [Source: REDACTED"
                        + " (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 29])"));
        assertEquals("unexpected character ('}'): was expecting double-quote to start field name",
                IoErrors.jsonReason("Unexpected character ('}' (code 125)): was expecting double-quote to start field name"));
    }
}
