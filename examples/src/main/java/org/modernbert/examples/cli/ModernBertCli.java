package org.modernbert.examples.cli;

import org.modernbert.api.ModernBertException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * {@code ./modernbert}: the command line of the SDK. Each subcommand lives in its own class. Errors
 * the user can fix (bad files, bad options, bad input) print one line on stderr and exit with 1. So does a
 * failed write to standard output ({@code > /dev/full}); a pipe closed by its reader ({@code | head -1})
 * ends quietly with 141, the status of a process killed by SIGPIPE.
 */
@Command(name = "modernbert", mixinStandardHelpOptions = true, version = "modernbert-java 0.1.0",
        description = "Run ModernBERT decoder checkpoints (Hugging Face layout) on a pluggable backend.",
        subcommands = {BackendsCommand.class, ForwardCommand.class, TokenizeCommand.class, GenerateCommand.class,
                ClassifyCommand.class, ServeCommand.class, BenchCommand.class, BenchServeCommand.class, ConformanceCommand.class,
                InitRandomCommand.class})
public final class ModernBertCli {
    /** The exit status when standard output was closed by its reader: 128 + SIGPIPE, as the shell reports it. */
    static final int BROKEN_PIPE = 141;

    public static void main(String[] args) {
        StandardOutput.install();
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (tests call this). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new ModernBertCli());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (outputFailure(e) instanceof OutputFailure f && f.quiet()) {
                return BROKEN_PIPE;
            }
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
        return settleStandardOutput(cli.execute(args), cli);
    }

    /**
     * Standard output is a PrintStream, which swallows write errors: a command that printed to a full disk
     * would end with 0. Checked once after the command: an error is one line and exit 1, a closed pipe is quiet.
     */
    private static int settleStandardOutput(int code, CommandLine cli) {
        cli.getOut().flush();
        if (!System.out.checkError() || code != 0) {
            return code; // a failed command has already said why
        }
        OutputFailure f = OutputFailure.stdout(StandardOutput.lastError());
        if (f.quiet()) {
            return BROKEN_PIPE;
        }
        cli.getErr().println("error: " + f.getMessage());
        cli.getErr().flush();
        return 1;
    }

    private static Throwable outputFailure(Throwable e) {
        return e instanceof UncheckedIOException u ? u.getCause() : e;
    }

    static String describe(Throwable e) {
        if (e instanceof ModernBertException) {
            return e.getMessage();
        }
        if (e instanceof UncheckedIOException u) {
            e = u.getCause();
        }
        if (e instanceof OutputFailure) {
            return e.getMessage();
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
