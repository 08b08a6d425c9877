using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using FaceMesh.Matching.Embedded;

namespace FaceMesh.Matching.Storage;

/// <summary>
/// A snapshot of every gallery: written to a temporary file, flushed, then renamed into place, so a
/// snapshot file is either whole or absent; a CRC-32 of the content at its end catches a damaged disk.
/// Layout: magic, gallery count, then per gallery its key, model, dimension, face count and faces
/// (id, subject, quality, time, raw little-endian floats), then (version 2) the tombstones (count, then tenant, gallery,
/// subject, deletion time), then the CRC. Version 1 snapshots (no tombstones) still load.
/// </summary>
public static class GallerySnapshot
{
    private const string Magic = "FACEMESH-SNAPSHOT-2", MagicWithoutTombstones = "FACEMESH-SNAPSHOT-1";

    public static void Write(string path, IReadOnlyList<GalleryIndex> galleries, Tombstones tombstones)
    {
        string temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            var crc = new Crc32();
            using (var w = new BinaryWriter(new CrcStream(file, crc), Encoding.UTF8, leaveOpen: true))
            {
                w.Write(Magic);
                w.Write(galleries.Count);
                foreach (var gallery in galleries)
                {
                    // Copied in memory first: the gallery's writers wait for the copy, not for the disk.
                    var copy = gallery.Copy();
                    w.Write(gallery.Key.Tenant);
                    w.Write(gallery.Key.Gallery);
                    w.Write(copy.Info.ModelId);
                    w.Write(copy.Info.Dimension);
                    w.Write(copy.Faces.Length);
                    for (int i = 0; i < copy.Faces.Length; i++)
                    {
                        var (faceId, subjectId, quality, enrolledAt) = copy.Faces[i];
                        w.Write(faceId);
                        w.Write(subjectId);
                        w.Write(quality);
                        w.Write(enrolledAt);
                        w.Write(MemoryMarshal.AsBytes(copy.Vector(i)));
                    }
                }
                var graves = tombstones.All();
                w.Write(graves.Count);
                foreach (var (gallery, subjectId, deletedAt) in graves)
                {
                    w.Write(gallery.Tenant);
                    w.Write(gallery.Gallery);
                    w.Write(subjectId);
                    w.Write(deletedAt);
                }
            }
            file.Write(BitConverter.GetBytes(crc.GetCurrentHashAsUInt32()));
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
        DirectorySync.Flush(Path.GetDirectoryName(Path.GetFullPath(path))!); // the rename is durable before older files go
    }

    /// <summary>Loads a snapshot into <paramref name="catalog"/>; returns the number of faces.</summary>
    public static long Load(string path, GalleryCatalog catalog)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var crc = new Crc32();
        long faces = 0;
        using (var r = new BinaryReader(new CrcStream(file, crc, file.Length - 4), Encoding.UTF8, leaveOpen: true))
        {
            string magic = r.ReadString();
            if (magic != Magic && magic != MagicWithoutTombstones)
                throw new InvalidDataException($"{path} is not a FaceMesh snapshot.");
            int galleries = r.ReadInt32();
            for (int g = 0; g < galleries; g++)
            {
                var key = new GalleryKey(r.ReadString(), r.ReadString());
                string model = r.ReadString();
                int dimension = r.ReadInt32();
                int count = r.ReadInt32();
                var gallery = catalog.GetOrCreate(key);
                var batch = new List<EnrolledFace>(1024);
                for (int i = 0; i < count; i++)
                {
                    string faceId = r.ReadString(), subjectId = r.ReadString();
                    float quality = r.ReadSingle();
                    long enrolledAt = r.ReadInt64();
                    var vector = new float[dimension];
                    r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(vector.AsSpan()));
                    batch.Add(new EnrolledFace(faceId, subjectId, vector, model, quality, enrolledAt));
                    if (batch.Count == batch.Capacity || i == count - 1)
                    {
                        gallery.Upsert(batch);
                        batch.Clear();
                    }
                }
                faces += count;
            }
            if (magic == Magic)
                for (int t = r.ReadInt32(); t > 0; t--)
                    catalog.Tombstones.Mark(new GalleryKey(r.ReadString(), r.ReadString()), r.ReadString(), r.ReadInt64());
        }
        var stored = new byte[4];
        file.Position = file.Length - 4;
        file.ReadExactly(stored);
        if (BitConverter.ToUInt32(stored) != crc.GetCurrentHashAsUInt32())
            throw new InvalidDataException($"The snapshot {path} is damaged (checksum mismatch). Restore the data directory from a backup.");
        return faces;
    }

    /// <summary>Passes bytes through and adds them to a CRC; reading stops at <c>limit</c>.</summary>
    private sealed class CrcStream(Stream inner, Crc32 crc, long limit = long.MaxValue) : Stream
    {
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            long left = limit - inner.Position;
            if (left <= 0)
                return 0;
            int n = inner.Read(buffer[..(int)Math.Min(buffer.Length, left)]);
            crc.Append(buffer[..n]);
            return n;
        }
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            crc.Append(buffer);
            inner.Write(buffer);
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
