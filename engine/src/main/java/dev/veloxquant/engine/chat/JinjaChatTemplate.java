package dev.veloxquant.engine.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.veloxquant.engine.tokenizer.ModelTokenConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.CompositeELResolver;

/**
 * A model's Jinja chat template rendered with Jinjava, set up the way transformers sets up jinja2 for
 * apply_chat_template: trim_blocks and lstrip_blocks on, the trailing newline of the template dropped,
 * loop controls, raise_exception, strftime_now, a json.dumps-style tojson, Python str methods, and the
 * tokenizer's special tokens (bos_token, eos_token, ...) as variables.
 */
public final class JinjaChatTemplate implements ChatTemplate {

    private final String source;
    private final Map<String, String> specialTokens;
    private final Jinjava jinjava;

    /** One engine for all templates: it is costly to build, holds no per-template state and renders thread-safely. */
    private static final Jinjava SHARED_JINJAVA = newJinjava();

    public JinjaChatTemplate(String source, Map<String, String> specialTokens) {
        // jinja2's keep_trailing_newline=False: one trailing newline of the source is not output.
        this.source = JinjaSourceRewriter.rewrite(source.endsWith("\n") ? source.substring(0, source.length() - 1) : source);
        this.specialTokens = Map.copyOf(specialTokens);
        this.jinjava = SHARED_JINJAVA;
        checkSyntax();
    }

    /** The template of {@code modelDir} (chat_template.jinja or tokenizer_config.json) with its special tokens. */
    public static JinjaChatTemplate load(Path modelDir) {
        return load(modelDir, null);
    }

    /** As {@link #load(Path)}, picking a named template when tokenizer_config.json lists several. */
    public static JinjaChatTemplate load(Path modelDir, String templateName) {
        String source = ChatTemplateSource.find(modelDir, templateName);
        return new JinjaChatTemplate(source, ModelTokenConfig.load(modelDir).specialTokens());
    }

    private static Jinjava newJinjava() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(false) // done by JinjaSourceRewriter, as jinja2 does it
                .withEnableRecursiveMacroCalls(true)
                .withMaxMacroRecursionDepth(50)
                .withElResolver(resolver)
                .withFailOnUnknownTokens(false)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withEvaluateMapKeys(true)
                        .withIterateOverMapKeys(true)
                        .withUsePyishObjectMapper(true)
                        .withUseNaturalOperatorPrecedence(false)
                        .withParseWhitespaceControlStrictly(true)
                        .withAllowAdjacentTextNodes(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .build();
        Jinjava jinjava = new Jinjava(config);
        try {
            jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                    TemplateFunctions.class.getMethod("raiseException", Object.class)));
            jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "pyslice",
                    TemplateFunctions.class.getMethod("pyslice", Object.class, Object.class, Object.class, Object.class)));
            jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "pyprint",
                    TemplateFunctions.class.getMethod("pyprint", Object.class)));
            jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "pyvalue",
                    TemplateFunctions.class.getMethod("pyvalue", Object.class)));
            jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                    TemplateFunctions.class.getMethod("strftimeNow", String.class)));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
        jinjava.getGlobalContext().registerTag(new GenerationTag());
        jinjava.getGlobalContext().registerFilter(new ToJsonFilter());
        jinjava.getGlobalContext().registerFilter(new LengthFilter("length"));
        jinjava.getGlobalContext().registerFilter(new LengthFilter("count"));

        return jinjava;
    }

    private void checkSyntax() {
        JinjavaInterpreter interpreter = jinjava.newInterpreter();
        interpreter.parse(source);
        for (TemplateError error : interpreter.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ChatTemplateException("chat template does not parse: " + describe(error));
            }
        }
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /** Renders with extra template variables (tools, documents, enable_thinking, ...). */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, Object> extraVariables) {
        List<Map<String, Object>> chat = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", m.role());
            message.put("content", m.content());
            chat.add(message);
        }
        return renderMessages(chat, addGenerationPrompt, extraVariables);
    }

    /**
     * Renders messages given as maps, for fields beyond role and content (tool_calls, name,
     * reasoning_content, ...); use insertion-ordered maps so tojson prints keys as Python would.
     */
    public String renderMessages(List<Map<String, Object>> chat, boolean addGenerationPrompt, Map<String, Object> extraVariables) {
        Map<String, Object> variables = new HashMap<>(specialTokens);
        // jinja2 sees its global functions as defined ("{% if strftime_now is defined %}" in Llama 3.2).
        variables.put("strftime_now", "<function strftime_now>");
        variables.put("raise_exception", "<function raise_exception>");
        variables.putAll(extraVariables);
        variables.put("messages", chat);
        variables.put("add_generation_prompt", addGenerationPrompt);
        RenderResult result;
        try {
            result = jinjava.renderForResult(source, variables);
        } catch (TemplateFunctions.TemplateRaisedException e) {
            throw new ChatTemplateException("chat template raised: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new ChatTemplateException("chat template failed: " + e.getMessage(), e);
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                Throwable raised = raisedBy(error);
                throw raised != null
                        ? new ChatTemplateException("chat template raised: " + raised.getMessage(), raised)
                        : new ChatTemplateException("chat template failed: " + describe(error));
            }
        }
        return result.getOutput();
    }

    private static Throwable raisedBy(TemplateError error) {
        for (Throwable t = error.getException(); t != null; t = t.getCause()) {
            if (t instanceof TemplateFunctions.TemplateRaisedException) {
                return t;
            }
        }
        return null;
    }

    private static String describe(TemplateError error) {
        return error.getMessage() + (error.getLineno() > 0 ? " (line " + error.getLineno() + ")" : "");
    }

    /** Python's len(): strings count code points (Jinjava would count UTF-16 units). */
    record LengthFilter(String getName) implements Filter {
        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return switch (var) {
                case null -> 0L;
                case CharSequence s -> (long) s.toString().codePointCount(0, s.length());
                case java.util.Collection<?> c -> (long) c.size();
                case Map<?, ?> m -> (long) m.size();
                case Object[] a -> (long) a.length;
                case Iterable<?> it -> {
                    long n = 0;
                    for (Object ignored : it) {
                        n++;
                    }
                    yield n;
                }
                default -> (long) var.toString().codePointCount(0, var.toString().length());
            };
        }
    }

    /** transformers' tojson: json.dumps(x, ensure_ascii=False, indent=indent). */
    static final class ToJsonFilter implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return PythonJson.dumps(var, args.length > 0 && args[0] != null ? Integer.valueOf(args[0]) : null);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
            return PythonJson.dumps(var, indent == null ? null : ((Number) indent).intValue());
        }
    }
}
