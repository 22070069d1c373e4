package io.tsforge.io;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class NioLocalFileSystemTest {

    @TempDir
    java.nio.file.Path tmp;

    @BeforeAll
    static void posixOnly() {
        assumeTrue(java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("unix"),
                "needs a POSIX file system");
    }

    private static int mode(java.nio.file.Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode") & 07777;
    }

    @Test
    void everyModeMapsToTheSameNinePermissionBits() {
        for (short m = 0; m < 01000; m++) {
            FsPermission p = new FsPermission(m);
            assertEquals(PosixFilePermissions.fromString(p.toString()), NioLocalFileSystem.Raw.posix(p),
                    "mode " + Integer.toOctalString(m));
        }
    }

    @Test
    void setsTheSameModesAsHadoopsChmod() throws IOException {
        Configuration conf = new Configuration();
        RawLocalFileSystem nio = new NioLocalFileSystem.Raw();
        nio.initialize(URI.create("file:///"), conf);
        RawLocalFileSystem stock = new RawLocalFileSystem();
        stock.initialize(URI.create("file:///"), conf);
        for (short m : new short[] {0644, 0600, 0640, 0755, 0700, 0777, 0444, 0000, 0750, 0711}) {
            java.nio.file.Path a = Files.createFile(tmp.resolve("nio-" + m));
            java.nio.file.Path b = Files.createFile(tmp.resolve("stock-" + m));
            nio.setPermission(new Path(a.toString()), new FsPermission(m));
            stock.setPermission(new Path(b.toString()), new FsPermission(m));
            assertEquals(m, mode(a), "mode " + Integer.toOctalString(m));
            assertEquals(mode(b), mode(a), "mode " + Integer.toOctalString(m));
        }
        // the sticky bit, which java.nio cannot set, goes through Hadoop's own path
        java.nio.file.Path d = Files.createDirectory(tmp.resolve("sticky"));
        nio.setPermission(new Path(d.toString()), new FsPermission((short) 01777));
        assertEquals(01777, mode(d));
    }

    @Test
    void filesAndFoldersItCreatesGetTheUmaskedDefaults() throws IOException {
        Configuration conf = new Configuration();
        conf.set("fs.file.impl", NioLocalFileSystem.class.getName());
        conf.set("fs.permissions.umask-mode", "027");
        FileSystem fs = FileSystem.newInstance(URI.create("file:///"), conf);
        try {
            assertInstanceOf(NioLocalFileSystem.class, fs);
            assertInstanceOf(NioLocalFileSystem.Raw.class, ((NioLocalFileSystem) fs).getRaw());
            Path dir = new Path(tmp.toString(), "a/b");
            assertTrue(fs.mkdirs(dir));
            try (FSDataOutputStream out = fs.create(new Path(dir, "part-0"))) {
                out.writeUTF("x");
            }
            assertEquals(0750, mode(tmp.resolve("a/b")));
            assertEquals(0640, mode(tmp.resolve("a/b/part-0")));
            assertEquals(0640, mode(tmp.resolve("a/b/.part-0.crc")));
            try (var in = fs.open(new Path(dir, "part-0"))) {
                assertEquals("x", in.readUTF());
            }
        } finally {
            fs.close();
        }
    }
}
