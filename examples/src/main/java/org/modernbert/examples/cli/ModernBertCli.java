package org.modernbert.examples.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./modernbert}: the command line of the SDK. Each subcommand lives in its own class. */
@Command(name = "modernbert", mixinStandardHelpOptions = true, version = "modernbert-java 0.1.0",
        description = "Run ModernBERT decoder checkpoints (Hugging Face layout) on a pluggable backend.",
        subcommands = {TokenizeCommand.class})
public final class ModernBertCli {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (tests call this). */
    public static int run(String... args) {
        return new CommandLine(new ModernBertCli()).execute(args);
    }
}
