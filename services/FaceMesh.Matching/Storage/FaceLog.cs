using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using FaceMesh.Matching.Embedded;

namespace FaceMesh.Matching.Storage;

/// <summary>
/// An append-only log of gallery changes (face upserts, subject deletions) that makes the in-memory
/// galleries survive a restart, a crash or <c>kill -9</c>. Each record is written as
/// <c>[payload length: u32][CRC-32 of payload: u32][payload]</c> and flushed to the disk before the change
/// is acknowledged; on opening, the log is replayed into a <see cref="GalleryCatalog"/>, and a torn tail (the last
/// record cut short by a crash, never acknowledged; or zeros a file system left after it) is cut off. A bad record
/// with more after it is damage, not a tear: acknowledged changes follow it, so the log refuses to open
/// (<see cref="FaceLogDamagedException"/>, naming the file and offset) unless told to salvage what precedes it. A
/// failed append is cut back off, so the next append follows the last whole record.
/// </summary>
public sealed class FaceLog : IDisposable
{
    private const byte UpsertRecord = 1, DeleteRecord = 2, TimedDeleteRecord = 3;
    private const int MaxRecordBytes = 1 << 20;
    private readonly FileStream _file;
    private readonly string _path;
    private readonly object _gate = new();

    private FaceLog(FileStream file, string path) => (_file, _path) = (file, path);

    /// <summary>Opens (or creates) the log, replays it into <paramref name="catalog"/>, and readies it for appends.</summary>
    public static FaceLog Open(string path, GalleryCatalog catalog, out int replayed, out long discardedBytes, bool salvage = false) =>
        Open(path, catalog, out replayed, out discardedBytes, salvage, p => new FileStream(p, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read));

    /// <summary>As <see cref="Open(string, GalleryCatalog, out int, out long, bool)"/>, with the file opened by <paramref name="open"/>
    /// (tests: a disk that fails).</summary>
    internal static FaceLog Open(string path, GalleryCatalog catalog, out int replayed, out long discardedBytes, bool salvage, Func<string, FileStream> open)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        bool created = !File.Exists(path);
        var file = open(path);
        if (created)
            DirectorySync.Flush(directory); // the new file's directory entry is durable before anything is acknowledged in it
        replayed = 0;
        long good = 0;
        var header = new byte[8];
        while (true)
        {
            file.Position = good;
            if (file.ReadAtLeast(header, 8, throwOnEndOfStream: false) < 8)
                break;
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(header);
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
            bool whole = length > 0 && length <= MaxRecordBytes;
            byte[]? payload = whole ? new byte[length] : null;
            if (whole && file.ReadAtLeast(payload!, length, throwOnEndOfStream: false) == length && Crc32.HashToUInt32(payload) == crc)
            {
                Apply(payload!, catalog);
                replayed++;
                good += 8 + length;
                continue;
            }
            if (!IsTornTail(file, good, whole ? length : -1))
            {
                if (!salvage)
                {
                    file.Dispose();
                    throw new FaceLogDamagedException(path, good, replayed);
                }
                Salvage(file, path, good);
            }
            break;
        }
        discardedBytes = file.Length - good;
        file.SetLength(good); // cut a torn tail so new records follow the last whole one
        file.Position = good;
        return new FaceLog(file, path);
    }

    /// <summary>
    /// Whether a bad record at <paramref name="offset"/> is a torn tail: it reaches the end of the file (a write cut
    /// short), or everything from it on is zero (blocks a file system allocated but never wrote).
    /// </summary>
    private static bool IsTornTail(FileStream file, long offset, int declaredLength)
    {
        if (declaredLength > 0 && offset + 8 + declaredLength >= file.Length)
            return true;
        file.Position = offset;
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = file.Read(buffer)) > 0)
            if (buffer.AsSpan(0, read).ContainsAnyExcept((byte)0))
                return false;
        return true;
    }

    /// <summary>Moves the damaged rest of the log into <c>LOG.damaged-OFFSET</c> (for inspection) before it is cut off.</summary>
    private static void Salvage(FileStream file, string path, long offset)
    {
        var target = $"{path}.damaged-{offset}";
        file.Position = offset;
        using (var rest = File.Create(target))
        {
            file.CopyTo(rest);
            rest.Flush(flushToDisk: true);
        }
        DirectorySync.Flush(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Records faces added to a subject; returns once they are on the disk.</summary>
    public void AppendUpsert(GalleryKey gallery, IReadOnlyList<EnrolledFace> faces)
    {
        using var payload = new MemoryStream();
        using (var w = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(UpsertRecord);
            w.Write(gallery.Tenant);
            w.Write(gallery.Gallery);
            w.Write(faces.Count);
            foreach (var f in faces)
            {
                w.Write(f.FaceId);
                w.Write(f.SubjectId);
                w.Write(f.ModelId);
                w.Write(f.Quality);
                w.Write(f.EnrolledAtMs);
                w.Write(f.Embedding.Length);
                foreach (var v in f.Embedding)
                    w.Write(v);
            }
        }
        Write(payload.ToArray());
    }

    /// <summary>Records that a subject was deleted at <paramref name="deletedAtMs"/> (its tombstone); returns once it is on the
    /// disk.</summary>
    public void AppendDelete(GalleryKey gallery, string subjectId, long deletedAtMs)
    {
        using var payload = new MemoryStream();
        using (var w = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(TimedDeleteRecord);
            w.Write(gallery.Tenant);
            w.Write(gallery.Gallery);
            w.Write(subjectId);
            w.Write(deletedAtMs);
        }
        Write(payload.ToArray());
    }

    private void Write(byte[] payload)
    {
        if (payload.Length > MaxRecordBytes)
            throw new ArgumentException($"A log record of {payload.Length:N0} bytes is over the {MaxRecordBytes:N0}-byte limit; enroll fewer faces at once.");
        var header = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), Crc32.HashToUInt32(payload));
        lock (_gate)
        {
            long end = _file.Length;
            try
            {
                _file.Write(header);
                _file.Write(payload);
                _file.Flush(flushToDisk: true);
            }
            catch (IOException)
            {
                // A full disk or an I/O error: the change is not acknowledged, and its partial record must not stay in
                // front of the next one (replay would stop there and lose what follows).
                try
                {
                    _file.SetLength(end);
                    _file.Position = end;
                }
                catch (IOException)
                {
                    // The log cannot even be cut back: replay cuts the torn tail at the next start.
                }
                throw;
            }
        }
    }

    private static void Apply(byte[] payload, GalleryCatalog catalog)
    {
        using var r = new BinaryReader(new MemoryStream(payload), Encoding.UTF8);
        byte type = r.ReadByte();
        var key = new GalleryKey(r.ReadString(), r.ReadString());
        switch (type)
        {
            case UpsertRecord:
                int count = r.ReadInt32();
                var faces = new List<EnrolledFace>(count);
                for (int i = 0; i < count; i++)
                {
                    string faceId = r.ReadString(), subject = r.ReadString(), model = r.ReadString();
                    float quality = r.ReadSingle();
                    long enrolledAt = r.ReadInt64();
                    var vector = new float[r.ReadInt32()];
                    for (int k = 0; k < vector.Length; k++)
                        vector[k] = r.ReadSingle();
                    faces.Add(new EnrolledFace(faceId, subject, vector, model, quality, enrolledAt));
                }
                faces.RemoveAll(f => catalog.Tombstones.Buries(key, f));
                if (faces.Count > 0)
                    catalog.GetOrCreate(key).Upsert(faces);
                break;
            case DeleteRecord: // written before tombstones: every face of the subject, no tombstone
                catalog.Find(key)?.DeleteSubject(r.ReadString());
                break;
            case TimedDeleteRecord:
                string subjectId = r.ReadString();
                long deletedAt = r.ReadInt64();
                catalog.Tombstones.Mark(key, subjectId, deletedAt);
                catalog.Find(key)?.DeleteSubject(subjectId, deletedAt);
                break;
            default:
                throw new InvalidDataException($"Unknown face log record type {type}.");
        }
    }

    /// <summary>Bytes written so far (the store takes a snapshot and starts a new log when this grows large).</summary>
    public long Length { get { lock (_gate) return _file.Length; } }

    public void Dispose() => _file.Dispose();
}
