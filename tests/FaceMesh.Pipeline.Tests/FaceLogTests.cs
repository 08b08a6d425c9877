using FaceMesh.Matching;
using FaceMesh.Matching.Embedded;
using FaceMesh.Matching.Storage;

namespace FaceMesh.Pipeline.Tests;

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
        log.AppendDelete(Staff, "alice");
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
}
