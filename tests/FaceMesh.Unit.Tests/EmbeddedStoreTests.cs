using FaceMesh.Matching;
using FaceMesh.Matching.Embedded;

namespace FaceMesh.Unit.Tests;

/// <summary>The embedded store beyond the contract: exactness of its scans, snapshots and restarts.</summary>
public sealed class EmbeddedStoreTests
{
    private static readonly GalleryKey Key = new("t", "g");

    private static float[][] RandomUnits(int count, int dimension, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var v = Enumerable.Range(0, dimension).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            float norm = MathF.Sqrt(v.Sum(x => x * x));
            return v.Select(x => x / norm).ToArray();
        }).ToArray();
    }

    private static GalleryIndex Index(float[][] vectors, bool int8)
    {
        var index = new GalleryIndex(Key, int8);
        index.Upsert(vectors.Select((v, i) => new EnrolledFace($"f{i}", $"s{i}", v, "m", 1)));
        return index;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_top_10_equal_a_brute_force_ranking_across_blocks_and_cores(bool int8)
    {
        // 40,000 rows: three blocks, two scan partitions, and (int8) far more rows than re-ranked candidates.
        var vectors = RandomUnits(40_000, 128, seed: 7);
        var index = Index(vectors, int8);
        var queries = RandomUnits(20, 128, seed: 8);
        var results = index.Search(queries, "m", 10);
        int agree = 0;
        for (int q = 0; q < queries.Length; q++)
        {
            var truth = vectors.Select((v, i) => (Id: $"f{i}", Score: v.Zip(queries[q], (a, b) => a * b).Sum()))
                .OrderByDescending(r => r.Score).Take(10).ToArray();
            agree += results[q].Count(m => truth.Any(t => t.Id == m.FaceId));
            // Scores are float cosines (re-ranked with floats in the int8 case), not int8 estimates.
            Assert.Equal(truth[0].Score, results[q][0].Score, 4);
        }
        Assert.Equal(200, agree);
    }

    [Fact]
    public void A_small_gallery_allocates_for_its_faces_not_for_a_whole_block()
    {
        var vectors = RandomUnits(10, 512, seed: 10);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var index = Index(vectors, int8: true);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // A whole block (16,384 rows of 512) would be 32 MB of floats and 8 MB of int8 codes; 64 rows are 160 KB.
        Assert.InRange(allocated, 64 * 512 * 5, 1_000_000);
        Assert.Equal(10, index.FaceCount);
    }

    [Fact]
    public void Deleting_rows_moves_the_last_rows_into_the_gaps_and_search_stays_exact()
    {
        var vectors = RandomUnits(20_000, 64, seed: 9);
        var index = Index(vectors, int8: true);
        for (int i = 0; i < 20_000; i += 3)
            index.DeleteSubject($"s{i}");
        var query = vectors[19_999];
        var best = index.Search([query], "m", 1)[0][0];
        Assert.Equal(("s19999", 1f), (best.SubjectId, MathF.Round(best.Score, 4)));
        Assert.DoesNotContain(index.Search([vectors[0]], "m", 5)[0], m => m.SubjectId == "s0");
        Assert.Equal(20_000 - 6667, index.FaceCount);
    }

    [Fact]
    public async Task A_snapshot_plus_the_log_after_it_restores_exactly_and_older_files_are_removed()
    {
        var directory = TestPaths.NewTempDirectory();
        var vectors = RandomUnits(1000, 32, seed: 10);
        var options = new EmbeddedStoreOptions { DataDirectory = directory, SnapshotAfterLogBytes = long.MaxValue, ErasureDelaySeconds = 3600 };
        using (var store = new EmbeddedVectorStore(options))
        {
            await store.UpsertAsync(Key, vectors.Take(600).Select((v, i) => new EnrolledFace($"f{i}", $"s{i % 100}", v, "m", 0.5f, i)).ToArray());
            Assert.Equal(6, await store.DeleteSubjectAsync(Key, "s7", deletedAtMs: 1000)); // after the faces above (times 0-599)
            Assert.True(store.ErasurePending);
            store.Snapshot(); // holds everything so far, the deletion included: nothing left to erase
            Assert.False(store.ErasurePending);
            await store.UpsertAsync(Key, vectors.Skip(600).Select((v, i) => new EnrolledFace($"f{600 + i}", $"s{i % 100}", v, "m", 0.5f, 2000 + i)).ToArray());
        }
        Assert.Equal(["log-00000001.log", "snapshot-00000001.bin"], Directory.GetFiles(directory).Select(f => Path.GetFileName(f)!).Order().ToArray());
        using var reopened = new EmbeddedVectorStore(options);
        var info = await reopened.CountAsync(Key);
        Assert.Equal((100L, 994L), (info!.Subjects, info.Faces));
        Assert.Equal(4, (await reopened.GetSubjectAsync(Key, "s7")).Count); // enrolled again after the deletion, from the log
        var face = (await reopened.GetSubjectAsync(Key, "s8")).First(f => f.FaceId == "f608");
        Assert.Equal(vectors[608], face.Embedding);
        Assert.Equal((0.5f, 2008L), (face.Quality, face.EnrolledAtMs));
        // The deletion's tombstone came back with the snapshot: a late event of a face enrolled before it stays out.
        await reopened.UpsertAsync(Key, [new EnrolledFace("f7-late", "s7", vectors[7], "m", 0.5f, 999)]);
        Assert.Empty(await reopened.ContainsFacesAsync(Key, ["f7-late"]));
    }

    /// <summary>Where the float bytes of <paramref name="vector"/> occur in any file of the folder.</summary>
    private static string[] FilesHolding(string directory, float[] vector)
    {
        var pattern = System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.AsSpan(0, 8)).ToArray(); // 32 bytes: no accidental match
        return Directory.GetFiles(directory).Where(f => File.ReadAllBytes(f).AsSpan().IndexOf(pattern) >= 0).Select(f => Path.GetFileName(f)!).ToArray();
    }

    [Fact]
    public async Task A_deleted_subjects_vectors_leave_the_disk_at_the_erasure_snapshot_that_follows_the_deletion()
    {
        var directory = TestPaths.NewTempDirectory();
        var vectors = RandomUnits(40, 64, seed: 12);
        var options = new EmbeddedStoreOptions { DataDirectory = directory, ErasureDelaySeconds = 0.5 };
        using var store = new EmbeddedVectorStore(options);
        await store.UpsertAsync(Key, vectors.Select((v, i) => new EnrolledFace($"f{i}", $"s{i % 4}", v, "m", 1)).ToArray());
        Assert.Equal(10, await store.DeleteSubjectAsync(Key, "s1"));
        Assert.NotEmpty(FilesHolding(directory, vectors[1])); // still in the log right after the deletion: the scan sees it
        for (int i = 0; i < 100 && store.ErasurePending; i++)
            await Task.Delay(50);
        Assert.False(store.ErasurePending);
        for (int i = 1; i < 40; i += 4)
            Assert.Empty(FilesHolding(directory, vectors[i]));            // every face of s1: gone from every file
        Assert.Equal(["snapshot-00000001.bin"], FilesHolding(directory, vectors[0])); // the others are kept, in the snapshot
        Assert.Empty(await store.GetSubjectAsync(Key, "s1"));
        Assert.DoesNotContain((await store.SearchAsync(Key, "m", [vectors[1]], 4))[0], m => m.SubjectId == "s1");
    }

    [Fact]
    public async Task A_failed_erasure_snapshot_is_tried_again_until_the_vectors_leave_the_disk()
    {
        var directory = TestPaths.NewTempDirectory();
        var vectors = RandomUnits(8, 64, seed: 13);
        // The first erasure snapshot cannot be written: a folder stands where its temporary file goes.
        Directory.CreateDirectory(Path.Combine(directory, "snapshot-00000001.bin.tmp"));
        var reports = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var store = new EmbeddedVectorStore(new EmbeddedStoreOptions { DataDirectory = directory, ErasureDelaySeconds = 0.2 }, reports.Enqueue);
        await store.UpsertAsync(Key, vectors.Select((v, i) => new EnrolledFace($"f{i}", $"s{i % 2}", v, "m", 1)).ToArray());
        Assert.Equal(4, await store.DeleteSubjectAsync(Key, "s1"));
        for (int i = 0; i < 200 && store.ErasurePending; i++)
            await Task.Delay(50);
        Assert.Contains(reports, r => r.StartsWith("Erasure snapshot failed") && r.Contains("tried again"));
        Assert.False(store.ErasurePending); // the second attempt wrote snapshot 2
        for (int i = 1; i < 8; i += 2)
            Assert.True(FilesHolding(directory, vectors[i]).Length == 0, string.Join(" | ", reports) + " files: " + string.Join(",", Directory.GetFileSystemEntries(directory).Select(Path.GetFileName)));
    }

    [Fact]
    public async Task The_store_takes_a_snapshot_by_itself_when_the_log_grows_past_the_limit()
    {
        var directory = TestPaths.NewTempDirectory();
        var vectors = RandomUnits(400, 64, seed: 11);
        var options = new EmbeddedStoreOptions { DataDirectory = directory, SnapshotAfterLogBytes = 20_000 };
        using (var store = new EmbeddedVectorStore(options))
        {
            for (int i = 0; i < vectors.Length; i++)
                await store.UpsertAsync(Key, [new EnrolledFace($"f{i}", $"s{i}", vectors[i], "m", 1)]);
            for (int i = 0; i < 100 && Directory.GetFiles(directory, "snapshot-*.bin").Length == 0; i++)
                await Task.Delay(50);
            Assert.NotEmpty(Directory.GetFiles(directory, "snapshot-*.bin"));
        }
        using var reopened = new EmbeddedVectorStore(options);
        Assert.Equal(400L, (await reopened.CountAsync(Key))!.Faces);
    }

    [Fact]
    public async Task A_damaged_snapshot_is_refused_with_what_to_do()
    {
        var directory = TestPaths.NewTempDirectory();
        var options = new EmbeddedStoreOptions { DataDirectory = directory };
        using (var store = new EmbeddedVectorStore(options))
        {
            await store.UpsertAsync(Key, RandomUnits(50, 16, seed: 12).Select((v, i) => new EnrolledFace($"f{i}", "s", v, "m", 1)).ToArray());
            store.Snapshot();
        }
        var path = Directory.GetFiles(directory, "snapshot-*.bin").Single();
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => new EmbeddedVectorStore(options));
        Assert.Contains("damaged", e.Message);
        Assert.Contains("backup", e.Message);
    }
}
