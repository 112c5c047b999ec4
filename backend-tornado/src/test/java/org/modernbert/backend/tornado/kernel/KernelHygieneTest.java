package org.modernbert.backend.tornado.kernel;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.Instruction;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.NewMultiArrayInstruction;
import java.lang.classfile.instruction.NewObjectInstruction;
import java.lang.classfile.instruction.NewPrimitiveArrayInstruction;
import java.lang.classfile.instruction.NewReferenceArrayInstruction;
import java.lang.classfile.instruction.ThrowInstruction;
import java.lang.reflect.AccessFlag;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reads the kernel classes' bytecode and fails on what TornadoVM's compiler cannot turn into a
 * device kernel, so a kernel change fails in the build, not at run time on someone's GPU: object
 * allocation and arrays of non-constant size, exceptions, invokedynamic (lambdas, string
 * concatenation), recursion, field writes, calls outside an allowlist (Float.intBitsToFloat is not
 * on it: TornadoVM's OpenCL backend cannot compile a reinterpret), kernel names that are OpenCL
 * built-ins (clCreateKernel then fails, or TornadoVM refuses them), and classes compiled without the
 * local variable table (without it every kernel silently runs as plain Java). Plain bytecode reading:
 * it runs in every build, with or without TornadoVM.
 */
class KernelHygieneTest {
    private static final String PACKAGE = "org/modernbert/backend/tornado/kernel/";
    /** Methods that run on the host (they build inputs for the kernels), by class and name. */
    private static final Set<String> HOST_METHODS = Set.of("Formats.powersOfTwo");
    private static final String ARRAYS = "uk/ac/manchester/tornado/api/types/arrays/";
    private static final Set<String> ARRAY_TYPES = Set.of(ARRAYS + "FloatArray", ARRAYS + "IntArray", ARRAYS + "ShortArray", ARRAYS + "ByteArray");
    private static final Set<String> CONTEXT_METHODS = Set.of("localBarrier", "globalBarrier", "allocateFloatLocalArray", "allocateIntLocalArray");
    /** OpenCL C built-in functions and keywords a kernel (or helper) must not be named after. */
    private static final Set<String> OPENCL_NAMES = Set.of("abs", "acos", "all", "any", "asin", "atan", "bitselect", "ceil", "clamp", "copysign",
            "cos", "cross", "degrees", "distance", "dot", "exp", "fabs", "floor", "fma", "fmax", "fmin", "fract", "half", "hypot", "length",
            "log", "mad", "max", "min", "mix", "normalize", "pow", "radians", "rotate", "round", "rsqrt", "select", "shuffle", "sign", "sin",
            "smoothstep", "sqrt", "step", "tan", "trunc", "kernel", "global", "local", "constant", "private", "image", "sampler", "event",
            "barrier", "vload", "vstore", "printf", "prefetch", "upsample", "popcount", "mul24", "mad24", "hadd", "rhadd", "clz");

    @Test
    void kernelClassesUseOnlyWhatTornadoVmCompiles() throws IOException {
        List<ClassModel> classes = kernelClasses();
        assertTrue(classes.size() >= 8, "found only " + classes.size() + " kernel classes");
        List<String> problems = check(classes);
        assertTrue(problems.isEmpty(), "kernel hygiene:\n  " + String.join("\n  ", problems));
    }

    /** The checker finds each kind of problem in a class written to have them (so the test above can fail). */
    @Test
    void theCheckerCatchesWhatItLooksFor() throws IOException {
        List<String> problems = check(List.of(model(BadKernels.class)));
        String all = String.join("\n", problems);
        for (String expected : new String[] {"allocates an object", "array of non-constant size", "throws", "invokedynamic", "recursion",
                "calls java/lang/Math.exp", "calls java/lang/Float.intBitsToFloat", "writes field", "is an OpenCL built-in"}) {
            assertTrue(all.contains(expected), "no '" + expected + "' among:\n" + all);
        }
        assertEquals(List.of(), check(List.of(model(MatMul.class))));
    }

    /** Deliberately broken "kernels" for the checker's own test; never run. */
    @SuppressWarnings("unused")
    static final class BadKernels {
        static int counter;

        static float[] allocates(int n) {
            float[] scratch = new float[n];
            StringBuilder sb = new StringBuilder();
            return scratch;
        }

        static void throwsAndLambdas(int n) {
            if (n < 0) {
                throw new IllegalArgumentException();
            }
            Runnable r = () -> counter++;
        }

        static int recursion(int n) {
            return n <= 0 ? 0 : recursion(n - 1);
        }

        static float bits(int n) {
            return Float.intBitsToFloat(n) + (float) Math.exp(n);
        }

        static void dot(int n) {
            counter = n;
        }
    }

    // ------------------------------------------------------------------ the checker

    private static List<String> check(List<ClassModel> classes) {
        List<String> problems = new ArrayList<>();
        Map<String, Set<String>> calls = new HashMap<>();
        for (ClassModel cm : classes) {
            String owner = cm.thisClass().asInternalName();
            String simple = owner.substring(owner.lastIndexOf('/') + 1).replaceFirst(".*\\$", "");
            for (MethodModel m : cm.methods()) {
                String name = m.methodName().stringValue();
                if (name.equals("<init>") || name.equals("<clinit>") || !m.flags().has(AccessFlag.STATIC) || m.flags().has(AccessFlag.SYNTHETIC)
                        || HOST_METHODS.contains(simple + "." + name)) {
                    continue;
                }
                String where = simple + "." + name;
                if (OPENCL_NAMES.contains(name)) {
                    problems.add(where + ": the name " + name + " is an OpenCL built-in");
                }
                CodeModel code = m.code().orElse(null);
                if (code == null) {
                    continue;
                }
                if (code.findAttribute(Attributes.localVariableTable()).isEmpty()) {
                    problems.add(where + ": compiled without the local variable table (javac -g): TornadoVM would run it as plain Java");
                }
                Set<String> callees = calls.computeIfAbsent(owner + "." + name, x -> new HashSet<>());
                Instruction previous = null;
                for (CodeElement e : code) {
                    if (!(e instanceof Instruction ins)) {
                        continue;
                    }
                    switch (ins) {
                        case NewObjectInstruction n -> problems.add(where + ": allocates an object (" + n.className().asInternalName() + ")");
                        case NewReferenceArrayInstruction n -> problems.add(where + ": allocates an object array");
                        case NewMultiArrayInstruction n -> problems.add(where + ": allocates a multi-dimensional array");
                        case NewPrimitiveArrayInstruction n -> {
                            if (!(previous instanceof ConstantInstruction)) {
                                problems.add(where + ": allocates an array of non-constant size");
                            }
                        }
                        case ThrowInstruction t -> problems.add(where + ": throws an exception");
                        case InvokeDynamicInstruction d -> problems.add(where + ": uses invokedynamic (a lambda or string concatenation)");
                        case InvokeInstruction inv -> {
                            String target = inv.owner().asInternalName();
                            String method = inv.name().stringValue();
                            if (target.startsWith(PACKAGE) || target.equals(owner)) {
                                if (inv.opcode() != Opcode.INVOKESTATIC) {
                                    problems.add(where + ": calls " + target + "." + method + " other than as a static helper");
                                }
                                callees.add(target + "." + method);
                            } else if (!allowed(target, method)) {
                                problems.add(where + ": calls " + target + "." + method + ", which is not on the kernel allowlist");
                            }
                        }
                        case FieldInstruction f -> {
                            if (f.opcode() == Opcode.PUTFIELD || f.opcode() == Opcode.PUTSTATIC) {
                                problems.add(where + ": writes field " + f.name().stringValue());
                            } else if (!f.owner().asInternalName().equals("uk/ac/manchester/tornado/api/KernelContext")) {
                                problems.add(where + ": reads field " + f.owner().asInternalName() + "." + f.name().stringValue());
                            }
                        }
                        default -> {
                        }
                    }
                    previous = ins;
                }
            }
        }
        for (String method : calls.keySet()) {
            if (reaches(method, method, calls, new HashSet<>())) {
                problems.add(method.substring(method.lastIndexOf('/') + 1) + ": recursion (TornadoVM inlines helpers, so it cannot compile it)");
            }
        }
        return problems;
    }

    private static boolean allowed(String owner, String method) {
        return owner.equals("uk/ac/manchester/tornado/api/math/TornadoMath")
                || owner.equals("uk/ac/manchester/tornado/api/KernelContext") && CONTEXT_METHODS.contains(method)
                || ARRAY_TYPES.contains(owner) && (method.equals("get") || method.equals("set"))
                || owner.equals("java/lang/Integer") && method.equals("intValue"); // KernelContext's ids are Integer fields
    }

    private static boolean reaches(String from, String target, Map<String, Set<String>> calls, Set<String> seen) {
        for (String next : calls.getOrDefault(from, Set.of())) {
            if (next.equals(target) || seen.add(next) && reaches(next, target, calls, seen)) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ reading classes

    /** Every class of the kernel package, read from the directory (or jar) the kernels were loaded from. */
    private static List<ClassModel> kernelClasses() throws IOException {
        Path root;
        try {
            root = Path.of(MatMul.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        List<ClassModel> out = new ArrayList<>();
        if (Files.isDirectory(root)) {
            try (Stream<Path> files = Files.list(root.resolve(PACKAGE))) {
                for (Path p : files.filter(f -> f.toString().endsWith(".class")).sorted().toList()) {
                    out.add(ClassFile.of().parse(Files.readAllBytes(p)));
                }
            }
        } else {
            for (Class<?> c : List.of(Activations.class, Attention.class, Embedding.class, Formats.class, MatMul.class, Norms.class, Rope.class,
                    Rows.class, Step.class)) {
                out.add(model(c));
            }
        }
        return out;
    }

    private static ClassModel model(Class<?> c) throws IOException {
        String resource = c.getName().substring(c.getName().lastIndexOf('.') + 1) + ".class";
        try (InputStream in = c.getResourceAsStream(resource)) {
            return ClassFile.of().parse(in.readAllBytes());
        }
    }
}
