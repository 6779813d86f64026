package io.dspex.tool;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.dspex.ForwardObserver;
import io.dspex.internal.Json;
import io.dspex.internal.PyFormat;
import io.dspex.signature.CustomType;
import io.dspex.signature.FieldType;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A function a model can call (DSPy's {@code dspy.Tool}): a name, a description, and a JSON schema per argument
 * ({@link #args()}, DSPy's {@code Tool.args}). A call validates the arguments against those schemas, coerces JSON
 * numbers to what the argument declares, and runs the function; {@code ReAct} lists tools in its instructions and
 * native function calling sends {@link #toFunctionSchema()}.
 *
 * <pre>{@code
 * record Sum(int a, int b) { }
 * Tool add = Tool.of("add", "Add two integers.", Sum.class, s -> Mono.just(s.a() + s.b()));
 * add.args();                               // {a={type=integer}, b={type=integer}}
 * add.call(Map.of("a", 1, "b", 2.0));       // Mono of 3
 *
 * Tool search = Tool.of("search", "Search the web.",
 *         Map.of("query", Map.of("type", "string")), args -> webClient.search((String) args.get("query")));
 * Tool lookup = Tool.blocking("lookup", "Look a word up.", Word.class, w -> dictionary.get(w.word()));
 * }</pre>
 *
 * <p><b>Arguments.</b> Every argument is required unless its schema has a {@code default} (DSPy's rule, also for
 * {@link #toFunctionSchema()}'s {@code required}); a record component of type {@code Optional<T>} gets
 * {@code "default": null}. Before the function runs, a call fails with a {@link ToolException} for an argument the
 * tool does not take ({@code Arg x is not in the tool's args.}), one that does not fit its schema
 * ({@code Arg x is invalid: ...}, checked by a JSON Schema 2020-12 validator) or a required one that is missing. Then
 * JSON numbers become what the argument declares: {@code int}/{@code long} (or {@code BigInteger}) for
 * {@code "integer"}, {@code double} for {@code "number"}, inside arrays and objects too; a record-typed tool gets its
 * record built by {@link FieldType#convert}.
 *
 * <p><b>Where it runs.</b> A tool made with {@code of} runs where its {@code Mono} runs: it must not block. A tool
 * that must block (a JDBC query, a file read) is made with {@code blocking} and runs on
 * {@code Schedulers.boundedElastic()}. Each call is lazy and cancellable; {@link #withTimeout} bounds it. A function
 * that throws fails the call with its exception; one that returns {@code null} instead of a {@code Mono} fails it
 * with a {@link ToolException}; an empty {@code Mono} (or a blocking function's {@code null}) is a call that returned
 * no value, which {@code ReAct} shows as {@code None}, as DSPy shows a Python function's {@code None}.
 *
 * <p>Names follow OpenAI's function-name rule, {@code [a-zA-Z0-9_-]{1,64}}. Immutable and thread-safe.
 */
public final class Tool implements CustomType {

    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    private final String name;
    private final @Nullable String description;
    private final Map<String, Map<String, Object>> args;
    private final Set<String> required;
    private final Map<String, Schema> validators;
    private final Function<Map<String, Object>, Mono<?>> invoke;
    private final boolean blocking;
    private final @Nullable Duration timeout;

    private Tool(String name, @Nullable String description, Map<String, Map<String, Object>> args, Set<String> required,
                 Map<String, Schema> validators, Function<Map<String, Object>, Mono<?>> invoke, boolean blocking,
                 @Nullable Duration timeout) {
        this.name = name;
        this.description = description;
        this.args = args;
        this.required = required;
        this.validators = validators;
        this.invoke = invoke;
        this.blocking = blocking;
        this.timeout = timeout;
    }

    // ---------------------------------------------------------------- factories

    /**
     * A tool over a map of arguments, running where its {@code Mono} runs.
     *
     * @param name        the name, {@code [a-zA-Z0-9_-]{1,64}}
     * @param description what it does, for the model (null: none)
     * @param args        argument name to its JSON schema, in order (DSPy's {@code Tool.args}); all required unless
     *                    the schema has a {@code default}
     * @param fn          the function: receives the validated, coerced arguments; must not block
     * @return the tool
     * @throws IllegalArgumentException naming the problem: an invalid name, a null function, an argument schema that is
     *                                  not a JSON object or not a valid JSON schema
     */
    public static Tool of(String name, @Nullable String description, Map<String, ? extends Map<String, ?>> args,
                          Function<? super Map<String, Object>, ? extends @Nullable Mono<?>> fn) {
        checkFn(name, fn);
        Map<String, Map<String, Object>> schemas = copyArgs(name, args);
        return create(name, description, schemas, defaultRequired(schemas), a -> fn.apply(a), false);
    }

    /**
     * A tool whose arguments are the components of a record, running where its {@code Mono} runs. Each argument's
     * schema is its component type's, as {@link FieldType} derives it (pydantic's, references resolved, keys in
     * pydantic's order), so {@code record Sum(int a, int b)} gives DSPy's
     * {@code {'a': {'type': 'integer'}, 'b': {'type': 'integer'}}}.
     *
     * @param name        the name, {@code [a-zA-Z0-9_-]{1,64}}
     * @param description what it does, for the model (null: none)
     * @param argsType    the record of the arguments
     * @param fn          the function: receives the record built from the validated arguments; must not block
     * @param <R>         the record type
     * @return the tool
     * @throws IllegalArgumentException naming the problem: an invalid name, a null function, a component type that
     *                                  cannot be described to a model, a recursive record
     */
    public static <R extends Record> Tool of(String name, @Nullable String description, Class<R> argsType,
                                             Function<? super R, ? extends @Nullable Mono<?>> fn) {
        checkFn(name, fn);
        return typed(name, description, argsType, r -> fn.apply(r), false);
    }

    /**
     * A tool over a map of arguments whose function blocks: each call runs it on
     * {@code Schedulers.boundedElastic()}.
     *
     * @param name        the name, {@code [a-zA-Z0-9_-]{1,64}}
     * @param description what it does, for the model (null: none)
     * @param args        argument name to its JSON schema, in order
     * @param fn          the blocking function: receives the validated, coerced arguments, returns the result (null:
     *                    no value)
     * @return the tool
     * @throws IllegalArgumentException as {@link #of(String, String, Map, Function)}
     */
    public static Tool blocking(String name, @Nullable String description, Map<String, ? extends Map<String, ?>> args,
                                Function<? super Map<String, Object>, ?> fn) {
        checkFn(name, fn);
        Map<String, Map<String, Object>> schemas = copyArgs(name, args);
        return create(name, description, schemas, defaultRequired(schemas), blockingCall(fn), true);
    }

    /**
     * A tool whose arguments are the components of a record and whose function blocks: each call runs it on
     * {@code Schedulers.boundedElastic()}.
     *
     * @param name        the name, {@code [a-zA-Z0-9_-]{1,64}}
     * @param description what it does, for the model (null: none)
     * @param argsType    the record of the arguments
     * @param fn          the blocking function: receives the record, returns the result (null: no value)
     * @param <R>         the record type
     * @return the tool
     * @throws IllegalArgumentException as {@link #of(String, String, Class, Function)}
     */
    public static <R extends Record> Tool blocking(String name, @Nullable String description, Class<R> argsType,
                                                   Function<? super R, ?> fn) {
        checkFn(name, fn);
        return typed(name, description, argsType, blockingCall(fn), true);
    }

    /**
     * A tool with an explicit set of required arguments (an MCP tool's {@code required}): for {@link McpTools}.
     */
    static Tool create(String name, @Nullable String description, Map<String, Map<String, Object>> args,
                       Set<String> required, Function<Map<String, Object>, @Nullable Mono<?>> invoke,
                       boolean blocking) {
        checkName(name);
        Map<String, Schema> validators = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, Object>> e : args.entrySet()) {
            Object type = e.getValue().get("type");
            if (type != null && !(type instanceof String)
                    && !(type instanceof List<?> l && l.stream().allMatch(x -> x instanceof String))) {
                throw new IllegalArgumentException("the schema of argument '" + e.getKey() + "' of tool '" + name
                        + "' is not a valid JSON schema: its \"type\" must be a string or a list of strings, got "
                        + PyFormat.str(type));
            }
            if ("Any".equals(type)) {
                continue; // DSPy's marker of an untyped argument: not validated, as in DSPy
            }
            try {
                JsonNode node = Json.MAPPER.valueToTree(e.getValue());
                Schema schema = SCHEMAS.getSchema(node);
                schema.initializeValidators();
                validators.put(e.getKey(), schema);
            } catch (RuntimeException ex) {
                throw new IllegalArgumentException("the schema of argument '" + e.getKey() + "' of tool '" + name
                        + "' is not a valid JSON schema: " + ex.getMessage(), ex);
            }
        }
        return new Tool(name, description, Collections.unmodifiableMap(args), Set.copyOf(required),
                Collections.unmodifiableMap(validators), checkedInvoke(name, invoke), blocking, null);
    }

    private static void checkName(@Nullable String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid tool name " + (name == null ? "null" : "'" + name + "'")
                    + ": a tool name is 1 to 64 letters, digits, '_' or '-' (OpenAI's function-name rule)");
        }
    }

    private static void checkFn(@Nullable String name, @Nullable Object fn) {
        checkName(name);
        if (fn == null) {
            throw new IllegalArgumentException("the function of tool '" + name + "' must not be null");
        }
    }

    private static Function<Map<String, Object>, @Nullable Mono<?>> checkedInvoke(
            String name, Function<Map<String, Object>, @Nullable Mono<?>> invoke) {
        return a -> {
            Mono<?> m = invoke.apply(a);
            if (m == null) {
                throw new ToolException(name, "tool " + name + " returned null instead of a Mono (return "
                        + "Mono.empty() for no value)");
            }
            return m;
        };
    }

    private static <T> Function<T, @Nullable Mono<?>> blockingCall(Function<? super T, ?> fn) {
        return a -> Mono.fromCallable(() -> fn.apply(a)).subscribeOn(Schedulers.boundedElastic());
    }

    private static Map<String, Map<String, Object>> copyArgs(String name,
                                                             @Nullable Map<String, ? extends Map<String, ?>> args) {
        if (args == null) {
            throw new IllegalArgumentException("the args of tool '" + name + "' must not be null (Map.of() for none)");
        }
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        for (Map.Entry<String, ? extends Map<String, ?>> e : args.entrySet()) {
            Object schema = e.getValue();
            if (e.getKey() == null || e.getKey().isEmpty()) {
                throw new IllegalArgumentException("tool '" + name + "' has an argument without a name");
            }
            if (!(schema instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException("the schema of argument '" + e.getKey() + "' of tool '" + name
                        + "' must be a JSON object (a Map), got " + schema);
            }
            out.put(e.getKey(), deepCopy(m));
        }
        return out;
    }

    /** An unmodifiable deep copy, keys as strings, values as JSON-able trees. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> deepCopy(Map<?, ?> m) {
        Object j = PyFormat.jsonable(m);
        return (Map<String, Object>) freeze(j);
    }

    private static @Nullable Object freeze(@Nullable Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(String.valueOf(k), freeze(x)));
            return Collections.unmodifiableMap(out);
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(x -> out.add(freeze(x)));
            return Collections.unmodifiableList(out);
        }
        return v;
    }

    private static Set<String> defaultRequired(Map<String, Map<String, Object>> args) {
        Set<String> req = new LinkedHashSet<>();
        args.forEach((k, s) -> {
            if (!s.containsKey("default")) {
                req.add(k);
            }
        });
        return req;
    }

    private static <R extends Record> Tool typed(String name, @Nullable String description, Class<R> argsType,
                                                 Function<R, @Nullable Mono<?>> fn, boolean blocking) {
        if (argsType == null || !argsType.isRecord()) {
            throw new IllegalArgumentException("the arguments of tool '" + name + "' must be a record class, got "
                    + argsType);
        }
        FieldType recordType = FieldType.of(argsType);
        Map<String, Map<String, Object>> schemas = new LinkedHashMap<>();
        for (RecordComponent c : argsType.getRecordComponents()) {
            FieldType t;
            try {
                t = FieldType.of(c.getGenericType());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("argument '" + c.getName() + "' of tool '" + name + "': "
                        + e.getMessage(), e);
            }
            Map<String, Object> schema = pydanticOrder(resolveRefs(t.schema(), name, c.getName()));
            if (t.kind() == FieldType.Kind.OPTIONAL || c.getType() == Optional.class) {
                schema.put("default", null);
            }
            schemas.put(c.getName(), deepCopy(schema));
        }
        Function<Map<String, Object>, @Nullable Mono<?>> invoke = a -> {
            R record;
            try {
                record = argsType.cast(recordType.convert(a));
            } catch (IllegalArgumentException e) {
                throw new ToolException(name, "Args do not fit " + argsType.getSimpleName() + ": " + e.getMessage(), e);
            }
            return fn.apply(record);
        };
        return create(name, description, schemas, defaultRequired(schemas), invoke, blocking);
    }

    // ---------------------------------------------------------------- schema helpers

    /**
     * Replaces every {@code $ref} into {@code $defs} with its definition and drops {@code $defs} (DSPy's
     * {@code _resolve_json_schema_reference}).
     */
    static Map<String, Object> resolveRefs(Map<String, Object> schema, String tool, String arg) {
        Object defs = schema.get("$defs");
        if (!(defs instanceof Map<?, ?> d)) {
            return schema;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> out = (Map<String, Object>) resolve(schema, d, 0, tool, arg);
        out.remove("$defs");
        return out;
    }

    private static @Nullable Object resolve(@Nullable Object node, Map<?, ?> defs, int depth, String tool, String arg) {
        if (depth > 32) {
            throw new IllegalArgumentException("argument '" + arg + "' of tool '" + tool + "' has a recursive schema, "
                    + "which a tool's arguments cannot have (DSPy resolves every reference)");
        }
        if (node instanceof Map<?, ?> m) {
            Object ref = m.get("$ref");
            if (ref instanceof String r) {
                Object target = defs.get(r.substring(r.lastIndexOf('/') + 1));
                if (target == null) {
                    throw new IllegalArgumentException("argument '" + arg + "' of tool '" + tool + "' refers to "
                            + r + ", which its schema does not define");
                }
                return resolve(target, defs, depth + 1, tool, arg);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), resolve(v, defs, depth + 1, tool, arg)));
            return out;
        }
        if (node instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(v -> out.add(resolve(v, defs, depth + 1, tool, arg)));
            return out;
        }
        return node;
    }

    /** pydantic's key order: every object's keys sorted, except the names under {@code properties}. */
    static Map<String, Object> pydanticOrder(Map<String, Object> schema) {
        @SuppressWarnings("unchecked")
        Map<String, Object> out = (Map<String, Object>) sorted(schema, false);
        return out;
    }

    private static @Nullable Object sorted(@Nullable Object node, boolean keepOrder) {
        if (node instanceof Map<?, ?> m) {
            Map<String, Object> out = keepOrder ? new LinkedHashMap<>() : new TreeMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), sorted(v, "properties".equals(k) || "$defs".equals(k))));
            return new LinkedHashMap<>(out);
        }
        if (node instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(v -> out.add(sorted(v, false)));
            return out;
        }
        return node;
    }

    // ---------------------------------------------------------------- accessors

    /** @return the name */
    public String name() {
        return name;
    }

    /** @return what the tool does, for the model; null when it has no description */
    public @Nullable String description() {
        return description;
    }

    /** @return argument name to its JSON schema, in order (unmodifiable): DSPy's {@code Tool.args} */
    public Map<String, Map<String, Object>> args() {
        return args;
    }

    /** @return the arguments a call must give */
    public Set<String> requiredArgs() {
        return required;
    }

    /** @return whether the function blocks (it then runs on {@code Schedulers.boundedElastic()}) */
    public boolean isBlocking() {
        return blocking;
    }

    /** @return the longest a call may take, if bounded */
    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    /**
     * @param timeout the longest a call may take (null: unbounded); a call still running then is cancelled and
     *                fails with a {@link ToolException}
     * @return a copy with it
     * @throws IllegalArgumentException when zero or negative
     */
    public Tool withTimeout(@Nullable Duration timeout) {
        if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
            throw new IllegalArgumentException("the timeout of tool '" + name + "' must be positive, got " + timeout);
        }
        return new Tool(name, description, args, required, validators, invoke, blocking, timeout);
    }

    /**
     * This tool in OpenAI's function format (DSPy's {@code format_as_litellm_function_call()}): what native function
     * calling sends in the request's {@code tools}. One difference from DSPy: a tool without a description has no
     * {@code description} key, where DSPy writes {@code null} (OpenAI types it as an optional string).
     *
     * <pre>{@code
     * {"type": "function", "function": {"name": "add", "description": "Add two integers.",
     *   "parameters": {"type": "object", "properties": {"a": {"type": "integer"}, ...}, "required": ["a", "b"]}}}
     * }</pre>
     *
     * @return a fresh, mutable map
     */
    public Map<String, Object> toFunctionSchema() {
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("type", "object");
        Map<String, Object> properties = new LinkedHashMap<>();
        List<String> req = new ArrayList<>();
        args.forEach((k, s) -> {
            properties.put(k, s);
            if (!s.containsKey("default")) {
                req.add(k);
            }
        });
        parameters.put("properties", properties);
        parameters.put("required", req);
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", name);
        if (description != null) {
            function.put("description", description);
        }
        function.put("parameters", parameters);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("type", "function");
        out.put("function", function);
        return out;
    }

    /**
     * How {@code ReAct} lists the tool and how a {@code list[Tool]} input renders (DSPy's {@code str(tool)}):
     * {@code add, whose description is <desc>Add two integers.</desc>. It takes arguments {'a': {'type': 'integer'}}.}
     *
     * @return that text
     */
    @Override
    public Object format() {
        String desc = description == null || description.isEmpty() ? "."
                : (", whose description is <desc>" + description + "</desc>.").replace("\n", "  ");
        return name + desc + " It takes arguments " + PyFormat.str(args) + ".";
    }

    // ---------------------------------------------------------------- calling

    /**
     * Calls the tool: validates the arguments against their schemas, coerces them, and runs the function. Lazy:
     * nothing happens until subscribed; cancelling the subscription cancels the function's {@code Mono}.
     *
     * @param arguments argument name to value (JSON values: strings, numbers, booleans, lists, maps, null)
     * @return the result; empty when the tool returned no value; a {@link ToolException} signal for invalid
     *         arguments, a timeout or a function that returned null; the function's own error when it fails. The
     *         call is reported to the run's callbacks ({@code onToolStart}/{@code onToolEnd}) and observation
     *         registry, when its settings have them.
     */
    public Mono<Object> call(@Nullable Map<String, ?> arguments) {
        Mono<Object> run = Mono.defer(() -> {
            Map<String, Object> parsed = validateAndParse(arguments);
            return invoke.apply(parsed).<Object>map(o -> o);
        });
        Duration t = timeout;
        Mono<Object> bounded = t == null ? run : run.timeout(t, Mono.error(() -> new ToolException(name,
                "tool " + name + " did not finish within " + human(t) + " and was cancelled")));
        // The run's callbacks and observation registry see the call (DSPy's callbacks on Tool.__call__).
        Map<String, ?> given = arguments == null ? Map.of() : arguments;
        return Mono.deferContextual(ctx -> {
            ForwardObserver observer = ForwardObserver.current(ctx);
            return observer == null ? bounded : observer.observeTool(name, given, bounded);
        });
    }

    private static String human(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? (ms / 1000) + " s" : ms + " ms";
    }

    /** DSPy's {@code _validate_and_parse_args}: unknown, invalid and missing arguments; then coercion. */
    Map<String, Object> validateAndParse(@Nullable Map<String, ?> arguments) {
        if (arguments == null) {
            throw new ToolException(name, "Args of tool " + name + " must be a JSON object, got None");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : arguments.entrySet()) {
            String k = e.getKey();
            Map<String, Object> schema = args.get(k);
            if (schema == null) {
                throw new ToolException(name, "Arg " + k + " is not in the tool's args.");
            }
            Object value = PyFormat.jsonable(e.getValue());
            Schema validator = validators.get(k);
            if (validator != null) {
                List<com.networknt.schema.Error> errors = validator.validate(Json.MAPPER.valueToTree(value));
                if (!errors.isEmpty()) {
                    throw new ToolException(name, "Arg " + k + " is invalid: " + describe(errors));
                }
            }
            out.put(k, coerce(schema, value));
        }
        for (String r : required) {
            if (!out.containsKey(r)) {
                throw new ToolException(name, "Arg " + r + " is required but was not given.");
            }
        }
        return out;
    }

    private static String describe(List<com.networknt.schema.Error> errors) {
        StringBuilder sb = new StringBuilder();
        for (com.networknt.schema.Error e : errors) {
            if (sb.length() > 0) {
                sb.append("; ");
            }
            String at = e.getInstanceLocation() == null ? "" : e.getInstanceLocation().toString();
            if (!at.isEmpty() && !at.equals("$") && !at.equals("/")) {
                sb.append("at ").append(at).append(": ");
            }
            sb.append(e.getMessage());
        }
        return sb.toString();
    }

    /** JSON numbers to what the schema declares, through arrays, objects and optional values. */
    static @Nullable Object coerce(@Nullable Map<?, ?> schema, @Nullable Object value) {
        if (schema == null || value == null) {
            return value;
        }
        Object type = schema.get("type");
        if (type instanceof List<?> types) {
            for (Object t : types) {
                if (!"null".equals(t)) {
                    type = t;
                    break;
                }
            }
        }
        if (type == null && schema.get("anyOf") instanceof List<?> any) {
            Map<?, ?> only = null;
            int nonNull = 0;
            for (Object o : any) {
                if (o instanceof Map<?, ?> m && !"null".equals(m.get("type"))) {
                    only = m;
                    nonNull++;
                }
            }
            return nonNull == 1 ? coerce(only, value) : value;
        }
        if ("integer".equals(type) && value instanceof Number n) {
            BigInteger big = n instanceof BigInteger bi ? bi : n instanceof BigDecimal bd ? bd.toBigInteger()
                    : n instanceof Double || n instanceof Float ? BigDecimal.valueOf(n.doubleValue()).toBigInteger()
                    : BigInteger.valueOf(n.longValue());
            return big.bitLength() < 32 ? (Object) big.intValue() : big.bitLength() < 64 ? (Object) big.longValue()
                    : big;
        }
        if ("number".equals(type) && value instanceof Number n) {
            return n.doubleValue();
        }
        if ("array".equals(type) && value instanceof List<?> l && schema.get("items") instanceof Map<?, ?> items) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(x -> out.add(coerce(items, x)));
            return out;
        }
        if ("object".equals(type) && value instanceof Map<?, ?> m && schema.get("properties") instanceof Map<?, ?> p) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(String.valueOf(k), coerce(p.get(k) instanceof Map<?, ?> s ? s : null, x)));
            return out;
        }
        return value;
    }

    /** @return DSPy's {@code repr(tool)}: {@code Tool(name=add, desc=Add two integers., args={...})} */
    @Override
    public String toString() {
        return "Tool(name=" + name + ", desc=" + (description == null ? "None" : description) + ", args="
                + PyFormat.str(args) + ")";
    }
}
