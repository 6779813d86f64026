package io.dspex.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.Example;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {

    @TempDir
    Path dir;

    private Path file(String name, String content) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    private static void failsAt(ThrowingCallable call, long line, long column, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(DatasetException.class, e -> {
            assertThat(e.line()).as("line").isEqualTo(line);
            assertThat(e.column()).as("column").isEqualTo(column);
            assertThat(e.getMessage()).contains(message).contains(e.file().toString());
        });
    }

    @Test
    void readsJsonLinesWithJsonTypesAndInputKeys() throws Exception {
        Path p = file("qa.jsonl", "\uFEFF{\"question\": \"2+2?\", \"answer\": \"4\", \"n\": 4, \"tags\": [\"math\"]}\n"
                + "\n"
                + "{\"question\": \"Capital of France?\", \"answer\": \"Paris\", \"n\": null, \"tags\": []}\n");
        List<Example> examples = Datasets.readJsonl(p, "question");
        assertThat(examples).hasSize(2);
        Example first = examples.get(0);
        assertThat(first.keys()).containsExactly("question", "answer", "n", "tags");
        assertThat(first.inputKeys()).containsExactly("question");
        assertThat(first.get("n")).isEqualTo(4);
        assertThat(first.get("tags")).isEqualTo(List.of("math"));
        assertThat(examples.get(1).get("n")).isNull();
        assertThat(Datasets.read(p, "question")).isEqualTo(examples);
    }

    @Test
    void malformedJsonLinesNameLineAndColumn() throws Exception {
        Path bad = file("bad.jsonl", "{\"question\": \"a\"}\n{\"question\": \"b\",, }\n");
        failsAt(() -> Datasets.readJsonl(bad, "question"), 2, 18, "malformed JSON");
        Path notObject = file("arr.jsonl", "{\"question\": \"a\"}\n\n  [1, 2]\n");
        failsAt(() -> Datasets.readJsonl(notObject), 3, 3, "expected a JSON object, found an array");
        Path trailing = file("two.jsonl", "{\"question\": \"a\"} {\"question\": \"b\"}\n");
        failsAt(() -> Datasets.readJsonl(trailing), 1, 19, "after the JSON object");
        Path missing = file("missing.jsonl", "{\"question\": \"a\"}\n{\"q\": \"b\"}\n");
        failsAt(() -> Datasets.readJsonl(missing, "question"), 2, 1, "no input key 'question'; its keys are [q]");
        Path blankKey = file("blank.jsonl", "{\"\": \"a\"}\n");
        failsAt(() -> Datasets.readJsonl(blankKey), 1, 1, "non-blank");
    }

    @Test
    void readsAJsonArrayAndNamesPositions() throws Exception {
        Path p = file("qa.json", "[\n  {\"question\": \"a\", \"answer\": \"1\"},\n  {\"question\": \"b\", \"answer\": \"2\"}\n]\n");
        List<Example> examples = Datasets.readJson(p, "question");
        assertThat(examples).extracting(e -> e.get("answer")).containsExactly("1", "2");
        assertThat(Datasets.read(p, "question")).isEqualTo(examples);

        Path notArray = file("obj.json", "{\"question\": \"a\"}");
        failsAt(() -> Datasets.readJson(notArray), 1, 1, "expected a JSON array of objects, found an object");
        Path element = file("el.json", "[\n  {\"question\": \"a\"},\n  \"b\"\n]");
        failsAt(() -> Datasets.readJson(element), 3, 3, "array element 1 is a string, not a JSON object");
        Path missing = file("missing.json", "[\n  {\"question\": \"a\"},\n    {\"answer\": \"b\"}\n]");
        failsAt(() -> Datasets.readJson(missing, "question"), 3, 5, "no input key 'question'");
        Path truncated = file("trunc.json", "[\n  {\"question\": \"a\"},\n  {\"question\": ");
        assertThatThrownBy(() -> Datasets.readJson(truncated)).isInstanceOfSatisfying(DatasetException.class, e -> {
            assertThat(e.line()).isEqualTo(3);
            assertThat(e.getMessage()).contains("malformed JSON");
        });
    }

    @Test
    void readsCsvWithQuotedFieldsAndLineBreaks() throws Exception {
        Path p = file("qa.csv", "question,answer,context\r\n"
                + "\"What is 2+2, really?\",4,\"He said \"\"four\"\"\"\r\n"
                + "\r\n"
                + "Capital?,Paris,\"line one\nline two\"\n"
                + "Empty?,,x\n");
        List<Example> examples = Datasets.readCsv(p, "question", "context");
        assertThat(examples).hasSize(3);
        assertThat(examples.get(0).toMap()).containsExactly(Map.entry("question", "What is 2+2, really?"),
                Map.entry("answer", "4"), Map.entry("context", "He said \"four\""));
        assertThat(examples.get(0).inputKeys()).containsExactly("question", "context");
        assertThat(examples.get(1).get("context")).isEqualTo("line one\nline two");
        assertThat(examples.get(2).get("answer")).isEqualTo("");
        assertThat(Datasets.read(p, "question")).hasSize(3);
    }

    @Test
    void malformedCsvNamesLineAndColumn() throws Exception {
        Path unterminated = file("u.csv", "q,a\nx,1\ny,\"open\n");
        failsAt(() -> Datasets.readCsv(unterminated), 3, 3, "unterminated quoted field");
        Path afterQuote = file("aq.csv", "q,a\n\"x\"y,1\n");
        failsAt(() -> Datasets.readCsv(afterQuote), 2, 4, "unexpected character 'y' after a closing quote");
        Path stray = file("s.csv", "q,a\nab\"c,1\n");
        failsAt(() -> Datasets.readCsv(stray), 2, 3, "a quote inside an unquoted field");
        Path tooMany = file("m.csv", "q,a\nx,1\n\"multi\nline\",2,3\n");
        failsAt(() -> Datasets.readCsv(tooMany), 3, 0, "row has 3 fields but the header has 2");
        Path dupe = file("d.csv", "q,q\nx,1\n");
        failsAt(() -> Datasets.readCsv(dupe), 1, 0, "header names column 'q' twice");
        Path noKey = file("k.csv", "q,a\nx,1\n");
        failsAt(() -> Datasets.readCsv(noKey, "question"), 1, 0, "input key 'question' is not a column");
        Path empty = file("e.csv", "");
        failsAt(() -> Datasets.readCsv(empty), 0, 0, "expected a header row");
    }

    @Test
    void unreadableFilesAreDatasetExceptions() throws Exception {
        failsAt(() -> Datasets.readJsonl(dir.resolve("nope.jsonl")), 0, 0, "no such file");
        Path latin1 = dir.resolve("latin1.csv");
        Files.write(latin1, new byte[] {'q', '\n', (byte) 0xE9, '\n'});
        failsAt(() -> Datasets.readCsv(latin1), 0, 0, "not valid UTF-8");
        Path txt = file("data.txt", "x");
        failsAt(() -> Datasets.read(txt), 0, 0, "unknown dataset format");
    }

    @Test
    void splitIsSeededDisjointAndComplete() {
        List<Example> all = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            all.add(Example.of(Map.of("i", i)).withInputs("i"));
        }
        Datasets.Split a = Datasets.split(all, 0.8, 42);
        Datasets.Split b = Datasets.split(all, 0.8, 42);
        Datasets.Split c = Datasets.split(all, 0.8, 7);
        assertThat(a.train()).hasSize(80);
        assertThat(a.dev()).hasSize(20);
        assertThat(a).isEqualTo(b);
        assertThat(c.train()).isNotEqualTo(a.train());
        HashSet<Example> union = new HashSet<>(a.train());
        union.addAll(a.dev());
        assertThat(union).hasSize(100).containsAll(all);
        assertThat(a.train()).isNotEqualTo(all.subList(0, 80));
        assertThat(Datasets.split(all, 30, 1).train()).hasSize(30);
        assertThat(Datasets.split(all, 0.0, 1).train()).isEmpty();
        assertThatThrownBy(() -> Datasets.split(all, 1.5, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("between 0 and 1");
        assertThatThrownBy(() -> Datasets.split(all, 101, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("between 0 and 100");
    }
}
