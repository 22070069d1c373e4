package io.tsforge.jobs;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Launch scripts must never name a class or job that no longer exists, nor drift from the test JVM's flags. */
class LaunchersTest {

    static List<Path> scripts() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("jobs"))) {
            return s.filter(p -> p.toString().endsWith(".sh")).sorted().toList();
        }
    }

    @Test
    void everyClassNamedInJobsExists() throws IOException {
        Pattern cls = Pattern.compile("io\\.tsforge\\.[a-z]+(\\.[A-Za-z0-9]+)+");
        int found = 0;
        for (Path p : scripts()) {
            Matcher m = cls.matcher(Files.readString(p));
            while (m.find()) {
                String name = m.group();
                found++;
                assertDoesNotThrow(() -> Class.forName(name, false, getClass().getClassLoader()),
                        p + " names " + name);
            }
        }
        assertTrue(found >= 2, "expected the launchers to name classes");
    }

    @Test
    void everyJobALauncherStartsIsKnownToMain() throws IOException {
        Pattern job = Pattern.compile("_launch\\.sh\"? ([a-z-]+)");
        List<String> jobs = new ArrayList<>();
        for (Path p : scripts()) {
            Matcher m = job.matcher(Files.readString(p));
            while (m.find()) {
                jobs.add(m.group(1));
                assertTrue(Main.JOBS.containsKey(m.group(1)), p + " starts unknown job " + m.group(1));
            }
        }
        assertTrue(jobs.contains("prepare") && jobs.contains("pipeline"), jobs.toString());
    }

    @Test
    void theLauncherOpensWhatTheTestsOpen() throws IOException {
        List<String> launcher = Files.readAllLines(Path.of("jobs/jvm-opens")).stream()
                .map(String::trim).filter(s -> !s.isEmpty()).toList();
        List<String> jvm = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (String flag : List.of("java.base/java.lang=", "java.base/java.lang.invoke=", "java.base/java.nio=",
                "java.base/sun.nio.ch=", "java.base/java.util=")) {
            assertTrue(launcher.stream().anyMatch(l -> l.contains(flag)), "jobs/jvm-opens lacks " + flag);
        }
        for (String l : launcher) {
            assertTrue(jvm.contains(l), "surefire's argLine lacks " + l + " (pom.xml jvm.opens)");
        }
    }

    @Test
    void usageListsJobsAndKeys() {
        String u = Main.usage();
        assertTrue(u.contains("prepare") && u.contains("window.lookback") && u.contains("spark.*"));
    }

    @Test
    void badCommandLinesFailInOneLineBeforeSparkStarts() {
        assertEquals(2, Main.run(new String[]{"nosuchjob"}));
        assertEquals(2, Main.run(new String[]{"prepare", "--config", "does/not/exist.properties"}));
        assertEquals(2, Main.run(new String[]{"prepare", "--config", "conf/samples.properties",
                "--set", "window.lookback=zero"}));
        assertEquals(2, Main.run(new String[]{"prepare", "--bogus"}));
        assertFalse(Main.oneLine(new RuntimeException("a\nb")).contains("\n"));
    }
}
