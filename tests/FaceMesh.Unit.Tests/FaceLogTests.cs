using FaceMesh.Matching;
using FaceMesh.Matching.Embedded;
using FaceMesh.Matching.Storage;

namespace FaceMesh.Unit.Tests;

/// <summary>The galleries' append-only log: replay after a restart, and a torn or corrupt tail cut off.</summary>
public sealed class FaceLogTests
{
    private static readonly GalleryKey Staff = new("tenant-a", "staff");

    private static EnrolledFace Face(string id, string subject, float angle) =>
        new(id, subject, [MathF.Cos(angle), MathF.Sin(angle)], "model-1", 0.9f);

    private static string WriteThreeRecords()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "faces.log");
        using var log = FaceLog.Open(path, new GalleryCatalog(), out _, out _);
        log.AppendUpsert(Staff, [Face("a1", "alice", 0f), Face("a2", "alice", 0.1f)]);
        log.AppendUpsert(Staff, [Face("b1", "bob", 1.5f)]);
        log.AppendDelete(Staff, "alice", deletedAtMs: 1000);
        return path;
    }

    [Fact]
    public void A_reopened_log_restores_every_change_in_order()
    {
        var path = WriteThreeRecords();
        var catalog = new GalleryCatalog();
        using var log = FaceLog.Open(path, catalog, out int replayed, out long discarded);
        Assert.Equal((3, 0L), (replayed, discarded));
        var gallery = catalog.Get(Staff);
        Assert.Equal(1, gallery.FaceCount);
        Assert.Empty(gallery.FacesOf("alice"));
        Assert.Equal(1000, catalog.Tombstones.DeletedAt(Staff, "alice")); // the deletion's tombstone is replayed too
        Assert.Equal("bob", gallery.Search([[0f, 1f]], "model-1", 1)[0][0].SubjectId);
    }

    [Fact]
    public void A_torn_last_record_is_discarded_and_the_next_append_follows_the_last_whole_one()
    {
        var path = WriteThreeRecords();
        using (var file = new FileStream(path, FileMode.Open))
            file.SetLength(file.Length - 5); // a crash in the middle of writing the delete
        var catalog = new GalleryCatalog();
        using (var log = FaceLog.Open(path, catalog, out int replayed, out long discarded))
        {
            Assert.Equal(2, replayed);
            Assert.True(discarded > 0);
            Assert.Equal(["a1", "a2"], catalog.Get(Staff).FacesOf("alice").Select(f => f.FaceId));
            log.AppendUpsert(Staff, [Face("c1", "carol", 3f)]);
        }
        var again = new GalleryCatalog();
        using var reopened = FaceLog.Open(path, again, out int replayedAgain, out long discardedAgain);
        Assert.Equal((3, 0L), (replayedAgain, discardedAgain));
        Assert.Equal(4, again.Get(Staff).FaceCount);
    }

    [Fact]
    public void A_corrupt_last_record_fails_its_checksum_and_is_discarded()
    {
        var path = WriteThreeRecords();
        var bytes = File.ReadAllBytes(path);
        bytes[^2] ^= 0x5A;
        File.WriteAllBytes(path, bytes);
        var catalog = new GalleryCatalog();
        using var log = FaceLog.Open(path, catalog, out int replayed, out _);
        Assert.Equal(2, replayed);
        Assert.Equal(2, catalog.Get(Staff).SubjectCount);
    }

    [Fact]
    public void A_damaged_record_with_records_after_it_refuses_to_open_naming_the_file_and_offset()
    {
        var path = WriteThreeRecords();
        var bytes = File.ReadAllBytes(path);
        int first = 8 + BitConverter.ToInt32(bytes, 0);
        bytes[first + 12] ^= 0x5A; // inside the second record, with the third after it
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<FaceLogDamagedException>(() => FaceLog.Open(path, new GalleryCatalog(), out _, out _));
        Assert.Equal((path, (long)first), (e.Path, e.Offset));
        Assert.Contains($"damaged at byte {first}", e.Message);
        Assert.Contains("SalvageDamagedLog=true", e.Message);
        Assert.Equal(bytes.Length, new FileInfo(path).Length); // nothing was cut

        // Salvage, when asked: the record before the damage is kept, the rest moved aside, appends go on.
        var catalog = new GalleryCatalog();
        using (var log = FaceLog.Open(path, catalog, out int replayed, out _, salvage: true))
        {
            Assert.Equal(1, replayed);
            Assert.Equal(2, catalog.Get(Staff).FaceCount);
            log.AppendUpsert(Staff, [Face("c1", "carol", 3f)]);
        }
        Assert.Equal(bytes.Length - first, new FileInfo($"{path}.damaged-{first}").Length);
        using var reopened = FaceLog.Open(path, new GalleryCatalog(), out int again, out long discarded);
        Assert.Equal((2, 0L), (again, discarded));
    }

    [Fact]
    public void Zeros_after_the_last_record_are_a_torn_tail_not_damage()
    {
        var path = WriteThreeRecords();
        long length = new FileInfo(path).Length;
        using (var file = new FileStream(path, FileMode.Append))
            file.Write(new byte[4096]); // blocks a file system allocated but a crash never let it write
        using var log = FaceLog.Open(path, new GalleryCatalog(), out int replayed, out long discarded);
        Assert.Equal((3, 4096L), (replayed, discarded));
        Assert.Equal(length, new FileInfo(path).Length);
    }

    /// <summary>A file that fails (as a full disk does) once more than <see cref="Budget"/> bytes are written to it.</summary>
    private sealed class FailingFile(string path) : FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read)
    {
        public long Budget { get; set; } = long.MaxValue;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Length + buffer.Length > Budget)
            {
                base.Write(buffer[..(int)Math.Max(0, Budget - Length)]);
                Flush();
                throw new IOException("No space left on device");
            }
            base.Write(buffer);
        }
    }

    [Fact]
    public void A_failed_append_is_cut_back_so_the_next_record_follows_the_last_whole_one()
    {
        var path = WriteThreeRecords();
        long length = new FileInfo(path).Length;
        FailingFile? file = null;
        using (var log = FaceLog.Open(path, new GalleryCatalog(), out _, out _, salvage: false, p => file = new FailingFile(p)))
        {
            file!.Budget = length + 20; // the header and a few payload bytes reach the disk, then it is full
            Assert.Throws<IOException>(() => log.AppendUpsert(Staff, [Face("d1", "dave", 2f)]));
            Assert.Equal(length, file.Length); // the partial record is gone
            file.Budget = long.MaxValue; // space again
            log.AppendUpsert(Staff, [Face("e1", "erin", 2.5f)]);
        }
        var catalog = new GalleryCatalog();
        using var reopened = FaceLog.Open(path, catalog, out int replayed, out long discarded);
        Assert.Equal((4, 0L), (replayed, discarded)); // erin's record is replayed: nothing in front of it stopped the replay
        Assert.Single(catalog.Get(Staff).FacesOf("erin"));
        Assert.Empty(catalog.Get(Staff).FacesOf("dave"));
    }
}
