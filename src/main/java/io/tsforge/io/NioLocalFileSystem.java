package io.tsforge.io;

import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsAction;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.io.nativeio.NativeIO;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * Hadoop's local file system ({@code file:}) with one change: permissions are set through {@code java.nio} rather than
 * a forked {@code chmod} process.
 *
 * <p>Without Hadoop's native library (a Maven-only install has none), {@link RawLocalFileSystem} sets the mode of every
 * file and folder it creates by running {@code chmod}: one process per file, forked from a JVM of several GB. A
 * prepare run creates 39 files and folders. This class sets the same mode bits with {@link
 * Files#setPosixFilePermissions}, which has the same effect (the nine permission bits; it follows symbolic links, as
 * {@code chmod} does). It leaves the stock path in place when the native library is loaded, when the mode has the
 * sticky bit (which {@code java.nio} cannot set), and on file systems without POSIX attributes.
 *
 * <p>{@link io.tsforge.spark.SparkSessions#localFileSystem} installs it for local masters
 * ({@code spark.hadoop.fs.file.impl}), where every task runs in the driver's JVM and this jar is on its class path; a
 * setting of the user's is kept.
 */
public class NioLocalFileSystem extends LocalFileSystem {

    public NioLocalFileSystem() {
        super(new Raw());
    }

    /** The raw (checksum-free) local file system under {@link NioLocalFileSystem}. */
    public static class Raw extends RawLocalFileSystem {

        private static final boolean POSIX =
                FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

        @Override
        public void setPermission(Path p, FsPermission permission) throws IOException {
            if (!POSIX || permission.getStickyBit() || NativeIO.isAvailable()) {
                super.setPermission(p, permission);
                return;
            }
            Files.setPosixFilePermissions(pathToFile(p).toPath(), posix(permission));
        }

        /** The nine permission bits of {@code permission} as {@code java.nio} names them. */
        static Set<PosixFilePermission> posix(FsPermission permission) {
            Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
            add(s, permission.getUserAction(), PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                    PosixFilePermission.OWNER_EXECUTE);
            add(s, permission.getGroupAction(), PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                    PosixFilePermission.GROUP_EXECUTE);
            add(s, permission.getOtherAction(), PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE,
                    PosixFilePermission.OTHERS_EXECUTE);
            return s;
        }

        private static void add(Set<PosixFilePermission> s, FsAction a, PosixFilePermission r,
                                PosixFilePermission w, PosixFilePermission x) {
            if (a.implies(FsAction.READ)) {
                s.add(r);
            }
            if (a.implies(FsAction.WRITE)) {
                s.add(w);
            }
            if (a.implies(FsAction.EXECUTE)) {
                s.add(x);
            }
        }
    }
}
