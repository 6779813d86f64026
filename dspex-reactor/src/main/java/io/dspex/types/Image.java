package io.dspex.types;

import io.dspex.internal.Json;
import io.dspex.internal.PyFormat;
import io.dspex.signature.CustomType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * An image as a field value (DSPy's {@code dspy.Image}): a remote URL or a base64 {@code data:} URI. In a user
 * message it becomes an OpenAI {@code image_url} content part between the text around it, so the message's content
 * is a list of parts ({@code io.dspex.lm.Message.Part}); a demo's image output and a saved demo hold DSPy's marker
 * text, {@code <<CUSTOM-TYPE-START-IDENTIFIER>>[{"type": "image_url", ...}]<<CUSTOM-TYPE-END-IDENTIFIER>>}.
 *
 * <pre>{@code
 * Predict look = Predict.of("photo: Image, question -> answer");
 * Image photo = Image.fromPath(Path.of("cat.png"));          // data:image/png;base64,...
 * look.forward(Example.of(Map.of("photo", photo, "question", "What is it?")));
 * Image remote = Image.fromUrl("https://example.com/cat.png"); // sent as the URL
 * }</pre>
 *
 * <p>As an output field, the model is shown DSPy's schema ({@code {"url": ...}}) and its value is read from
 * {@code {"url": "..."}}, a URL or data URI string, or the marker text.
 *
 * @param url an {@code http}, {@code https} or {@code gs} URL, or a {@code data:} URI (stripped of surrounding
 *            whitespace)
 */
public record Image(String url) implements CustomType {

    /**
     * Python's built-in {@code mimetypes} table for images (CPython 3.11's defaults, plus {@code .webp}, which
     * CPython 3.13 and every system {@code mime.types} add): what DSPy's {@code Image.from_path} finds for an
     * extension.
     */
    private static final Map<String, String> MIME_BY_EXTENSION = mimeTable(
            "avif", "image/avif", "bmp", "image/bmp", "gif", "image/gif", "ief", "image/ief", "jpg", "image/jpeg",
            "jpe", "image/jpeg", "jpeg", "image/jpeg", "heic", "image/heic", "heif", "image/heif", "png", "image/png",
            "svg", "image/svg+xml", "tiff", "image/tiff", "tif", "image/tiff", "ico", "image/vnd.microsoft.icon",
            "ras", "image/x-cmu-raster", "pnm", "image/x-portable-anymap", "pbm", "image/x-portable-bitmap",
            "pgm", "image/x-portable-graymap", "ppm", "image/x-portable-pixmap", "rgb", "image/x-rgb",
            "xbm", "image/x-xbitmap", "xpm", "image/x-xpixmap", "xwd", "image/x-xwindowdump", "webp", "image/webp");

    /**
     * Checks the URL as DSPy's {@code encode_image} checks a string.
     *
     * @throws IllegalArgumentException when the URL is null, or neither a {@code data:} URI nor an {@code http},
     *                                  {@code https} or {@code gs} URL with a host
     */
    public Image {
        if (url == null) {
            throw new IllegalArgumentException("Image url must not be null");
        }
        url = PyFormat.strip(url);
        if (!url.startsWith("data:") && !isUrl(url)) {
            throw new IllegalArgumentException("Unrecognized image string: '" + url + "': an Image takes an http, "
                    + "https or gs URL with a host, or a data: URI; load a local file with Image.fromPath");
        }
    }

    /**
     * An image the model fetches itself: the URL goes in the request as it is (DSPy's {@code Image(url)}). Nothing
     * is downloaded.
     *
     * @param url an {@code http}, {@code https} or {@code gs} URL, or a {@code data:} URI
     * @return the image
     * @throws IllegalArgumentException when the text is neither
     */
    public static Image fromUrl(String url) {
        return new Image(url);
    }

    /**
     * An image from its bytes, sent inline as {@code data:MIME;base64,...}.
     *
     * @param data     the encoded image (PNG, JPEG...), not empty; not decoded or checked
     * @param mimeType an image MIME type Python's {@code mimetypes} knows, such as {@code image/png} (case does not
     *                 matter)
     * @return the image
     * @throws IllegalArgumentException when the bytes are null or empty, or the MIME type is not a known image type
     */
    public static Image fromBytes(byte[] data, String mimeType) {
        if (data == null || data.length == 0) {
            throw new IllegalArgumentException("Image bytes must not be " + (data == null ? "null" : "empty"));
        }
        String mime = mimeType == null ? "" : PyFormat.strip(mimeType).toLowerCase(Locale.ROOT);
        if (!MIME_BY_EXTENSION.containsValue(mime)) {
            throw new IllegalArgumentException("unknown image MIME type '" + mimeType + "' (known: "
                    + new TreeSet<>(MIME_BY_EXTENSION.values()) + ")");
        }
        return new Image(dataUri(mime, data));
    }

    /**
     * An image read from a file, sent inline as {@code data:MIME;base64,...}, its MIME type guessed from the file
     * name's extension as DSPy's {@code Image.from_path} does ({@code .png} → {@code image/png}; case does not
     * matter). Reads the file here, with blocking I/O: call it off the event loop, e.g.
     * {@code Mono.fromCallable(() -> Image.fromPath(p)).subscribeOn(Schedulers.boundedElastic())}.
     *
     * @param path the file
     * @return the image
     * @throws IllegalArgumentException when the path is null, not a regular file, or its extension names no image
     *                                  type
     * @throws UncheckedIOException     when the file cannot be read
     */
    public static Image fromPath(Path path) {
        if (path == null) {
            throw new IllegalArgumentException("Image path must not be null");
        }
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("File not found: " + path);
        }
        String mime = mimeOf(path);
        byte[] data;
        try {
            data = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read image file " + path + ": " + e.getMessage(), e);
        }
        return new Image(dataUri(mime, data));
    }

    /**
     * Builds an image from what a model wrote or a saved demo holds (pydantic's {@code model_validate}): an
     * {@code Image}, {@code {"url": "..."}}, a URL or data URI string, or DSPy's marker text around one
     * {@code image_url} part. The adapters call it to parse an {@code Image} output.
     *
     * @param value the value
     * @return the image
     * @throws IllegalArgumentException when the value is none of these
     */
    public static Image validate(@Nullable Object value) {
        if (value instanceof Image i) {
            return i;
        }
        if (value instanceof Map<?, ?> m) {
            if (m.size() == 1 && m.get("url") instanceof String u) {
                return new Image(u);
            }
            throw new IllegalArgumentException("an Image is {\"url\": \"...\"}, got " + PyFormat.str(
                    PyFormat.jsonable(m)));
        }
        if (value instanceof String s) {
            String t = PyFormat.strip(s);
            if (t.startsWith(START) && t.endsWith(END)) {
                return fromMarker(t);
            }
            return new Image(t);
        }
        throw new IllegalArgumentException("an Image is a URL, a data URI or {\"url\": \"...\"}, got "
                + (value == null ? "None" : PyFormat.str(PyFormat.jsonable(value))));
    }

    /**
     * DSPy's JSON schema of {@code dspy.Image} (no extra keys allowed), shown to the model for an output field.
     *
     * @return {@code {"type": "object", "additionalProperties": false, "properties": {"url": ...}, ...}}
     */
    public static Map<String, Object> jsonSchema() {
        Map<String, Object> url = new LinkedHashMap<>();
        url.put("type", "string");
        url.put("title", "Url");
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("type", "object");
        s.put("additionalProperties", false);
        s.put("properties", Map.of("url", url));
        s.put("required", List.of("url"));
        s.put("title", "Image");
        return s;
    }

    /**
     * DSPy's {@code Image.format()}: one {@code image_url} content part.
     *
     * @return {@code [{"type": "image_url", "image_url": {"url": url}}]}
     */
    @Override
    public Object format() {
        Map<String, Object> part = new LinkedHashMap<>();
        part.put("type", "image_url");
        part.put("image_url", Map.of("url", url));
        return List.of(part);
    }

    /**
     * DSPy's {@code repr}: the URL, or for a data URI its type and the length of its base64 text, never the data.
     *
     * @return {@code Image(url='https://...')} or {@code Image(url=data:image/png;base64,<IMAGE_BASE_64_ENCODED(24)>)}
     */
    @Override
    public String toString() {
        int at = url.indexOf("base64,");
        if (at >= 0) {
            String rest = url.substring(at + "base64,".length());
            int next = rest.indexOf("base64,");
            int length = next < 0 ? rest.length() : next;
            String head = url.split(";", -1)[0];
            String type = head.substring(head.lastIndexOf('/') + 1);
            return "Image(url=data:image/" + type + ";base64,<IMAGE_BASE_64_ENCODED(" + length + ")>)";
        }
        return "Image(url='" + url + "')";
    }

    private static Image fromMarker(String text) {
        String payload = text.substring(START.length(), text.length() - END.length());
        Object parts;
        try {
            parts = Json.MAPPER.readValue(payload, Object.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("an Image's marker text holds no JSON: " + payload, e);
        }
        if (parts instanceof List<?> l && l.size() == 1 && l.get(0) instanceof Map<?, ?> part
                && "image_url".equals(part.get("type")) && part.get("image_url") instanceof Map<?, ?> iu
                && iu.get("url") instanceof String u) {
            return new Image(u);
        }
        throw new IllegalArgumentException("an Image's marker text holds one image_url part, got " + payload);
    }

    private static String mimeOf(Path path) {
        Path name = path.getFileName();
        String file = name == null ? "" : name.toString();
        int dot = file.lastIndexOf('.');
        boolean leadingDotsOnly = dot >= 0 && file.substring(0, dot).chars().allMatch(c -> c == '.');
        String ext = dot < 0 || leadingDotsOnly ? "" : file.substring(dot + 1);
        String mime = MIME_BY_EXTENSION.get(ext);
        if (mime == null) {
            mime = MIME_BY_EXTENSION.get(ext.toLowerCase(Locale.ROOT));
        }
        if (mime == null) {
            throw new IllegalArgumentException("Could not determine MIME type for file: " + path + " (extension '"
                    + ext + "'; known: " + new TreeSet<>(MIME_BY_EXTENSION.keySet()) + ")");
        }
        return mime;
    }

    private static String dataUri(String mime, byte[] data) {
        return "data:" + mime + ";base64," + Base64.getEncoder().encodeToString(data);
    }

    /** Python's {@code urlparse}: scheme {@code http}, {@code https} or {@code gs}, and a non-empty host part. */
    private static boolean isUrl(String s) {
        int colon = s.indexOf(':');
        if (colon <= 0 || !Character.isLetter(s.charAt(0)) || s.charAt(0) > 0x7f) {
            return false;
        }
        for (int i = 1; i < colon; i++) {
            char c = s.charAt(i);
            if (c > 0x7f || !(Character.isLetterOrDigit(c) || c == '+' || c == '-' || c == '.')) {
                return false;
            }
        }
        String scheme = s.substring(0, colon).toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") && !scheme.equals("gs")) {
            return false;
        }
        if (!s.startsWith("//", colon + 1)) {
            return false;
        }
        int end = s.length();
        for (int i = colon + 3; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '/' || c == '?' || c == '#') {
                end = i;
                break;
            }
        }
        return end > colon + 3;
    }

    private static Map<String, String> mimeTable(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return Collections.unmodifiableMap(m);
    }
}
