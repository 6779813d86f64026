package io.dspex.test;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the fields an official SDK's model did not recognise in a body it parsed: the SDKs keep unknown JSON fields
 * aside ({@code _additionalProperties()}) instead of failing, so a misspelt field of ours would otherwise pass.
 * Walks the parsed model through its accessors (optionals, lists, nested models and union variants).
 */
final class SdkReferee {

    private static final Set<String> SKIP = Set.of("toBuilder", "validate", "validity", "hashCode", "toString",
            "getClass", "known", "value", "asString", "isValid");
    /** Free-form JSON in the models (a tool's input, a JSON schema): every key there is an "additional" one. */
    private static final Set<String> FREE_FORM = Set.of("input", "inputSchema", "schema", "properties", "args",
            "response", "parametersJsonSchema", "responseJsonSchema");

    private SdkReferee() {
    }

    /**
     * @param model      the SDK's parsed object
     * @param pkgPrefix  the SDK's model package, e.g. {@code com.anthropic.models}
     * @param allowedTop unknown fields allowed at the top (such as {@code stream}, which the SDK sets outside it)
     * @return every unknown field, as {@code path: [names]}
     */
    static List<String> unknownFields(Object model, String pkgPrefix, Set<String> allowedTop) {
        List<String> out = new ArrayList<>();
        walk(model, "$", pkgPrefix, allowedTop, out, 0);
        return out;
    }

    private static void walk(Object o, String path, String pkg, Set<String> allowed, List<String> out, int depth) {
        if (o == null || depth > 12) {
            return;
        }
        if (o instanceof Optional<?> opt) {
            opt.ifPresent(v -> walk(v, path, pkg, Set.of(), out, depth));
            return;
        }
        if (o instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                walk(list.get(i), path + "[" + i + "]", pkg, Set.of(), out, depth + 1);
            }
            return;
        }
        if (!o.getClass().getName().startsWith(pkg)) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            String name = m.getName();
            try {
                if (name.equals("_additionalProperties")) {
                    Map<?, ?> extra = (Map<?, ?>) m.invoke(o);
                    List<Object> unknown = new ArrayList<>(extra.keySet());
                    unknown.removeAll(allowed);
                    if (!unknown.isEmpty()) {
                        out.add(path + ": " + unknown);
                    }
                    continue;
                }
                if (name.startsWith("_") || name.startsWith("is") || name.startsWith("as") || SKIP.contains(name)
                        || FREE_FORM.contains(name)) {
                    continue;
                }
                Class<?> type = m.getReturnType();
                if (Optional.class.isAssignableFrom(type) || List.class.isAssignableFrom(type)
                        || type.getName().startsWith(pkg)) {
                    walk(m.invoke(o), path + "." + name, pkg, Set.of(), out, depth + 1);
                }
            } catch (ReflectiveOperationException | RuntimeException absentOrNotThisVariant) {
                // a required field that is absent, or a union's other variant: nothing to check there
            }
        }
    }
}
