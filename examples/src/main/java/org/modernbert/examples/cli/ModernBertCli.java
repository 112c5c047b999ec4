package org.modernbert.examples.cli;

import org.modernbert.api.ModernBertException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * {@code ./modernbert}: the command line of the SDK. Each subcommand lives in its own class. Errors
 * the user can fix (bad files, bad options, bad input) print one line on stderr and exit with 1.
 */
@Command(name = "modernbert", mixinStandardHelpOptions = true, version = "modernbert-java 0.1.0",
        description = "Run ModernBERT decoder checkpoints (Hugging Face layout) on a pluggable backend.",
        subcommands = {BackendsCommand.class, ForwardCommand.class, TokenizeCommand.class, GenerateCommand.class,
                ClassifyCommand.class, ConformanceCommand.class})
public final class ModernBertCli {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (tests call this). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new ModernBertCli());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + describe(e));
            commandLine.getErr().flush();
            return 1;
        });
        // A mistyped flag or value is one line too (with where to look), not the whole usage text.
        cli.setParameterExceptionHandler((e, commandArgs) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println("error: " + e.getMessage() + " (see '" + c.getCommandSpec().qualifiedName() + " --help')");
            c.getErr().flush();
            return 1;
        });
        return cli.execute(args);
    }

    static String describe(Throwable e) {
        if (e instanceof ModernBertException) {
            return e.getMessage();
        }
        if (e instanceof UncheckedIOException u) {
            e = u.getCause();
        }
        if (e instanceof java.nio.file.NoSuchFileException n) {
            return "no such file: " + n.getFile();
        }
        if (e instanceof IOException) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        return e.toString();
    }
}
