package dev.veloxquant.engine.chat;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The global functions transformers gives chat templates (raise_exception, strftime_now) and the rewriter's helpers. */
public final class TemplateFunctions {

    private TemplateFunctions() {
    }

    /** Thrown by raise_exception(msg); the renderer turns it into a {@link ChatTemplateException}. */
    static final class TemplateRaisedException extends RuntimeException {
        TemplateRaisedException(String message) {
            super(message);
        }
    }

    public static Object raiseException(Object message) {
        throw new TemplateRaisedException(String.valueOf(message));
    }

    /** How Python prints a value in {{ }}: booleans as True/False; anything else as Jinjava prints it. */
    public static Object pyprint(Object value) {
        return value instanceof Boolean b ? (b ? "True" : "False") : value;
    }

    /** Identity; wraps keyword-argument values so Jinjava parses them as one expression. */
    public static Object pyvalue(Object value) {
        return value;
    }

    public static String strftimeNow(String format) {
        return strftime(ZonedDateTime.now(), format);
    }

    /** Python's datetime.strftime for the usual directives (C locale), including glibc's %-d style. */
    static String strftime(ZonedDateTime t, String format) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                out.append(c);
                continue;
            }
            char d = format.charAt(++i);
            boolean noPad = false;
            if (d == '-' && i + 1 < format.length()) {
                noPad = true;
                d = format.charAt(++i);
            }
            int hour12 = t.getHour() % 12 == 0 ? 12 : t.getHour() % 12;
            out.append(switch (d) {
                case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
                case 'w' -> String.valueOf(t.getDayOfWeek().getValue() % 7);
                case 'd' -> pad(t.getDayOfMonth(), 2, noPad);
                case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
                case 'm' -> pad(t.getMonthValue(), 2, noPad);
                case 'y' -> pad(t.getYear() % 100, 2, noPad);
                case 'Y' -> String.valueOf(t.getYear());
                case 'H' -> pad(t.getHour(), 2, noPad);
                case 'I' -> pad(hour12, 2, noPad);
                case 'p' -> t.getHour() < 12 ? "AM" : "PM";
                case 'M' -> pad(t.getMinute(), 2, noPad);
                case 'S' -> pad(t.getSecond(), 2, noPad);
                case 'f' -> pad(t.getNano() / 1000, 6, false);
                case 'j' -> pad(t.getDayOfYear(), 3, noPad);
                case 'z' -> t.getOffset().getId().equals("Z") ? "+0000" : t.getOffset().getId().replace(":", "");
                case 'Z' -> t.getZone().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                case 'e' -> String.format("%2d", t.getDayOfMonth());
                case '%' -> "%";
                default -> "%" + (noPad ? "-" : "") + d;
            });
        }
        return out.toString();
    }

    private static String pad(int value, int width, boolean noPad) {
        return noPad ? String.valueOf(value) : String.format("%0" + width + "d", value);
    }

    /** Python's seq[start:stop:step] for strings and lists (the rewriter turns slices into calls to this). */
    public static Object pyslice(Object seq, Object start, Object stop, Object step) {
        if (seq == null) {
            return null;
        }
        List<Object> items;
        if (seq instanceof CharSequence cs) {
            items = new ArrayList<>();
            cs.codePoints().forEach(cp -> items.add(Character.toString(cp)));
        } else if (seq instanceof Iterable<?> it) {
            items = new ArrayList<>();
            it.forEach(items::add);
        } else if (seq instanceof Object[] array) {
            items = new ArrayList<>(List.of(array));
        } else {
            throw new IllegalArgumentException("cannot slice a " + seq.getClass().getSimpleName());
        }
        int n = items.size();
        int st = step == null ? 1 : ((Number) step).intValue();
        if (st == 0) {
            throw new IllegalArgumentException("slice step cannot be zero");
        }
        int lo = bound(start, n, st > 0 ? 0 : n - 1, st);
        int hi = bound(stop, n, st > 0 ? n : -1, st);
        List<Object> out = new ArrayList<>();
        for (int i = lo; st > 0 ? i < hi : i > hi; i += st) {
            out.add(items.get(i));
        }
        if (seq instanceof CharSequence) {
            StringBuilder sb = new StringBuilder();
            out.forEach(sb::append);
            return sb.toString();
        }
        return out;
    }

    private static int bound(Object value, int n, int missing, int step) {
        if (value == null) {
            return missing;
        }
        int v = ((Number) value).intValue();
        if (v < 0) {
            v += n;
            if (v < 0) {
                return step > 0 ? 0 : -1;
            }
        }
        if (v >= n) {
            return step > 0 ? n : n - 1;
        }
        return v;
    }
}
