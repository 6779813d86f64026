package io.dspex.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A strict RFC 4180 reader (comma separator, double-quote quoting, LF or CRLF line ends) that knows positions. */
final class CsvParser {

    /** One record with the line and column where it starts. */
    record Record(List<String> fields, long line) {
    }

    private final Path file;
    private final String text;
    private int pos;
    private long line = 1;
    private long column = 1;

    CsvParser(Path file, String text) {
        this.file = file;
        this.text = text;
    }

    /** @return all records, skipping empty lines */
    List<Record> records() {
        List<Record> out = new ArrayList<>();
        while (pos < text.length()) {
            if (atLineEnd()) {
                skipLineEnd();
                continue;
            }
            long start = line;
            out.add(new Record(record(), start));
        }
        return out;
    }

    private List<String> record() {
        List<String> fields = new ArrayList<>();
        while (true) {
            fields.add(field());
            if (pos >= text.length()) {
                return fields;
            }
            char c = text.charAt(pos);
            if (c == ',') {
                advance();
            } else if (atLineEnd()) {
                skipLineEnd();
                return fields;
            }
        }
    }

    private String field() {
        if (pos < text.length() && text.charAt(pos) == '"') {
            long qLine = line;
            long qCol = column;
            advance();
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (pos >= text.length()) {
                    throw new DatasetException(file, qLine, qCol, "unterminated quoted field (the quote opened here "
                            + "is never closed)", null);
                }
                char c = text.charAt(pos);
                if (c == '"') {
                    if (pos + 1 < text.length() && text.charAt(pos + 1) == '"') {
                        sb.append('"');
                        advance();
                        advance();
                        continue;
                    }
                    advance();
                    if (pos < text.length() && text.charAt(pos) != ',' && !atLineEnd()) {
                        throw new DatasetException(file, line, column, "unexpected character '" + text.charAt(pos)
                                + "' after a closing quote (expected a comma or the end of the line)", null);
                    }
                    return sb.toString();
                }
                sb.append(c);
                advance();
            }
        }
        StringBuilder sb = new StringBuilder();
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == ',' || atLineEnd()) {
                break;
            }
            if (c == '"') {
                throw new DatasetException(file, line, column, "a quote inside an unquoted field; quote the whole "
                        + "field and double the quote (\"\")", null);
            }
            sb.append(c);
            advance();
        }
        return sb.toString();
    }

    private boolean atLineEnd() {
        char c = text.charAt(pos);
        return c == '\n' || c == '\r';
    }

    private void skipLineEnd() {
        if (text.charAt(pos) == '\r' && pos + 1 < text.length() && text.charAt(pos + 1) == '\n') {
            pos++;
        }
        pos++;
        line++;
        column = 1;
    }

    private void advance() {
        char c = text.charAt(pos++);
        if (c == '\n' || (c == '\r' && (pos >= text.length() || text.charAt(pos) != '\n'))) {
            line++;
            column = 1;
        } else if (c != '\r') {
            column++;
        }
    }
}
